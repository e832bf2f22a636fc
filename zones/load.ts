// Loads a zones directory: one sub-folder per zone (named by its apex), master files (*.zone) inside,
// and for a signed zone its keys/ (zones/dnssec/keys.ts).
import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { keyStateAt, loadKeys } from './dnssec/keys.js';
import { DEFAULT_DNSSEC, type ZoneDnssec, type ZoneKey } from './dnssec/types.js';
import type { ZonesErrorCode } from './load-errors.js';
import { parseMasterFile } from './masterfile.js';
import { nameToText, parseName } from './name.js';
import { isCountryCode } from '../geo/countries.js';
import { fileErrorReason } from '../geo/file-error.js';
import {
  loadPolicy,
  sectionsNamedIn,
  type ExternalFile,
  type PolicySource,
  type ReadPolicyFile,
} from './policy/index.js';
import type { PolicyConfig } from './policy-types.js';
import type { ZoneError, ZoneRecord } from './records.js';
import { buildZone, type Zone } from './zone.js';

export interface LoadResult {
  readonly zones: Zone[];
  readonly errors: ZoneError[];
  /** Each zone folder's policy and the digest of the files it came from: give it to the next load. */
  readonly policies: PolicyCache;
}

/**
 * Policies of an earlier load by zone folder. A reload whose policy files (and the files they name,
 * such as a tls_ca) are byte for byte the same reuses the built policy (immutable) instead of parsing
 * them again: with 100,000 names, changing a master file then costs a fraction of a second instead of
 * seconds.
 */
export type PolicyCache = ReadonlyMap<string, CachedPolicy>;

interface CachedPolicy {
  readonly digest: string;
  readonly config: PolicyConfig;
  /** The files besides the policy files it was built from (relative to the zones directory). */
  readonly externals: readonly string[];
}

const NO_POLICIES: PolicyCache = new Map();

/** The policy files' names and text, hashed once per load of a zone; digestOf adds the files they name. */
function hashSources(sources: readonly PolicySource[]): Hash {
  const h = createHash('sha256');
  for (const s of sources) h.update(s.file).update('\0').update(s.text).update('\0');
  return h;
}

/** What a zone's policy is built from: the policy files (hashed) and the files they name, as read. */
function digestOf(sources: Hash, externals: readonly ExternalFile[]): string {
  const h = sources.copy();
  for (const { path, text } of externals) h.update(path).update('\0').update(text).update('\0');
  return h.digest('base64');
}

/** The files a cached policy was built from, read now (an unreadable one as its error: a change too). */
function readAgain(paths: readonly string[], read: ReadPolicyFile): ExternalFile[] {
  return paths.map((path) => {
    try {
      return { path, text: read(path) };
    } catch (err) {
      return { path, text: `unreadable: ${(err as Error).message}` };
    }
  });
}

function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, suffix));
    else if (entry.isFile() && entry.name.endsWith(suffix)) out.push(path);
  }
  return out;
}

/**
 * The first master file or policy file directly in dir, when dir is itself a zone folder: `--zones`
 * given one zone's folder instead of the directory that holds zone folders. Null otherwise.
 */
function zoneFolderFile(dir: string, entries: readonly string[]): string | null {
  const isFile = (entry: string): boolean => {
    try {
      return statSync(join(dir, entry)).isFile();
    } catch {
      return false;
    }
  };
  const master = entries.find((e) => e.endsWith('.zone') && isFile(e));
  if (master !== undefined) return master;
  const policy = entries.find((e) => {
    if (!(e.endsWith('.yaml') || e.endsWith('.yml')) || !isFile(e)) return false;
    try {
      // A top-level key naming a policy section makes a *.yaml file a policy file.
      return sectionsNamedIn(readFileSync(join(dir, e), 'utf8')).length > 0;
    } catch {
      return false; // unreadable: not evidence either way
    }
  });
  return policy ?? null;
}

/** The directory holding dir, spelt for the operator to type ('.' -> '..', 'a/b/' -> 'a'). */
function parentOf(dir: string): string {
  const d = normalize(dir);
  const last = basename(d);
  return last === '.' || last === '..' ? join(d, '..') : dirname(d);
}

/** A folder-level error (the zones directory, a zone folder, a file it cannot read), at line 0. */
const folderError = (file: string, code: ZonesErrorCode, message: string): ZoneError => ({
  file,
  line: 0,
  message,
  code,
});

/** A signed zone's keys with its policy's settings and the key state at now; null without keys. */
function dnssecOf(keys: readonly ZoneKey[], policy: PolicyConfig, now: number): ZoneDnssec | null {
  if (keys.length === 0) return null;
  return Object.freeze({ keys, settings: policy.dnssec ?? DEFAULT_DNSSEC, state: keyStateAt(keys, now) });
}

/**
 * Reads and validates every zone under dir; errors name files relative to dir. `now` (ms) is the time
 * the keys' timing is read at: the key state this load serves.
 */
