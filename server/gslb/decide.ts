// The GSLB decision as one pure function that also returns its reasoning: the client's class gives a
// datacenter order, health filters it, the policy picks, fallback covers "all down". `gslb explain`
// prints the steps; the hot path caches results of the same function per (class, family, health epoch).
import type { HealthView } from '../../health/view.js';
import {
  LOAD_POLICIES,
  type Check,
  type Datacenter,
  type Endpoint,
  type Fallback,
  type LbName,
  type LoadSource,
  type PolicyName,
} from '../../zones/policy-types.js';
import type { ClientClass } from './classify.js';
import { greatCircleKm } from './distance.js';
import {
  candidateOrder,
  datacenterLoad,
  endpointStates,
  rendezvousScore,
  weightedPick,
  type DatacenterLoad,
  type EndpointState,
} from './select.js';

export type Outcome = 'primary' | 'failover' | 'fallback' | 'nodata' | 'servfail';

export interface CandidateReport {
  readonly datacenter: string;
  readonly endpoints: readonly EndpointState[];
  readonly usable: number;
  /** Load figure that ranked it, for load-aware policies. */
  readonly figure: number | null;
  /** Its usable endpoints' load figures, when the name has a load source or a check. */
  readonly load: DatacenterLoad;
}

/** Shed load in effect: clients of `from` whose subnet hashes below `fraction` get `to` instead. */
export interface Shed {
  readonly from: string;
  readonly to: string;
  readonly fraction: number;
  readonly endpoints: readonly Endpoint[];
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
  readonly shed: Shed | null;
}

export interface DecideInput {
  readonly name: LbName;
  readonly family: 4 | 6;
  readonly cls: ClientClass | null;
  /** The client address (4 or 16 bytes): hashed policy and shed load key on its /24 or /56. */
  readonly subnet: Uint8Array;
  readonly health: HealthView;
  readonly checks: ReadonlyMap<string, Check>;
  readonly rng: () => number;
  /** Current time (ms), for the health-aware TTL. */
  readonly now: number;
  /** The name's load source lives here (load figures and passive health). */
  readonly loads?: ReadonlyMap<string, LoadSource>;
  /** Datacenter locations, for a distance tier. */
  readonly datacenters?: ReadonlyMap<string, Datacenter>;
  /** Load-aware policies: the datacenter chosen last time for this client class, kept within the margin. */
  readonly previous?: string | null;
  /** Shed load: the share each datacenter gives away now (the server's shed controller). */
  readonly shedShares?: ReadonlyMap<string, { readonly share: number }>;
}

/** Bytes of the client address the hashed policy keys on: /24 for IPv4, /56 for IPv6. */
export const HASH_PREFIX = { 4: 24, 6: 56 } as const;

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/**
 * The load figure of a datacenter under a policy (lower is better), or null when not known. `home` is
 * the client's first datacenter: lowest-latency takes the RTT its agents measure, where there is one.
 */
export function loadFigure(policy: PolicyName, usable: readonly EndpointState[], home?: string): number | null {
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
      const r = usable.map(
        (s) => (home !== undefined ? s.health.rttByDatacenter?.[home] : undefined) ?? s.health.rttMs,
      );
      return r.every((x) => x !== null) ? Math.min(...(r as number[])) : null;
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
  const d = decideChoice(input);
  return withTtl(input, { ...d, shed: shedFor(input, d) });
}

type Choice = Omit<Decision, 'ttl' | 'ttlUntil' | 'shed'>;

function decideChoice(input: DecideInput): Choice {
  const { name, family, cls, health, checks } = input;
  const steps: string[] = [];
  const { order, why } = candidateOrder(name, cls);
  const policy = name.policy;
  steps.push(`candidates (${why}): ${order.join(', ')}`);
  const candidates: CandidateReport[] = order.map((dc) => {
    const endpoints = endpointStates(name, dc, family, health, checks, input.loads);
    const usable = endpoints.filter((e) => e.usable);
    return {
      datacenter: dc,
      endpoints,
      usable: usable.length,
      figure: LOAD_POLICIES.has(policy) ? loadFigure(policy, usable, order[0]) : null,
      load: datacenterLoad(usable),
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
      // Keyed on the client's own family (its /24 or /56), whatever the query's type, as the server does.
      const clientPrefix = HASH_PREFIX[input.subnet.length === 16 ? 6 : 4];
      const bytes = clientPrefix >> 3;
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
        `rendezvous hash of the client /${clientPrefix} over ${healthy.map((c) => c.datacenter).join(', ')}: ${chosen.datacenter}`,
      );
      break;
    }
    default: {
      chosen = LOAD_POLICIES.has(policy) ? leastOf(input, healthy, steps) : healthy[0]!;
      if (!LOAD_POLICIES.has(policy))
        steps.push(`first datacenter in order with a usable endpoint: ${chosen.datacenter}`);
    }
  }
  const endpoints = chosen.endpoints.filter((e) => e.usable).map((e) => e.endpoint);
  // A failover is serving elsewhere because the client's first datacenter is down, whatever the policy.
  const firstDown = withFamily[0]!.usable === 0;
  const outcome: Outcome = !firstDown || policy === 'weighted' || policy === 'hashed' ? 'primary' : 'failover';
  if (outcome === 'failover') steps.push(`failover: ${withFamily[0]!.datacenter} is down, ${chosen.datacenter} serves`);
  return { ...base, chosen: chosen.datacenter, endpoints, outcome, fallback: null, steps };
}

