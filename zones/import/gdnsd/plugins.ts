// gdnsd's address plugins (multifo, weighted, simplefo, metafo, geoip, static) as one load-balanced
// name each: datacenters with their pools, the policy that picks among them, and the thresholds.
// Keys set at the plugin or resource level are inherited down to the datacenters, as gdnsd does.
import { ipFamily } from '../../address.js';
import type { ImportLog } from '../result.js';
import type { ServiceType } from './service-types.js';
import { entry, type VHash, type VNode, type VPlace } from './vscf.js';

export interface Endpoint {
  readonly address?: string;
  readonly cname?: string;
  readonly weight: number;
}

export interface Pool {
  readonly dc: string;
  readonly endpoints: readonly Endpoint[];
  /** Check names (service types that probe); [] = always up. */
  readonly checks: readonly string[];
  /** multifo/weighted up_thresh as a fraction, or null (no threshold: one endpoint decides). */
  readonly upThresh: number | null;
  readonly at: VPlace;
}

export interface NameSpec {
  readonly policy: 'geo' | 'nearest' | 'failover' | 'weighted';
  readonly pools: readonly Pool[];
  /** The answer's size: all of a pool's usable addresses (multifo), or one (weighted, simplefo). */
  readonly maxAnswers: number | null;
  /** The geoip map whose regions the name follows. */
  readonly map: string | null;
  /** A metafo's last datacenter that is a CNAME: answered when every other one is down. */
  readonly fallbackCname?: string;
}

export interface PluginContext {
  /** plugins => { name => hash }. */
  readonly plugins: ReadonlyMap<string, { hash: VHash; at: VPlace }>;
  readonly serviceTypes: ReadonlyMap<string, ServiceType>;
  /** Check names used (to write the checks section). */
  readonly checksUsed: Set<string>;
  /** Untranslatable parts said already (a service type used by many resources is listed once). */
  readonly reported: Set<string>;
  readonly log: ImportLog;
}

type Inherited = ReadonlyMap<string, VNode>;
const INHERITABLE = new Set(['service_types', 'up_thresh', 'plugin', 'ignore_health', 'multi']);

function place(v: VPlace): VPlace {
  return { file: v.file, line: v.line };
}

function inherit(base: Inherited, h: VHash): Map<string, VNode> {
  const out = new Map(base);
  for (const e of h.entries) if (INHERITABLE.has(e.key)) out.set(e.key, e.value);
  return out;
}

function str(v: VNode | undefined): string | null {
  return v?.kind === 'scalar' ? v.value : null;
}

/** Thrown inside a resolution: the part is untranslatable (already said where and why). */
class Stop extends Error {}

function stop(ctx: PluginContext, at: VPlace, why: string): never {
  ctx.log.untranslatable(place(at), why);
  throw new Stop(why);
}

function checksOf(ctx: PluginContext, inh: Inherited, at: VPlace): string[] {
  const v = inh.get('service_types');
  const names = v ? (v.kind === 'array' ? v.items : [v]).map((n) => str(n) ?? '') : ['up'];
  const out: string[] = [];
  // A service type without an equivalent is listed (once) and left out, so that --partial still writes
  // the name, probed by the rest (or not at all) until the operator adds a check.
  const leaveOut = (why: string) => {
    const key = `${(v ?? at).file}:${(v ?? at).line}:${why}`;
    if (!ctx.reported.has(key)) ctx.log.untranslatable(place(v ?? at), `${why}; the name is written without it`);
    ctx.reported.add(key);
  };
  for (const n of names) {
    const st = n === 'down' ? null : ctx.serviceTypes.get(n);
    if (n === 'down')
      leaveOut(
        `service type 'down' (always down) has no equivalent: drain the datacenter or endpoints with gslb drain`,
      );
    else if (!st) stop(ctx, v ?? at, `service type '${n}' is not defined in service_types`);
    else if (st.kind === 'untranslatable') leaveOut(st.why);
    else if (st.kind === 'check' && !out.includes(n)) {
      out.push(n);
      ctx.checksUsed.add(n);
    }
  }
  if (inh.get('ignore_health') && str(inh.get('ignore_health'))?.toLowerCase() === 'true')
    stop(
      ctx,
      inh.get('ignore_health')!,
      'ignore_health (answer every address whatever its health) has no equivalent: leave the check out',
    );
  return out;
}

