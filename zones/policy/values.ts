// The value forms policy files share: durations, shares and URLs.
import { parseDuration } from '../duration.js';

/** A duration option in milliseconds, or `fallback` when absent (zones/duration.ts; the schema checked it). */
export function durationMs(v: unknown, fallback: number): number {
  return v === undefined ? fallback : parseDuration(v, 'duration');
}

/** Parses a share: a number from 0 to 1, or "85%". */
export function ratio(v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  return Number(String(v).slice(0, -1)) / 100;
}

/** Whether text is an http: or https: URL. */
export function validUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
