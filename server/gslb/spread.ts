// spread: an answer draws endpoints from the chosen datacenter and the next healthy ones of the client's
// order, so a client whose datacenter dies mid-TTL already holds an address elsewhere. Each datacenter
// gets a fixed number of places in every answer (the chosen one the most, every other at least one)
// and its endpoints rotate within those places (wire.ts).
import type { Endpoint, LbName } from '../../zones/policy-types.js';
import type { CandidateReport, SpreadGroup } from './decision-types.js';

export const usableEndpoints = (c: CandidateReport): Endpoint[] =>
  c.endpoints.filter((e) => e.usable).map((e) => e.endpoint);

/**
 * Places per answer for groups of these sizes within max: every group one, the first what is left
 * after that (up to its size), then any room left to the others in order, up to their sizes.
 */
export function spreadAnswers(sizes: readonly number[], max: number): number[] {
  const out = sizes.map((n, i) => (i === 0 ? Math.min(n, max - (sizes.length - 1)) : 1));
  let left = max - out.reduce((a, b) => a + b, 0);
  for (let i = 0; i < sizes.length && left > 0; i++) {
    const more = Math.min(sizes[i]! - out[i]!, left);
    out[i]! += more;
    left -= more;
  }
  return out;
}

export interface Spread {
  /** null: the answer is the one datacenter's (spread 1, or no other healthy datacenter). */
  readonly groups: readonly SpreadGroup[] | null;
  readonly endpoints: readonly Endpoint[];
  /** What explain says about it; null for spread 1. */
  readonly step: string | null;
}

/**
 * The answer of `from` under the name's spread: its usable endpoints first, then those of the next
 * healthy datacenters of `healthy` (the client's order, datacenters that serve the name only), at
 * most `spread` datacenters and never more than max_answers of them.
 */
export function spreadFrom(name: LbName, from: CandidateReport, healthy: readonly CandidateReport[]): Spread {
  const own = usableEndpoints(from);
  if (name.spread <= 1) return { groups: null, endpoints: own, step: null };
  const n = Math.min(name.spread, name.maxAnswers);
  const members = [from];
  for (const c of healthy) if (members.length < n && c !== from) members.push(c);
  if (members.length === 1)
    return {
      groups: null,
      endpoints: own,
      step: `spread ${name.spread}: no other healthy datacenter: ${from.datacenter} alone`,
    };
  const lists = members.map((c, i) => (i === 0 ? own : usableEndpoints(c)));
  const answers = spreadAnswers(
    lists.map((l) => l.length),
    name.maxAnswers,
  );
  const groups = members.map((c, i) => ({ datacenter: c.datacenter, endpoints: lists[i]!, answers: answers[i]! }));
  const why = members.length === n ? `max_answers is ${name.maxAnswers}` : 'no more healthy datacenters';
  const short = members.length < name.spread ? ` (of ${name.spread}: ${why})` : '';
  const parts = groups.map((g) => `${g.datacenter} (${g.answers} per answer)`);
  return {
    groups,
    endpoints: lists.flat(),
    step: `spread over ${members.length} datacenters${short}: ${parts[0]} first, then ${parts.slice(1).join(', ')}`,
  };
}

/** The datacenter of an answer farthest down the client's order (what the health-aware TTL looks up to). */
export function lastInOrder(candidates: readonly CandidateReport[], s: Spread, chosen: string): string {
  if (s.groups === null) return chosen;
  let last = -1;
  for (const g of s.groups)
    last = Math.max(
      last,
      candidates.findIndex((c) => c.datacenter === g.datacenter),
    );
  return candidates[last]?.datacenter ?? chosen;
}
