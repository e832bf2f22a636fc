// The health snapshot the DNS decision reads: per probe target, up/down plus the figures load-aware
// policies use. Sources (embedded prober, Redis subscriber, tests) publish immutable views; a new
// epoch number means "something changed, recompute cached decisions".
import type { Endpoint } from '../zones/policy-types.js';

export interface TargetHealth {
  readonly up: boolean;
  /** Smoothed probe round-trip time, when known. */
  readonly rttMs: number | null;
  /** Active connections and capacity from the load balancer's stats, when known. */
  readonly connections: number | null;
  readonly capacity: number | null;
  /** Bytes per second through the endpoint, when known. */
  readonly bandwidthBps: number | null;
  readonly reason: string;
  /** When the state last changed (ms since the epoch), 0 when unknown. */
  readonly since: number;
}

export interface HealthView {
  /** Changes whenever any state or figure changes. */
  readonly epoch: number;
  /** Health of a probe target (see targetKey); an unknown target is up. */
  target(key: string): TargetHealth;
  /** Operator overrides: a drained endpoint or datacenter is out of every answer. */
  isDrained(datacenter: string, address: string): boolean;
}

export const UNKNOWN_UP: TargetHealth = Object.freeze({
  up: true,
  rttMs: null,
  connections: null,
  capacity: null,
  bandwidthBps: null,
  reason: 'not probed',
  since: 0,
});

export const NO_CHECK: TargetHealth = Object.freeze({ ...UNKNOWN_UP, reason: 'no check configured' });

/** The probe target of an endpoint under a check: what is probed, so names sharing it share state. */
export function targetKey(check: string, ep: Endpoint, checkPort: number): string {
  const host = ep.probe?.host ?? ep.address;
  const port = ep.probe?.port ?? checkPort;
  return `${check}|${host}|${port}`;
}
