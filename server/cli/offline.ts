// What the commands that answer without serving (check, explain, simulate) share: zones loaded by the
// same loader as serve with errors printed once, and a static health view with some datacenters down.
import type { GeoData } from '../../geo/geoip.js';
import { StaticHealth } from '../../health/static-health.js';
import type { HealthView } from '../../health/view.js';
import { loadZones } from '../../zones/load.js';
import { asnRegionErrors } from '../gslb/regions.js';
import { withBoundedHeapGrowth } from '../heap.js';
import { formatZoneError } from '../../zones/records.js';
import type { Zone } from '../../zones/zone.js';
import { UsageError } from './args.js';

/** The zones in dir, or null after printing every error as file:line: message [code] (exit code 1). */
export function loadValidZones(dir: string): Zone[] | null {
  const result = withBoundedHeapGrowth(() => loadZones(dir));
  if (result.errors.length === 0) return result.zones;
  for (const e of result.errors) process.stderr.write(formatZoneError(e) + '\n');
  process.stderr.write(`${result.errors.length} error(s); the configuration is not valid\n`);
  return null;
}

/** False after printing each region that matches asns without an ASN database, as serve refuses them. */
export function geoServesZones(zones: readonly Zone[], geo: GeoData): boolean {
  const errors = asnRegionErrors(zones, geo);
  for (const e of errors) process.stderr.write(formatZoneError(e) + '\n');
  if (errors.length > 0) process.stderr.write(`${errors.length} error(s); the configuration is not valid\n`);
  return errors.length === 0;
}

/**
 * Every endpoint up (no probes run offline) except in the datacenters given, which are drained as
 * `gslb drain --datacenter` takes them out; a name no zone defines is a usage error, not a no-op.
 */
export function healthWithDown(zones: readonly Zone[], down: readonly string[]): HealthView {
  const known = new Set<string>();
  for (const z of zones) for (const dc of z.policy.datacenters.keys()) known.add(dc);
  const health = new StaticHealth();
  for (const dc of down) {
    if (!known.has(dc))
      throw new UsageError(
        'E_CLI_UNKNOWN_DATACENTER',
        `--down '${dc}': no such datacenter (known: ${[...known].join(', ')})`,
      );
    health.drain(dc);
  }
  return health.view();
}
