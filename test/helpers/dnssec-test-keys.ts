// Throwaway signing keys for the signer's tests, made with Node's crypto at test time (never files,
// never committed): the ZoneKey / ZoneDnssec shapes of zones/dnssec/types.ts with the DNSKEY RDATA
// and key tag computed here, apart from the key reader.
import { generateKeyPairSync } from 'node:crypto';
import {
  ALGORITHM,
  DEFAULT_DNSSEC,
  type Algorithm,
  type DnssecSettings,
  type KeyState,
  type ZoneDnssec,
  type ZoneKey,
} from '../../zones/dnssec/types.js';

/** RFC 4034 appendix B. */
export function keyTagOf(rdata: Buffer): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** A key pair of `algorithm` with the DNSKEY flags 257 (sep) or 256. */
export function makeTestKey(algorithm: Algorithm, sep: boolean): ZoneKey {
  const pair =
    algorithm === ALGORITHM.ED25519
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  // RFC 6605: P-256 public key is x||y (64 octets); RFC 8080: Ed25519 is the 32-octet public key.
  const pub =
    algorithm === ALGORITHM.ED25519
      ? Buffer.from(jwk.x!, 'base64url')
      : Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const flags = sep ? 257 : 256;
  const dnskey = Buffer.concat([Buffer.from([flags >> 8, flags & 0xff, 3, algorithm]), pub]);
  const tag = keyTagOf(dnskey);
  return {
    file: `K.+${String(algorithm).padStart(3, '0')}+${String(tag).padStart(5, '0')}.key`,
    tag,
    algorithm,
    flags,
    sep,
    dnskey,
    privateKey: pair.privateKey,
    publish: null,
    activate: null,
    inactive: null,
    delete: null,
  };
}

/** Every key published and active: ZSKs sign the zone (the SEP keys when there is no ZSK), SEP keys the key sets. */
export function testDnssec(keys: readonly ZoneKey[], settings: DnssecSettings = DEFAULT_DNSSEC): ZoneDnssec {
  const sep = keys.filter((k) => k.sep);
  const nonSep = keys.filter((k) => !k.sep);
  const state: KeyState = {
    published: keys,
    zsks: nonSep.length > 0 ? nonSep : sep,
    ksks: sep.length > 0 ? sep : keys,
    sepActive: sep,
    nextChange: Infinity,
  };
  return { keys, settings, state };
}
