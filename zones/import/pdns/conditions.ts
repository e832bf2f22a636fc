// The conditions of a LUA record's branches (`if continent('EU') then`, `country({'FR','BE'}) and
// A or B`, `countryCode() == 'US'`) as what a gslb region matches. Only unions of countries,
// continents, ASNs and netmasks are regions; `and`, `not` and anything else are untranslatable.
import { parseCidr } from '../../address.js';
import { CONTINENTS, isCountryCode, type ContinentCode } from '../../../geo/countries.js';
import type { LuaExpr } from './lua-parse.js';
import { resolve, Untranslatable, type PlanContext } from './plan.js';

export interface Match {
  readonly countries: string[];
  readonly continents: string[];
  readonly asns: number[];
  readonly cidrs: string[];
}

export const emptyMatch = (): Match => ({ countries: [], continents: [], asns: [], cidrs: [] });

function codes(args: readonly LuaExpr[], ctx: PlanContext, fn: string): string[] {
  const a = args[0] === undefined ? null : resolve(args[0], ctx);
  if (a?.k === 'str') return [a.v];
  if (a?.k === 'num') return [String(a.v)];
  if (a?.k === 'table' && a.fields.size === 0)
    return a.items.map((i) => {
      const v = resolve(i, ctx);
      if (v.k === 'str') return v.v;
      if (v.k === 'num') return String(v.v);
      throw new Untranslatable(`${fn}(): the list must hold strings`);
    });
  throw new Untranslatable(`${fn}() needs a string or a list of strings`);
}

/** Adds a country/continent code, or says why it can never match (PowerDNS compares case-insensitively). */
function add(m: Match, kind: 'country' | 'continent', code: string, notes: string[]): void {
  const c = code.toUpperCase();
  if (kind === 'country') {
    if (!isCountryCode(c)) notes.push(`country('${code}') never matches: not an ISO 3166-1 code; left out`);
    else if (!m.countries.includes(c)) m.countries.push(c);
  } else if (!CONTINENTS.has(c as ContinentCode))
    notes.push(`continent('${code}') never matches: not a continent code; left out`);
  else if (!m.continents.includes(c)) m.continents.push(c);
}

/** The region match of a condition; notes collect codes left out. */
export function matchOf(cond: LuaExpr, ctx: PlanContext, notes: string[], into: Match = emptyMatch()): Match {
  const e = resolve(cond, ctx);
  if (e.k === 'or') {
    matchOf(e.a, ctx, notes, into);
    return matchOf(e.b, ctx, notes, into);
  }
  if (e.k === 'eq') {
    const [call, lit] =
      resolve(e.a, ctx).k === 'call' ? [resolve(e.a, ctx), resolve(e.b, ctx)] : [resolve(e.b, ctx), resolve(e.a, ctx)];
    if (call.k === 'call' && call.args.length === 0 && lit.k === 'str') {
      if (call.fn === 'countryCode' || call.fn === 'continentCode') {
        // PowerDNS's geoip lookups answer in lower case, and == compares exactly.
        if (lit.v !== lit.v.toLowerCase())
          notes.push(`${call.fn}() == '${lit.v}' never matches: ${call.fn}() answers in lower case; left out`);
        else add(into, call.fn === 'countryCode' ? 'country' : 'continent', lit.v, notes);
        return into;
      }
    }
    throw new Untranslatable("only countryCode() or continentCode() == 'XX' comparisons become regions");
  }
  if (e.k === 'and') throw new Untranslatable("a condition with 'and' (both must hold) has no region equivalent");
  if (e.k === 'not' || e.k === 'ne')
    throw new Untranslatable("a negated condition ('not', '~=') has no region equivalent");
  if (e.k !== 'call') throw new Untranslatable(`the condition is a ${e.k} expression, not country()/continent()`);
  switch (e.fn) {
    case 'country':
      for (const c of codes(e.args, ctx, 'country')) add(into, 'country', c, notes);
      return into;
    case 'continent':
      for (const c of codes(e.args, ctx, 'continent')) add(into, 'continent', c, notes);
      return into;
    case 'asnum':
      for (const c of codes(e.args, ctx, 'asnum')) {
        const n = Number(c.replace(/^AS/i, ''));
        if (!Number.isInteger(n) || n < 1 || n > 4294967295)
          throw new Untranslatable(`asnum(): '${c}' is not an AS number`);
        if (!into.asns.includes(n)) into.asns.push(n);
      }
      return into;
    case 'netmask':
      for (const c of codes(e.args, ctx, 'netmask')) {
        const r = parseCidr(c);
        if (!r.ok) throw new Untranslatable(`netmask(): ${r.error}`);
        if (!into.cidrs.includes(c)) into.cidrs.push(c);
      }
      return into;
    case 'region':
      throw new Untranslatable(
        "region() matches the database's subdivision code without its country: write a region with subdivisions: [CC-XX]",
      );
    default:
      throw new Untranslatable(
        `the condition ${e.fn}() has no region equivalent (country(), continent(), asnum() and netmask() do)`,
      );
  }
}
