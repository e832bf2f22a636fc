// Hot-path answers for one load-balanced name: decisions are computed by decide() once per
// (candidate order, address family, health epoch) and kept as precompiled wire replies, one per
// round-robin slot; per-query policies (weighted, hashed) pick a datacenter, then reuse its replies.
// A decision depends on the client only through its candidate order, and client classes that give
// the name the same order (its pools restricted to the region's list) share one cached decision.
// Names whose policy reads no figures (RTT, load) follow the health's stateEpoch instead, so figures
// that change with every probe do not make them decide again every second.
import type { HealthView } from '../../health/view.js';
import { nameToText, type DnsName } from '../../zones/name.js';
import { parseIp } from '../../zones/address.js';
import { silentLogger, type Logger } from '../log.js';
import { LOAD_POLICIES, type LbName, type PolicyConfig } from '../../zones/policy-types.js';
import { QTYPE, type AnswerRecord, type Sections } from '../../zones/records.js';
import type { Zone } from '../../zones/zone.js';
import { encodeSections, type EncodedReply } from '../encode.js';
import { ParsedQuery } from '../query.js';
import type { Classifier, ClientClass } from './classify.js';
import { HASH_PREFIX, decide, decisionOf, type Decision, type DecideInput, type Outcome } from './decide.js';
import { planFor } from './plan.js';
import {
  candidateOrder,
  datacenterLoad,
  endpointStates,
  fnv1a,
  rendezvousScore,
  rotationSchedule,
  weightedPick,
} from './select.js';
import { NOT_SHEDDING, isShed, nextShedStep, stepShed, type ShedState } from './shed.js';

export interface LbReply {
  readonly replies: readonly EncodedReply[];
  readonly outcome: Outcome;
  readonly datacenter: string | null;
  /** Whether the reply depends on the client's class (so the ECS scope is the class's prefix). */
  readonly byClass: boolean;
  /** Counter key "datacenter|outcome" for decision counts. */
  readonly key: string;
  /** A shortened TTL ends at this time (ms): the reply must be rebuilt then; 0 when it never expires. */
  readonly expires: number;
  /** Whether the reply depends on the client's /24 (/56): shed load splits a class by subnet. */
  readonly bySubnet: boolean;
  /** Shed load: clients whose subnet hashes below `share` get these replies instead. */
  readonly spill: { readonly share: number; readonly reply: LbReply } | null;
  /** Queries answered with this reply and not yet added to the decision counts (count() is one increment). */
  hits: number;
}

const NO_SHED: ReadonlyMap<string, ShedState> = new Map();

/** Receives decision counts: a "datacenter|outcome" key and how many queries got it. */
export type DecisionSink = (key: string, n: number) => void;

/** Hands a cached reply's hits (and its shed spill's) to `into` and zeroes them. */
function takeHits(r: LbReply | undefined, into: DecisionSink): void {
  if (r === undefined) return;
  if (r.hits > 0) {
    into(r.key, r.hits);
    r.hits = 0;
  }
  if (r.spill) takeHits(r.spill.reply, into);
}

/** A client subnet's place in [0, 1) for shed load: /24 or /56, salted with the name so names differ. */
function subnetHash(subnet: Uint8Array, clientFamily: 4 | 6, salt: string): number {
  return fnv1a(subnet, HASH_PREFIX[clientFamily] >> 3, salt) / 4294967296;
}

/** Records for a decision: owner null points at the question (exact-name answers). */
export function decisionRecords(d: Decision, name: LbName, owner: DnsName | null, slot: number): AnswerRecord[] {
  const type = d.family === 4 ? QTYPE.A : QTYPE.AAAA;
  const schedule = rotationSchedule(
    d.endpoints,
    d.endpoints.map((e) => e.weight || 1),
    name.maxAnswers,
  );
  const order = schedule.length > 0 ? schedule[slot % schedule.length]! : [];
  return order.map((e) => ({ owner, type, klass: 1, ttl: d.ttl, rdata: [parseIp(e.address)!.bytes] }));
}

