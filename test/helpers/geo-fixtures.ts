// Test helpers: build small MaxMind DB fixtures (City-style, country-only, IPv4-only) from test/fixtures/geo/city.csv.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMmdb, type MmdbEntry, type MmdbValue } from '../../geo/mmdb-writer.js';
import {
  buildCityDatabase,
  cityRecord,
  formatSourceError,
  parseCitySource,
  type CityRow,
} from '../../scripts/mmdb-build.js';

/** Resolved from this file (dist/test/helpers/), so tests work from any working directory. */
export const CITY_CSV = fileURLToPath(new URL('../../../test/fixtures/geo/city.csv', import.meta.url));
/** The MaxMind test files that are cross-checked when present (absent on most machines). */
export const SHARED_GEOIP_DIR = fileURLToPath(new URL('../../../../shared/geoip/', import.meta.url));
/** Fixed build time (2026-01-01T00:00:00Z) so fixture bytes are reproducible. */
export const FIXTURE_EPOCH = 1767225600;

/** The validated rows of city.csv; throws with file:line messages if the fixture itself is broken. */
export function cityFixtureRows(): CityRow[] {
  const { rows, errors } = parseCitySource(readFileSync(CITY_CSV, 'utf8'), CITY_CSV);
  if (errors.length > 0) throw new Error(`fixture invalid:\n${errors.map(formatSourceError).join('\n')}`);
  return rows;
}

/** GeoIP2-City-shaped IPv6 DB (IPv4 aliases on) written to `dir`/city.mmdb; returns the path. */
export function buildCityFixture(dir: string): string {
  const path = join(dir, 'city.mmdb');
  writeFileSync(
    path,
    buildCityDatabase(cityFixtureRows(), { databaseType: 'GSLB-City-Test', buildEpoch: FIXTURE_EPOCH }),
  );
  return path;
}

/**
 * The City fixture with `location.accuracy_radius` (uint16) beside the coordinates, as MaxMind's City
 * databases have it: PowerDNS's geoip backend reads a location only with it (pickclosest, latlon()).
 */
export function buildCityFixtureWithRadius(dir: string): string {
  const entries: MmdbEntry[] = cityFixtureRows().map((row) => {
    const rec = cityRecord(row) as Record<string, MmdbValue>;
    const loc = rec['location'];
    if (loc !== undefined)
      rec['location'] = { ...(loc as Record<string, MmdbValue>), accuracy_radius: { type: 'uint16', value: 100 } };
    return { network: row.network, data: rec };
  });
  const path = join(dir, 'city-radius.mmdb');
  writeFileSync(
    path,
    writeMmdb(entries, { databaseType: 'GSLB-City-Test', ipVersion: 6, languages: ['en'], buildEpoch: FIXTURE_EPOCH }),
  );
  return path;
}

/** Country-only layout `{ country: { iso_code }, continent: { code } }` (rows with neither are left out). */
export function buildCountryFixture(dir: string): string {
  const entries: MmdbEntry[] = [];
  for (const row of cityFixtureRows()) {
    const rec: Record<string, MmdbValue> = {};
    if (row.continent !== undefined) rec['continent'] = { code: row.continent };
    if (row.country !== undefined) rec['country'] = { iso_code: row.country };
    if (Object.keys(rec).length > 0) entries.push({ network: row.network, data: rec });
  }
  const path = join(dir, 'country.mmdb');
  writeFileSync(
    path,
    writeMmdb(entries, {
      databaseType: 'GSLB-Country-Test',
      ipVersion: 6,
      languages: ['en'],
      buildEpoch: FIXTURE_EPOCH,
    }),
  );
  return path;
}

/**
 * Tiny IPv4-only tree (ip_version 4): the IPv4 rows of city.csv in City layout, or `entries` if given.
 * Useful to check that IPv6 clients never match in an IPv4 database.
 */
export function buildIpv4Fixture(dir: string, entries?: MmdbEntry[]): string {
  const list =
    entries ??
    cityFixtureRows()
      .filter((row) => !row.network.includes(':'))
      .map((row) => ({ network: row.network, data: cityRecord(row) }));
  const path = join(dir, 'ipv4.mmdb');
  writeFileSync(
    path,
    writeMmdb(list, { databaseType: 'GSLB-City-IPv4-Test', ipVersion: 4, buildEpoch: FIXTURE_EPOCH }),
  );
  return path;
}

/**
 * The ASN fixture's networks, laid over city.csv's: [network, ASN]. AS64500 and AS64501 are isp-x's,
 * 4200000000 (a 32-bit private ASN) isp-y's in test/fixtures/asn; AS64502 is in no region.
 */
export const ASN_ROWS: ReadonlyArray<readonly [string, number]> = [
  ['81.2.69.128/25', 64500], // GB London, corp's 81.2.69.160/28 inside
  ['89.160.20.0/24', 64501], // SE's 89.160.20.112/28 and .128/25, and unknown space around them
  ['216.160.83.56/29', 64502], // US-WA, in no ASN region
  ['216.160.83.64/29', 64500], // US-WA, but isp-x's
  ['67.43.156.0/24', 4200000000], // BT
  ['2001:218::/32', 64500], // JP
  ['2a02:d180::/32', 64501], // the first /32 of DE's 2a02:d180::/29
];

/** A GeoLite2-ASN-shaped IPv6 DB (IPv4 aliases on) of ASN_ROWS (or `rows`) written to `dir`/`file`. */
export function buildAsnFixture(
  dir: string,
  opts: { rows?: ReadonlyArray<readonly [string, number]>; databaseType?: string; file?: string } = {},
): string {
  const entries: MmdbEntry[] = (opts.rows ?? ASN_ROWS).map(([network, asn]) => ({
    network,
    data: { autonomous_system_number: asn, autonomous_system_organization: `Test AS${asn}` },
  }));
  const path = join(dir, opts.file ?? 'asn.mmdb');
  writeFileSync(
    path,
    writeMmdb(entries, {
      databaseType: opts.databaseType ?? 'GSLB-ASN-Test',
      ipVersion: 6,
      languages: ['en'],
      buildEpoch: FIXTURE_EPOCH,
    }),
  );
  return path;
}
