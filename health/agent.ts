// `gslb agent`: learns what to probe from the plans DNS nodes publish in Redis (the union: a target
// stays while any node references it), probes it from this datacenter, and publishes results and a
// heartbeat. Needs no zone files. State changes are published at once; RTT figures with the heartbeat.
import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from './log.js';
import { isLoadSpec, type ProbeSpec } from './probe-types.js';
import { publishedFigures } from './load/fold.js';
import { probedFrom } from './plan-types.js';
import { Prober } from './prober.js';
import type { TargetState } from './hysteresis.js';
import type { ReportedResult } from './quorum.js';
import { connect, parseRedisUrl, scanKeys, type RedisTls } from './redis-connect.js';
import { logConnectionErrors } from './redis-errors.js';
import {
  decodePlan,
  encodeAgent,
  encodeReports,
  encodeResult,
  keys as keysFor,
  mergePlans,
  PROTOCOL_VERSION,
  type Keys,
  type PlanDoc,
} from './redis-protocol.js';
import { runProbe, type RunProbe } from './checks/index.js';
import { USER_AGENT } from './checks/http.js';

export interface AgentOptions {
  readonly url: string;
  /** Certificates for a rediss:// or sentinels:// URL. */
  readonly tls?: RedisTls;
  /** Where the URL came from (`--redis`, `GSLB_REDIS_URL` ...), for the start-up log line. */
  readonly urlFrom?: string;
  readonly prefix: string;
  readonly datacenter: string;
  readonly id: string;
  readonly heartbeatMs?: number;
  /** How long results and the heartbeat live in Redis without a refresh. */
  readonly ttlMs?: number;
  readonly planRefreshMs?: number;
  readonly log?: Logger;
  readonly runProbe?: RunProbe;
}

/** Waits for a promise at most 500 ms and ignores its failure. */
export async function briefly(p: Promise<unknown>): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (t = setTimeout(r, 500)))]);
  clearTimeout(t);
}

/** An agent's http(s) User-Agent: `gslb-health-check (datacenter eu-west; agent eu-west-a)`. */
export function agentUserAgent(opts: Pick<AgentOptions, 'datacenter' | 'id'>): string {
  // Only visible ASCII: Node refuses a header with anything else, which would fail every http probe.
  return `${USER_AGENT} (datacenter ${opts.datacenter}; agent ${opts.id})`.replace(/[^\x20-\x7e]/g, '?');
}

export class Agent {
  private readonly k: Keys;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly log: Logger;
  private readonly prober: Prober;
  private readonly results = new Map<string, ReportedResult>();
  private specs = new Map<string, ProbeSpec>();
  /** Plan versions already warned about (skipped targets), by node: one warning per version. */
  private readonly warnedVersions = new Map<string, string>();
  private pending = new Map<string, ReportedResult>();
  private timers: NodeJS.Timeout[] = [];
  private connected = false;
  private targetsCount = 0;
  private stopped = false;

  constructor(private readonly opts: AgentOptions) {
    this.k = keysFor(opts.prefix);
    this.log = opts.log ?? silentLogger;
    const target = parseRedisUrl(opts.url, opts.tls);
    this.cmd = connect(target, `gslb-agent-${opts.id}`);
    this.sub = connect(target, `gslb-agent-${opts.id}-sub`);
    this.prober = new Prober({
      log: this.log,
      onResult: (key, _result, state, changed) => this.onResult(key, state, changed),
      runProbe: opts.runProbe ?? ((spec, signal) => runProbe(spec, signal, { userAgent: agentUserAgent(opts) })),
    });
    this.cmd.on('ready', () => void this.onReady());
    this.cmd.on('close', () => {
      if (this.connected) this.log.warn({}, 'redis connection lost; probing goes on, results are sent on reconnect');
      this.connected = false;
    });
    logConnectionErrors(this.cmd, target, this.log);
    this.sub.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis subscriber error'));
    this.sub.on('message', () => void this.loadPlans());
    void this.sub.subscribe(this.k.plansChannel).catch(() => {});
    this.log.info(
      { redis: target.display, from: opts.urlFrom, datacenter: opts.datacenter, agent: opts.id },
      'agent starting',
    );
  }

