// What load-aware decisions remember between health changes, decided once per node (the process that
// combines health: the primary with --workers, else the only one) and shipped to every worker with the
// health view, so all workers, the admin API's explain and /metrics answer alike.
import type { ShedState } from './shed.js';

export interface SteeringView {
  /** Changes whenever a remembered choice or a shed share changes (answer caches key on it). */
  readonly epoch: number;
  /**
   * Load-aware policies (the margin rule): the datacenter this node chose last for a name (its owner
   * key), a candidate order (datacenters joined by ',') and a family; null when none yet.
   */
  previous(nameKey: string, orderKey: string, family: 4 | 6): string | null;
  /** Shed load: the share each datacenter of a name (its owner key) gives away now. */
  shedShares(nameKey: string): ReadonlyMap<string, ShedState>;
}

const NONE: ReadonlyMap<string, ShedState> = new Map();

/** Nothing remembered: what a pipeline without a node (tests, offline explain) starts from. */
export const NO_STEERING: SteeringView = Object.freeze({
  epoch: 0,
  previous: () => null,
  shedShares: () => NONE,
});
