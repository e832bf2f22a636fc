// A decision's answer as records and wire replies: the chosen endpoints in smooth-weighted
// round-robin order (one order per slot, at most max_answers each; CNAME endpoints one per slot, so
// each query's one CNAME rotates by weight), NODATA with the zone's SOA, or SERVFAIL. The answerer
// encodes an option's replies once (and, for DO=1 queries of a signed zone, their signed counterparts
// on first use); a CNAME chain into a load-balanced name appends the same records to its chain, per
// query.
import { parseIp } from '../../zones/address.js';
import type { DnsName } from '../../zones/name.js';
import { isCname, type Endpoint, type LbName } from '../../zones/policy-types.js';
import { CLASS, QTYPE, RCODE } from '../../zones/dns.js';
import type { AnswerRecord, Sections } from '../../zones/records.js';
import type { Zone } from '../../zones/zone.js';
import { signAnswer, type SignedZone } from '../../zones/dnssec/signed-answer.js';
import { encodeSections, type EncodedReply } from '../encode.js';
import { syntheticQuestion } from '../query.js';
import type { Outcome, SpreadGroup } from './decision-types.js';
import { rotationSchedule } from './select.js';

/** What an answer is made of: an option of a plan, or a whole Decision. */
export interface Answerable {
  readonly endpoints: readonly Endpoint[];
  /** spread: the datacenters it draws from, each rotated within its own places. */
  readonly groups?: readonly SpreadGroup[];
  readonly outcome: Outcome;
  readonly ttl: number;
}

const weightsOf = (endpoints: readonly Endpoint[]) => endpoints.map((e) => e.weight || 1);

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * spread: each datacenter's endpoints rotate within its own places of the answer, the first
 * datacenter's first. Enough slots for every group to come round (their least common multiple), at
 * most 64; past that, as many as the longest rotation.
 */
function groupedSchedule(groups: readonly SpreadGroup[], maxSlots = 64): Endpoint[][] {
  const each = groups.map((g) => rotationSchedule(g.endpoints, weightsOf(g.endpoints), g.answers));
  let slots = 1;
  for (const s of each) slots = (slots * s.length) / gcd(slots, s.length);
  if (slots > maxSlots) slots = Math.max(...each.map((s) => s.length));
  const out: Endpoint[][] = [];
  for (let k = 0; k < slots; k++) out.push(each.flatMap((s) => s[k % s.length]!));
  return out;
}

/** A CNAME answer is one record (RFC 1034 3.6.2: one CNAME per name); addresses up to max_answers. */
function schedule(o: Answerable, name: LbName): Endpoint[][] {
  if (isCnameAnswer(o)) return rotationSchedule(o.endpoints, weightsOf(o.endpoints), 1);
  if (o.groups !== undefined && o.groups.length > 1) return groupedSchedule(o.groups);
  return rotationSchedule(o.endpoints, weightsOf(o.endpoints), name.maxAnswers);
}

/** An endpoint's record: its address as A or AAAA, or the CNAME to its target. */
function endpointRecord(e: Endpoint, type: number, owner: DnsName | null, ttl: number): AnswerRecord {
  if (isCname(e)) return { owner, type: QTYPE.CNAME, klass: CLASS.IN, ttl, rdata: [e.cname] };
  return { owner, type, klass: CLASS.IN, ttl, rdata: [parseIp(e.address)!.bytes] };
}

/** How many round-robin slots an answer has (1 for an answer without records). */
export function slotCount(o: Answerable, name: LbName): number {
  return Math.max(1, schedule(o, name).length);
}

/**
 * The records of round-robin slot `slot` (its addresses, or its one CNAME); owner null points at the
 * question (exact-name answers).
 */
export function optionRecords(
  o: Answerable,
  family: 4 | 6,
  name: LbName,
  owner: DnsName | null,
  slot: number,
): AnswerRecord[] {
  const type = family === 4 ? QTYPE.A : QTYPE.AAAA;
  const slots = schedule(o, name);
  const order = slots.length > 0 ? slots[slot % slots.length]! : [];
  return order.map((e) => endpointRecord(e, type, owner, o.ttl));
}

