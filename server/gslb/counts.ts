// Decision counts of one load-balanced name without work per query: each cached reply counts its own
// hits (one increment); the node's tally (server/decisions.ts) takes them every second. Replies dropped
// when health changes hand their hits to `kept` first, so nothing counted is lost.

/** Receives decision counts: a "datacenter|outcome" key and how many queries got it. */
export type DecisionSink = (key: string, n: number) => void;

/** A reply that counts the queries it answered. */
export interface Counted {
  /** Counter key "datacenter|outcome". */
  readonly key: string;
  /** Queries answered with it and not yet taken. */
  hits: number;
}

/** The counter key of an answer: "datacenter|outcome", "-" when no datacenter answers. */
export function decisionKey(datacenter: string | null, outcome: string): string {
  return `${datacenter ?? '-'}|${outcome}`;
}

/** Hands a reply's hits to `into` and zeroes them. */
export function takeHits(r: Counted | undefined, into: DecisionSink): void {
  if (r !== undefined && r.hits > 0) {
    into(r.key, r.hits);
    r.hits = 0;
  }
}

/** Counts of replies that were dropped, kept until they are taken (made on first use). */
export class KeptCounts {
  private counts: Map<string, number> | null = null;

  /** Keeps a reply's hits before it is dropped. */
  keep(r: Counted | undefined): void {
    takeHits(r, (key, n) => {
      const counts = (this.counts ??= new Map());
      counts.set(key, (counts.get(key) ?? 0) + n);
    });
  }

  /** Hands what was kept to `into` and starts again from nothing. */
  take(into: DecisionSink): void {
    if (this.counts === null) return;
    for (const [key, n] of this.counts) into(key, n);
    this.counts = null;
  }
}
