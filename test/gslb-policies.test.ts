// Every selection policy with injected health, figures and randomness, plus invariants shared by all
// policies: never empty while a pool has addresses, never more than max_answers, only healthy
// endpoints unless falling back, hashed stable when a datacenter leaves.
import { expect } from 'chai';
import { dcOf, makeRig, seeded, type Rig } from './helpers/gslb.js';

import { loadKey, targetKey } from '../health/view.js';
import { GSLB_ZONES } from './helpers/gslb.js';
import { loadZones } from '../zones/load.js';
import type { LbAnswerer } from '../server/gslb/answerer.js';

const fixture = loadZones(GSLB_ZONES).zones[0]!.policy;
const endpoint = (addr: string) => ({
  address: addr,
  family: addr.includes(':') ? (6 as const) : (4 as const),
  weight: 1,
  probe: null,
  loadUrl: null,
  datacenter: '',
});
/** The health key of a fixture endpoint under the 'web' check. */
const key = (addr: string) => targetKey(fixture.checks.get('web')!, endpoint(addr));
/** The load-figure key of a fixture endpoint under the 'lb' load source. */
const loadKeyOf = (addr: string) => loadKey(fixture.loads.get('lb')!, endpoint(addr));
/** An answerer's decision counts since the last take, summed by key. */
const taken = (lb: LbAnswerer): Record<string, number> => {
  const out: Record<string, number> = {};
  lb.takeDecisions((key, n) => (out[key] = (out[key] ?? 0) + n));
  return out;
};

