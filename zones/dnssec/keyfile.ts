// BIND's key file format, read: `K<apex>.+<alg>+<tag>.key` (the DNSKEY record, timing in comments) and
// `.private` (Private-key-format v1.x: the private key and the timing), as dnssec-keygen,
// dnssec-settime and ldns-keygen write them. Algorithms 13 and 15 become Node KeyObjects.
import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseMasterFile } from '../masterfile.js';
import { nameToText, ROOT, type DnsName } from '../name.js';
import { decodeBase64 } from '../rdata.js';
import { QTYPE, type ZoneError } from '../records.js';
import type { DnssecErrorCode } from './dnssec-errors.js';
import { ALGORITHM, type Algorithm } from './types.js';

/** BIND's timing metadata, ms since the epoch; null when the file does not set it. */
export interface KeyTiming {
  created: number | null;
  publish: number | null;
  activate: number | null;
  inactive: number | null;
  delete: number | null;
}

/** The timing fields in the order BIND writes them, and their KeyTiming property. */
export const TIMING_FIELDS = [
  ['Created', 'created'],
  ['Publish', 'publish'],
  ['Activate', 'activate'],
  ['Inactive', 'inactive'],
  ['Delete', 'delete'],
] as const;

const TIMING_BY_FIELD: ReadonlyMap<string, keyof KeyTiming> = new Map(TIMING_FIELDS);

export const NO_TIMING: Readonly<KeyTiming> = Object.freeze({
  created: null,
  publish: null,
  activate: null,
  inactive: null,
  delete: null,
});

export const ALGORITHM_NAMES: ReadonlyMap<number, string> = new Map([
  [ALGORITHM.ECDSAP256SHA256, 'ECDSAP256SHA256'],
  [ALGORITHM.ED25519, 'ED25519'],
]);

/** Names of algorithms a key file may carry that we do not sign with, for the error message. */
const OTHER_ALGORITHMS: ReadonlyMap<number, string> = new Map([
  [1, 'RSAMD5'],
  [3, 'DSA'],
  [5, 'RSASHA1'],
  [6, 'NSEC3DSA'],
  [7, 'NSEC3RSASHA1'],
  [8, 'RSASHA256'],
  [10, 'RSASHA512'],
  [12, 'ECCGOST'],
  [14, 'ECDSAP384SHA384'],
  [16, 'ED448'],
]);

/** An algorithm's name for messages: "8 (RSASHA256)". */
export function algorithmText(n: number): string {
  const name = ALGORITHM_NAMES.get(n) ?? OTHER_ALGORITHMS.get(n);
  return name ? `${n} (${name})` : String(n);
}

export const SUPPORTED_ALGORITHMS = 'only 13 (ECDSAP256SHA256) and 15 (ED25519) are supported';

export function isSupportedAlgorithm(n: number): n is Algorithm {
  return n === ALGORITHM.ECDSAP256SHA256 || n === ALGORITHM.ED25519;
}

/** A BIND timestamp, YYYYMMDDHHMMSS in UTC, as ms since the epoch; null when it is not one. */
export function parseTimestamp(text: string): number | null {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls 20260231 over into March: a date that does not exist is not one.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}

/** ms since the epoch as a BIND timestamp (whole seconds, UTC). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The public half: the DNSKEY record of a .key file and the timing in its comments. */
export interface PublicKeyFile {
  /** The DNSKEY RDATA. */
  readonly dnskey: Buffer;
  readonly flags: number;
  readonly algorithm: Algorithm;
  /** The public key field of the DNSKEY (ECDSA P-256: x || y, 64 octets; Ed25519: 32 octets). */
  readonly publicKey: Buffer;
  readonly timing: KeyTiming;
  /** The DNSKEY record's line (for errors about the key). */
  readonly line: number;
}

/** The private half: the algorithm, the private key octets and the timing of a .private file. */
export interface PrivateKeyFile {
  readonly algorithm: number;
  readonly privateKey: Buffer;
  readonly timing: KeyTiming;
  /** The PrivateKey line (for a key that does not match). */
  readonly line: number;
  /** Whether any timing line is present (the .private's timing then wins over the .key's comments). */
  readonly hasTiming: boolean;
}

