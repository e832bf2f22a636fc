// GeoIP databases (--geoip, repeatable, first hit wins) opened once, checked, and compiled into one
// location trie: every network maps to an interned location id, neighbours with equal locations merged.
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
}

export interface GeoData {
  readonly databases: readonly GeoDatabaseInfo[];
  /** Location ids: index 0 is the unknown location (null). */
  readonly locations: readonly (GeoLocation | null)[];
  /** The database (index into databases) each location id came from; -1 for the unknown location. */
  readonly locationDatabase: readonly number[];
  readonly trie: PrefixTrie;
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
 * Compiles one database's search tree into a location trie. The walk keeps no per-node table: a
 * search tree is a tree, except that MaxMind's IPv4 aliases (::ffff:0:0/96, 2002::/16) point back at
 * the IPv4 subtree, which is compiled first and reused. A node reached a second time any other way is
 * recompiled once (hash-consing makes the result the same reference) and remembered, so even a
 * database that shares subtrees costs at most two visits per node.
 */
function compileTree(
  tree: MmdbTree,
  table: LocationTable,
  database: number,
  b: TrieBuilder,
  path: string,
): { v4: number; v6: number } {
  const n = tree.metadata.nodeCount;
  const maxDepth = tree.metadata.ipVersion === 4 ? 32 : 128;
  const byRecord = new IntMap();
  const value = (rec: number): number => {
    if (rec === n) return leaf(UNKNOWN_LOCATION);
    let id = byRecord.get(rec);
    if (id === undefined) {
      id = table.intern(locationFromRecord(tree.decodeSelected(rec, LOCATION_FIELDS)), database);
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
    if (tree.metadata.ipVersion === 4) return { v4: walk(0, 0), v6: leaf(UNKNOWN_LOCATION) };
    const v4 = walk(tree.ipv4Start, 96);
    shared.set(tree.ipv4Start, v4);
    return { v4, v6: walk(0, 0) };
  } finally {
    byRecord.release();
  }
}

/** Opens and compiles the databases; throws a GeoFileError with the file named on anything unusable. */
export function openGeoData(paths: readonly string[]): GeoData {
  const table = new LocationTable();
  const tries: PrefixTrie[] = [];
  const infos: GeoDatabaseInfo[] = [];
  for (const path of paths) {
    const tree = openTree(path);
    try {
      // Check the record layout once, at open: a database without locations (ASN) is a config error.
      const sample = firstRecord(tree);
      if (sample !== null && !looksLikeLocationRecord(tree.decode(sample)))
        throw new GeoFileError(
          'E_GEO_NO_LOCATIONS',
          `${path}: database type '${tree.metadata.databaseType}' has no locations (need a City or Country database)`,
        );
      const b = new TrieBuilder();
      const roots = compileTree(tree, table, infos.length, b, path);
      tries.push(b.finish(roots.v4, roots.v6));
    } catch (err) {
      throw asGeoFileError(err, path, 'E_GEO_CORRUPT');
    } finally {
      tree.close();
    }
    infos.push(
      Object.freeze({
        path,
        databaseType: tree.metadata.databaseType,
        ipVersion: tree.metadata.ipVersion,
        buildEpoch: new Date(tree.metadata.buildEpoch * 1000),
        nodeCount: tree.metadata.nodeCount,
      }),
    );
  }
  const trie =
    tries.length === 0 ? new TrieBuilder().finish(leaf(0), leaf(0)) : overlayMissing(tries, UNKNOWN_LOCATION);
  return Object.freeze({ databases: infos, locations: table.list, locationDatabase: table.database, trie });
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
