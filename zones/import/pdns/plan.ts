// What one returned value of a LUA record (a call such as ifurlup(...), or literal addresses) becomes
// in gslb's terms: datacenters in failover order, how many addresses an answer holds, the check and
// the policy. Datacenters are invented from the addresses (a group of ifurlup is one datacenter named
// after its first address; pickers that choose between single addresses get one per address).
import { ipFamily } from '../../address.js';
import type { LuaExpr } from './lua-parse.js';

/** A datacenter the translation invents, with what it holds for this record. */
export interface Slot {
  readonly dc: string;
  readonly entries: readonly string[];
  readonly weight: number;
  /** Per entry, its weight inside the datacenter (pickwrandom); 1 when absent. */
  readonly weights?: readonly number[];
  /** Per entry, where to probe it (HOST:PORT) when not at the address itself (ifurlextup). */
  readonly probes?: readonly string[];
}

export type Granularity = 'group' | 'address';
export type PlanPolicy = 'failover' | 'tiers' | 'weighted' | 'hashed' | 'nearest';

export interface CheckSpec {
  /** The check as written into policy.yaml. */
  readonly spec: Readonly<Record<string, unknown>>;
  /** Name prefix for the check (port-443, url). */
  readonly hint: string;
}

export interface Plan {
  /** 'tiers': a geo order whose items are split tiers (a group picked by hash inside). */
  readonly policy: PlanPolicy;
  readonly granularity: Granularity;
  /** Failover order; each item one datacenter or (tiers) several split by weight. */
  readonly order: readonly (readonly Slot[])[];
  readonly maxAnswers: number;
  /** The answer holds every usable address of the datacenter (selector 'all', literal lists): max_answers is its size. */
  readonly every: boolean;
  readonly check: CheckSpec | null;
  /** gslb's fallback when every datacenter is down (null: the default, all). */
  readonly fallback: string | null;
  /** Behaviour differences to tell the operator. */
  readonly notes: readonly string[];
}

/** The part of the record that cannot be translated, and why. */
export class Untranslatable extends Error {}

export interface PlanContext {
  /** The record's type: A, AAAA or CNAME. */
  readonly qtype: string;
  /** Resolves a name bound by `local`, or null. */
  readonly lookup: (name: string) => LuaExpr | null;
}

const UNSUPPORTED: Readonly<Record<string, string>> = {
  view: 'view() is read only as the whole value of a record (return view({...}))',
  createReverse: 'createReverse() synthesises PTR names: gslb serves only static PTR records',
  createReverse6: 'createReverse6() synthesises PTR names: gslb serves only static PTR records',
  createForward: 'createForward() synthesises addresses from the query name: gslb has no equivalent',
  createForward6: 'createForward6() synthesises addresses from the query name: gslb has no equivalent',
  filterForward: 'filterForward() filters synthesised addresses: gslb has no equivalent',
  closestMagic: 'closestMagic() reads addresses from the query name: gslb has no equivalent',
  latlonMagic: 'latlonMagic() reads addresses from the query name: gslb has no equivalent',
  latlon: 'latlon() answers the client\'s coordinates as text: gslb has no equivalent',
  latlonloc: 'latlonloc() answers the client\'s coordinates as LOC: gslb has no equivalent',
  include: "include() runs another LUA record's code: inline it into this record first",
  countryCode: 'countryCode() as an answer (not compared in a condition) has no equivalent',
  continentCode: 'continentCode() as an answer (not compared in a condition) has no equivalent',
  regionCode: 'regionCode() as an answer has no equivalent',
  geoiplookup: 'geoiplookup() has no equivalent',
}; // prettier-ignore

/** Follows `local` names to their values. */
export function resolve(e: LuaExpr, ctx: PlanContext, depth = 0): LuaExpr {
  if (e.k !== 'name') return e;
  const v = depth < 32 ? ctx.lookup(e.name) : null;
  if (!v)
    throw new Untranslatable(
      `uses '${e.name}', which is not a local of the record (PowerDNS's variables and globals have no equivalent)`,
    );
  return resolve(v, ctx, depth + 1);
}

