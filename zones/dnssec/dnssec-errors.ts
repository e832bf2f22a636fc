// The codes of a signed zone's errors: its keys/ folder and key files (keys.ts, keyfile.ts) and the
// records its master files may not hold once the zone is signed (zone.ts). docs/errors.md lists them.
import { errorCodes } from '../error-codes.js';

export const DNSSEC_ERRORS = errorCodes({
  E_DNSSEC_KEYS_UNREADABLE: {
    summary: "A zone folder's keys/ cannot be listed: it is a file, or permission is denied.",
    fix: 'Make keys/ a folder the user gslb runs as may read and list (or remove it: the zone is then not signed).',
  },
  E_DNSSEC_NO_KEYS: {
    summary: 'A zone folder has keys/ but no key in it (no K<apex>.+<alg>+<tag>.key file).',
    fix: 'Generate a key: gslb keygen --zones DIR APEX (or dnssec-keygen -K DIR/APEX/keys -a ECDSAP256SHA256 -f KSK APEX); or remove keys/ to serve the zone unsigned.',
  },
  E_DNSSEC_KEY_UNREADABLE: {
    summary: 'A .key or .private file in keys/ cannot be read: permission denied, an I/O error, or it is a folder.',
    fix: 'Make the file readable by the user gslb runs as (the .private may be mode 0600, owned by that user).',
  },
  E_DNSSEC_MISSING_PRIVATE: {
    summary: 'A .key file in keys/ has no .private file beside it, so the key cannot sign.',
    fix: 'Copy the .private file of the same base name into keys/, or remove the .key file.',
  },
  E_DNSSEC_MISSING_PUBLIC: {
    summary: 'A .private file in keys/ has no .key file beside it (the DNSKEY and its timing are in the .key).',
    fix: 'Copy the .key file of the same base name into keys/, or remove the .private file.',
  },
  E_DNSSEC_OTHER_ZONE: {
    summary: "A key file in a zone's keys/ is for another zone (its file name or its DNSKEY owner is not the apex).",
    fix: "Move the key into its own zone's keys/ folder, or generate one for this zone's apex.",
  },
  E_DNSSEC_BAD_KEY_FILE: {
    summary:
      'A line of a .key or .private file cannot be read: not a DNSKEY record, bad base64, a bad timing date, or a required field missing.',
    fix: 'Regenerate the key (gslb keygen, dnssec-keygen or ldns-keygen), or correct the line named.',
  },
  E_DNSSEC_UNSUPPORTED_ALGORITHM: {
    summary: 'A key of an algorithm gslb does not sign with: only 13 (ECDSAP256SHA256) and 15 (ED25519) are supported.',
    fix: 'Generate a key with -a ECDSAP256SHA256 or -a ED25519, roll to it, and remove the old key.',
  },
  E_DNSSEC_BAD_FLAGS: {
    summary:
      'A DNSKEY whose flags are not 256 (zone-signing key) or 257 (key-signing or combined key), or whose protocol is not 3.',
    fix: 'Regenerate the key; a revoked key (flag 128) has no place in keys/.',
  },
  E_DNSSEC_FILE_NAME_MISMATCH: {
    summary: "A key file's name does not match its DNSKEY: the key tag or algorithm in K<apex>.+<alg>+<tag> differs.",
    fix: 'Keep the file names the key generator gave (the message names the tag and algorithm the key has).',
  },
  E_DNSSEC_KEY_MISMATCH: {
    summary: "A .private file's private key is not the one of the .key file's public key (or of another algorithm).",
    fix: 'Put the .key and .private of the same key pair together; regenerate the pair if one is lost.',
  },
  E_DNSSEC_NO_ACTIVE_KEY: {
    summary:
      'None of the keys in keys/ is active now (every Activate is in the future, or every key is inactive or deleted), so the zone cannot be signed.',
    fix: 'Activate a key now (dnssec-settime -A now), or generate one (gslb keygen); keys/ removed serves the zone unsigned.',
  },
  E_DNSSEC_SIGNER_RECORD: {
    summary:
      'A master file of a signed zone holds a record that keys/ and the signer provide (DNSKEY, CDS, CDNSKEY at the apex; RRSIG, NSEC, NSEC3, NSEC3PARAM), or a DS that is not at a delegation.',
    fix: 'Remove the record: DNSKEY, CDS and CDNSKEY come from keys/, signatures and denial from the signer; DS belongs at a delegation.',
  },
});

export type DnssecErrorCode = keyof typeof DNSSEC_ERRORS;
