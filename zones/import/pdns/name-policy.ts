// A load-balanced name from the LUA records of one owner (an A and an AAAA record become one name
// serving both families): the policy, regions, pools, check and the datacenters and checks the zone
// gains for it.
import { parseIp } from '../../address.js';
import { locate, type GeoData } from '../../../geo/geoip.js';
import type { Match } from './conditions.js';
import { Untranslatable, type CheckSpec, type Plan, type Slot } from './plan.js';
import type { RecordBranch, TranslatedRecord } from './record.js';

export interface ZoneParts {
  readonly datacenters: Map<string, Record<string, unknown>>;
  /** Datacenter -> its addresses (space separated), so one name is never two different groups. */
  readonly members: Map<string, string>;
  /** Check name -> spec; keyed by the spec's JSON to reuse equal checks. */
  readonly checks: Map<string, Readonly<Record<string, unknown>>>;
  readonly checkByKey: Map<string, string>;
}

const perFamily = (entries: readonly string[]) => {
  const v6 = entries.filter((e) => e.includes(':')).length;
  return Math.max(v6, entries.length - v6);
};

/** The plan answers every usable address of its datacenter (so any larger max_answers keeps it). */
const answersAll = (p: Plan): boolean =>
  p.every || p.order.every((tier) => tier.every((s) => perFamily(s.entries) <= p.maxAnswers));

const samePlanShape = (a: Plan, b: Plan): boolean =>
  a.policy === b.policy &&
  a.granularity === b.granularity &&
  ((answersAll(a) && answersAll(b)) || a.maxAnswers === b.maxAnswers) &&
  a.fallback === b.fallback &&
  JSON.stringify(a.check?.spec ?? null) === JSON.stringify(b.check?.spec ?? null) &&
  a.order.length === b.order.length;

/** The AAAA record's plan folded into the A record's (same shape: the same datacenters by position). */
function mergePlan(a: Plan, b: Plan): Plan {
  if (!samePlanShape(a, b))
    throw new Untranslatable(
      'differs from the LUA record of the other family in its function, options or groups (one gslb name serves both)',
    );
  const order = a.order.map((tier, i): Slot[] => {
    const other = b.order[i]!;
    if (a.granularity === 'address') return [...tier, ...other];
    const [x, y] = [tier[0]!, other[0]!];
    const probes = x.probes || y.probes ? [...probesOf(x), ...probesOf(y)] : undefined;
    const weights = x.weights || y.weights ? [...weightsOf(x), ...weightsOf(y)] : undefined;
    return [
      { ...x, entries: [...x.entries, ...y.entries], ...(probes ? { probes } : {}), ...(weights ? { weights } : {}) },
    ];
  });
  const maxAnswers = Math.max(a.maxAnswers, b.maxAnswers);
  return { ...a, order, maxAnswers, notes: [...new Set([...a.notes, ...b.notes])] };
}

const probesOf = (s: Slot): string[] => s.entries.map((_, i) => s.probes?.[i] ?? '');
const weightsOf = (s: Slot): number[] => s.entries.map((_, i) => s.weights?.[i] ?? 1);

const sameMatch = (a: Match, b: Match) => JSON.stringify(a) === JSON.stringify(b);

/** One record per family folded into one (A first). */
export function mergeRecords(a: TranslatedRecord, b: TranslatedRecord): TranslatedRecord {
  if (a.branches.length !== b.branches.length || (a.otherwise === null) !== (b.otherwise === null))
    throw new Untranslatable(
      'has other conditions than the LUA record of the other family (one gslb name serves both)',
    );
  const branches: RecordBranch[] = a.branches.map((br, i) => {
    const o = b.branches[i]!;
    if (!sameMatch(br.match, o.match))
      throw new Untranslatable(
        'has other conditions than the LUA record of the other family (one gslb name serves both)',
      );
    return { match: br.match, plan: mergePlan(br.plan, o.plan) };
  });
  const otherwise = a.otherwise && b.otherwise ? mergePlan(a.otherwise, b.otherwise) : null;
  return { qtype: a.qtype, branches, otherwise, notes: [...new Set([...a.notes, ...b.notes])] };
}

function checkName(parts: ZoneParts, check: CheckSpec): string {
  const key = JSON.stringify(check.spec);
  let name = parts.checkByKey.get(key);
  if (name === undefined) {
    name = check.hint;
    for (let n = 2; parts.checks.has(name); n++) name = `${check.hint}-${n}`;
    parts.checks.set(name, check.spec);
    parts.checkByKey.set(key, name);
  }
  return name;
}

function matchYaml(m: Match): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.cidrs.length > 0) out['cidrs'] = m.cidrs;
  if (m.asns.length > 0) out['asns'] = m.asns;
  if (m.countries.length > 0) out['countries'] = m.countries;
  if (m.continents.length > 0) out['continents'] = m.continents;
  return out;
}

const pick = (d: Record<string, unknown>) => ('location' in d ? { location: d['location'] } : {});

export interface NameOptions {
  readonly ttl: number;
  readonly cname: boolean;
  readonly geo: GeoData | null;
}