function str(e: LuaExpr, ctx: PlanContext, what: string): string {
  const v = resolve(e, ctx);
  if (v.k === 'str') return v.v;
  if (v.k === 'num') return String(v.v);
  throw new Untranslatable(`${what} must be a string`);
}

function list(e: LuaExpr, ctx: PlanContext, what: string): LuaExpr[] {
  const v = resolve(e, ctx);
  if (v.k !== 'table' || v.fields.size > 0) throw new Untranslatable(`${what} must be a list {...}`);
  return v.items.map((i) => resolve(i, ctx));
}

/** A list of answers ({'a','b'}) or, for ifurlup/ifportup, a list of such lists (groups). */
function groupsOf(e: LuaExpr, ctx: PlanContext, what: string): string[][] {
  const items = list(e, ctx, what);
  if (items.length === 0) throw new Untranslatable(`${what} is empty (PowerDNS fails the query)`);
  if (items.every((i) => i.k === 'table'))
    return items.map((g, n) => {
      const group = list(g, ctx, `group ${n + 1} of ${what}`).map((a) => str(a, ctx, `an address of ${what}`));
      if (group.length === 0) throw new Untranslatable(`group ${n + 1} of ${what} is empty`);
      return group;
    });
  return [items.map((a) => str(a, ctx, `an address of ${what}`))];
}

function addresses(entries: readonly string[], ctx: PlanContext, fn: string): void {
  for (const a of entries) {
    if (ctx.qtype === 'CNAME') {
      if (!/^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(a))
        throw new Untranslatable(`${fn}: '${a}' is not a host name`);
      continue;
    }
    const fam = ipFamily(a);
    if (fam === 0) throw new Untranslatable(`${fn}: '${a}' is not an IP address`);
    if (fam !== (ctx.qtype === 'A' ? 4 : 6))
      throw new Untranslatable(
        `${fn}: '${a}' is an IPv${fam} address in a LUA ${ctx.qtype} record (PowerDNS fails the query)`,
      );
  }
}

/** A datacenter name for one address or host: 192.0.2.1 -> 192-0-2-1, 2001:db8::1 -> 2001-db8--1. */
export function dcName(entry: string): string {
  return entry.toLowerCase().replace(/\.$/, '').replace(/[.:]/g, '-');
}

function groupSlot(group: readonly string[]): Slot {
  const dc = group.length === 1 ? dcName(group[0]!) : `${dcName(group[0]!)}-x${group.length}`;
  return { dc, entries: group, weight: 1 };
}

function addressSlots(entries: readonly (readonly [number, string])[]): Slot[] {
  return entries.map(([weight, e]) => ({ dc: dcName(e), entries: [e], weight }));
}

/** Options table of ifportup/ifurlup: string values by key. */
function options(e: LuaExpr | undefined, ctx: PlanContext, fn: string): Map<string, LuaExpr> {
  if (e === undefined) return new Map();
  const v = resolve(e, ctx);
  if (v.k === 'nil') return new Map();
  if (v.k !== 'table' || v.items.length > 0) throw new Untranslatable(`${fn}: the options must be a table {key=value}`);
  return new Map([...v.fields].map(([k, x]) => [k, resolve(x, ctx)]));
}

const seconds = (e: LuaExpr | undefined, fn: string, key: string): number | null => {
  if (e === undefined) return null;
  const n = e.k === 'num' ? e.v : e.k === 'str' ? Number(e.v) : NaN;
  if (!Number.isInteger(n) || n <= 0) throw new Untranslatable(`${fn}: ${key} must be a whole number of seconds`);
  return n;
};