export function loadZones(dir: string, previous: PolicyCache = NO_POLICIES, now = Date.now()): LoadResult {
  const errors: ZoneError[] = [];
  const zones: Zone[] = [];
  const policies = new Map<string, CachedPolicy>();
  const read: ReadPolicyFile = (path) => readFileSync(isAbsolute(path) ? path : join(dir, path), 'utf8');
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory())
      return { zones, errors: [folderError(dir, 'E_ZONES_NOT_A_FOLDER', 'is not a directory')], policies };
    entries = readdirSync(dir).sort();
  } catch (err) {
    const message = `zones directory ${fileErrorReason(err)}`;
    return { zones, errors: [folderError(dir, 'E_ZONES_UNREADABLE', message)], policies };
  }
  // A zone folder given as the zones directory: every error after this one would be a follow-on.
  const own = zoneFolderFile(dir, entries);
  if (own !== null) {
    const message = `is a zone folder (it holds ${own}); give its parent: --zones ${parentOf(dir)}`;
    return { zones, errors: [folderError(dir, 'E_ZONES_IS_A_ZONE_FOLDER', message)], policies };
  }
  /** The folder each apex came from: 'a.test' and 'a.test.' (or 'A.test') would be one zone twice. */
  const folderOf = new Map<string, string>();
  for (const entry of entries) {
    const folder = join(dir, entry);
    if (!statSync(folder).isDirectory() || entry.startsWith('.')) continue;
    const apexText = entry.endsWith('.') ? entry : entry + '.';
    const apex = parseName(apexText, null);
    if (!apex.ok) {
      const message = `folder name is not a zone name: ${apex.error}`;
      errors.push(folderError(relative(dir, folder) || entry, 'E_ZONES_BAD_FOLDER_NAME', message));
      continue;
    }
    const seen = folderOf.get(apex.name.key);
    if (seen !== undefined) {
      const message = `zone '${nameToText(apex.name.wire)}' is also the folder ${seen}: give each zone one folder`;
      errors.push(folderError(relative(dir, folder) || entry, 'E_ZONES_DUPLICATE_APEX', message));
      continue;
    }
    folderOf.set(apex.name.key, entry);
    const policySources: PolicySource[] = [];
    for (const file of [...listFiles(folder, '.yaml'), ...listFiles(folder, '.yml')]) {
      try {
        policySources.push({ file: relative(dir, file), text: readFileSync(file, 'utf8') });
      } catch (err) {
        errors.push(folderError(relative(dir, file), 'E_ZONES_FILE_UNREADABLE', fileErrorReason(err)));
      }
    }
    const sources = hashSources(policySources);
    const cached = previous.get(entry);
    // Each file is read once per load: here to compare with the cache, or by the policy load.
    const reusable = cached !== undefined && cached.digest === digestOf(sources, readAgain(cached.externals, read));
    const fresh = () => loadPolicy(policySources, apex.name, isCountryCode, read);
    let policy = reusable ? null : fresh();
    if (policy) errors.push(...policy.errors);
    // A zone whose keys cannot be used is not built: a signed zone served unsigned would fail validation.
    const keys = loadKeys(dir, entry, apex.name, now);
    errors.push(...keys.errors);
    const files = listFiles(folder, '.zone');
    if (files.length === 0) {
      errors.push(
        folderError(relative(dir, folder), 'E_ZONES_NO_MASTER_FILE', 'zone folder has no master file (*.zone)'),
      );
      continue;
    }
    const records: ZoneRecord[] = [];
    let masterErrors = 0;
    for (const file of files) {
      const name = relative(dir, file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        errors.push(folderError(name, 'E_ZONES_FILE_UNREADABLE', fileErrorReason(err)));
        masterErrors++; // its records are missing: a missing SOA or NS would be a follow-on
        continue;
      }
      const parsed = parseMasterFile(text, { file: name, origin: apex.name });
      records.push(...parsed.records);
      errors.push(...parsed.errors);
      masterErrors += parsed.errors.length;
    }
    const first = relative(dir, files[0]!);
    const partial = masterErrors > 0;
    const build = (config: PolicyConfig) =>
      buildZone(apex.name, records, first, config, partial, dnssecOf(keys.keys, config, now));
    let built = build(policy?.config ?? cached!.config);
    // A reused policy has no lines left for the errors that point into it: build once more from the files.
    if (!policy && built.errors.length > 0) {
      policy = fresh();
      errors.push(...policy.errors);
      built = build(policy.config);
    }
    errors.push(...built.errors);
    policy?.release(); // every error that names a policy line has been made
    if (built.zone && keys.errors.length === 0) {
      zones.push(built.zone);
      if (!policy) policies.set(entry, cached!);
      else if (policy.errors.length === 0) {
        const digest = digestOf(sources, policy.externals);
        policies.set(entry, { digest, config: built.zone.policy, externals: policy.externals.map((e) => e.path) });
      }
    }
  }
  if (zones.length === 0 && errors.length === 0)
    errors.push(folderError(dir, 'E_ZONES_NO_ZONES', 'no zone folders found'));
  return { zones, errors, policies };
}