export class LbAnswerer {
  // Caches and counters start as null and are made on first use: a zone of 100,000 names has mostly
  // names nobody has asked for yet.
  private epoch = -1;
  private byClass: (LbReply | undefined)[] | null = null;
  /** weighted and hashed: replies by chosen datacenter, one map per family (keys are the policy's own strings). */
  private byDc: [Map<string, LbReply>, Map<string, LbReply>] | null = null;
  private healthy: ({ dcs: string[]; weights: number[] } | undefined)[] | null = null;
  private counts: Map<string, number> | null = null;
  private rr = 0;
  /** Load-aware policies: the datacenter last chosen per cache slot, kept within the margin. */
  private previous: (string | null)[] | null = null;
  /** Shed load: each datacenter's share given away, and when the shares may step next (made on first use:
   * 100,000 names should not carry empty maps). */
  private shed: Map<string, ShedState> | null = null;
  private shedEpoch = -1;
  private shedNext = Infinity;
  /**
   * Client class id -> index of its distinct candidate order (null: one order for every class).
   * Worked out on the first query, not at load: 100,000 names x every class would slow start-up.
   */
  private orderSlot: Uint16Array | null | undefined = undefined;
  /** Candidate orders (with family) whose all-down warning has been logged; made on first use. */
  private allDown: Set<string> | null = null;
  /** Load-aware policies and shed load decide on figures; the others on verdicts and drains only. */
  private readonly readsFigures: boolean;

  /** True when different client classes can get different answers. */
  get variesByClient(): boolean {
    if (this.orderSlot === undefined) this.orderSlot = this.orderSlots();
    return this.orderSlot !== null;
  }

  private orderSlots(): Uint16Array | null {
    if (this.classifier === null) return null;
    const orders = new Map<string, number>();
    const slots = this.classifier.classes.map((c) => {
      const key = candidateOrder(this.name, c).order.join(',');
      let slot = orders.get(key);
      if (slot === undefined) orders.set(key, (slot = orders.size));
      return slot;
    });
    return orders.size > 1 ? Uint16Array.from(slots) : null;
  }

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

  /**
   * Warns when every candidate of an order goes down, once until one is back: decisions are made
   * again on every health change (every second for figures), and the state has not changed.
   */
  private logAllDown(d: Decision): void {
    const down =
      d.outcome === 'fallback' || d.outcome === 'servfail' || (d.outcome === 'nodata' && d.fallback !== null);
    if (!down && this.allDown === null) return; // the common case: nothing down, nothing logged
    const key = `${d.family}|${d.order.join(',')}`;
    if (!down) {
      this.allDown!.delete(key);
      return;
    }
    if (this.allDown?.has(key)) return;
    (this.allDown ??= new Set()).add(key);
    this.log.warn(
      { name: nameToText(this.name.owner.wire), family: d.family, fallback: d.fallback, candidates: d.order },
      'every candidate is down: answering with the fallback',
    );
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

  /** A synthetic query for this name, to encode replies against (built when needed, not kept). */
  private question(): { qmsg: Buffer; q: ParsedQuery } {
    const qmsg = Buffer.alloc(12 + this.name.owner.wire.length + 4);
    this.name.owner.wire.copy(qmsg, 12);
    const q = new ParsedQuery();
    q.qkey = this.name.owner.key;
    q.qnameLength = this.name.owner.wire.length;
    q.questionEnd = qmsg.length;
    q.qclass = 1;
    return { qmsg, q };
  }

  private encode(d: Decision): LbReply {
    // Only a cached reply is ever counted: from its first one on, counter reads visit this answerer.
    this.answered?.add(this);
    const { qmsg, q } = this.question();
    const sections = (answer: AnswerRecord[], rcode: number, authority: AnswerRecord[]): Sections => ({
      rcode,
      aa: rcode === 0,
      answer,
      authority,
      additional: [],
      requiredAdditional: 0,
    });
    let replies: EncodedReply[];
    if (d.outcome === 'servfail') replies = [encodeSections(qmsg, q, sections([], 2, []))];
    else if (d.outcome === 'nodata' || d.endpoints.length === 0)
      replies = [encodeSections(qmsg, q, sections([], 0, [this.zone.negativeSoa]))];
    else {
      const slots = rotationSchedule(
        d.endpoints,
        d.endpoints.map((e) => e.weight || 1),
        this.name.maxAnswers,
      ).length;
      replies = [];
      for (let s = 0; s < slots; s++)
        replies.push(encodeSections(qmsg, q, sections(decisionRecords(d, this.name, null, s), 0, [])));
    }
    this.logAllDown(d);
    const reply: LbReply = {
      replies,
      outcome: d.outcome,
      datacenter: d.chosen,
      byClass: this.variesByClient && d.outcome !== 'nodata',
      key: `${d.chosen ?? '-'}|${d.outcome}`,
      expires: d.ttlUntil ?? 0,
      bySubnet: d.shed !== null,
      spill: null,
      hits: 0,
    };
    if (!d.shed) return reply;
    const moved = this.encode({ ...d, chosen: d.shed.to, endpoints: d.shed.endpoints, shed: null });
    return { ...reply, spill: { share: d.shed.fraction, reply: { ...moved, bySubnet: true } } };
  }

  /**
   * Hands the decisions served since the last take to `into`, by "datacenter|outcome" (primary,
   * failover, fallback, nodata, servfail; a key may come more than once), and starts again from zero.
   * The node's tally (server/decisions.ts) is the one reader; nothing is allocated for it here.
   */
  takeDecisions(into: DecisionSink): void {
    if (this.counts) {
      for (const [key, n] of this.counts) into(key, n);
      this.counts = null;
    }
    this.takeCached(into);
  }

  /** Counts a query answered with r: an increment on the reply, added to the counts when they are read. */
  count(r: LbReply): void {
    r.hits++;
  }

  /** Keeps a count until it is taken: what a cached reply had served when it is dropped. */
  private keep(key: string, n: number): void {
    const counts = (this.counts ??= new Map());
    counts.set(key, (counts.get(key) ?? 0) + n);
  }

  /** Keeps a reply's hits before it is dropped. */
  private fold(r: LbReply | undefined): void {
    if (r !== undefined) takeHits(r, (key, n) => this.keep(key, n));
  }

  /** Hands every cached reply's hits to `into`. */
  private takeCached(into: DecisionSink): void {
    if (this.byClass) for (const r of this.byClass) takeHits(r, into);
    if (this.byDc) for (const m of this.byDc) for (const r of m.values()) takeHits(r, into);
  }

  /** Keeps every cached reply's hits: before the caches are dropped. */
  private foldAll(): void {
    this.takeCached((key, n) => this.keep(key, n));
  }

  private sync(health: HealthView): void {
    const epoch = this.readsFigures ? health.epoch : health.stateEpoch;
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.foldAll();
      this.byClass = null;
      this.byDc = null;
      this.healthy = null;
    }
    if (this.name.shed) this.stepShed(health);
  }

