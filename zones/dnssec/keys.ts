// A zone's keys: the key pairs in its folder's keys/ (BIND's file format, keyfile.ts), their key tags,
// and which of them are published and sign at a given time (BIND's timing metadata).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileErrorReason } from '../../geo/file-error.js';
import { nameToText, parseName, type DnsName } from '../name.js';
import type { ZoneError } from '../records.js';
import type { DnssecErrorCode } from './dnssec-errors.js';
import {
  algorithmText,
  parseKeyFile,
  parsePrivateFile,
  privateKeyObject,
  type KeyTiming,
  type PublicKeyFile,
} from './keyfile.js';
import { DNSKEY_FLAGS, type KeyState, type ZoneKey } from './types.js';

/** The keys folder's name inside a zone folder. */
export const KEYS_FOLDER = 'keys';

/** RFC 4034 appendix B: the key tag of a DNSKEY RDATA (every algorithm but 1, which we never read). */
export function keyTag(dnskey: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < dnskey.length; i++) ac += i & 1 ? dnskey[i]! : dnskey[i]! << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/** `K<apex>.+<alg>+<tag>`: the base name BIND gives a key's files (the apex with its final dot). */
export function keyBaseName(apex: DnsName, algorithm: number, tag: number): string {
  const text = nameToText(apex.wire).toLowerCase();
  return `K${text}+${String(algorithm).padStart(3, '0')}+${String(tag).padStart(5, '0')}`;
}

/**
 * The folder of zonesDir that holds the zone `apex` ('example.com' or 'example.com.', in any letter
 * case, as the loader reads folder names), or null when there is none. Throws when zonesDir cannot be read.
 */
export function findZoneFolder(zonesDir: string, apex: DnsName): string | null {
  for (const entry of readdirSync(zonesDir).sort()) {
    if (entry.startsWith('.')) continue;
    const name = parseName(entry.endsWith('.') ? entry : entry + '.', null);
    if (!name.ok || name.name.key !== apex.key) continue;
    try {
      if (statSync(join(zonesDir, entry)).isDirectory()) return entry; // a link to a folder too, as the loader
    } catch {
      // a dangling link: not a zone folder
    }
  }
  return null;
}

const KEY_FILE_NAME = /^K(.+)\+([0-9]{3})\+([0-9]{5})\.(key|private)$/;

export interface LoadedKeys {
  readonly keys: ZoneKey[];
  readonly errors: ZoneError[];
}

const error = (file: string, line: number, code: DnssecErrorCode, message: string): ZoneError => ({
  file,
  line,
  message,
  code,
});

/**
 * Reads `<zonesDir>/<zoneFolder>/keys/`. No keys/ folder: the zone is not signed (no keys, no error).
 * A keys/ folder without a single .key file is an error (the operator meant to sign), and so is a key
 * set of which no key is active at `now` (a signed zone that cannot sign). Files are paired by base
 * name; names not of the form K<name>.+<alg>+<tag>.key|.private (BIND's .state, .ds, backups) are
 * ignored. Errors name files relative to zonesDir, with the line.
 */
export function loadKeys(zonesDir: string, zoneFolder: string, apex: DnsName, now = Date.now()): LoadedKeys {
  const dir = join(zonesDir, zoneFolder, KEYS_FOLDER);
  const shown = (name: string): string => relative(zonesDir, join(dir, name));
  const keys: ZoneKey[] = [];
  const errors: ZoneError[] = [];
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory())
      return { keys, errors: [error(shown(''), 0, 'E_DNSSEC_KEYS_UNREADABLE', 'keys is not a folder')] };
    entries = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys, errors };
    return { keys, errors: [error(shown(''), 0, 'E_DNSSEC_KEYS_UNREADABLE', `keys folder ${fileErrorReason(err)}`)] };
  }
  const bases = new Map<string, { key: boolean; private: boolean; zone: string; algorithm: number; tag: number }>();
  for (const entry of entries) {
    const m = KEY_FILE_NAME.exec(entry);
    if (!m) continue;
    const base = entry.slice(0, entry.lastIndexOf('.'));
    const seen = bases.get(base) ?? { key: false, private: false, zone: m[1]!, algorithm: +m[2]!, tag: +m[3]! };
    seen[m[4] as 'key' | 'private'] = true;
    bases.set(base, seen);
  }
  if (![...bases.values()].some((b) => b.key)) {
    const message = `keys/ holds no key (K${nameToText(apex.wire)}+<alg>+<tag>.key): add one with gslb keygen, or remove keys/ to serve the zone unsigned`;
    return { keys, errors: [error(shown(''), 0, 'E_DNSSEC_NO_KEYS', message)] };
  }
  for (const [base, found] of bases) {
    const keyFile = shown(base + '.key');
    const privateFile = shown(base + '.private');
    const zone = parseName(found.zone, null);
    if (!zone.ok || zone.name.key !== apex.key) {
      const message = `a key for '${found.zone}', not for this zone '${nameToText(apex.wire)}'`;
      errors.push(error(found.key ? keyFile : privateFile, 0, 'E_DNSSEC_OTHER_ZONE', message));
      continue;
    }
    if (!found.key) {
      const message = `no ${base}.key beside it: the DNSKEY and its timing are in the .key file`;
      errors.push(error(privateFile, 0, 'E_DNSSEC_MISSING_PUBLIC', message));
      continue;
    }
    if (!found.private)
      errors.push(
        error(
          keyFile,
          0,
          'E_DNSSEC_MISSING_PRIVATE',
          `no ${base}.private beside it: without its private key the key cannot sign`,
        ),
      );
    const keyText = readText(dir, base + '.key', keyFile, errors);
    if (keyText === null) continue;
    const pub = parseKeyFile(keyText, keyFile, apex);
    if (!pub.value) {
      errors.push(...pub.errors);
      continue;
    }
    const tag = keyTag(pub.value.dnskey);
    if (tag !== found.tag || pub.value.algorithm !== found.algorithm) {
      const message = `the file name says algorithm ${found.algorithm} and key tag ${found.tag}, the DNSKEY is algorithm ${pub.value.algorithm} with tag ${tag} (${keyBaseName(apex, pub.value.algorithm, tag)})`;
      errors.push(error(keyFile, pub.value.line, 'E_DNSSEC_FILE_NAME_MISMATCH', message));
      continue;
    }
    if (!found.private) continue;
    const privateText = readText(dir, base + '.private', privateFile, errors);
    if (privateText === null) continue;
    const key = pairKey(pub.value, privateText, keyFile, privateFile, tag, errors);
    if (key) keys.push(key);
  }
  if (errors.length === 0 && keyStateAt(keys, now).zsks.length === 0) {
    const message = `no key is active now (${keys.map(describeTiming).join('; ')}): the zone cannot be signed`;
    errors.push(error(shown(''), 0, 'E_DNSSEC_NO_ACTIVE_KEY', message));
  }
  return errors.length > 0 ? { keys: [], errors } : { keys, errors };
}