function upThresh(ctx: PluginContext, inh: Inherited): number {
  const v = inh.get('up_thresh');
  if (!v) return 0.5;
  const n = Number(str(v));
  if (!(n > 0 && n <= 1)) stop(ctx, v, 'up_thresh must be a number in (0, 1]');
  return n;
}

function isAddress(s: string): boolean {
  return ipFamily(s) !== 0;
}

function isCname(s: string): boolean {
  return s.endsWith('.') && !isAddress(s) && /^[A-Za-z0-9_.-]+$/.test(s);
}

/** A multifo resource (or a synthesized one): label => address, or addrs_v4 / addrs_v6. */
function multifo(ctx: PluginContext, dc: string, h: VNode, base: Inherited): Pool {
  const inh = h.kind === 'hash' ? inherit(base, h) : new Map(base);
  const endpoints: Endpoint[] = [];
  const threshes = new Set<number>();
  const checks = new Set<string>();
  const family = (v: VNode, fi: Inherited) => {
    const items =
      v.kind === 'array'
        ? v.items.map((value) => ({ key: '', value, at: place(value) }))
        : v.kind === 'hash'
          ? v.entries
          : [{ key: '', value: v, at: place(v) }];
    const finh = v.kind === 'hash' ? inherit(fi, v) : fi;
    for (const e of items) {
      if (INHERITABLE.has(e.key)) continue;
      const a = str(e.value);
      if (a === null || !isAddress(a)) stop(ctx, e.at, `multifo '${dc}': '${a ?? e.key}' is not an IP address`);
      endpoints.push({ address: a, weight: 1 });
    }
    threshes.add(upThresh(ctx, finh));
    for (const c of checksOf(ctx, finh, place(v))) checks.add(c);
  };
  if (h.kind === 'hash' && (entry(h, 'addrs_v4') || entry(h, 'addrs_v6'))) {
    for (const k of ['addrs_v4', 'addrs_v6']) {
      const e = entry(h, k);
      if (e) family(e.value, inh);
    }
  } else family(h, base);
  if (threshes.size > 1)
    stop(
      ctx,
      h,
      `multifo '${dc}': addrs_v4 and addrs_v6 with different up_thresh: gslb's min_up is one share per datacenter`,
    );
  return { dc, endpoints, checks: [...checks], upThresh: [...threshes][0]!, at: place(h) };
}

/** A simplefo resource: primary and secondary (or addrs_v4 / addrs_v6 of those): two datacenters. */
function simplefo(ctx: PluginContext, name: string, h: VHash, base: Inherited): NameSpec {
  const inh = inherit(base, h);
  const prim: Endpoint[] = [];
  const sec: Endpoint[] = [];
  let checks: string[] | null = null;
  const fam = (fh: VHash, fi: Inherited) => {
    const finh = inherit(fi, fh);
    const p = str(entry(fh, 'primary')?.value);
    const s = str(entry(fh, 'secondary')?.value);
    if (!p || !s || !isAddress(p) || !isAddress(s))
      stop(ctx, fh, `simplefo '${name}': needs primary and secondary addresses`);
    prim.push({ address: p, weight: 1 });
    sec.push({ address: s, weight: 1 });
    const c = checksOf(ctx, finh, place(fh));
    if (checks && checks.join() !== c.join())
      stop(ctx, fh, `simplefo '${name}': different service_types per family: a gslb name has one check`);
    checks = c;
  };
  const v4 = entry(h, 'addrs_v4');
  const v6 = entry(h, 'addrs_v6');
  if (v4 || v6) {
    for (const e of [v4, v6])
      if (e) {
        if (e.value.kind !== 'hash') stop(ctx, e.at, `simplefo '${name}': ${e.key} must be a hash`);
        fam(e.value, inh);
      }
  } else fam(h, base);
  return {
    policy: 'failover',
    pools: [
      { dc: 'primary', endpoints: prim, checks: checks ?? [], upThresh: null, at: place(h) },
      { dc: 'secondary', endpoints: sec, checks: checks ?? [], upThresh: null, at: place(h) },
    ],
    maxAnswers: 1,
    map: null,
  };
}

