// What the query path did for one query, recorded when a pipeline is asked to trace it (explain):
// the client it used, the zone, the CNAME chain it followed, the load-balanced name, the client's
// class and why it is in it, and the exact Decision the reply was made from (its plan, the option its
// per-query pick chose: no second draw). Recording is off on the hot path: one null check where each
// fact is known.
import { nameToText } from '../zones/name.js';
import { QTYPE, isName, type AnswerRecord } from '../zones/records.js';
import type { LbAnswerer, LbReply } from './gslb/answerer.js';
import type { ClassReason } from './gslb/classify.js';
import type { ClientAddress } from './gslb/client.js';
import type { ClassPlan, Decision } from './gslb/decision-types.js';
import type { ParsedQuery } from './query.js';

export interface TracedClient {
  /** The address the decision used (the ECS address, else the resolver's), IPv4-mapped unmapped. */
  readonly bytes: Uint8Array;
  readonly family: 4 | 6;
  readonly fromEcs: boolean;
  /** The query's ECS source prefix, null without ECS. */
  readonly sourcePrefix: number | null;
  /** Added to the scope on the wire (96 for an IPv4-mapped ECS address). */
  readonly scopeOffset: number;
}

export interface TracedDecision {
  /** The load-balanced name, in presentation form. */
  readonly name: string;
  readonly answerer: LbAnswerer;
  /** The client's class id and its trie depth (the widest prefix over which the class holds). */
  readonly classId: number;
  readonly depth: number;
  /**
   * Why the client is in that class (the CIDR, subdivision, country, continent or default that
   * matched; nearest: distance or no location), as the classifier's compile recorded it; null
   * without a classifier (the policy does not read the client's location).
   */
  readonly reason: ClassReason | null;
  /** The decision the reply was made from. */
  readonly decision: Decision;
  /** The plan the served option is one of: every option a query could get and, drawn, their weights. */
  readonly plan: ClassPlan;
  /** The served option's index in plan.options. */
  readonly option: number;
}

export interface QueryTrace {
  /** The client the query path resolved (null when no load-balanced name was asked). */
  client: TracedClient | null;
  /** The zone that answered, in presentation form (null: outside every zone, or not IN). */
  zone: string | null;
  /** CNAME records followed before a load-balanced name: "owner. -> target." each. */
  cnames: string[];
  /** The load-balanced name that decided, if any. */
  lb: TracedDecision | null;
}

export function newTrace(): QueryTrace {
  return { client: null, zone: null, cnames: [], lb: null };
}

/** Records the client, the answerer and the decision served (called only while tracing). */
export function traceDecision(
  t: QueryTrace,
  q: ParsedQuery,
  c: ClientAddress,
  lb: LbAnswerer,
  r: LbReply,
  classId: number,
  depth: number,
): void {
  t.client = {
    bytes: Uint8Array.from(c.bytes),
    family: c.family,
    fromEcs: c.fromEcs,
    sourcePrefix: q.ecs ? q.ecs.sourcePrefix : null,
    scopeOffset: c.scopeOffset,
  };
  t.lb = {
    name: nameToText(lb.name.owner.wire),
    answerer: lb,
    classId,
    depth,
    reason: lb.classifier === null ? null : lb.classifier.reasons.of(classId, c.family, c.bytes),
    decision: lb.served(r, classId, c.family, depth),
    plan: r.plan,
    option: r.index,
  };
}

/** Records the CNAME records of a chain (called only while tracing). */
export function traceChain(t: QueryTrace, answer: readonly AnswerRecord[], qname: string): void {
  let owner = qname;
  for (const rr of answer) {
    if (rr.type !== QTYPE.CNAME) continue;
    const from = rr.owner === null ? owner : nameToText(rr.owner.wire);
    const target = rr.rdata[0];
    if (target === undefined || !isName(target)) continue;
    const to = nameToText(target.wire);
    t.cnames.push(`${from} -> ${to}`);
    owner = to;
  }
}
