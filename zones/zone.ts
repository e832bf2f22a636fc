// A compiled, frozen zone: nodes by name with RRsets, delegation cuts and wildcards, and the
// authoritative lookup (RFC 1034 4.3.2, RFC 4592 wildcards, RFC 2308 negative answers) returning data.
import { CLASS, RCODE } from './dns.js';
import { isAtOrBelow, nameToText, parentKey, type DnsName } from './name.js';
import type { LbName, PolicyConfig } from './policy-types.js';
import { QTYPE, isName, type AnswerRecord, type Sections, type ZoneError, type ZoneRecord } from './records.js';
import { apexRecords, APEX_KEY_TYPES, SIGNER_TYPES } from './dnssec/apex-records.js';
import type { DnssecErrorCode } from './dnssec/dnssec-errors.js';
import type { ZoneDnssec } from './dnssec/types.js';
import type { ZoneErrorCode } from './zone-errors.js';

const EMPTY: readonly AnswerRecord[] = Object.freeze([]);
const NO_RRSETS: ReadonlyMap<number, RRset> = new Map();
export const EMPTY_POLICY: PolicyConfig = Object.freeze({
  datacenters: new Map(),
  checks: new Map(),
  loads: new Map(),
  regions: new Map(),
  names: new Map(),
  dnssec: null,
});
const MAX_CNAME_CHAIN = 8;

export interface RRset {
  readonly type: number;
  readonly ttl: number;
  readonly records: readonly AnswerRecord[];
}

export interface ZoneNode {
  readonly name: DnsName;
  readonly rrsets: ReadonlyMap<number, RRset>;
  /** The highest delegation point at or above this node (below the apex), or null when authoritative. */
  readonly cut: ZoneNode | null;
  /** Set when this name is load-balanced: its A and AAAA come from the GSLB decision. */
  readonly lb: LbName | null;
}

export interface Zone {
  readonly apex: DnsName;
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  readonly soa: RRset;
  /** The SOA record as sent in negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 section 5). */
  readonly negativeSoa: AnswerRecord;
  /** Datacenters, checks, region map and load-balanced names from the zone's policy files. */
  readonly policy: PolicyConfig;
  /** Keys and signing settings when the zone folder has keys/ (a signed zone), else null. */
  readonly dnssec: ZoneDnssec | null;
}

export type LookupKind = 'answer' | 'nodata' | 'nxdomain' | 'referral' | 'cname' | 'gslb';

export interface LookupResult {
  readonly kind: LookupKind;
  readonly sections: Sections;
  /** True when the answer came from a wildcard (so it depends on the exact query name). */
  readonly wildcard: boolean;
  /**
   * A load-balanced name whose decided records complete the answer: kind 'gslb' when the query
   * name itself is load-balanced, kind 'cname' when a CNAME chain ends there.
   */
  readonly gslb?: { readonly name: LbName; readonly qtype: number };
}

interface MutableNode {
  name: DnsName;
  rrsets: Map<number, { type: number; ttl: number; records: AnswerRecord[]; raw: ZoneRecord[] }>;
  cut: ZoneNode | null;
  lb: LbName | null;
}

function sameRdata(a: ZoneRecord, b: ZoneRecord): boolean {
  if (a.rdata.length !== b.rdata.length) return false;
  for (let i = 0; i < a.rdata.length; i++) {
    const x = a.rdata[i]!;
    const y = b.rdata[i]!;
    if (isName(x) !== isName(y)) return false;
    if (isName(x) && isName(y) ? x.key !== y.key : !(x as Buffer).equals(y as Buffer)) return false;
  }
  return true;
}

/**
 * Builds a zone from parsed records, checking the rules a server must enforce. `partial`: some lines of
 * the master files failed to parse, so a missing SOA or NS at the apex is likely one of them and is
 * not reported again. `dnssec` (a signed zone): its DNSKEY, CDS and CDNSKEY RRsets are made from the
 * keys and put at the apex, and the master files may not give those nor what the signer makes.
 */