  start(): void {
    this.prober.start();
    this.timers.push(setInterval(() => void this.heartbeat(), this.opts.heartbeatMs ?? 1000));
    this.timers.push(setInterval(() => void this.loadPlans(), this.opts.planRefreshMs ?? 5000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.prober.stop();
    // Say goodbye if Redis is there; never hang a shutdown on it.
    if (this.connected) await briefly(this.cmd.del(this.k.agent(this.opts.id), this.k.results(this.opts.id)));
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  /** Number of targets probed now. */
  get targets(): number {
    return this.targetsCount;
  }

  private async onReady(): Promise<void> {
    this.connected = true;
    await this.loadPlans();
    // After a reconnect everything we know is sent again as a full state.
    await this.publish(new Map(this.results), true);
    await this.heartbeat();
  }

  private async loadPlans(): Promise<void> {
    if (!this.connected || this.stopped) return;
    try {
      const planKeys = await scanKeys(this.cmd, this.k.planPattern());
      const docs = planKeys.length > 0 ? await this.cmd.mget(...planKeys) : [];
      const plans: PlanDoc[] = [];
      for (let i = 0; i < planKeys.length; i++) {
        const d = decodePlan(docs[i] ?? null, planKeys[i]!);
        if (d.ok) {
          plans.push(d.value);
          if (d.value.skipped?.length && d.value.version !== this.warnedVersions.get(d.value.node)) {
            this.warnedVersions.set(d.value.node, d.value.version);
            this.log.warn({ node: d.value.node, skipped: d.value.skipped }, 'left out targets this agent cannot probe');
          }
        } else if (docs[i] !== null) this.log.warn({ error: d.error }, 'ignored malformed plan');
      }
      // Targets whose `from` leaves this datacenter out are not this agent's to probe at all.
      const targets = mergePlans(plans).filter((t) => probedFrom(t, this.opts.datacenter));
      this.specs = new Map(targets.map((t) => [t.key, t.spec]));
      this.prober.update(targets);
      const keep = new Set(targets.map((t) => t.key));
      const gone = [...this.results.keys()].filter((k) => !keep.has(k));
      for (const k of gone) this.results.delete(k);
      if (gone.length > 0) await this.cmd.hdel(this.k.results(this.opts.id), ...gone);
      if (targets.length !== this.targetsCount)
        this.log.info({ targets: targets.length, nodes: plans.length }, 'probe plan updated');
      this.targetsCount = targets.length;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'plan load failed; retrying');
    }
  }

  private onResult(key: string, state: TargetState, changed: boolean): void {
    const spec = this.specs.get(key);
    const r: ReportedResult = {
      up: state.up,
      rttMs: state.rttMs === null ? null : Math.round(state.rttMs * 10) / 10,
      reason: state.lastResult.reason,
      since: state.since,
      ...(spec && isLoadSpec(spec) ? publishedFigures(state, spec.maxAgeMs, Date.now()) : {}),
    };
    this.results.set(key, r);
    if (changed) {
      this.log.info({ target: key, up: r.up, reason: r.reason }, 'target state changed');
      void this.publish(new Map([[key, r]]), false);
    } else this.pending.set(key, r);
  }

  private async publish(results: ReadonlyMap<string, ReportedResult>, full: boolean): Promise<void> {
    if (!this.connected) return;
    const body = Object.fromEntries(results);
    try {
      const multi = this.cmd.multi();
      if (results.size > 0)
        multi.hset(
          this.k.results(this.opts.id),
          Object.fromEntries([...results].map(([k, v]) => [k, encodeResult(v)])),
        );
      multi.pexpire(this.k.results(this.opts.id), this.opts.ttlMs ?? 10_000);
      multi.publish(
        this.k.reportsChannel,
        encodeReports({
          v: PROTOCOL_VERSION,
          agent: this.opts.id,
          datacenter: this.opts.datacenter,
          at: Date.now(),
          results: body,
          ...(full ? { full: true } : {}),
        }),
      );
      await multi.exec();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'publish failed');
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.connected || this.stopped) return;
    const pending = this.pending;
    this.pending = new Map();
    try {
      await this.cmd.set(
        this.k.agent(this.opts.id),
        encodeAgent({
          v: PROTOCOL_VERSION,
          agent: this.opts.id,
          datacenter: this.opts.datacenter,
          at: Date.now(),
          targets: this.targetsCount,
        }),
        'PX',
        this.opts.ttlMs ?? 10_000,
      );
      await this.publish(pending, false);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'heartbeat failed');
    }
  }
}
