// Where traffic goes, per load-balanced name: the datacenter each group of clients gets now (the
// serving answerer's own decision for a typical client of each region), the split of the per-query
// policies, and the answers of the last minute by datacenter. GET /api/traffic and the status page.
import type { HealthView } from '../health/view.js';
import type { PolicyName } from '../zones/policy-types.js';
import type { Catalog } from './catalog.js';
import { splitDecisionKey, type DecisionTally, type RecentDecisions } from './decisions.js';
import type { LbAnswerer } from './gslb/answerer.js';
import type { Decision, Outcome } from './gslb/decide.js';
import { NO_STEERING, type SteeringView } from './gslb/steering-types.js';
import { anyFamily } from './pipeline.js';
import { loadBalancedNames, type SimName } from './simulate/traffic.js';

/** At most this many names are shown: all of them when there are no more, else the busiest of the last minute. */
export const MAX_TRAFFIC_NAMES = 50;

export interface RouteAnswer {
  /** null when no datacenter answers (nodata, servfail). */
  readonly datacenter: string | null;
  readonly outcome: Outcome;
  /** Shed load: this share of the group's clients (by subnet hash) goes to `to` instead. */
  readonly shed: { readonly to: string; readonly share: number } | null;
  /**
   * A region tier's split in effect: each member's share of the group's client subnets (`datacenter`
   * is the member with the largest). Absent when no split decides the group's answer.
   */
  readonly split?: ReadonlyArray<{ readonly datacenter: string; readonly share: number }>;
}

/** A group of clients and what they get now. */
export interface Route {
  /** A region's name; for nearest, "closest to DC"; "everyone" for policies that do not look at the client. */
  readonly clients: string;
  readonly kind: 'region' | 'no-region' | 'nearest' | 'unknown-location' | 'everyone';
  /** One answer, except for a nearest group whose clients' second choices differ while their closest is down. */
  readonly answers: readonly RouteAnswer[];
}

export interface SplitShare {
  readonly datacenter: string;
  /** Share of the configured weight (the sum of the pool's endpoint weights). */
  readonly configured: number;
  /** Share among the datacenters with a usable endpoint now (0 for the others). */
  readonly now: number;
}

export interface DatacenterCount {
  /** "" for answers without a datacenter (nodata, servfail). */
  readonly datacenter: string;
  readonly count: number;
  readonly share: number;
  readonly outcomes: Partial<Record<Outcome, number>>;
}

export interface NameTraffic {
  readonly name: string;
  readonly zone: string;
  readonly policy: PolicyName;
  /** The address family `routes` and `split` are for: 4 (A) when the name has IPv4 endpoints, else 6. */
  readonly family: 4 | 6;
  /** The name's datacenters in pool order. */
  readonly datacenters: readonly string[];
  readonly routes: readonly Route[];
  /** weighted and hashed: how the datacenters share the clients (per query, or per client /24 or /56). */
  readonly split: readonly SplitShare[] | null;
  readonly lastMinute: { readonly total: number; readonly datacenters: readonly DatacenterCount[] };
}

export interface Traffic {
  /** The time the last-minute counts cover: 55 to 60 s (5-second buckets), less for a younger node. */
  readonly windowSeconds: number;
  readonly totalNames: number;
  readonly names: readonly NameTraffic[];
  /** Answers since start by datacenter and outcome, summed over every name. */
  readonly sinceStart: ReadonlyArray<{ datacenter: string; total: number; outcomes: Partial<Record<Outcome, number>> }>;
}

export interface TrafficSource {
  readonly catalog: Catalog;
  readonly decisions: DecisionTally;
  readonly health: { view(): HealthView };
  /** The node's steering state (margin choices, shed shares) answers are made with; none without it. */
  readonly steeringState?: SteeringView;
}

/** A catalog's load-balanced names in policy file order, listed once per catalog. */
const listings = new WeakMap<Catalog, readonly SimName[]>();

function listing(catalog: Catalog): readonly SimName[] {
  let names = listings.get(catalog);
  if (!names) listings.set(catalog, (names = loadBalancedNames(catalog)));
  return names;
}

