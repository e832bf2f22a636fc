// Readable Prometheus labels for probe and load targets, from their internal keys (health/view.ts):
// a check target is CHECK|HOST|PORT|FINGERPRINT, a load read load:SOURCE|URL|FINGERPRINT. The
// fingerprint (of the check's or the source's settings) only tells apart versions of one check; when
// two targets would get the same labels, the zone whose policy defines each version tells them apart.
import { LOAD_KEY_PREFIX, isLoadKey, loadKey, targetKey } from '../health/view.js';
import type { Endpoint, PolicyConfig } from '../zones/policy-types.js';
import type { Catalog } from './catalog.js';

export interface CheckTargetLabels {
  readonly check: string;
  /** HOST:PORT probed, [IPv6]:PORT. */
  readonly target: string;
}

export interface LoadTargetLabels {
  readonly source: string;
  readonly url: string;
}

/** A check target's key in parts (check names have no '|'; a host name may). */
function splitCheckKey(key: string): { check: string; host: string; port: string } | null {
  if (isLoadKey(key)) return null;
  const fp = key.lastIndexOf('|');
  const port = key.lastIndexOf('|', fp - 1);
  const first = key.indexOf('|');
  if (first < 0 || port <= first) return null;
  return { check: key.slice(0, first), host: key.slice(first + 1, port), port: key.slice(port + 1, fp) };
}

/** A check target's labels, or null for a load read's key. */
export function checkTargetLabels(key: string): CheckTargetLabels | null {
  const k = splitCheckKey(key);
  if (!k) return null;
  return { check: k.check, target: `${k.host.includes(':') ? `[${k.host}]` : k.host}:${k.port}` };
}

/** A load read's labels, or null for a check target's key. */
export function loadTargetLabels(key: string): LoadTargetLabels | null {
  if (!isLoadKey(key)) return null;
  const fp = key.lastIndexOf('|');
  // Load URLs are http:// or https:// (the policy schema): the source name ends where the URL starts.
  const url = key.search(/\|https?:\/\//);
  if (url < 0 || fp <= url) return null;
  return { source: key.slice(LOAD_KEY_PREFIX.length, url), url: key.slice(url + 1, fp) };
}

/** A zone's policy, by its apex. */
export interface ZonePolicy {
  readonly zone: string;
  readonly policy: Pick<PolicyConfig, 'checks' | 'loads'>;
}

export function zonePolicies(catalog: Catalog): ZonePolicy[] {
  return [...catalog.zones.values()].map((z) => ({ zone: z.name, policy: z.zone.policy }));
}

/**
 * The first zone (by apex) whose policy defines the key's check or load source as the key has it: two
 * keys that share their labels differ in the settings of a check or source of the same name, and a
 * zone has one definition of each name, so they never get the same zone.
 */
export function definingZone(key: string, zones: readonly ZonePolicy[]): string | null {
  const c = splitCheckKey(key);
  const l = c ? null : loadTargetLabels(key);
  for (const z of [...zones].sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0))) {
    if (c) {
      const check = z.policy.checks.get(c.check);
      if (check && targetKey(check, endpointAt({ host: c.host, port: Number(c.port) }, null)) === key) return z.zone;
    } else if (l) {
      const source = z.policy.loads.get(l.source);
      if (source && loadKey(source, endpointAt(null, l.url)) === key) return z.zone;
    }
  }
  return null;
}

/** An endpoint probed at `probe`, or read at `loadUrl`: all a key is made of. */
function endpointAt(probe: Endpoint['probe'], loadUrl: string | null): Endpoint {
  return { address: probe?.host ?? '', family: 4, weight: 1, probe, loadUrl, datacenter: '' };
}

/**
 * Prometheus labels for each key: check and target, or source and url, plus `zone` on the keys that
 * would otherwise share their labels with another (the same check name defined differently in two
 * zones, probing the same address and port).
 */
export function targetLabels(
  keys: Iterable<string>,
  zones: readonly ZonePolicy[],
): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const byLabels = new Map<string, string[]>();
  for (const key of keys) {
    const labels = checkTargetLabels(key) ?? loadTargetLabels(key);
    if (!labels) continue;
    out.set(key, { ...labels });
    const id = JSON.stringify(labels);
    const same = byLabels.get(id);
    if (same) same.push(key);
    else byLabels.set(id, [key]);
  }
  for (const same of byLabels.values())
    if (same.length > 1) for (const key of same) out.get(key)!.zone = definingZone(key, zones) ?? '';
  return out;
}
