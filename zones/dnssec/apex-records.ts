// The RRsets a signed zone's keys put at its apex: DNSKEY (every published key), and CDS and CDNSKEY
// (RFC 7344: the DS the parent should hold, for the active SEP keys). buildZone injects them as
// ordinary RRsets, so the catalog compiles and the signer signs them like any other.
import { CLASS } from '../dns.js';
import type { DnsName } from '../name.js';
import { QTYPE, type AnswerRecord } from '../records.js';
import { DIGEST, dsRdata } from './ds.js';
import type { ZoneDnssec } from './types.js';

/** Types that keys/ and the signer provide: a signed zone's master files may not hold them (zone.ts). */
export const SIGNER_TYPES: ReadonlyMap<number, string> = new Map([
  [QTYPE.RRSIG, 'RRSIG'],
  [QTYPE.NSEC, 'NSEC'],
  [QTYPE.NSEC3, 'NSEC3'],
  [QTYPE.NSEC3PARAM, 'NSEC3PARAM'],
]);

/** Types keys/ provides at the apex of a signed zone. */
export const APEX_KEY_TYPES: ReadonlyMap<number, string> = new Map([
  [QTYPE.DNSKEY, 'DNSKEY'],
  [QTYPE.CDS, 'CDS'],
  [QTYPE.CDNSKEY, 'CDNSKEY'],
]);

export interface ApexRRset {
  readonly type: number;
  readonly ttl: number;
  readonly records: readonly AnswerRecord[];
}

/**
 * DNSKEY for every key published in `dnssec.state`, CDS (SHA-256) and CDNSKEY for each active SEP key
 * (none when no SEP key is active), all with the policy's dnskey_ttl, in key tag order.
 */
export function apexRecords(apex: DnsName, dnssec: ZoneDnssec): ApexRRset[] {
  const ttl = dnssec.settings.dnskeyTtl;
  const record = (type: number, rdata: Buffer): AnswerRecord =>
    Object.freeze({ owner: apex, type, klass: CLASS.IN, ttl, rdata: Object.freeze([rdata]) });
  const rrset = (type: number, rdatas: readonly Buffer[]): ApexRRset =>
    Object.freeze({ type, ttl, records: Object.freeze(rdatas.map((r) => record(type, r))) });
  const { published, sepActive } = dnssec.state;
  const out = [
    rrset(
      QTYPE.DNSKEY,
      published.map((k) => k.dnskey),
    ),
  ];
  if (sepActive.length > 0) {
    out.push(
      rrset(
        QTYPE.CDS,
        sepActive.map((k) => dsRdata(apex, k.dnskey, DIGEST.SHA256)),
      ),
    );
    out.push(
      rrset(
        QTYPE.CDNSKEY,
        sepActive.map((k) => k.dnskey),
      ),
    );
  }
  return out;
}
