// The DNS node's health source with --redis: publishes this node's probe plan, follows agents'
// reports by subscription, resyncs in full on every (re)connect, combines reports by quorum, and
// keeps serving the last known state through a Redis outage (then applies the stale policy).
// Nothing here is ever awaited by the query path: view() returns the current immutable snapshot,
// which this source rebuilds on its own timers (a short debounce after reports, a tick for time).
import type { Redis } from 'ioredis';
import { briefly } from './agent.js';
import { DrainSet } from './drains.js';
import { silentLogger, type Logger } from './log.js';
import {
  combine,
  linkVerdict,
  type AgentReports,
  type AgentVerdict,
  type LinkVerdict,
  type QuorumConfig,
  type ReportedResult,
  type StalePolicy,
} from './quorum.js';
import { connect, parseRedisUrl, type RedisTls } from './redis-connect.js';
import { logConnectionErrors } from './redis-errors.js';
import {
  decodeReports,
  encodePlan,
  keys as keysFor,
  PROTOCOL_VERSION,
  type Keys,
  type PlanDoc,
} from './redis-protocol.js';
import { readAgents, readDrains } from './redis-read.js';
import { probedFrom, type PlanTarget } from './plan-types.js';
import type { HealthMatrix, HealthSource, MatrixCell } from './source.js';
import { drain, undrain } from './drain-store.js';
import { UNKNOWN_UP, type HealthView, type TargetHealth } from './view.js';
import { ViewBuilder } from './view-builder.js';

export type { StalePolicy } from './quorum.js';

export interface RedisSourceOptions {
  readonly url: string;
  /** Certificates for a rediss:// or sentinels:// URL. */
  readonly tls?: RedisTls;
  /** Where the URL came from (`--redis`, `GSLB_REDIS_URL` ...), for the start-up log line. */
  readonly urlFrom?: string;
  readonly prefix: string;
  readonly nodeId: string;
  readonly quorum: QuorumConfig;
  /** How long to answer from the last known state while Redis is unreachable. */
  readonly graceMs: number;
  /** After the grace period: 'open' treats every target as up, 'keep' keeps the last state. */
  readonly stalePolicy: StalePolicy;
  readonly log?: Logger;
  readonly now?: () => number;
}

export interface RedisSourceStatus {
  readonly connected: boolean;
  readonly stale: boolean;
  readonly lastResync: number | null;
  readonly resyncs: number;
  readonly disconnectedSince: number | null;
  readonly badMessages: number;
  readonly agents: readonly AgentVerdict[];
  readonly reportsByAgent: ReadonlyMap<string, ReadonlyMap<string, ReportedResult>>;
  readonly drains: ReturnType<DrainSet['list']>;
}

const PLAN_TTL_S = 30;
const PLAN_REFRESH_MS = 10_000;
const TICK_MS = 200;
/** Shortest time between two view rebuilds: bounds churn cost; far below the 1 s staleness budget. */
const REBUILD_MS = 50;
/** What every target reads as once failing open (one object: the view builder compares it by identity). */
const FAILING_OPEN: TargetHealth = Object.freeze({
  ...UNKNOWN_UP,
  reason: 'redis unreachable past the grace period: failing open',
});

interface AgentState {
  datacenter: string;
  heardAt: number;
  results: Map<string, ReportedResult>;
}

export class RedisHealthSource implements HealthSource {
  private readonly k: Keys;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly agents = new Map<string, AgentState>();
  private drains = new DrainSet(new Map());
  private plan: PlanDoc | null = null;
  private planDcs = new Map<string, readonly string[]>();
  /** Who probes the targets that say (their `from`): only those datacenters' agents vote on them. */
  private planProbers = new Map<string, readonly string[]>();
  private connected = false;
  private disconnectedSince: number | null = null;
  private lastResync: number | null = null;
  private resyncs = 0;
  private badMessages = 0;
  private stale = false;
  private readonly views: ViewBuilder;
  /** The last combined verdicts (failing open or not), for each target's `since`. */
  private lastTargets = new Map<string, TargetHealth>();
  private lastVerdicts: AgentVerdict[] = [];
  /** Something a view depends on changed since the last rebuild. */
  private dirty = true;
  private lastRebuildAt = 0;
  private rebuildTimer: NodeJS.Timeout | null = null;
  private lastTickAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  private stopped = false;

  constructor(private readonly opts: RedisSourceOptions) {
    this.k = keysFor(opts.prefix);
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
    const target = parseRedisUrl(opts.url, opts.tls);
    this.cmd = connect(target, `gslb-node-${opts.nodeId}`);
    this.sub = connect(target, `gslb-node-${opts.nodeId}-sub`);
    this.views = new ViewBuilder(this.now);
    this.firstSync = new Promise((r) => (this.resolveFirstSync = r));
    this.cmd.on('ready', () => void this.onReady());
    this.cmd.on('close', () => this.onDisconnect());
    logConnectionErrors(this.cmd, target, this.log);
    this.sub.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis subscriber error'));
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    void this.sub.subscribe(this.k.reportsChannel, this.k.drainsChannel).catch(() => {});
    this.log.info({ redis: target.display, from: opts.urlFrom, prefix: opts.prefix }, 'health from redis');
  }

