// A manual clock for schedulers that take `now` and `timers` (health/timers.ts): time moves only when
// a test says so, every timer runs at exactly its due time, and a schedule is checked to the
// millisecond instead of slept through and checked within +-50 ms.
import type { TimerHandle, Timers } from '../../health/timers.js';

interface Pending {
  readonly at: number;
  /** Order of setting: timers due at the same time run in the order they were set, as Node's do. */
  readonly seq: number;
  readonly fn: () => void;
}

/** Lets every promise job queued so far (and those they queue) run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

export class ManualClock implements Timers {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, Pending>();

  constructor(start = 1_000_000) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  readonly set = (fn: () => void, ms: number): TimerHandle => {
    const handle = {};
    this.timers.set(handle, { at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return handle;
  };

  readonly clear = (handle: TimerHandle): void => {
    this.timers.delete(handle);
  };

  /** Timers set and neither run nor cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Resolves after `ms` of this clock's time, or at once when `signal` aborts (a fake probe's duration). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.set(resolve, ms);
      signal?.addEventListener('abort', () => {
        this.clear(handle);
        resolve();
      });
    });
  }

  /**
   * Moves time forward by `ms`: each timer due on the way runs at its own time, and the promise work
   * it starts (a probe settling, the next one starting) finishes before the next timer runs.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      let next: [TimerHandle, Pending] | null = null;
      for (const entry of this.timers) {
        const p = entry[1];
        if (p.at <= end && (next === null || p.at < next[1].at || (p.at === next[1].at && p.seq < next[1].seq)))
          next = entry;
      }
      if (next === null) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await settle();
    }
    this.t = end;
  }
}
