// The probe plan's shapes: what a DNS node asks to have probed. Made in server/probe-plan.ts from the
// policies, carried over Redis by redis-protocol.ts, probed directly by the embedded source.
import type { ProbeTarget } from './probe-types.js';

export interface PlanTarget extends ProbeTarget {
  /** The datacenters whose endpoints this target stands for (to recognise an agent's own). */
  readonly datacenters: readonly string[];
  /**
   * The datacenters whose agents probe it and vote on it (a check's `from`: local resolved to
   * `datacenters`); absent: every agent. Agents of other datacenters are never sent the target, and
   * the node ignores their votes on it (an older agent that does not read this field still probes it).
   */
  readonly from?: readonly string[];
}

export interface ProbePlan {
  /** Sorted by key, one per key. */
  readonly targets: readonly PlanTarget[];
  /** A fingerprint of the whole plan: it changes when any target or its datacenters do. */
  readonly version: string;
}

/** Whether an agent of `datacenter` probes the target (and its vote on it counts). */
export function probedFrom(t: Pick<PlanTarget, 'from'>, datacenter: string): boolean {
  return t.from === undefined || t.from.includes(datacenter);
}
