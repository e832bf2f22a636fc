// GeoIP databases (--geoip, repeatable, first hit wins) opened once, checked, and compiled into one
// location trie: every network maps to an interned location id, neighbours with equal locations merged.
// ASN databases (GeoLite2-ASN, DB-IP ASN lite) are compiled the same way into a trie of their own.
import { fileErrorReason } from './file-error.js';
import { GeoFileError } from './geo-errors.js';
import { IntMap } from './int-map.js';
import { openMmdbFile, type MmdbTree, type Spec } from './mmdb-format.js';
import { locationFromRecord, locationKey, looksLikeLocationRecord, type GeoLocation } from './location.js';
import { TrieBuilder, TrieHit, leaf, lookupV4, lookupV6, overlayMissing, type PrefixTrie } from './trie.js';

/** Location id 0: the database has no location for the address. */
export const UNKNOWN_LOCATION = 0;

export interface GeoDatabaseInfo {
  readonly path: string;
  readonly databaseType: string;
  readonly ipVersion: 4 | 6;
  readonly buildEpoch: Date;
  readonly nodeCount: number;
  /** What the database is used for: client locations, or autonomous system numbers (never both). */
  readonly kind: 'location' | 'asn';
}

/** The ASN databases compiled into one trie of ASN ids (first hit wins). */
export interface AsnData {
  /** ASN ids: index 0 is the unknown ASN (0: no ASN database has the address). */
  readonly asns: readonly number[];
  /** The database (index into GeoData.databases) each ASN id came from; -1 for the unknown ASN. */
  readonly asnDatabase: readonly number[];
  readonly trie: PrefixTrie;
}

export interface GeoData {
  readonly databases: readonly GeoDatabaseInfo[];
  /** Location ids: index 0 is the unknown location (null). */
  readonly locations: readonly (GeoLocation | null)[];
  /** The database (index into databases) each location id came from; -1 for the unknown location. */
  readonly locationDatabase: readonly number[];
  readonly trie: PrefixTrie;
  /** The client's autonomous system, from the ASN databases given; null when none was. */
  readonly asn: AsnData | null;
}

/**
 * Interned locations. An id stands for a location as one database gives it, so the compiled trie also
 * tells which database answered (explain shows it) without opening any file again.
 */
class LocationTable {
  readonly list: (GeoLocation | null)[] = [null];
  readonly database: number[] = [-1];
  private readonly ids = new Map<string, number>();
  intern(l: GeoLocation | null, database: number): number {
    if (!l) return UNKNOWN_LOCATION;
    const k = `${database}|${locationKey(l)}`;
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(l);
      this.database.push(database);
      this.ids.set(k, id);
    }
    return id;
  }
}

/** Interned ASNs, per (database, ASN) as locations are, so explain can say which database gave one. */
class AsnTable {
  readonly list: number[] = [0];
  readonly database: number[] = [-1];
  private readonly ids = new Map<string, number>();
  intern(asn: number, database: number): number {
    if (asn <= 0) return UNKNOWN_ASN;
    const k = `${database}|${asn}`;
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(asn);
      this.database.push(database);
      this.ids.set(k, id);
    }
    return id;
  }
}

/** ASN id 0: no ASN database has the address. */
export const UNKNOWN_ASN = 0;

const ASN_FIELDS: Spec = { autonomous_system_number: true };

/** The ASN of a record: a whole number in 1..2^32-1, else 0 (none). */
function asnFromRecord(record: unknown): number {
  const n = (record as Record<string, unknown> | null)?.['autonomous_system_number'];
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 0xffffffff ? n : 0;
}

/** The parts of a record a location is made of (City, Country and DB-IP layouts). */
const LOCATION_FIELDS: Spec = {
  country: { iso_code: true },
  continent: { code: true },
  subdivisions: { iso_code: true },
  location: { latitude: true, longitude: true },
  city: { names: { en: true } },
  registered_country: { iso_code: true },
  country_code: true,
  continent_code: true,
  state1: true,
  city_name: true,
  latitude: true,
  longitude: true,
};

/**
 * Compiles one database's search tree into a trie of the ids `idOf` gives its records (locations, or
 * ASNs), 0 where the database has no record. The walk keeps no per-node table: a
 * search tree is a tree, except that MaxMind's IPv4 aliases (::ffff:0:0/96, 2002::/16) point back at
 * the IPv4 subtree, which is compiled first and reused. A node reached a second time any other way is
 * recompiled once (hash-consing makes the result the same reference) and remembered, so even a
 * database that shares subtrees costs at most two visits per node.
 */
