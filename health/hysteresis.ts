// Pure up/down hysteresis over probe results: rise successes to come up, fall failures to go down.
import type { ProbeResult } from './probe-types.js';

export interface TargetState {
  readonly up: boolean;
  readonly okStreak: number;
  readonly failStreak: number;
  /** When `up` last changed (ms since the epoch): the first result's time for a new target. */
  readonly since: number;
  readonly lastResult: ProbeResult;
  /** Round-trip time smoothed over ok results (EWMA); null until one succeeds. */
  readonly rttMs: number | null;
}

export interface HysteresisConfig {
  readonly rise: number;
  readonly fall: number;
}

/** Weight of the newest ok result in the smoothed round-trip time. */
export const RTT_ALPHA = 0.3;

export function nextState(prev: TargetState | undefined, r: ProbeResult, cfg: HysteresisConfig): TargetState {
  const okStreak = r.ok ? (prev?.okStreak ?? 0) + 1 : 0;
  const failStreak = r.ok ? 0 : (prev?.failStreak ?? 0) + 1;
  let up: boolean;
  // A new target takes its first result as is, so a cold start is not stuck for rise * interval.
  if (prev === undefined) up = r.ok;
  else if (prev.up) up = failStreak < Math.max(1, cfg.fall);
  else up = okStreak >= Math.max(1, cfg.rise);
  const since = prev === undefined || prev.up !== up ? r.at : prev.since;
  let rttMs = prev?.rttMs ?? null;
  if (r.ok) rttMs = rttMs === null ? r.rttMs : rttMs + RTT_ALPHA * (r.rttMs - rttMs);
  return Object.freeze({ up, okStreak, failStreak, since, lastResult: r, rttMs });
}
