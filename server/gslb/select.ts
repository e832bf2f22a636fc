// Selection building blocks shared by the decision (explain) and the hot path: healthy endpoints,
// candidate order per client class, weighted and rendezvous picks, smooth weighted rotation.
import type { HealthView, TargetHealth } from '../../health/view.js';
import { NO_CHECK, loadKey, targetKey } from '../../health/view.js';
import type { Check, Endpoint, LbName, LoadSource, Region, TierSplit } from '../../zones/policy-types.js';
import { fnv1a } from '../../zones/hash.js';
import type { ClientClass } from './classify.js';

export interface EndpointState {
  readonly endpoint: Endpoint;
  /** What steers: every check of the name (and passive health) together. */
  readonly health: TargetHealth;
  readonly drained: boolean;
  readonly usable: boolean;
  /** The name's monitor checks on this endpoint: shown (explain), never part of health or usable. */
  readonly monitors: readonly MonitorState[];
}

/** A monitor check's verdict on one endpoint. */
export interface MonitorState {
  readonly check: string;
  readonly health: TargetHealth;
}

const NO_MONITORS: readonly MonitorState[] = Object.freeze([]);

/**
 * An endpoint's health under every one of the name's checks (`check: [web, tls]`): up only while all
 * pass; when one fails, its reason, named (`tls: connection refused`); round-trip times from the first
 * check (what lowest-latency ranks by); changed when any of them last changed.
 */
function allOf(checks: readonly Check[], ep: Endpoint, health: HealthView): TargetHealth {
  if (checks.length === 0) return NO_CHECK;
  const first = health.target(targetKey(checks[0]!, ep));
  if (checks.length === 1) return first;
  let failed: TargetHealth | null = first.up ? null : first;
  let failedName = checks[0]!.name;
  let since = first.since;
  for (let i = 1; i < checks.length; i++) {
    const h = health.target(targetKey(checks[i]!, ep));
    if (h.since > since) since = h.since;
    if (failed === null && !h.up) {
      failed = h;
      failedName = checks[i]!.name;
    }
  }
  if (failed === null && since === first.since) return first;
  return {
    ...first,
    up: failed === null,
    reason: failed === null ? first.reason : `${failedName}: ${failed.reason}`,
    since,
  };
}

/** The checks a list names, in its order (a name the policy lacks is skipped: the loader rejects it). */
function resolve(names: readonly string[], checks: ReadonlyMap<string, Check>): readonly Check[] {
  const out: Check[] = [];
  for (const n of names) {
    const c = checks.get(n);
    if (c) out.push(c);
  }
  return out;
}

/**
 * An endpoint's health from its check and its load source together: up only when both say so (passive
 * health can take it down), round-trip time from the check, load figures from the load source.
 */
function merged(check: TargetHealth, load: TargetHealth): TargetHealth {
  return {
    up: check.up && load.up,
    rttMs: check.rttMs,
    rttByDatacenter: check.rttByDatacenter,
    connections: load.connections,
    capacity: load.capacity,
    bandwidthBps: load.bandwidthBps,
    errorRate: load.errorRate,
    reason: !load.up ? load.reason : check.reason,
    since: Math.max(check.since, load.since),
  };
}

/** Endpoints of one family (or both, family 0) in a datacenter, with their health. */
export function endpointStates(
  name: LbName,
  dc: string,
  family: 4 | 6 | 0,
  health: HealthView,
  checks: ReadonlyMap<string, Check>,
  loads?: ReadonlyMap<string, LoadSource>,
): EndpointState[] {
  const pool = name.pools.find((p) => p.datacenter === dc);
  if (!pool) return [];
  const steering = resolve(name.checks, checks);
  const monitor = name.monitor.length > 0 ? resolve(name.monitor, checks) : null;
  const load = name.load ? loads?.get(name.load) : undefined;
  const out: EndpointState[] = [];
  for (const ep of pool.endpoints) {
    // A CNAME endpoint (family 0) answers every family.
    if (family !== 0 && ep.family !== family && ep.family !== 0) continue;
    let h = allOf(steering, ep, health);
    if (load) h = merged(h, health.target(loadKey(load, ep)));
    const drained = health.isDrained(dc, ep.address);
    const monitors = monitor
      ? monitor.map((c): MonitorState => ({ check: c.name, health: health.target(targetKey(c, ep)) }))
      : NO_MONITORS;
    out.push({ endpoint: ep, health: h, drained, usable: h.up && !drained && ep.weight > 0, monitors });
  }
  return out;
}

/** A datacenter's load: its usable endpoints' figures summed (RTT: the lowest). */
export interface DatacenterLoad {
  readonly connections: number | null;
  readonly capacity: number | null;
  /** connections / capacity, over the endpoints that give both. */
  readonly utilisation: number | null;
  readonly bandwidthBps: number | null;
  readonly rttMs: number | null;
}