  /** Resolves once the first full resync is done (warm start), or after timeoutMs; true when synced. */
  async start(timeoutMs: number): Promise<boolean> {
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.timers.push(setInterval(() => void this.publishPlan(false), PLAN_REFRESH_MS));
    for (const t of this.timers) t.unref();
    let timer: NodeJS.Timeout | undefined;
    const synced = await Promise.race([
      this.firstSync.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!synced)
      this.log.warn({ timeoutMs }, 'redis not reachable at start: answering without health data until it is');
    return synced;
  }

  /** The probe plan of this node: what agents must probe for it. Published now and refreshed. */
  setPlan(targets: readonly PlanTarget[], version: string): void {
    this.plan = { v: PROTOCOL_VERSION, node: this.opts.nodeId, version, at: this.now(), targets };
    this.planDcs = new Map(targets.map((t) => [t.key, t.datacenters]));
    this.planProbers = new Map(targets.flatMap((t) => (t.from ? [[t.key, t.from] as const] : [])));
    this.changed();
    void this.publishPlan(true);
  }

  /** The current snapshot, built beforehand: the query path only reads a field. */
  view(): HealthView {
    return this.views.view;
  }

  status(): RedisSourceStatus {
    const reportsByAgent = new Map<string, ReadonlyMap<string, ReportedResult>>();
    for (const [id, a] of this.agents) reportsByAgent.set(id, a.results);
    return {
      connected: this.connected,
      stale: this.stale,
      lastResync: this.lastResync,
      resyncs: this.resyncs,
      disconnectedSince: this.disconnectedSince,
      badMessages: this.badMessages,
      agents: this.lastVerdicts,
      reportsByAgent,
      drains: this.drains.list(this.now()),
    };
  }

  matrix(): HealthMatrix {
    const now = this.now();
    const view = this.view();
    const st = this.status();
    const targets = (this.plan?.targets ?? []).map((t) => {
      const h = view.target(t.key);
      const cells: Record<string, MatrixCell | null> = {};
      for (const [id, a] of this.agents) {
        // An agent outside the target's `from` is not asked (an older agent's report does not count).
        const r = probedFrom(t, a.datacenter) ? a.results.get(t.key) : undefined;
        cells[id] = r ? { up: r.up, reason: r.reason, rttMs: r.rttMs, ageMs: Math.max(0, now - a.heardAt) } : null;
      }
      return { key: t.key, datacenters: t.datacenters, verdict: h, cells };
    });
    return {
      mode: 'redis',
      agents: st.agents.map((a) => ({
        id: a.agent,
        datacenter: a.datacenter,
        ageMs: a.ageMs,
        fresh: a.fresh,
        discounted: a.discounted,
        reason: a.reason,
      })),
      targets,
      redis: {
        connected: st.connected,
        stale: st.stale,
        lastResync: st.lastResync,
        resyncs: st.resyncs,
        disconnectedSince: st.disconnectedSince,
        badMessages: st.badMessages,
      },
      drains: st.drains.map((d) => ({ field: d.field, until: d.until, by: d.by, reason: d.reason })),
    };
  }

  async setDrain(
    target: { datacenter: string } | { endpoint: string },
    drained: boolean,
    opts?: { forMs: number | null; by: string; reason: string },
  ): Promise<void> {
    if (drained) await drain(this.opts, this.opts.prefix, target, opts ?? { forMs: null, by: 'admin', reason: '' });
    else await undrain(this.opts, this.opts.prefix, target);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    if (this.plan && this.connected) await briefly(this.cmd.del(this.k.plan(this.opts.nodeId)));
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  private async publishPlan(announce: boolean): Promise<void> {
    if (!this.plan || !this.connected || this.stopped) return;
    try {
      await this.cmd.set(this.k.plan(this.opts.nodeId), encodePlan({ ...this.plan, at: this.now() }), 'EX', PLAN_TTL_S);
      if (announce)
        await this.cmd.publish(
          this.k.plansChannel,
          JSON.stringify({ node: this.opts.nodeId, version: this.plan.version }),
        );
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'plan publish failed; will retry');
    }
  }

  private async onReady(): Promise<void> {
    try {
      await this.resync();
      await this.publishPlan(true);
      this.resolveFirstSync();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'redis resync failed; retrying on the next connect');
    }
  }

  private onDisconnect(): void {
    if (this.connected) {
      this.connected = false;
      this.disconnectedSince = this.now();
      this.log.warn({}, 'redis connection lost: answering from the last known health state');
      this.changed();
    }
  }