function compileTree(
  tree: MmdbTree,
  idOf: (record: number) => number,
  b: TrieBuilder,
  path: string,
): { v4: number; v6: number } {
  const n = tree.metadata.nodeCount;
  const maxDepth = tree.metadata.ipVersion === 4 ? 32 : 128;
  const byRecord = new IntMap();
  const value = (rec: number): number => {
    if (rec === n) return leaf(0);
    let id = byRecord.get(rec);
    if (id === undefined) {
      id = idOf(rec);
      byRecord.set(rec, id);
    }
    return leaf(id);
  };
  const seen = new Uint8Array(Math.ceil(n / 8));
  const shared = new Map<number, number>();
  const walk = (node: number, depth: number): number => {
    if (node >= n) return value(node);
    const again = (seen[node >> 3]! >> (node & 7)) & 1;
    if (again) {
      const known = shared.get(node);
      if (known !== undefined) return known;
    }
    if (depth >= maxDepth)
      throw new Error(`${path}: corrupt search tree: deeper than ${maxDepth} bits at node ${node}`);
    seen[node >> 3]! |= 1 << (node & 7);
    const out = b.mk(walk(tree.left(node), depth + 1), walk(tree.right(node), depth + 1));
    if (again) shared.set(node, out);
    return out;
  };
  try {
    if (tree.metadata.ipVersion === 4) return { v4: walk(0, 0), v6: leaf(0) };
    const v4 = walk(tree.ipv4Start, 96);
    shared.set(tree.ipv4Start, v4);
    return { v4, v6: walk(0, 0) };
  } finally {
    byRecord.release();
  }
}

/**
 * What a database gives, read off its first record: ASNs when it carries autonomous_system_number and
 * the type says ASN or the record has no location, else locations when it can carry one; null for
 * neither (a type that says ASN over records without the field, such as ipinfo's `asn` strings,
 * included: none of its ASNs would ever match).
 */
function kindOf(tree: MmdbTree): 'location' | 'asn' | null {
  const saysAsn = /asn/i.test(tree.metadata.databaseType);
  const sample = firstRecord(tree);
  if (sample === null) return saysAsn ? 'asn' : 'location'; // an empty tree: "unknown" for every address either way
  const record = tree.decode(sample);
  const located = looksLikeLocationRecord(record);
  if (located && !saysAsn) return 'location';
  if (record !== null && typeof record === 'object' && 'autonomous_system_number' in record) return 'asn';
  return located ? 'location' : null;
}

export interface GeoOpenOptions {
  /**
   * Opened for locations when every database given is an ASN database (last, so it never shadows a
   * location database): ASNs alone cannot place a client in a country.
   */
  readonly locationFallback?: string;
}

/**
 * Opens and compiles the databases: location databases into the location trie, ASN databases into
 * the ASN trie (each first hit wins among its own kind). Throws a GeoFileError with the file named
 * on anything unusable.
 */
export function openGeoData(paths: readonly string[], opts: GeoOpenOptions = {}): GeoData {
  const table = new LocationTable();
  const asnTable = new AsnTable();
  const tries: PrefixTrie[] = [];
  const asnTries: PrefixTrie[] = [];
  const infos: GeoDatabaseInfo[] = [];
  const open = (path: string): void => {
    const tree = openTree(path);
    const database = infos.length;
    try {
      // Check the record layout once, at open: a database with neither locations nor ASNs is a config error.
      const kind = kindOf(tree);
      if (kind === null)
        throw new GeoFileError(
          'E_GEO_NO_LOCATIONS',
          `${path}: database type '${tree.metadata.databaseType}' has neither locations nor ASNs (need a City, Country or ASN database)`,
        );
      const b = new TrieBuilder();
      const idOf =
        kind === 'asn'
          ? (rec: number) => asnTable.intern(asnFromRecord(tree.decodeSelected(rec, ASN_FIELDS)), database)
          : (rec: number) => table.intern(locationFromRecord(tree.decodeSelected(rec, LOCATION_FIELDS)), database);
      const roots = compileTree(tree, idOf, b, path);
      (kind === 'asn' ? asnTries : tries).push(b.finish(roots.v4, roots.v6));
      infos.push(
        Object.freeze({
          path,
          databaseType: tree.metadata.databaseType,
          ipVersion: tree.metadata.ipVersion,
          buildEpoch: new Date(tree.metadata.buildEpoch * 1000),
          nodeCount: tree.metadata.nodeCount,
          kind,
        }),
      );
    } catch (err) {
      throw asGeoFileError(err, path, 'E_GEO_CORRUPT');
    } finally {
      tree.close();
    }
  };
  for (const path of paths) open(path);
  if (tries.length === 0 && asnTries.length > 0 && opts.locationFallback !== undefined) open(opts.locationFallback);
  const trie =
    tries.length === 0 ? new TrieBuilder().finish(leaf(0), leaf(0)) : overlayMissing(tries, UNKNOWN_LOCATION);
  const asn: AsnData | null =
    asnTries.length === 0
      ? null
      : Object.freeze({
          asns: asnTable.list,
          asnDatabase: asnTable.database,
          trie: overlayMissing(asnTries, UNKNOWN_ASN),
        });
  return Object.freeze({ databases: infos, locations: table.list, locationDatabase: table.database, trie, asn });
}

