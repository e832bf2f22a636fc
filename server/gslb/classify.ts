// Client classes: the GeoIP location trie compiled per region map (or per nearest-datacenter
// geometry) into a small trie of class ids, so a query costs one tree walk and the leaf depth is the
// widest ECS scope over which the class is the same (gdnsd-style). Regions that match ASNs have the
// ASN trie's classes laid over the location's, so the client's ASN costs no second walk. The same
// compile records why each client is in its class (the CIDR, ASN, subdivision, country or continent
// that matched, or the default), which explain reads off the classifier instead of matching again.
import { type GeoData } from '../../geo/geoip.js';
import type { GeoLocation } from '../../geo/location.js';
import {
  TrieHit,
  lookupV4,
  lookupV6,
  mapTrie,
  overlayTrie,
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
  /** Why a client is in its class, as the compile found it (for explain; never read on a query). */
  readonly reasons: ClassReasons;
}

/** A client as the query path resolved it: family, the IPv4 address as an integer, the address bytes. */
export interface ClassifiedClient {
  readonly family: 4 | 6;
  /** IPv4 as an unsigned 32-bit integer (family 4). */
  readonly v4: number;
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array;
}

/**
 * The one classify function: the client's class id, and in `hit` (caller-owned) the id and its trie
 * depth, the widest prefix over which the class is the same (0 and 0 without a classifier). The
 * pipeline calls it on every query for a load-balanced name; so does a traced query (explain, simulate).
 */
export function classify(classifier: Classifier | null, c: ClassifiedClient, hit: TrieHit): number {
  if (classifier === null) {
    hit.value = 0;
    hit.depth = 0;
    return 0;
  }
  return c.family === 4 ? lookupV4(classifier.trie, c.v4, hit) : lookupV6(classifier.trie, c.bytes, hit);
}

/** classify() for an address given as bytes (4 or 16, IPv4-mapped already unmapped); for tests. */
export function classifyWithDepth(
  classifier: Classifier | null,
  family: 4 | 6,
  bytes: Uint8Array,
): { id: number; depth: number } {
  const v4 = family === 4 ? ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0 : 0;
  const hit = new TrieHit();
  const id = classify(classifier, { family, v4, bytes }, hit);
  return { id, depth: hit.depth };
}

/** Policies whose order comes from the client's region. */
export const REGION_POLICIES = new Set([
  'geo',
  'least-loaded',
  'least-bandwidth',
  'lowest-latency',
  'least-response-time',
]);

/** Why a client is in its class: the class, and the match that put it there. */
export interface ClassReason {
  readonly classId: number;
  /** "cidr 100.64.0.0/16", "asn 64500", "subdivision US-WA", "country TR", "continent EU", "... default region", ... */
  readonly why: string;
}

/** Why clients are in their classes, read by address for the few queries that are explained. */
export interface ClassReasons {
  /** The reason for a client the classifier put in class `classId` (its address as bytes: 4 or 16). */
  of(classId: number, family: 4 | 6, bytes: Uint8Array): ClassReason;
}

/** A leaf value no class or reason has: "no region matches this ASN", under the location's class. */
const NO_ASN_REGION = 0x7ffffffe;

/**
 * A region map's trie of class (or reason) ids: the location's, the ASN regions' laid over it, the
 * CIDRs over both (cidrs > asns > subdivisions > countries > continents > default). Every step
 * collapses what became equal, so a leaf's depth stays the widest prefix with the same id: the ASN
 * database's network boundaries count only where an ASN region's id differs from the location's.
 */
function regionTrie(
  geo: GeoData,
  byLocation: (locationId: number) => number,
  byAsn: ((asnId: number) => number) | null,
  overrides: readonly PrefixOverride[],
): PrefixTrie {
  if (byAsn === null || geo.asn === null) return mapTrie(geo.trie, byLocation, overrides);
  const asnRegions = mapTrie(geo.asn.trie, byAsn);
  const both = overlayTrie(asnRegions, mapTrie(geo.trie, byLocation), NO_ASN_REGION);
  return overrides.length > 0 ? mapTrie(both, (id) => id, overrides) : both;
}