  /** Reads every agent's heartbeat and results and the drains: the state after a (re)connect. */
  private async resync(): Promise<void> {
    const read = await readAgents(this.cmd, this.k, (e) => this.bad(e));
    const now = this.now();
    this.agents.clear();
    // An agent counts as heard at its last heartbeat, as simulate --redis reads it: its key outlives the
    // last beat by the agent's TTL (10 s), longer than --max-age, so "the key exists" alone would let an
    // agent that stopped a few seconds ago vote for a while. Capped at now: a clock ahead makes no
    // agent younger than fresh.
    for (const a of read)
      this.agents.set(a.agent, { datacenter: a.datacenter, heardAt: Math.min(a.at, now), results: a.results });
    await this.readDrains();
    this.connected = true;
    this.disconnectedSince = null;
    this.lastResync = this.now();
    this.resyncs++;
    // Built here, not on a timer: start() resolves right after, with the view of the synced state.
    this.rebuild();
    this.log.info({ agents: this.agents.size, drains: this.drains.size }, 'health resynced from redis');
  }

  private async readDrains(): Promise<void> {
    this.drains = await readDrains(this.cmd, this.k, (e) => this.bad(e));
    this.changed();
  }

  private bad(error: string): void {
    this.badMessages++;
    this.log.warn({ error }, 'ignored malformed health data in redis');
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.k.drainsChannel) {
      void this.readDrains().catch((err: Error) => this.log.debug({ err: err.message }, 'drain read failed'));
      return;
    }
    if (channel !== this.k.reportsChannel) return;
    const m = decodeReports(message);
    if (!m.ok) return this.bad(m.error);
    const r = m.value;
    let a = this.agents.get(r.agent);
    if (!a || r.full) {
      a = { datacenter: r.datacenter, heardAt: 0, results: new Map() };
      this.agents.set(r.agent, a);
    }
    a.datacenter = r.datacenter;
    a.heardAt = this.now();
    for (const [key, res] of Object.entries(r.results)) a.results.set(key, res);
    if (Object.keys(r.results).length > 0 || r.full) this.changed();
  }

  /**
   * Something a view depends on changed: rebuild soon, on a timer of this source's own. Under churn
   * (hundreds of reports a second) that is at most every REBUILD_MS, so a burst of reports makes one
   * view, and cached decisions live a while.
   */
  private changed(): void {
    this.dirty = true;
    if (this.rebuildTimer || this.stopped) return;
    const wait = Math.max(0, this.lastRebuildAt + REBUILD_MS - this.now());
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      if (this.dirty && !this.stopped) this.rebuild();
    }, wait);
    this.rebuildTimer.unref();
  }

  /** Ages agents out, ends the grace period, expires drains: the view changes with time alone. */
  private tick(): void {
    const now = this.now();
    const { voteAt, stale } = this.link(now);
    for (const v of this.lastVerdicts) {
      const a = this.agents.get(v.agent);
      if (a && v.fresh !== voteAt - a.heardAt <= this.opts.quorum.maxAgeMs) this.dirty = true;
    }
    if (stale !== this.stale) {
      this.stale = stale;
      this.dirty = true;
      if (stale)
        this.log.warn(
          { graceMs: this.opts.graceMs, policy: this.opts.stalePolicy },
          'redis unreachable past the grace period: applying the stale policy',
        );
    }
    // A drain that ended since the last tick (timers drift under load: compare with that tick).
    const exp = this.drains.nextExpiry(this.lastTickAt);
    this.lastTickAt = now;
    if (exp !== null && exp <= now) this.dirty = true; // cached decisions must see the drain end
    // Forget agents gone for long (their keys expired): they no longer vote or show in status.
    for (const [id, a] of this.agents)
      if (this.connected && now - a.heardAt > this.opts.quorum.maxAgeMs * 10) this.agents.delete(id);
    if (this.dirty) this.rebuild();
  }

  /** While Redis is unreachable, time stands still for agent ages; past the grace, the stale policy. */
  private link(now: number): LinkVerdict {
    return linkVerdict(
      { connected: this.connected, disconnectedSince: this.disconnectedSince },
      this.opts.graceMs,
      this.opts.stalePolicy,
      now,
    );
  }

  private rebuild(): void {
    this.dirty = false;
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
    const now = this.now();
    this.lastRebuildAt = now;
    const reports: AgentReports[] = [...this.agents].map(([agent, a]) => ({
      agent,
      datacenter: a.datacenter,
      heardAt: a.heardAt,
      results: a.results,
    }));
    // Failing open follows this.stale, which the tick sets (and logs).
    const { voteAt } = this.link(now);
    const combined = combine(reports, this.planDcs, this.opts.quorum, voteAt, this.planProbers);
    this.lastVerdicts = [...combined.agents];
    const targets = new Map<string, TargetHealth>();
    for (const [key, t] of combined.targets) {
      const prev = this.lastTargets.get(key);
      // "since" is when this node's verdict last flipped, on this node's clock. A target this node
      // has no verdict for yet (it started, or the target is new) has not flipped here: it takes the
      // agents' own time of their last flip (0 when none flipped), so a restart is not a change.
      const since = prev ? (prev.up === t.up ? prev.since : now) : Math.min(t.since, now);
      targets.set(key, { ...t, since });
    }
    this.lastTargets = targets;
    const failOpen = this.stale && this.opts.stalePolicy === 'open';
    this.views.update({
      targets: failOpen ? new Map() : targets,
      drains: this.drains.list(now).map((d) => ({ field: d.field, until: d.until })),
      unknown: failOpen ? FAILING_OPEN : UNKNOWN_UP,
    });
  }
}
