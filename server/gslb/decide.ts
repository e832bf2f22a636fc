// The GSLB decision as one pure function that also returns its reasoning: the client's class gives a
// datacenter order, health filters it, the policy picks, fallback covers "all down". `gslb explain`
// prints the steps; the hot path caches results of the same function per (class, family, health epoch).
import type { HealthView } from '../../health/view.js';
import type { Check, Endpoint, Fallback, LbName, PolicyName } from '../../zones/policy-types.js';
import type { ClientClass } from './classify.js';
import { candidateOrder, endpointStates, rendezvousScore, weightedPick, type EndpointState } from './select.js';

export type Outcome = 'primary' | 'failover' | 'fallback' | 'nodata' | 'servfail';

export interface CandidateReport {
  readonly datacenter: string;
  readonly endpoints: readonly EndpointState[];
  readonly usable: number;
  /** Load figure that ranked it, for load-aware policies. */
  readonly figure: number | null;
}

export interface Decision {
  readonly name: LbName;
  readonly family: 4 | 6;
  readonly policy: PolicyName;
  readonly order: readonly string[];
  readonly candidates: readonly CandidateReport[];
  readonly chosen: string | null;
  /** Endpoints to answer with, in pool order (the server rotates them per query). */
  readonly endpoints: readonly Endpoint[];
  readonly outcome: Outcome;
  readonly fallback: Fallback | null;
  readonly steps: readonly string[];
  /** The answer's TTL: the name's, or shorter while health is degraded or just changed. */
  readonly ttl: number;
  /** Until when (ms) a shortened TTL applies because of a recent change; null when it does not expire by time. */
  readonly ttlUntil: number | null;
}

export interface DecideInput {
  readonly name: LbName;
  readonly family: 4 | 6;
  readonly cls: ClientClass | null;
  /** The client subnet bytes hashed by the hashed policy (/24 or /56 of the client address). */
  readonly subnet: Uint8Array;
  readonly health: HealthView;
  readonly checks: ReadonlyMap<string, Check>;
  readonly rng: () => number;
  /** Current time (ms), for the health-aware TTL. */
  readonly now: number;
}

const LOAD_POLICIES = new Set<PolicyName>(['least-loaded', 'least-bandwidth', 'lowest-latency', 'least-response-time']);

/** Bytes of the client address the hashed policy keys on: /24 for IPv4, /56 for IPv6. */
export const HASH_PREFIX = { 4: 24, 6: 56 } as const;

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** The load figure of a datacenter under a policy (lower is better), or null when not known. */
export function loadFigure(policy: PolicyName, usable: readonly EndpointState[]): number | null {
  if (usable.length === 0) return null;
  const weight = sum(usable.map((s) => s.endpoint.weight)) || 1;
  const all = <K extends 'connections' | 'bandwidthBps' | 'rttMs'>(k: K): number[] | null => {
    const v = usable.map((s) => s.health[k]);
    return v.every((x) => x !== null) ? (v as number[]) : null;
  };
  switch (policy) {
    case 'least-loaded': {
      const c = all('connections');
      return c ? sum(c) / weight : null;
    }
    case 'least-bandwidth': {
      const b = all('bandwidthBps');
      return b ? sum(b) / weight : null;
    }
    case 'lowest-latency': {
      const r = all('rttMs');
      return r ? Math.min(...r) : null;
    }
    case 'least-response-time': {
      const r = all('rttMs');
      const c = all('connections');
      return r && c ? (sum(r) / r.length) * (sum(c) / weight + 1) : null;
    }
    default:
      return null;
  }
}

export function decide(input: DecideInput): Decision {
  return withTtl(input, decideChoice(input));
}

