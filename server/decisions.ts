// Decision counts by name that survive reloads and worker processes, and the last minute of them.
// Answerers count on their cached replies (gslb/answerer.ts); the tally takes what each counted since
// it last took (the answerer starts again from zero): on tick() (the admin server ticks every second
// while it runs, so a count lands in the bucket of the second it was made), when read, and from a
// replaced catalog's answerers once more at the swap. A --workers primary answers nothing itself: each
// worker sends a report of what it counted since the last one every second (report()), and the
// primary adds it (addReport()), so a reload round or a worker that is replaced loses nothing already
// sent. Whatever is added lands in the current 5-second slot of the last minute as well: the status
// page's shares, /api/traffic and gslb_decisions_total are one set of counts.
import { nameToText } from '../zones/name.js';
import type { Catalog } from './catalog.js';
import type { LbAnswerer } from './gslb/answerer.js';

/** The last minute is kept as this many slots ... */
const RECENT_BUCKETS = 12;
/** ... of this many milliseconds each (12 x 5 s: the window covers the last 55 to 60 s). */
const RECENT_BUCKET_MS = 5000;

/** Counts by name (dotted, with the final dot), then by "datacenter|outcome". */
export type DecisionCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** The last minute's counts, and everything since start, from one take. */
export interface RecentDecisions {
  /** How much time the counts cover: the last 55 to 60 s, less while the node is younger than that. */
  readonly seconds: number;
  /** Names answered in the window, with how many answers each (summed on the first call). */
  totals(): ReadonlyMap<string, number>;
  /** A name's counts in the window by "datacenter|outcome" (only keys with any). */
  byKey(name: string): ReadonlyMap<string, number>;
  /** Everything counted since start (what read() gives), as of the same take. */
  readonly sinceStart: DecisionCounts;
}

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

/** Splits a decision key "datacenter|outcome"; "-" (no datacenter chosen) becomes "". */
export function splitDecisionKey(key: string): { datacenter: string; outcome: string } {
  const i = key.lastIndexOf('|');
  const dc = key.slice(0, i);
  return { datacenter: dc === '-' ? '' : dc, outcome: key.slice(i + 1) };
}

/** Adds n to counts[a][b]. */
function addTo(counts: Map<string, Map<string, number>>, a: string, b: string, n: number): void {
  let inner = counts.get(a);
  if (!inner) counts.set(a, (inner = new Map()));
  inner.set(b, (inner.get(b) ?? 0) + n);
}

export class DecisionTally {
  private totals = new Map<string, Map<string, number>>();
  /**
   * The last minute: one slot of counts per 5-second bucket, bucket number b in slot b % RECENT_BUCKETS.
   * A slot is by key, then by name: a handful of keys, so 100,000 busy names cost a map entry each per
   * slot, not a map each (by name first, the slots took some 300 MB more in that case).
   */
  private readonly slots: Map<string, Map<string, number>>[] = Array.from({ length: RECENT_BUCKETS }, () => new Map());
  /** The bucket number of the newest slot: the ones before it back to current - 11 make the window. */
  private current: number;
  /** Reports: the number each reported name's text stands for (for the worker's life). */
  private readonly reportIds = new Map<string, number>();
  /** Reports: each answerer's number, so its name's text is made once (dropped with its catalog). */
  private readonly answererIds = new WeakMap<LbAnswerer, number>();
  /** Each answerer's name as text, made once: a tick takes from every answered name every second. */
  private readonly nameTexts = new WeakMap<LbAnswerer, string>();
  private readonly startedAt: number;

  /** `now` is a monotonic clock in ms (injected by tests). */
  constructor(
    private readonly source: CountedCatalogs,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    this.current = this.bucket();
    // A replaced catalog's answerers get no more queries: take what they counted since the last look
    // now (the catalog, and with it the whole previous configuration, is not kept).
    source.onCatalogReplaced((old) => {
      for (const lb of old.answered) this.take(lb);
    });
  }

  /**
   * Takes what the answerers counted since the last take, into the current bucket: whoever reads the
   * last minute calls it every second (the admin server), so a count lands in the bucket of its second.
   */
  tick(): void {
    this.takeAll();
  }

  /** Adds counts made elsewhere (a worker's), now. */
  add(name: string, key: string, n: number): void {
    this.advance();
    addTo(this.totals, name, key, n);
    addTo(this.slots[this.current % RECENT_BUCKETS]!, key, name, n);
  }

  /** Everything counted since start. */
  read(): DecisionCounts {
    this.takeAll();
    return this.totals;
  }

  /**
   * The counts of the last minute (55 to 60 s: the current 5-second bucket and the 11 before it) and
   * since start, from one take: a total per name (for choosing which to show), and one name's counts
   * by key on request (a page shows 50 names of perhaps 100,000).
   */
  recent(): RecentDecisions {
    this.takeAll();
    this.advance();
    const slots = this.slots;
    let totals: Map<string, number> | null = null;
    const t = this.now();
    const covered = t - (this.current - RECENT_BUCKETS + 1) * RECENT_BUCKET_MS;
    return {
      seconds: Math.round(Math.min(covered, t - this.startedAt) / 100) / 10,
      totals: () => {
        if (totals) return totals;
        // Only the names answered in the last minute: the slots hold no others.
        totals = new Map();
        for (const slot of slots)
          for (const byName of slot.values())
            for (const [name, n] of byName) totals.set(name, (totals.get(name) ?? 0) + n);
        return totals;
      },
      byKey: (name) => {
        const out = new Map<string, number>();
        for (const slot of slots)
          for (const [key, byName] of slot) {
            const n = byName.get(name);
            if (n !== undefined) out.set(key, (out.get(key) ?? 0) + n);
          }
        return out;
      },
      sinceStart: this.totals,
    };
  }

  private bucket(): number {
    return Math.floor(this.now() / RECENT_BUCKET_MS);
  }

  /** Moves the newest slot to the current bucket, emptying the slots it passes (counts a minute old). */
  private advance(): void {
    const b = this.bucket(); // never before this.current: the clock is monotonic
    for (let i = this.current + 1; i <= b && i <= this.current + RECENT_BUCKETS; i++)
      this.slots[i % RECENT_BUCKETS]!.clear();
    if (b > this.current) this.current = b;
  }

  /** Takes from every answerer that has answered: only those, a 100,000-name zone has mostly names nobody asked for. */
  private takeAll(): void {
    for (const lb of this.source.catalog.answered) this.take(lb);
  }

  /** Adds what lb counted since it was last taken from. */
  private take(lb: LbAnswerer): void {
    lb.takeDecisions((key, n) => this.add(this.nameOf(lb), key, n));
  }

  private nameOf(lb: LbAnswerer): string {
    let name = this.nameTexts.get(lb);
    if (name === undefined) this.nameTexts.set(lb, (name = nameToText(lb.name.owner.wire)));
    return name;
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
    // The primary keeps the last minute of what it is sent.
    for (const slot of this.slots) slot.clear();
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
