// --workers N: one primary owns health (the prober or the Redis subscriber) and the admin API; N
// worker processes serve the same UDP and TCP ports (shared handles, accepted by the workers
// themselves) and answer from the primary's health snapshots. Reloads go to one worker at a time, so
// while one builds the new config (seconds for 100,000 names) the others keep answering from the
// shared sockets; the primary, which serves no DNS, builds last so it takes no CPU from them. Worker
// counters come back to the primary every second for the metrics. The primary's steering state (the
// margin rule's choices, shed shares) travels in the same message as each health snapshot, so every
// worker answers as the primary's explain and /metrics say, and never sees one without the other.
// Each worker signs with its own signer: its signature counts come back with its counters (summed)
// and its earliest signature expiry (the primary shows the earliest of all). DNSSEC key events are
// timed by the primary and reload in the same rounds as SIGHUP.
import cluster, { type Worker } from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HealthSource } from '../health/source.js';
import { SnapshotHealthSource, snapshotOf, type HealthSnapshot } from '../health/snapshot.js';
import type { DecisionReport } from './decisions.js';
import { INITIAL_STEERING, steeringFromSnapshot, steeringSnapshot, type SteeringSnapshot } from './gslb/steering.js';
import { NO_STEERING, type SteeringView } from './gslb/steering-types.js';
import { workerExecArgv } from './heap.js';
import type { Logger } from './log.js';
import type { DnsNode, ReloadResult } from './node.js';
import { PipelineStats, statsSnapshot, sumStats, withoutExpiry, type StatsSnapshot } from './stats.js';
import type { EpisodeLog } from './rrl-log.js';
import type { RrlEpisode, RrlHooks } from './rrl/limiter.js';
import { gateKey, type Admission, type ConnectionGate } from './tcp-gate.js';

type DrainArgs = [
  target: { datacenter: string } | { endpoint: string },
  drained: boolean,
  opts?: { forMs: number | null; by: string; reason: string },
];

type ToWorker =
  | { t: 'health'; s: HealthSnapshot; steering: SteeringSnapshot }
  | { t: 'reload' }
  /** The node's answer to a worker's tcp-admit. */
  | { t: 'tcp-admitted'; id: number; ok: Admission };
type ToPrimary =
  | { t: 'hello' }
  | { t: 'listening' }
  /**
   * s: the worker's counters since it started; decisions: what it counted since its last report;
   * loopP99: its event-loop delay's 99th percentile since the last report, in seconds;
   * stateEpoch: the health state it answers from (the primary's numbering).
   */
  | { t: 'stats'; s: StatsSnapshot; decisions: DecisionReport; loopP99: number; stateEpoch: number }
  /** A rate-limiting episode started or stopped in the worker (the node logs it once). */
  | { t: 'rrl'; started: boolean; e: RrlEpisode; why?: string }
  /** May this TCP client hold one more connection (--tcp-max-per-client counts for the node)? */
  | { t: 'tcp-admit'; id: number; address: string }
  | { t: 'tcp-release'; address: string }
  | { t: 'drain'; id: number; args: DrainArgs }
  | { t: 'reloaded'; ok: boolean }
  /** The worker could not start: one line saying why (and its code), after the lines it rests on (zone errors). */
  | { t: 'fatal'; message: string; details: string[]; code?: string };

/** Longest wait for one worker's reload before the next worker is told anyway. */
const RELOAD_STEP_TIMEOUT_MS = 120_000;

export const isWorker = (): boolean => cluster.isWorker;

/** Why the workers did not all start: the first failing worker's own words, for the primary to print. */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly details: readonly string[] = [],
    /** The worker's error code (docs/errors.md), when its failure had one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface PrimaryHandle {
  /**
   * Resolves when every worker listens; rejects with a WorkerStartError as soon as one reports that it
   * cannot start or exits before listening (no replacement is started then: it would fail the same way).
   */
  readonly ready: Promise<void>;
  /**
   * Reloads the workers one at a time, then the primary itself, and resolves with the primary's
   * result. A worker that fails ends the round: the ones after it would read the same files (the
   * primary still reloads, so the admin API and the metrics report the errors). Asked for during a
   * round, one more round follows it, for every request made meanwhile.
   */
  reload(reason: string): Promise<ReloadResult>;
  /** SIGTERM to every worker, SIGKILL to those still there after killAfterMs (default 6 s). */
  stop(killAfterMs?: number): Promise<void>;
}

