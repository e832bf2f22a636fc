// Folds successive load readings into the figures the DNS tier steers by: rates from counters,
// exponential smoothing, the error rate between two reads and the passive-health verdict through the
// same hysteresis as active checks. Pure: time comes from the results.
import { applyVerdict, type TargetState } from '../hysteresis.js';
import type { LoadSpec, ProbeResult, ProbeTarget } from '../probe-types.js';
import { NO_FIGURES, type LoadFigures, type PublishedFigures } from './figures.js';

/** Exponential smoothing with a time constant, so the weight of a read does not depend on the interval. */
export function smooth(prev: number | null, x: number | null, dtMs: number | null, tauMs: number): number | null {
  if (x === null || prev === null || dtMs === null || tauMs <= 0) return x;
  const alpha = 1 - Math.exp(-Math.max(0, dtMs) / tauMs);
  return prev + alpha * (x - prev);
}

/** Increase of a counter between two reads; null when unknown or when the counter was reset. */
function delta(prev: number | null | undefined, now: number | null): number | null {
  if (prev == null || now === null || now < prev) return null;
  return now - prev;
}

function percent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

export function nextLoadState(
  prev: TargetState | undefined,
  r: ProbeResult,
  target: ProbeTarget & { readonly spec: LoadSpec },
): TargetState {
  const spec = target.spec;
  const last = prev?.load ?? null;
  if (!r.ok || !r.reading) {
    // A failed read is not a failed health check: health holds, figures age out by max age.
    const held = applyVerdict(prev, null, r.at, target);
    const lastResult = { ...r, ok: false, reason: `stats read failed: ${r.reason}` };
    return Object.freeze({ ...held, lastResult, rttMs: null, load: last });
  }
  const x = r.reading;
  const dtMs = last ? r.at - last.at : null;
  const dtS = dtMs !== null && dtMs > 0 ? dtMs / 1000 : null;
  const bytes = delta(last?.counters.bytes, x.bytesTotal);
  const rawBandwidth = x.bandwidthBps ?? (bytes !== null && dtS !== null ? bytes / dtS : null);
  const errors = delta(last?.counters.errors, x.errorsTotal);
  const requests = delta(last?.counters.requests, x.requestsTotal);
  const errorRate = errors !== null && requests !== null && requests > 0 ? Math.min(1, errors / requests) : null;

  let verdict: boolean | null = null;
  let reason = 'figures read';
  const passive = spec.passive;
  if (passive) {
    if (requests !== null && requests >= passive.minRequests && errorRate !== null) {
      verdict = errorRate <= passive.maxErrorRate;
      reason = `passive: 5xx rate ${percent(errorRate)} over ${requests} requests ${verdict ? '<=' : '>'} ${percent(passive.maxErrorRate)}`;
    } else if (prev && !prev.up) {
      // DNS steers clients away from an endpoint passive health took down, so it sees too few requests
      // to judge: a quiet read counts as good, or it would never come back.
      verdict = true;
      reason = `passive: ${requests ?? 0} requests since the last read, too few to judge: counted as good`;
    }
  }
  const load: LoadFigures = Object.freeze({
    connections: smooth(last?.connections ?? null, x.connections, dtMs, spec.smoothingMs),
    capacity: spec.capacity ?? x.capacity,
    bandwidthBps: smooth(last?.bandwidthBps ?? null, rawBandwidth, dtMs, spec.smoothingMs),
    errorRate,
    at: r.at,
    counters: Object.freeze({ bytes: x.bytesTotal, errors: x.errorsTotal, requests: x.requestsTotal }),
  });
  const lastResult = { ...r, ok: verdict !== false, reason };
  return Object.freeze({ ...applyVerdict(prev, verdict, r.at, target), lastResult, rttMs: null, load });
}

/** The figures to publish now: none once the last good read is older than maxAgeMs. */
export function publishedFigures(state: TargetState, maxAgeMs: number, now: number): PublishedFigures {
  const f = state.load;
  if (!f || now - f.at > maxAgeMs) return NO_FIGURES;
  const round = (v: number | null, digits: number) => (v === null ? null : Math.round(v * digits) / digits);
  return {
    connections: round(f.connections, 10),
    capacity: f.capacity,
    bandwidthBps: round(f.bandwidthBps, 1),
    errorRate: round(f.errorRate, 10000),
  };
}
