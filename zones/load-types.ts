// What a policy file says about a load source: its type and where each figure is found. The read spec,
// the raw reading and the reader live in health/load/types.ts, which builds on these.

export const LOAD_TYPES = ['haproxy', 'nginx', 'prometheus', 'json'] as const;
export type LoadType = (typeof LOAD_TYPES)[number];

/**
 * Where each figure is found. Prometheus: a selector `metric_name` or `metric_name{label="v",...}`
 * (every matching series is summed). JSON: a dot path `a.b.0.c` (array indices as numbers).
 * Unused for haproxy and nginx, whose formats are fixed.
 */
export interface LoadSelectors {
  /** Gauge: active connections (sessions). */
  readonly connections: string | null;
  /** Gauge: connections the endpoint can take. */
  readonly capacity: string | null;
  /** Counters of bytes (in and out, summed): bandwidth is their rate between two reads. */
  readonly bytes: readonly string[];
  /** Gauge: bytes per second, when the source gives a rate itself. */
  readonly bandwidth: string | null;
  /** Counter: failed requests (5xx). */
  readonly errors: string | null;
  /** Counter: all requests. */
  readonly requests: string | null;
}
