// The health-checked functions of LUA records: ifportup (a TCP connect), ifurlup and ifurlextup (an
// HTTP(S) GET that must answer 200), each over groups of addresses tried in order, with a selector
// while some are up and a backupSelector when none is. They become a gslb check and datacenters.
import { ipFamily } from '../../address.js';
import type { LuaExpr } from './lua-parse.js';
import {
  addresses, addressSlots, groupsOf, groupSlot, list, options, resolve, seconds, str, Untranslatable,
  type CheckSpec, type Plan, type PlanContext,
} from './plan.js'; // prettier-ignore

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

export function ifportup(args: readonly LuaExpr[], ctx: PlanContext): Plan {
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

export function ifurlup(args: readonly LuaExpr[], ctx: PlanContext): Plan {
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
export function ifurlextup(args: readonly LuaExpr[], ctx: PlanContext): Plan {
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
