// The GSLB decision as one pure function that also returns its reasoning. Two parts, the same ones
// the hot path uses: the class part (plan.ts: candidates, health, the policy, shed load, fallback,
// TTL), which the answerer caches per (candidate order, family, health epoch, steering epoch), and
// the per-query pick (pick.ts: weighted draw, rendezvous hash, shed membership) among its options.
// `gslb explain` prints the steps; what a reply serves is exactly one Decision's option.
import type { ClassPlan, Decision, DecideInput } from './decision-types.js';
import type { ClientClass } from './classify.js';
import { HASH_PREFIX, familyOfSubnet, pickOption, scopeOf } from './pick.js';
import { planFor } from './plan.js';
import { candidateOrder } from './select.js';

export type { CandidateReport, ClassPlan, Decision, DecideInput, Outcome, Shed } from './decision-types.js';
export { HASH_PREFIX } from './pick.js';
export { loadFigure } from './rank.js';

/** The whole decision for one client: its class's plan, then its own pick. */
export function decide(input: DecideInput): Decision {
  const plan = planFor(input);
  const clientFamily = familyOfSubnet(input.subnet);
  const depth = input.depth ?? (clientFamily === 4 ? 32 : 128);
  return decisionOf(plan, pickOption(plan, input.subnet, input.rng), input.cls, clientFamily, depth);
}

/** The step a per-query pick adds: which draw or hash chose this option. */
function pickStep(plan: ClassPlan, index: number, clientFamily: 4 | 6): string | null {
  const chosen = plan.options[index]!.datacenter;
  if (plan.pick === 'weighted')
    return `weighted pick among ${plan.options.map((o, i) => `${o.datacenter} (weight ${plan.weights[i]})`).join(', ')}: ${chosen}`;
  if (plan.tierSplit)
    return `tier split by rendezvous hash of the client /${HASH_PREFIX[clientFamily]}: ${plan.options.map((o, i) => `${o.datacenter} (weight ${plan.weights[i]})`).join(', ')}: ${chosen}`;
  if (plan.pick === 'hashed')
    return `rendezvous hash of the client /${HASH_PREFIX[clientFamily]} over ${plan.options.map((o) => o.datacenter).join(', ')}: ${chosen}`;
  return null;
}

/**
 * The Decision a client of class `cls` gets from option `index` of a plan: what was served, with the
 * steps that led there and the ECS scope (in the client's family; `depth` is its class trie depth).
 */
export function decisionOf(
  plan: ClassPlan,
  index: number,
  cls: ClientClass | null,
  clientFamily: 4 | 6,
  depth: number,
): Decision {
  const o = plan.options[index]!;
  const steps = [`candidates (${candidateOrder(plan.name, cls).why}): ${plan.order.join(', ')}`, ...plan.steps];
  const pick = pickStep(plan, index, clientFamily);
  if (pick !== null) steps.push(pick);
  steps.push(...o.steps);
  return {
    name: plan.name,
    family: plan.family,
    policy: plan.policy,
    order: plan.order,
    candidates: plan.candidates,
    chosen: o.datacenter,
    endpoints: o.endpoints,
    ...(o.groups ? { groups: o.groups } : {}),
    ...(plan.tierSplit
      ? { split: plan.options.map((x, i) => ({ datacenter: x.datacenter!, weight: plan.weights[i]! })) }
      : {}),
    outcome: o.outcome,
    fallback: plan.fallback,
    steps,
    ttl: o.ttl,
    ttlUntil: o.ttlUntil,
    shed: plan.shed,
    scope: scopeOf(plan, clientFamily, depth),
  };
}