/** A weighted resource: ungrouped (one datacenter) or grouped (a datacenter per group). */
function weighted(ctx: PluginContext, name: string, h: VHash, base: Inherited, dync: boolean): NameSpec {
  const inh = inherit(base, h);
  if (entry(h, 'addrs_v4') || entry(h, 'addrs_v6'))
    stop(ctx, h, `weighted '${name}': addrs_v4/addrs_v6 with their own settings: translate each family by hand`);
  const multi = str(inh.get('multi'))?.toLowerCase() === 'true';
  const items = h.entries.filter((e) => !INHERITABLE.has(e.key));
  const grouped = items.length > 0 && items.every((e) => e.value.kind === 'hash');
  const pair = (e: { key: string; value: VNode; at: VPlace }): Endpoint => {
    const v = e.value;
    const a = v.kind === 'array' && v.items.length === 2 ? str(v.items[0]) : null;
    const w = v.kind === 'array' && v.items.length === 2 ? Number(str(v.items[1])) : NaN;
    if (a === null || !(Number.isInteger(w) && w > 0 && w < 1048576))
      stop(ctx, e.at, `weighted '${name}': '${e.key}' must be [ ADDRESS-or-CNAME, WEIGHT ]`);
    if (isAddress(a)) return { address: a, weight: w };
    if (isCname(a)) return { cname: a.replace(/\.$/, ''), weight: w };
    return stop(ctx, e.at, `weighted '${name}': '${a}' is neither an address nor a CNAME ending in '.'`);
  };
  const checks = checksOf(ctx, inh, place(h));
  const thresh = upThresh(ctx, inh);
  if (!grouped) {
    const endpoints = items.map(pair);
    if (endpoints.some((x) => x.cname) && !dync)
      stop(ctx, h, `weighted '${name}' holds CNAMEs: only a DYNC can use it`);
    if (multi)
      ctx.log.note(
        place(inh.get('multi')!),
        `weighted '${name}': multi => true returns every address of the highest weight and the others by chance; gslb returns every usable address (max_answers ${endpoints.length}) in weighted rotation`,
      );
    if (new Set(endpoints.map((x) => x.weight)).size > 1)
      ctx.log.note(place(h), `weighted '${name}': up_thresh counts weights in gdnsd, endpoints in gslb's min_up`);
    return {
      policy: 'failover',
      pools: [{ dc: name, endpoints, checks, upThresh: thresh, at: place(h) }],
      maxAnswers: multi ? endpoints.length : 1,
      map: null,
    };
  }
  if (multi)
    stop(
      ctx,
      inh.get('multi')!,
      `weighted '${name}': grouped with multi => true (one address from each of several groups) has no equivalent: gslb answers from one datacenter`,
    );
  const pools: Pool[] = items.map((g) => {
    const gh = g.value as VHash;
    const endpoints = gh.entries.map(pair);
    if (endpoints.some((x) => x.cname))
      stop(ctx, g.at, `weighted '${name}': groups of CNAMEs are not allowed by gdnsd`);
    if (new Set(endpoints.map((x) => x.weight)).size > 1)
      ctx.log.note(
        place(g.at),
        `weighted '${name}' group '${g.key}': within a group gdnsd returns the highest-weight addresses always and the others by chance; gslb returns every usable address in weighted rotation`,
      );
    return { dc: g.key, endpoints, checks, upThresh: null, at: place(g.at) };
  });
  ctx.log.note(
    place(h),
    `weighted '${name}': up_thresh ${thresh} applies to the whole resource in gdnsd; gslb has no resource-wide threshold (each group is a datacenter, chosen by weight while any of its addresses is up)`,
  );
  return { policy: 'weighted', pools, maxAnswers: Math.max(...pools.map((p) => p.endpoints.length)), map: null };
}