/** ifportup and ifurlup: health-checked groups, a selector while some are up, a backupSelector when none is. */
function checkedGroups(fn: string, groups: string[][], check: CheckSpec, opts: Map<string, LuaExpr>): Plan {
  const notes: string[] = [];
  const text = (key: string, dflt: string): string => {
    const v = opts.get(key);
    if (v === undefined) return dflt;
    if (v.k !== 'str') throw new Untranslatable(`${fn}: ${key} must be a string`);
    return v.v;
  };
  let selector = text('selector', 'random');
  const backup = text('backupSelector', 'random');
  if (!['random', 'all', 'hashed', 'pickclosest'].includes(selector)) {
    notes.push(`${fn}: unknown selector '${selector}', which PowerDNS treats as 'random'`);
    selector = 'random';
  }
  const all = groups.flat();
  let fallback: string | null = null;
  if (backup === 'empty') fallback = 'nodata';
  else if (groups.length > 1 || backup !== (selector === 'pickclosest' ? 'random' : selector))
    notes.push(
      `${fn}: when every address is down PowerDNS answers backupSelector '${backup}' over all ${all.length} addresses; gslb answers as it does when they are up, from the first datacenter (fallback: all)`,
    );
  if (selector === 'pickclosest' && groups.length > 1)
    throw new Untranslatable(
      `${fn}: selector 'pickclosest' over several groups (the closest of the first group with one up): gslb's nearest policy orders by distance only`,
    );
  const base = { check, fallback, notes };
  if (selector === 'hashed')
    return {
      ...base,
      policy: 'tiers',
      granularity: 'address',
      order: groups.map((g) => addressSlots(g.map((a) => [1, a]))),
      maxAnswers: 1,
      every: false,
    };
  if (selector === 'pickclosest')
    return {
      ...base,
      policy: 'nearest',
      granularity: 'address',
      order: [addressSlots(all.map((a) => [1, a]))],
      maxAnswers: 1,
      every: false,
    };
  const maxAnswers = selector === 'all' ? Math.min(64, Math.max(...groups.map((g) => g.length))) : 1;
  if (selector === 'all' && maxAnswers < Math.max(...groups.map((g) => g.length)))
    notes.push(`${fn}: selector 'all' over more than 64 addresses: gslb answers at most 64`);
  return {
    ...base,
    policy: 'failover',
    granularity: 'group',
    order: groups.map((g) => [groupSlot(g)]),
    maxAnswers,
    every: selector === 'all',
  };
}

function healthOptions(fn: string, opts: Map<string, LuaExpr>, spec: Record<string, unknown>, notes: string[]): void {
  const timeout = seconds(opts.get('timeout'), fn, 'timeout');
  const interval = seconds(opts.get('interval'), fn, 'interval');
  const fails = seconds(opts.get('minimumFailures'), fn, 'minimumFailures');
  if (interval !== null || (timeout !== null && timeout > 5))
    spec['interval'] = `${Math.max(interval ?? 5, timeout ?? 0)}s`;
  if (timeout !== null) spec['timeout'] = `${timeout}s`;
  if (fails !== null) spec['fall'] = fails;
  if (opts.has('source'))
    notes.push(`${fn}: source (the probes' source address) is dropped: gslb probes from where it runs`);
  if (opts.has('useragent')) notes.push(`${fn}: useragent is dropped: gslb's probes send User-Agent gslb-health-check`);
  if (opts.has('failOnIncompleteCheck'))
    notes.push(`${fn}: failOnIncompleteCheck is dropped: gslb counts an address up until its first probe`);
  for (const key of ['headers', 'byteslimit'])
    if (opts.has(key)) throw new Untranslatable(`${fn}: the option ${key} has no equivalent in gslb's checks`);
}

