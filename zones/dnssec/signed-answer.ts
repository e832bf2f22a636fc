// A DO=1 answer from a signed zone: the answer as lookup() or the server built it, with an RRSIG
// after every authoritative RRset and the NSEC records that prove what is not there (NXDOMAIN,
// NODATA, a wildcard expansion, no DS at a referral) or the DS RRset of a referral.
import { CLASS, QTYPE, RCODE } from '../dns.js';
import { isAtOrBelow, type DnsName } from '../name.js';
import type { AnswerRecord, Sections } from '../records.js';
import { closestEncloser, type Zone } from '../zone.js';
import { nodataProof, noDsProof, nxdomainProof, wildcardAnswerProof } from './denial.js';
import { NsecChain } from './nsec.js';
import { ZoneSigner, type Signatures } from './signer.js';

export interface SignedZone {
  readonly zone: Zone;
  readonly signer: ZoneSigner;
  readonly chain: NsecChain;
}

/** null for an unsigned zone (zone.dnssec null). Builds the NSEC chain; signs nothing (signing is lazy). */
export function createSignedZone(zone: Zone): SignedZone | null {
  if (zone.dnssec === null) return null;
  return Object.freeze({ zone, signer: new ZoneSigner(zone.apex, zone.dnssec), chain: new NsecChain(zone) });
}

/** The RRSIG records of one Signatures for one owner, made once (the owner object is the query's or the zone's). */
const rrsigRecords = new WeakMap<Signatures, { owner: DnsName | null; ttl: number; records: AnswerRecord[] }>();

function rrsigsOf(sigs: Signatures, owner: DnsName | null, ttl: number): AnswerRecord[] {
  const m = rrsigRecords.get(sigs);
  if (m !== undefined && m.owner === owner && m.ttl === ttl) return m.records;
  const records = sigs.rdatas.map((rdata) => ({ owner, type: QTYPE.RRSIG, klass: CLASS.IN, ttl, rdata: [rdata] }));
  rrsigRecords.set(sigs, { owner, ttl, records });
  return records;
}

/** The zone's negative SOA as a frozen one-record RRset: the signer remembers its content key. */
const negativeSoaSets = new WeakMap<Zone, readonly AnswerRecord[]>();

function negativeSoaSet(zone: Zone): readonly AnswerRecord[] {
  let set = negativeSoaSets.get(zone);
  if (set === undefined) {
    set = Object.freeze([zone.negativeSoa]);
    negativeSoaSets.set(zone, set);
  }
  return set;
}

/** Per-answer state: the zone, the query name, the clock and the earliest refresh so far. */
class Signing {
  refreshAt = Infinity;

  constructor(
    readonly sz: SignedZone,
    readonly qname: DnsName,
    readonly now: number,
  ) {}

  /**
   * Whether the zone signs an RRset at ownerKey: it is in the zone and not at or below a cut, except
   * DS at the cut and NSEC (the parent's side of a delegation). NS at a cut and glue are not signed.
   */
  authoritative(ownerKey: string, type: number): boolean {
    const zone = this.sz.zone;
    if (type === QTYPE.RRSIG || !isAtOrBelow(ownerKey, zone.apex.key)) return false;
    if (type === QTYPE.NSEC) return true;
    const cut = closestEncloser(zone, ownerKey).cut;
    return cut === null || (type === QTYPE.DS && cut.name.key === ownerKey);
  }

  /**
   * A section with each authoritative RRset followed by its RRSIGs. `required`: how many leading
   * records may not be dropped; returns the same count over the new section.
   */
  section(records: readonly AnswerRecord[], required = 0): { records: AnswerRecord[]; required: number } {
    const out: AnswerRecord[] = [];
    let req = 0;
    let start = 0;
    while (start < records.length) {
      const first = records[start]!;
      const owner = first.owner ?? this.qname;
      let end = start + 1;
      while (end < records.length) {
        const r = records[end]!;
        if (r.type !== first.type || (r.owner ?? this.qname).key !== owner.key) break;
        end++;
      }
      for (let i = start; i < end; i++) out.push(records[i]!);
      if (start < required) req = out.length - (end - start) + Math.min(end, required) - start;
      if (this.authoritative(owner.key, first.type)) {
        const group =
          start === 0 && end === records.length
            ? records
            : end - start === 1 && first === this.sz.zone.negativeSoa
              ? negativeSoaSet(this.sz.zone)
              : records.slice(start, end);
        const sigs = this.sz.signer.sign(owner, first.type, first.ttl, group, this.now, first.wildcard);
        if (sigs.refreshAt < this.refreshAt) this.refreshAt = sigs.refreshAt;
        for (const r of rrsigsOf(sigs, first.owner, first.ttl)) out.push(r);
      }
      if (end <= required) req = out.length;
      start = end;
    }
    return { records: out, required: req };
  }
}