/** One datacenter of a metafo or geoip dcmap. */
function dcPool(ctx: PluginContext, dc: string, v: VNode, inh: Inherited, owner: string): Pool {
  if (v.kind === 'scalar') {
    const s = v.value;
    if (s.startsWith('%') || s.startsWith('!')) {
      const ref = s.startsWith('%') ? s.slice(1) : `${str(inh.get('plugin')) ?? 'multifo'}${s}`;
      const [plugin, res] = ref.split('!');
      if (plugin !== 'multifo')
        stop(
          ctx,
          v,
          `${owner} datacenter '${dc}': a reference to ${plugin}!${res}: a gslb datacenter is a pool of endpoints, not another policy (only multifo references translate)`,
        );
      const p = ctx.plugins.get('multifo');
      const r = p ? entry(p.hash, res ?? '') : undefined;
      if (!p || !r) stop(ctx, v, `${owner} datacenter '${dc}': multifo resource '${res}' is not defined`);
      return { ...multifo(ctx, dc, r.value, inherit(new Map(), p.hash)), dc };
    }
    if (isCname(s))
      // Monitored by the inherited service_types too (gdnsd refuses http_status and tcp_connect there).
      return {
        dc,
        endpoints: [{ cname: s.replace(/\.$/, ''), weight: 1 }],
        checks: checksOf(ctx, inh, place(v)),
        upThresh: null,
        at: place(v),
      };
    if (isAddress(s)) return multifo(ctx, dc, { kind: 'array', items: [v], file: v.file, line: v.line }, inh);
    stop(ctx, v, `${owner} datacenter '${dc}': '${s}' is not an address, a CNAME ending in '.' or a %plugin!resource`);
  }
  if (v.kind === 'array') return multifo(ctx, dc, v, inh);
  const plugin = str(entry(v, 'plugin')?.value) ?? str(inh.get('plugin')) ?? 'multifo';
  if (plugin !== 'multifo')
    stop(
      ctx,
      v,
      `${owner} datacenter '${dc}': a synthesized ${plugin} resource: a gslb datacenter is a pool of endpoints (only multifo translates)`,
    );
  return multifo(ctx, dc, v, inh);
}

/** The datacenters of a metafo or geoip resource's dcmap, in `order`. */
function dcmapPools(
  ctx: PluginContext,
  owner: string,
  h: VHash,
  inh: Inherited,
  order: readonly string[],
  okUndefined: boolean,
): Pool[] {
  const dcmap = entry(h, 'dcmap');
  if (!dcmap || dcmap.value.kind !== 'hash') stop(ctx, h, `${owner}: dcmap (a hash) is required`);
  const pools: Pool[] = [];
  for (const dc of order) {
    const e = entry(dcmap.value, dc);
    if (!e) {
      if (okUndefined) continue;
      stop(ctx, dcmap.at, `${owner}: datacenter '${dc}' is not in dcmap`);
    }
    pools.push(dcPool(ctx, dc, e.value, inh, owner));
  }
  for (const e of dcmap.value.entries)
    if (!order.includes(e.key))
      stop(ctx, e.at, `${owner}: dcmap names '${e.key}', which is not one of its datacenters`);
  return pools;
}

