// The sampled query log: off by default; with a sample rate, one query in N is logged with the
// client subnet, name, type, decision, datacenter and rcode.
import { expect } from 'chai';
import { compileCatalog } from '../server/catalog.js';
import { createPipeline } from '../server/pipeline.js';
import { StaticHealth } from '../health/static-health.js';
import { loadZones } from '../zones/load.js';
import { openGeoData } from '../geo/geoip.js';
import { buildQuery } from './helpers/dns.js';
import { cityDatabase, GSLB_ZONES } from './helpers/gslb.js';

function rig(sample: number | undefined) {
  const lines: Array<[Record<string, unknown>, string | undefined]> = [];
  const log = {
    debug() {},
    warn() {},
    error() {},
    info: (o: object | string, m?: string) => void lines.push([o as Record<string, unknown>, m]),
  };
  const catalog = compileCatalog(loadZones(GSLB_ZONES).zones, openGeoData([cityDatabase()]));
  const health = new StaticHealth();
  const p = createPipeline(() => catalog, {
    nsid: null,
    chaos: { identity: 't', version: null },
    log,
    health: () => health.view(),
    ...(sample !== undefined ? { queryLogSample: sample } : {}),
  });
  const ecs = { code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '81.2.69.0' } as never;
  const ask = () =>
    p.handleQuery(
      buildQuery({ name: 'www.lb.test', edns: { options: [ecs] } }),
      { address: '127.0.0.9', port: 1, family: 4 },
      'udp',
    );
  return { lines, ask };
}

describe('sampled query log', () => {
  it('is off by default', () => {
    const r = rig(undefined);
    for (let i = 0; i < 10; i++) r.ask();
    expect(r.lines).to.deep.equal([]);
  });
  it('logs one query in N with what decided it', () => {
    const r = rig(4);
    for (let i = 0; i < 12; i++) r.ask();
    expect(r.lines).to.have.length(3);
    const [fields, msg] = r.lines[0]!;
    expect(msg).to.equal('query');
    expect(fields).to.deep.include({
      query: 'www.lb.test.',
      qtype: 1,
      client: '127.0.0.9',
      ecs: '81.2.69.0/24',
      transport: 'udp',
      rcode: 0,
      datacenter: 'us-east',
      decision: 'primary',
    });
  });
});
