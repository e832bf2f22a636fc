// The class part of a GSLB decision: everything that depends on the client only through its candidate
// order (and the query's family). The client's class gives a datacenter order, health filters it, the
// policy picks (or lists what a per-query pick chooses among), shed load splits, fallback covers "all
// down", the health-aware TTL shortens. The hot path makes one plan per (order, family, health epoch,
// steering epoch); decide() makes one per call. Both then pick per query with pick.ts.
import { LOAD_POLICIES } from '../../zones/policy-types.js';
import type { CandidateReport, ClassPlan, Outcome, PlanInput, ServedOption, Shed } from './decision-types.js';
import { leastOf, loadFigure, round } from './rank.js';
import { candidateOrder, datacenterLoad, endpointStates } from './select.js';
import { healthAwareTtl } from './ttl.js';

type Base = Pick<ClassPlan, 'name' | 'family' | 'policy' | 'order' | 'candidates'>;

const NO_WEIGHTS: readonly number[] = Object.freeze([]);

function usableWeight(c: CandidateReport): number {
  let w = 0;
  for (const e of c.endpoints) if (e.usable) w += e.endpoint.weight;
  return w;
}

const usableEndpoints = (c: CandidateReport) => c.endpoints.filter((e) => e.usable).map((e) => e.endpoint);

/** What a name's endpoints are called in steps: IPv4, IPv6, or CNAME (a CNAME name has no family). */
const endpointKind = (name: PlanInput['name'], family: 4 | 6): string => (name.cname ? 'CNAME' : `IPv${family}`);

/** Whether the answer depends on the client's class: its classes differ, and the policy reads the class. */
function classesDiffer(input: PlanInput): boolean {
  const spread = input.name.policy === 'weighted' || input.name.policy === 'hashed';
  return !spread && (input.classesDiffer ?? input.cls !== null);
}

/** A plan with one option (and shed load's second one), its TTL folded in. */
function single(
  input: PlanInput,
  base: Base,
  steps: string[],
  chosen: string | null,
  endpoints: ServedOption['endpoints'],
  outcome: Outcome,
  fallback: ClassPlan['fallback'],
): ClassPlan {
  const shed = shedFor(input, base.candidates, chosen, outcome, steps);
  const t = healthAwareTtl(input.name, input.now, outcome, base.candidates, chosen);
  if (t.step !== null) steps.push(t.step);
  const main: ServedOption = { datacenter: chosen, endpoints, outcome, ttl: t.ttl, ttlUntil: t.ttlUntil, steps: [] };
  const options: ServedOption[] = [main];
  if (shed)
    options.push({
      ...main,
      datacenter: shed.to,
      endpoints: shed.endpoints,
      steps: [`this client's subnet is among the ${Math.round(shed.fraction * 100)}% moved: ${shed.to}`],
    });
  return {
    ...base,
    fallback,
    steps,
    pick: shed ? 'shed' : 'one',
    options,
    weights: NO_WEIGHTS,
    shed,
    // NODATA and the fallback CNAME (no datacenter) are the same answer for every client.
    byClass: classesDiffer(input) && outcome !== 'nodata' && !(outcome === 'fallback' && chosen === null),
    bySubnet: shed !== null,
    expires: t.ttlUntil ?? 0,
  };
}

export function planFor(input: PlanInput): ClassPlan {
  const { name, family, cls, health, checks } = input;
  const steps: string[] = [];
  const { order } = candidateOrder(name, cls);
  const policy = name.policy;
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
  const base: Base = { name, family, policy, order, candidates };
  const withFamily = candidates.filter((c) => c.endpoints.length > 0);
  const kind = endpointKind(name, family);
  if (withFamily.length === 0) {
    steps.push(`no datacenter has ${kind} endpoints: NODATA`);
    return single(input, base, steps, null, [], 'nodata', null);
  }
  const healthy = withFamily.filter((c) => c.usable > 0);
  for (const c of withFamily)
    if (c.usable === 0)
      steps.push(
        `${c.datacenter}: no usable ${kind} endpoint (${c.endpoints.map((e) => `${e.endpoint.address} ${e.drained ? 'drained' : e.health.reason}`).join('; ')})`,
      );
  if (healthy.length === 0) return fallback(input, base, withFamily, steps);
  if (policy === 'weighted' || policy === 'hashed') return spread(input, base, healthy, steps);

  let chosen: CandidateReport;
  if (LOAD_POLICIES.has(policy)) chosen = leastOf(input, healthy, steps);
  else {
    chosen = healthy[0]!;
    steps.push(`first datacenter in order with a usable endpoint: ${chosen.datacenter}`);
  }
  // A failover is serving elsewhere because the client's first datacenter is down.
  const outcome: Outcome = withFamily[0]!.usable === 0 ? 'failover' : 'primary';
  if (outcome === 'failover') steps.push(`failover: ${withFamily[0]!.datacenter} is down, ${chosen.datacenter} serves`);
  return single(input, base, steps, chosen.datacenter, usableEndpoints(chosen), outcome, null);
}