/** The names to show: every one when there are at most `max`, else the busiest of the last minute first. */
function chosen(names: readonly SimName[], recent: RecentDecisions, max: number): SimName[] {
  if (names.length <= max) return [...names];
  const rank = new Map(busiest(recent.totals(), max).map((name, i) => [name, i]));
  // One pass over the names: the busiest in their order (a name a reload removed is not listed), then the rest.
  const busy: SimName[] = [];
  const rest: SimName[] = [];
  for (const x of names) {
    const i = rank.get(x.name);
    if (i !== undefined) busy[i] = x;
    else if (rest.length < max) rest.push(x);
  }
  return [...busy.filter((x) => x !== undefined), ...rest].slice(0, max);
}

/** The `max` names with the most answers, most first (ties by name): no sort of every answered name. */
function busiest(totals: ReadonlyMap<string, number>, max: number): string[] {
  const top: Array<[string, number]> = [];
  const before = (a: [string, number], b: [string, number]) => a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);
  for (const entry of totals) {
    if (top.length === max && !before(entry, top[max - 1]!)) continue;
    let i = top.length;
    while (i > 0 && before(entry, top[i - 1]!)) i--;
    top.splice(i, 0, entry);
    if (top.length > max) top.pop();
  }
  return top.map(([name]) => name);
}

function answerOf(d: Decision): RouteAnswer {
  if (d.split) {
    // A split tier: the group's clients are shared by subnet hash; its datacenter is the largest share.
    const total = d.split.reduce((a, x) => a + x.weight, 0);
    const split = d.split.map((x) => ({ datacenter: x.datacenter, share: x.weight / total }));
    const main = split.reduce((a, b) => (b.share > a.share ? b : a));
    return { datacenter: main.datacenter, outcome: d.outcome, shed: null, split };
  }
  // The group's datacenter is the one decided for it; shed load moves only part of its clients.
  return d.shed
    ? { datacenter: d.shed.from, outcome: d.outcome, shed: { to: d.shed.to, share: d.shed.fraction } }
    : { datacenter: d.chosen, outcome: d.outcome, shed: null };
}

/** What each group of clients gets now, through the answerer's decision (as a query with ECS would). */
function routesOf(lb: LbAnswerer, family: 4 | 6, health: HealthView, steering: SteeringView): Route[] {
  const subnet = new Uint8Array(family === 4 ? 4 : 16);
  const decisionFor = (classId: number) =>
    answerOf(lb.decision(classId, family, subnet, health, steering, Date.now(), Math.random));
  const c = lb.classifier;
  if (c === null) return [{ clients: 'everyone', kind: 'everyone', answers: [decisionFor(0)] }];
  if (c.kind === 'regions') {
    const regions = [...c.regions.map.values()].sort(
      (a, b) => Number(a.name === 'default') - Number(b.name === 'default'),
    );
    const routes: Route[] = regions.map((r) => ({
      clients: r.name,
      kind: 'region',
      answers: [decisionFor(c.classes.findIndex((k) => k.region === r))],
    }));
    // Clients no region matches get the pool order when there is no default region.
    if (c.regions.fallback === null) {
      const none = c.classes.findIndex((k) => k.region === null);
      if (none >= 0) routes.push({ clients: '(no region)', kind: 'no-region', answers: [decisionFor(none)] });
    }
    return routes;
  }
  // nearest: one group per closest datacenter (in pool order), then clients of unknown location.
  const groups = new Map<string, Map<string, RouteAnswer>>();
  for (const p of lb.name.pools) groups.set(p.datacenter, new Map());
  let unknown: RouteAnswer | null = null;
  c.classes.forEach((k, id) => {
    const a = decisionFor(id);
    if (k.nearest === null) unknown = a;
    else groups.get(k.nearest[0]!)?.set(JSON.stringify(a), a);
  });
  const routes: Route[] = [];
  for (const [dc, answers] of groups)
    if (answers.size > 0) routes.push({ clients: `closest to ${dc}`, kind: 'nearest', answers: [...answers.values()] });
  if (unknown) routes.push({ clients: 'location unknown', kind: 'unknown-location', answers: [unknown] });
  return routes;
}

