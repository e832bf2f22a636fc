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
