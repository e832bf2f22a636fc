// The class part of a GSLB decision: everything that depends on the client only through its candidate
// order (and the query's family). The client's class gives a datacenter order, health filters it (and
// min_up: a datacenter below it counts as down), the policy picks (or lists what a per-query pick
// chooses among, such as the members of a region's split tier), shed load splits, spread adds the next
// datacenters' endpoints, fallback covers "all down", the health-aware TTL shortens. The hot path
// makes one plan per (order, family, health epoch, steering epoch); decide() makes one per call. Both
// then pick per query with pick.ts.
import { LOAD_POLICIES, type TierSplit } from '../../zones/policy-types.js';
import type { CandidateReport, ClassPlan, Outcome, PlanInput, ServedOption, Shed } from './decision-types.js';
import { minUpThreshold, serves } from './min-up.js';
import { leastOf, loadFigure, round } from './rank.js';
import { candidateOrder, datacenterLoad, endpointStates } from './select.js';
import { lastInOrder, spreadFrom, usableEndpoints } from './spread.js';
import { healthAwareTtl } from './ttl.js';

type Base = Pick<ClassPlan, 'name' | 'family' | 'policy' | 'order' | 'candidates'>;

const NO_WEIGHTS: readonly number[] = Object.freeze([]);
const NO_CANDIDATES: readonly CandidateReport[] = Object.freeze([]);

function usableWeight(c: CandidateReport): number {
  let w = 0;
  for (const e of c.endpoints) if (e.usable) w += e.endpoint.weight;
  return w;
}

/** Whether the answer depends on the client's class: its classes differ, and the policy reads the class. */
function classesDiffer(input: PlanInput): boolean {
  const spread = input.name.policy === 'weighted' || input.name.policy === 'hashed';
  return !spread && (input.classesDiffer ?? input.cls !== null);
}

/** The split tier `dc` is in, if any. */
const splitOf = (splits: readonly TierSplit[], dc: string) => splits.find((s) => s.datacenters.includes(dc));

/** Whether two datacenters are one tier of the order: the same one, or members of one split. */
function sameTier(splits: readonly TierSplit[], a: string, b: string): boolean {
  return a === b || (splitOf(splits, a)?.datacenters.includes(b) ?? false);
}

const splitText = (s: TierSplit) => s.datacenters.map((d, i) => `${d} ${s.weights[i]}`).join(', ');

/**
 * A plan with one option (and shed load's second one), its TTL folded in. `healthy` (the datacenters
 * that serve the name, in order) is what spread draws on; empty when there is nothing to spread.
 */
function single(
  input: PlanInput,
  base: Base,
  steps: string[],
  chosen: string | null,
  endpoints: ServedOption['endpoints'],
  outcome: Outcome,
  fallback: ClassPlan['fallback'],
  healthy: readonly CandidateReport[] = NO_CANDIDATES,
): ClassPlan {
  const shed = shedFor(input, base.candidates, chosen, outcome, steps);
  const from = healthy.find((c) => c.datacenter === chosen);
  const spread = from ? spreadFrom(input.name, from, healthy) : null;
  const through = spread && chosen !== null ? lastInOrder(base.candidates, spread, chosen) : chosen;
  const t = healthAwareTtl(input.name, input.now, outcome, base.candidates, through);
  if (t.step !== null) steps.push(t.step);
  const main: ServedOption = {
    datacenter: chosen,
    endpoints: spread ? spread.endpoints : endpoints,
    ...(spread?.groups ? { groups: spread.groups } : {}),
    outcome,
    ttl: t.ttl,
    ttlUntil: t.ttlUntil,
    steps: spread?.step ? [spread.step] : [],
  };
  const options: ServedOption[] = [main];
  if (shed) {
    const to = healthy.find((c) => c.datacenter === shed.to)!;
    const moved = spreadFrom(input.name, to, healthy);
    options.push({
      datacenter: shed.to,
      endpoints: moved.endpoints,
      ...(moved.groups ? { groups: moved.groups } : {}),
      outcome,
      ttl: main.ttl,
      ttlUntil: main.ttlUntil,
      steps: [
        `this client's subnet is among the ${Math.round(shed.fraction * 100)}% moved: ${shed.to}`,
        ...(moved.step ? [moved.step] : []),
      ],
    });
  }
  return {
    ...base,
    fallback,
    steps,
    pick: shed ? 'shed' : 'one',
    options,
    weights: NO_WEIGHTS,
    shed,
    byClass: classesDiffer(input) && outcome !== 'nodata',
    bySubnet: shed !== null,
    expires: t.ttlUntil ?? 0,
  };
}

