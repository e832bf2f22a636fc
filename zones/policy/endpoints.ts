// One entry of a name's pool: an address (IPv4 or IPv6), or one with a weight, a probe target or a
// load_url.
import { ipFamily } from '../address.js';
import type { Endpoint } from '../policy-types.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';
import type { Path } from './sections.js';

export type RawEndpoint = string | { address: string; weight?: number; probe?: string; load_url?: string };

/** The path of entry i of a name's pool dc: made only for an error (400,000 endpoints, 400,000 arrays). */
export const entryPath = (name: Path, dc: string, i: number): Path => [...name, 'pools', dc, i];

/** Entry i of the pool dc of the name at path `name`; null after an error. */
export function buildEndpoint(
  raw: RawEndpoint,
  dc: string,
  name: Path,
  i: number,
  f: PolicyFile,
  errs: Collector,
): Endpoint | null {
  const address = typeof raw === 'string' ? raw : raw.address;
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
  let probe: Endpoint['probe'] = null;
  if (raw.probe !== undefined) {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::([0-9]{1,5}))?$/.exec(raw.probe);
    const port = m?.[3] === undefined ? null : Number(m[3]);
    if (!m || (port !== null && (port < 1 || port > 65535)))
      errs.at(
        f,
        [...entryPath(name, dc, i), 'probe'],
        'E_POLICY_BAD_PROBE',
        `'${raw.probe}' must be HOST:PORT (or HOST, or [IPv6]:PORT)`,
      );
    else probe = Object.freeze({ host: m[1] ?? m[2]!, port });
  }
  return Object.freeze({
    address,
    family,
    weight: raw.weight ?? 1,
    probe,
    loadUrl: raw.load_url ?? null,
    datacenter: dc,
  });
}