/** Opens a database file for compiling (read as it is walked, never whole); errors name the file. */
function openTree(path: string): MmdbTree {
  try {
    return openMmdbFile(path);
  } catch (err) {
    // What the reader finds wrong at open is in the metadata or the layout: not a database it reads.
    throw asGeoFileError(err, path, 'E_GEO_NOT_MMDB');
  }
}

/**
 * The coded error for what opening or compiling `path` threw: an I/O error (an errno code) in
 * file-error.ts's words, the reader's complaint (a plain Error naming the file) under `format`.
 * Anything else is a bug, not the file, and is thrown as it is, stack and all.
 */
function asGeoFileError(err: unknown, path: string, format: 'E_GEO_NOT_MMDB' | 'E_GEO_CORRUPT'): GeoFileError {
  if (err instanceof GeoFileError) return err;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    const missing = errno === 'ENOENT' || errno === 'ENOTDIR';
    const message = `${path}: GeoIP database ${fileErrorReason(err)}`;
    return new GeoFileError(missing ? 'E_GEO_FILE_MISSING' : 'E_GEO_FILE_UNREADABLE', message, { cause: err });
  }
  if (err instanceof Error && err.constructor === Error) return new GeoFileError(format, err.message, { cause: err });
  throw err;
}

function firstRecord(tree: MmdbTree): number | null {
  const n = tree.metadata.nodeCount;
  let node = 0;
  for (let i = 0; i < 128 && node < n; i++) {
    const l = tree.left(node);
    const r = tree.right(node);
    if (l > n) return l;
    if (r > n) return r;
    node = l < n ? l : r;
    if (node === n) return null;
  }
  return node > n ? node : null;
}

export interface LocatedClient {
  readonly location: GeoLocation | null;
  readonly locationId: number;
  /** Prefix length over which the database's answer is the same. */
  readonly prefix: number;
}

/** Looks up an address in the compiled location trie (the same data the server decides with). */
export function locate(geo: GeoData, family: 4 | 6, bytes: Uint8Array): LocatedClient {
  const hit = new TrieHit();
  const id =
    family === 4
      ? lookupV4(geo.trie, ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0, hit)
      : lookupV6(geo.trie, bytes, hit);
  return { location: geo.locations[id] ?? null, locationId: id, prefix: hit.depth };
}

/** The database that gave a location id (first hit wins), or null for the unknown location; for explain. */
export function databaseOf(geo: GeoData, locationId: number): GeoDatabaseInfo | null {
  return geo.databases[geo.locationDatabase[locationId] ?? -1] ?? null;
}

export interface ClientAsn {
  /** The autonomous system number, or null when no ASN database has the address (or none is loaded). */
  readonly asn: number | null;
  /** The database that gave it. */
  readonly database: GeoDatabaseInfo | null;
  /** Prefix length over which the ASN databases' answer is the same. */
  readonly prefix: number;
}

/** Looks up an address's ASN in the compiled ASN trie; for explain (the query path reads classes only). */
export function locateAsn(geo: GeoData, family: 4 | 6, bytes: Uint8Array): ClientAsn {
  if (geo.asn === null) return { asn: null, database: null, prefix: 0 };
  const hit = new TrieHit();
  const id =
    family === 4
      ? lookupV4(geo.asn.trie, ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0, hit)
      : lookupV6(geo.asn.trie, bytes, hit);
  return {
    asn: id === UNKNOWN_ASN ? null : (geo.asn.asns[id] ?? null),
    database: geo.databases[geo.asn.asnDatabase[id] ?? -1] ?? null,
    prefix: hit.depth,
  };
}