/**
 * An answer added to `base` (the sections so far: empty for the name itself, the chain for a CNAME
 * into it): SERVFAIL, NODATA with the zone's SOA, or the records of slot `slot` owned by `owner`.
 */
export function answerSections(
  base: Sections,
  o: Answerable,
  family: 4 | 6,
  name: LbName,
  zone: Zone,
  owner: DnsName | null,
  slot: number,
): Sections {
  // SERVFAIL is not authoritative data; a CNAME chain before it keeps its AA (as it always has).
  if (o.outcome === 'servfail') return { ...base, rcode: RCODE.SERVFAIL, aa: base.answer.length > 0 && base.aa };
  if (o.outcome === 'nodata' || o.endpoints.length === 0) return { ...base, authority: [zone.negativeSoa] };
  return { ...base, answer: [...base.answer, ...optionRecords(o, family, name, owner, slot)] };
}

const EMPTY: Sections = Object.freeze({
  rcode: 0,
  aa: true,
  answer: [],
  authority: [],
  additional: [],
  requiredAdditional: 0,
});

/** How many replies an answer has: one per round-robin slot, one for SERVFAIL and NODATA. */
function replyCount(o: Answerable, name: LbName): number {
  return o.outcome === 'servfail' || o.outcome === 'nodata' ? 1 : slotCount(o, name);
}

/** The wire replies of an answer for the name's own question, one per round-robin slot. */
export function encodeAnswer(o: Answerable, family: 4 | 6, name: LbName, zone: Zone): EncodedReply[] {
  const { qmsg, q } = syntheticQuestion(name.owner);
  const replies: EncodedReply[] = [];
  const n = replyCount(o, name);
  for (let s = 0; s < n; s++)
    replies.push(encodeSections(qmsg, q, answerSections(EMPTY, o, family, name, zone, null, s), true));
  return replies;
}

/** An answer's signed replies (DO=1), slot by slot as encodeAnswer's, and when they are to be made again. */
export interface SignedAnswer {
  readonly replies: readonly EncodedReply[];
  /** ms: from then on a signature in them is due for refresh. */
  readonly refreshAt: number;
}

/** Whether an answer is a CNAME (a CNAME name's endpoint, or the fallback CNAME). */
export function isCnameAnswer(o: Answerable): boolean {
  const first = o.endpoints[0];
  return first !== undefined && isCname(first) && o.outcome !== 'servfail' && o.outcome !== 'nodata';
}

/**
 * encodeAnswer's replies signed: RRSIGs over the address (or CNAME) RRset of each slot, or the NODATA
 * proof (an NSEC at the name without the family's type). The signer caches signatures by RRset
 * content, so the replies of an answer seen before (a failover and back) cost no signature. A CNAME answer (and a
 * CNAME name's NODATA) is signed as the answer to a CNAME query: the CNAME is the whole answer, which
 * asks no proof about its target (even one in this zone: the resolver asks for it), and the NODATA
 * proof is the NSEC without CNAME in its bitmap, so it denies every type the query may have asked.
 */
export function encodeSignedAnswer(
  o: Answerable,
  family: 4 | 6,
  name: LbName,
  zone: Zone,
  signed: SignedZone,
  now: number,
): SignedAnswer {
  const { qmsg, q } = syntheticQuestion(name.owner);
  const qtype = name.cname || isCnameAnswer(o) ? QTYPE.CNAME : family === 4 ? QTYPE.A : QTYPE.AAAA;
  const replies: EncodedReply[] = [];
  let refreshAt = Infinity;
  const n = replyCount(o, name);
  for (let s = 0; s < n; s++) {
    const r = signAnswer(signed, name.owner, qtype, answerSections(EMPTY, o, family, name, zone, null, s), now);
    if (r.refreshAt < refreshAt) refreshAt = r.refreshAt;
    replies.push(encodeSections(qmsg, q, r.sections, true));
  }
  return { replies, refreshAt };
}
