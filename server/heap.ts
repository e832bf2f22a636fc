// How the server keeps its resident memory low: a small young generation, and a full collection once a
// configuration has been built (and the previous one dropped), so the build's garbage is given back to
// the system instead of staying resident until the next time V8 happens to collect.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The node flags bin/gslb's first line starts the server with (and workers get when their parent has
 * none). The young generation grows to 2 x 16 MiB semi-spaces under a steady query load; a query's
 * garbage dies young either way, so 1 MiB costs no measurable throughput and keeps RSS flat. An old
 * generation that grows by 50 % between full collections, instead of V8's up to 4x, keeps a big
 * build's peak near its live size (100,000 names: ~310 instead of ~400 MiB, +0.3 s of build).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--heap-growing-percent=50'];

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
    // The documented way to reach gc() without starting node with --expose-gc.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