/** What the primary keeps for the node as a whole on its workers' behalf (issue #17). */
export interface PrimaryGuards {
  /** Logs rate-limiting episodes once per node; null without --rrl-rate. */
  readonly episodes: EpisodeLog | null;
  /** --tcp-max-per-client and --tcp-max-connections, counted over every worker's connections. */
  readonly tcpMaxPerClient: number;
  readonly tcpMaxConnections: number;
}

/**
 * The node's TCP connections over all workers, per client address (--tcp-max-per-client) and in all
 * (--tcp-max-connections): each worker asks before it reads from a new connection, and tells when
 * one closes; a worker that exits takes its own with it.
 */
class NodeConnectionCount {
  private readonly total = new Map<string, number>();
  private readonly byWorker = new Map<number, Map<string, number>>();
  private open = 0;
  constructor(
    private readonly maxPerClient: number,
    private readonly maxConnections: number,
  ) {}

  admit(worker: number, address: string): Admission {
    if (this.open >= this.maxConnections) return 'global';
    const n = this.total.get(address) ?? 0;
    if (n >= this.maxPerClient) return 'per-client';
    this.open++;
    this.total.set(address, n + 1);
    let own = this.byWorker.get(worker);
    if (!own) this.byWorker.set(worker, (own = new Map()));
    own.set(address, (own.get(address) ?? 0) + 1);
    return true;
  }

  release(worker: number, address: string, count = 1): void {
    const own = this.byWorker.get(worker);
    const mine = own?.get(address) ?? 0;
    const n = Math.min(count, mine);
    if (n === 0) return;
    if (mine === n) own!.delete(address);
    else own!.set(address, mine - n);
    this.open -= n;
    const left = (this.total.get(address) ?? 0) - n;
    if (left > 0) this.total.set(address, left);
    else this.total.delete(address);
  }

  workerGone(worker: number): void {
    for (const [address, n] of this.byWorker.get(worker) ?? []) this.release(worker, address, n);
    this.byWorker.delete(worker);
  }
}

