// Load sources: what an agent reads from a datacenter's load balancer (HAProxy stats CSV, nginx
// stub_status, Prometheus text, JSON) and the raw reading one read gives. Rates, smoothing, max age
// and passive health are folded over successive readings elsewhere (health/load/fold.ts).

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

/** What the agent needs to read one endpoint's figures. */
export interface LoadReadSpec {
  readonly type: LoadType;
  /** http:// or https:// URL; user:password@ in it becomes HTTP basic auth. */
  readonly url: string;
  /** Extra request headers (e.g. Authorization). */
  readonly headers: Readonly<Record<string, string>>;
  /** haproxy: the proxy (pxname) row to read. */
  readonly proxy: string | null;
  /** haproxy: the svname of the row: FRONTEND, BACKEND or a server's name. */
  readonly server: string;
  readonly selectors: LoadSelectors;
  readonly timeoutMs: number;
  /** https: verify the certificate. */
  readonly tlsVerify: boolean;
}

/** One read's raw figures; null where the source does not give it. Counters are totals since start. */
export interface LoadReading {
  readonly connections: number | null;
  readonly capacity: number | null;
  readonly bytesTotal: number | null;
  readonly bandwidthBps: number | null;
  readonly errorsTotal: number | null;
  readonly requestsTotal: number | null;
}

/** A reading with no figures (tests and defaults build on it). */
export const NO_READING: LoadReading = Object.freeze({
  connections: null,
  capacity: null,
  bytesTotal: null,
  bandwidthBps: null,
  errorsTotal: null,
  requestsTotal: null,
});

export type LoadReadResult =
  | { readonly ok: true; readonly reading: LoadReading; readonly rttMs: number }
  | { readonly ok: false; readonly reason: string; readonly rttMs: number };

/** Reads one endpoint's figures; never rejects (a failure is ok:false with a short reason). */
export type ReadLoad = (spec: LoadReadSpec, signal?: AbortSignal) => Promise<LoadReadResult>;
