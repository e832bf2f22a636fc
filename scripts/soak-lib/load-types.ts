// What the soak's load generator (a worker thread, load-worker.ts) is told and tells back.
import type { KindCounts } from './tracker.js';

export interface LoadConfig {
  readonly port: number;
  /** Legitimate UDP clients: one socket each, each from its own /24 of 127/8. */
  readonly udpSources: readonly string[];
  /** Legitimate TCP clients: one connection each (reconnected when closed). */
  readonly tcpSources: readonly string[];
  /** The flood's sources: all in one /24. */
  readonly floodSources: readonly string[];
  /** One legitimate query in this many goes over TCP (0: none). */
  readonly tcpEvery: number;
  readonly timeoutMs: number;
  readonly seed: number;
}

export type ToLoad =
  | { readonly type: 'measure'; readonly seconds: number }
  | { readonly type: 'run'; readonly qps: number }
  | { readonly type: 'flood'; readonly qps: number }
  | { readonly type: 'snapshot' }
  | { readonly type: 'stop' };

export const CLIENT_CLASSES = ['udp', 'tcp', 'flood'] as const;
export type ClientClass = (typeof CLIENT_CLASSES)[number];

export interface LoadStats {
  /** Per client class, per query kind (the index in MIX; the flood's is FLOOD_KIND, index 0). */
  readonly counts: Record<ClientClass, KindCounts[]>;
  /** Latency buckets of the legitimate clients' replies (tracker.ts LatencyHistogram). */
  readonly latency: Record<'udp' | 'tcp', number[]>;
  /** Replies whose ID matched nothing waiting or timed out (duplicates, or older than the ID space). */
  readonly stray: number;
  /** Queries the generator fell behind on and never sent (its event loop was late more than 100 ms). */
  readonly behind: number;
  readonly tcpReconnects: number;
  readonly socketErrors: number;
  /** The first few wrong replies, described. */
  readonly wrongSamples: readonly string[];
  /** Legitimate queries lost, by the second of the run (from the open-loop start) they were sent in. */
  readonly lostBySecond: readonly number[];
  /** ms the open-loop load has been running. */
  readonly runningMs: number;
}

export type FromLoad =
  | { readonly type: 'ready' }
  | { readonly type: 'measured'; readonly qps: number; readonly timedOut: number }
  | { readonly type: 'running' }
  | { readonly type: 'snapshot'; readonly stats: LoadStats }
  | { readonly type: 'stopped'; readonly stats: LoadStats }
  | { readonly type: 'error'; readonly message: string };