function readText(dir: string, name: string, shown: string, errors: ZoneError[]): string | null {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch (err) {
    errors.push(error(shown, 0, 'E_DNSSEC_KEY_UNREADABLE', fileErrorReason(err)));
    return null;
  }
}

/** The .private read and checked against the .key: the same algorithm, the same key pair. */
function pairKey(
  pub: PublicKeyFile,
  privateText: string,
  keyFile: string,
  privateFile: string,
  tag: number,
  errors: ZoneError[],
): ZoneKey | null {
  const priv = parsePrivateFile(privateText, privateFile);
  if (!priv.value) {
    errors.push(...priv.errors);
    return null;
  }
  if (priv.value.algorithm !== pub.algorithm) {
    const message = `algorithm ${algorithmText(priv.value.algorithm)}, but the .key file's DNSKEY is algorithm ${algorithmText(pub.algorithm)}`;
    errors.push(error(privateFile, priv.value.line, 'E_DNSSEC_KEY_MISMATCH', message));
    return null;
  }
  const privateKey = privateKeyObject(pub.algorithm, priv.value.privateKey, pub.publicKey);
  if (typeof privateKey === 'string') {
    errors.push(error(privateFile, priv.value.line, 'E_DNSSEC_KEY_MISMATCH', privateKey));
    return null;
  }
  // dnssec-settime writes both files; when the .private has timing it is the one BIND itself reads.
  const timing: KeyTiming = priv.value.hasTiming ? priv.value.timing : pub.timing;
  return Object.freeze({
    file: keyFile,
    tag,
    algorithm: pub.algorithm,
    flags: pub.flags,
    sep: (pub.flags & DNSKEY_FLAGS.SEP) !== 0,
    dnskey: pub.dnskey,
    privateKey,
    publish: timing.publish,
    activate: timing.activate,
    inactive: timing.inactive,
    delete: timing.delete,
  });
}

function describeTiming(k: ZoneKey): string {
  const at = (ms: number | null) => (ms === null ? 'unset' : new Date(ms).toISOString().replace('.000Z', 'Z'));
  return `${k.tag}: activate ${at(k.activate)}, inactive ${at(k.inactive)}, delete ${at(k.delete)}`;
}

const isPast = (ms: number | null, now: number): boolean => ms !== null && ms <= now;

/** In the DNSKEY RRset at now: published (or active, which implies it), and not deleted. */
export function isPublished(k: ZoneKey, now: number): boolean {
  if (isPast(k.delete, now)) return false;
  return k.publish === null || k.publish <= now || isPast(k.activate, now);
}

/**
 * Signs at now: activated (a key without an Activate date signs once published, as keys without
 * timing do), not inactive, not deleted.
 */
export function isActive(k: ZoneKey, now: number): boolean {
  if (isPast(k.inactive, now) || isPast(k.delete, now)) return false;
  return k.activate === null ? k.publish === null || k.publish <= now : k.activate <= now;
}

/** The keys in force at nowMs (see KeyState in types.ts). Pure. */
export function keyStateAt(keys: readonly ZoneKey[], nowMs: number): KeyState {
  const sorted = [...keys].sort((a, b) => a.tag - b.tag || a.algorithm - b.algorithm);
  const published = sorted.filter((k) => isPublished(k, nowMs));
  const active = sorted.filter((k) => isActive(k, nowMs));
  const sepActive = active.filter((k) => k.sep);
  const nonSep = active.filter((k) => !k.sep);
  let nextChange = Infinity;
  for (const k of keys)
    for (const t of [k.publish, k.activate, k.inactive, k.delete])
      if (t !== null && t > nowMs && t < nextChange) nextChange = t;
  return Object.freeze({
    published: Object.freeze(published),
    zsks: Object.freeze(nonSep.length > 0 ? nonSep : sepActive),
    ksks: Object.freeze(sepActive.length > 0 ? sepActive : active),
    sepActive: Object.freeze(sepActive),
    nextChange,
  });
}
