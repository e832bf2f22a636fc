// Figures from text: strict decimal numbers (no hex, no blanks read as 0), all-or-nothing sums, and a
// reading put together from selectors.
import type { LoadReading, LoadSelectors } from './types.js';

// Anchored and unambiguous, so it runs in linear time on any input.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number such as `12`, `-0.5` or `1e6`; null for anything else (`Number` would read '' as 0). */
export function decimal(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}

/**
 * The sum when every value is there, else null: a sum over whichever counters happen to exist would jump
 * when one appears or vanishes, and its rate would be wrong. An empty list is null too.
 */
export function sumAll(values: readonly (number | null)[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) {
    if (v === null) return null;
    sum += v;
  }
  return sum;
}

/**
 * The reading of a selector-based source (Prometheus, JSON): `figure` finds one selector's value,
 * `connections` is already found (the caller decides whether its absence is an error).
 */
export function readingFrom(
  selectors: LoadSelectors,
  figure: (selector: string | null) => number | null,
  connections: number | null,
): LoadReading {
  return {
    connections,
    capacity: figure(selectors.capacity),
    bytesTotal: sumAll(selectors.bytes.map(figure)),
    bandwidthBps: figure(selectors.bandwidth),
    errorsTotal: figure(selectors.errors),
    requestsTotal: figure(selectors.requests),
  };
}