export interface GeoipMaps {
  /** Map name -> its datacenters (null: the map could not be translated, already reported). */
  readonly datacenters: ReadonlyMap<string, readonly string[] | null>;
  readonly policy: ReadonlyMap<string, 'geo' | 'nearest'>;
}

/** Resolves `plugin!resource` (of a DYNA, or DYNC when `dync`) into a name, or null (reported). */
export function resolveResource(
  ctx: PluginContext,
  ref: string,
  at: VPlace,
  dync: boolean,
  maps: GeoipMaps,
): NameSpec | null {
  try {
    return resolve(ctx, ref, at, dync, maps);
  } catch (err) {
    if (err instanceof Stop) return null;
    throw err;
  }
}

function resolve(ctx: PluginContext, ref: string, at: VPlace, dync: boolean, maps: GeoipMaps): NameSpec {
  const bang = ref.indexOf('!');
  const plugin = bang < 0 ? ref : ref.slice(0, bang);
  const full = bang < 0 ? '' : ref.slice(bang + 1);
  if (plugin === 'reflect')
    stop(ctx, at, "reflect (answers with the client's own address, for debugging) has no equivalent");
  if (plugin === 'null')
    stop(ctx, at, 'null (answers 0.0.0.0 and ::) has no equivalent: write static A/AAAA records if that is wanted');
  const p = ctx.plugins.get(plugin);
  if (!p) stop(ctx, at, `plugin '${plugin}' is not configured in the plugins section`);
  const [res, dcOnly] = full.split('/') as [string, string | undefined];
  const base = inherit(new Map(), p.hash);
  const top = plugin === 'metafo' || plugin === 'geoip' ? entry(p.hash, 'resources')?.value : p.hash;
  if (!top || top.kind !== 'hash') stop(ctx, p.at, `${plugin}: a resources hash is required`);
  const re = entry(top, res);
  if (!re) stop(ctx, at, `${plugin} has no resource '${res}'`);
  const owner = `${plugin} resource '${res}'`;
  let spec: NameSpec;
  switch (plugin) {
    case 'multifo': {
      const pool = multifo(ctx, res, re.value, base);
      spec = { policy: 'failover', pools: [pool], maxAnswers: pool.endpoints.length, map: null };
      break;
    }
    case 'static': {
      const s = str(re.value);
      if (s === null) stop(ctx, re.at, `${owner}: a static resource is one address or CNAME`);
      const pool = dcPool(ctx, res, re.value, new Map(), owner);
      spec = { policy: 'failover', pools: [pool], maxAnswers: 1, map: null };
      break;
    }
    case 'simplefo':
      if (re.value.kind !== 'hash') stop(ctx, re.at, `${owner} must be a hash`);
      spec = simplefo(ctx, res, re.value, base);
      break;
    case 'weighted':
      if (re.value.kind !== 'hash') stop(ctx, re.at, `${owner} must be a hash`);
      spec = weighted(ctx, res, re.value, base, dync);
      break;
    case 'metafo': {
      const h = re.value;
      if (h.kind !== 'hash') stop(ctx, re.at, `${owner} must be a hash`);
      const inh = inherit(base, h);
      const dcs = entry(h, 'datacenters');
      if (!dcs) stop(ctx, h, `${owner}: datacenters is required`);
      const order = (dcs.value.kind === 'array' ? dcs.value.items : [dcs.value]).map((v) => str(v) ?? '');
      skipFirst(ctx, h, owner);
      const pools = dcmapPools(ctx, owner, h, inh, order, false);
      spec = { policy: 'failover', pools, maxAnswers: null, map: null };
      // A last-resort CNAME after address datacenters (gdnsd-plugin-metafo(8)'s `dc-bk =>
      // fallback.static.cname.example.org.`) is our fallback CNAME: answered once every other is down.
      const last = pools[pools.length - 1]!;
      if (
        dcOnly === undefined &&
        pools.length > 1 &&
        last.endpoints.length === 1 &&
        last.endpoints[0]!.cname &&
        last.checks.length === 0
      )
        if (pools.slice(0, -1).every((x) => x.endpoints.every((e) => e.address))) {
          spec = { ...spec, pools: pools.slice(0, -1), fallbackCname: last.endpoints[0]!.cname! };
          ctx.log.note(
            place(last.at),
            `${owner}: its last datacenter '${last.dc}' is a CNAME: it becomes the name's fallback { cname: ${last.endpoints[0]!.cname} }, answered when every other datacenter is down`,
          );
        }
      break;
    }
    case 'geoip': {
      const h = re.value;
      if (h.kind !== 'hash') stop(ctx, re.at, `${owner} must be a hash`);
      const inh = inherit(base, h);
      const mapName = str(entry(h, 'map')?.value);
      if (mapName === null) stop(ctx, h, `${owner}: map is required`);
      if (!maps.datacenters.has(mapName)) stop(ctx, h, `${owner}: map '${mapName}' is not defined`);
      const order = maps.datacenters.get(mapName);
      if (!order) stop(ctx, h, `${owner}: its map '${mapName}' cannot be translated (above)`);
      skipFirst(ctx, h, owner);
      const okU =
        str(
          entry(h, 'undefined_datacenters_ok')?.value ?? entry(p.hash, 'undefined_datacenters_ok')?.value,
        )?.toLowerCase() === 'true';
      spec = {
        policy: maps.policy.get(mapName)!,
        pools: dcmapPools(ctx, owner, h, inh, order, okU),
        maxAnswers: null,
        map: mapName,
      };
      if (okU)
        ctx.log.note(
          place(h),
          `${owner}: undefined_datacenters_ok: where a client's list holds none of its datacenters gdnsd answers NODATA, gslb the name's other pools`,
        );
      break;
    }
    default:
      stop(ctx, at, `plugin '${plugin}' has no equivalent in gslb`);
  }
  if (dcOnly !== undefined) {
    const pool = spec.pools.find((x) => x.dc === dcOnly);
    if (!pool) stop(ctx, at, `${owner} has no datacenter '${dcOnly}'`);
    spec = { policy: 'failover', pools: [pool], maxAnswers: spec.maxAnswers, map: null };
  }
  const cnames = spec.pools.filter((x) => x.endpoints.some((e) => e.cname));
  if (cnames.length > 0 && !dync) stop(ctx, at, `${owner} can answer with a CNAME: gdnsd allows it only in a DYNC`);
  if (cnames.length > 0 && cnames.length < spec.pools.length)
    stop(
      ctx,
      at,
      `${owner} mixes CNAME and address datacenters: a gslb name answers with one or the other (use fallback: { cname: HOST } for a last-resort CNAME)`,
    );
  const seen = new Map<string, string>();
  for (const x of spec.pools)
    for (const e of x.endpoints) {
      const key = e.address ?? e.cname!;
      const other = seen.get(key);
      if (other !== undefined && other !== x.dc)
        stop(
          ctx,
          x.at,
          `${owner}: ${key} is in datacenters '${other}' and '${x.dc}': a gslb endpoint belongs to one datacenter of a name (give one of them another address, or merge the datacenters)`,
        );
      seen.set(key, x.dc);
    }
  const checkSets = new Set(spec.pools.map((x) => x.checks.join(',')));
  if (checkSets.size > 1)
    stop(ctx, at, `${owner}: its datacenters use different service_types: a gslb name has one check for every pool`);
  return spec;
}

function skipFirst(ctx: PluginContext, h: VHash, owner: string): void {
  const e = entry(h, 'skip_first');
  if (e && str(e.value)?.toLowerCase() === 'true')
    stop(
      ctx,
      e.at,
      `${owner}: skip_first (never the client's first datacenter) has no equivalent; write the name's own regions without it`,
    );
}