export function buildZone(
  apex: DnsName,
  records: readonly ZoneRecord[],
  file: string,
  policy: PolicyConfig = EMPTY_POLICY,
  partial = false,
  dnssec: ZoneDnssec | null = null,
): { zone: Zone | null; errors: ZoneError[] } {
  const lbNames = policy.names;
  const errors: Array<ZoneError & { code: ZoneErrorCode | DnssecErrorCode }> = [];
  const nodes = new Map<string, MutableNode>();
  const nodeFor = (name: DnsName): MutableNode => {
    let n = nodes.get(name.key);
    if (!n) {
      n = { name, rrsets: new Map(), cut: null, lb: null };
      nodes.set(name.key, n);
    }
    return n;
  };

  for (const r of records) {
    if (!isAtOrBelow(r.owner.key, apex.key)) {
      errors.push({ file: r.file, line: r.line, message: `owner is outside the zone`, code: 'E_ZONE_OUT_OF_ZONE' });
      continue;
    }
    const node = nodeFor(r.owner);
    let set = node.rrsets.get(r.type);
    if (!set) {
      set = { type: r.type, ttl: r.ttl, records: [], raw: [] };
      node.rrsets.set(r.type, set);
    }
    // An RRset is a set: exact duplicates are dropped; differing TTLs take the first (RFC 2181 5.2).
    if (set.raw.some((x) => sameRdata(x, r))) continue;
    set.raw.push(r);
    set.records.push({ owner: r.owner, type: r.type, klass: CLASS.IN, ttl: set.ttl, rdata: r.rdata });
  }

  // A load-balanced name owns its A and AAAA: the master file may not give them, nor a CNAME. A CNAME
  // name owns the whole name (RFC 1034 3.6.2: a CNAME owner has no other data): no record at all.
  for (const lb of lbNames.values()) {
    const node = nodeFor(lb.owner);
    node.lb = lb;
    if (lb.cname) {
      for (const set of node.rrsets.values()) {
        const r = set.raw[0]!;
        errors.push({
          file: r.file,
          line: r.line,
          code: 'E_ZONE_LB_NAME_HAS_RECORDS',
          message: `'${nameToText(lb.owner.wire)}' is load-balanced by CNAME (${lb.file}:${lb.line}); a CNAME name has no other records`,
        });
      }
      continue;
    }
    for (const t of [QTYPE.A, QTYPE.AAAA, QTYPE.CNAME]) {
      const r = node.rrsets.get(t)?.raw[0];
      if (r)
        errors.push({
          file: r.file,
          line: r.line,
          code: 'E_ZONE_LB_NAME_HAS_RECORDS',
          message:
            t === QTYPE.CNAME
              ? `'${nameToText(lb.owner.wire)}' is load-balanced (${lb.file}:${lb.line}); it cannot also be a CNAME`
              : `'${nameToText(lb.owner.wire)}' is load-balanced (${lb.file}:${lb.line}); its ${t === QTYPE.A ? 'A' : 'AAAA'} records come from the policy, not the master file`,
        });
    }
  }

  // Semantic rules, reported at the offending record.
  for (const node of nodes.values()) {
    const at = (type: number): ZoneRecord | undefined => node.rrsets.get(type)?.raw[0];
    const cname = node.rrsets.get(QTYPE.CNAME);
    if (cname) {
      if (cname.raw.length > 1)
        errors.push({
          file: cname.raw[1]!.file,
          line: cname.raw[1]!.line,
          message: 'more than one CNAME at one name',
          code: 'E_ZONE_MULTIPLE_CNAME',
        });
      for (const [type, set] of node.rrsets) {
        if (type === QTYPE.CNAME) continue;
        const r = set.raw[0]!;
        errors.push({
          file: r.file,
          line: r.line,
          message: `CNAME and other data at the same name (line ${cname.raw[0]!.line} has the CNAME)`,
          code: 'E_ZONE_CNAME_AND_OTHER_DATA',
        });
      }
    }
    if (dnssec) signerRecords(node, node.name.key === apex.key, errors);
    const soa = at(QTYPE.SOA);
    if (soa && node.name.key !== apex.key)
      errors.push({
        file: soa.file,
        line: soa.line,
        message: 'SOA record is not at the zone apex',
        code: 'E_ZONE_SOA_NOT_AT_APEX',
      });
  }

  const apexNode = nodes.get(apex.key);
  const soaSet = apexNode?.rrsets.get(QTYPE.SOA);
  if (!soaSet) {
    if (!partial)
      errors.push({
        file,
        line: 0,
        message: `zone '${nameToText(apex.wire)}' has no SOA record at its apex`,
        code: 'E_ZONE_MISSING_SOA',
      });
  } else if (soaSet.raw.length > 1)
    errors.push({
      file: soaSet.raw[1]!.file,
      line: soaSet.raw[1]!.line,
      message: 'more than one SOA record',
      code: 'E_ZONE_MULTIPLE_SOA',
    });
  if (!apexNode?.rrsets.get(QTYPE.NS) && !partial)
    errors.push({
      file,
      line: 0,
      message: `zone '${nameToText(apex.wire)}' has no NS records at its apex`,
      code: 'E_ZONE_MISSING_NS',
    });
  if (errors.length > 0 || !apexNode || !soaSet) return { zone: null, errors };
  if (dnssec)
    for (const set of apexRecords(apex, dnssec))
      apexNode.rrsets.set(set.type, { type: set.type, ttl: set.ttl, records: [...set.records], raw: [] });

  // Empty non-terminals exist as nodes without RRsets.
  for (const key of [...nodes.keys()]) {
    let p = parentKey(key);
    while (p !== null && p !== apex.key && isAtOrBelow(p, apex.key) && !nodes.has(p)) {
      nodes.set(p, { name: nameOfKeyFrom(nodes.get(key)!.name, p), rrsets: new Map(), cut: null, lb: null });
      p = parentKey(p);
    }
  }
  // Delegation cuts: the highest NS-bearing ancestor below the apex rules everything under it.
  const frozen = new Map<string, ZoneNode>();
  const sorted = [...nodes.values()].sort((a, b) => a.name.key.length - b.name.key.length);
  for (const n of sorted) {
    let cut: ZoneNode | null = null;
    if (n.name.key !== apex.key) {
      const parent = parentKey(n.name.key)!;
      cut = parent === apex.key ? null : (frozen.get(parent)?.cut ?? null);
    }
    // Names without records (load-balanced only, empty non-terminals) share one empty map.
    const rrsets = n.rrsets.size === 0 ? (NO_RRSETS as Map<number, RRset>) : new Map<number, RRset>();
    for (const [type, set] of n.rrsets)
      rrsets.set(type, Object.freeze({ type, ttl: set.ttl, records: Object.freeze(set.records) }));
    const node: { name: DnsName; rrsets: Map<number, RRset>; cut: ZoneNode | null; lb: LbName | null } = {
      name: n.name,
      rrsets,
      cut,
      lb: n.lb,
    };
    if (!cut && n.name.key !== apex.key && rrsets.has(QTYPE.NS)) node.cut = node;
    const ds = dnssec && n.name.key !== apex.key && node.cut !== node ? n.rrsets.get(QTYPE.DS)?.raw[0] : undefined;
    if (ds)
      errors.push({
        file: ds.file,
        line: ds.line,
        message: `DS at '${nameToText(n.name.wire)}', which is no delegation (no NS records there): a DS belongs at a zone cut`,
        code: 'E_DNSSEC_SIGNER_RECORD',
      });
    if (node.cut && n.lb)
      errors.push({
        file: n.lb.file,
        line: n.lb.line,
        message: `name '${n.lb.label}' is at or below the delegation '${nameToText(node.cut.name.wire)}'`,
        code: 'E_ZONE_LB_BELOW_DELEGATION',
      });
    frozen.set(n.name.key, node);
  }

  if (errors.length > 0) return { zone: null, errors };
  const soaRec = soaSet.records[0]!;
  const fixed = soaRec.rdata[soaRec.rdata.length - 1] as Buffer;
  const minimum = fixed.readUInt32BE(fixed.length - 4);
  const negativeSoa: AnswerRecord = { ...soaRec, ttl: Math.min(soaSet.ttl, minimum) };
  const zone: Zone = Object.freeze({
    apex,
    nodes: frozen,
    soa: frozen.get(apex.key)!.rrsets.get(QTYPE.SOA)!,
    negativeSoa,
    policy,
    dnssec,
  });
  return { zone, errors };
}

