// Response rate limiting vocabulary: response classes, verdicts, the settings and their validation.

/** Response classes, by index: what a response counts against (see ResponseLimiter). */
export const RRL_CLASS_NAMES = ['answer', 'nodata', 'nxdomain', 'referral', 'error'] as const;
export type RrlClassName = (typeof RRL_CLASS_NAMES)[number];
export const RRL_CLASS = { answer: 0, nodata: 1, nxdomain: 2, referral: 3, error: 4 } as const;

/** Verdicts: send the reply, send it truncated (TC=1, no records), or send nothing. */
export const RRL_SEND = 0;
export const RRL_SLIP = 1;
export const RRL_DROP = 2;
export type RrlVerdict = 0 | 1 | 2;

export interface RrlSettings {
  /** Responses per second per key; may be fractional (a worker's share). */
  readonly rate: number;
  /** Every slip-th limited response is SLIP, the others DROP; 0: all DROP, 1: all SLIP. */
  readonly slip: number;
  /** Seconds of debt a flooding key can run up: how long it stays limited once it stops. */
  readonly windowSec: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** Entries in the table, fixed at construction (memory is allocated once). */
  readonly tableSize: number;
  readonly logOnly: boolean;
  /** Hash seed; random per process unless given (tests). Keeps attackers from aiming qnames at one bucket. */
  readonly seed?: number;
}

export const RRL_MAX_RATE = 1_000_000;
export const RRL_MAX_SLIP = 10;
export const RRL_MAX_WINDOW_SEC = 3600;
export const RRL_MIN_TABLE_SIZE = 4;
/** 2^24 entries, about 420 MB at 25 bytes an entry: beyond any sane table. */
export const RRL_MAX_TABLE_SIZE = 16_777_216;

const isIntIn = (v: unknown, lo: number, hi: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Validates settings; returns an error message naming the bad field, or null (the CLI turns it into a usage error). */
export function rrlSettingsError(s: RrlSettings): string | null {
  if (typeof s.rate !== 'number' || !Number.isFinite(s.rate) || s.rate <= 0 || s.rate > RRL_MAX_RATE)
    return `rate must be a number above 0 and at most ${RRL_MAX_RATE}, got ${String(s.rate)}`;
  if (!isIntIn(s.slip, 0, RRL_MAX_SLIP))
    return `slip must be an integer from 0 to ${RRL_MAX_SLIP}, got ${String(s.slip)}`;
  if (!isIntIn(s.windowSec, 1, RRL_MAX_WINDOW_SEC))
    return `windowSec must be an integer from 1 to ${RRL_MAX_WINDOW_SEC}, got ${String(s.windowSec)}`;
  if (!isIntIn(s.ipv4Prefix, 0, 32)) return `ipv4Prefix must be an integer from 0 to 32, got ${String(s.ipv4Prefix)}`;
  if (!isIntIn(s.ipv6Prefix, 0, 128)) return `ipv6Prefix must be an integer from 0 to 128, got ${String(s.ipv6Prefix)}`;
  if (!isIntIn(s.tableSize, RRL_MIN_TABLE_SIZE, RRL_MAX_TABLE_SIZE))
    return `tableSize must be an integer from ${RRL_MIN_TABLE_SIZE} to ${RRL_MAX_TABLE_SIZE}, got ${String(s.tableSize)}`;
  if (typeof s.logOnly !== 'boolean') return `logOnly must be true or false, got ${String(s.logOnly)}`;
  if (s.seed !== undefined && !isIntIn(s.seed, 0, 0xffffffff))
    return `seed must be an integer from 0 to 4294967295, got ${String(s.seed)}`;
  return null;
}