type Result<T> = { value: T; errors: [] } | { value: null; errors: ZoneError[] };

const failed = (file: string, line: number, code: DnssecErrorCode, message: string): Result<never> => ({
  value: null,
  errors: [{ file, line, message, code }],
});

/**
 * Reads a .key file of the zone `apex`: one DNSKEY record (owner [TTL] [IN] DNSKEY flags 3 alg key,
 * the key possibly split in pieces) and BIND's timing comments (`; Publish: 20261207040000 (...)`).
 * Only flags 256 and 257 and algorithms 13 and 15 are accepted.
 */
export function parseKeyFile(text: string, file: string, apex: DnsName): Result<PublicKeyFile> {
  const timing: KeyTiming = { ...NO_TIMING };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*;+\s*([A-Za-z]+):\s*(\S*)/.exec(lines[i]!);
    const field = m ? TIMING_BY_FIELD.get(m[1]!) : undefined;
    if (!m || field === undefined) continue;
    const ms = parseTimestamp(m[2]!);
    if (ms === null)
      return failed(file, i + 1, 'E_DNSSEC_BAD_KEY_FILE', `bad ${m[1]} date '${m[2]}': write YYYYMMDDHHMMSS (UTC)`);
    timing[field] = ms;
  }
  // The record is read as a master-file line: absolute owner, optional TTL and class, the same RDATA parser.
  const parsed = parseMasterFile(text, { file, origin: ROOT, defaultTtl: 0 });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0]!;
    return failed(file, e.line, 'E_DNSSEC_BAD_KEY_FILE', `not a DNSKEY record: ${e.message}`);
  }
  const [record, extra] = parsed.records;
  if (!record) return failed(file, 0, 'E_DNSSEC_BAD_KEY_FILE', 'no DNSKEY record in the file');
  if (extra) return failed(file, extra.line, 'E_DNSSEC_BAD_KEY_FILE', 'a second record: a .key file holds one DNSKEY');
  const line = record.line;
  if (record.type !== QTYPE.DNSKEY)
    return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', 'not a DNSKEY record: a .key file holds one DNSKEY');
  if (record.owner.key !== apex.key)
    return failed(
      file,
      line,
      'E_DNSSEC_OTHER_ZONE',
      `a key for '${nameToText(record.owner.wire)}', not for this zone '${nameToText(apex.wire)}'`,
    );
  const dnskey = record.rdata[0] as Buffer;
  const flags = dnskey.readUInt16BE(0);
  const algorithm = dnskey[3]!;
  if (!isSupportedAlgorithm(algorithm))
    return failed(
      file,
      line,
      'E_DNSSEC_UNSUPPORTED_ALGORITHM',
      `algorithm ${algorithmText(algorithm)} is not supported: ${SUPPORTED_ALGORITHMS}`,
    );
  if (flags !== 256 && flags !== 257)
    return failed(
      file,
      line,
      'E_DNSSEC_BAD_FLAGS',
      `DNSKEY flags ${flags}: a key in keys/ has 256 (zone-signing key) or 257 (key-signing or combined key)`,
    );
  const publicKey = dnskey.subarray(4);
  const want = algorithm === ALGORITHM.ECDSAP256SHA256 ? 64 : 32;
  if (publicKey.length !== want)
    return failed(
      file,
      line,
      'E_DNSSEC_BAD_KEY_FILE',
      `the public key of algorithm ${algorithmText(algorithm)} is ${want} octets, this one ${publicKey.length}`,
    );
  return { value: { dnskey, flags, algorithm, publicKey, timing, line }, errors: [] };
}

/**
 * Reads a .private file (Private-key-format: v1.x): Algorithm, PrivateKey and the timing lines.
 * Other fields (BIND's Successor, ldns' extras) are ignored; a field given twice is an error.
 */
