// A decision's answer as records and wire replies: the chosen endpoints in smooth-weighted
// round-robin order (one order per slot, at most max_answers each), NODATA with the zone's SOA, or
// SERVFAIL. The answerer encodes an option's replies once (and, for DO=1 queries of a signed zone,
// their signed counterparts on first use); a CNAME chain into a load-balanced name appends the same
// records to its chain, per query.
import { parseIp } from '../../zones/address.js';
import type { DnsName } from '../../zones/name.js';
import type { Endpoint, LbName } from '../../zones/policy-types.js';
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

function schedule(o: Answerable, name: LbName): Endpoint[][] {
  if (o.groups !== undefined && o.groups.length > 1) return groupedSchedule(o.groups);
  return rotationSchedule(o.endpoints, weightsOf(o.endpoints), name.maxAnswers);
}

/** How many round-robin slots an answer has (1 for an answer without records). */
export function slotCount(o: Answerable, name: LbName): number {
  return Math.max(1, schedule(o, name).length);
}

/** The address records of round-robin slot `slot`; owner null points at the question (exact-name answers). */
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
  return order.map((e) => ({ owner, type, klass: CLASS.IN, ttl: o.ttl, rdata: [parseIp(e.address)!.bytes] }));
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

/**
 * encodeAnswer's replies signed: RRSIGs over the address RRset of each slot, or the NODATA proof (an
 * NSEC at the name without the family's type). The signer caches signatures by RRset content, so the
 * replies of an answer seen before (a failover and back) cost no signature.
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
  const qtype = family === 4 ? QTYPE.A : QTYPE.AAAA;
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
