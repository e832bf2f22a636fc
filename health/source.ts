// What serve needs from a health source, embedded or Redis-backed: take the probe plan, give views.
import type { PlanTarget } from './plan-types.js';
import type { HealthView, TargetHealth } from './view.js';

export interface MatrixCell {
  readonly up: boolean;
  readonly reason: string;
  readonly rttMs: number | null;
  /** How old the agent's latest word is (ms). */
  readonly ageMs: number;
}

/** Targets down the side, agents across the top: what the status page and the admin API show. */
export interface HealthMatrix {
  readonly mode: 'embedded' | 'redis';
  readonly agents: ReadonlyArray<{
    id: string;
    datacenter: string;
    ageMs: number;
    fresh: boolean;
    discounted: boolean;
    reason: string;
  }>;
  readonly targets: ReadonlyArray<{
    key: string;
    datacenters: readonly string[];
    /** The combined verdict, with the target's figures (RTT; load targets: connections, capacity, ...). */
    verdict: TargetHealth;
    cells: Readonly<Record<string, MatrixCell | null>>;
  }>;
  readonly redis: null | {
    connected: boolean;
    stale: boolean;
    lastResync: number | null;
    resyncs: number;
    disconnectedSince: number | null;
    badMessages: number;
  };
  readonly drains: ReadonlyArray<{ field: string; until: number | null; by: string; reason: string }>;
}

export interface HealthSource {
  /** The whole picture, for operators (not for the query path). */
  matrix(): HealthMatrix;
  /** Drain or undrain an endpoint or datacenter (Redis: for every node; embedded: this process). */
  setDrain(
    target: { datacenter: string } | { endpoint: string },
    drained: boolean,
    opts?: { forMs: number | null; by: string; reason: string },
  ): Promise<void>;
  /** The targets this node needs probed (its current config), with the config version. */
  setPlan(targets: readonly PlanTarget[], version: string): void;
  /** The current snapshot, built beforehand by the source: never waits, never computes. */
  view(): HealthView;
  /** Starts; resolves when the first state is known (warm start) or after timeoutMs (false). */
  start(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}
