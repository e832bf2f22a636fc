// How the server keeps its resident memory low: a small young generation, a bounded old generation
// while a configuration is built, a full collection once it has been built (and the previous one
// dropped), so the build's garbage is given back to the system instead of staying resident until the
// next time V8 happens to collect, and a leash on the old generation of small heaps while serving.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The node flags bin/gslb's first line starts the server with (and workers get when their parent has
 * none). Under a steady query load V8's young generation grows to 2 x 16 MiB semi-spaces, and RSS with
 * it; a query's garbage dies young either way. 4 MiB keeps RSS within a few MiB of where it starts
 * and costs no measurable throughput; 1 MiB made a 100,000-name build ~50 % slower (it promotes the
 * build's long-lived objects in ~400 small steps).
 */
export const SEMI_SPACE_MIB = 4;
export const NODE_FLAGS: readonly string[] = [`--max-semi-space-size=${SEMI_SPACE_MIB}`];

/** While a configuration is built, the old generation grows by this much between full collections. */
const BUILD_HEAP_GROWING_PERCENT = 50;

/**
 * Runs a build with the old generation growing by 50 % between full collections instead of V8's up to
 * 4x: a big build's peak then stays near what it keeps (100,000 names: ~310 instead of ~400 MiB, for
 * ~15 % more build time). V8 reads the factor at each collection; 0 gives it back its own heuristics.
 */
export function withBoundedHeapGrowth<T>(build: () => T): T {
  // An operator who set the factor on node's command line keeps it.
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) return build();
  setFlagsFromString(`--heap-growing-percent=${BUILD_HEAP_GROWING_PERCENT}`);
  try {
    return build();
  } finally {
    setFlagsFromString('--heap-growing-percent=0');
  }
}

/** Node flags for a worker process: the parent's, and NODE_FLAGS it does not set itself. */
export function workerExecArgv(parent: readonly string[]): string[] {
  const name = (flag: string) => flag.split('=')[0]!;
  const missing = NODE_FLAGS.filter((f) => !parent.some((a) => name(a) === name(f)));
  return [...parent, ...missing];
}

let collect: (() => void) | null = null;
/** Full collections collectGarbage() has made, and the old generation right after the last one. */
let collections = 0;
let lastCollected = 0;

/**
 * A full, compacting collection now. Called after a build (start-up, reload), never on the query path:
 * a 100,000-name build leaves ~150 MB of garbage (the parsed YAML tree) that would otherwise stay
 * resident, and the collection takes ~0.1 s there (the build itself takes seconds).
 */
export function collectGarbage(): void {
  if (!collect) {
    // Reaching gc() without starting node with --expose-gc: the flag set now applies to new contexts.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  collections++;
  lastCollected = oldGenerationBytes();
}

/** Bytes in use outside the young generation (what only a full collection frees). */
export function oldGenerationBytes(): number {
  let n = 0;
  for (const s of getHeapSpaceStatistics())
    if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') n += s.space_used_size;
  return n;
}

export interface HeapLeashOptions {
  /** Growth of the old generation since its low point that makes a full collection (bytes). */
  readonly leashBytes: number;
  /** Above this old generation (at its low point), V8's own schedule is left alone (bytes). */
  readonly maxHeapBytes: number;
  readonly readOld?: () => number;
  readonly collect?: () => void;
  /** Told of each collection the leash makes: how long it paused the process. */
  readonly onCollect?: (info: { freedBytes: number; pauseMs: number }) => void;
}

/**
 * Keeps a small heap from creeping. Under a steady query load V8 collects the old generation only
 * once it has grown by at least 8 MB (its memory reducer waits for a quiet moment that never comes),
 * so what the health prober's rounds leave there (state objects and timers that live for seconds and
 * so are promoted) raises RSS by ~10 MiB over ten minutes before the first full collection. The
 * leash collects once the old generation has grown by `leashBytes` since its low point: for the
 * example zone a ~5-10 ms pause every few minutes. Big heaps (a 100,000-name zone: a full collection
 * takes 0.1 s or more) keep V8's schedule: their configuration, not this garbage, is their size.
 */
export class HeapLeash {
  private low: number;
  private seen = collections;
  private readonly readOld: () => number;
  private readonly collect: () => void;

  constructor(private readonly opts: HeapLeashOptions) {
    this.readOld = opts.readOld ?? oldGenerationBytes;
    this.collect = opts.collect ?? collectGarbage;
    this.low = this.readOld();
  }

  /** Looks at the old generation; collects when it has grown by the leash and is small. */
  check(): void {
    const old = this.readOld();
    // collectGarbage() after a reload sets the mark (a new configuration may be bigger or smaller);
    // a full collection V8 made itself can only lower it.
    if (this.seen !== collections) {
      this.seen = collections;
      this.low = lastCollected;
    }
    if (old < this.low) this.low = old;
    if (old - this.low < this.opts.leashBytes || this.low > this.opts.maxHeapBytes) return;
    const t0 = performance.now();
    this.collect();
    const after = this.readOld();
    this.opts.onCollect?.({ freedBytes: old - after, pauseMs: performance.now() - t0 });
    this.low = after;
  }
}

/** The leash's settings in `gslb serve`, and how often it looks. */
const SERVE_LEASH: HeapLeashOptions = { leashBytes: 2 * 1024 * 1024, maxHeapBytes: 64 * 1024 * 1024 };
const LEASH_CHECK_MS = 10_000;

/** Starts the serving process's leash (see HeapLeash); the timer does not keep the process alive. */
export function startHeapLeash(onCollect?: HeapLeashOptions['onCollect']): { stop(): void } {
  const leash = new HeapLeash({ ...SERVE_LEASH, ...(onCollect ? { onCollect } : {}) });
  const timer = setInterval(() => leash.check(), LEASH_CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