export function planFor(input: PlanInput): ClassPlan {
  const { name, family, cls, health, checks } = input;
  const steps: string[] = [];
  const order = candidateOrder(name, cls);
  const policy = name.policy;
  const candidates: CandidateReport[] = order.order.map((dc) => {
    const endpoints = endpointStates(name, dc, family, health, checks, input.loads);
    const usable = endpoints.filter((e) => e.usable);
    return {
      datacenter: dc,
      endpoints,
      usable: usable.length,
      minUp: minUpThreshold(name, dc, endpoints.length),
      figure: LOAD_POLICIES.has(policy) ? loadFigure(policy, usable, order.order[0]) : null,
      load: datacenterLoad(usable),
    };
  });
  const base: Base = { name, family, policy, order: order.order, candidates };
  const withFamily = candidates.filter((c) => c.endpoints.length > 0);
  if (withFamily.length === 0) {
    steps.push(`no datacenter has IPv${family} endpoints: NODATA`);
    return single(input, base, steps, null, [], 'nodata', null);
  }
  const healthy = withFamily.filter(serves);
  for (const c of withFamily)
    if (c.usable === 0)
      steps.push(
        `${c.datacenter}: no usable IPv${family} endpoint (${c.endpoints.map((e) => `${e.endpoint.address} ${e.drained ? 'drained' : e.health.reason}`).join('; ')})`,
      );
    else if (!serves(c))
      steps.push(
        `${c.datacenter}: ${c.usable} of ${c.endpoints.length} IPv${family} endpoints usable, below min_up ${c.minUp}: counts as down`,
      );
  if (healthy.length === 0) return fallback(input, base, withFamily, steps);
  if (policy === 'weighted' || policy === 'hashed') return spread(input, base, healthy, steps);

  // Load-aware policies rank a split tier's members as plain candidates.
  const splits = LOAD_POLICIES.has(policy) ? [] : order.splits;
  let chosen: CandidateReport;
  if (LOAD_POLICIES.has(policy)) chosen = leastOf(input, healthy, steps);
  else {
    chosen = healthy[0]!;
    steps.push(`first datacenter in order with a usable endpoint: ${chosen.datacenter}`);
    const split = splitOf(splits, chosen.datacenter);
    if (split) {
      const tier = splitTier(input, base, split, healthy, withFamily[0]!, steps);
      if ('plan' in tier) return tier.plan;
      chosen = tier.chosen;
    }
  }
  // A failover is serving elsewhere because the client's first datacenter (and its tier) is down.
  const first = withFamily[0]!;
  const outcome: Outcome =
    serves(first) || sameTier(splits, first.datacenter, chosen.datacenter) ? 'primary' : 'failover';
  if (outcome === 'failover') steps.push(`failover: ${first.datacenter} is down, ${chosen.datacenter} serves`);
  return single(input, base, steps, chosen.datacenter, usableEndpoints(chosen), outcome, null, healthy);
}

/**
 * The first healthy datacenter is in a split tier: two or more of the tier's healthy members with a
 * weight above 0 split its clients by a rendezvous hash of their /24 (/56), with the tier's weights;
 * one takes the whole tier (the one with weight, else the first healthy one).
 */
function splitTier(
  input: PlanInput,
  base: Base,
  split: TierSplit,
  healthy: readonly CandidateReport[],
  first: CandidateReport,
  steps: string[],
): { plan: ClassPlan } | { chosen: CandidateReport } {
  const weightOf = (c: CandidateReport) => split.weights[split.datacenters.indexOf(c.datacenter)]!;
  const members = healthy.filter((c) => split.datacenters.includes(c.datacenter));
  const weighted = members.filter((c) => weightOf(c) > 0);
  if (weighted.length < 2) {
    const only = weighted[0] ?? members[0]!;
    const why =
      members.length === 1 ? 'the only healthy datacenter of the tier' : 'the only healthy one with a weight above 0';
    steps.push(`tier split (${splitText(split)}): ${only.datacenter} is ${why}: it takes the whole tier`);
    return { chosen: only };
  }
  const outcome: Outcome = split.datacenters.includes(first.datacenter) ? 'primary' : 'failover';
  if (outcome === 'failover') steps.push(`failover: ${first.datacenter} is down, the split tier serves`);
  const shed = input.name.shed;
  if (shed !== null && weighted.some((c) => (input.shedShares?.get(c.datacenter)?.share ?? 0) > 0))
    steps.push("shed load: not applied while the tier's split is in effect (the split already spreads its clients)");
  let expires = 0;
  const options = weighted.map((c): ServedOption => {
    const s = spreadFrom(input.name, c, healthy);
    const t = healthAwareTtl(
      input.name,
      input.now,
      outcome,
      base.candidates,
      lastInOrder(base.candidates, s, c.datacenter),
    );
    if (t.ttlUntil !== null && (expires === 0 || t.ttlUntil < expires)) expires = t.ttlUntil;
    return {
      datacenter: c.datacenter,
      endpoints: s.endpoints,
      ...(s.groups ? { groups: s.groups } : {}),
      outcome,
      ttl: t.ttl,
      ttlUntil: t.ttlUntil,
      steps: [...(t.step ? [t.step] : []), ...(s.step ? [s.step] : [])],
    };
  });
  return {
    plan: {
      ...base,
      fallback: null,
      steps,
      pick: 'hashed',
      options,
      weights: weighted.map(weightOf),
      tierSplit: true,
      shed: null,
      byClass: classesDiffer(input),
      bySubnet: true,
      expires,
    },
  };
}

/** weighted and hashed: every healthy datacenter is an option, picked per query (by draw or by hash). */
function spread(input: PlanInput, base: Base, healthy: readonly CandidateReport[], steps: string[]): ClassPlan {
  const weights = healthy.map(usableWeight);
  let expires = 0;
  const options = healthy.map((c): ServedOption => {
    const s = spreadFrom(input.name, c, healthy);
    const through = lastInOrder(base.candidates, s, c.datacenter);
    const t = healthAwareTtl(input.name, input.now, 'primary', base.candidates, through);
    if (t.ttlUntil !== null && (expires === 0 || t.ttlUntil < expires)) expires = t.ttlUntil;
    return {
      datacenter: c.datacenter,
      endpoints: s.endpoints,
      ...(s.groups ? { groups: s.groups } : {}),
      outcome: 'primary',
      ttl: t.ttl,
      ttlUntil: t.ttlUntil,
      steps: [...(t.step ? [t.step] : []), ...(s.step ? [s.step] : [])],
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
    (c) => c.datacenter !== chosen && serves(c) && (c.load.utilisation === null || c.load.utilisation < cfg.high),
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
  }
}
