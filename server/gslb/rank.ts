// The load-aware pick: figures per datacenter, the tier of datacenters that compete, the lowest
// figure with the margin rule, and the plain order whenever a competitor has no fresh figure.
import type { PolicyName } from '../../zones/policy-types.js';
import type { CandidateReport, PlanInput } from './decision-types.js';
import { greatCircleKm } from './distance.js';
import type { EndpointState } from './select.js';

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

export function round(x: number): number {
  return Math.round(x * 100) / 100;
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

/** The healthy datacenters that compete for this client under the name's tier. */
function tierOf(input: PlanInput, healthy: readonly CandidateReport[], steps: string[]): CandidateReport[] {
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

const FIGURE_UNITS: Partial<Record<PolicyName, string>> = {
  'least-loaded': 'connections per unit of weight',
  'least-bandwidth': 'bytes/s per unit of weight',
  'lowest-latency': "probe RTT ms, from the client's first datacenter's agents where they report",
  'least-response-time': 'RTT ms x (connections per weight + 1)',
};

/**
 * Load-aware pick: the lowest figure in the tier, except that the previous choice is kept until another
 * is lower by more than the margin (answers cached by resolvers would otherwise herd back and forth).
 * When any datacenter of the tier lacks a fresh figure, the plain order decides: a datacenter whose
 * stats page is gone is not ranked out while its endpoints are healthy.
 */
export function leastOf(input: PlanInput, healthy: readonly CandidateReport[], steps: string[]): CandidateReport {
  const { name } = input;
  const tier = tierOf(input, healthy, steps);
  const first = tier[0] ?? healthy[0]!;
  const missing = tier.filter((c) => c.figure === null);
  if (missing.length === tier.length) {
    steps.push(`${name.policy}: no fresh figures; first healthy datacenter in order: ${first.datacenter}`);
    return first;
  }
  if (missing.length > 0) {
    steps.push(
      `${name.policy}: no fresh figures for ${missing.map((c) => c.datacenter).join(', ')}: the plain order decides; first healthy datacenter in order: ${first.datacenter}`,
    );
    return first;
  }
  const best = tier.reduce((a, b) => (b.figure! < a.figure! ? b : a));
  const figures = tier.map((c) => `${c.datacenter}=${round(c.figure!)}`).join(', ');
  const prev = tier.find((c) => c.datacenter === input.previous);
  if (prev && prev !== best && best.figure! >= prev.figure! * (1 - name.margin)) {
    steps.push(
      `${name.policy} (${FIGURE_UNITS[name.policy]}): ${figures}: ${best.datacenter} is lowest, but not by more than the ${round(name.margin * 100)}% margin: ${prev.datacenter} keeps serving`,
    );
    return prev;
  }
  steps.push(`${name.policy} (${FIGURE_UNITS[name.policy]}): ${figures}: ${best.datacenter} is lowest`);
  return best;
}
