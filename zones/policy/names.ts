// The names section: each load-balanced name with its pools, its own regions if any, and every
// reference (check, datacenters, load source) checked against what the zone defines.
import { parseName, type DnsName } from '../name.js';
import {
  DEFAULT_MARGIN,
  DEFAULT_MAX_ANSWERS,
  DEFAULT_MIN_TTL,
  DEFAULT_SPREAD,
  DEFAULT_TTL,
  isCname,
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
import { buildEndpoint, entryPath, parseCnameTarget, type RawEndpoint } from './endpoints.js';
import type { PolicyFile } from './file.js';
import { located } from './located.js';
import type { Owned, Raw } from './merge.js';
import { buildMinUp } from './min-up.js';
import { buildRegions } from './regions.js';
import { buildShed, buildTier, checkSteering } from './steering.js';
import type { Path } from './sections.js';
import { ratio } from './values.js';

/** The zone's sections a name refers to, built before the names. */
export interface NameContext {
  readonly datacenters: ReadonlyMap<string, Datacenter>;
  readonly checks: ReadonlyMap<string, Check>;
  readonly loads: ReadonlyMap<string, LoadSource>;
  readonly regions: RegionMap;
  /** Check lists already made, by their text: 100,000 names with `check: web` share one array. */
  readonly checkLists?: Map<string, readonly string[]>;
}

/**
 * A name's check or monitor: one check or a list of them (empty: none), each defined and listed once.
 * `check: [web, tls]` steers by both (an endpoint is up while every one passes).
 */
function checkList(
  raw: Raw,
  key: 'check' | 'monitor',
  path: Path,
  f: PolicyFile,
  cfg: NameContext,
  errs: Collector,
  /** The name's steering checks, when reading monitor: a check is in one list or the other. */
  steering: readonly string[],
): readonly string[] {
  const value = raw[key] as string | string[] | undefined;
  if (value === undefined) return NO_CHECKS;
  const list = typeof value === 'string' ? [value] : value;
  const at = (i: number) => (typeof value === 'string' ? [...path, key] : [...path, key, i]);
  list.forEach((c, i) => {
    if (!cfg.checks.has(c)) errs.unknown(f, at(i), 'checks', c, cfg.checks.keys());
    if (list.indexOf(c) !== i)
      errs.at(f, at(i), 'E_POLICY_CHECK_LISTED_TWICE', `check '${c}' is listed twice in ${key}`);
    else if (steering.includes(c))
      errs.at(
        f,
        at(i),
        'E_POLICY_CHECK_LISTED_TWICE',
        `check '${c}' is in both check and monitor: it either steers or only shows`,
      );
  });
  if (list.length === 0) return NO_CHECKS;
  const id = list.join('\n');
  let shared = cfg.checkLists?.get(id);
  if (shared === undefined) {
    shared = Object.freeze(list.slice());
    cfg.checkLists?.set(id, shared);
  }
  return shared;
}

const NO_CHECKS: readonly string[] = Object.freeze([]);

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
  const checks = checkList(raw, 'check', path, f, cfg, errs, NO_CHECKS);
  const monitor = checkList(raw, 'monitor', path, f, cfg, errs, checks);
  const pools: Pool[] = [];
  const seen = new Map<string, string>();
  // CNAME entries or address entries, never both: the first entry decides, a differing one is an error.
  let cname: boolean | null = null;
  const rawPools = raw['pools'] as Record<string, RawEndpoint[]>;
  for (const dc in rawPools) {
    const list = rawPools[dc]!;
    if (!cfg.datacenters.has(dc)) errs.unknown(f, [...path, 'pools', dc], 'datacenters', dc, cfg.datacenters.keys());
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < list.length; i++) {
      const ep = buildEndpoint(list[i]!, dc, path, i, f, errs);
      if (!ep) continue;
      if (cname === null) cname = isCname(ep);
      else if (cname !== isCname(ep)) {
        errs.at(
          f,
          entryPath(path, dc, i),
          'E_POLICY_MIXED_ENDPOINTS',
          cname
            ? `address ${ep.address} among CNAME entries: a name's entries are all cname or all addresses`
            : `cname ${ep.address} among address entries: a name's entries are all cname or all addresses`,
        );
        continue;
      }
      if (isCname(ep) && ep.cname.key === owner.name.key) {
        errs.at(f, [...entryPath(path, dc, i), 'cname'], 'E_POLICY_BAD_CNAME', `'${ep.address}' is the name itself`);
        continue;
      }
      const prev = seen.get(ep.address);
      if (prev !== undefined)
        errs.at(
          f,
          entryPath(path, dc, i),
          'E_POLICY_ADDRESS_IN_TWO_POOLS',
          `${isCname(ep) ? 'cname' : 'address'} ${ep.address} is already in pool '${prev}'`,
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
  const fallback = buildFallback(raw['fallback'], owner.name, [...path, 'fallback'], f, errs);
  // One CNAME per answer: nothing to spread over datacenters or cap at max_answers.
  if (cname === true)
    for (const k of ['max_answers', 'spread'])
      if (raw[k] !== undefined && !(k === 'spread' && raw[k] === 1))
        errs.at(f, [...path, k], 'E_POLICY_NOT_APPLICABLE', 'does not apply to cname entries (an answer is one CNAME)');
  checkSteering(raw, policy, checks[0] ?? null, load, pools, path, f, errs, cfg);
  return located(
    {
      label,
      owner: owner.name,
      policy,
      ttl: (raw['ttl'] as number) ?? DEFAULT_TTL,
      minTtl: Math.min((raw['min_ttl'] as number) ?? DEFAULT_MIN_TTL, (raw['ttl'] as number) ?? DEFAULT_TTL),
      maxAnswers: (raw['max_answers'] as number) ?? DEFAULT_MAX_ANSWERS,
      checks,
      monitor,
      load,
      tier: buildTier(raw['tier']),
      margin: ratio(raw['margin'], DEFAULT_MARGIN),
      shed: raw['shed'] !== undefined ? buildShed(raw['shed'] as Raw, [...path, 'shed'], f, errs) : null,
      fallback: fallback.mode,
      fallbackCname: fallback.cname,
      cname: cname === true,
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

/** `fallback`: a mode, or `{ cname: HOST }` (a sorry site, as an endpoint of no datacenter). */
function buildFallback(
  raw: unknown,
  owner: DnsName,
  path: Path,
  f: PolicyFile,
  errs: Collector,
): { mode: Fallback; cname: Endpoint | null } {
  if (raw === undefined) return { mode: 'all', cname: null };
  if (typeof raw === 'string') return { mode: raw as Fallback, cname: null };
  const text = (raw as { cname: string }).cname;
  const target = parseCnameTarget(text);
  if (typeof target === 'string' || target.name.key === owner.key) {
    errs.at(
      f,
      [...path, 'cname'],
      'E_POLICY_BAD_CNAME',
      typeof target === 'string' ? target : `'${text}' is the name itself`,
    );
    return { mode: 'all', cname: null };
  }
  const ep: Endpoint = Object.freeze({
    address: target.text,
    family: 0,
    cname: target.name,
    weight: 1,
    probe: null,
    loadUrl: null,
    datacenter: '',
  });
  return { mode: 'cname', cname: ep };
}
