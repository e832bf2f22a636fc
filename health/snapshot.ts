// Health as plain data, for handing the primary's view to worker processes (--workers N): one
// health source probes (or follows Redis), every worker answers from the same snapshot.
import type { HealthMatrix, HealthSource } from './source.js';
import type { HealthView, TargetHealth } from './view.js';
import { makeView } from './view-builder.js';
import type { PlanTarget } from './plan-types.js';

export interface HealthSnapshot {
  readonly epoch: number;
  readonly stateEpoch: number;
  readonly targets: ReadonlyArray<readonly [string, TargetHealth]>;
  readonly drains: ReadonlyArray<{ readonly field: string; readonly until: number | null }>;
}

export function snapshotOf(view: HealthView, keys: Iterable<string>, matrix: HealthMatrix): HealthSnapshot {
  const targets: Array<[string, TargetHealth]> = [];
  for (const k of keys) targets.push([k, view.target(k)]);
  return {
    epoch: view.epoch,
    stateEpoch: view.stateEpoch,
    targets,
    drains: matrix.drains.map((d) => ({ field: d.field, until: d.until })),
  };
}

/** A worker's health source: views built from the snapshots the primary sends. */
export class SnapshotHealthSource implements HealthSource {
  /** Numbered 0, below any the primary sends: nothing known until its first snapshot. */
  private current: HealthView = makeView(0, 0, { targets: new Map(), drains: [] });
  private last: HealthSnapshot | null = null;
  private firstResolve: (() => void) | null = null;
  private readonly first = new Promise<void>((r) => (this.firstResolve = r));

  constructor(
    private readonly forwardDrain: (
      target: { datacenter: string } | { endpoint: string },
      drained: boolean,
      opts?: { forMs: number | null; by: string; reason: string },
    ) => Promise<void>,
  ) {}

  apply(s: HealthSnapshot): void {
    this.last = s;
    // The primary numbered it: the same epochs on every worker, so their caches agree.
    this.current = makeView(s.epoch, s.stateEpoch, { targets: new Map(s.targets), drains: s.drains });
    this.firstResolve?.();
    this.firstResolve = null;
  }

  setPlan(_targets: readonly PlanTarget[], _version: string): void {
    // The primary owns the plan; workers only follow its snapshots.
  }

  view(): HealthView {
    return this.current;
  }

  matrix(): HealthMatrix {
    return {
      mode: 'embedded',
      agents: [],
      targets: (this.last?.targets ?? []).map(([key, h]) => ({
        key,
        datacenters: [],
        verdict: h,
        cells: {},
      })),
      redis: null,
      drains: (this.last?.drains ?? []).map((d) => ({ ...d, by: '', reason: '' })),
    };
  }

  setDrain(
    target: { datacenter: string } | { endpoint: string },
    drained: boolean,
    opts?: { forMs: number | null; by: string; reason: string },
  ): Promise<void> {
    return this.forwardDrain(target, drained, opts);
  }

  async start(timeoutMs: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      this.first.then(() => true),
      new Promise<boolean>((r) => (t = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(t);
    return ok;
  }

  async stop(): Promise<void> {}
}