describe('GSLB policies', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = makeRig({ rng: seeded(42) });
  });
  const down = (...addrs: string[]) =>
    addrs.forEach((a) => rig.health.set(key(a), { up: false, reason: 'connection refused' }));

  it('geo: a datacenter down moves its clients to the next in the region order', () => {
    expect(dcOf(rig.ask('www.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west');
    down('198.51.100.10', '198.51.100.11');
    const r = rig.ask('www.lb.test', 'A', '81.2.69.142/31');
    expect(dcOf(r.addresses)).to.equal('us-east');
    expect(r.scope).to.equal(31);
  });

  it('geo: an endpoint down is left out; the rest of its datacenter still serves', () => {
    down('198.51.100.10');
    for (let i = 0; i < 4; i++)
      expect(rig.ask('www.lb.test', 'A', '81.2.69.142/31').addresses).to.deep.equal(['198.51.100.11']);
  });

  it('drain takes a datacenter or one endpoint out of every answer', () => {
    rig.health.drain('eu-west');
    expect(dcOf(rig.ask('www.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('us-east');
    rig.health.undrain('eu-west');
    rig.health.drain('eu-west', '198.51.100.11');
    expect(rig.ask('www.lb.test', 'A', '81.2.69.142/31').addresses).to.deep.equal(['198.51.100.10']);
  });

  it('failover: pool order, client-independent (scope 0)', () => {
    const r = rig.ask('fo.lb.test', 'A', '216.160.83.56/29');
    expect(r.addresses).to.deep.equal(['198.51.100.10']);
    expect(r.scope).to.equal(0);
    down('198.51.100.10');
    expect(rig.ask('fo.lb.test', 'A', '216.160.83.56/29').addresses).to.deep.equal(['192.0.2.10']);
  });

  it('weighted: datacenters drawn in proportion to their healthy weight', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const dc = dcOf(rig.ask('wt.lb.test', 'A', '81.2.69.142/31').addresses);
      counts[dc] = (counts[dc] ?? 0) + 1;
    }
    const ratio = counts['us-east']! / counts['eu-west']!;
    expect(ratio).to.be.within(2.6, 3.4);
    // The decision counters (kept per chosen datacenter's reply) agree with what was answered.
    const lb = rig.catalog.exact.get('\x02wt\x02lb\x04test\x00')!.node.lb!;
    expect(taken(lb)).to.deep.equal({
      'us-east|primary': counts['us-east'],
      'eu-west|primary': counts['eu-west'],
    });
    expect(rig.ask('wt.lb.test', 'A', '81.2.69.142/31').scope).to.equal(0);
    down('192.0.2.10');
    for (let i = 0; i < 50; i++)
      expect(dcOf(rig.ask('wt.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west');
  });

  it('counters read only the names that have answered (a big zone has mostly names nobody asked for)', () => {
    const answered = () => [...rig.catalog.answered].map((lb) => lb.name.owner.key);
    expect(answered()).to.deep.equal([]);
    rig.ask('fo.lb.test', 'A', '81.2.69.142/31');
    rig.ask('fo.lb.test', 'A', '216.160.83.56/29');
    expect(answered()).to.deep.equal(['\x02fo\x02lb\x04test\x00']);
    rig.ask('wt.lb.test', 'A', '81.2.69.142/31');
    expect(answered()).to.have.length(2);
  });

  it('hashed: sticky per /24, spread over datacenters, scope 24', () => {
    const assign = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const subnet = `10.${i >> 4}.${(i * 7) & 255}.0/24`;
      const r = rig.ask('hs.lb.test', 'A', subnet);
      assign.set(subnet, dcOf(r.addresses));
      expect(r.scope).to.equal(24);
      expect(dcOf(rig.ask('hs.lb.test', 'A', subnet).addresses)).to.equal(assign.get(subnet));
      // Any address in the same /24 hashes alike.
      expect(dcOf(rig.ask('hs.lb.test', 'A', subnet.replace('.0/24', '.77/32')).addresses)).to.equal(
        assign.get(subnet),
      );
    }
    const counts = [...assign.values()].reduce<Record<string, number>>((m, d) => ((m[d] = (m[d] ?? 0) + 1), m), {});
    for (const dc of ['us-east', 'eu-west', 'ap-south']) expect(counts[dc] ?? 0).to.be.above(60);
    // A datacenter failure only moves its own clients.
    down('203.0.113.10');
    for (const [subnet, dc] of assign) {
      const now = dcOf(rig.ask('hs.lb.test', 'A', subnet).addresses);
      if (dc !== 'ap-south') expect(now, subnet).to.equal(dc);
      else expect(now).to.not.equal('ap-south');
    }
  });

  it('hashed over IPv6 keys on the /56', () => {
    const a = dcOf(rig.ask('hs.lb.test', 'A', '2001:db8:1:200::/56').addresses);
    expect(dcOf(rig.ask('hs.lb.test', 'A', '2001:db8:1:2ff::/64').addresses)).to.equal(a);
    expect(rig.ask('hs.lb.test', 'A', '2001:db8:1:200::/56').scope).to.equal(56);
  });

  it('least-loaded: the datacenter with the fewest connections per weight; without figures, the plain order', () => {
    expect(dcOf(rig.ask('ll.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west'); // no figures: region order
    rig.health.set(loadKeyOf('192.0.2.10'), { up: true, connections: 5 });
    rig.health.set(loadKeyOf('198.51.100.10'), { up: true, connections: 50 });
    expect(dcOf(rig.ask('ll.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('us-east');
    rig.health.set(loadKeyOf('192.0.2.10'), { up: true, connections: 500 });
    expect(dcOf(rig.ask('ll.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west');
  });

  it('lowest-latency: the datacenter with the lowest probe RTT', () => {
    rig.health.set(key('192.0.2.10'), { up: true, rttMs: 12 });
    rig.health.set(key('198.51.100.10'), { up: true, rttMs: 80 });
    expect(dcOf(rig.ask('lat.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('us-east');
    rig.health.set(key('192.0.2.10'), { up: false });
    expect(dcOf(rig.ask('lat.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west');
  });

  describe('fallback when every candidate is down', () => {
    it("'all' (default): fail open with the client's first datacenter, up to max_answers", () => {
      down(
        '192.0.2.10',
        '192.0.2.11',
        '192.0.2.12',
        '192.0.2.20',
        '192.0.2.21',
        '198.51.100.10',
        '198.51.100.11',
        '203.0.113.10',
      );
      const r = rig.ask('www.lb.test', 'A', '81.2.69.142/31');
      expect(dcOf(r.addresses)).to.equal('eu-west');
      expect(r.addresses).to.have.length(2);
      expect(r.rcode).to.equal(0);
    });
    it("'first': the first endpoint of the client's first datacenter", () => {
      down('192.0.2.10', '192.0.2.11', '198.51.100.10');
      expect(rig.ask('fb-first.lb.test', 'A', '149.101.100.0/28').addresses).to.deep.equal(['192.0.2.10']);
    });
    it("'nodata' and 'servfail'", () => {
      down('192.0.2.10');
      const n = rig.ask('fb-nodata.lb.test', 'A', '149.101.100.0/28');
      expect(n.rcode).to.equal(0);
      expect(n.answer).to.deep.equal([]);
      expect(n.authority[0]).to.match(/SOA/);
      expect(rig.ask('fb-servfail.lb.test', 'A', '149.101.100.0/28').rcode).to.equal(2);
    });
    it('recovery restores the normal answer', () => {
      down('192.0.2.10');
      expect(rig.ask('fb-nodata.lb.test', 'A').answer).to.deep.equal([]);
      rig.health.set(key('192.0.2.10'), { up: true });
      expect(rig.ask('fb-nodata.lb.test', 'A').addresses).to.deep.equal(['192.0.2.10']);
    });
  });

  it('endpoint weights shape the round-robin lead (3:1)', () => {
    const lead: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const [a] = rig.ask('weights.lb.test', 'A').addresses;
      lead[a!] = (lead[a!] ?? 0) + 1;
    }
    expect(lead['192.0.2.10']! / lead['192.0.2.11']!).to.be.within(2.5, 3.5);
  });

  describe('invariants over every policy, client and health scenario', () => {
    const names = ['www', 'near', 'fo', 'wt', 'hs', 'll', 'lat', 'single', 'fb-first', 'own', 'weights'];
    const clients = [
      '81.2.69.142/31',
      '216.160.83.56/29',
      '2001:218::/32',
      '10.0.0.0/8',
      '127.0.0.1',
      '2a02:d180::/29',
    ];
    const scenarios: Array<[string, string[]]> = [
      ['all up', []],
      ['eu-west down', ['198.51.100.10', '198.51.100.11']],
      ['us-east down', ['192.0.2.10', '192.0.2.11', '192.0.2.12']],
      [
        'everything down',
        [
          '192.0.2.10',
          '192.0.2.11',
          '192.0.2.12',
          '192.0.2.20',
          '192.0.2.21',
          '198.51.100.10',
          '198.51.100.11',
          '203.0.113.10',
        ],
      ],
    ];
    for (const [scenario, downs] of scenarios) {
      it(scenario, () => {
        down(...downs);
        for (const n of names) {
          const name = [...[...rig.catalog.zones.values()][0]!.zone.policy.names.values()].find((x) => x.label === n)!;
          for (const c of clients) {
            const r = rig.ask(`${n}.lb.test`, 'A', c);
            const v4 = name.pools.flatMap((p) => p.endpoints).filter((e) => e.family === 4);
            expect(r.addresses.length, `${n} ${c}`).to.be.at.least(v4.length > 0 ? 1 : 0);
            expect(r.addresses.length, `${n} ${c}`).to.be.at.most(name.maxAnswers);
            const allDown = v4.every((e) => downs.includes(e.address));
            if (name.checks.length > 0 && !allDown)
              for (const a of r.addresses) expect(downs, `${n} ${c} answered a down endpoint`).to.not.include(a);
            for (const a of r.addresses) expect(v4.map((e) => e.address)).to.include(a);
          }
        }
      });
    }
  });
});

describe('fallback is counted and logged', () => {
  it('counts decisions by datacenter and outcome, and logs when a name falls back', async () => {
    const { loadZones } = await import('../zones/load.js');
    const { compileCatalog } = await import('../server/catalog.js');
    const { createPipeline } = await import('../server/pipeline.js');
    const { StaticHealth } = await import('../health/static-health.js');
    const { buildQuery } = await import('./helpers/dns.js');
    const { cityDatabase } = await import('./helpers/gslb.js');
    const { openGeoData } = await import('../geo/geoip.js');
    const lines: Array<[object | string, string | undefined]> = [];
    const log = {
      debug() {},
      info() {},
      error() {},
      warn: (o: object | string, m?: string) => void lines.push([o, m]),
    };
    const catalog = compileCatalog(loadZones('test/fixtures/gslb').zones, openGeoData([cityDatabase()]), log);
    const health = new StaticHealth();
    const p = createPipeline(() => catalog, {
      nsid: null,
      chaos: { identity: 't', version: null },
      log,
      health: () => health.view(),
    });
    const ask = () =>
      p.handleQuery(buildQuery({ name: 'fb-nodata.lb.test' }), { address: '127.0.0.1', port: 1, family: 4 }, 'udp');
    const lb = [...catalog.zones.values()][0]!.nodes.get('\x09fb-nodata\x02lb\x04test\x00')!.lb!;
    ask();
    ask();
    // Counts are kept on the cached reply and added up when taken: taking again gives only what came since.
    expect(taken(lb)).to.deep.equal({ 'us-east|primary': 2 });
    expect(taken(lb)).to.deep.equal({});
    ask();
    health.set(key('192.0.2.10'), { up: false }); // a new verdict drops the cached reply: its count stays
    ask();
    expect(taken(lb)).to.deep.equal({ 'us-east|primary': 1, '-|nodata': 1 });
    expect(lines).to.have.length(1);
    expect(lines[0]![1]).to.match(/fallback/);
    expect(lines[0]![0]).to.deep.include({ name: 'fb-nodata.lb.test.', fallback: 'nodata' });
  });
});

describe('health-aware TTL', () => {
  const ttlOf = (r: ReturnType<Rig['ask']>) => (r.packet.answers ?? []).map((a) => (a as { ttl: number }).ttl);
  it('the name TTL when nothing is degraded; max(min_ttl, ttl/4) during failover and just after a change', () => {
    const rig = makeRig();
    expect(ttlOf(rig.ask('fo.lb.test'))).to.deep.equal([30]);
    rig.health.set(key('198.51.100.10'), { up: false });
    expect(ttlOf(rig.ask('fo.lb.test'))).to.deep.equal([8]); // failover to us-east
    rig.health.set(key('198.51.100.10'), { up: true });
    expect(ttlOf(rig.ask('fo.lb.test'))).to.deep.equal([8]); // back, but it just changed
    rig.health.set(key('198.51.100.10'), { up: true, since: Date.now() - 31_000 });
    expect(ttlOf(rig.ask('fo.lb.test'))).to.deep.equal([30]); // the change is older than one TTL
  });
});

describe('decisions follow verdicts, not figures, unless the policy reads figures', () => {
  // A figures-only change (here an RTT; in production a new round-trip time with nearly every probe)
  // gives a new epoch but the same stateEpoch: answers of names that read no figures stay cached.
  async function setup() {
    const { compileCatalog } = await import('../server/catalog.js');
    const { StaticHealth } = await import('../health/static-health.js');
    const { cityDatabase, seeded } = await import('./helpers/gslb.js');
    const { openGeoData } = await import('../geo/geoip.js');
    const { NO_STEERING } = await import('../server/gslb/steering-types.js');
    const lines: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (_o: object | string, m?: string) => void lines.push(m!) };
    const catalog = compileCatalog(loadZones(GSLB_ZONES).zones, openGeoData([cityDatabase()]), log);
    const health = new StaticHealth();
    const lbOf = (label: string) =>
      catalog.exact.get(`${String.fromCharCode(label.length)}${label}\x02lb\x04test\x00`)!.node.lb!;
    const rng = seeded(3);
    const reply = (label: string) =>
      lbOf(label).reply(0, 4, Uint8Array.of(127, 0, 0, 1), health.view(), NO_STEERING, Date.now, rng);
    return { health, reply, lines };
  }

  it('a failover name keeps its cached reply through figure changes; a least-loaded one decides again', async () => {
    const { health, reply } = await setup();
    // Known targets (a target first seen is a change of the target set, so of the state).
    health.set(key('198.51.100.10'), { up: true });
    health.set(loadKeyOf('192.0.2.10'), { up: true });
    const fo = reply('fo');
    const ll = reply('ll');
    const { epoch, stateEpoch } = health.view();
    health.set(key('198.51.100.10'), { up: true, rttMs: 12 });
    health.set(loadKeyOf('192.0.2.10'), { up: true, connections: 5 });
    expect(health.view().epoch).to.be.above(epoch);
    expect(health.view().stateEpoch).to.equal(stateEpoch);
    expect(reply('fo')).to.equal(fo);
    expect(reply('ll')).to.not.equal(ll);
    // A verdict change reaches both.
    health.set(key('198.51.100.10'), { up: false, rttMs: 12 });
    expect(health.view().stateEpoch).to.be.above(stateEpoch);
    const moved = reply('fo');
    expect(moved).to.not.equal(fo);
    expect(moved.option.datacenter).to.equal('us-east');
  });

  it('"every candidate is down" is logged once per outage, not on every decision', async () => {
    const { health, reply, lines } = await setup();
    const downWarnings = () => lines.filter((m) => /every candidate is down/.test(m)).length;
    health.set(key('192.0.2.10'), { up: false });
    expect(reply('fb-nodata').option.outcome).to.equal('nodata');
    expect(downWarnings()).to.equal(1);
    // Another target's verdict changes: the decision is made again, the outage goes on, no new line.
    health.set(key('198.51.100.10'), { up: false });
    expect(reply('fb-nodata').option.outcome).to.equal('nodata');
    expect(downWarnings()).to.equal(1);
    // Back, then down again: a new outage, a new line.
    health.set(key('192.0.2.10'), { up: true });
    expect(reply('fb-nodata').option.outcome).to.equal('primary');
    health.set(key('192.0.2.10'), { up: false });
    expect(reply('fb-nodata').option.outcome).to.equal('nodata');
    expect(downWarnings()).to.equal(2);
  });
});
