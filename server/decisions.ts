// Decision counts by name that survive reloads and worker processes. Answerers count on their cached
// replies (gslb/answerer.ts); the tally takes what each counted since it last took (the answerer
// starts again from zero), from a replaced catalog's answerers once more at the swap. A
// --workers primary answers nothing itself: each worker sends a report of what it counted since the
// last one every second (report()), and the primary adds it (addReport()), so a reload round or a
// worker that is replaced loses nothing already sent.
import { nameToText } from '../zones/name.js';
import type { Catalog } from './catalog.js';
import type { LbAnswerer } from './gslb/answerer.js';

/** Counts by name (dotted, with the final dot), then by "datacenter|outcome". */
export type DecisionCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * What a worker counted since its last report, as flat arrays: a report every second may cover
 * every name of a 100,000-name zone, and a map (then an object) per name cost its event loop half a
 * second. A name's text is sent once in a worker's life; after that a number stands for it.
 */
export interface DecisionReport {
  /** Names first counted in this report: they take the next numbers, after the earlier reports' names. */
  readonly names: string[];
  /** The "datacenter|outcome" keys the rows use, by index. */
  readonly keys: string[];
  /** Triples: name number, key index, count. */
  readonly rows: number[];
}

/** What the tally follows: the served catalog, and the one each reload replaces. */
export interface CountedCatalogs {
  readonly catalog: Catalog;
  onCatalogReplaced(fn: (old: Catalog) => void): void;
}

export class DecisionTally {
  private totals = new Map<string, Map<string, number>>();
  /** Reports: the number each reported name's text stands for (for the worker's life). */
  private readonly reportIds = new Map<string, number>();
  /** Reports: each answerer's number, so its name's text is made once (dropped with its catalog). */
  private readonly answererIds = new WeakMap<LbAnswerer, number>();

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

  /** Everything counted since start. */
  read(): DecisionCounts {
    // Only names that have answered: a 100,000-name zone has mostly names nobody asked for.
    for (const lb of this.source.catalog.answered) this.take(lb);
    return this.totals;
  }

  /** Adds what lb counted since it was last taken from. */
  private take(lb: LbAnswerer): void {
    let name: string | undefined; // made only when lb has counted something
    lb.takeDecisions((key, n) => this.add((name ??= nameToText(lb.name.owner.wire)), key, n));
  }

  /** What was counted since the last report, and a fresh start: what a worker sends its primary. */
  report(): DecisionReport {
    const names: string[] = [];
    const keys: string[] = [];
    const rows: number[] = [];
    const keyIndex = new Map<string, number>();
    const idOf = (name: string): number => {
      let id = this.reportIds.get(name);
      if (id === undefined) {
        this.reportIds.set(name, (id = this.reportIds.size));
        names.push(name);
      }
      return id;
    };
    const row = (id: number, key: string, n: number): void => {
      let k = keyIndex.get(key);
      if (k === undefined) {
        keyIndex.set(key, (k = keys.length));
        keys.push(key);
      }
      rows.push(id, k, n);
    };
    // What replaced catalogs had counted (kept by name at the swap).
    for (const [name, counts] of this.totals) {
      const id = idOf(name);
      for (const [key, n] of counts) row(id, key, n);
    }
    this.totals = new Map();
    for (const lb of this.source.catalog.answered) {
      let id = this.answererIds.get(lb) ?? -1;
      lb.takeDecisions((key, n) => {
        if (id < 0) this.answererIds.set(lb, (id = idOf(nameToText(lb.name.owner.wire))));
        row(id, key, n);
      });
    }
    return { names, keys, rows };
  }

  /**
   * Adds a worker's report. `names` is what the primary keeps for that worker: the names of its
   * earlier reports by number; this report's new names are appended to it.
   */
  addReport(names: string[], r: DecisionReport): void {
    for (const name of r.names) names.push(name);
    const { keys, rows } = r;
    for (let i = 0; i + 2 < rows.length; i += 3) {
      const name = names[rows[i]!];
      const key = keys[rows[i + 1]!];
      if (name !== undefined && key !== undefined) this.add(name, key, rows[i + 2]!);
    }
  }
}
