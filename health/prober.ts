// Probe scheduler: runs each target on its interval with jitter (when: probe-schedule.ts), bounded in
// flight, folding results through the hysteresis and reporting every result (and whether up/down
// changed) to a callback; a passing probe's warning (a certificate ending soon) is logged here, once a
// day. Its clock, timers and rng are injectable, so tests move time instead of sleeping.
import { runProbe as realRunProbe, type RunProbe } from './checks/index.js';
import { nextState, type TargetState } from './hysteresis.js';
import { nextLoadState } from './load/fold.js';
import { silentLogger, type Logger } from './log.js';
import { ProbeWarnings } from './probe-warnings.js';
import { delayUntil, firstDue, jitter, nextDue } from './probe-schedule.js';
import { isLoadTarget, sameSpec, type ProbeResult, type ProbeTarget } from './probe-types.js';
import { realTimers, type TimerHandle, type Timers } from './timers.js';

export type ResultListener = (key: string, result: ProbeResult, state: TargetState, changed: boolean) => void;

export interface ProberOptions {
  /** Called after every probe of a current target; `changed` is true on the first result and on up/down flips. */
  readonly onResult?: ResultListener;
  /** Where passing probes' warnings go (a certificate ending soon), once a day per target and certificate. */
  readonly log?: Logger;
  /** Called when onResult throws; the prober itself carries on. */
  readonly onError?: (err: unknown) => void;
  readonly runProbe?: RunProbe;
  /** Wall clock (ms since the epoch) for due times and the `at` of synthesized failures. */
  readonly now?: () => number;
  /** What turns wait on (default: setTimeout); a test's manual clock moves them with its `now`. */
  readonly timers?: Timers;
  /** Uniform [0, 1) source for jitter. */
  readonly rng?: () => number;
  /** Most probes in flight at once (default 256); later ones wait their turn in order. */
  readonly concurrency?: number;
  /** Cap on the random delay of a new target's first probe (default 100ms): fast startup, slightly spread. */
  readonly startSpreadMs?: number;
}

interface Entry {
  target: ProbeTarget;
  state: TargetState | undefined;
  /** When the pending (or running) turn was due: the grid the next turn is placed on. */
  due: number;
  timer: TimerHandle | null;
  /** Set while a probe runs: aborts it when the target goes away or the prober stops. */
  running: AbortController | null;
  queued: boolean;
}

export class Prober {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly probe: RunProbe;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly rng: () => number;
  private readonly concurrency: number;
  private readonly startSpreadMs: number;
  private readonly warnings: ProbeWarnings;
  private started = false;
  private skips = 0;

  constructor(private readonly opts: ProberOptions = {}) {
    this.probe = opts.runProbe ?? realRunProbe;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.rng = opts.rng ?? Math.random;
    this.concurrency = Math.max(1, opts.concurrency ?? 256);
    this.startSpreadMs = Math.max(0, opts.startSpreadMs ?? 100);
    this.warnings = new ProbeWarnings(opts.log ?? silentLogger, this.now);
  }

  /** Probes in flight now. */
  get active(): number {
    return this.inFlight.size;
  }

  /** Turns skipped because the previous probe of the target was still running or waiting. */
  get skippedTurns(): number {
    return this.skips;
  }

  get size(): number {
    return this.entries.size;
  }

  state(key: string): TargetState | undefined {
    return this.entries.get(key)?.state;
  }

  /** Known states of current targets (targets not yet probed are absent). */
  states(): Map<string, TargetState> {
    const out = new Map<string, TargetState>();
    for (const [key, e] of this.entries) if (e.state) out.set(key, e.state);
    return out;
  }

  /**
   * Makes `targets` the probed set. A target whose spec is unchanged keeps its state (a new jitter,
   * the one timing setting not in the target key, retimes its next turn); a new or changed one
   * starts fresh and is probed right away; a missing one is stopped and its running probe aborted.
   */
  update(targets: readonly ProbeTarget[]): void {
    const keep = new Set<string>();
    for (const t of targets) {
      if (keep.has(t.key)) continue;
      keep.add(t.key);
      const old = this.entries.get(t.key);
      if (old && sameSpec(old.target.spec, t.spec)) {
        const retimed = old.target.intervalMs !== t.intervalMs || old.target.jitterMs !== t.jitterMs;
        old.target = t;
        if (retimed && old.timer) {
          this.timers.clear(old.timer);
          old.due = this.now() + t.intervalMs + jitter(t, this.rng());
          this.arm(old);
        }
        continue;
      }
      if (old) this.drop(old);
      const e: Entry = { target: t, state: undefined, due: 0, timer: null, running: null, queued: false };
      this.entries.set(t.key, e);
      if (this.started) this.first(e);
    }
    for (const e of [...this.entries.values()]) if (!keep.has(e.target.key)) this.drop(e);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const e of this.entries.values()) this.first(e);
  }

  /** Stops every timer, aborts running probes and waits for them; states are kept for a later start(). */
  async stop(): Promise<void> {
    this.started = false;
    for (const e of this.entries.values()) {
      if (e.timer) this.timers.clear(e.timer);
      e.timer = null;
      e.queued = false;
      e.running?.abort();
    }
    this.queue.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  private drop(e: Entry): void {
    if (e.timer) this.timers.clear(e.timer);
    e.timer = null;
    e.running?.abort();
    // A queued entry is left in the queue and skipped when reached: it is no longer current.
    if (this.entries.get(e.target.key) === e) this.entries.delete(e.target.key);
  }

  private current(e: Entry): boolean {
    return this.started && this.entries.get(e.target.key) === e;
  }

  private first(e: Entry): void {
    e.due = firstDue(this.now(), e.target, this.startSpreadMs, this.rng());
    this.arm(e);
  }

  private arm(e: Entry): void {
    e.timer = this.timers.set(() => this.turn(e), delayUntil(e.due, this.now(), e.target));
  }

  private turn(e: Entry): void {
    e.timer = null;
    if (!this.current(e)) return;
    e.due = nextDue(e.due, this.now(), e.target, this.rng);
    this.arm(e);
    if (e.running || e.queued) {
      this.skips++;
      return;
    }
    if (this.inFlight.size < this.concurrency) this.run(e);
    else {
      e.queued = true;
      this.queue.push(e);
    }
  }

  private run(e: Entry): void {
    const ctl = new AbortController();
    e.running = ctl;
    const p = this.settle(e, ctl);
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.pump();
    });
  }

  /** Runs one probe and applies its result; never rejects. */
  private async settle(e: Entry, ctl: AbortController): Promise<void> {
    let r: ProbeResult;
    try {
      r = await this.probe(e.target.spec, ctl.signal);
    } catch (err) {
      r = {
        ok: false,
        rttMs: 0,
        reason: `probe error: ${err instanceof Error ? err.message : String(err)}`,
        at: this.now(),
      };
    }
    e.running = null;
    if (ctl.signal.aborted || !this.current(e)) return;
    const prev = e.state;
    const state = isLoadTarget(e.target) ? nextLoadState(prev, r, e.target) : nextState(prev, r, e.target);
    e.state = state;
    try {
      this.warnings.note(e.target.key, r);
      this.opts.onResult?.(e.target.key, r, state, prev === undefined || prev.up !== state.up);
    } catch (err) {
      try {
        this.opts.onError?.(err);
      } catch {
        // Nothing left to report to.
      }
    }
  }

  private pump(): void {
    while (this.started && this.inFlight.size < this.concurrency) {
      const e = this.queue.shift();
      if (!e) return;
      e.queued = false;
      if (this.current(e)) this.run(e);
    }
  }
}
