// A name's load-aware keys: the tier and shed settings, and what load-aware policies, shed load and
// load sources need from the name (the figures' sources).
import {
  DEFAULT_SHED,
  LOAD_POLICIES,
  type Datacenter,
  type LoadSource,
  type PolicyName,
  type Pool,
  type ShedConfig,
  type Tier,
} from '../policy-types.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';
import type { Raw } from './merge.js';
import type { Path } from './sections.js';
import { durationMs, ratio, validUrl } from './values.js';

const TIER_ALL: Tier = Object.freeze({ kind: 'all' });

export function buildTier(v: unknown): Tier {
  if (v === undefined || v === 'all') return TIER_ALL;
  if (typeof v === 'number') return Object.freeze({ kind: 'first', n: v });
  return Object.freeze({ kind: 'km', km: Number(String(v).slice(0, -2)) });
}

export function buildShed(raw: Raw, path: Path, f: PolicyFile, errs: Collector): ShedConfig {
  const d = DEFAULT_SHED;
  const shed = Object.freeze({
    high: ratio(raw['high'], d.high),
    low: ratio(raw['low'], d.low),
    step: ratio(raw['step'], d.step),
    everyMs: durationMs(raw['every'], d.everyMs),
    max: ratio(raw['max'], d.max),
  });
  if (shed.low >= shed.high)
    errs.at(
      f,
      [...path, raw['low'] !== undefined ? 'low' : 'high'],
      'E_POLICY_SHED_BOUNDS',
      `must be below high (${shed.high})`,
    );
  if (shed.step <= 0) errs.at(f, [...path, 'step'], 'E_POLICY_SHED_BOUNDS', 'must be above 0');
  if (shed.everyMs < 100) errs.at(f, [...path, 'every'], 'E_POLICY_INTERVAL_TOO_SHORT', 'must be at least 100ms');
  return shed;
}

/** What load-aware policies, shed load and load sources need from a name: the figures' sources. */
export function checkSteering(
  raw: Raw,
  policy: PolicyName,
  check: string | null,
  load: string | null,
  pools: readonly Pool[],
  path: Path,
  f: PolicyFile,
  errs: Collector,
  cfg: { datacenters: ReadonlyMap<string, Datacenter>; loads: ReadonlyMap<string, LoadSource> },
): void {
  const source = load !== null ? cfg.loads.get(load) : undefined;
  if (load !== null && !source) errs.unknown(f, [...path, 'load'], 'loads', load, cfg.loads.keys());
  const needsLoad = policy === 'least-loaded' || policy === 'least-bandwidth' || policy === 'least-response-time';
  if (needsLoad && load === null)
    errs.at(
      f,
      [...path, 'policy'],
      'E_POLICY_NEEDS_LOAD',
      `policy '${policy}' needs 'load': the load source its figures come from`,
    );
  if ((policy === 'lowest-latency' || policy === 'least-response-time') && check === null)
    errs.at(
      f,
      [...path, 'policy'],
      'E_POLICY_NEEDS_CHECK',
      `policy '${policy}' needs 'check': round-trip times come from the probes`,
    );
  if (!LOAD_POLICIES.has(policy))
    for (const k of ['tier', 'margin'])
      if (raw[k] !== undefined)
        errs.at(f, [...path, k], 'E_POLICY_NOT_APPLICABLE', 'only applies to load-aware policies');
  if (raw['shed'] !== undefined) {
    if (load === null)
      errs.at(
        f,
        [...path, 'shed'],
        'E_POLICY_NEEDS_LOAD',
        "shed load needs 'load': utilisation comes from the load source",
      );
    if (policy === 'weighted' || policy === 'hashed')
      errs.at(
        f,
        [...path, 'shed'],
        'E_POLICY_NOT_APPLICABLE',
        `does not apply to policy '${policy}' (it spreads clients by weight already)`,
      );
  }
  if (typeof raw['tier'] === 'string' && raw['tier'] !== 'all')
    for (const p of pools)
      if (cfg.datacenters.get(p.datacenter)?.location === null)
        errs.at(
          f,
          [...path, 'tier'],
          'E_POLICY_NEEDS_LOCATION',
          `a distance tier needs a location for datacenter '${p.datacenter}'`,
        );
  pools.forEach((p) =>
    p.endpoints.forEach((e, i) => {
      const at = [...path, 'pools', p.datacenter, i];
      if (e.loadUrl !== null && load === null)
        errs.at(f, [...at, 'load_url'], 'E_POLICY_NEEDS_LOAD', "needs the name's 'load'");
      else if (e.loadUrl !== null && !validUrl(e.loadUrl))
        errs.at(f, [...at, 'load_url'], 'E_POLICY_BAD_URL', 'is not a valid URL');
      else if (source && source.url === null && e.loadUrl === null)
        errs.at(f, at, 'E_POLICY_NEEDS_LOAD_URL', `load source '${load}' has no url: the endpoint needs 'load_url'`);
    }),
  );
}
