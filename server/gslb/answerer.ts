// Hot-path answers for one load-balanced name: a cache of encoded replies keyed by (candidate order
// slot, family, option), valid for one health epoch and, for names that decide on figures, one
// steering epoch. A slot's plan comes from plan.ts and each query's option from pick.ts, the same
// functions decide() runs, so a reply serves exactly one decision's option and nothing overrides it.
// A decision depends on the client only through its candidate order, and client classes that give
// the name the same order (its pools restricted to the region's list) share one plan. Names whose
// policy reads no figures (RTT, load) follow the health's stateEpoch instead, so figures that change
// with every probe do not make them decide again every second. A reply's signed counterpart (DO=1,
// signed zones) lives beside it and goes with it.
import type { HealthView } from '../../health/view.js';
import { LOAD_POLICIES, type LbName, type PolicyConfig } from '../../zones/policy-types.js';
import type { Zone } from '../../zones/zone.js';
import type { EncodedReply } from '../encode.js';
import { silentLogger, type Logger } from '../log.js';
import { AllDownLog } from './all-down.js';
import type { Classifier, ClientClass } from './classify.js';
import { KeptCounts, decisionKey, takeHits, type Counted, type DecisionSink } from './counts.js';
import { decide, decisionOf } from './decide.js';
import type { ClassPlan, Decision, PlanInput, ServedOption } from './decision-types.js';
import { pickOption } from './pick.js';
import { planFor } from './plan.js';
import { candidateOrder, orderKey } from './select.js';
import type { SteeringView } from './steering-types.js';
import { encodeAnswer, encodeSignedAnswer, type SignedAnswer } from './wire.js';
import type { SignedZone } from '../../zones/dnssec/signed-answer.js';

export type { DecisionSink };

/** The replies of one option of a plan: what a query is answered with, and counted on. */
export interface LbReply extends Counted {
  readonly plan: ClassPlan;
  /** The option's index in plan.options. */
  readonly index: number;
  readonly option: ServedOption;
  /** One encoded reply per round-robin slot. */
  readonly replies: readonly EncodedReply[];
  /**
   * The same replies signed, for DO=1 queries of a signed zone: made on the first such query, kept
   * as long as this reply is cached and its signatures are not due for refresh.
   */
  signed: SignedAnswer | null;
}

/** A cached plan and the replies of the options served so far. */
interface Entry {
  readonly plan: ClassPlan;
  readonly replies: (LbReply | undefined)[];
}

export class LbAnswerer {
  // Caches are made on first use: a zone of 100,000 names has mostly names nobody has asked for yet.
  private epoch = -1;
  private steeringEpoch = -1;
  /** By slot: candidate order index * 2 + (family 6 ? 1 : 0). */
  private entries: (Entry | undefined)[] | null = null;
  private kept: KeptCounts | null = null;
  private allDown: AllDownLog | null = null;
  private rr = 0;
  /**
   * Client class id -> index of its distinct candidate order (null: one order for every class).
   * Worked out on the first query, not at load: 100,000 names x every class would slow start-up.
   */
  private orderSlot: Uint16Array | null | undefined = undefined;
  /** Load-aware policies and shed load decide on figures and steering; the others on verdicts and drains only. */
  private readonly readsFigures: boolean;

  constructor(
    readonly name: LbName,
    private readonly zone: Zone,
    readonly classifier: Classifier | null,
    private readonly policy: Pick<PolicyConfig, 'checks' | 'loads' | 'datacenters'>,
    private readonly log: Logger = silentLogger,
    /** The catalog's answerers that have made a reply (so may have counts): what counters read. */
    private readonly answered: Set<LbAnswerer> | null = null,
  ) {
    this.readsFigures = LOAD_POLICIES.has(name.policy) || name.shed !== null;
  }

  /** True when different client classes can get different answers. */
  get variesByClient(): boolean {
    if (this.orderSlot === undefined) this.orderSlot = this.orderSlots();
    return this.orderSlot !== null;
  }

  private orderSlots(): Uint16Array | null {
    if (this.classifier === null) return null;
    const orders = new Map<string, number>();
    const slots = this.classifier.classes.map((c) => {
      // Split tiers are part of the key: two regions with one order but different splits plan apart.
      const key = orderKey(candidateOrder(this.name, c));
      let slot = orders.get(key);
      if (slot === undefined) orders.set(key, (slot = orders.size));
      return slot;
    });
    return orders.size > 1 ? Uint16Array.from(slots) : null;
  }

  /** The cache slot of a (client class, family): classes with the same candidate order share it. */
  private slotOf(classId: number, family: 4 | 6): number {
    if (this.orderSlot === undefined) this.orderSlot = this.orderSlots();
    const order = this.orderSlot === null ? 0 : (this.orderSlot[classId] ?? 0);
    return order * 2 + (family === 6 ? 1 : 0);
  }

  classOf(id: number): ClientClass | null {
    return this.classifier?.classes[id] ?? null;
  }

  /** What the class part of a decision reads: the policy's maps and the node's steering for this order. */
  private planInput(
    cls: ClientClass | null,
    family: 4 | 6,
    health: HealthView,
    steering: SteeringView,
    now: number,
  ): PlanInput {
    const key = this.name.owner.key;
    return {
      name: this.name,
      family,
      cls,
      health,
      now,
      checks: this.policy.checks,
      loads: this.policy.loads,
      datacenters: this.policy.datacenters,
      previous: LOAD_POLICIES.has(this.name.policy)
        ? steering.previous(key, candidateOrder(this.name, cls).order.join(','), family)
        : null,
      ...(this.name.shed !== null ? { shedShares: steering.shedShares(key) } : {}),
      classesDiffer: this.variesByClient,
    };
  }

