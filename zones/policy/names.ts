// The names section: each load-balanced name with its pools, its own regions if any, and every
// reference (check, datacenters, load source) checked against what the zone defines.
import { parseName, type DnsName } from '../name.js';
import {
  DEFAULT_MARGIN,
  DEFAULT_MAX_ANSWERS,
  DEFAULT_MIN_TTL,
  DEFAULT_SPREAD,
  DEFAULT_TTL,
  type Check,
  type Datacenter,
  type Endpoint,
  type Fallback,
  type LbName,
  type LoadSource,
  type PolicyName,
  type Pool,
  type RegionMap,
} from '../policy-types.js';
import type { Collector } from './collector.js';
import { buildEndpoint, entryPath, type RawEndpoint } from './endpoints.js';
import type { PolicyFile } from './file.js';
import { located } from './located.js';
import type { Owned, Raw } from './merge.js';
import { buildMinUp } from './min-up.js';
import { buildRegions } from './regions.js';
import { buildShed, buildTier, checkSteering } from './steering.js';
import { ratio } from './values.js';

/** The zone's sections a name refers to, built before the names. */
export interface NameContext {
  readonly datacenters: ReadonlyMap<string, Datacenter>;
  readonly checks: ReadonlyMap<string, Check>;
  readonly loads: ReadonlyMap<string, LoadSource>;
  readonly regions: RegionMap;
}

/** The name `label` of file f, or null when its owner name is unusable. */
export function buildName(
  label: string,
  raw: Raw,
  f: PolicyFile,
  apex: DnsName,
  cfg: NameContext,
  errs: Collector,
  isCountry: (code: string) => boolean,
): LbName | null {
  const path = ['names', label];
  const owner = parseName(label === '@' ? '@' : label, apex);
  if (!owner.ok || label.endsWith('.')) {
    errs.at(
      f,
      path,
      'E_POLICY_BAD_NAME',
      owner.ok ? 'must be relative to the zone apex (no trailing dot)' : owner.error,
    );
    return null;
  }
  const policy = (raw['policy'] as PolicyName) ?? 'geo';
  const check = (raw['check'] as string) ?? null;
  if (check !== null && !cfg.checks.has(check)) errs.unknown(f, [...path, 'check'], 'checks', check, cfg.checks.keys());
  const pools: Pool[] = [];
  const seen = new Map<string, string>();
  const rawPools = raw['pools'] as Record<string, RawEndpoint[]>;
  for (const dc in rawPools) {
    const list = rawPools[dc]!;
    if (!cfg.datacenters.has(dc)) errs.unknown(f, [...path, 'pools', dc], 'datacenters', dc, cfg.datacenters.keys());
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < list.length; i++) {
      const ep = buildEndpoint(list[i]!, dc, path, i, f, errs);
      if (!ep) continue;
      const prev = seen.get(ep.address);
      if (prev !== undefined)
        errs.at(
          f,
          entryPath(path, dc, i),
          'E_POLICY_ADDRESS_IN_TWO_POOLS',
          `address ${ep.address} is already in pool '${prev}'`,
        );
      seen.set(ep.address, dc);
      endpoints.push(ep);
    }
    if (endpoints.length > 0 && endpoints.every((e) => e.weight === 0))
      errs.at(
        f,
        [...path, 'pools', dc],
        'E_POLICY_ALL_WEIGHTS_ZERO',
        'every endpoint has weight 0: the pool could never be chosen',
      );
    // slice(): exact-size copies; arrays grown by push keep spare capacity (x 100,000 names).
    pools.push(Object.freeze({ datacenter: dc, endpoints: Object.freeze(endpoints.slice()) }));
  }
  let regions: RegionMap | null = null;
  if (raw['regions'] !== undefined) {
    const own = new Map<string, Owned<Raw>>();
    for (const [k, v] of Object.entries(raw['regions'] as Record<string, Raw>)) own.set(k, { value: v, file: f });
    regions = buildRegions(own, [...path, 'regions'], cfg.datacenters, errs, isCountry);
  }
  const effective = regions ?? cfg.regions;
  if (policy === 'geo' && effective.size === 0 && errs.isIncomplete('regions'))
    errs.notChecked(f, [...path, 'policy'], 'regions');
  else if (policy === 'geo' && effective.size === 0)
    errs.at(
      f,
      [...path, 'policy'],
      'E_POLICY_NEEDS_REGIONS',
      `policy '${policy}' needs regions (in the zone's policy files or the name's own 'regions')`,
    );
  if (policy === 'nearest')
    for (const p of pools) {
      const dc = cfg.datacenters.get(p.datacenter);
      if (dc && !dc.location)
        errs.at(
          f,
          [...path, 'pools', p.datacenter],
          'E_POLICY_NEEDS_LOCATION',
          `policy 'nearest' needs a location for datacenter '${p.datacenter}'`,
        );
    }
  const load = (raw['load'] as string) ?? null;
  checkSteering(raw, policy, check, load, pools, path, f, errs, cfg);
  return located(
    {
      label,
      owner: owner.name,
      policy,
      ttl: (raw['ttl'] as number) ?? DEFAULT_TTL,
      minTtl: Math.min((raw['min_ttl'] as number) ?? DEFAULT_MIN_TTL, (raw['ttl'] as number) ?? DEFAULT_TTL),
      maxAnswers: (raw['max_answers'] as number) ?? DEFAULT_MAX_ANSWERS,
      check,
      load,
      tier: buildTier(raw['tier']),
      margin: ratio(raw['margin'], DEFAULT_MARGIN),
      shed: raw['shed'] !== undefined ? buildShed(raw['shed'] as Raw, [...path, 'shed'], f, errs) : null,
      fallback: (raw['fallback'] as Fallback) ?? 'all',
      spread: (raw['spread'] as number) ?? DEFAULT_SPREAD,
      minUp: buildMinUp(raw['min_up'], pools, [...path, 'min_up'], f, errs),
      pools: Object.freeze(pools.slice()),
      regions,
      file: f.file,
    },
    f,
    null,
  );
}