/**
 * A signed zone's records that its keys and signer provide, reported at the record: RRSIG, NSEC, NSEC3
 * and NSEC3PARAM anywhere; DNSKEY, CDS, CDNSKEY and DS at the apex (DS is the parent's).
 */
function signerRecords(node: MutableNode, isApex: boolean, errors: ZoneError[]): void {
  for (const [type, set] of node.rrsets) {
    const r = set.raw[0]!;
    const signer = SIGNER_TYPES.get(type);
    const keyType = isApex ? APEX_KEY_TYPES.get(type) : undefined;
    const message =
      signer !== undefined
        ? `${signer} record in a signed zone: the signer makes ${signer} records, the master file may not give them`
        : keyType !== undefined
          ? `${keyType} at the apex of a signed zone: it is made from keys/, the master file may not give it`
          : isApex && type === QTYPE.DS
            ? "DS at the apex: the zone's DS records belong in the parent zone (gslb ds prints them)"
            : null;
    if (message !== null) errors.push({ file: r.file, line: r.line, message, code: 'E_DNSSEC_SIGNER_RECORD' });
  }
}

/** The DnsName of an ancestor, cut from a descendant's wire form (keeps the original case). */
function nameOfKeyFrom(descendant: DnsName, ancestorKey: string): DnsName {
  const off = descendant.key.length - ancestorKey.length;
  return { wire: descendant.wire.subarray(off), key: ancestorKey };
}

