// Decision counts by name that survive reloads and worker processes. Answerers count on their cached
// replies (gslb/answerer.ts) and start at zero when a reload builds new ones, so the tally adds what
// each counted since it last looked, reading a replaced catalog's answerers once more at the swap. A
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
  /** What each answerer had counted when last looked at: only answerers that have counted anything. */
  private seen = new Map<LbAnswerer, ReadonlyMap<string, number>>();

  constructor(private readonly source: CountedCatalogs) {
    // A replaced catalog's answerers get no more queries: add what they counted since the last look
    // now, and keep no reference to them (they hold the whole previous configuration).
    source.onCatalogReplaced((old) => {
      for (const lb of old.answered) {
        this.look(lb);
        this.seen.delete(lb);
      }
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
    const next = new Map<LbAnswerer, ReadonlyMap<string, number>>();
    // Only names that have answered: a 100,000-name zone has mostly names nobody asked for.
    for (const lb of this.source.catalog.answered) {
      const counts = this.look(lb);
      if (counts !== null) next.set(lb, counts);
    }
    this.seen = next;
    return this.totals;
  }

  /** What was counted since the last drain, and a fresh start: what a worker sends its primary. */
  drain(): DecisionCounts {
    const out = this.read();
    this.totals = new Map();
    return out;
  }

  /** Adds what lb counted since it was last looked at; returns its counts now (null: none yet). */
  private look(lb: LbAnswerer): ReadonlyMap<string, number> | null {
    const counts = lb.decisions;
    if (counts.size === 0) return null;
    const before = this.seen.get(lb);
    let name: string | null = null;
    for (const [key, n] of counts) {
      const added = n - (before?.get(key) ?? 0);
      if (added > 0) this.add((name ??= nameToText(lb.name.owner.wire)), key, added);
    }
    return new Map(counts);
  }
}
