// How the server keeps its resident memory low: a small young generation, a bounded old generation
// while a configuration is built, and a full collection once it has been built (and the previous one
// dropped), so the build's garbage is given back to the system instead of staying resident until the
// next time V8 happens to collect.
import { setFlagsFromString } from 'node:v8';
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
}
