// DS (RFC 4034 section 5) and its child-side copies CDS and CDNSKEY (RFC 7344): the RDATA a parent
// zone needs to trust a key, and its presentation text as dnssec-dsfromkey prints it.
import { createHash } from 'node:crypto';
import { nameToText, type DnsName } from '../name.js';
import { keyTag } from './keys.js';

/** DS digest types we make: SHA-256 (2, what parents expect, RFC 8624) and SHA-384 (4). */
export const DIGEST = { SHA256: 2, SHA384: 4 } as const;
export type DigestType = (typeof DIGEST)[keyof typeof DIGEST];

const HASH: Readonly<Record<DigestType, string>> = { 2: 'sha256', 4: 'sha384' };

/** The owner name in canonical form (RFC 4034 section 6.2): ASCII letters lowercased. */
function canonicalWire(name: DnsName): Buffer {
  return Buffer.from(name.key, 'latin1');
}

/**
 * DS RDATA for a DNSKEY RDATA of the zone `apex`: key tag, algorithm, digest type, and the digest of
 * the canonical owner name followed by the DNSKEY RDATA (RFC 4034 section 5.1.4).
 */
export function dsRdata(apex: DnsName, dnskeyRdata: Buffer, digestType: DigestType = DIGEST.SHA256): Buffer {
  const digest = createHash(HASH[digestType]).update(canonicalWire(apex)).update(dnskeyRdata).digest();
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(keyTag(dnskeyRdata), 0);
  fixed[2] = dnskeyRdata[3]!;
  fixed[3] = digestType;
  return Buffer.concat([fixed, digest]);
}

/** DS (or CDS) RDATA in presentation form: `tag alg digest-type HEX` (upper-case hex, as BIND prints). */
export function dsRdataText(ds: Buffer): string {
  return `${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex').toUpperCase()}`;
}

/** The DS record line to give the parent zone: `apex. IN DS tag alg 2 HEX`, as `dnssec-dsfromkey -2` prints. */
export function dsText(apex: DnsName, dnskeyRdata: Buffer, digestType: DigestType = DIGEST.SHA256): string {
  return `${nameToText(apex.wire)} IN DS ${dsRdataText(dsRdata(apex, dnskeyRdata, digestType))}`;
}

/** DNSKEY (or CDNSKEY) RDATA in presentation form: `flags 3 alg base64`. */
export function dnskeyRdataText(dnskey: Buffer): string {
  return `${dnskey.readUInt16BE(0)} ${dnskey[2]} ${dnskey[3]} ${dnskey.subarray(4).toString('base64')}`;
}
