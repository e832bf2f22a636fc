// The health-aware TTL (gdnsd's idea): while a datacenter in the decision is down (failover, fallback)
// or an endpoint in it changed state within the last TTL, answer with max(min_ttl, ttl / 4) so
// resolvers come back sooner and see the next change.
import type { LbName } from '../../zones/policy-types.js';
import type { CandidateReport, Outcome } from './decision-types.js';

export interface TtlChoice {
  readonly ttl: number;
  /** Until when (ms) the shortened TTL applies; null when it does not expire by time. */
  readonly ttlUntil: number | null;
  /** The step that explains a shortened TTL, or null. */
  readonly step: string | null;
}

/** The TTL of an answer from `chosen` (candidates up to it are "in the decision"; null: all of them). */
export function healthAwareTtl(
  name: LbName,
  now: number,
  outcome: Outcome,
  candidates: readonly CandidateReport[],
  chosen: string | null,
): TtlChoice {
  const short = Math.min(name.ttl, Math.max(name.minTtl, Math.ceil(name.ttl / 4)));
  if (outcome === 'failover' || outcome === 'fallback') {
    const step = short < name.ttl ? `health-aware TTL: ${short} s while a datacenter in the decision is down` : null;
    return { ttl: short, ttlUntil: null, step };
  }
  const windowMs = name.ttl * 1000;
  let latest = 0;
  for (const c of candidates) {
    for (const e of c.endpoints) if (e.health.since > latest) latest = e.health.since;
    if (c.datacenter === chosen) break;
  }
  if (latest > 0 && now - latest < windowMs && short < name.ttl) {
    const step = `health-aware TTL: ${short} s, an endpoint in the decision changed state ${Math.round((now - latest) / 1000)} s ago`;
    return { ttl: short, ttlUntil: latest + windowMs, step };
  }
  return { ttl: name.ttl, ttlUntil: null, step: null };
}
