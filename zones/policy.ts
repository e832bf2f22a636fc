// Loads a zone folder's YAML policy files: syntax and the JSON Schema (policy-file.ts), merging across
// files (a key defined twice names both files), then cross-references; every error located as
// file:line: path: message, and references into a section an earlier error left incomplete folded.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { fileErrorReason } from '../geo/file-error.js';
import { ipFamily, parseCidr } from './address.js';
import { parseDuration } from './duration.js';
import { pemCertificates } from './pem.js';
import { parseName, type DnsName } from './name.js';
import {
  DEFAULT_EXPIRY_WARN_DAYS,
  DEFAULT_MARGIN,
  DEFAULT_MAX_ANSWERS,
  DEFAULT_MIN_TTL,
  DEFAULT_SHED,
  LOAD_POLICIES,
  DEFAULT_TTL,
  type Check,
  type CheckType,
  type Cidr,
  type Datacenter,
  type Endpoint,
  type Fallback,
  type LbName,
  type LoadSource,
  type PassiveHealth,
  type PolicyConfig,
  type PolicyName,
  type Pool,
  type Region,
  type RegionMap,
  type ShedConfig,
  type Tier,
} from './policy-types.js';
import type { ZoneError } from './records.js';
import {
  Collector,
  located,
  lineOf,
  readPolicyFile,
  SECTIONS,
  type PolicyFile,
  type Path,
  type Section,
} from './policy-file.js';

export { SECTIONS } from './policy-file.js';

/** A duration option in milliseconds, or `fallback` when absent (zones/duration.ts; the schema checked it). */
export function durationMs(v: unknown, fallback: number): number {
  return v === undefined ? fallback : parseDuration(v, 'duration');
}

/** Parses a share: a number from 0 to 1, or "85%". */
export function ratio(v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  return Number(String(v).slice(0, -1)) / 100;
}

interface Owned<T> {
  readonly value: T;
  readonly file: PolicyFile;
}

type Raw = Record<string, unknown>;

function buildDatacenter(name: string, raw: Raw): Datacenter {
  const loc = raw['location'] as { lat: number; lon: number } | undefined;
  return Object.freeze({
    name,
    location: loc ? Object.freeze({ lat: loc.lat, lon: loc.lon }) : null,
    bias: (raw['bias'] as number) ?? 0,
    capacity: (raw['capacity'] as number) ?? null,
  });
}

const DEFAULT_PORT: Record<CheckType, number> = { tcp: 80, http: 80, https: 443, dns: 53, tls: 443 };

/** Reads a file a policy file names (tls_ca), by its path relative to the zones directory; throws. */
export type ReadPolicyFile = (path: string) => string;

/** A file other than the policy files that a load read, as it was read. */
export interface ExternalFile {
  /** Relative to the zones directory (or absolute, as given). */
  readonly path: string;
  readonly text: string;
}

/** How a load reads the files policy files name, and what it read: a change to one must rebuild the policy. */
interface Externals {
  readonly read: ReadPolicyFile;
  readonly files: ExternalFile[];
}

/** The PEM text of a check's tls_ca, or null after an error at the key. */
function readTlsCa(name: string, given: string, f: PolicyFile, errs: Collector, ext: Externals): string | null {
  const at = ['checks', name, 'tls_ca'];
  // Relative to the folder of the policy file that names it, as include paths are in nginx or BIND.
  const path = posix.isAbsolute(given) ? given : posix.join(posix.dirname(f.file), given);
  let text: string;
  try {
    text = ext.read(path);
  } catch (err) {
    errs.at(f, at, `${path} ${fileErrorReason(err)}`);
    return null;
  }
  // Recorded as read: the reuse digest is of these bytes, never of a later read of the file.
  ext.files.push({ path, text });
  try {
    pemCertificates(text);
  } catch (err) {
    errs.at(f, at, `${path}: ${(err as Error).message}`);
    return null;
  }
  return text;
}

