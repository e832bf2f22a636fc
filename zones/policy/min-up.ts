// A name's min_up: how many endpoints of the asked family a datacenter needs usable to serve it. One
// value applies to every pool; a map names datacenters of the name's pools (the others need 1).
import type { MinUp, Pool } from '../policy-types.js';
import { didYouMean } from '../suggest.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';
import type { Path } from './sections.js';

type RawMinUp = number | string;

/** One min_up value (the schema checked its form: an integer >= 1 or "P%"), or null when out of range. */
function minUpOf(v: RawMinUp, path: Path, f: PolicyFile, errs: Collector): MinUp | null {
  if (typeof v === 'number') return Object.freeze({ count: v, percent: null });
  const percent = Number(v.slice(0, -1));
  if (percent > 100) {
    errs.at(f, path, 'E_POLICY_OUT_OF_RANGE', `${v} is more than 100%`);
    return null;
  }
  return Object.freeze({ count: null, percent });
}

/** The name's min_up by datacenter, or null when it has none (1 everywhere). */
export function buildMinUp(
  raw: unknown,
  pools: readonly Pool[],
  path: Path,
  f: PolicyFile,
  errs: Collector,
): ReadonlyMap<string, MinUp> | null {
  if (raw === undefined) return null;
  const out = new Map<string, MinUp>();
  if (typeof raw === 'number' || typeof raw === 'string') {
    const one = minUpOf(raw, path, f, errs);
    if (one) for (const p of pools) out.set(p.datacenter, one);
    return out;
  }
  const inPools = pools.map((p) => p.datacenter);
  for (const [dc, v] of Object.entries(raw as Record<string, RawMinUp>)) {
    if (!inPools.includes(dc)) {
      errs.at(
        f,
        [...path, dc],
        'E_POLICY_MIN_UP_NOT_A_POOL',
        `'${dc}' is not one of the name's pools (${inPools.join(', ')})${didYouMean(dc, inPools)}`,
      );
      continue;
    }
    const one = minUpOf(v, [...path, dc], f, errs);
    if (one) out.set(dc, one);
  }
  return out;
}
