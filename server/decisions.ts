// Decision counts by name that survive reloads and worker processes. Answerers count on their cached
// replies (gslb/answerer.ts); the tally takes what each counted since it last took (the answerer
// starts again from zero), from a replaced catalog's answerers once more at the swap. A
// --workers primary answers nothing itself: its workers send what they added each second (drain()),
// and it adds that (add()), so a reload round or a worker that is replaced loses nothing already sent.
import { nameToText } from '../zones/name.js';
import type { Catalog } from './catalog.js';
import type { LbAnswerer } from './gslb/answerer.js';

/** Counts by name (dotted, with the final dot), then by "datacenter|outcome". */
export type DecisionCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** What the tally follows: the served catalog, and the one each reload replaces. */
export interface CountedCatalogs {
  readonly catalog: Catalog;
  onCatalogReplaced(fn: (old: Catalog) => void): void;
}

export class DecisionTally {
  private totals = new Map<string, Map<string, number>>();

  constructor(private readonly source: CountedCatalogs) {
    // A replaced catalog's answerers get no more queries: take what they counted since the last look
    // now (the catalog, and with it the whole previous configuration, is not kept).
    source.onCatalogReplaced((old) => {
      for (const lb of old.answered) this.take(lb);
    });
  }

  /** Adds counts made elsewhere (a worker's). */
  add(name: string, key: string, n: number): void {
    let counts = this.totals.get(name);
    if (!counts) this.totals.set(name, (counts = new Map()));
    counts.set(key, (counts.get(key) ?? 0) + n);
  }

  /** Everything counted since start (or since the last drain). */
  read(): DecisionCounts {
    // Only names that have answered: a 100,000-name zone has mostly names nobody asked for.
    for (const lb of this.source.catalog.answered) this.take(lb);
    return this.totals;
  }

  /** What was counted since the last drain, and a fresh start: what a worker sends its primary. */
  drain(): DecisionCounts {
    const out = this.read();
    this.totals = new Map();
    return out;
  }

  /** Adds what lb counted since it was last taken from. */
  private take(lb: LbAnswerer): void {
    const counts = lb.takeDecisions();
    if (counts.size === 0) return;
    const name = nameToText(lb.name.owner.wire);
    for (const [key, n] of counts) this.add(name, key, n);
  }
}
