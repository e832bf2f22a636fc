// The GeoIP databases the commands open: the files --geoip names (first hit wins), or the bundled
// DB-IP country database; with only ASN databases given, the bundled one still locates clients. Kept
// apart from serve.ts so that explain and simulate load only this.
import { statSync } from 'node:fs';
import { bundledDatabasePath } from '../../geo/bundled.js';
import { GeoFileError } from '../../geo/geo-errors.js';
import { openGeoData, type GeoData } from '../../geo/geoip.js';
import { StartupError } from './startup-error.js';

/** The files opened: those given, or the bundled database. */
export const geoFiles = (paths: readonly string[] | undefined): readonly string[] =>
  paths && paths.length > 0 ? paths : [bundledDatabasePath()];

/**
 * A GeoIP database that cannot be used, as one line with what --geoip takes and the E_GEO_* code
 * (main.ts prints it); anything but a GeoFileError is a bug, and comes back as it is.
 */
export function geoFailure(err: unknown, paths: readonly string[] | undefined): unknown {
  if (!(err instanceof GeoFileError)) return err;
  const message = err.message;
  return new StartupError(
    err.code,
    paths && paths.length > 0
      ? `${message}; --geoip FILE takes a MaxMind DB (.mmdb) City, Country or ASN database`
      : `${message}; or give a MaxMind DB (.mmdb) City or Country database with --geoip FILE`,
  );
}

/** Opens the GeoIP databases given, or the bundled one; one that cannot be used is a StartupError. */
export function openGeo(paths: readonly string[] | undefined): GeoData {
  try {
    return openGeoData(geoFiles(paths), { locationFallback: bundledDatabasePath() });
  } catch (err) {
    throw geoFailure(err, paths);
  }
}

/** Which file versions are open: inode, size and modification time of each. */
const stampOf = (files: readonly string[]): string =>
  files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${f}:unreadable`; // opening it says why, naming the file
      }
    })
    .join('|');

/**
 * Opens the GeoIP databases, and on each later call opens them again only when a file has changed: a
 * reload for a zone file keeps the compiled databases (a City database takes seconds to compile). Its
 * errors are the plain ones: a reload reports them as they are (serve maps the first through geoFailure).
 */
export function geoOpener(paths: readonly string[] | undefined): () => GeoData {
  const files = geoFiles(paths);
  let open: { stamp: string; geo: GeoData } | null = null;
  return () => {
    const stamp = stampOf(files);
    if (open?.stamp !== stamp) open = { stamp, geo: openGeoData(files, { locationFallback: bundledDatabasePath() }) };
    return open.geo;
  };
}
