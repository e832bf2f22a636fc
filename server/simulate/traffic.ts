// `gslb simulate`'s model: each client subnet asks each name once, as a traced query carrying it in
// EDNS Client Subnet through the same pipeline serve runs (the same classify, trie, plan and pick), and
// its weight lands where the decision that query was served goes, once as things are (every endpoint
// up, or with --redis the live state) and once with the --down ones down. A weighted name's share is
// the served plan's weights, not one draw.
import type { HealthView } from '../../health/view.js';
import { QTYPE } from '../../zones/dns.js';
import { nameToText } from '../../zones/name.js';
import { LOAD_POLICIES, type LbName, type PolicyName } from '../../zones/policy-types.js';
import type { Catalog, CompiledZone } from '../catalog.js';
import { askTraced } from '../explain/query-bytes.js';
import type { LbAnswerer } from '../gslb/answerer.js';
import { HASH_PREFIX } from '../gslb/pick.js';
import { silentLogger } from '../log.js';
import { anyFamily, createPipeline, type Pipeline } from '../pipeline.js';
import type { Client } from './clients.js';
import { settledSteering, type ShedShare } from './steering.js';

export interface SimName {
  /** Fully qualified, with the trailing dot. */
  readonly name: string;
  readonly zone: CompiledZone;
  readonly lb: LbAnswerer;
}

/** Every load-balanced name of every zone, zone by zone in file order. */
export function loadBalancedNames(catalog: Catalog): SimName[] {
  const out: SimName[] = [];
  for (const zone of catalog.zones.values())
    for (const key of zone.zone.policy.names.keys()) {
      const lb = zone.nodes.get(key)?.lb;
      if (lb) out.push({ name: nameToText(lb.name.owner.wire), zone, lb });
    }
  return out;
}

/** Whether text names n: relative to its zone (`www`, `@`) or fully qualified (trailing dot optional). */
export function nameMatches(n: SimName, text: string): boolean {
  const t = text.toLowerCase();
  return t === n.lb.name.label.toLowerCase() || (t.endsWith('.') ? t : t + '.') === n.name.toLowerCase();
}

/**
 * Where traffic goes: `served` by a datacenter; `fallback`: answered with a datacenter's endpoints
 * although every candidate is down (fallback all or first); `nodata` / `servfail`: no datacenter.
 */
export type Destination = 'served' | 'fallback' | 'nodata' | 'servfail';

export interface Share {
  readonly datacenter: string | null;
  readonly to: Destination;
  readonly share: number;
}

/** Where one client's queries for a name go, as shares summing to 1: what the traced query was served. */
export function clientShares(n: SimName, client: Client, s: Scenario): Share[] {
  const { lb } = n;
  const qtype = anyFamily(lb.name) === 4 ? QTYPE.A : QTYPE.AAAA;
  const t = askTraced(s.pipeline, lb.name.owner.wire, qtype, client).trace.lb;
  if (t === null || t.answerer !== lb) throw new Error(`${n.name} was not answered by its own decision`);
  const d = t.decision;
  if (d.chosen === null) return [{ datacenter: null, to: d.outcome === 'servfail' ? 'servfail' : 'nodata', share: 1 }];
  if (d.outcome === 'fallback') return [{ datacenter: d.chosen, to: 'fallback', share: 1 }];
  // A region tier's split hashes each /24 (/56): a wider subnet holds many, shared by the tier's weights.
  const wide = t.plan.tierSplit === true && client.prefix < HASH_PREFIX[client.family];
  if (t.plan.pick !== 'weighted' && !wide) return [{ datacenter: d.chosen, to: 'served', share: 1 }];
  // A weighted plan draws each query among its options by weight: the expected shares.
  const { options, weights } = t.plan;
  const total = weights.reduce((a, b) => a + b, 0);
  return options.flatMap((o, i) =>
    weights[i]! > 0 ? [{ datacenter: o.datacenter, to: 'served' as const, share: weights[i]! / total }] : [],
  );
}

/**
 * What the health a name is simulated with shows of its policy: without live figures (no --redis),
 * that load-aware policies and shed load have none; with them, each share the name sheds now.
 */
export function policyNotes(name: LbName, live: Scenario | null): string[] {
  const notes: string[] = [];
  if (live === null) {
    if (LOAD_POLICIES.has(name.policy))
      notes.push(`${name.policy} has no live load figures offline: the plain order decides (first healthy datacenter)`);
    if (name.shed) notes.push('shed load is not simulated: it needs live utilisation');
    return notes;
  }
  if (!name.shed) return notes;
  const mine = live.shed.filter((x) => x.name === nameToText(name.owner.wire));
  if (mine.length === 0) notes.push('shed load: no datacenter sheds at the live figures');
  for (const x of mine)
    notes.push(
      `shed load: ${x.datacenter} gives away ${Math.round(x.share * 1000) / 10}% of its clients` +
        (x.utilisation === null ? '' : ` (utilisation ${(x.utilisation * 100).toFixed(1)}%)`),
    );
  return notes;
}

export interface Scenario {
  /** The datacenters down in this scenario (none: "now"). */
  readonly down: readonly string[];
  readonly health: HealthView;
  /** The shares shed under this health (the node's steering, settled: steering.ts). */
  readonly shed: readonly ShedShare[];
  /** The pipeline the scenario's queries are asked through: the catalog with this health and steering. */
  readonly pipeline: Pipeline;
}

