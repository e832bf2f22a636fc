// Writes a new key pair in BIND's format (what dnssec-keygen writes, so BIND's tools read it and the
// key reader reads BIND's): `K<apex>.+<alg>+<tag>.key` and `.private` (mode 0600), Created, Publish
// and Activate set to now: the key is published and signs from the next load.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameToText, type DnsName } from '../name.js';
import { ALGORITHM_NAMES, formatTimestamp, TIMING_FIELDS, type KeyTiming } from './keyfile.js';
import { keyBaseName, keyTag } from './keys.js';
import { ALGORITHM, DNSKEY_FLAGS, type Algorithm } from './types.js';

export interface GeneratedKey {
  /** `K<apex>.+<alg>+<tag>`, the files' name without .key / .private. */
  readonly baseName: string;
  readonly tag: number;
  readonly keyFile: string;
  readonly privateFile: string;
  readonly dnskey: Buffer;
}

export interface KeygenOptions {
  readonly algorithm?: Algorithm;
  /** 257 (key-signing or combined key, the default) or 256 (zone-signing key). */
  readonly flags?: 256 | 257;
  /** Created, Publish and Activate (ms; whole seconds are written). */
  readonly now?: number;
}

/** A fresh key pair: the DNSKEY public key field and the private key octets as BIND stores them. */
function freshPair(algorithm: Algorithm): { publicKey: Buffer; privateKey: Buffer } {
  if (algorithm === ALGORITHM.ECDSAP256SHA256) {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const part = (v: string | undefined) => Buffer.from(v!, 'base64url');
    return { publicKey: Buffer.concat([part(jwk.x), part(jwk.y)]), privateKey: part(jwk.d) };
  }
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return { publicKey: Buffer.from(jwk.x!, 'base64url'), privateKey: Buffer.from(jwk.d!, 'base64url') };
}

/** A date as BIND's comments show it, ctime style in UTC: `Mon Dec  7 04:08:51 2026`. */
function ctime(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const month = d.toUTCString().slice(8, 11);
  const time = d.toISOString().slice(11, 19);
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2)} ${time} ${d.getUTCFullYear()}`;
}

/** The public key in base64, cut in pieces of 56 characters as dnssec-keygen writes it. */
function base64Pieces(key: Buffer): string {
  return (key.toString('base64').match(/.{1,56}/g) ?? []).join(' ');
}

/** The two files' text for a key (exported for tests: the format is BIND's, line by line). */
export function keyFileTexts(
  apex: DnsName,
  dnskey: Buffer,
  privateKey: Buffer,
  timing: KeyTiming,
): { key: string; private: string } {
  const tag = keyTag(dnskey);
  const flags = dnskey.readUInt16BE(0);
  const algorithm = dnskey[3]!;
  const owner = nameToText(apex.wire);
  const kind = flags & DNSKEY_FLAGS.SEP ? 'key-signing' : 'zone-signing';
  const key = [`; This is a ${kind} key, keyid ${tag}, for ${owner}`];
  const priv = [
    'Private-key-format: v1.3',
    `Algorithm: ${algorithm} (${ALGORITHM_NAMES.get(algorithm)})`,
    `PrivateKey: ${privateKey.toString('base64')}`,
  ];
  for (const [field, prop] of TIMING_FIELDS) {
    const ms = timing[prop];
    if (ms === null) continue;
    key.push(`; ${field}: ${formatTimestamp(ms)} (${ctime(ms)})`);
    priv.push(`${field}: ${formatTimestamp(ms)}`);
  }
  key.push(`${owner} IN DNSKEY ${flags} 3 ${algorithm} ${base64Pieces(dnskey.subarray(4))}`);
  return { key: key.join('\n') + '\n', private: priv.join('\n') + '\n' };
}

/**
 * Generates a key pair for `apex` into keysDir (created, mode 0700, when missing). A file name already
 * taken (another key with the same tag) draws a new key rather than overwrite anything.
 */
export function generateKeyFiles(keysDir: string, apex: DnsName, options: KeygenOptions = {}): GeneratedKey {
  const algorithm = options.algorithm ?? ALGORITHM.ECDSAP256SHA256;
  const flags = options.flags ?? 257;
  const now = Math.floor((options.now ?? Date.now()) / 1000) * 1000;
  const timing: KeyTiming = { created: now, publish: now, activate: now, inactive: null, delete: null };
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  for (;;) {
    const pair = freshPair(algorithm);
    const fixed = Buffer.from([flags >> 8, flags & 0xff, 3, algorithm]);
    const dnskey = Buffer.concat([fixed, pair.publicKey]);
    const tag = keyTag(dnskey);
    const baseName = keyBaseName(apex, algorithm, tag);
    const keyFile = join(keysDir, baseName + '.key');
    const privateFile = join(keysDir, baseName + '.private');
    const texts = keyFileTexts(apex, dnskey, pair.privateKey, timing);
    try {
      // The private key first, exclusive and 0600 from its creation: never readable by others, even briefly.
      writeFileSync(privateFile, texts.private, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      writeFileSync(keyFile, texts.key, { mode: 0o644, flag: 'wx' });
    } catch (err) {
      unlinkSync(privateFile); // a .key left without its .private: leave it alone, draw another key
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    return { baseName, tag, keyFile, privateFile, dnskey };
  }
}
