// A client location normalised from any supported record layout (GeoIP2/GeoLite2 City or Country,
// DB-IP style flat records), with the continent and coordinates filled in from the country table.
import { countryInfo } from './countries.js';

export interface GeoLocation {
  /** ISO 3166-1 alpha-2, upper case, or null. */
  readonly country: string | null;
  readonly continent: string | null;
  /** ISO 3166-2 codes, e.g. US-WA, most general first. */
  readonly subdivisions: readonly string[];
  readonly lat: number | null;
  readonly lon: number | null;
  /** Where lat/lon came from: the database itself, or the country's centroid. */
  readonly coordinates: 'database' | 'country-centroid' | 'none';
  readonly city: string | null;
}

type Rec = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Rec | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);

/** True when a record can carry a location at all (so ASN databases are rejected at open). */
export function looksLikeLocationRecord(r: unknown): boolean {
  const o = obj(r);
  if (!o) return false;
  return 'country' in o || 'continent' in o || 'country_code' in o || 'location' in o || 'registered_country' in o;
}

/** Normalises a database record; null when it says nothing about where the client is. */
export function locationFromRecord(record: unknown): GeoLocation | null {
  const r = obj(record);
  if (!r) return null;
  const countryObj = obj(r['country']);
  let country = str(countryObj?.['iso_code']) ?? str(r['country_code']);
  country = country ? country.toUpperCase() : null;
  const info = country ? countryInfo(country) : undefined;
  const continent = str(obj(r['continent'])?.['code']) ?? str(r['continent_code']) ?? info?.continent ?? null;
  const subdivisions: string[] = [];
  const subs = r['subdivisions'];
  if (Array.isArray(subs) && country)
    for (const s of subs) {
      const code = str(obj(s)?.['iso_code']);
      if (code) subdivisions.push(`${country}-${code.toUpperCase()}`);
    }
  const state = str(r['state1']);
  if (state && country && subdivisions.length === 0 && /^[A-Za-z0-9]{1,3}$/.test(state))
    subdivisions.push(`${country}-${state.toUpperCase()}`);
  const loc = obj(r['location']);
  let lat = num(loc?.['latitude']) ?? num(r['latitude']);
  let lon = num(loc?.['longitude']) ?? num(r['longitude']);
  let coordinates: GeoLocation['coordinates'] = lat !== null && lon !== null ? 'database' : 'none';
  if (coordinates === 'none' && info) {
    lat = info.lat;
    lon = info.lon;
    coordinates = 'country-centroid';
  }
  const cityObj = obj(r['city']);
  const city = str(obj(cityObj?.['names'])?.['en']) ?? str(r['city']);
  if (!country && !continent && coordinates === 'none') return null;
  return Object.freeze({
    country,
    continent,
    subdivisions: Object.freeze(subdivisions),
    lat: coordinates === 'none' ? null : lat,
    lon: coordinates === 'none' ? null : lon,
    coordinates,
    city,
  });
}

/** A stable key: equal keys mean the same location for every decision. */
export function locationKey(l: GeoLocation): string {
  return `${l.country ?? ''}|${l.continent ?? ''}|${l.subdivisions.join(',')}|${l.lat ?? ''}|${l.lon ?? ''}`;
}