/** The primary side: forks workers, feeds them health, collects their counters. */
export function startPrimary(
  node: DnsNode,
  health: HealthSource,
  workers: number,
  log: Logger,
  guards: PrimaryGuards = { episodes: null, tcpMaxPerClient: Infinity, tcpMaxConnections: Infinity },
): PrimaryHandle {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const connections = new NodeConnectionCount(guards.tcpMaxPerClient, guards.tcpMaxConnections);
  const live = new Set<Worker>();
  const stats = new Map<number, StatsSnapshot>();
  /** Each worker's reported names by number (its decision reports send a name's text once). */
  const names = new Map<number, string[]>();
  const reportedNames = (w: Worker): string[] => {
    let list = names.get(w.id);
    if (!list) names.set(w.id, (list = []));
    return list;
  };
  /** The counters of workers that have exited, so the sums never go back (a replacement starts at zero). */
  const departed = new PipelineStats();
  let stopping = false;
  let lastEpoch = -1;
  let lastSteering = -1;
  let listening = 0;
  /** 'failed': the start failed and the caller stops everything; no worker is replaced then. */
  let state: 'starting' | 'ready' | 'failed' = 'starting';
  let resolveReady!: () => void;
  let rejectReady!: (err: WorkerStartError) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const failStart = (err: WorkerStartError) => {
    if (state !== 'starting') return;
    state = 'failed';
    rejectReady(err);
  };
  const reloadDone = new Map<Worker, (ok: boolean) => void>();
  let round: Promise<ReloadResult> | null = null;
  let nextRound: Promise<ReloadResult> | null = null;

  /** Health and the steering decided from it, in one message (steering brought up to date first). */
  const snapshot = (): ToWorker => {
    node.steering?.update();
    const matrix = health.matrix();
    const keys = new Set<string>();
    for (const t of matrix.targets) keys.add(t.key);
    // The primary always steers (it combines health); INITIAL_STEERING only keeps the types whole.
    const steering = node.steering?.view ?? INITIAL_STEERING;
    return { t: 'health', s: snapshotOf(health.view(), keys, matrix), steering: steeringSnapshot(steering) };
  };
  const send = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };

  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv) });
  const fork = () => {
    const w = cluster.fork({ GSLB_WORKER: '1' });
    live.add(w);
    w.on('message', (m: ToPrimary) => {
      switch (m.t) {
        case 'hello':
          // The worker listens now (messages sent before it did would have been lost).
          send(w, snapshot());
          break;
        case 'listening':
          if (++listening === workers && state === 'starting') {
            state = 'ready';
            resolveReady();
          }
          break;
        case 'stats':
          stats.set(w.id, m.s);
          node.decisions.addReport(reportedNames(w), m.decisions);
          node.pipeline.stats.loopDelay.set(String(w.id), m.loopP99);
          node.pipeline.stats.workerStateEpoch.set(String(w.id), m.stateEpoch);
          aggregate();
          break;
        case 'rrl':
          if (m.started) guards.episodes?.started(m.e, w.id);
          else guards.episodes?.stopped(m.e, m.why ?? 'recovered', w.id);
          break;
        case 'tcp-admit':
          send(w, { t: 'tcp-admitted', id: m.id, ok: connections.admit(w.id, m.address) });
          break;
        case 'tcp-release':
          connections.release(w.id, m.address);
          break;
        case 'drain':
          void health
            .setDrain(...m.args)
            .catch((err: Error) => log.error({ err: err.message }, 'drain from a worker failed'));
          break;
        case 'reloaded':
          reloadDone.get(w)?.(m.ok);
          break;
        case 'fatal':
          // At start the primary prints the reason and exits; later (a replacement) it is logged.
          if (state === 'starting') failStart(new WorkerStartError(m.message, m.details, m.code));
          else if (state === 'ready') log.error({ worker: w.id, message: m.message }, 'worker could not start');
          break;
      }
    });
    w.on('exit', (code, signal) => {
      live.delete(w);
      reloadDone.get(w)?.(true); // a replacement starts from the files as they are now
      const last = stats.get(w.id);
      if (last) sumStats(departed, [statsSnapshot(departed), withoutExpiry(last)]);
      stats.delete(w.id);
      names.delete(w.id);
      node.pipeline.stats.loopDelay.delete(String(w.id));
      node.pipeline.stats.workerStateEpoch.delete(String(w.id));
      connections.workerGone(w.id);
      guards.episodes?.sourceGone(w.id);
      aggregate();
      if (stopping) {
        // A worker that had to be killed, or failed while draining, is worth a line.
        if (state === 'ready' && code !== 0) log.warn({ worker: w.id, code, signal }, 'worker did not stop cleanly');
        return;
      }
      if (state === 'starting') {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        failStart(new WorkerStartError(`worker ${w.id} ${how} before it was listening (its error, if any, is above)`));
        return;
      }
      if (state === 'failed') return; // the caller is stopping the rest
      log.error({ worker: w.id, code, signal }, 'worker died; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, 500).unref();
    });
  };

  const aggregate = () => sumStats(node.pipeline.stats, [statsSnapshot(departed), ...stats.values()]);

  // Health and steering changes reach every worker within one poll (20 ms).
  const poll = setInterval(() => {
    node.steering?.update();
    const e = health.view().epoch;
    const se = (node.steering?.view ?? INITIAL_STEERING).epoch;
    if (e === lastEpoch && se === lastSteering) return;
    lastEpoch = e;
    lastSteering = se;
    const m = snapshot();
    for (const w of live) send(w, m);
  }, 20);

  /** Tells one worker to reload; true unless it reports a failed build (a timeout moves on). */
  const reloadWorker = async (w: Worker): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const ok = await new Promise<boolean>((resolve) => {
      reloadDone.set(w, resolve);
      timer = setTimeout(() => resolve(true), RELOAD_STEP_TIMEOUT_MS);
      send(w, { t: 'reload' });
      if (!w.isConnected()) resolve(true);
    });
    clearTimeout(timer);
    reloadDone.delete(w);
    return ok;
  };

  const runRound = async (reason: string): Promise<ReloadResult> => {
    for (const w of [...live]) {
      if (stopping) break;
      if (!(await reloadWorker(w))) {
        log.warn({ worker: w.id }, 'reload failed in a worker; the others keep the last good configuration');
        break;
      }
    }
    return node.reload(reason);
  };

  const reload = (reason: string): Promise<ReloadResult> => {
    if (!round) {
      round = runRound(reason).finally(() => (round = null));
      return round;
    }
    // One more round after this one covers every request made meanwhile.
    const again = () => {
      nextRound = null;
      return reload(reason);
    };
    nextRound ??= round.then(again, again);
    return nextRound;
  };

  for (let i = 0; i < workers; i++) fork();
  // A DNSSEC key event reloads as SIGHUP does: every worker, then the primary.
  node.reloadKeysWith(
    (reason) =>
      void reload(reason).catch((err: Error) => log.error({ reason, err: err.stack ?? err.message }, 'reload crashed')),
  );

  return {
    ready,
    reload,
    stop: async (killAfterMs = 6000) => {
      stopping = true;
      clearInterval(poll);
      const exits = [...live].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
      for (const w of live) w.process.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const w of live) w.process.kill('SIGKILL');
      }, killAfterMs);
      await Promise.all(exits);
      clearTimeout(timer);
    },
  };
}