/** The name's entry for policy.yaml; adds its datacenters and check to the zone. */
export function namePolicy(
  r: TranslatedRecord,
  o: NameOptions,
  parts: ZoneParts,
  notes: string[],
): Record<string, unknown> {
  const plans = [...(r.otherwise ? [r.otherwise] : []), ...r.branches.map((b) => b.plan)];
  const first = plans[0]!;
  const maxAnswers = Math.max(...plans.map((p) => p.maxAnswers));
  for (const p of plans) {
    if ((!answersAll(p) && p.maxAnswers !== maxAnswers) || p.fallback !== first.fallback)
      throw new Untranslatable(
        'its conditions answer different numbers of addresses, or fall back differently: a gslb name has one max_answers and fallback',
      );
    if (JSON.stringify(p.check?.spec ?? null) !== JSON.stringify(first.check?.spec ?? null))
      throw new Untranslatable(
        'its conditions check health differently (or some not at all): a gslb name has one check',
      );
  }
  let policy: string;
  if (r.branches.length === 0) policy = first.policy === 'tiers' ? 'geo' : first.policy;
  else {
    const bad = plans.find((p) => p.policy === 'weighted' || p.policy === 'nearest');
    if (bad)
      throw new Untranslatable(
        `a ${bad.policy === 'weighted' ? 'random' : 'closest'} pick under a condition: gslb's ${bad.policy} policy does not follow regions`,
      );
    policy = 'geo';
  }
  const pools = new Map<
    string,
    { entries: string[]; probes: string[]; weights: number[]; weight: number; granularity: string }
  >();
  for (const p of plans)
    for (const tier of p.order)
      for (const s of tier) {
        const had = pools.get(s.dc);
        if (had && (had.entries.join(' ') !== s.entries.join(' ') || had.weights.join() !== weightsOf(s).join()))
          throw new Untranslatable(
            `two different groups would both be datacenter ${s.dc}: give them distinct first addresses`,
          );
        pools.set(s.dc, {
          entries: [...s.entries],
          probes: probesOf(s),
          weights: weightsOf(s),
          weight: s.weight,
          granularity: p.granularity,
        });
      }
  const datacenters = new Map<string, Record<string, unknown>>();
  for (const [dc, p] of pools) datacenters.set(dc, { description: `from PowerDNS: ${p.entries.join(' ')}` });
  if (policy === 'nearest') {
    if (!o.geo)
      throw new Untranslatable(
        "pickclosest needs the addresses' locations: run gslb import with --geoip FILE (the database PowerDNS's geoip backend reads)",
      );
    for (const [dc, pool] of pools) {
      const ip = parseIp(pool.entries[0]!)!;
      const loc = locate(o.geo, ip.family, ip.bytes).location;
      const lat = loc?.lat ?? null;
      const lon = loc?.lon ?? null;
      if (lat === null || lon === null)
        notes.push(`${pool.entries[0]} has no location in the GeoIP database: placed at 0,0 as PowerDNS does`);
      datacenters.get(dc)!['location'] = { lat: lat ?? 0, lon: lon ?? 0 };
    }
  }
  // Only now that nothing can fail. Names whose groups hold the same addresses share a datacenter (a
  // drain takes those addresses out everywhere); another group whose name is taken gets a suffix.
  const rename = new Map<string, string>();
  for (const [dc, pool] of pools) {
    const members = pool.entries.join(' ');
    let name = dc;
    for (let n = 2; parts.members.has(name) && parts.members.get(name) !== members; n++) name = `${dc}-${n}`;
    rename.set(dc, name);
    parts.members.set(name, members);
    const d = datacenters.get(dc)!;
    parts.datacenters.set(name, { ...d, ...parts.datacenters.get(name), ...pick(d) });
  }
  const dcOf = (dc: string) => rename.get(dc) ?? dc;
  const tierItem = (tier: readonly Slot[]): string | Record<string, number> =>
    tier.length === 1 ? dcOf(tier[0]!.dc) : Object.fromEntries(tier.map((s) => [dcOf(s.dc), s.weight]));
  // weighted and hashed weigh datacenters by their endpoints' weights; tiers carry theirs in the region.
  const endpointWeights = policy === 'weighted' || policy === 'hashed';
  const entry: Record<string, unknown> = { policy, ttl: o.ttl };
  if (!o.cname) entry['max_answers'] = maxAnswers;
  if (first.check) entry['check'] = checkName(parts, first.check);
  if (first.fallback) entry['fallback'] = first.fallback;
  const regions: Record<string, unknown> = {};
  r.branches.forEach((b, i) => {
    regions[`condition-${i + 1}`] = { match: matchYaml(b.match), datacenters: b.plan.order.map(tierItem) };
  });
  if (r.otherwise && (r.branches.length > 0 || r.otherwise.policy === 'tiers'))
    regions['default'] = { datacenters: r.otherwise.order.map(tierItem) };
  if (Object.keys(regions).length > 0) entry['regions'] = regions;
  entry['pools'] = Object.fromEntries(
    [...pools].map(([dc, p]) => [
      dcOf(dc),
      p.entries.map((e, i) => {
        const endpoint: Record<string, unknown> = { [o.cname ? 'cname' : 'address']: e };
        const weight = endpointWeights ? p.weight : p.weights[i]!;
        if (weight !== 1) endpoint['weight'] = weight;
        if (p.probes[i]) endpoint['probe'] = p.probes[i];
        return Object.keys(endpoint).length === 1 && !o.cname ? e : endpoint;
      }),
    ]),
  );
  return entry;
}