/** Where the answer ends: the query name or the last CNAME target followed, and whether it has data there. */
function answerEnd(
  qname: DnsName,
  qtype: number,
  answer: readonly AnswerRecord[],
): { end: DnsName; positive: boolean; expanded: DnsName[] } {
  let end = qname;
  let positive = false;
  const expanded: DnsName[] = [];
  for (const r of answer) {
    const owner = r.owner ?? qname;
    if (r.wildcard !== undefined && !expanded.some((n) => n.key === owner.key)) expanded.push(owner);
    if (owner.key !== end.key) continue;
    if (r.type === QTYPE.CNAME && qtype !== QTYPE.CNAME && qtype !== QTYPE.ANY) end = r.rdata[0] as DnsName;
    else positive = true;
  }
  return { end, positive, expanded };
}

/** The records to add to the authority section: the proofs this answer needs, or a referral's DS. */
function authorityAdditions(sz: SignedZone, qname: DnsName, qtype: number, s: Sections): AnswerRecord[] {
  const { zone, chain } = sz;
  const extra: AnswerRecord[] = [];
  const add = (r: AnswerRecord | null): void => {
    if (r !== null && !extra.includes(r) && !s.authority.includes(r)) extra.push(r);
  };
  const { end, positive, expanded } = answerEnd(qname, qtype, s.answer);
  for (const name of expanded) add(wildcardAnswerProof(chain, name.key));
  const cutNs = s.authority.find((r) => r.type === QTYPE.NS && r.owner !== null && r.owner.key !== zone.apex.key);
  if (cutNs !== undefined) {
    const cut = zone.nodes.get(cutNs.owner!.key);
    const ds = cut?.rrsets.get(QTYPE.DS);
    if (ds !== undefined) for (const r of ds.records) add(r);
    else if (cut !== undefined) add(noDsProof(chain, cut.name.key));
    return extra;
  }
  if (positive || !isAtOrBelow(end.key, zone.apex.key)) return extra;
  const proof =
    s.rcode === RCODE.NXDOMAIN ? nxdomainProof(zone, chain, end.key) : nodataProof(zone, chain, end.key, qtype);
  for (const r of proof) add(r);
  return extra;
}

/**
 * The answer `s` (for `qname`, `qtype`, as lookup() or the server built it) with DNSSEC added for a
 * DO=1 query: RRSIGs right after each authoritative RRset of every section, and the NSEC records (with
 * their RRSIGs) that prove NXDOMAIN, NODATA (also at an empty non-terminal and at a wildcard), a
 * wildcard expansion, and at a referral the DS RRset or the cut's NSEC proving there is none. Any
 * rcode other than NOERROR and NXDOMAIN is returned unchanged. `refreshAt` (ms): when the earliest
 * signature in it must be refreshed; a caller keeping the encoded reply makes it again after that.
 */
export function signAnswer(
  sz: SignedZone,
  qname: DnsName,
  qtype: number,
  s: Sections,
  now: number,
): { readonly sections: Sections; readonly refreshAt: number } {
  if (s.rcode !== RCODE.NOERROR && s.rcode !== RCODE.NXDOMAIN) return { sections: s, refreshAt: Infinity };
  const signing = new Signing(sz, qname, now);
  const extra = authorityAdditions(sz, qname, qtype, s);
  const answer = signing.section(s.answer);
  const authority = signing.section(extra.length === 0 ? s.authority : [...s.authority, ...extra]);
  const additional = signing.section(s.additional, s.requiredAdditional);
  return {
    sections: {
      rcode: s.rcode,
      aa: s.aa,
      answer: answer.records,
      authority: authority.records,
      additional: additional.records,
      requiredAdditional: additional.required,
    },
    refreshAt: signing.refreshAt,
  };
}
