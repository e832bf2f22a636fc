// In-process GSLB test rig: the fixture zone compiled with a generated City database, a health
// source the test drives, and queries straight into handleQuery (the same pipeline the sockets use).
import dnsPacket from 'dns-packet';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCatalog, type Catalog } from '../../server/catalog.js';
import { silentLogger } from '../../server/log.js';
import { createPipeline, type Pipeline } from '../../server/pipeline.js';
import { SteeringController, steeringConfig } from '../../server/gslb/steering.js';
import type { HealthSource } from '../../health/source.js';
import { StaticHealth } from '../../health/static-health.js';
import { loadZones } from '../../zones/load.js';
import { seeded } from '../../zones/prng.js';
import { decodeReply, type Reply } from './dns.js';
import { buildCityFixture } from './geo-fixtures.js';
import { openGeoData, type GeoData } from '../../geo/geoip.js';

export const GSLB_ZONES = 'test/fixtures/gslb';

let cityPath: string | null = null;
/** The City-style fixture database, generated once per test run from test/fixtures/geo/city.csv. */
export function cityDatabase(): string {
  if (!cityPath) cityPath = buildCityFixture(mkdtempSync(join(tmpdir(), 'gslb-geo-')));
  return cityPath;
}

export interface Rig {
  readonly catalog: Catalog;
  readonly geo: GeoData;
  readonly health: StaticHealth;
  readonly pipeline: Pipeline;
  /** The node's steering (margin choices, shed shares), brought up to date before every ask, as its timer would. */
  readonly steering: SteeringController;
  ask(name: string, type?: string, client?: string): Reply & { scope: number | null; addresses: string[] };
}

/** The project's seeded PRNG (zones/prng.ts), so weighted choices are exact in tests. */
export { seeded };

export interface RigOptions {
  readonly zones?: string;
  readonly geoip?: string[];
  readonly rng?: () => number;
  /** The clock of the health, the steering and the pipeline (default Date.now): shed steps by moving time. */
  readonly now?: () => number;
}

/**
 * client: "ADDR/PREFIX" sends ECS; "ADDR" is the resolver's own address (no ECS).
 */
export function makeRig(opts: RigOptions = {}): Rig {
  const loaded = loadZones(opts.zones ?? GSLB_ZONES);
  if (loaded.errors.length > 0) throw new Error(JSON.stringify(loaded.errors));
  const geo = openGeoData(opts.geoip ?? [cityDatabase()]);
  const catalog = compileCatalog(loaded.zones, geo);
  const now = opts.now ?? Date.now;
  const health = new StaticHealth(now);
  const steering = new SteeringController({ config: steeringConfig(catalog), health: () => health.view(), now });
  const pipeline = createPipeline(() => catalog, {
    nsid: null,
    chaos: { identity: 't', version: null },
    log: silentLogger,
    health: () => health.view(),
    steering: () => steering.view,
    rng: opts.rng ?? seeded(1),
    now,
  });
  const ask: Rig['ask'] = (name, type = 'A', client = '127.0.0.1') => {
    steering.update();
    const [addr, prefix] = client.split('/');
    const packet: dnsPacket.Packet = {
      type: 'query',
      id: 7,
      questions: [{ name, type: type as dnsPacket.RecordType }],
    };
    let peer = addr!;
    if (prefix !== undefined) {
      const v6 = addr!.includes(':');
      packet.additionals = [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          options: [
            {
              code: 8,
              family: v6 ? 2 : 1,
              sourcePrefixLength: Number(prefix),
              scopePrefixLength: 0,
              ip: addr,
            } as never,
          ],
        } as never,
      ];
      peer = '127.0.0.1';
    }
    const raw = pipeline.handleQuery(
      dnsPacket.encode(packet),
      { address: peer, port: 5300, family: peer.includes(':') ? 6 : 4 },
      'udp',
    );
    if (!raw) throw new Error('dropped');
    const r = decodeReply(raw);
    const ecs = r.opt?.options?.find((o) => o['code'] === 8);
    const addresses = (r.packet.answers ?? [])
      .filter((a) => a.type === 'A' || a.type === 'AAAA')
      .map((a) => String((a as { data: unknown }).data));
    return { ...r, scope: ecs ? Number(ecs['scopePrefixLength']) : null, addresses };
  };
  return { catalog, geo, health, pipeline, steering, ask };
}

/** The datacenter a set of fixture addresses belongs to. */
export function dcOf(addresses: readonly string[]): string {
  const dcs = new Set(
    addresses.map((a) => {
      if (a.startsWith('192.0.2.1') || a.startsWith('2001:db8:10:')) return 'us-east';
      if (a.startsWith('192.0.2.2')) return 'us-west';
      if (a.startsWith('198.51.100.') || a.startsWith('2001:db8:20:')) return 'eu-west';
      if (a.startsWith('203.0.113.')) return 'ap-south';
      return `unknown(${a})`;
    }),
  );
  return [...dcs].sort().join('+') || 'none';
}

/** A node's health source that only reads `health`: no probing, no drains kept, an empty matrix. */
export function staticSource(health: StaticHealth): HealthSource {
  return {
    view: () => health.view(),
    matrix: () => ({ mode: 'embedded', agents: [], targets: [], redis: null, drains: [] }),
    setDrain: async () => {},
    setPlan: () => {},
    start: async () => true,
    stop: async () => {},
  };
}