/**
 * Region classes carry one class per region, so clients matched by different reasons (a CIDR, an
 * ASN, a country, a continent) share a class and a trie leaf: the ECS scope stays the widest over
 * which the region is the same. Their reasons are interned beside them in the same pass, per (class,
 * why), and laid over the same tries with the same overrides on the first explain; a serving node
 * that never explains never builds that trie.
 */
class RegionReasons implements ClassReasons {
  private trie: PrefixTrie | null = null;
  constructor(
    private readonly list: readonly ClassReason[],
    private readonly build: () => PrefixTrie,
  ) {}

  of(_classId: number, family: 4 | 6, bytes: Uint8Array): ClassReason {
    const t = (this.trie ??= this.build());
    const id =
      family === 4
        ? lookupV4(t, ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0)
        : lookupV6(t, bytes);
    return this.list[id]!;
  }
}

function regionClassifier(geo: GeoData, map: RegionMap): Classifier {
  const ix = indexRegions(map);
  const regions = [...map.values()];
  const classes: ClientClass[] = regions.map((region) => ({ region, nearest: null }));
  const noRegion = classes.length;
  classes.push({ region: null, nearest: null });
  const classOfRegion = (r: Region | null) => (r ? regions.indexOf(r) : noRegion);
  const reasons: ClassReason[] = [];
  const reasonIds = new Map<string, number>();
  const reason = (classId: number, why: string): number => {
    const key = `${classId}|${why}`;
    let id = reasonIds.get(key);
    if (id === undefined) {
      id = reasons.length;
      reasons.push({ classId, why });
      reasonIds.set(key, id);
    }
    return id;
  };
  const byLocation = new Array<number>(geo.locations.length);
  const reasonByLocation = new Int32Array(geo.locations.length);
  geo.locations.forEach((loc, i) => {
    const m = matchLocation(ix, loc);
    const cls = classOfRegion(m.region);
    byLocation[i] = cls;
    reasonByLocation[i] = reason(cls, m.why);
  });
  // ASN ids of the databases to the class (and reason) of the region matching that ASN, if any.
  let byAsn: Int32Array | null = null;
  let reasonByAsn: Int32Array | null = null;
  if (geo.asn !== null && ix.byAsn.size > 0) {
    const asns = geo.asn.asns;
    byAsn = new Int32Array(asns.length).fill(NO_ASN_REGION);
    reasonByAsn = new Int32Array(asns.length).fill(NO_ASN_REGION);
    for (let id = 1; id < asns.length; id++) {
      const r = ix.byAsn.get(asns[id]!);
      if (r === undefined) continue;
      byAsn[id] = classOfRegion(r);
      reasonByAsn[id] = reason(byAsn[id]!, `asn ${asns[id]}`);
    }
  }
  const overrides: PrefixOverride[] = [];
  const reasonOverrides: PrefixOverride[] = [];
  regions.forEach((r, i) => {
    for (const c of r.match?.cidrs ?? []) {
      overrides.push({ family: c.family, bytes: c.bytes, prefix: c.prefix, value: i });
      reasonOverrides.push({ family: c.family, bytes: c.bytes, prefix: c.prefix, value: reason(i, `cidr ${c.text}`) });
    }
  });
  // A location id the table does not have (none in practice) falls to the class without a region.
  const unknown = reason(noRegion, "no location: the name's pool order");
  const asnOf = (table: Int32Array | null) => (table ? (id: number) => table[id] ?? NO_ASN_REGION : null);
  const trie = regionTrie(geo, (id) => byLocation[id] ?? noRegion, asnOf(byAsn), overrides);
  const buildReasons = () =>
    regionTrie(geo, (id) => reasonByLocation[id] ?? unknown, asnOf(reasonByAsn), reasonOverrides);
  return {
    kind: 'regions',
    trie: withV4Jump(trie),
    classes,
    regions: ix,
    reasons: new RegionReasons(reasons, buildReasons),
  };
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
  // Nearest classes are interned by order, and an order says why: distance, or no coordinates to measure from.
  const reasons: ClassReasons = {
    of: (classId) => ({
      classId,
      why: classes[classId]?.nearest ? 'nearest by distance' : 'location unknown: default order',
    }),
  };
  return { kind: 'nearest', trie: withV4Jump(trie), classes, regions: ix, reasons };
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
