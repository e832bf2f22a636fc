// The timers a scheduler runs on: the real ones by default, or a test's manual clock, so schedules
// are tested by moving time instead of sleeping through it.

/** A pending timer, as set() returns it; only clear() looks at it. */
export type TimerHandle = object;

export interface Timers {
  /** Calls `fn` once, after `ms`. */
  set(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