function buildCheck(name: string, raw: Raw, f: PolicyFile, errs: Collector, ext: Externals): Check {
  const type = raw['type'] as CheckType;
  const intervalMs = durationMs(raw['interval'], 5000);
  const timeoutMs = durationMs(raw['timeout'], Math.min(2000, intervalMs));
  const only = (keys: readonly string[], types: string) => {
    for (const k of keys) if (raw[k] !== undefined) errs.at(f, ['checks', name, k], `only applies to ${types} checks`);
  };
  if (intervalMs < 100) errs.at(f, ['checks', name, 'interval'], 'must be at least 100ms');
  if (timeoutMs > intervalMs) errs.at(f, ['checks', name, 'timeout'], `must not exceed the interval (${intervalMs}ms)`);
  if (type === 'dns' && raw['query'] === undefined) errs.at(f, ['checks', name], "a dns check needs 'query'");
  if (type !== 'http' && type !== 'https') only(['path', 'host', 'body', 'follow_redirects'], 'http and https');
  if (type !== 'https' && type !== 'tls') only(['sni', 'tls_verify', 'tls_ca'], 'https and tls');
  if (type !== 'tls') only(['expiry_warn_days'], 'tls');
  const tlsVerify = (raw['tls_verify'] as boolean) ?? true;
  let tlsCa: string | null = null;
  if (raw['tls_ca'] !== undefined && (type === 'https' || type === 'tls')) {
    if (!tlsVerify) errs.at(f, ['checks', name, 'tls_ca'], 'has no effect with tls_verify: false');
    else tlsCa = readTlsCa(name, raw['tls_ca'] as string, f, errs, ext);
  }
  return Object.freeze({
    name,
    type,
    port: (raw['port'] as number) ?? DEFAULT_PORT[type],
    path: (raw['path'] as string) ?? '/',
    expect: Object.freeze((raw['expect'] as number[]) ?? (type === 'dns' ? [0] : [200])),
    host: (raw['host'] as string) ?? null,
    sni: (raw['sni'] as string) ?? null,
    tlsVerify,
    tlsCa,
    tlsCaDigest: tlsCa === null ? null : createHash('sha256').update(tlsCa).digest('base64'),
    expiryWarnDays: (raw['expiry_warn_days'] as number) ?? DEFAULT_EXPIRY_WARN_DAYS,
    body: (raw['body'] as string) ?? null,
    followRedirects: (raw['follow_redirects'] as boolean) ?? false,
    query: (raw['query'] as string) ?? null,
    qtype: ((raw['qtype'] as string) ?? 'SOA').toUpperCase(),
    intervalMs,
    timeoutMs,
    jitterMs: durationMs(raw['jitter'], Math.round(intervalMs / 10)),
    rise: (raw['rise'] as number) ?? 1,
    fall: (raw['fall'] as number) ?? 1,
  });
}

function buildLoadSource(name: string, raw: Raw, f: PolicyFile, errs: Collector): LoadSource {
  const type = raw['type'] as LoadSource['type'];
  const path = ['loads', name];
  const intervalMs = durationMs(raw['interval'], 2000);
  const timeoutMs = durationMs(raw['timeout'], Math.min(1000, intervalMs));
  if (intervalMs < 100) errs.at(f, [...path, 'interval'], 'must be at least 100ms');
  if (timeoutMs > intervalMs) errs.at(f, [...path, 'timeout'], `must not exceed the interval (${intervalMs}ms)`);
  const figures = (raw['figures'] as Record<string, string | string[]> | undefined) ?? {};
  const generic = type === 'prometheus' || type === 'json';
  if (!generic && raw['figures'] !== undefined)
    errs.at(f, [...path, 'figures'], `only applies to prometheus and json sources (${type}'s figures are fixed)`);
  if (generic && figures['connections'] === undefined)
    errs.at(f, [...path, 'figures'], `a ${type} source needs figures.connections`);
  if (type === 'haproxy' && raw['proxy'] === undefined)
    errs.at(f, path, "a haproxy source needs 'proxy' (the pxname of the row to read)");
  if (type !== 'haproxy')
    for (const k of ['proxy', 'server'])
      if (raw[k] !== undefined) errs.at(f, [...path, k], 'only applies to haproxy sources');
  const url = (raw['url'] as string) ?? null;
  if (url !== null && !validUrl(url.replaceAll('{address}', '192.0.2.1')))
    errs.at(f, [...path, 'url'], `'${url}' is not a valid URL`);
  const p = raw['passive'] as Raw | undefined;
  let passive: PassiveHealth | null = null;
  if (p) {
    passive = Object.freeze({
      maxErrorRate: ratio(p['max_error_rate'], 0),
      minRequests: (p['min_requests'] as number) ?? 10,
      rise: (p['rise'] as number) ?? 2,
      fall: (p['fall'] as number) ?? 2,
    });
    if (type === 'nginx') errs.at(f, [...path, 'passive'], 'nginx stub_status gives no error counts');
    if (generic && (figures['errors'] === undefined || figures['requests'] === undefined))
      errs.at(f, [...path, 'passive'], 'passive health needs figures.errors and figures.requests');
  }
  const one = (k: string) => (typeof figures[k] === 'string' ? (figures[k] as string) : null);
  const bytes = figures['bytes'];
  return Object.freeze({
    name,
    type,
    url,
    headers: Object.freeze({ ...((raw['headers'] as Record<string, string>) ?? {}) }),
    proxy: (raw['proxy'] as string) ?? null,
    server: (raw['server'] as string) ?? 'FRONTEND',
    selectors: Object.freeze({
      connections: one('connections'),
      capacity: one('capacity'),
      bytes: Object.freeze(bytes === undefined ? [] : typeof bytes === 'string' ? [bytes] : [...bytes]),
      bandwidth: one('bandwidth'),
      errors: one('errors'),
      requests: one('requests'),
    }),
    tlsVerify: (raw['tls_verify'] as boolean) ?? true,
    intervalMs,
    timeoutMs,
    jitterMs: durationMs(raw['jitter'], Math.round(intervalMs / 10)),
    maxAgeMs: durationMs(raw['max_age'], intervalMs * 5),
    smoothingMs: durationMs(raw['smoothing'], 5000),
    capacity: (raw['capacity'] as number) ?? null,
    passive,
  });
}

function validUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const TIER_ALL: Tier = Object.freeze({ kind: 'all' });

function buildTier(v: unknown): Tier {
  if (v === undefined || v === 'all') return TIER_ALL;
  if (typeof v === 'number') return Object.freeze({ kind: 'first', n: v });
  return Object.freeze({ kind: 'km', km: Number(String(v).slice(0, -2)) });
}

function buildShed(raw: Raw, path: Path, f: PolicyFile, errs: Collector): ShedConfig {
  const d = DEFAULT_SHED;
  const shed = Object.freeze({
    high: ratio(raw['high'], d.high),
    low: ratio(raw['low'], d.low),
    step: ratio(raw['step'], d.step),
    everyMs: durationMs(raw['every'], d.everyMs),
    max: ratio(raw['max'], d.max),
  });
  if (shed.low >= shed.high)
    errs.at(f, [...path, raw['low'] !== undefined ? 'low' : 'high'], `must be below high (${shed.high})`);
  if (shed.step <= 0) errs.at(f, [...path, 'step'], 'must be above 0');
  if (shed.everyMs < 100) errs.at(f, [...path, 'every'], 'must be at least 100ms');
  return shed;
}

function buildRegions(
  raw: ReadonlyMap<string, Owned<Raw>>,
  base: Path,
  datacenters: ReadonlyMap<string, Datacenter>,
  errs: Collector,
  isCountry: (code: string) => boolean,
): RegionMap {
  const out = new Map<string, Region>();
  const claimed = new Map<string, string>();
  for (const [name, { value, file: f }] of raw) {
    const path = [...base, name];
    const match = value['match'] as Record<string, string[]> | undefined;
    if (!match && name !== 'default') errs.at(f, path, "needs 'match' (only the 'default' region may omit it)");
    if (match && name === 'default')
      errs.at(
        f,
        [...path, 'match'],
        "the 'default' region catches every client no other region matches; it takes no 'match'",
      );
    const dcs = value['datacenters'] as string[];
    const seenDc = new Set<string>();
    dcs.forEach((dc, i) => {
      if (!datacenters.has(dc)) errs.unknown(f, [...path, 'datacenters', i], 'datacenters', dc, datacenters.keys());
      if (seenDc.has(dc)) errs.at(f, [...path, 'datacenters', i], `datacenter '${dc}' listed twice`);
      seenDc.add(dc);
    });
    const claim = (kind: string, key: string, p: Path) => {
      const prev = claimed.get(kind + ':' + key);
      if (prev !== undefined) errs.at(f, p, `${kind} ${key} is already matched by region '${prev}'`);
      else claimed.set(kind + ':' + key, name);
    };
    const cidrs: Cidr[] = [];
    (match?.['cidrs'] ?? []).forEach((c, i) => {
      const r = parseCidr(c);
      if (!r.ok) errs.at(f, [...path, 'match', 'cidrs', i], r.error);
      else {
        cidrs.push(r.cidr);
        claim('cidr', r.cidr.text, [...path, 'match', 'cidrs', i]);
      }
    });
    const countries = (match?.['countries'] ?? []).map((c, i) => {
      const up = c.toUpperCase();
      if (!isCountry(up)) errs.at(f, [...path, 'match', 'countries', i], `unknown country code '${c}'`);
      claim('country', up, [...path, 'match', 'countries', i]);
      return up;
    });
    const subdivisions = (match?.['subdivisions'] ?? []).map((c, i) => {
      const up = c.toUpperCase();
      if (!isCountry(up.slice(0, 2)))
        errs.at(f, [...path, 'match', 'subdivisions', i], `unknown country in subdivision '${c}'`);
      claim('subdivision', up, [...path, 'match', 'subdivisions', i]);
      return up;
    });
    const continents = (match?.['continents'] ?? []).map((c, i) => {
      claim('continent', c, [...path, 'match', 'continents', i]);
      return c;
    });
    out.set(
      name,
      located(
        {
          name,
          match: match ? Object.freeze({ cidrs, subdivisions, countries, continents }) : null,
          datacenters: Object.freeze([...dcs]),
          file: f.file,
        },
        f,
        path,
      ),
    );
  }
  return out;
}