function ifportup(args: readonly LuaExpr[], ctx: PlanContext): Plan {
  if (args.length < 2) throw new Untranslatable('ifportup() needs a port and a list of addresses');
  const port = resolve(args[0]!, ctx);
  if (port.k !== 'num' || !Number.isInteger(port.v) || port.v < 1 || port.v > 65535)
    throw new Untranslatable('ifportup(): the port must be a number from 1 to 65535');
  const groups = groupsOf(args[1]!, ctx, 'the addresses of ifportup()');
  for (const g of groups) addresses(g, ctx, 'ifportup()');
  const opts = options(args[2], ctx, 'ifportup()');
  const spec: Record<string, unknown> = { type: 'tcp', port: port.v };
  const notes: string[] = [];
  healthOptions('ifportup()', opts, spec, notes);
  if (opts.has('stringmatch')) notes.push('ifportup(): stringmatch is ignored by PowerDNS for TCP checks');
  const plan = checkedGroups('ifportup()', groups, { spec, hint: `port-${port.v}` }, opts);
  if (groups.length > 1)
    notes.push(
      'ifportup(): groups of addresses are a PowerDNS 4.8+ form; translated as ifurlup groups are (failover in order)',
    );
  return { ...plan, notes: [...notes, ...plan.notes] };
}

function ifurlup(args: readonly LuaExpr[], ctx: PlanContext): Plan {
  if (args.length < 2) throw new Untranslatable('ifurlup() needs a URL and a list of addresses');
  const urlText = str(args[0]!, ctx, 'the URL of ifurlup()');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new Untranslatable(`ifurlup(): '${urlText}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Untranslatable(`ifurlup(): only http and https URLs are checked (not ${url.protocol})`);
  if (url.username !== '')
    throw new Untranslatable('ifurlup(): a URL with user:password has no equivalent in gslb checks');
  const groups = groupsOf(args[1]!, ctx, 'the addresses of ifurlup()');
  for (const g of groups) addresses(g, ctx, 'ifurlup()');
  const opts = options(args[2], ctx, 'ifurlup()');
  const https = url.protocol === 'https:';
  const spec: Record<string, unknown> = {
    type: https ? 'https' : 'http',
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
  };
  // PowerDNS connects to each address but asks for the URL's host (curl's --resolve).
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipFamily(host) === 0) spec['host'] = host;
  spec['expect'] = [200];
  spec['follow_redirects'] = true;
  const match = opts.get('stringmatch');
  if (match !== undefined) {
    if (match.k !== 'str') throw new Untranslatable('ifurlup(): stringmatch must be a string');
    spec['body'] = match.v;
  }
  const notes: string[] = [];
  healthOptions('ifurlup()', opts, spec, notes);
  const plan = checkedGroups('ifurlup()', groups, { spec, hint: 'url' }, opts);
  return { ...plan, notes: [...notes, ...plan.notes] };
}

/** ifurlextup({{[addr]=url, ...}, ...}): groups whose addresses are checked at URLs of their own. */
function ifurlextup(args: readonly LuaExpr[], ctx: PlanContext): Plan {
  const fn = 'ifurlextup()';
  const groupList = list(args[0] ?? { k: 'nil' }, ctx, `the groups of ${fn}`);
  if (groupList.length === 0) throw new Untranslatable(`${fn}: no groups (PowerDNS fails the query)`);
  const groups: string[][] = [];
  const probes: string[][] = [];
  let shape: { type: string; path: string; host: string | null } | null = null;
  for (const [n, g] of groupList.entries()) {
    const t = resolve(g, ctx);
    if (t.k !== 'table' || t.items.length > 0 || t.fields.size === 0)
      throw new Untranslatable(`${fn}: group ${n + 1} must be a table {['address']='url', ...}`);
    const addrs: string[] = [];
    const at: string[] = [];
    for (const [addr, urlExpr] of t.fields) {
      const urlText = str(urlExpr, ctx, `the URL of ${addr}`);
      let url: URL;
      try {
        url = new URL(urlText);
      } catch {
        throw new Untranslatable(`${fn}: '${urlText}' is not a URL`);
      }
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '')
        throw new Untranslatable(`${fn}: only http and https URLs without user:password are checked ('${urlText}')`);
      const type = url.protocol === 'https:' ? 'https' : 'http';
      const port = url.port === '' ? (type === 'https' ? 443 : 80) : Number(url.port);
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const mine = {
        type,
        path: `${url.pathname}${url.search}`,
        host: ipFamily(hostname) === 0 ? hostname : null,
        port,
      };
      shape ??= mine;
      if (shape.type !== mine.type || shape.path !== mine.path || shape.host !== mine.host)
        throw new Untranslatable(
          `${fn}: the URLs differ in scheme, path or host name; a gslb check has one (probe: HOST:PORT moves only where)`,
        );
      addrs.push(addr);
      at.push(hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`);
    }
    addresses(addrs, ctx, fn);
    groups.push(addrs);
    probes.push(at);
  }
  const opts = options(args[1], ctx, fn);
  // Every endpoint names its probe's port, so the check keeps the scheme's (the same for every branch).
  const spec: Record<string, unknown> = { type: shape!.type, path: shape!.path };
  if (shape!.host !== null) spec['host'] = shape!.host;
  spec['expect'] = [200];
  spec['follow_redirects'] = true;
  const match = opts.get('stringmatch');
  if (match !== undefined) {
    if (match.k !== 'str') throw new Untranslatable(`${fn}: stringmatch must be a string`);
    spec['body'] = match.v;
  }
  const notes: string[] = [];
  healthOptions(fn, opts, spec, notes);
  const plan = checkedGroups(fn, groups, { spec, hint: 'url' }, opts);
  // Each endpoint is probed where its URL points; the slots are the groups' (or the addresses') own.
  const probeOf = new Map(groups.flatMap((g, i) => g.map((a, j): [string, string] => [a, probes[i]![j]!])));
  const order = plan.order.map((tier) => tier.map((s) => ({ ...s, probes: s.entries.map((e) => probeOf.get(e)!) })));
  return { ...plan, order, notes: [...notes, ...plan.notes] };
}