  /**
   * Steps every datacenter's shed share when figures changed (a new epoch) or a step falls due; a
   * changed share drops the cached replies. Shares are per name: its own endpoints' utilisation.
   */
  private stepShed(health: HealthView): void {
    const cfg = this.name.shed!;
    const now = Date.now();
    if (health.epoch === this.shedEpoch && now < this.shedNext) return;
    this.shedEpoch = health.epoch;
    this.shedNext = Infinity;
    let changed = false;
    for (const p of this.name.pools) {
      const usable = endpointStates(this.name, p.datacenter, 0, health, this.policy.checks, this.policy.loads).filter(
        (s) => s.usable,
      );
      const u = datacenterLoad(usable).utilisation;
      const prev = this.shed?.get(p.datacenter) ?? NOT_SHEDDING;
      const next = stepShed(prev, u, cfg, now);
      if (next !== prev) {
        changed = true;
        (this.shed ??= new Map()).set(p.datacenter, next);
        this.log.info(
          { name: nameToText(this.name.owner.wire), datacenter: p.datacenter, utilisation: u, share: next.share },
          next.share > prev.share ? 'shedding load' : 'taking load back',
        );
      }
      const due = nextShedStep(next, u, cfg);
      if (due !== null && due < this.shedNext) this.shedNext = due;
    }
    if (changed) {
      this.foldAll();
      this.byClass = null;
    }
  }

  /** Shed load now, by datacenter: the share given away (for metrics). */
  shedShares(): ReadonlyMap<string, ShedState> {
    return this.shed ?? NO_SHED;
  }

  /** The inputs of decide() for a client class, with the policy's maps and this answerer's state (margin, shed). */
  private inputFor(
    cls: ClientClass | null,
    slot: number,
    family: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    rng: () => number,
  ): DecideInput {
    return {
      name: this.name,
      family,
      cls,
      subnet,
      health,
      rng,
      now: Date.now(),
      checks: this.policy.checks,
      loads: this.policy.loads,
      datacenters: this.policy.datacenters,
      previous: this.previous?.[slot] ?? null,
      shedShares: this.shed ?? NO_SHED,
    };
  }

  /** The class part of decide() with its first option (before any per-query pick): what reply() caches. */
  private decideFor(
    cls: ClientClass | null,
    slot: number,
    family: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    rng: () => number,
  ): Decision {
    const input = this.inputFor(cls, slot, family, subnet, health, rng);
    return decisionOf(planFor(input), 0, cls, subnet.length === 16 ? 6 : 4, 0);
  }

  /** Whether shed load moves this client: the lowest subnet hashes (by /24 or /56) go first. */
  private shedsClient(subnet: Uint8Array, clientFamily: 4 | 6, share: number): boolean {
    return isShed(subnetHash(subnet, clientFamily, this.name.owner.key), share);
  }