/**
 * weighted and hashed: each datacenter's share of the weight, as configured and among the usable now.
 * "now" is the answerer's own split of the current health epoch, the one it draws from.
 */
function splitOf(lb: LbAnswerer, family: 4 | 6, health: HealthView, steering: SteeringView): SplitShare[] {
  const serving = lb.servingWeights(family, health, steering, Date.now());
  const rows = lb.name.pools.map((p) => {
    let configured = 0;
    for (const e of p.endpoints) if (e.family === family) configured += e.weight;
    const i = serving.dcs.indexOf(p.datacenter);
    return { datacenter: p.datacenter, configured, usable: i < 0 ? 0 : serving.weights[i]! };
  });
  const all = rows.reduce((a, r) => a + r.configured, 0);
  const up = rows.reduce((a, r) => a + r.usable, 0);
  return rows.map((r) => ({
    datacenter: r.datacenter,
    configured: all > 0 ? r.configured / all : 0,
    now: up > 0 ? r.usable / up : 0,
  }));
}

/** Answers under one datacenter, by outcome. */
interface DatacenterRow {
  count: number;
  readonly outcomes: Partial<Record<Outcome, number>>;
}

/** Adds n answers under a decision key ("datacenter|outcome") to its datacenter's row. */
function addAnswers(rows: Map<string, DatacenterRow>, key: string, n: number): void {
  const { datacenter, outcome } = splitDecisionKey(key);
  let row = rows.get(datacenter);
  if (!row) rows.set(datacenter, (row = { count: 0, outcomes: {} }));
  row.count += n;
  const o = outcome as Outcome;
  row.outcomes[o] = (row.outcomes[o] ?? 0) + n;
}

function lastMinuteOf(datacenters: readonly string[], counts: ReadonlyMap<string, number>) {
  const rows = new Map<string, DatacenterRow>(datacenters.map((dc) => [dc, { count: 0, outcomes: {} }]));
  let total = 0;
  for (const [key, n] of counts) {
    addAnswers(rows, key, n);
    total += n;
  }
  return {
    total,
    datacenters: [...rows].map(([datacenter, r]) => ({
      datacenter,
      count: r.count,
      share: total > 0 ? r.count / total : 0,
      outcomes: r.outcomes,
    })),
  };
}

function nameTraffic(x: SimName, health: HealthView, steering: SteeringView, recent: RecentDecisions): NameTraffic {
  const name = x.lb.name;
  const family = anyFamily(name);
  const perQuery = name.policy === 'weighted' || name.policy === 'hashed';
  const split = perQuery ? splitOf(x.lb, family, health, steering) : null;
  // A per-query policy's answer depends on the draw or the client's subnet; only its all-down fallback is one answer.
  const routes = split && split.some((s) => s.now > 0) ? [] : routesOf(x.lb, family, health, steering);
  const datacenters = name.pools.map((p) => p.datacenter);
  return {
    name: x.name,
    zone: x.zone.name,
    policy: name.policy,
    family,
    datacenters,
    routes,
    split,
    lastMinute: lastMinuteOf(datacenters, recent.byKey(x.name)),
  };
}

/** The traffic picture now. */
export function traffic(source: TrafficSource, max = MAX_TRAFFIC_NAMES): Traffic {
  const recent = source.decisions.recent();
  const health = source.health.view();
  const all = listing(source.catalog);
  const steering = source.steeringState ?? NO_STEERING;
  const names = chosen(all, recent, max).map((x) => nameTraffic(x, health, steering, recent));
  const since = new Map<string, DatacenterRow>();
  for (const counts of recent.sinceStart.values()) for (const [key, n] of counts) addAnswers(since, key, n);
  return {
    windowSeconds: recent.seconds,
    totalNames: all.length,
    names,
    sinceStart: [...since]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([datacenter, r]) => ({ datacenter, total: r.count, outcomes: r.outcomes })),
  };
}
