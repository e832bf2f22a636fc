// What serve needs from a health source, embedded or Redis-backed: take the probe plan, give views.
import type { PlanTarget } from './redis-protocol.js';
import type { HealthView } from './view.js';

export interface HealthSource {
  /** The targets this node needs probed (its current config), with the config version. */
  setPlan(targets: readonly PlanTarget[], version: string): void;
  /** The current snapshot; never waits. */
  view(): HealthView;
  /** Starts; resolves when the first state is known (warm start) or after timeoutMs (false). */
  start(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}
