// One entry of a name's pool: an address (IPv4 or IPv6), or one with a weight, a probe target or a
// load_url; or a CNAME target (`cname: HOST`), answered as one CNAME and probed by its host name.
import { ipFamily } from '../address.js';
import { parseName, ROOT, type DnsName } from '../name.js';
import type { Endpoint } from '../policy-types.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';
import type { Path } from './sections.js';

export type RawEndpoint =
  string | { address?: string; cname?: string; weight?: number; probe?: string; load_url?: string };

/** The path of entry i of a name's pool dc: made only for an error (400,000 endpoints, 400,000 arrays). */
export const entryPath = (name: Path, dc: string, i: number): Path => [...name, 'pools', dc, i];

// A host name as agents resolve it and resolvers follow it: letters, digits, '-' and '_' per label.
const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A CNAME target: an absolute host name, with or without the trailing dot (it is absolute either
 * way: never relative to the zone). Its text (lower case, no trailing dot) and wire form, or why not.
 */
export function parseCnameTarget(text: string): { text: string; name: DnsName } | string {
  const lower = text.toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (bare === '' || !bare.split('.').every((l) => HOST_LABEL.test(l)))
    return `'${text}' is not a host name (labels of letters, digits, '-' and '_', at most 63 each)`;
  const parsed = parseName(bare, ROOT);
  if (!parsed.ok) return parsed.error;
  return { text: bare, name: parsed.name };
}

/** Entry i of the pool dc of the name at path `name`; null after an error. */
export function buildEndpoint(
  raw: RawEndpoint,
  dc: string,
  name: Path,
  i: number,
  f: PolicyFile,
  errs: Collector,
): Endpoint | null {
  if (typeof raw !== 'string' && raw.cname !== undefined) return cnameEndpoint(raw, dc, name, i, f, errs);
  if (typeof raw !== 'string' && raw.address === undefined) {
    errs.at(f, entryPath(name, dc, i), 'E_POLICY_MISSING_KEY', "an entry needs 'address' or 'cname'");
    return null;
  }
  const address = typeof raw === 'string' ? raw : raw.address!;
  const family = ipFamily(address);
  if (family === 0) {
    errs.at(
      f,
      typeof raw === 'string' ? entryPath(name, dc, i) : [...entryPath(name, dc, i), 'address'],
      'E_POLICY_BAD_ADDRESS',
      `'${address}' is not an IPv4 or IPv6 address`,
    );
    return null;
  }
  if (typeof raw === 'string')
    return Object.freeze({ address, family, weight: 1, probe: null, loadUrl: null, datacenter: dc });
  // No cname key on address entries: 400,000 endpoints need not carry a null each.
  return Object.freeze({
    address,
    family,
    weight: raw.weight ?? 1,
    probe: probeOf(raw.probe, name, dc, i, f, errs),
    loadUrl: raw.load_url ?? null,
    datacenter: dc,
  });
}

function cnameEndpoint(
  raw: Exclude<RawEndpoint, string>,
  dc: string,
  name: Path,
  i: number,
  f: PolicyFile,
  errs: Collector,
): Endpoint | null {
  if (raw.address !== undefined) {
    errs.at(f, entryPath(name, dc, i), 'E_POLICY_MIXED_ENDPOINTS', "an entry has both 'address' and 'cname': give one");
    return null;
  }
  const target = parseCnameTarget(raw.cname!);
  if (typeof target === 'string') {
    errs.at(f, [...entryPath(name, dc, i), 'cname'], 'E_POLICY_BAD_CNAME', target);
    return null;
  }
  return Object.freeze({
    address: target.text,
    family: 0,
    cname: target.name,
    weight: raw.weight ?? 1,
    probe: probeOf(raw.probe, name, dc, i, f, errs),
    loadUrl: raw.load_url ?? null,
    datacenter: dc,
  });
}

function probeOf(
  text: string | undefined,
  name: Path,
  dc: string,
  i: number,
  f: PolicyFile,
  errs: Collector,
): Endpoint['probe'] {
  if (text === undefined) return null;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::([0-9]{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? null : Number(m[3]);
  if (!m || (port !== null && (port < 1 || port > 65535))) {
    errs.at(
      f,
      [...entryPath(name, dc, i), 'probe'],
      'E_POLICY_BAD_PROBE',
      `'${text}' must be HOST:PORT (or HOST, or [IPv6]:PORT)`,
    );
    return null;
  }
  return Object.freeze({ host: m[1] ?? m[2]!, port });
}
