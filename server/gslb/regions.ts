// Region matching: CIDR lists, then ASNs, then subdivisions, then countries, then continents, then 'default'.
import type { GeoLocation } from '../../geo/location.js';
import type { GeoData } from '../../geo/geoip.js';
import type { Region, RegionMap } from '../../zones/policy-types.js';
import type { ZoneError } from '../../zones/records.js';
import type { Zone } from '../../zones/zone.js';

export interface RegionIndex {
  readonly map: RegionMap;
  readonly bySubdivision: ReadonlyMap<string, Region>;
  readonly byCountry: ReadonlyMap<string, Region>;
  readonly byContinent: ReadonlyMap<string, Region>;
  /** Regions by ASN: matched through the ASN trie, spliced into the class trie (classify.ts). */
  readonly byAsn: ReadonlyMap<number, Region>;
  readonly fallback: Region | null;
}

export function indexRegions(map: RegionMap): RegionIndex {
  const bySubdivision = new Map<string, Region>();
  const byCountry = new Map<string, Region>();
  const byContinent = new Map<string, Region>();
  const byAsn = new Map<number, Region>();
  for (const r of map.values()) {
    if (!r.match) continue;
    for (const s of r.match.subdivisions) bySubdivision.set(s, r);
    for (const c of r.match.countries) byCountry.set(c, r);
    for (const c of r.match.continents) byContinent.set(c, r);
    for (const a of r.match.asns) byAsn.set(a, r);
  }
  return { map, bySubdivision, byCountry, byContinent, byAsn, fallback: map.get('default') ?? null };
}

export interface RegionMatch {
  readonly region: Region | null;
  readonly why: string;
}

/** Matches a location (a region's CIDRs and ASNs are laid over it in the class trie: classify.ts). */
export function matchLocation(ix: RegionIndex, loc: GeoLocation | null): RegionMatch {
  if (loc) {
    for (const s of loc.subdivisions) {
      const r = ix.bySubdivision.get(s);
      if (r) return { region: r, why: `subdivision ${s}` };
    }
    if (loc.country) {
      const r = ix.byCountry.get(loc.country);
      if (r) return { region: r, why: `country ${loc.country}` };
    }
    if (loc.continent) {
      const r = ix.byContinent.get(loc.continent);
      if (r) return { region: r, why: `continent ${loc.continent}` };
    }
  }
  const what = loc ? 'no region matches the location' : 'location unknown';
  if (ix.fallback) return { region: ix.fallback, why: `${what}: default region` };
  return { region: null, why: `${what} and no default region: the name's pool order` };
}

/** Every region of these zones that matches ASNs (the zones' maps and names' own), each once. */
export function regionsWithAsns(zones: readonly Zone[]): Region[] {
  const seen = new Set<Region>();
  const add = (map: RegionMap | null) => {
    for (const r of map?.values() ?? []) if (r.match && r.match.asns.length > 0) seen.add(r);
  };
  for (const z of zones) {
    add(z.policy.regions);
    for (const n of z.policy.names.values()) add(n.regions);
  }
  return [...seen];
}

/**
 * Regions that match ASNs while no ASN database is loaded: each an error, since none of their ASNs
 * could ever match (serve refuses to start, a reload fails and the last good configuration serves on).
 */
export function asnRegionErrors(zones: readonly Zone[], geo: GeoData): ZoneError[] {
  if (geo.asn !== null) return [];
  return regionsWithAsns(zones).map((r) => ({
    file: r.file,
    line: r.match!.asnsLine,
    code: 'E_GEO_NO_ASN_DATABASE',
    message: `region '${r.name}' matches asns, but no ASN database is loaded: give one with --geoip (GeoLite2-ASN, or DB-IP ASN lite in MaxMind format)`,
  }));
}
