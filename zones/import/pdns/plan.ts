// The plan of one returned value of a LUA record in gslb's terms: datacenters in failover order, how
// many addresses an answer holds, the check and the policy, and the helpers that read the values.
// Datacenters are invented from the addresses (a group of ifurlup is one datacenter named after its
// first address; pickers that choose between single addresses get one per address).
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

export function str(e: LuaExpr, ctx: PlanContext, what: string): string {
  const v = resolve(e, ctx);
  if (v.k === 'str') return v.v;
  if (v.k === 'num') return String(v.v);
  throw new Untranslatable(`${what} must be a string`);
}

export function list(e: LuaExpr, ctx: PlanContext, what: string): LuaExpr[] {
  const v = resolve(e, ctx);
  if (v.k !== 'table' || v.fields.size > 0) throw new Untranslatable(`${what} must be a list {...}`);
  return v.items.map((i) => resolve(i, ctx));
}

/** A list of answers ({'a','b'}) or, for ifurlup/ifportup, a list of such lists (groups). */
export function groupsOf(e: LuaExpr, ctx: PlanContext, what: string): string[][] {
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

export function addresses(entries: readonly string[], ctx: PlanContext, fn: string): void {
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

export function groupSlot(group: readonly string[]): Slot {
  const dc = group.length === 1 ? dcName(group[0]!) : `${dcName(group[0]!)}-x${group.length}`;
  return { dc, entries: group, weight: 1 };
}

export function addressSlots(entries: readonly (readonly [number, string])[]): Slot[] {
  return entries.map(([weight, e]) => ({ dc: dcName(e), entries: [e], weight }));
}

/** Options table of ifportup/ifurlup: string values by key. */
export function options(e: LuaExpr | undefined, ctx: PlanContext, fn: string): Map<string, LuaExpr> {
  if (e === undefined) return new Map();
  const v = resolve(e, ctx);
  if (v.k === 'nil') return new Map();
  if (v.k !== 'table' || v.items.length > 0) throw new Untranslatable(`${fn}: the options must be a table {key=value}`);
  return new Map([...v.fields].map(([k, x]) => [k, resolve(x, ctx)]));
}

export const seconds = (e: LuaExpr | undefined, fn: string, key: string): number | null => {
  if (e === undefined) return null;
  const n = e.k === 'num' ? e.v : e.k === 'str' ? Number(e.v) : NaN;
  if (!Number.isInteger(n) || n <= 0) throw new Untranslatable(`${fn}: ${key} must be a whole number of seconds`);
  return n;
};

export const unchecked = { check: null, fallback: null } as const;

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
