// What the commands that answer without serving (check, explain, simulate) share: zones loaded by the
// same loader as serve with errors printed once, and a static health view with some datacenters down.
import type { GeoData } from '../../geo/geoip.js';
import { StaticHealth } from '../../health/static-health.js';
import { datacenterDrainField } from '../../health/drains.js';
import type { HealthView } from '../../health/view.js';
import { ViewBuilder, type ViewParts } from '../../health/view-builder.js';
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

/** The --down datacenters, each checked against the zones': a name no zone defines is a usage error, not a no-op. */
export function checkDown(zones: readonly Zone[], down: readonly string[]): void {
  const known = new Set<string>();
  for (const z of zones) for (const dc of z.policy.datacenters.keys()) known.add(dc);
  for (const dc of down)
    if (!known.has(dc))
      throw new UsageError(
        'E_CLI_UNKNOWN_DATACENTER',
        `--down '${dc}': no such datacenter (known: ${[...known].join(', ')})`,
      );
}

/**
 * Every endpoint up (no probes run offline) except in the datacenters given, which are drained as
 * `gslb drain --datacenter` takes them out.
 */
export function healthWithDown(zones: readonly Zone[], down: readonly string[]): HealthView {
  checkDown(zones, down);
  const health = new StaticHealth();
  for (const dc of down) health.drain(dc);
  return health.view();
}

/**
 * simulate's health: as things are (every endpoint up, or the live state read from Redis), then, when
 * datacenters are given, the same with them drained too. One builder numbers both views, so their
 * epochs differ (answerers cache decisions by epoch).
 */
export function scenarioHealth(
  zones: readonly Zone[],
  down: readonly string[],
  live: ViewParts | null,
): Array<{ down: readonly string[]; health: HealthView }> {
  checkDown(zones, down);
  const views = new ViewBuilder();
  const base: ViewParts = live ?? { targets: new Map(), drains: [] };
  const out = [{ down: [] as readonly string[], health: live ? views.update(base) : views.view }];
  if (down.length > 0) {
    const drains = [...base.drains, ...down.map((dc) => ({ field: datacenterDrainField(dc), until: null }))];
    out.push({ down, health: views.update({ ...base, drains }) });
  }
  return out;
}
