// One LUA record (`www 30 IN LUA A "..."`) translated: its branches as region matches each with a
// plan, and the plan for everyone else. PowerDNS tries the conditions in order and the first that
// holds wins; gslb matches the most specific first (cidrs, asns, countries, continents), so codes an
// earlier branch already catches are taken out of later ones, and the rest of the difference is noted.
import { countryInfo } from '../../../geo/countries.js';
import { emptyMatch, matchOf, type Match } from './conditions.js';
import { maskBytes, parseCidr } from '../../address.js';
import { decisionOf, type Env } from './decision.js';
import { LuaSubsetError, parseLuaSnippet } from './lua-parse.js';
import type { LuaExpr } from './lua-parse.js';
import { randomPick, resolve, Untranslatable, type Plan, type PlanContext } from './plan.js';
import { planOf } from './value-plan.js';

export interface RecordBranch {
  readonly match: Match;
  readonly plan: Plan;
}

export interface TranslatedRecord {
  readonly qtype: string;
  readonly branches: readonly RecordBranch[];
  readonly otherwise: Plan | null;
  readonly notes: readonly string[];
}

/** True when prefix `inner` lies inside `outer` (the same or narrower). */
function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a.ok || !b.ok || a.cidr.family !== b.cidr.family || a.cidr.prefix < b.cidr.prefix) return false;
  return maskBytes(a.cidr.bytes, b.cidr.prefix).equals(b.cidr.bytes);
}

/**
 * view({{{nets}, {answers}}, ...}): one condition per rule, matching its netmasks, answering one of
 * its answers (PowerDNS picks at random; gslb rotates).
 */
function viewDecision(rules: LuaExpr, ctx: PlanContext, notes: string[]): RecordBranch[] {
  const list = (e: LuaExpr, what: string): LuaExpr[] => {
    const v = resolve(e, ctx);
    if (v.k !== 'table' || v.fields.size > 0) throw new Untranslatable(`view(): ${what} must be a list {...}`);
    return v.items.map((i) => resolve(i, ctx));
  };
  const text = (e: LuaExpr, what: string): string => {
    if (e.k !== 'str') throw new Untranslatable(`view(): ${what} must be strings`);
    return e.v;
  };
  return list(rules, 'the rules').map((rule, i) => {
    const [nets, answers] = list(rule, `rule ${i + 1}`);
    if (!nets || !answers) throw new Untranslatable(`view(): rule ${i + 1} must be {{netmasks}, {answers}}`);
    const cidrs = list(nets, `the netmasks of rule ${i + 1}`).map((n) => text(n, 'netmasks'));
    const match = emptyMatch();
    for (const c of cidrs) {
      const r = parseCidr(c);
      if (!r.ok) throw new Untranslatable(`view(): ${r.error}`);
      if (!match.cidrs.includes(c)) match.cidrs.push(c);
    }
    const picks = list(answers, `the answers of rule ${i + 1}`).map((a): [number, string] => [1, text(a, 'answers')]);
    if (picks.length === 0) throw new Untranslatable(`view(): rule ${i + 1} has no answers (PowerDNS fails the query)`);
    const plan = randomPick(picks);
    planOf({ k: 'table', items: picks.map(([, a]) => ({ k: 'str', v: a })), fields: new Map() }, ctx); // checks the addresses
    if (picks.length > 1)
      notes.push(
        `view(): rule ${i + 1} picks one of ${picks.length} answers: at random in PowerDNS, in rotation in gslb`,
      );
    return { match, plan };
  });
}

const matchEmpty = (m: Match) => m.countries.length + m.continents.length + m.asns.length + m.cidrs.length === 0;

