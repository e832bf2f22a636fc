// The probe plan of a configuration: every (check, endpoint) and (load source, endpoint) target of
// every load-balanced name, with the datacenters it serves, and a version fingerprint of the whole plan.
// Here, where the layers meet: policy (zones/) in, plan targets (health/) out, so health/ never reads a
// policy to know what to probe.
import { loadTargetsFor, probeTargetsFor, type ProbeTarget } from '../health/probe-types.js';
import type { PlanTarget, ProbePlan } from '../health/plan-types.js';
import { fingerprint } from '../zones/hash.js';
import type { PolicyConfig } from '../zones/policy-types.js';

export function planFor(policies: readonly PolicyConfig[]): ProbePlan {
  const out = new Map<string, PlanTarget>();
  const add = (t: ProbeTarget, dc: string) => {
    const prev = out.get(t.key);
    out.set(t.key, { ...t, datacenters: prev ? [...new Set([...prev.datacenters, dc])] : [dc] });
  };
  for (const p of policies)
    for (const name of p.names.values()) {
      const check = name.check ? p.checks.get(name.check) : undefined;
      const load = name.load ? p.loads.get(name.load) : undefined;
      for (const pool of name.pools) {
        if (check) for (const t of probeTargetsFor(check, pool.endpoints)) add(t, pool.datacenter);
        if (load) for (const t of loadTargetsFor(load, pool.endpoints)) add(t, pool.datacenter);
      }
    }
  const targets = [...out.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  return { targets, version: fingerprint(targets.map((t) => t.key + '@' + t.datacenters.join(',')).join(';')) };
}