function decideChoice(input: DecideInput): Omit<Decision, 'ttl' | 'ttlUntil'> {
  const { name, family, cls, health, checks } = input;
  const steps: string[] = [];
  const { order, why } = candidateOrder(name, cls);
  const policy = name.policy;
  steps.push(`candidates (${why}): ${order.join(', ')}`);
  const candidates: CandidateReport[] = order.map((dc) => {
    const endpoints = endpointStates(name, dc, family, health, checks);
    const usable = endpoints.filter((e) => e.usable);
    return {
      datacenter: dc,
      endpoints,
      usable: usable.length,
      figure: LOAD_POLICIES.has(policy) ? loadFigure(policy, usable) : null,
    };
  });
  const withFamily = candidates.filter((c) => c.endpoints.length > 0);
  const base = { name, family, policy, order, candidates };
  if (withFamily.length === 0) {
    steps.push(`no datacenter has IPv${family} endpoints: NODATA`);
    return { ...base, chosen: null, endpoints: [], outcome: 'nodata', fallback: null, steps };
  }
  const healthy = withFamily.filter((c) => c.usable > 0);
  for (const c of withFamily)
    if (c.usable === 0)
      steps.push(
        `${c.datacenter}: no usable IPv${family} endpoint (${c.endpoints.map((e) => `${e.endpoint.address} ${e.drained ? 'drained' : e.health.reason}`).join('; ')})`,
      );

  if (healthy.length === 0) return fallback(input, base, withFamily, steps);

  let chosen: CandidateReport;
  switch (policy) {
    case 'weighted': {
      const weights = healthy.map((c) => sum(c.endpoints.filter((e) => e.usable).map((e) => e.endpoint.weight)));
      chosen = healthy[weightedPick(weights, input.rng)]!;
      steps.push(
        `weighted pick among ${healthy.map((c, i) => `${c.datacenter} (weight ${weights[i]})`).join(', ')}: ${chosen.datacenter}`,
      );
      break;
    }
    case 'hashed': {
      const bytes = (HASH_PREFIX[family] >> 3) as number;
      let best = -1;
      chosen = healthy[0]!;
      for (const c of healthy) {
        const w = sum(c.endpoints.filter((e) => e.usable).map((e) => e.endpoint.weight));
        const score = rendezvousScore(input.subnet, bytes, c.datacenter, w);
        if (score > best) {
          best = score;
          chosen = c;
        }
      }
      steps.push(
        `rendezvous hash of the client /${HASH_PREFIX[family]} over ${healthy.map((c) => c.datacenter).join(', ')}: ${chosen.datacenter}`,
      );
      break;
    }
    default: {
      chosen = healthy[0]!;
      if (LOAD_POLICIES.has(policy)) {
        const ranked = healthy.filter((c) => c.figure !== null);
        if (ranked.length > 0) {
          chosen = ranked.reduce((a, b) => (b.figure! < a.figure! ? b : a));
          steps.push(
            `${policy}: ${ranked.map((c) => `${c.datacenter}=${round(c.figure!)}`).join(', ')}: ${chosen.datacenter} is lowest`,
          );
        } else steps.push(`${policy}: no fresh load figures; first healthy datacenter in order`);
      } else steps.push(`first datacenter in order with a usable endpoint: ${chosen.datacenter}`);
    }
  }
  const isFirst = chosen === withFamily[0];
  const endpoints = chosen.endpoints.filter((e) => e.usable).map((e) => e.endpoint);
  const outcome: Outcome = isFirst || policy === 'weighted' || policy === 'hashed' ? 'primary' : 'failover';
  if (outcome === 'failover') steps.push(`failover: ${withFamily[0]!.datacenter} is down, ${chosen.datacenter} serves`);
  return { ...base, chosen: chosen.datacenter, endpoints, outcome, fallback: null, steps };
}

function fallback(
  input: DecideInput,
  base: Omit<Decision, 'chosen' | 'endpoints' | 'outcome' | 'fallback' | 'steps' | 'ttl' | 'ttlUntil'>,
  withFamily: CandidateReport[],
  steps: string[],
): Omit<Decision, 'ttl' | 'ttlUntil'> {
  const mode = input.name.fallback;
  const first = withFamily[0]!;
  steps.push(`every candidate is down: fallback '${mode}'`);
  switch (mode) {
    case 'all':
      steps.push(`fail open with every endpoint of ${first.datacenter}`);
      return {
        ...base,
        chosen: first.datacenter,
        endpoints: first.endpoints.map((e) => e.endpoint),
        outcome: 'fallback',
        fallback: mode,
        steps,
      };
    case 'first':
      steps.push(`answer with the first endpoint of ${first.datacenter}`);
      return {
        ...base,
        chosen: first.datacenter,
        endpoints: [first.endpoints[0]!.endpoint],
        outcome: 'fallback',
        fallback: mode,
        steps,
      };
    case 'nodata':
      return { ...base, chosen: null, endpoints: [], outcome: 'nodata', fallback: mode, steps };
    case 'servfail':
      return { ...base, chosen: null, endpoints: [], outcome: 'servfail', fallback: mode, steps };
  }
}

/**
 * Health-aware TTL (gdnsd's idea): while a datacenter in the decision is down (failover, fallback) or
 * an endpoint in it changed state within the last TTL, answer with max(min_ttl, ttl / 4) so resolvers
 * come back sooner and see the next change.
 */
function withTtl(input: DecideInput, d: Omit<Decision, 'ttl' | 'ttlUntil'>): Decision {
  const { name, now } = input;
  const short = Math.min(name.ttl, Math.max(name.minTtl, Math.ceil(name.ttl / 4)));
  const steps = [...d.steps];
  if (d.outcome === 'failover' || d.outcome === 'fallback') {
    if (short < name.ttl) steps.push(`health-aware TTL: ${short} s while a datacenter in the decision is down`);
    return { ...d, steps, ttl: short, ttlUntil: null };
  }
  const windowMs = name.ttl * 1000;
  let latest = 0;
  for (const c of d.candidates) {
    for (const e of c.endpoints) if (e.health.since > latest) latest = e.health.since;
    if (c.datacenter === d.chosen) break;
  }
  if (latest > 0 && now - latest < windowMs && short < name.ttl) {
    steps.push(
      `health-aware TTL: ${short} s, an endpoint in the decision changed state ${Math.round((now - latest) / 1000)} s ago`,
    );
    return { ...d, steps, ttl: short, ttlUntil: latest + windowMs };
  }
  return { ...d, steps, ttl: name.ttl, ttlUntil: null };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
