// The probe plan of a configuration: every (check, endpoint) and (load source, endpoint) target of
// every load-balanced name, its steering checks and its monitor checks alike, with the datacenters it
// serves and who probes it, and a version fingerprint of the whole plan. Here, where the layers meet:
// policy (zones/) in, plan targets (health/) out, so health/ never reads a policy to know what to probe.
import { loadTargetsFor, probeTargetsFor, type ProbeTarget } from '../health/probe-types.js';
import type { PlanTarget, ProbePlan } from '../health/plan-types.js';
import { fingerprint } from '../zones/hash.js';
import type { ProbeFrom, PolicyConfig } from '../zones/policy-types.js';

export function planFor(policies: readonly PolicyConfig[]): ProbePlan {
  const out = new Map<string, PlanTarget>();
  /** Who probes each target, as its check says (the key holds the check's settings: one `from` per key). */
  const fromOf = new Map<string, ProbeFrom>();
  const add = (t: ProbeTarget, dc: string, from: ProbeFrom) => {
    const prev = out.get(t.key);
    out.set(t.key, { ...t, datacenters: prev ? [...new Set([...prev.datacenters, dc])] : [dc] });
    fromOf.set(t.key, from);
  };
  for (const p of policies)
    for (const name of p.names.values()) {
      const load = name.load ? p.loads.get(name.load) : undefined;
      for (const pool of name.pools) {
        for (const list of [name.checks, name.monitor])
          for (const checkName of list) {
            const check = p.checks.get(checkName);
            if (check) for (const t of probeTargetsFor(check, pool.endpoints)) add(t, pool.datacenter, check.from);
          }
        if (load) for (const t of loadTargetsFor(load, pool.endpoints)) add(t, pool.datacenter, 'all');
      }
    }
  const targets = [...out.values()]
    .map((t) => withFrom(t, fromOf.get(t.key)!))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  return {
    targets,
    version: fingerprint(
      targets.map((t) => t.key + '@' + t.datacenters.join(',') + (t.from ? '<' + t.from.join(',') : '')).join(';'),
    ),
  };
}

/** The target with who probes it: nothing for every agent, else the datacenters ('local': those it serves). */
function withFrom(t: PlanTarget, from: ProbeFrom): PlanTarget {
  if (from === 'all') return t;
  return { ...t, from: from === 'local' ? t.datacenters : from };
}
