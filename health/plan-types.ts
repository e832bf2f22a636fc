// The probe plan's shapes: what a DNS node asks to have probed. Made in server/probe-plan.ts from the
// policies, carried over Redis by redis-protocol.ts, probed directly by the embedded source.
import type { ProbeTarget } from './probe-types.js';

export interface PlanTarget extends ProbeTarget {
  /** The datacenters whose endpoints this target stands for (to recognise an agent's own). */
  readonly datacenters: readonly string[];
}

export interface ProbePlan {
  /** Sorted by key, one per key. */
  readonly targets: readonly PlanTarget[];
  /** A fingerprint of the whole plan: it changes when any target or its datacenters do. */
  readonly version: string;
}
