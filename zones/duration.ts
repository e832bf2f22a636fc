// The one duration grammar, shared by the command line (--for, --max-age, --grace), the admin API
// ("for" of POST /api/drain) and the policy files (interval, timeout, max_age, ...):
//
//   a number (digits, optionally a fraction) followed by ms, s, m, h or d: 500ms, 1.5s, 90s, 10m, 2h, 14d;
//   a plain number, or a JSON/YAML number, is seconds: 5 and "5" both mean 5s.
//
// Units are lower case and written without a space. The result is whole milliseconds (rounded).
// Imports nothing, so `gslb help` and the CLI's flag parsing can use it without loading zone code.

/** Milliseconds per unit. */
export const MS_PER_UNIT = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 });

/** The grammar as a pattern: number, then an optional unit (none means seconds). */
export const DURATION_PATTERN = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$/;

/** The grammar in words, for errors and help. */
export const DURATION_FORMS = 'a number with ms, s, m, h or d (500ms, 90s, 10m, 2h, 14d), or a plain number of seconds';

/** A value that is not a duration (or not within the bounds asked for); the message names the value. */
export class DurationError extends Error {}

export interface DurationBounds {
  /** Refuse zero (a drain "for 0s" means nothing). */
  readonly positive?: boolean;
  /** The longest accepted, in milliseconds. */
  readonly maxMs?: number;
}

/** Why a text that fails the pattern fails it, in a few words, or '' when there is nothing to add. */
function hint(text: string): string {
  const t = text.trim();
  if (t === '') return ' (it is empty)';
  if (t !== text || /^[0-9.]+\s+[a-z]+$/i.test(t)) return ' (write the unit right after the number, without spaces)';
  if (t.startsWith('-')) return ' (a duration cannot be negative)';
  const unit = /^[0-9]+(?:\.[0-9]+)?([a-z]+)$/i.exec(t)?.[1];
  if (unit === undefined) return '';
  if (Object.hasOwn(MS_PER_UNIT, unit.toLowerCase())) return ` (units are lower case: ${unit.toLowerCase()})`;
  return ` (unknown unit '${unit}': use ms, s, m, h or d)`;
}

/** Whole milliseconds for a duration, or an explanation why the value is not one. */
function toMs(value: unknown): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return ` (a number of seconds must be 0 or more)`;
    return Math.round(value * 1000);
  }
  if (typeof value !== 'string') return '';
  const m = DURATION_PATTERN.exec(value);
  if (!m) return hint(value);
  return Math.round(Number(m[1]) * MS_PER_UNIT[(m[2] ?? 's') as keyof typeof MS_PER_UNIT]);
}

/** How a longest duration reads in an error: 30 days, 2h, 90s. */
function formatLimit(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  for (const unit of ['h', 'm', 's'] as const)
    if (ms % MS_PER_UNIT[unit] === 0) return `${ms / MS_PER_UNIT[unit]}${unit}`;
  return `${ms}ms`;
}

/**
 * Parses a duration into whole milliseconds. `what` names the value in the error, as the user wrote
 * it: `--for`, `"for"`, `checks.web.interval`. Throws DurationError: `--for must be a duration
 * (a number with ms, s, m, h or d ...), got '2w' (unknown unit 'w': use ms, s, m, h or d)`.
 */
export function parseDuration(value: unknown, what: string, bounds: DurationBounds = {}): number {
  const shown =
    typeof value === 'string'
      ? `'${value}'`
      : typeof value === 'number'
        ? String(value)
        : value === null
          ? 'null'
          : `a ${typeof value}`;
  const ms = toMs(value);
  if (typeof ms === 'string')
    throw new DurationError(`${what} must be a duration (${DURATION_FORMS}), got ${shown}${ms}`);
  if (!Number.isSafeInteger(ms))
    throw new DurationError(`${what} must be a duration of a sensible length, got ${shown}`);
  if (bounds.positive && ms <= 0) throw new DurationError(`${what} must be a duration longer than 0, got ${shown}`);
  if (bounds.maxMs !== undefined && ms > bounds.maxMs)
    throw new DurationError(`${what} must be a duration of at most ${formatLimit(bounds.maxMs)}, got ${shown}`);
  return ms;
}