/** The healthy datacenters that compete for this client under the name's tier. */
function tierOf(input: DecideInput, healthy: readonly CandidateReport[], steps: string[]): CandidateReport[] {
  const tier = input.name.tier;
  if (tier.kind === 'all') return [...healthy];
  if (tier.kind === 'first') {
    const out = healthy.slice(0, tier.n);
    steps.push(`tier: the first ${tier.n} healthy datacenters in order: ${out.map((c) => c.datacenter).join(', ')}`);
    return out;
  }
  const anchor = input.datacenters?.get(healthy[0]!.datacenter)?.location;
  if (!anchor) return [...healthy];
  const out = healthy.filter((c) => {
    const at = input.datacenters?.get(c.datacenter)?.location;
    return at ? greatCircleKm(anchor, at) <= tier.km : false;
  });
  steps.push(
    `tier: healthy datacenters within ${tier.km} km of ${healthy[0]!.datacenter}: ${out.map((c) => c.datacenter).join(', ')}`,
  );
  return out;
}

/**
 * Load-aware pick: the lowest figure in the tier, except that the previous choice is kept until another
 * is lower by more than the margin (answers cached by resolvers would otherwise herd back and forth).
 * Without fresh figures the plain order decides.
 */
function leastOf(input: DecideInput, healthy: readonly CandidateReport[], steps: string[]): CandidateReport {
  const { name } = input;
  const ranked = tierOf(input, healthy, steps).filter((c) => c.figure !== null);
  if (ranked.length === 0) {
    steps.push(`${name.policy}: no fresh figures; first healthy datacenter in order: ${healthy[0]!.datacenter}`);
    return healthy[0]!;
  }
  const best = ranked.reduce((a, b) => (b.figure! < a.figure! ? b : a));
  const figures = ranked.map((c) => `${c.datacenter}=${round(c.figure!)}`).join(', ');
  const prev = ranked.find((c) => c.datacenter === input.previous);
  if (prev && prev !== best && best.figure! >= prev.figure! * (1 - name.margin)) {
    steps.push(
      `${name.policy} (${FIGURE_UNITS[name.policy]}): ${figures}: ${best.datacenter} is lowest, but not by more than the ${round(name.margin * 100)}% margin: ${prev.datacenter} keeps serving`,
    );
    return prev;
  }
  steps.push(`${name.policy} (${FIGURE_UNITS[name.policy]}): ${figures}: ${best.datacenter} is lowest`);
  return best;
}

const FIGURE_UNITS: Partial<Record<PolicyName, string>> = {
  'least-loaded': 'connections per unit of weight',
  'least-bandwidth': 'bytes/s per unit of weight',
  'lowest-latency': "probe RTT ms, from the client's first datacenter's agents where they report",
  'least-response-time': 'RTT ms x (connections per weight + 1)',
};

/**
 * Shed load: the chosen datacenter's share to give away (from the server's controller) goes to the next
 * healthy datacenter in the client's order that is itself below the high watermark.
 */
function shedFor(input: DecideInput, d: Choice): Shed | null {
  const cfg = input.name.shed;
  if (!cfg || d.chosen === null || d.outcome === 'fallback') return null;
  const fraction = input.shedShares?.get(d.chosen)?.share ?? 0;
  if (fraction <= 0) return null;
  const steps = d.steps as string[];
  const to = d.candidates.find(
    (c) => c.datacenter !== d.chosen && c.usable > 0 && (c.load.utilisation === null || c.load.utilisation < cfg.high),
  );
  if (!to) {
    steps.push(
      `shed load: ${d.chosen} sheds ${round(fraction * 100)}%, but no other healthy datacenter is below ${round(cfg.high * 100)}%: nobody moves`,
    );
    return null;
  }
  steps.push(
    `shed load: ${d.chosen} is giving ${round(fraction * 100)}% of its clients (by subnet hash) to ${to.datacenter}`,
  );
  return {
    from: d.chosen,
    to: to.datacenter,
    fraction,
    endpoints: to.endpoints.filter((e) => e.usable).map((e) => e.endpoint),
  };
}

function fallback(
  input: DecideInput,
  base: Omit<Choice, 'chosen' | 'endpoints' | 'outcome' | 'fallback' | 'steps'>,
  withFamily: CandidateReport[],
  steps: string[],
): Choice {
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
