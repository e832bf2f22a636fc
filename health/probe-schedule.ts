// When a target's probes are due: a first turn soon after it appears, then a grid of interval +-
// jitter that does not drift with probe durations. Pure: the time and the random draws are
// parameters (the prober passes its clock and rng), so the schedule is tested as a table.

/** How often a target is probed. */
export interface Cadence {
  readonly intervalMs: number;
  readonly jitterMs: number;
}

/** Up to +-jitterMs from a uniform [0, 1) draw, capped at half the interval so turns never bunch up. */
export function jitter(c: Cadence, draw: number): number {
  const j = Math.max(0, Math.min(c.jitterMs, c.intervalMs / 2));
  return (draw * 2 - 1) * j;
}

/** A new target's first turn: at once, spread by up to its jitter but never more than startSpreadMs. */
export function firstDue(now: number, c: Cadence, startSpreadMs: number, draw: number): number {
  return now + draw * Math.min(Math.max(0, c.jitterMs), startSpreadMs);
}

/**
 * The turn after the one due at `due`, taken at `now`: on the grid of due times, not after the probe
 * ends (no drift). A turn that comes after the next one was due (the process stalled, the clock
 * jumped forward) starts the grid again from now instead of catching up in a burst.
 */
export function nextDue(due: number, now: number, c: Cadence, rng: () => number): number {
  const next = due + c.intervalMs + jitter(c, rng());
  return next > now ? next : now + c.intervalMs + jitter(c, rng());
}

/** How long to wait for `due`: clamped so a clock jump can neither park a target for hours nor spin it. */
export function delayUntil(due: number, now: number, c: Cadence): number {
  return Math.min(Math.max(0, due - now), c.intervalMs + c.jitterMs);
}
