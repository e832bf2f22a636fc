// Health without Redis: this process probes its own plan (one vantage point, like gdnsd or PowerDNS)
// and turns prober states straight into views. Drains are local to the process.
import { silentLogger, type Logger } from './log.js';
import type { TargetState } from './hysteresis.js';
import { Prober } from './prober.js';
import type { RunProbe } from './checks/index.js';
import type { PlanTarget } from './plan-types.js';
import { isLoadSpec, type ProbeSpec } from './probe-types.js';
import { publishedFigures } from './load/fold.js';
import type { HealthMatrix, HealthSource } from './source.js';
import { drainField, drainTargetOf, type DrainField } from './drains.js';
import { UNKNOWN_UP, type HealthView, type TargetHealth } from './view.js';
import { ViewBuilder } from './view-builder.js';

/** Figures-only changes (RTT) publish a new view at most this often; up/down flips at once. */
const FIGURES_EVERY_MS = 1000;

export class EmbeddedHealthSource implements HealthSource {
  private readonly prober: Prober;
  private readonly log: Logger;
  private readonly drained = new Set<DrainField>();
  private readonly drainUntil = new Map<DrainField, number>();
  private planTargets: readonly PlanTarget[] = [];
  private specs = new Map<string, ProbeSpec>();
  private readonly views = new ViewBuilder();
  private lastFigures = 0;
  private figuresTimer: NodeJS.Timeout | null = null;
  private firstRound: Promise<void> | null = null;
  private planKeys = new Set<string>();
  private seen = new Set<string>();
  private resolveFirst: (() => void) | null = null;

  constructor(opts: { log?: Logger; runProbe?: RunProbe; now?: () => number } = {}) {
    this.log = opts.log ?? silentLogger;
    this.prober = new Prober({
      log: this.log,
      onResult: (key, _r, state, changed) => this.onResult(key, state, changed),
      onError: (err) => this.log.error({ err: String(err) }, 'health listener failed'),
      ...(opts.runProbe ? { runProbe: opts.runProbe } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
  }

  setPlan(targets: readonly PlanTarget[], _version: string): void {
    this.planKeys = new Set(targets.map((t) => t.key));
    this.planTargets = targets;
    this.specs = new Map(targets.map((t) => [t.key, t.spec]));
    this.prober.update([...targets]);
    this.publish();
  }

  async start(timeoutMs: number): Promise<boolean> {
    this.prober.start();
    // Warm start: wait for every planned target's first result, so answers start from real health.
    if (this.planKeys.size === 0 || [...this.planKeys].every((k) => this.seen.has(k))) return true;
    this.firstRound = new Promise((r) => (this.resolveFirst = r));
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.firstRound.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return done;
  }

  async stop(): Promise<void> {
    if (this.figuresTimer) clearTimeout(this.figuresTimer);
    await this.prober.stop();
  }

  view(): HealthView {
    return this.views.view;
  }

  drain(datacenter: string, address?: string): void {
    void this.setDrain(drainTargetOf(datacenter, address), true, { forMs: null });
  }

  undrain(datacenter: string, address?: string): void {
    void this.setDrain(drainTargetOf(datacenter, address), false);
  }

  matrix(): HealthMatrix {
    const now = Date.now();
    const view = this.views.view;
    const targets = [...this.planTargets].map((t) => {
      const st = this.prober.state(t.key);
      const h = view.target(t.key);
      return {
        key: t.key,
        datacenters: t.datacenters,
        verdict: h,
        cells: {
          local: st
            ? { up: st.up, reason: st.lastResult.reason, rttMs: st.rttMs, ageMs: now - st.lastResult.at }
            : null,
        },
      };
    });
    return {
      mode: 'embedded',
      agents: [
        {
          id: 'local',
          datacenter: '(this node)',
          ageMs: 0,
          fresh: true,
          discounted: false,
          reason: 'probes from this process',
        },
      ],
      targets,
      redis: null,
      drains: [...this.drained].map((field) => ({
        field,
        until: this.drainUntil.get(field) ?? null,
        by: 'admin',
        reason: '',
      })),
    };
  }

  async setDrain(
    target: { datacenter: string } | { endpoint: string },
    drained: boolean,
    opts?: { forMs: number | null },
  ): Promise<void> {
    const field = drainField(target);
    // A new drain replaces the old one whole: an earlier end must not lift a drain given without one.
    this.drainUntil.delete(field);
    if (drained) {
      this.drained.add(field);
      const forMs = opts?.forMs ?? null;
      if (forMs !== null) {
        this.drainUntil.set(field, Date.now() + forMs);
        setTimeout(() => {
          // Only this drain's own end lifts it: a later drain without one (or with another) stays.
          const until = this.drainUntil.get(field);
          if (until !== undefined && until <= Date.now()) {
            this.drained.delete(field);
            this.drainUntil.delete(field);
            this.publish();
          }
        }, forMs).unref();
      }
    } else this.drained.delete(field);
    this.publish();
  }

  /** Latest prober state per target, for status and metrics. */
  states(): ReadonlyMap<string, TargetState> {
    return this.prober.states();
  }

  private onResult(key: string, state: TargetState, changed: boolean): void {
    this.seen.add(key);
    if (this.resolveFirst && [...this.planKeys].every((k) => this.seen.has(k))) {
      this.resolveFirst();
      this.resolveFirst = null;
    }
    if (changed) {
      this.log.info({ target: key, up: state.up, reason: state.lastResult.reason }, 'target state changed');
      this.publish();
    } else if (!this.figuresTimer) {
      const wait = Math.max(0, this.lastFigures + FIGURES_EVERY_MS - Date.now());
      this.figuresTimer = setTimeout(() => {
        this.figuresTimer = null;
        this.publish();
      }, wait);
      this.figuresTimer.unref();
    }
  }

  /**
   * The view of the prober's states now. Nothing new (every target failing the same way, say) keeps
   * the view: a new one every second would make every figure-reading name decide again, and, living a
   * second, each is promoted to the old generation under query load (garbage that stays resident
   * until a full collection).
   */
  private publish(): void {
    this.lastFigures = Date.now();
    const targets = new Map<string, TargetHealth>();
    const now = Date.now();
    for (const [key, s] of this.prober.states()) {
      const spec = this.specs.get(key);
      targets.set(key, {
        ...UNKNOWN_UP,
        ...(spec && isLoadSpec(spec) ? publishedFigures(s, spec.maxAgeMs, now) : {}),
        up: s.up,
        rttMs: s.rttMs,
        reason: s.up ? 'up' : s.lastResult.reason,
        since: s.since,
      });
    }
    const drains = [...this.drained].map((field) => ({ field, until: this.drainUntil.get(field) ?? null }));
    this.views.update({ targets, drains });
  }
}
