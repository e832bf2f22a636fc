// Decision counts by name that survive reloads and worker processes, and the last minute of them.
// Answerers count on their cached replies (gslb/answerer.ts); the tally takes what each counted since
// it last took (the answerer starts again from zero): every second, when read, and from a replaced
// catalog's answerers once more at the swap. A --workers primary answers nothing itself: each worker
// sends a report of what it counted since the last one every second (report()), and the primary adds
// it (addReport()), so a reload round or a worker that is replaced loses nothing already sent.
// Whatever is added lands in the current 5-second bucket of the last minute as well: the status page's
// shares, /api/traffic and gslb_decisions_total are one set of counts.
import { nameToText } from '../zones/name.js';
import type { Catalog } from './catalog.js';
import type { LbAnswerer } from './gslb/answerer.js';

/** The last minute is kept as this many buckets ... */
export const RECENT_BUCKETS = 12;
/** ... of this many milliseconds each (12 x 5 s: the window covers the last 55 to 60 s). */
export const RECENT_BUCKET_MS = 5000;
/** How often the tally takes from the answerers, so a count lands in the bucket of the second it was made. */
const TAKE_EVERY_MS = 1000;

/** One name's count under one "datacenter|outcome" key. */
export interface DecisionSeries {
  /** Since start. */
  total: number;
  /** The last minute by bucket, a ring indexed by bucket number modulo RECENT_BUCKETS. */
  readonly recent: Float64Array;
  /** The bucket number of the newest count: ring slots older than RECENT_BUCKETS before it are stale. */
  newest: number;
}

/** Counts by name (dotted, with the final dot), then by "datacenter|outcome". */
export type DecisionCounts = ReadonlyMap<string, ReadonlyMap<string, DecisionSeries>>;

/** The last minute's counts. */
export interface RecentDecisions {
  /** How much time the counts cover: the last 55 to 60 s, less while the node is younger than that. */
  readonly seconds: number;
  /** Names answered in the window, with how many answers each. */
  readonly totals: ReadonlyMap<string, number>;
  /** A name's counts in the window by "datacenter|outcome" (only keys with any). */
  byKey(name: string): ReadonlyMap<string, number>;
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

/** Adds n to a series in bucket b (b never goes back: the clock is monotonic). */
function addRecent(s: DecisionSeries, b: number, n: number): void {
  // Slots between the newest count and now hold counts a minute old or more: clear them first.
  for (let i = s.newest + 1; i <= b && i <= s.newest + RECENT_BUCKETS; i++) s.recent[i % RECENT_BUCKETS] = 0;
  if (b > s.newest) s.newest = b;
  s.recent[b % RECENT_BUCKETS]! += n;
}

/** A series' count over the buckets of the last minute, b being the current one. */
function sumRecent(s: DecisionSeries, b: number): number {
  let sum = 0;
  for (let i = Math.max(s.newest - RECENT_BUCKETS + 1, b - RECENT_BUCKETS + 1, 0); i <= s.newest; i++)
    sum += s.recent[i % RECENT_BUCKETS]!;
  return sum;
}

export class DecisionTally {
  private totals = new Map<string, Map<string, DecisionSeries>>();
  /** Reports: the number each reported name's text stands for (for the worker's life). */
  private readonly reportIds = new Map<string, number>();
  /** Reports: each answerer's number, so its name's text is made once (dropped with its catalog). */
  private readonly answererIds = new WeakMap<LbAnswerer, number>();
  /** Each answerer's name as text, made once: the tally takes from every answered name every second. */
  private readonly nameTexts = new WeakMap<LbAnswerer, string>();
  /** A worker's tally: it hands everything to its primary every second, which keeps the last minute. */
  private reporting = false;
  private readonly startedAt: number;

  /** `now` is a monotonic clock in ms (injected by tests). */
  constructor(
    private readonly source: CountedCatalogs,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    // A replaced catalog's answerers get no more queries: take what they counted since the last look
    // now (the catalog, and with it the whole previous configuration, is not kept).
    source.onCatalogReplaced((old) => {
      for (const lb of old.answered) this.take(lb);
    });
    // Counts wait on the answerers until taken; taking every second puts them in the right bucket
    // whether or not anyone reads. The timer holds the tally weakly: a dropped node stops it.
    const self = new WeakRef(this);
    const timer = setInterval(() => {
      const tally = self.deref();
      if (tally === undefined) clearInterval(timer);
      else if (!tally.reporting) tally.takeAll();
    }, TAKE_EVERY_MS);
    timer.unref();
  }

  /** Adds counts made elsewhere (a worker's), now. */
  add(name: string, key: string, n: number): void {
    let counts = this.totals.get(name);
    if (!counts) this.totals.set(name, (counts = new Map()));
    let s = counts.get(key);
    if (!s) counts.set(key, (s = { total: 0, recent: new Float64Array(RECENT_BUCKETS), newest: 0 }));
    s.total += n;
    addRecent(s, this.bucket(), n);
  }

  /** Everything counted since start. */
  read(): DecisionCounts {
    this.takeAll();
    return this.totals;
  }

  /**
   * The counts of the last minute (55 to 60 s: the current 5-second bucket and the 11 before it): a
   * total per name, and one name's counts by key on request (a page shows 50 names of perhaps 100,000).
   */
  recent(): RecentDecisions {
    this.takeAll();
    const b = this.bucket();
    const totals = new Map<string, number>();
    for (const [name, byKey] of this.totals) {
      let n = 0;
      for (const s of byKey.values()) if (b - s.newest < RECENT_BUCKETS) n += sumRecent(s, b);
      if (n > 0) totals.set(name, n);
    }
    const t = this.now();
    const covered = t - (b - RECENT_BUCKETS + 1) * RECENT_BUCKET_MS;
    return {
      seconds: Math.round(Math.min(covered, t - this.startedAt) / 100) / 10,
      totals,
      byKey: (name) => {
        const out = new Map<string, number>();
        for (const [key, s] of this.totals.get(name) ?? []) {
          const n = sumRecent(s, b);
          if (n > 0) out.set(key, n);
        }
        return out;
      },
    };
  }

  private bucket(): number {
    return Math.floor(this.now() / RECENT_BUCKET_MS);
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
    this.reporting = true;
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
      for (const [key, s] of counts) row(id, key, s.total);
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
