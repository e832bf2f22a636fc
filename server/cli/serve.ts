// `gslb serve`: load zones, start UDP+TCP listeners, reload on SIGHUP, drain on SIGTERM.
import { hostname } from 'node:os';
import { pino } from 'pino';
import { bundledDatabasePath } from '../../geo/bundled.js';
import { openGeoData, type GeoData } from '../../geo/geoip.js';
import { StaticHealth } from '../../health/static-health.js';
import { loadZones } from '../../zones/load.js';
import { formatZoneError } from '../../zones/records.js';
import { compileCatalog, type Catalog } from '../catalog.js';
import { formatListenAddress, parseListenAddress, startListeners } from '../listeners.js';
import type { Logger } from '../log.js';
import { createPipeline } from '../pipeline.js';
import { intFlag, parse, UsageError } from './args.js';

const DEFAULT_LISTEN = ['127.0.0.1:5353', '[::1]:5353'];

function buildCatalog(dir: string, geo: GeoData, log: Logger): { catalog: Catalog | null; errors: string[] } {
  const loaded = loadZones(dir);
  if (loaded.errors.length > 0) return { catalog: null, errors: loaded.errors.map(formatZoneError) };
  return { catalog: compileCatalog(loaded.zones, geo, log), errors: [] };
}

/** Opens the GeoIP databases given (first hit wins), or the bundled DB-IP country database. */
export function openGeo(paths: readonly string[] | undefined): GeoData {
  return openGeoData(paths && paths.length > 0 ? paths : [bundledDatabasePath()]);
}

/** NSID given as text, or as hex with a 0x prefix. */
function nsidBytes(value: string | undefined): Buffer | null {
  if (value === undefined) return null;
  if (/^0x([0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value.slice(2), 'hex');
  const b = Buffer.from(value, 'utf8');
  if (b.length === 0 || b.length > 512) throw new UsageError('--nsid must be 1 to 512 octets');
  return b;
}

export async function runServe(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    zones: { type: 'string' },
    listen: { type: 'string', multiple: true },
    geoip: { type: 'string', multiple: true },
    nsid: { type: 'string' },
    identity: { type: 'string' },
    'version-string': { type: 'string' },
    'tcp-idle-timeout': { type: 'string' },
    'tcp-max-connections': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (!values.zones) throw new UsageError('serve needs --zones DIR');
  const listen = (values.listen ?? DEFAULT_LISTEN).map((s) => {
    try {
      return parseListenAddress(s);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const idleTimeoutMs = intFlag('tcp-idle-timeout', values['tcp-idle-timeout'], 10_000, 100, 3_600_000);
  const maxConnections = intFlag('tcp-max-connections', values['tcp-max-connections'], 1000, 1, 1_000_000);
  const nsid = nsidBytes(values.nsid);
  const level = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError(`--log-level must be debug, info, warn or error`);
  const log: Logger = pino({ level, base: { pid: process.pid } }, pino.destination(2));

  const zonesDir = values.zones;
  let geo: GeoData;
  try {
    geo = openGeo(values.geoip);
  } catch (err) {
    process.stderr.write(`refusing to start: ${(err as Error).message}\n`);
    return 1;
  }
  const first = buildCatalog(zonesDir, geo, log);
  if (!first.catalog) {
    for (const e of first.errors) process.stderr.write(e + '\n');
    process.stderr.write(`refusing to start: ${first.errors.length} error(s) in ${zonesDir}\n`);
    return 1;
  }
  let catalog: Catalog = first.catalog;
  const identity = values.identity ?? (nsid ? nsid.toString('utf8') : hostname());
  const health = new StaticHealth();
  const pipeline = createPipeline(() => catalog, {
    health: () => health.view(),
    nsid,
    chaos: { identity, version: values['version-string'] ?? null },
    log,
  });
  const listeners = await startListeners(listen, pipeline.handleQuery, { log, idleTimeoutMs, maxConnections });
  const where = listeners.endpoints.map(formatListenAddress).join(', ');
  log.info({ zones: catalog.zones.size, listen: where }, 'serving');
  process.stdout.write(`gslb serving ${catalog.zones.size} zone(s) on ${where} (udp+tcp)\n`);

  // Reload builds the new catalog off to the side and swaps it in one assignment; errors keep the old one.
  process.on('SIGHUP', () => {
    const next = buildCatalog(zonesDir, geo, log);
    if (next.catalog) {
      catalog = next.catalog;
      log.info({ zones: catalog.zones.size }, 'reloaded');
    } else log.error({ errors: next.errors }, 'reload failed; still serving the last good configuration');
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void listeners.shutdown(5000).then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
