// The per-query part of a GSLB decision, shared by decide() and the hot path: which of a plan's options
// this client gets (a weighted draw, a rendezvous hash of its /24 or /56, shed membership by subnet
// hash) and the ECS scope that answer is valid for. Cheap and allocation-free: it runs on every query.
import { fnv1a } from '../../zones/hash.js';
import type { ClassPlan, ScopeRule } from './decision-types.js';
import { rendezvousScore, weightedPick } from './select.js';
import { isShed } from './shed.js';

/** Bits of the client address the hashed policy and shed load key on: /24 for IPv4, /56 for IPv6. */
export const HASH_PREFIX = { 4: 24, 6: 56 } as const;

/** The client's own family, from its address bytes (4 or 16). */
export const familyOfSubnet = (subnet: Uint8Array): 4 | 6 => (subnet.length === 16 ? 6 : 4);

/** A client subnet's place in [0, 1) for shed load: /24 or /56, salted with the name so names differ. */
export function subnetHash(subnet: Uint8Array, salt: string): number {
  return fnv1a(subnet, HASH_PREFIX[familyOfSubnet(subnet)] >> 3, salt) / 4294967296;
}

/** The index of the option this client gets. `subnet` is its address (4 or 16 bytes). */
export function pickOption(plan: ClassPlan, subnet: Uint8Array, rng: () => number): number {
  switch (plan.pick) {
    case 'one':
      return 0;
    case 'shed':
      return isShed(subnetHash(subnet, plan.name.owner.key), plan.shed!.fraction) ? 1 : 0;
    case 'weighted':
      return weightedPick(plan.weights, rng);
    case 'hashed': {
      // Keyed on the client's own family (its /24 or /56), whatever the query's type.
      const bytes = HASH_PREFIX[familyOfSubnet(subnet)] >> 3;
      const options = plan.options;
      let best = -1;
      let pick = 0;
      for (let i = 0; i < options.length; i++) {
        const score = rendezvousScore(subnet, bytes, options[i]!.datacenter!, plan.weights[i]!);
        if (score > best) {
          best = score;
          pick = i;
        }
      }
      return pick;
    }
  }
}

/** Whether a plan's answer depends on the client at all (else the ECS scope is 0 whatever the client). */
export function dependsOnClient(rule: ScopeRule): boolean {
  return rule.byClass || rule.bySubnet;
}

/**
 * The ECS scope of a plan's answer for a client of `clientFamily` whose class holds over `depth` bits:
 * the class's depth when the answer follows the class; at least /24 (/56) when it follows the client's
 * subnet, never narrower than the class's; 0 when the answer is the same for everyone.
 */
export function scopeOf(rule: ScopeRule, clientFamily: 4 | 6, depth: number): number {
  if (rule.bySubnet) {
    const subnet = HASH_PREFIX[clientFamily];
    return rule.byClass && depth > subnet ? depth : subnet;
  }
  return rule.byClass ? depth : 0;
}
