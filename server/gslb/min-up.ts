// min_up: a datacenter serves a name only while at least its threshold of endpoints of the asked
// family are usable; below it, it counts as down for that name (not chosen, not a tier member, not
// spread into), so its clients move on instead of piling onto its last survivors.
import type { LbName } from '../../zones/policy-types.js';
import type { CandidateReport } from './decision-types.js';

/**
 * The usable endpoints `dc` needs to serve `name`, out of its `total` endpoints of the asked family:
 * a count (at most all of them), or ceil(P% of them); at least 1.
 */
export function minUpThreshold(name: LbName, dc: string, total: number): number {
  const rule = name.minUp?.get(dc);
  if (rule === undefined) return 1;
  const need = rule.count !== null ? Math.min(rule.count, total) : Math.ceil((rule.percent! * total) / 100);
  return Math.max(1, need);
}

/** Whether a candidate serves the name: enough usable endpoints of the family for its min_up. */
export function serves(c: CandidateReport): boolean {
  return c.usable > 0 && c.usable >= c.minUp;
}
