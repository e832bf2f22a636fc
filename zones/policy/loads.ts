// The loads section: each load source (where load figures are read) with its defaults and the keys
// that fit its type.
import type { LoadSource, PassiveHealth } from '../policy-types.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';
import type { Raw } from './merge.js';
import { durationMs, ratio, validUrl } from './values.js';

export function buildLoadSource(name: string, raw: Raw, f: PolicyFile, errs: Collector): LoadSource {
  const type = raw['type'] as LoadSource['type'];
  const path = ['loads', name];
  const intervalMs = durationMs(raw['interval'], 2000);
  const timeoutMs = durationMs(raw['timeout'], Math.min(1000, intervalMs));
  if (intervalMs < 100) errs.at(f, [...path, 'interval'], 'E_POLICY_INTERVAL_TOO_SHORT', 'must be at least 100ms');
  if (timeoutMs > intervalMs)
    errs.at(f, [...path, 'timeout'], 'E_POLICY_TIMEOUT_TOO_LONG', `must not exceed the interval (${intervalMs}ms)`);
  const figures = (raw['figures'] as Record<string, string | string[]> | undefined) ?? {};
  const generic = type === 'prometheus' || type === 'json';
  if (!generic && raw['figures'] !== undefined)
    errs.at(
      f,
      [...path, 'figures'],
      'E_POLICY_NOT_APPLICABLE',
      `only applies to prometheus and json sources (${type}'s figures are fixed)`,
    );
  if (generic && figures['connections'] === undefined)
    errs.at(f, [...path, 'figures'], 'E_POLICY_NEEDS_KEY', `a ${type} source needs figures.connections`);
  if (type === 'haproxy' && raw['proxy'] === undefined)
    errs.at(f, path, 'E_POLICY_NEEDS_KEY', "a haproxy source needs 'proxy' (the pxname of the row to read)");
  if (type !== 'haproxy')
    for (const k of ['proxy', 'server'])
      if (raw[k] !== undefined) errs.at(f, [...path, k], 'E_POLICY_NOT_APPLICABLE', 'only applies to haproxy sources');
  const url = (raw['url'] as string) ?? null;
  if (url !== null && !validUrl(url.replaceAll('{address}', '192.0.2.1')))
    errs.at(f, [...path, 'url'], 'E_POLICY_BAD_URL', `'${url}' is not a valid URL`);
  const p = raw['passive'] as Raw | undefined;
  let passive: PassiveHealth | null = null;
  if (p) {
    passive = Object.freeze({
      maxErrorRate: ratio(p['max_error_rate'], 0),
      minRequests: (p['min_requests'] as number) ?? 10,
      rise: (p['rise'] as number) ?? 2,
      fall: (p['fall'] as number) ?? 2,
    });
    if (type === 'nginx')
      errs.at(f, [...path, 'passive'], 'E_POLICY_NOT_APPLICABLE', 'nginx stub_status gives no error counts');
    if (generic && (figures['errors'] === undefined || figures['requests'] === undefined))
      errs.at(
        f,
        [...path, 'passive'],
        'E_POLICY_NEEDS_KEY',
        'passive health needs figures.errors and figures.requests',
      );
  }
  const one = (k: string) => (typeof figures[k] === 'string' ? (figures[k] as string) : null);
  const bytes = figures['bytes'];
  return Object.freeze({
    name,
    type,
    url,
    headers: Object.freeze({ ...((raw['headers'] as Record<string, string>) ?? {}) }),
    proxy: (raw['proxy'] as string) ?? null,
    server: (raw['server'] as string) ?? 'FRONTEND',
    selectors: Object.freeze({
      connections: one('connections'),
      capacity: one('capacity'),
      bytes: Object.freeze(bytes === undefined ? [] : typeof bytes === 'string' ? [bytes] : [...bytes]),
      bandwidth: one('bandwidth'),
      errors: one('errors'),
      requests: one('requests'),
    }),
    tlsVerify: (raw['tls_verify'] as boolean) ?? true,
    intervalMs,
    timeoutMs,
    jitterMs: durationMs(raw['jitter'], Math.round(intervalMs / 10)),
    maxAgeMs: durationMs(raw['max_age'], intervalMs * 5),
    smoothingMs: durationMs(raw['smoothing'], 5000),
    capacity: (raw['capacity'] as number) ?? null,
    passive,
  });
}