  /** Drops every cached plan when health or steering moved on, keeping their counts. */
  private sync(health: HealthView, steering: SteeringView): void {
    const epoch = this.readsFigures ? health.epoch : health.stateEpoch;
    const steered = this.readsFigures ? steering.epoch : 0;
    if (epoch === this.epoch && steered === this.steeringEpoch) return;
    this.epoch = epoch;
    this.steeringEpoch = steered;
    if (this.entries === null) return;
    for (const e of this.entries) this.keep(e);
    this.entries = null;
  }

  private keep(e: Entry | undefined): void {
    if (e === undefined) return;
    for (const r of e.replies) if (r !== undefined && r.hits > 0) (this.kept ??= new KeptCounts()).keep(r);
  }

  private build(
    slot: number,
    classId: number,
    family: 4 | 6,
    health: HealthView,
    steering: SteeringView,
    now: number,
  ): Entry {
    const plan = planFor(this.planInput(this.classOf(classId), family, health, steering, now));
    const entries = (this.entries ??= []);
    this.keep(entries[slot]);
    const e: Entry = { plan, replies: [] };
    entries[slot] = e;
    if (plan.fallback !== null || this.allDown !== null)
      (this.allDown ??= new AllDownLog(this.name, this.log)).note(plan);
    return e;
  }

  private encode(e: Entry, index: number): LbReply {
    // Only a reply is ever counted: from its first one on, counter reads visit this answerer.
    this.answered?.add(this);
    const option = e.plan.options[index]!;
    const r: LbReply = {
      plan: e.plan,
      index,
      option,
      replies: encodeAnswer(option, e.plan.family, this.name, this.zone),
      key: decisionKey(option.datacenter, option.outcome),
      hits: 0,
      signed: null,
    };
    e.replies[index] = r;
    return r;
  }

  /**
   * The replies for a client. classId indexes the classifier's classes (0 without one); subnet is the
   * client's address (4 or 16 bytes); `now` is read only when a plan is made or may have expired.
   */
  reply(
    classId: number,
    family: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    steering: SteeringView,
    now: () => number,
    rng: () => number,
  ): LbReply {
    this.sync(health, steering);
    const slot = this.slotOf(classId, family);
    let e = this.entries?.[slot];
    if (e === undefined || (e.plan.expires !== 0 && e.plan.expires <= now()))
      e = this.build(slot, classId, family, health, steering, now());
    const i = pickOption(e.plan, subnet, rng);
    return e.replies[i] ?? this.encode(e, i);
  }

  /** Counts a query answered with r: an increment on the reply, added to the counts when they are read. */
  count(r: LbReply): void {
    r.hits++;
  }

  /** Next round-robin slot. */
  pick(r: LbReply): EncodedReply {
    const n = r.replies.length;
    if (n === 1) return r.replies[0]!;
    return r.replies[this.nextSlot() % n]!;
  }

  /** pick() for a DO=1 query of a signed zone: the signed reply of the next round-robin slot. */
  pickSigned(r: LbReply, zone: SignedZone, now: number): EncodedReply {
    let s = r.signed;
    if (s === null || now >= s.refreshAt)
      s = r.signed = encodeSignedAnswer(r.option, r.plan.family, this.name, this.zone, zone, now);
    const n = s.replies.length;
    if (n === 1) return s.replies[0]!;
    return s.replies[this.nextSlot() % n]!;
  }

  /** Advances the round robin (also for answers encoded per query, a CNAME chain ending here). */
  nextSlot(): number {
    this.rr = (this.rr + 1) % 1_000_000_007;
    return this.rr;
  }

  /** The Decision a served reply stands for, for a client of `classId` (its trie depth `depth`). */
  served(r: LbReply, classId: number, clientFamily: 4 | 6, depth: number): Decision {
    return decisionOf(r.plan, r.index, this.classOf(classId), clientFamily, depth);
  }

  /**
   * The decision for one client against live state: decide() with this name's policy maps and the
   * node's steering, made afresh (the caches are not touched); for the status page's traffic view.
   * `depth` is the client's class trie depth (default: the whole address).
   */
  decision(
    classId: number,
    family: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    steering: SteeringView,
    now: number,
    rng: () => number,
    depth?: number,
  ): Decision {
    const input = this.planInput(this.classOf(classId), family, health, steering, now);
    return decide({ ...input, subnet, rng, ...(depth !== undefined ? { depth } : {}) });
  }

  /**
   * weighted and hashed: the datacenters queries are drawn among now and their weights, as the
   * plan reply() uses (the status page shows this split; not called while answering).
   */
  servingWeights(
    family: 4 | 6,
    health: HealthView,
    steering: SteeringView,
    now: number,
  ): { readonly dcs: readonly string[]; readonly weights: readonly number[] } {
    const plan = planFor(this.planInput(null, family, health, steering, now));
    if (plan.pick !== 'weighted' && plan.pick !== 'hashed') return { dcs: [], weights: [] };
    return { dcs: plan.options.map((o) => o.datacenter!), weights: plan.weights };
  }

  /**
   * Hands the decisions served since the last take to `into`, by "datacenter|outcome" (primary,
   * failover, fallback, nodata, servfail; a key may come more than once), and starts again from zero.
   * The node's tally (server/decisions.ts) is the one reader; nothing is allocated for it here.
   */
  takeDecisions(into: DecisionSink): void {
    this.kept?.take(into);
    if (this.entries === null) return;
    for (const e of this.entries) if (e !== undefined) for (const r of e.replies) takeHits(r, into);
  }
}
