// Every query a soak client sends, by ID, until it is answered or times out; and the counters a class
// of clients keeps. A client (one UDP socket, one TCP connection) owns one tracker: its IDs are the
// tracker's slots, given out in send order, so the oldest waiting query is always at the tail and a
// timeout sweep stops at the first one still in time.

/** IDs per client: far above what one client has outstanding within a timeout at the soak's rates. */
export const SLOTS = 4096;

const FREE = 0;
const WAITING = 1;
const TIMED_OUT = 2;

export type ReplyTiming = 'in-time' | 'late' | 'stray';

export class Tracker {
  private readonly sentAt = new Float64Array(SLOTS);
  private readonly kindOf = new Uint8Array(SLOTS);
  private readonly state = new Uint8Array(SLOTS);
  /** Queries sent (the next one's sequence number) and the oldest not yet known answered or timed out. */
  private sent = 0;
  private oldest = 0;
  /** Set by reply() and sweep(): the kind, send time and latency of the query just matched or timed out. */
  kind = 0;
  sentAtMs = 0;
  latencyMs = 0;

  /** A slot (the query's ID) for a query of `kind` sent now, or -1 when every slot is waiting. */
  take(kind: number, now: number): number {
    if (this.sent - this.oldest >= SLOTS) return -1;
    const slot = this.sent % SLOTS;
    this.sent++;
    this.sentAt[slot] = now;
    this.kindOf[slot] = kind;
    this.state[slot] = WAITING;
    return slot;
  }

  /** Matches a reply's ID; `kind` and `latencyMs` then describe its query. */
  reply(id: number, now: number): ReplyTiming {
    if (id >= SLOTS) return 'stray';
    const s = this.state[id];
    if (s === FREE) return 'stray';
    this.state[id] = FREE;
    this.kind = this.kindOf[id]!;
    this.sentAtMs = this.sentAt[id]!;
    this.latencyMs = now - this.sentAtMs;
    return s === WAITING ? 'in-time' : 'late';
  }

  /** Marks queries older than timeoutMs timed out, calling onTimeout with each one's kind and send time. */
  sweep(now: number, timeoutMs: number, onTimeout: (kind: number, sentAtMs: number) => void): void {
    while (this.oldest < this.sent) {
      const slot = this.oldest % SLOTS;
      if (this.state[slot] === WAITING) {
        if (now - this.sentAt[slot]! < timeoutMs) return;
        this.state[slot] = TIMED_OUT;
        onTimeout(this.kindOf[slot]!, this.sentAt[slot]!);
      }
      this.oldest++;
    }
  }

  /** Queries still waiting. */
  waiting(): number {
    let n = 0;
    for (let q = this.oldest; q < this.sent; q++) if (this.state[q % SLOTS] === WAITING) n++;
    return n;
  }

  /** Forgets everything: replies to earlier queries become strays. */
  clear(): void {
    this.state.fill(FREE);
    this.oldest = this.sent;
  }
}

/** One class of clients' counts per query kind (index = kind). */
export interface KindCounts {
  sent: number;
  /** Replies that were what the kind expects (late ones included). */
  ok: number;
  /** Replies with TC=1 and no answer: RRL's slip. */
  slipped: number;
  /** Other replies: a wrong RCODE, a missing or unexpected answer, malformed. */
  wrong: number;
  /** Replies that came after the timeout (also counted in ok, slipped or wrong). */
  late: number;
  timedOut: number;
  /** Not sent: every ID of the client waiting, or its TCP connection down. */
  unsent: number;
}

export const emptyCounts = (): KindCounts => ({
  sent: 0,
  ok: 0,
  slipped: 0,
  wrong: 0,
  late: 0,
  timedOut: 0,
  unsent: 0,
});

/** Reply latencies in buckets of a quarter power of two of microseconds. */
export class LatencyHistogram {
  readonly buckets = new Uint32Array(100);
  add(ms: number): void {
    const us = Math.max(1, ms * 1000);
    this.buckets[Math.min(99, Math.floor(4 * Math.log2(us)))]!++;
  }
}

/** The q-quantile (0..1) of histogram buckets, in ms (the bucket's upper bound); null when empty. */
export function quantileMs(buckets: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += buckets[i]!;
  if (total === 0) return null;
  let acc = 0;
  for (let i = 0; i < buckets.length; i++) {
    acc += buckets[i]!;
    if (acc >= q * total) return 2 ** ((i + 1) / 4) / 1000;
  }
  return null;
}