/**
 * The worker side: a health source and the steering view, both fed by the primary's messages
 * (applied together, so no query sees one without the other); reloads on request, counters sent back.
 */
export function workerFeed(): { health: SnapshotHealthSource; steering: () => SteeringView } {
  let seq = 0;
  const source = new SnapshotHealthSource(async (...args: DrainArgs) => {
    process.send?.({ t: 'drain', id: ++seq, args } satisfies ToPrimary);
  });
  let steering: SteeringView = NO_STEERING;
  process.on('message', (m: ToWorker) => {
    if (m.t !== 'health') return;
    // The epoch moves with every change of a choice or share: an unchanged one is the same state.
    if (m.steering.epoch !== steering.epoch) steering = steeringFromSnapshot(m.steering);
    source.apply(m.s);
  });
  process.send?.({ t: 'hello' } satisfies ToPrimary);
  return { health: source, steering: () => steering };
}

export function workerAttach(node: DnsNode): void {
  node.reloadKeysWith(null); // the primary's key events reload this worker in its rounds
  process.on('message', (m: ToWorker) => {
    if (m.t === 'reload') {
      const r = node.reload('primary');
      process.send?.({ t: 'reloaded', ok: r.ok } satisfies ToPrimary);
    }
  });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const timer = setInterval(() => {
    process.send?.({
      t: 'stats',
      s: statsSnapshot(node.pipeline.stats, node.catalog),
      decisions: node.decisions.report(),
      loopP99: loop.count > 0 ? loop.percentile(99) / 1e9 : 0,
      stateEpoch: node.health.view().stateEpoch,
    } satisfies ToPrimary);
    loop.reset();
  }, 1000);
  timer.unref();
  process.send?.({ t: 'listening' } satisfies ToPrimary);
}

/** A worker's rate-limiting episodes go to the primary, which logs each once for the node. */
export function workerEpisodeHooks(): RrlHooks {
  return {
    onStart: (e) => process.send?.({ t: 'rrl', started: true, e } satisfies ToPrimary),
    onStop: (e, why) => process.send?.({ t: 'rrl', started: false, e, why } satisfies ToPrimary),
  };
}

/** --tcp-max-per-client in a worker: the primary counts every worker's connections. */
export function workerConnectionGate(): ConnectionGate {
  let seq = 0;
  const pending = new Map<number, (ok: Admission) => void>();
  process.on('message', (m: ToWorker) => {
    if (m.t !== 'tcp-admitted') return;
    pending.get(m.id)?.(m.ok);
    pending.delete(m.id);
  });
  return {
    admit(address: string): Promise<Admission> {
      const id = ++seq;
      // No primary to ask (it is gone and this worker about to be): let the connection be served.
      if (!process.connected || !process.send) return Promise.resolve(true);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        process.send!({ t: 'tcp-admit', id, address: gateKey(address) } satisfies ToPrimary);
      });
    },
    release(address: string): void {
      process.send?.({ t: 'tcp-release', address: gateKey(address) } satisfies ToPrimary);
    },
  };
}

/** Tells the primary why this worker cannot start; resolves once the message is handed to the channel. */
export function workerFatal(message: string, details: readonly string[] = [], code?: string): Promise<void> {
  return new Promise((resolve) => {
    const m: ToPrimary = { t: 'fatal', message, details: [...details], ...(code === undefined ? {} : { code }) };
    if (process.send) process.send(m, undefined, undefined, () => resolve());
    else resolve();
  });
}