/**
 * The scenarios over one catalog. Its answerers cache plans per health epoch, so each scenario's
 * view must have its own epochs (healthWithDown's views do: every drain is a change).
 */
export function scenariosOf(
  catalog: Catalog,
  views: ReadonlyArray<{ readonly down: readonly string[]; readonly health: HealthView }>,
  now: number = Date.now(),
): Scenario[] {
  const epochs = new Set(views.map((v) => `${v.health.epoch}/${v.health.stateEpoch}`));
  if (epochs.size !== views.length) throw new Error('simulated health views share an epoch');
  return views.map(({ down, health }) => {
    const steering = settledSteering(catalog, health, now);
    return {
      down,
      health,
      shed: steering.shed,
      pipeline: createPipeline(() => catalog, {
        nsid: null,
        chaos: { identity: 'simulate', version: null },
        log: silentLogger,
        health: () => health,
        steering: () => steering.state,
        rng: () => 0, // a weighted draw is replaced by the plan's expected shares
      }),
    };
  });
}

export interface Row {
  readonly datacenter: string | null;
  readonly to: Destination;
  /** Weight per scenario. */
  readonly weights: number[];
}

export interface NameResult {
  readonly name: SimName;
  readonly policy: PolicyName;
  readonly family: 4 | 6;
  readonly clients: number;
  readonly notes: readonly string[];
  /** The name's pools in order (even those that get nothing), then fallback and no-answer rows. */
  readonly rows: readonly Row[];
  readonly totals: readonly number[];
}

function rowKey(datacenter: string | null, to: Destination): string {
  return `${datacenter ?? ''}|${to}`;
}

/**
 * One name's traffic under each scenario, from the clients that apply to it; `live` is true when the
 * scenarios' health is the live state (the first scenario's shed shares go in the notes).
 */
export function simulateName(
  n: SimName,
  clients: readonly Client[],
  scenarios: readonly Scenario[],
  live = false,
): NameResult {
  const rows = new Map<string, Row>();
  const row = (datacenter: string | null, to: Destination): Row => {
    const key = rowKey(datacenter, to);
    let r = rows.get(key);
    if (!r) {
      r = { datacenter, to, weights: scenarios.map(() => 0) };
      rows.set(key, r);
    }
    return r;
  };
  for (const p of n.lb.name.pools) row(p.datacenter, 'served');
  const mine = clients.filter((c) => c.name === null || nameMatches(n, c.name));
  const totals = scenarios.map(() => 0);
  scenarios.forEach((s, i) => {
    for (const c of mine) {
      for (const sh of clientShares(n, c, s)) row(sh.datacenter, sh.to).weights[i]! += c.weight * sh.share;
      totals[i]! += c.weight;
    }
  });
  return {
    name: n,
    policy: n.lb.name.policy,
    family: anyFamily(n.lb.name),
    clients: mine.length,
    notes: policyNotes(n.lb.name, live ? scenarios[0]! : null),
    rows: [...rows.values()],
    totals,
  };
}

export interface TotalRow extends Row {
  /** The datacenter's capacity (served rows), null when not stated. */
  readonly capacity: number | null;
}

export interface Totals {
  readonly rows: readonly TotalRow[];
  readonly totals: readonly number[];
  readonly notes: readonly string[];
}

/**
 * Every simulated name summed per datacenter, with its capacity; zones that state different
 * capacities for one datacenter name get the smallest (the cautious reading), said in a note.
 */
export function sumNames(results: readonly NameResult[], scenarioCount: number): Totals {
  const capacities = new Map<string, Set<number>>();
  for (const r of results)
    for (const dc of r.name.zone.zone.policy.datacenters.values())
      if (dc.capacity !== null) capacities.set(dc.name, (capacities.get(dc.name) ?? new Set()).add(dc.capacity));
  const rows = new Map<string, TotalRow>();
  const totals = new Array<number>(scenarioCount).fill(0);
  for (const r of results) {
    r.totals.forEach((t, i) => (totals[i]! += t));
    for (const x of r.rows) {
      const key = rowKey(x.datacenter, x.to);
      let t = rows.get(key);
      if (!t) {
        const caps = x.to === 'served' && x.datacenter !== null ? capacities.get(x.datacenter) : undefined;
        t = {
          datacenter: x.datacenter,
          to: x.to,
          weights: totals.map(() => 0),
          capacity: caps ? Math.min(...caps) : null,
        };
        rows.set(key, t);
      }
      x.weights.forEach((w, i) => (t.weights[i]! += w));
    }
  }
  const notes = [...capacities]
    .filter(([, caps]) => caps.size > 1)
    .map(([dc, caps]) => `zones state different capacities for ${dc} (${[...caps].join(', ')}): the smallest is used`);
  // Datacenters first (in order of appearance), then the rows of traffic no datacenter serves normally.
  const sorted = [...rows.values()].sort((a, b) => Number(a.to !== 'served') - Number(b.to !== 'served'));
  return { rows: sorted, totals, notes };
}

/** Load over capacity (1 = full), or null without a capacity. */
export function utilisation(row: TotalRow, scenario: number): number | null {
  return row.capacity === null ? null : row.weights[scenario]! / row.capacity;
}