type RawEndpoint = string | { address: string; weight?: number; probe?: string; load_url?: string };

/** The path of entry i of a name's pool dc: made only for an error (400,000 endpoints, 400,000 arrays). */
const entryPath = (name: Path, dc: string, i: number): Path => [...name, 'pools', dc, i];

/** Entry i of the pool dc of the name at path `name`. */
function buildEndpoint(
  raw: RawEndpoint,
  dc: string,
  name: Path,
  i: number,
  f: PolicyFile,
  errs: Collector,
): Endpoint | null {
  const address = typeof raw === 'string' ? raw : raw.address;
  const family = ipFamily(address);
  if (family === 0) {
    errs.at(
      f,
      typeof raw === 'string' ? entryPath(name, dc, i) : [...entryPath(name, dc, i), 'address'],
      `'${address}' is not an IPv4 or IPv6 address`,
    );
    return null;
  }
  if (typeof raw === 'string')
    return Object.freeze({ address, family, weight: 1, probe: null, loadUrl: null, datacenter: dc });
  let probe: Endpoint['probe'] = null;
  if (raw.probe !== undefined) {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::([0-9]{1,5}))?$/.exec(raw.probe);
    const port = m?.[3] === undefined ? null : Number(m[3]);
    if (!m || (port !== null && (port < 1 || port > 65535)))
      errs.at(f, [...entryPath(name, dc, i), 'probe'], `'${raw.probe}' must be HOST:PORT (or HOST, or [IPv6]:PORT)`);
    else probe = Object.freeze({ host: m[1] ?? m[2]!, port });
  }
  return Object.freeze({
    address,
    family,
    weight: raw.weight ?? 1,
    probe,
    loadUrl: raw.load_url ?? null,
    datacenter: dc,
  });
}

function buildName(
  label: string,
  raw: Raw,
  f: PolicyFile,
  apex: DnsName,
  cfg: {
    datacenters: ReadonlyMap<string, Datacenter>;
    checks: ReadonlyMap<string, Check>;
    loads: ReadonlyMap<string, LoadSource>;
    regions: RegionMap;
  },
  errs: Collector,
  isCountry: (code: string) => boolean,
): LbName | null {
  const path = ['names', label];
  const owner = parseName(label === '@' ? '@' : label, apex);
  if (!owner.ok || label.endsWith('.')) {
    errs.at(f, path, owner.ok ? 'must be relative to the zone apex (no trailing dot)' : owner.error);
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
      if (prev !== undefined) errs.at(f, entryPath(path, dc, i), `address ${ep.address} is already in pool '${prev}'`);
      seen.set(ep.address, dc);
      endpoints.push(ep);
    }
    if (endpoints.length > 0 && endpoints.every((e) => e.weight === 0))
      errs.at(f, [...path, 'pools', dc], 'every endpoint has weight 0: the pool could never be chosen');
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
      `policy '${policy}' needs regions (in the zone's policy files or the name's own 'regions')`,
    );
  if (policy === 'nearest')
    for (const p of pools) {
      const dc = cfg.datacenters.get(p.datacenter);
      if (dc && !dc.location)
        errs.at(
          f,
          [...path, 'pools', p.datacenter],
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
      pools: Object.freeze(pools.slice()),
      regions,
      file: f.file,
    },
    f,
    null,
  );
}