/** Finds the closest existing name at or above qkey within the zone. */
export function closestEncloser(zone: Zone, qkey: string): ZoneNode {
  let k: string | null = qkey;
  while (k !== null) {
    const n = zone.nodes.get(k);
    if (n) return n;
    if (k === zone.apex.key) break;
    k = parentKey(k);
  }
  return zone.nodes.get(zone.apex.key)!;
}

function addressRecordsFor(zone: Zone, target: DnsName, out: AnswerRecord[]): void {
  const node = zone.nodes.get(target.key);
  if (!node) return;
  for (const t of [QTYPE.A, QTYPE.AAAA]) {
    const set = node.rrsets.get(t);
    if (set) out.push(...set.records);
  }
}

/** Names whose A/AAAA go in the additional section: NS, MX exchange, SRV target (RFC 1035 3.3, RFC 2782). */
function additionalTargets(records: readonly AnswerRecord[]): DnsName[] {
  const out: DnsName[] = [];
  for (const r of records) {
    if (r.type === QTYPE.NS || r.type === QTYPE.MX || r.type === QTYPE.SRV) {
      const last = r.rdata[r.rdata.length - 1];
      if (last && isName(last)) out.push(last);
    }
  }
  return out;
}

function withAdditional(zone: Zone, answer: readonly AnswerRecord[]): AnswerRecord[] {
  const extra: AnswerRecord[] = [];
  const seen = new Set<string>();
  for (const t of additionalTargets(answer)) {
    if (seen.has(t.key) || !isAtOrBelow(t.key, zone.apex.key)) continue;
    seen.add(t.key);
    const node = zone.nodes.get(t.key);
    if (node && node.cut === null) addressRecordsFor(zone, t, extra);
  }
  return extra;
}

function referral(zone: Zone, cut: ZoneNode): LookupResult {
  const ns = cut.rrsets.get(QTYPE.NS)!;
  const glue: AnswerRecord[] = [];
  const other: AnswerRecord[] = [];
  const seen = new Set<string>();
  for (const t of additionalTargets(ns.records)) {
    if (seen.has(t.key) || !isAtOrBelow(t.key, zone.apex.key)) continue;
    seen.add(t.key);
    addressRecordsFor(zone, t, isAtOrBelow(t.key, cut.name.key) ? glue : other);
  }
  return {
    kind: 'referral',
    wildcard: false,
    sections: {
      rcode: 0,
      aa: false,
      answer: EMPTY,
      authority: ns.records,
      additional: [...glue, ...other],
      requiredAdditional: glue.length,
    },
  };
}

function negative(zone: Zone, kind: 'nodata' | 'nxdomain', wildcard: boolean): LookupResult {
  return {
    kind,
    wildcard,
    sections: {
      rcode: kind === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR,
      aa: true,
      answer: EMPTY,
      authority: [zone.negativeSoa],
      additional: EMPTY,
      requiredAdditional: 0,
    },
  };
}