export function parsePrivateFile(text: string, file: string): Result<PrivateKeyFile> {
  const timing: KeyTiming = { ...NO_TIMING };
  let format = false;
  let algorithm: number | null = null;
  let algorithmLine = 0;
  let privateKey: Buffer | null = null;
  let keyLine = 0;
  let hasTiming = false;
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith(';') || raw.startsWith('#')) continue;
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(raw);
    if (!m) return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', `not a 'Field: value' line: '${shorten(raw)}'`);
    const [, field, value] = m as unknown as [string, string, string];
    if (seen.has(field)) return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', `${field} is given twice`);
    seen.add(field);
    const timed = TIMING_BY_FIELD.get(field);
    if (field === 'Private-key-format') {
      const v = /^v1\.([0-9]+)$/.exec(value);
      if (!v) return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', `Private-key-format '${value}': only v1.x is read`);
      format = true;
    } else if (field === 'Algorithm') {
      const a = /^([0-9]{1,3})(\s.*)?$/.exec(value);
      if (!a || Number(a[1]) > 255)
        return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', `bad Algorithm '${value}': a number such as 13`);
      algorithm = Number(a[1]);
      algorithmLine = line;
    } else if (field === 'PrivateKey') {
      privateKey = decodeBase64(value.replace(/\s+/g, ''));
      keyLine = line;
      if (!privateKey) return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', 'PrivateKey is not base64');
    } else if (timed !== undefined) {
      const ms = parseTimestamp(value);
      if (ms === null)
        return failed(file, line, 'E_DNSSEC_BAD_KEY_FILE', `bad ${field} date '${value}': write YYYYMMDDHHMMSS (UTC)`);
      timing[timed] = ms;
      hasTiming = true;
    }
  }
  if (!format) return failed(file, 0, 'E_DNSSEC_BAD_KEY_FILE', "no 'Private-key-format: v1.x' line");
  if (algorithm === null) return failed(file, 0, 'E_DNSSEC_BAD_KEY_FILE', "no 'Algorithm:' line");
  if (!isSupportedAlgorithm(algorithm))
    return failed(
      file,
      algorithmLine,
      'E_DNSSEC_UNSUPPORTED_ALGORITHM',
      `algorithm ${algorithmText(algorithm)} is not supported: ${SUPPORTED_ALGORITHMS}`,
    );
  if (privateKey === null) return failed(file, 0, 'E_DNSSEC_BAD_KEY_FILE', "no 'PrivateKey:' line");
  return { value: { algorithm, privateKey, timing, line: keyLine, hasTiming }, errors: [] };
}

function shorten(text: string): string {
  return text.length > 40 ? text.slice(0, 40) + '...' : text;
}

const b64url = (b: Buffer): string => b.toString('base64url');

/** PKCS #8 header of an Ed25519 private key (RFC 8410): the 32-octet seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The private key as a Node KeyObject, after checking that it is the private half of `publicKey`
 * (the public key derived from it must equal the DNSKEY's); a message when it is not.
 */
export function privateKeyObject(algorithm: Algorithm, privateKey: Buffer, publicKey: Buffer): KeyObject | string {
  if (algorithm === ALGORITHM.ECDSAP256SHA256) {
    if (privateKey.length > 32 || privateKey.length === 0)
      return `the ECDSA P-256 private key is ${privateKey.length} octets, not 32`;
    const d = Buffer.concat([Buffer.alloc(32 - privateKey.length), privateKey]);
    let derived: Buffer;
    try {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(d);
      derived = ecdh.getPublicKey().subarray(1); // 0x04 || x || y
    } catch {
      return 'the ECDSA P-256 private key is not a valid one (out of range)';
    }
    if (!derived.equals(publicKey)) return "the private key does not belong to the .key file's public key";
    return createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: b64url(d),
        x: b64url(publicKey.subarray(0, 32)),
        y: b64url(publicKey.subarray(32)),
      },
      format: 'jwk',
    });
  }
  if (privateKey.length !== 32) return `the Ed25519 private key is ${privateKey.length} octets, not 32`;
  const key = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (x === undefined || !Buffer.from(x, 'base64url').equals(publicKey))
    return "the private key does not belong to the .key file's public key";
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(privateKey), x }, format: 'jwk' });
}