/** weighted and hashed: every healthy datacenter is an option, picked per query (by draw or by hash). */
function spread(input: PlanInput, base: Base, healthy: readonly CandidateReport[], steps: string[]): ClassPlan {
  const weights = healthy.map(usableWeight);
  let expires = 0;
  const options = healthy.map((c): ServedOption => {
    const t = healthAwareTtl(input.name, input.now, 'primary', base.candidates, c.datacenter);
    if (t.ttlUntil !== null && (expires === 0 || t.ttlUntil < expires)) expires = t.ttlUntil;
    const endpoints = usableEndpoints(c);
    return {
      datacenter: c.datacenter,
      endpoints,
      outcome: 'primary',
      ttl: t.ttl,
      ttlUntil: t.ttlUntil,
      steps: t.step ? [t.step] : [],
    };
  });
  const hashed = input.name.policy === 'hashed';
  return {
    ...base,
    fallback: null,
    steps,
    pick: hashed ? 'hashed' : 'weighted',
    options,
    weights,
    shed: null,
    byClass: false,
    bySubnet: hashed,
    expires,
  };
}

/**
 * Shed load: the chosen datacenter's share to give away (from the node's steering state) goes to the
 * next healthy datacenter in the client's order that is itself below the high watermark.
 */
function shedFor(
  input: PlanInput,
  candidates: readonly CandidateReport[],
  chosen: string | null,
  outcome: Outcome,
  steps: string[],
): Shed | null {
  const cfg = input.name.shed;
  if (!cfg || chosen === null || outcome === 'fallback') return null;
  const fraction = input.shedShares?.get(chosen)?.share ?? 0;
  if (fraction <= 0) return null;
  const to = candidates.find(
    (c) => c.datacenter !== chosen && c.usable > 0 && (c.load.utilisation === null || c.load.utilisation < cfg.high),
  );
  if (!to) {
    steps.push(
      `shed load: ${chosen} sheds ${round(fraction * 100)}%, but no other healthy datacenter is below ${round(cfg.high * 100)}%: nobody moves`,
    );
    return null;
  }
  steps.push(
    `shed load: ${chosen} is giving ${round(fraction * 100)}% of its clients (by subnet hash) to ${to.datacenter}`,
  );
  return { from: chosen, to: to.datacenter, fraction, endpoints: usableEndpoints(to) };
}

function fallback(input: PlanInput, base: Base, withFamily: CandidateReport[], steps: string[]): ClassPlan {
  const mode = input.name.fallback;
  const first = withFamily[0]!;
  steps.push(`every candidate is down: fallback '${mode}'`);
  switch (mode) {
    case 'all':
      steps.push(`fail open with every endpoint of ${first.datacenter}`);
      return single(
        input,
        base,
        steps,
        first.datacenter,
        first.endpoints.map((e) => e.endpoint),
        'fallback',
        mode,
      );
    case 'first':
      steps.push(`answer with the first endpoint of ${first.datacenter}`);
      return single(input, base, steps, first.datacenter, [first.endpoints[0]!.endpoint], 'fallback', mode);
    case 'nodata':
      return single(input, base, steps, null, [], 'nodata', mode);
    case 'servfail':
      return single(input, base, steps, null, [], 'servfail', mode);
    case 'cname': {
      const sorry = input.name.fallbackCname!;
      steps.push(`answer with the fallback CNAME ${sorry.address}`);
      return single(input, base, steps, null, [sorry], 'fallback', mode);
    }
  }
}
