// The datacenters section: each entry as a frozen Datacenter (the schema has checked every value).
import type { Datacenter } from '../policy-types.js';
import type { Raw } from './merge.js';

export function buildDatacenter(name: string, raw: Raw): Datacenter {
  const loc = raw['location'] as { lat: number; lon: number } | undefined;
  return Object.freeze({
    name,
    location: loc ? Object.freeze({ lat: loc.lat, lon: loc.lon }) : null,
    bias: (raw['bias'] as number) ?? 0,
    capacity: (raw['capacity'] as number) ?? null,
  });
}
