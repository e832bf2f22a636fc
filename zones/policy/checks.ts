// The checks section: each health check with its defaults, the keys that fit its type, and its tls_ca read.
import { createHash } from 'node:crypto';
import {
  DEFAULT_EXPIRY_WARN_DAYS,
  type Check,
  type CheckType,
  type Datacenter,
  type ProbeFrom,
} from '../policy-types.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';
import type { Raw } from './merge.js';
import { readTlsCa, type Externals } from './tls-ca.js';
import { durationMs } from './values.js';

const DEFAULT_PORT: Record<CheckType, number> = { tcp: 80, http: 80, https: 443, dns: 53, tls: 443 };

/** A check's `from`: all (the default), local, or a list of known datacenters. */
function buildFrom(
  name: string,
  raw: unknown,
  f: PolicyFile,
  errs: Collector,
  datacenters: ReadonlyMap<string, Datacenter>,
): ProbeFrom {
  if (raw === undefined || raw === 'all') return 'all';
  if (raw === 'local') return 'local';
  const list = raw as string[];
  list.forEach((dc, i) => {
    if (!datacenters.has(dc)) errs.unknown(f, ['checks', name, 'from', i], 'datacenters', dc, datacenters.keys());
  });
  return Object.freeze(list.slice());
}

export function buildCheck(
  name: string,
  raw: Raw,
  f: PolicyFile,
  errs: Collector,
  ext: Externals,
  datacenters: ReadonlyMap<string, Datacenter>,
): Check {
  const type = raw['type'] as CheckType;
  const intervalMs = durationMs(raw['interval'], 5000);
  const timeoutMs = durationMs(raw['timeout'], Math.min(2000, intervalMs));
  const only = (keys: readonly string[], types: string) => {
    for (const k of keys)
      if (raw[k] !== undefined)
        errs.at(f, ['checks', name, k], 'E_POLICY_NOT_APPLICABLE', `only applies to ${types} checks`);
  };
  if (intervalMs < 100)
    errs.at(f, ['checks', name, 'interval'], 'E_POLICY_INTERVAL_TOO_SHORT', 'must be at least 100ms');
  if (timeoutMs > intervalMs)
    errs.at(
      f,
      ['checks', name, 'timeout'],
      'E_POLICY_TIMEOUT_TOO_LONG',
      `must not exceed the interval (${intervalMs}ms)`,
    );
  if (type === 'dns' && raw['query'] === undefined)
    errs.at(f, ['checks', name], 'E_POLICY_NEEDS_KEY', "a dns check needs 'query'");
  if (type !== 'http' && type !== 'https') only(['path', 'host', 'body', 'follow_redirects'], 'http and https');
  if (type !== 'https' && type !== 'tls') only(['sni', 'tls_verify', 'tls_ca'], 'https and tls');
  if (type !== 'tls') only(['expiry_warn_days'], 'tls');
  const tlsVerify = (raw['tls_verify'] as boolean) ?? true;
  let tlsCa: string | null = null;
  if (raw['tls_ca'] !== undefined && (type === 'https' || type === 'tls')) {
    if (!tlsVerify)
      errs.at(f, ['checks', name, 'tls_ca'], 'E_POLICY_NOT_APPLICABLE', 'has no effect with tls_verify: false');
    else tlsCa = readTlsCa(name, raw['tls_ca'] as string, f, errs, ext);
  }
  return Object.freeze({
    name,
    type,
    port: (raw['port'] as number) ?? DEFAULT_PORT[type],
    path: (raw['path'] as string) ?? '/',
    expect: Object.freeze((raw['expect'] as number[]) ?? (type === 'dns' ? [0] : [200])),
    host: (raw['host'] as string) ?? null,
    sni: (raw['sni'] as string) ?? null,
    tlsVerify,
    tlsCa,
    tlsCaDigest: tlsCa === null ? null : createHash('sha256').update(tlsCa).digest('base64'),
    expiryWarnDays: (raw['expiry_warn_days'] as number) ?? DEFAULT_EXPIRY_WARN_DAYS,
    body: (raw['body'] as string) ?? null,
    followRedirects: (raw['follow_redirects'] as boolean) ?? false,
    query: (raw['query'] as string) ?? null,
    qtype: ((raw['qtype'] as string) ?? 'SOA').toUpperCase(),
    intervalMs,
    timeoutMs,
    jitterMs: durationMs(raw['jitter'], Math.round(intervalMs / 10)),
    rise: (raw['rise'] as number) ?? 1,
    fall: (raw['fall'] as number) ?? 1,
    from: buildFrom(name, raw['from'], f, errs, datacenters),
  });
}
