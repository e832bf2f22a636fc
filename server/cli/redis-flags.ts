// The Redis connection flags every Redis command shares: the URL (--redis, --redis-url-file or
// GSLB_REDIS_URL, resolved by parse()), the key prefix, and the TLS files, read and checked once here.
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { parseRedisUrl, type RedisTls } from '../../health/redis-connect.js';
import { pemCertificates } from '../../zones/pem.js';
import { UsageError, type Origins } from './args.js';
import { fileLabel, FlagFileError, readFlagFile, worldReadableWarning } from './flag-files.js';

export interface RedisFlags {
  readonly url: string;
  readonly prefix: string;
  readonly tls?: RedisTls;
  /** Where the URL came from: `--redis`, `--redis-url-file PATH` or `GSLB_REDIS_URL`. */
  readonly urlFrom: string;
  /** To log once the logger exists: a key file every user can read, a client certificate out of date. */
  readonly warnings: readonly string[];
}

interface RedisFlagValues {
  redis?: string;
  'redis-prefix': string;
  'redis-tls-ca'?: string;
  'redis-tls-cert'?: string;
  'redis-tls-key'?: string;
}

/** Every certificate in a PEM file, parsed; FlagFileError when there is none or one is damaged. */
function certificates(where: string, bytes: Buffer): X509Certificate[] {
  try {
    return pemCertificates(bytes);
  } catch (err) {
    throw new FlagFileError('E_START_TLS_BAD_CERTIFICATE', `${where}: ${(err as Error).message}`);
  }
}

function privateKey(where: string, bytes: Buffer): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(bytes.toString('latin1')))
    throw new FlagFileError(
      'E_START_TLS_KEY_ENCRYPTED',
      `${where}: the key is encrypted; give it unencrypted (openssl pkey -in KEY -out PLAIN)`,
    );
  try {
    return createPrivateKey(bytes);
  } catch (err) {
    throw new FlagFileError('E_START_TLS_BAD_KEY', `${where}: not a PEM private key: ${(err as Error).message}`);
  }
}

/** When a certificate is outside its validity period, the warning to log; it is not refused (Redis decides). */
function validityWarning(where: string, cert: X509Certificate, now: number): string | null {
  if (Date.parse(cert.validTo) < now) return `${where}: the certificate expired on ${cert.validTo}`;
  if (Date.parse(cert.validFrom) > now) return `${where}: the certificate is valid only from ${cert.validFrom}`;
  return null;
}

/**
 * The TLS files, read once at start and checked: PEM, the key unencrypted and matching the
 * certificate. FlagFileError names the flag (or environment variable) and the file.
 */
function readTlsFiles(values: RedisFlagValues, origins: Origins, warnings: string[]): RedisTls | undefined {
  const label = (flag: keyof RedisFlagValues) => fileLabel(origins[flag] ?? `--${flag}`, values[flag]!);
  const caPath = values['redis-tls-ca'];
  const certPath = values['redis-tls-cert'];
  const keyPath = values['redis-tls-key'];
  if ((certPath === undefined) !== (keyPath === undefined))
    throw new UsageError(
      'E_CLI_FLAG_NEEDS_FLAG',
      certPath === undefined
        ? `${label('redis-tls-key')} needs its certificate: --redis-tls-cert FILE (or GSLB_REDIS_TLS_CERT)`
        : `${label('redis-tls-cert')} needs its key: --redis-tls-key FILE (or GSLB_REDIS_TLS_KEY)`,
    );
  if (caPath === undefined && certPath === undefined) return undefined;
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  if (caPath !== undefined) {
    const where = label('redis-tls-ca');
    tls.ca = readFlagFile(where, caPath).bytes;
    certificates(where, tls.ca);
  }
  if (certPath !== undefined && keyPath !== undefined) {
    const certWhere = label('redis-tls-cert');
    const keyWhere = label('redis-tls-key');
    tls.cert = readFlagFile(certWhere, certPath).bytes;
    const key = readFlagFile(keyWhere, keyPath);
    tls.key = key.bytes;
    const leaf = certificates(certWhere, tls.cert)[0]!;
    if (!leaf.checkPrivateKey(privateKey(keyWhere, tls.key)))
      throw new FlagFileError(
        'E_START_TLS_KEY_MISMATCH',
        `${keyWhere}: this key does not belong to the certificate in ${certPath}`,
      );
    const expiry = validityWarning(certWhere, leaf, Date.now());
    if (expiry) warnings.push(expiry);
    const readable = worldReadableWarning(keyWhere, key.stat);
    if (readable) warnings.push(readable);
  }
  return tls;
}

/**
 * The Redis flags, checked: null when no URL was given (serve without Redis), a UsageError for a bad
 * URL or prefix or TLS files without a TLS URL, a FlagFileError for a TLS file that cannot be used.
 */
export function redisFlags(values: RedisFlagValues, origins: Origins): RedisFlags | null {
  const tlsFlag = (['redis-tls-ca', 'redis-tls-cert', 'redis-tls-key'] as const).find((f) => values[f] !== undefined);
  const tlsGiven = tlsFlag === undefined ? '' : (origins[tlsFlag] ?? `--${tlsFlag}`);
  if (!values.redis) {
    if (tlsFlag)
      throw new UsageError(
        'E_CLI_FLAG_NEEDS_FLAG',
        `${tlsGiven} is given but no Redis URL (--redis, --redis-url-file or GSLB_REDIS_URL)`,
      );
    return null;
  }
  const prefix = values['redis-prefix'];
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(prefix))
    throw new UsageError('E_CLI_BAD_VALUE', '--redis-prefix must be 1-64 of A-Z a-z 0-9 : _ . -');
  const urlFrom = origins['redis'] ?? '--redis';
  let plain: { tls: boolean; display: string };
  try {
    plain = parseRedisUrl(values.redis);
  } catch (err) {
    throw new UsageError('E_CLI_BAD_REDIS_URL', `${(err as Error).message} (from ${urlFrom})`);
  }
  // Certificates with a plain URL are refused, not taken to mean TLS: the URL says what is spoken.
  // Checked here (the one place), before the files are read, naming the flag.
  if (tlsFlag && !plain.tls)
    throw new UsageError(
      'E_CLI_CONFLICTING_FLAGS',
      `${tlsGiven} is given but the Redis URL (${plain.display}, from ${urlFrom}) is not TLS: use rediss:// (sentinels:// for Sentinel)`,
    );
  const warnings: string[] = [];
  const tls = readTlsFiles(values, origins, warnings);
  return { url: values.redis, prefix, ...(tls ? { tls } : {}), urlFrom, warnings };
}
