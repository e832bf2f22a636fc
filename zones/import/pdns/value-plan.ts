// What one returned value of a LUA record becomes: the dispatch over PowerDNS's functions (the
// health-checked ones in checked.ts), the pickers, literal answers, and why the rest is untranslatable.
import { ifportup, ifurlextup, ifurlup } from './checked.js';
import type { LuaExpr } from './lua-parse.js';
import {
  addresses, addressSlots, groupSlot, list, randomPick, resolve, str, unchecked, Untranslatable,
  type Plan, type PlanContext,
} from './plan.js'; // prettier-ignore

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

/** Every address of the list in each answer, unchecked: a literal list, or all(). */
function everyAddress(all: string[]): Plan {
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
  if (v.k === 'table') return everyAddress(plain('the answer', v, ctx));
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
    case 'all':
      return everyAddress(plain('all', args[0], ctx));
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
      const why = Object.hasOwn(UNSUPPORTED, fn) ? UNSUPPORTED[fn] : undefined;
      throw new Untranslatable(why ?? `${fn}() is not a PowerDNS LUA record function gslb knows`);
    }
  }
}