/** Takes out of each branch what an earlier branch catches first in PowerDNS. */
function firstMatchWins(branches: RecordBranch[], notes: string[]): RecordBranch[] {
  const seen = {
    countries: new Set<string>(),
    continents: new Set<string>(),
    asns: new Set<number>(),
    cidrs: new Set<string>(),
  };
  const out: RecordBranch[] = [];
  let broad = false;
  branches.forEach((b, i) => {
    const n = i + 1;
    const countries = b.match.countries.filter((c) => {
      const continent = countryInfo(c)?.continent;
      if (seen.countries.has(c)) notes.push(`condition ${n}: country ${c} is caught by an earlier condition; left out`);
      else if (continent && seen.continents.has(continent))
        notes.push(
          `condition ${n}: country ${c} is in continent ${continent}, caught by an earlier condition; left out`,
        );
      else return true;
      return false;
    });
    const continents = b.match.continents.filter(
      (c) =>
        !seen.continents.has(c) ||
        (notes.push(`condition ${n}: continent ${c} is caught by an earlier condition; left out`), false),
    );
    const asns = b.match.asns.filter(
      (a) =>
        !seen.asns.has(a) || (notes.push(`condition ${n}: AS${a} is caught by an earlier condition; left out`), false),
    );
    // gslb picks the longest prefix; PowerDNS the first condition: a prefix inside an earlier one never wins there.
    const cidrs = b.match.cidrs.filter((c) => {
      const earlier = [...seen.cidrs].find((e) => cidrWithin(c, e));
      if (earlier === undefined) return true;
      notes.push(`condition ${n}: ${c} is caught by an earlier condition (${earlier}); left out`);
      return false;
    });
    if ((asns.length > 0 || cidrs.length > 0) && broad)
      notes.push(
        `condition ${n}: gslb matches netmasks and AS numbers before countries and continents, so a client matching an earlier condition too follows this one in gslb`,
      );
    if (countries.length + continents.length > 0) broad = true;
    countries.forEach((c) => seen.countries.add(c));
    continents.forEach((c) => seen.continents.add(c));
    asns.forEach((a) => seen.asns.add(a));
    cidrs.forEach((c) => seen.cidrs.add(c));
    const match = { countries, continents, asns, cidrs };
    if (matchEmpty(match)) notes.push(`condition ${n} can never be reached (or never matches); left out`);
    else out.push({ match, plan: b.plan });
  });
  return out;
}

/** Translates a record's snippet; throws Untranslatable (the why) for anything gslb cannot express. */
export function translateRecord(qtype: string, code: string): TranslatedRecord {
  let body;
  try {
    body = parseLuaSnippet(code);
  } catch (err) {
    if (err instanceof LuaSubsetError) throw new Untranslatable(`not in the Lua subset gslb reads: ${err.message}`);
    throw err;
  }
  const d = decisionOf(body);
  const ctxOf = (env: Env): PlanContext => ({ qtype, lookup: (name) => env.get(name) ?? null });
  const ctx = ctxOf(d.env);
  const notes: string[] = [];
  // A condition reads the record's locals; a branch's value, the locals as the branch left them.
  const whole = d.branches.length === 0 && d.otherwise !== null ? resolve(d.otherwise, ctx) : null;
  if (whole?.k === 'call' && whole.fn === 'view') {
    if (qtype === 'CNAME')
      throw new Untranslatable('view() in a LUA CNAME record: write a name with cname endpoints and regions by hand');
    const branches = firstMatchWins(viewDecision(whole.args[0] ?? { k: 'nil' }, ctx, notes), notes);
    notes.push(
      'view(): clients no netmask matches get SERVFAIL from PowerDNS; gslb answers them from the pools in order',
    );
    return { qtype, branches, otherwise: null, notes: [...new Set(notes)] };
  }
  const branches = firstMatchWins(
    d.branches.map((b) => ({ match: matchOf(b.cond, ctx, notes), plan: planOf(b.value, ctxOf(b.env)) })),
    notes,
  );
  const otherwise = d.otherwise === null ? null : planOf(d.otherwise, ctx);
  if (branches.length > 0) {
    if (otherwise === null)
      notes.push(
        'no value for clients that match no condition: PowerDNS fails their queries, gslb answers them from the pools in order',
      );
    const plans = [...branches.map((b) => b.plan), ...(otherwise ? [otherwise] : [])];
    const all = new Set(plans.flatMap((p) => p.order.flat().map((s) => s.dc)));
    if (plans.some((p) => p.check !== null && new Set(p.order.flat().map((s) => s.dc)).size < all.size))
      notes.push(
        "when every address of a condition's value is down, PowerDNS answers with its backupSelector; gslb fails over to the other conditions' datacenters first",
      );
  }
  for (const p of [...branches.map((b) => b.plan), ...(otherwise ? [otherwise] : [])]) notes.push(...p.notes);
  return { qtype, branches, otherwise, notes: [...new Set(notes)] };
}