/** {{w, 'a'}, ...} of pickwrandom/pickwhashed. */
function weighted(fn: string, arg: LuaExpr | undefined, ctx: PlanContext): [number, string][] {
  if (arg === undefined) throw new Untranslatable(`${fn}() needs a list of {weight, address}`);
  const out = list(arg, ctx, `the list of ${fn}()`).map((pair): [number, string] => {
    const p = list(pair, ctx, `an entry of ${fn}()`);
    const w = p[0];
    if (p.length !== 2 || w?.k !== 'num' || !Number.isInteger(w.v) || w.v < 0)
      throw new Untranslatable(`${fn}(): each entry must be {weight, address} with a whole weight`);
    return [Math.min(w.v, 1_000_000), str(p[1]!, ctx, `an address of ${fn}()`)];
  });
  if (out.length === 0 || out.every(([w]) => w === 0))
    throw new Untranslatable(`${fn}(): no entry has a weight (PowerDNS fails the query)`);
  addresses(
    out.map(([, a]) => a),
    ctx,
    `${fn}()`,
  );
  return out;
}

function plain(fn: string, arg: LuaExpr | undefined, ctx: PlanContext): string[] {
  if (arg === undefined) throw new Untranslatable(`${fn}() needs a list`);
  const out = list(arg, ctx, `the list of ${fn}()`).map((a) => str(a, ctx, `an entry of ${fn}()`));
  if (out.length === 0) throw new Untranslatable(`${fn}(): the list is empty (PowerDNS fails the query)`);
  addresses(out, ctx, `${fn}()`);
  return out;
}

const unchecked = { check: null, fallback: null } as const;

/**
 * pickrandom/pickwrandom (and view()'s pick): one datacenter of the addresses, one per answer; gslb
 * rotates through them by weight (smooth weighted round robin) where PowerDNS draws: the same set
 * and the same shares. One datacenter, so it also works under a condition.
 */
