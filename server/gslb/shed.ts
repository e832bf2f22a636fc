// Shed load: how much of its clients an overloaded datacenter gives away, stepped over time. Above the
// high watermark the share grows by one step per interval, below the low watermark (or without figures)
// it shrinks the same way, in between it holds: gradual both ways, and no flapping around one threshold.
import type { ShedConfig } from '../../zones/policy-types.js';

export interface ShedState {
  /** Share of the datacenter's clients given away, 0..max. */
  readonly share: number;
  /** When the share last changed (ms). */
  readonly at: number;
}

export const NOT_SHEDDING: ShedState = Object.freeze({ share: 0, at: 0 });

/** The next state for a datacenter at `utilisation` (null: no fresh figures). */
export function stepShed(prev: ShedState, utilisation: number | null, cfg: ShedConfig, now: number): ShedState {
  const due = prev.share === 0 || now - prev.at >= cfg.everyMs;
  if (utilisation !== null && utilisation > cfg.high) {
    if (!due || prev.share >= cfg.max) return prev;
    return { share: Math.min(cfg.max, round(prev.share + cfg.step)), at: now };
  }
  if (utilisation === null || utilisation < cfg.low) {
    if (prev.share === 0 || now - prev.at < cfg.everyMs) return prev;
    return { share: Math.max(0, round(prev.share - cfg.step)), at: now };
  }
  return prev;
}

/** When the state may change next without new figures (ms), or null when it rests. */
export function nextShedStep(s: ShedState, utilisation: number | null, cfg: ShedConfig): number | null {
  const growing = utilisation !== null && utilisation > cfg.high && s.share < cfg.max;
  const shrinking = (utilisation === null || utilisation < cfg.low) && s.share > 0;
  return growing || shrinking ? s.at + cfg.everyMs : null;
}

/** Whether a client subnet (hashed to [0, 1)) is among the share given away: the lowest hashes go first. */
export function isShed(hash: number, share: number): boolean {
  return hash < share;
}

// Shares are sums of steps such as 0.1: keep them exact enough to compare and print.
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
