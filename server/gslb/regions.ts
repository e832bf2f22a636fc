// Region matching: CIDR lists, then subdivisions, then countries, then continents, then 'default'.
import type { GeoLocation } from '../../geo/location.js';
import type { Region, RegionMap } from '../../zones/policy-types.js';

export interface RegionIndex {
  readonly map: RegionMap;
  readonly bySubdivision: ReadonlyMap<string, Region>;
  readonly byCountry: ReadonlyMap<string, Region>;
  readonly byContinent: ReadonlyMap<string, Region>;
  readonly fallback: Region | null;
}

export function indexRegions(map: RegionMap): RegionIndex {
  const bySubdivision = new Map<string, Region>();
  const byCountry = new Map<string, Region>();
  const byContinent = new Map<string, Region>();
  for (const r of map.values()) {
    if (!r.match) continue;
    for (const s of r.match.subdivisions) bySubdivision.set(s, r);
    for (const c of r.match.countries) byCountry.set(c, r);
    for (const c of r.match.continents) byContinent.set(c, r);
  }
  return { map, bySubdivision, byCountry, byContinent, fallback: map.get('default') ?? null };
}

export interface RegionMatch {
  readonly region: Region | null;
  readonly why: string;
}

/** Matches a location (a region's CIDRs are spliced into the class trie over it: classify.ts). */
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
