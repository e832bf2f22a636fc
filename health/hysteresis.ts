// Pure up/down hysteresis over probe results: rise successes to come up, fall failures to go down.
import type { ProbeResult } from './probe-types.js';
import type { LoadFigures } from './load/figures.js';

export interface TargetState {
  readonly up: boolean;
  readonly okStreak: number;
  readonly failStreak: number;
  /**
   * When `up` last changed (ms since the epoch); 0 while it has not changed since the first verdict:
   * a prober that starts or restarts has seen no change (answers keep their full TTL).
   */
  readonly since: number;
  readonly lastResult: ProbeResult;
  /** Round-trip time smoothed over ok results (EWMA); null until one succeeds. */
  readonly rttMs: number | null;
  /** Load-read targets: the figures folded from their readings. */
  readonly load?: LoadFigures | null;
}

export interface HysteresisConfig {
  readonly rise: number;
  readonly fall: number;
}

/** Weight of the newest ok result in the smoothed round-trip time. */
export const RTT_ALPHA = 0.3;

/**
 * One verdict through the hysteresis: true (good), false (bad) or null (no verdict: streaks and state
 * hold). A new target takes its first verdict as is, so a cold start is not stuck for rise * interval;
 * that first verdict is not a change (since 0), only a later flip is.
 */
export function applyVerdict(
  prev: TargetState | undefined,
  verdict: boolean | null,
  at: number,
  cfg: HysteresisConfig,
): Pick<TargetState, 'up' | 'okStreak' | 'failStreak' | 'since'> {
  if (verdict === null)
    return prev
      ? { up: prev.up, okStreak: prev.okStreak, failStreak: prev.failStreak, since: prev.since }
      : { up: true, okStreak: 0, failStreak: 0, since: 0 };
  const okStreak = verdict ? (prev?.okStreak ?? 0) + 1 : 0;
  const failStreak = verdict ? 0 : (prev?.failStreak ?? 0) + 1;
  let up: boolean;
  if (prev === undefined) up = verdict;
  else if (prev.up) up = failStreak < Math.max(1, cfg.fall);
  else up = okStreak >= Math.max(1, cfg.rise);
  const since = prev === undefined ? 0 : prev.up !== up ? at : prev.since;
  return { up, okStreak, failStreak, since };
}

export function nextState(prev: TargetState | undefined, r: ProbeResult, cfg: HysteresisConfig): TargetState {
  let rttMs = prev?.rttMs ?? null;
  if (r.ok) rttMs = rttMs === null ? r.rttMs : rttMs + RTT_ALPHA * (r.rttMs - rttMs);
  return Object.freeze({ ...applyVerdict(prev, r.ok, r.at, cfg), lastResult: r, rttMs });
}