  /**
   * The reply set for a client. classId indexes the classifier's classes (0 without one); subnet is
   * the client address bytes (for hashed).
   */
  reply(
    classId: number,
    family: 4 | 6,
    clientFamily: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    rng: () => number,
  ): LbReply {
    this.sync(health);
    const policy = this.name.policy;
    if (policy === 'weighted' || policy === 'hashed') return this.perQuery(family, clientFamily, subnet, health, rng);
    const slot = this.slotOf(classId, family);
    let r = this.byClass?.[slot];
    if (r === undefined || (r.expires !== 0 && r.expires <= Date.now())) {
      const d = this.decideFor(this.classOf(classId), slot, family, subnet, health, rng);
      if (LOAD_POLICIES.has(policy)) (this.previous ??= [])[slot] = d.chosen;
      this.fold(r);
      r = this.encode(d);
      (this.byClass ??= [])[slot] = r;
    }
    if (r.spill && this.shedsClient(subnet, clientFamily, r.spill.share)) return r.spill.reply;
    return r;
  }

  /**
   * The decision for one client, as reply() makes it, shed load applied to its subnet: for answers
   * that are encoded per query (a CNAME chain ending here) and for explain against live state.
   */
  decision(
    classId: number,
    family: 4 | 6,
    _clientFamily: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    rng: () => number,
  ): Decision {
    this.sync(health);
    const cls = this.classOf(classId);
    return decide(this.inputFor(cls, this.slotOf(classId, family), family, subnet, health, rng));
  }

  /**
   * weighted and hashed: the datacenters queries are drawn among now and their weights, as reply()
   * uses them (the status page shows this split; not called while answering).
   */
  servingWeights(
    family: 4 | 6,
    health: HealthView,
  ): { readonly dcs: readonly string[]; readonly weights: readonly number[] } {
    this.sync(health);
    return this.healthyDatacenters(family, health);
  }

  /** Datacenters with usable endpoints of a family and their weights, computed once per health epoch. */
  private healthyDatacenters(family: 4 | 6, health: HealthView): { dcs: string[]; weights: number[] } {
    let h = this.healthy?.[family === 6 ? 1 : 0];
    if (h === undefined) {
      const dcs: string[] = [];
      const weights: number[] = [];
      for (const p of this.name.pools) {
        let w = 0;
        for (const s of endpointStates(this.name, p.datacenter, family, health, this.policy.checks, this.policy.loads))
          if (s.usable) w += s.endpoint.weight;
        if (w > 0) {
          dcs.push(p.datacenter);
          weights.push(w);
        }
      }
      h = { dcs, weights };
      (this.healthy ??= [])[family === 6 ? 1 : 0] = h;
    }
    return h;
  }

  /** weighted and hashed: choose the datacenter per query among the healthy ones, then reuse its replies. */
  private perQuery(
    family: 4 | 6,
    clientFamily: 4 | 6,
    subnet: Uint8Array,
    health: HealthView,
    rng: () => number,
  ): LbReply {
    const { dcs, weights } = this.healthyDatacenters(family, health);
    if (dcs.length === 0) return this.cached('', family, health, rng, subnet);
    let pick = 0;
    if (this.name.policy === 'weighted') pick = weightedPick(weights, rng);
    else {
      let best = -1;
      const bytes = HASH_PREFIX[clientFamily] >> 3;
      for (let i = 0; i < dcs.length; i++) {
        const score = rendezvousScore(subnet, bytes, dcs[i]!, weights[i]!);
        if (score > best) {
          best = score;
          pick = i;
        }
      }
    }
    return this.cached(dcs[pick]!, family, health, rng, subnet);
  }

  /** Replies for "datacenter dc was chosen" (or '' for the all-down fallback), cached per epoch. */
  private cached(dc: string, family: 4 | 6, health: HealthView, rng: () => number, subnet: Uint8Array): LbReply {
    const byDc = (this.byDc ??= [new Map(), new Map()])[family === 6 ? 1 : 0];
    let r = byDc.get(dc);
    if (r === undefined || (r.expires !== 0 && r.expires <= Date.now())) {
      const old = r;
      const d = this.decideFor(null, 0, family, subnet, health, rng);
      if (dc === '' || d.chosen === dc) r = this.encode(d);
      else {
        const endpoints = endpointStates(this.name, dc, family, health, this.policy.checks, this.policy.loads)
          .filter((s) => s.usable)
          .map((s) => s.endpoint);
        r = this.encode({ ...d, chosen: dc, endpoints, outcome: 'primary' });
      }
      this.fold(old);
      byDc.set(dc, r);
    }
    return r;
  }

  /** Next round-robin slot. */
  pick(r: LbReply): EncodedReply {
    const n = r.replies.length;
    if (n === 1) return r.replies[0]!;
    this.rr = (this.rr + 1) % 1_000_000_007;
    return r.replies[this.rr % n]!;
  }
}