/** What load-aware policies, shed load and load sources need from a name: the figures' sources. */
function checkSteering(
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
    errs.at(f, [...path, 'policy'], `policy '${policy}' needs 'load': the load source its figures come from`);
  if ((policy === 'lowest-latency' || policy === 'least-response-time') && check === null)
    errs.at(f, [...path, 'policy'], `policy '${policy}' needs 'check': round-trip times come from the probes`);
  if (!LOAD_POLICIES.has(policy))
    for (const k of ['tier', 'margin'])
      if (raw[k] !== undefined) errs.at(f, [...path, k], 'only applies to load-aware policies');
  if (raw['shed'] !== undefined) {
    if (load === null) errs.at(f, [...path, 'shed'], "shed load needs 'load': utilisation comes from the load source");
    if (policy === 'weighted' || policy === 'hashed')
      errs.at(f, [...path, 'shed'], `does not apply to policy '${policy}' (it spreads clients by weight already)`);
  }
  if (typeof raw['tier'] === 'string' && raw['tier'] !== 'all')
    for (const p of pools)
      if (cfg.datacenters.get(p.datacenter)?.location === null)
        errs.at(f, [...path, 'tier'], `a distance tier needs a location for datacenter '${p.datacenter}'`);
  pools.forEach((p) =>
    p.endpoints.forEach((e, i) => {
      const at = [...path, 'pools', p.datacenter, i];
      if (e.loadUrl !== null && load === null) errs.at(f, [...at, 'load_url'], "needs the name's 'load'");
      else if (e.loadUrl !== null && !validUrl(e.loadUrl)) errs.at(f, [...at, 'load_url'], 'is not a valid URL');
      else if (source && source.url === null && e.loadUrl === null)
        errs.at(f, at, `load source '${load}' has no url: the endpoint needs 'load_url'`);
    }),
  );
}

export interface PolicyLoad {
  readonly config: PolicyConfig;
  readonly errors: ZoneError[];
  /** Files other than the policy files that the load read (tls_ca), with the text it read. */
  readonly externals: readonly ExternalFile[];
  /**
   * Lets go of the files' text once every error that needs a line has been made (a 100,000-name file is
   * 13 MB): `line` of the config's records is 0 afterwards.
   */
  release(): void;
}

export interface PolicySource {
  /** Name shown in errors (relative to the zones directory). */
  readonly file: string;
  readonly text: string;
}

/**
 * Loads and merges policy files of one zone. isCountry validates ISO 3166-1 codes; readFile reads the
 * files policy files name (tls_ca).
 */
export function loadPolicy(
  sources: readonly PolicySource[],
  apex: DnsName,
  isCountry: (code: string) => boolean,
  readFile: ReadPolicyFile,
): PolicyLoad {
  const errs = new Collector();
  const externals: Externals = { read: readFile, files: [] };
  // Maps, not objects: a 100,000-key object is a slow hash table, and enumerating it sorts its keys.
  const merged: Record<Section, Map<string, Owned<Raw>>> = {
    datacenters: new Map(),
    checks: new Map(),
    loads: new Map(),
    regions: new Map(),
    names: new Map(),
  };
  const files: PolicyFile[] = [];
  for (const src of sources) {
    const f = readPolicyFile(src.file, src.text, errs);
    if (!f) continue;
    files.push(f);
    for (const section of SECTIONS) {
      const entries = f.value[section];
      if (!entries) continue;
      for (const key in entries) {
        const value = entries[key];
        const prev = merged[section].get(key);
        if (prev) {
          const where = `${prev.file.file}:${lineOf(prev.file, [section, key])}`;
          errs.at(f, [section, key], `defined twice: here and in ${where}`);
          continue;
        }
        merged[section].set(key, { value: value as Raw, file: f });
      }
    }
  }
  const datacenters = new Map<string, Datacenter>();
  for (const [name, { value }] of merged.datacenters) datacenters.set(name, buildDatacenter(name, value));
  const checks = new Map<string, Check>();
  for (const [name, { value, file }] of merged.checks) checks.set(name, buildCheck(name, value, file, errs, externals));
  const loads = new Map<string, LoadSource>();
  for (const [name, { value, file }] of merged.loads) loads.set(name, buildLoadSource(name, value, file, errs));
  const regions = buildRegions(merged.regions, ['regions'], datacenters, errs, isCountry);
  // The parsed trees are let go of as the names are built (not after): with 100,000 names the tree is
  // ~110 MB, and holding it beside the built names set the loader's peak memory.
  for (const f of files) f.value = {};
  const names = new Map<string, LbName>();
  for (const [label, { value, file }] of merged.names) {
    merged.names.delete(label);
    const n = buildName(label, value, file, apex, { datacenters, checks, loads, regions }, errs, isCountry);
    if (!n) continue;
    if (names.has(n.owner.key))
      errs.at(file, ['names', label], 'the same name is defined twice (under different spellings)');
    names.set(n.owner.key, n);
  }
  errs.finish();
  const config: PolicyConfig = Object.freeze({ datacenters, checks, loads, regions, names });
  return {
    config,
    errors: errs.errors,
    externals: externals.files,
    release: () => files.forEach((f) => f.release()),
  };
}
