// Load sources: what an agent reads from a datacenter's load balancer (HAProxy stats CSV, nginx
// stub_status, Prometheus text, JSON) and the raw reading one read gives. Rates, smoothing, max age
// and passive health are folded over successive readings elsewhere (health/load/fold.ts).
import type { LoadSelectors, LoadType } from '../../zones/load-types.js';

// The policy's vocabulary of load sources, defined in zones/ (policy files name them); re-exported so
// the readers take everything about a read from this one module.
export { LOAD_TYPES, type LoadSelectors, type LoadType } from '../../zones/load-types.js';

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
