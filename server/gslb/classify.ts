// Client classes: the GeoIP location trie compiled per region map (or per nearest-datacenter
// geometry) into a small trie of class ids, so a query costs one tree walk and the leaf depth is the
// widest ECS scope over which the class is the same (gdnsd-style).
import { type GeoData } from '../../geo/geoip.js';
import type { GeoLocation } from '../../geo/location.js';
import {
  TrieHit,
  lookupV4,
  lookupV6,
  mapTrie,
  withV4Jump,
  type PrefixOverride,
  type PrefixTrie,
} from '../../geo/trie.js';
import type { Datacenter, LbName, Region, RegionMap } from '../../zones/policy-types.js';
import { biasedKm, greatCircleKm } from './distance.js';
import { indexRegions, matchLocation, type RegionIndex } from './regions.js';

export interface ClientClass {
  /** geo-like policies: the region matched (null: no default region, use pool order). */
  readonly region: Region | null;
  /** nearest: datacenters by biased distance; null for geo-like classes. */
  readonly nearest: readonly string[] | null;
}

export interface Classifier {
  readonly kind: 'regions' | 'nearest';
  readonly trie: PrefixTrie;
  readonly classes: readonly ClientClass[];
  readonly regions: RegionIndex;
}

/** Policies whose order comes from the client's region. */
export const REGION_POLICIES = new Set([
  'geo',
  'least-loaded',
  'least-bandwidth',
  'lowest-latency',
  'least-response-time',
]);

function regionClassifier(geo: GeoData, map: RegionMap): Classifier {
  const ix = indexRegions(map);
  const regions = [...map.values()];
  const classes: ClientClass[] = regions.map((region) => ({ region, nearest: null }));
  const noRegion = classes.length;
  classes.push({ region: null, nearest: null });
  const classOfRegion = (r: Region | null) => (r ? regions.indexOf(r) : noRegion);
  const byLocation = geo.locations.map((loc) => classOfRegion(matchLocation(ix, loc).region));
  const overrides: PrefixOverride[] = [];
  regions.forEach((r, i) => {
    for (const c of r.match?.cidrs ?? [])
      overrides.push({ family: c.family, bytes: c.bytes, prefix: c.prefix, value: i });
  });
  const trie = mapTrie(geo.trie, (id) => byLocation[id] ?? noRegion, overrides);
  return { kind: 'regions', trie: withV4Jump(trie), classes, regions: ix };
}

/** Datacenters ordered by biased great-circle distance from a location; ties keep pool order. */
export function nearestOrder(loc: GeoLocation | null, dcs: readonly Datacenter[]): string[] | null {
  if (!loc || loc.lat === null || loc.lon === null) return null;
  const here = { lat: loc.lat, lon: loc.lon };
  return dcs
    .map((dc, i) => ({ dc, i, km: biasedKm(greatCircleKm(here, dc.location!), dc.bias) }))
    .sort((a, b) => a.km - b.km || a.i - b.i)
    .map((x) => x.dc.name);
}

function nearestClassifier(geo: GeoData, dcs: readonly Datacenter[], map: RegionMap): Classifier {
  const ix = indexRegions(map);
  const classes: ClientClass[] = [];
  const ids = new Map<string, number>();
  const intern = (order: string[] | null): number => {
    const key = order ? order.join(',') : '';
    let id = ids.get(key);
    if (id === undefined) {
      id = classes.length;
      classes.push({ region: order ? null : ix.fallback, nearest: order });
      ids.set(key, id);
    }
    return id;
  };
  const byLocation = geo.locations.map((loc) => intern(nearestOrder(loc, dcs)));
  const trie = mapTrie(geo.trie, (id) => byLocation[id] ?? intern(null));
  return { kind: 'nearest', trie: withV4Jump(trie), classes, regions: ix };
}

/**
 * The class id of a client address (4 or 16 bytes, IPv4-mapped already unmapped): what the pipeline
 * finds for the same address in EDNS Client Subnet; 0 without a classifier. `hit` (caller-owned) gets
 * the id and its trie depth: the widest prefix over which the class is the same (0 without a classifier).
 */
export function classifyAddress(
  classifier: Classifier | null,
  family: 4 | 6,
  bytes: Uint8Array,
  hit?: TrieHit,
): number {
  if (classifier === null) {
    if (hit !== undefined) hit.value = hit.depth = 0;
    return 0;
  }
  if (family === 6) return lookupV6(classifier.trie, bytes, hit);
  const v4 = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return lookupV4(classifier.trie, v4, hit);
}

/** The class id and its trie depth of a client address (see classifyAddress); for explain and tests. */
export function classifyWithDepth(
  classifier: Classifier | null,
  family: 4 | 6,
  bytes: Uint8Array,
): { id: number; depth: number } {
  const hit = new TrieHit();
  const id = classifyAddress(classifier, family, bytes, hit);
  return { id, depth: hit.depth };
}

/** Builds classifiers for names, sharing one per distinct region map or nearest geometry. */
export class ClassifierCache {
  private readonly cache = new Map<string | RegionMap, Classifier>();
  constructor(private readonly geo: GeoData) {}

  forName(name: LbName, zoneRegions: RegionMap, datacenters: ReadonlyMap<string, Datacenter>): Classifier | null {
    const map = name.regions ?? zoneRegions;
    if (REGION_POLICIES.has(name.policy)) {
      let c = this.cache.get(map);
      if (!c) {
        c = regionClassifier(this.geo, map);
        this.cache.set(map, c);
      }
      return c;
    }
    if (name.policy === 'nearest') {
      const dcs = name.pools.map((p) => datacenters.get(p.datacenter)!);
      const key =
        'nearest|' +
        dcs.map((d) => `${d.name}@${d.location!.lat},${d.location!.lon},${d.bias}`).join(';') +
        '|' +
        [...map.keys()].join(',');
      let c = this.cache.get(key);
      if (!c) {
        c = nearestClassifier(this.geo, dcs, map);
        this.cache.set(key, c);
      }
      return c;
    }
    return null;
  }
}