export function randomPick(entries: readonly (readonly [number, string])[]): Plan {
  const slot = { ...groupSlot(entries.map(([, a]) => a)), weights: entries.map(([w]) => w) };
  return {
    ...unchecked,
    policy: 'failover',
    granularity: 'group',
    order: [[slot]],
    maxAnswers: 1,
    every: false,
    notes: [],
  };
}

/** The plan for a returned value; Untranslatable when gslb has no equal. */
export function planOf(value: LuaExpr, ctx: PlanContext): Plan {
  const v = resolve(value, ctx);
  if (v.k === 'str') {
    addresses([v.v], ctx, 'the answer');
    return {
      ...unchecked,
      policy: 'failover',
      granularity: 'group',
      order: [[groupSlot([v.v])]],
      maxAnswers: 1,
      every: false,
      notes: [],
    };
  }
  if (v.k === 'table') {
    const all = plain('the answer', v, ctx);
    return {
      ...unchecked,
      policy: 'failover',
      granularity: 'group',
      order: [[groupSlot(all)]],
      maxAnswers: Math.min(64, all.length),
      every: true,
      notes: [],
    };
  }
  if (v.k !== 'call')
    throw new Untranslatable(`returns ${v.k === 'nil' ? 'nil' : `a ${v.k} expression`}, not addresses`);
  const { fn, args } = v;
  if (ctx.qtype === 'CNAME' && ['ifportup', 'ifurlup', 'ifurlextup', 'pickclosest'].includes(fn))
    throw new Untranslatable(`${fn}() in a LUA CNAME record: it works on addresses`);
  switch (fn) {
    case 'ifportup':
      return ifportup(args, ctx);
    case 'ifurlup':
      return ifurlup(args, ctx);
    case 'ifurlextup':
      return ifurlextup(args, ctx);
    case 'all': {
      const all = plain('all', args[0], ctx);
      return {
        ...unchecked,
        policy: 'failover',
        granularity: 'group',
        order: [[groupSlot(all)]],
        maxAnswers: Math.min(64, all.length),
        every: true,
        notes: [],
      };
    }
    case 'pickrandom':
      return randomPick(plain('pickrandom', args[0], ctx).map((a): [number, string] => [1, a]));
    case 'pickwrandom':
      return randomPick(weighted('pickwrandom', args[0], ctx));
    case 'pickhashed':
    case 'pickwhashed': {
      const entries =
        fn === 'pickhashed' ? plain(fn, args[0], ctx).map((a): [number, string] => [1, a]) : weighted(fn, args[0], ctx);
      return {
        ...unchecked, policy: 'hashed', granularity: 'address', order: [addressSlots(entries)], maxAnswers: 1, every: false,
        notes: [`${fn}(): gslb hashes the client's /24 (/56) by rendezvous hashing, PowerDNS the client address modulo the weights: each client is sticky in both, but not to the same address`],
      }; // prettier-ignore
    }
    case 'pickclosest':
      return {
        ...unchecked,
        policy: 'nearest',
        granularity: 'address',
        order: [addressSlots(plain('pickclosest', args[0], ctx).map((a) => [1, a]))],
        maxAnswers: 1,
        every: false,
        notes: [],
      };
    case 'pickrandomsample': {
      const n = resolve(args[0] ?? { k: 'nil' }, ctx);
      if (n.k !== 'num' || !Number.isInteger(n.v) || n.v < 1)
        throw new Untranslatable('pickrandomsample(): the count must be a whole number from 1');
      const all = plain('pickrandomsample', args[1], ctx);
      return {
        ...unchecked, policy: 'failover', granularity: 'group', order: [[groupSlot(all)]], maxAnswers: Math.min(64, n.v, all.length), every: false,
        notes: [`pickrandomsample(): gslb answers ${Math.min(n.v, all.length)} addresses in rotation (a rotating window), PowerDNS a random sample`],
      }; // prettier-ignore
    }
    default: {
      const why = UNSUPPORTED[fn];
      throw new Untranslatable(why ?? `${fn}() is not a PowerDNS LUA record function gslb knows`);
    }
  }
}
