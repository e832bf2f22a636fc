// The probe plan of a configuration: every (check, endpoint) target of every load-balanced name,
// with the datacenters it serves, and a version fingerprint of the whole plan.
import { probeTargetsFor } from './probe-types.js';
import { fingerprint } from './view.js';
import type { PlanTarget } from './redis-protocol.js';
import type { PolicyConfig } from '../zones/policy-types.js';

export function planFor(policies: readonly PolicyConfig[]): { targets: PlanTarget[]; version: string } {
  const out = new Map<string, PlanTarget>();
  for (const p of policies)
    for (const name of p.names.values()) {
      if (!name.check) continue;
      const check = p.checks.get(name.check);
      if (!check) continue;
      for (const pool of name.pools)
        for (const t of probeTargetsFor(check, pool.endpoints)) {
          const prev = out.get(t.key);
          const datacenters = prev ? [...new Set([...prev.datacenters, pool.datacenter])] : [pool.datacenter];
          out.set(t.key, { ...t, datacenters });
        }
    }
  const targets = [...out.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  return { targets, version: fingerprint(targets.map((t) => t.key + '@' + t.datacenters.join(',')).join(';')) };
}