/** A wildcard's records given the query's owner, each remembering the wildcard it came from. */
function retarget(records: readonly AnswerRecord[], owner: DnsName | null): AnswerRecord[] {
  return records.map((r) => ({ ...r, owner, wildcard: r.owner ?? undefined }));
}

/** Answers from one node (exact or wildcard-synthesized with the given owner). */
function answerFromNode(
  zone: Zone,
  node: ZoneNode,
  qtype: number,
  owner: DnsName | null,
  wildcard: boolean,
  depth: number,
  seen: Set<string>,
): LookupResult {
  const cname = node.rrsets.get(QTYPE.CNAME);
  // ANY at a CNAME returns the CNAME itself, unchased (as Knot and NSD do).
  if (cname && qtype !== QTYPE.CNAME && qtype !== QTYPE.ANY) {
    const records = wildcard ? retarget(cname.records, owner) : cname.records;
    const target = cname.records[0]!.rdata[0] as DnsName;
    return chase(zone, records, target, qtype, depth, seen, wildcard);
  }
  if (node.lb && !wildcard && (node.lb.cname || qtype === QTYPE.A || qtype === QTYPE.AAAA || qtype === QTYPE.ANY)) {
    const sections: Sections = {
      rcode: 0,
      aa: true,
      answer: EMPTY,
      authority: EMPTY,
      additional: EMPTY,
      requiredAdditional: 0,
    };
    return { kind: 'gslb', wildcard: false, sections, gslb: { name: node.lb, qtype } };
  }
  // RFC 8482: ANY is answered with one RRset rather than everything.
  const set = qtype === QTYPE.ANY ? node.rrsets.values().next().value : node.rrsets.get(qtype);
  if (!set) return negative(zone, 'nodata', wildcard);
  const records = wildcard ? retarget(set.records, owner) : set.records;
  return {
    kind: 'answer',
    wildcard,
    sections: {
      rcode: 0,
      aa: true,
      answer: records,
      authority: EMPTY,
      additional: withAdditional(zone, records),
      requiredAdditional: 0,
    },
  };
}

function chase(
  zone: Zone,
  cnames: readonly AnswerRecord[],
  target: DnsName,
  qtype: number,
  depth: number,
  seen: Set<string>,
  wildcard: boolean,
): LookupResult {
  const done = (): LookupResult => ({
    kind: 'cname',
    wildcard,
    sections: { rcode: 0, aa: true, answer: cnames, authority: EMPTY, additional: EMPTY, requiredAdditional: 0 },
  });
  if (depth >= MAX_CNAME_CHAIN || seen.has(target.key) || !isAtOrBelow(target.key, zone.apex.key)) return done();
  seen.add(target.key);
  const next = lookupName(zone, target.key, target, qtype, depth + 1, seen);
  const s = next.sections;
  return {
    kind: 'cname',
    ...(next.gslb ? { gslb: next.gslb } : {}),
    wildcard: wildcard || next.wildcard,
    sections: {
      rcode: s.rcode,
      aa: true,
      answer: [...cnames, ...s.answer],
      authority: s.authority,
      additional: s.additional,
      requiredAdditional: s.requiredAdditional,
    },
  };
}

function lookupName(
  zone: Zone,
  qkey: string,
  owner: DnsName | null,
  qtype: number,
  depth: number,
  seen: Set<string>,
): LookupResult {
  const encloser = closestEncloser(zone, qkey);
  if (encloser.cut && !(qtype === QTYPE.DS && encloser.cut === encloser && encloser.name.key === qkey))
    return referral(zone, encloser.cut);
  if (encloser.name.key === qkey) return answerFromNode(zone, encloser, qtype, owner, false, depth, seen);
  const wild = zone.nodes.get('\x01*' + encloser.name.key);
  if (wild) return answerFromNode(zone, wild, qtype, owner, true, depth, seen);
  return negative(zone, 'nxdomain', false);
}

/** Authoritative lookup of qkey (must be at or below the apex); qname-owned records have owner null. */
export function lookup(zone: Zone, qkey: string, qtype: number): LookupResult {
  return lookupName(zone, qkey, null, qtype, 0, new Set([qkey]));
}