export function datacenterLoad(usable: readonly EndpointState[]): DatacenterLoad {
  let connections: number | null = null;
  let bandwidth: number | null = null;
  let rtt: number | null = null;
  let capacity: number | null = null;
  let used = 0;
  let cap = 0;
  for (const s of usable) {
    const h = s.health;
    if (h.connections !== null) connections = (connections ?? 0) + h.connections;
    if (h.bandwidthBps !== null) bandwidth = (bandwidth ?? 0) + h.bandwidthBps;
    if (h.rttMs !== null) rtt = rtt === null ? h.rttMs : Math.min(rtt, h.rttMs);
    if (h.capacity !== null) capacity = (capacity ?? 0) + h.capacity;
    if (h.connections !== null && h.capacity !== null && h.capacity > 0) {
      used += h.connections;
      cap += h.capacity;
    }
  }
  return { connections, capacity, utilisation: cap > 0 ? used / cap : null, bandwidthBps: bandwidth, rttMs: rtt };
}

/** A client's datacenter order for a name, why, and the tiers of it that split clients by weight. */
export interface CandidateOrder {
  readonly order: string[];
  readonly why: string;
  /** The region's map tiers restricted to the name's pools, those with two datacenters or more left. */
  readonly splits: readonly TierSplit[];
}

const NO_SPLITS: readonly TierSplit[] = Object.freeze([]);

/** A region's split tiers as far as the name has pools for them (a tier of one is a plain datacenter). */
function splitsIn(region: Region, pools: readonly string[]): readonly TierSplit[] {
  if (region.splits.length === 0) return NO_SPLITS;
  const out: TierSplit[] = [];
  for (const s of region.splits) {
    const keep = s.datacenters.map((d, i) => i).filter((i) => pools.includes(s.datacenters[i]!));
    if (keep.length >= 2)
      out.push({ datacenters: keep.map((i) => s.datacenters[i]!), weights: keep.map((i) => s.weights[i]!) });
  }
  return out.length > 0 ? out : NO_SPLITS;
}

/**
 * The client's datacenter order for a name: the region's (or nearest) order restricted to the name's
 * pools, then the name's other pools in pool order as a last resort, so a healthy datacenter is never
 * passed over for a dead one just because the region's list did not mention it.
 */
export function candidateOrder(name: LbName, cls: ClientClass | null): CandidateOrder {
  const pools = name.pools.map((p) => p.datacenter);
  const withRest = (first: string[]) => [...first, ...pools.filter((d) => !first.includes(d))];
  if (cls?.nearest)
    return {
      order: withRest(cls.nearest.filter((d) => pools.includes(d))),
      why: 'datacenters by distance',
      splits: NO_SPLITS,
    };
  if (cls?.region) {
    const listed = cls.region.datacenters.filter((d) => pools.includes(d));
    if (listed.length === 0)
      return {
        order: pools,
        why: `region '${cls.region.name}' lists none of the name's pools: pool order`,
        splits: NO_SPLITS,
      };
    const extra = listed.length < pools.length ? ', then the other pools' : '';
    return {
      order: withRest(listed),
      why: `region '${cls.region.name}' order${extra}`,
      splits: splitsIn(cls.region, pools),
    };
  }
  return { order: pools, why: 'pool order', splits: NO_SPLITS };
}

/** What tells two classes' plans apart: the order, and its split tiers with their weights. */
export function orderKey(o: CandidateOrder): string {
  let key = o.order.join(',');
  for (const s of o.splits) key += `|${s.datacenters.map((d, i) => `${d}=${s.weights[i]}`).join(',')}`;
  return key;
}

/** Weighted rendezvous score: the highest wins; a datacenter leaving moves only its own clients. */
export function rendezvousScore(subnet: Uint8Array, subnetBytes: number, key: string, weight: number): number {
  const u = (fnv1a(subnet, subnetBytes, key) + 0.5) / 4294967296;
  return -weight / Math.log(u);
}

/** Picks an index with probability proportional to weights (all >= 0, some > 0). */
export function weightedPick(weights: readonly number[], rng: () => number): number {
  let total = 0;
  for (const w of weights) total += w;
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Round-robin schedule over endpoints, smooth-weighted (nginx's algorithm) so an endpoint of weight 3
 * leads three times as often as one of weight 1; at most maxSlots slots. Each slot is an answer order.
 */
export function rotationSchedule<T>(
  items: readonly T[],
  weights: readonly number[],
  maxAnswers: number,
  maxSlots = 64,
): T[][] {
  if (items.length === 0) return [];
  const total = weights.reduce((a, b) => a + b, 0);
  const equal = weights.every((w) => w === weights[0]);
  const slots = equal ? items.length : Math.min(maxSlots, Math.max(items.length, Math.round(total)));
  const current = weights.map(() => 0);
  const out: T[][] = [];
  for (let s = 0; s < slots; s++) {
    let lead = 0;
    if (equal) lead = s;
    else {
      for (let i = 0; i < items.length; i++) current[i]! += weights[i]!;
      for (let i = 1; i < items.length; i++) if (current[i]! > current[lead]!) lead = i;
      current[lead]! -= total;
    }
    const order: T[] = [];
    for (let k = 0; k < items.length && order.length < maxAnswers; k++) order.push(items[(lead + k) % items.length]!);
    out.push(order);
  }
  return out;
}
