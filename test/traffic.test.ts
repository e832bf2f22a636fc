// Where traffic goes (server/traffic.ts, GET /api/traffic, the status page's traffic section): what each
// region's clients get now is what a query with ECS from that region gets, through every kind of
// policy; drains and health move it; the last minute's shares are the answers counted.
import { expect } from 'chai';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKey, targetKey } from '../health/view.js';
import { DecisionTally } from '../server/decisions.js';
import { traffic, type NameTraffic, type Traffic } from '../server/traffic.js';
import { dcOf, GSLB_ZONES, makeRig, type Rig } from './helpers/gslb.js';

/**
 * The fixture zone plus an IPv6-only name whose own regions have no default, and a name that sheds
 * load one step an hour (the fixture's shed name steps every 400 ms: a slow test would see two).
 */
const EXTRA_NAME = `
  v6only:
    policy: geo
    regions:
      eu-only:
        match: { continents: [EU] }
        datacenters: [eu-west]
    pools:
      us-east: ['2001:db8:10::10']
      eu-west: ['2001:db8:20::10']
  shed-slow:
    policy: geo
    load: lb
    shed: { high: 80%, low: 50%, step: 25%, every: 60m }
    pools:
      us-east: [192.0.2.10]
      eu-west: [198.51.100.10]
`;

describe('traffic: where each name sends its clients', () => {
  let dir: string;
  let rig: Rig;
  let tally: DecisionTally;
  const now = (max?: number): Traffic => {
    rig.steering.update(); // as the node's steering timer would
    return traffic(
      { catalog: rig.catalog, decisions: tally, health: rig.health, steeringState: rig.steering.view },
      max,
    );
  };
  const of = (name: string, t = now()): NameTraffic => {
    const n = t.names.find((x) => x.name === name);
    if (!n) throw new Error(`${name} is not shown: ${t.names.map((x) => x.name).join(', ')}`);
    return n;
  };
  /** Clients -> the datacenters they get, as the page shows them. */
  const routes = (name: string): Record<string, string> =>
    Object.fromEntries(
      of(name).routes.map((r) => [
        r.clients,
        r.answers
          .map((a) => `${a.datacenter ?? '(none)'}${a.outcome === 'primary' ? '' : ` ${a.outcome}`}`)
          .join(' or '),
      ]),
    );

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-traffic-'));
    cpSync(GSLB_ZONES, dir, { recursive: true });
    appendFileSync(join(dir, 'lb.test', 'names.yaml'), EXTRA_NAME);
  });
  beforeEach(() => {
    rig = makeRig({ zones: dir });
    tally = new DecisionTally({ catalog: rig.catalog, onCatalogReplaced: () => {} });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // [ECS client, the region it falls in] from the fixture database (test/fixtures/geo/city.csv).
  const clients: Array<[string, string]> = [
    ['81.2.69.142/32', 'europe'], // London
    ['216.160.83.56/32', 'us-west'], // Milton, WA
    ['149.101.100.0/28', 'americas'], // US, no subdivision
    ['67.43.156.0/24', 'asia'], // Bhutan
    ['100.64.7.0/24', 'operator'], // the operator's CIDR
    ['41.0.0.0/24', 'default'], // South Africa: no africa region
  ];

  it("geo: each region's row is the answer a query from that region gets, default last", () => {
    const t = of('www.lb.test.');
    expect(t.policy).to.equal('geo');
    expect(t.family).to.equal(4);
    expect(t.split).to.equal(null);
    expect(t.routes.map((r) => r.clients)).to.deep.equal([
      'europe',
      'us-west',
      'americas',
      'asia',
      'operator',
      'default',
    ]);
    expect(t.routes.every((r) => r.kind === 'region')).to.equal(true);
    for (const [client, region] of clients)
      expect(routes('www.lb.test.')[region], `${client} (${region})`).to.equal(
        dcOf(rig.ask('www.lb.test', 'A', client).addresses),
      );
    expect(routes('www.lb.test.')).to.deep.include({ europe: 'eu-west', 'us-west': 'us-west', asia: 'ap-south' });
  });

  it('a drained datacenter moves its regions to their next datacenter, as the answers move', () => {
    rig.health.drain('eu-west');
    expect(routes('www.lb.test.')).to.deep.include({ europe: 'us-east failover', americas: 'us-east' });
    expect(dcOf(rig.ask('www.lb.test', 'A', '81.2.69.142/32').addresses)).to.equal('us-east');
    rig.health.undrain('eu-west');
    expect(routes('www.lb.test.')['europe']).to.equal('eu-west');
  });

  it('failover: one row for everyone; a failed check moves it', () => {
    expect(routes('fo.lb.test.')).to.deep.equal({ everyone: 'eu-west' });
    expect(of('fo.lb.test.').routes[0]!.kind).to.equal('everyone');
    const fo = [...rig.catalog.zones.values()][0]!.zone.policy;
    const check = fo.checks.get('web')!;
    const name = [...fo.names.values()].find((n) => n.label === 'fo')!;
    rig.health.set(targetKey(check, name.pools[0]!.endpoints[0]!), { up: false });
    expect(routes('fo.lb.test.')).to.deep.equal({ everyone: 'us-east failover' });
    expect(dcOf(rig.ask('fo.lb.test').addresses)).to.equal('us-east');
  });

  it('weighted: the configured split and the split among the healthy now; all down: the fallback', () => {
    const wt = of('wt.lb.test.');
    expect(wt.routes).to.deep.equal([]);
    expect(wt.split).to.deep.equal([
      { datacenter: 'us-east', configured: 0.75, now: 0.75 },
      { datacenter: 'eu-west', configured: 0.25, now: 0.25 },
    ]);
    rig.health.drain('us-east');
    expect(of('wt.lb.test.').split!.map((s) => s.now)).to.deep.equal([0, 1]);
    rig.health.drain('eu-west');
    expect(of('wt.lb.test.').split!.map((s) => s.now)).to.deep.equal([0, 0]);
    expect(routes('wt.lb.test.')).to.deep.equal({ everyone: 'us-east fallback' });
  });

  it('hashed: the split of client subnets by weight', () => {
    const hs = of('hs.lb.test.');
    expect(hs.routes).to.deep.equal([]);
    expect(hs.split!.map((s) => [s.datacenter, Math.round(s.configured * 1000) / 1000])).to.deep.equal([
      ['us-east', 0.333],
      ['eu-west', 0.333],
      ['ap-south', 0.333],
    ]);
  });

  it('nearest: a row per closest datacenter; when it is down, the row shows where its clients go', () => {
    const near = routes('near.lb.test.');
    for (const dc of ['us-east', 'us-west', 'eu-west', 'ap-south']) expect(near[`closest to ${dc}`]).to.equal(dc);
    rig.health.drain('eu-west');
    const london = dcOf(rig.ask('near.lb.test', 'A', '81.2.69.142/32').addresses);
    expect(london).to.not.equal('eu-west');
    // Every client closest to eu-west goes to one of the datacenters the row lists, London's among them.
    const row = routes('near.lb.test.')['closest to eu-west']!;
    expect(row.split(' or ').map((x) => x.replace(/ failover$/, ''))).to.include(london);
    expect(row).to.match(/failover/);
  });

  it("a name's own regions: its rows, not the zone's; without a default, clients no region matches get the pool order", () => {
    expect(routes('own.lb.test.')).to.deep.equal({ 'everyone-else': 'ap-south', default: 'us-west' });
    const v6 = of('v6only.lb.test.');
    expect(v6.family).to.equal(6);
    expect(v6.routes.map((r) => [r.clients, r.kind, r.answers[0]!.datacenter])).to.deep.equal([
      ['eu-only', 'region', 'eu-west'],
      ['(no region)', 'no-region', 'us-east'],
    ]);
    expect(dcOf(rig.ask('v6only.lb.test', 'AAAA', '67.43.156.0/24').addresses)).to.equal('us-east');
  });

  it("the last minute's answers by datacenter, with their shares and outcomes", () => {
    for (let i = 0; i < 3; i++) rig.ask('www.lb.test', 'A', '81.2.69.142/32');
    rig.health.drain('eu-west');
    rig.ask('www.lb.test', 'A', '81.2.69.142/32'); // failover to us-east
    rig.ask('www.lb.test', 'A', '216.160.83.56/32');
    const t = now();
    expect(t.windowSeconds).to.be.within(0, 60);
    expect(of('www.lb.test.', t).lastMinute).to.deep.equal({
      total: 5,
      datacenters: [
        { datacenter: 'us-east', count: 1, share: 0.2, outcomes: { failover: 1 } },
        { datacenter: 'us-west', count: 1, share: 0.2, outcomes: { primary: 1 } },
        { datacenter: 'eu-west', count: 3, share: 0.6, outcomes: { primary: 3 } },
        { datacenter: 'ap-south', count: 0, share: 0, outcomes: {} },
      ],
    });
    expect(of('fo.lb.test.', t).lastMinute.total).to.equal(0);
    expect(t.sinceStart).to.deep.equal([
      { datacenter: 'eu-west', total: 3, outcomes: { primary: 3 } },
      { datacenter: 'us-east', total: 1, outcomes: { failover: 1 } },
      { datacenter: 'us-west', total: 1, outcomes: { primary: 1 } },
    ]);
  });

  it('answers without a datacenter (servfail fallback) count under ""', () => {
    rig.health.drain('us-east');
    rig.ask('fb-servfail.lb.test');
    const d = of('fb-servfail.lb.test.').lastMinute.datacenters;
    expect(d).to.deep.equal([
      { datacenter: 'us-east', count: 0, share: 0, outcomes: {} },
      { datacenter: '', count: 1, share: 1, outcomes: { servfail: 1 } },
    ]);
    // A geo name (the default policy): every region gets the fallback.
    expect(new Set(Object.values(routes('fb-servfail.lb.test.')))).to.deep.equal(new Set(['(none) servfail']));
  });

  it("shed load: the region's row gives the share shed and where to; that share of its clients is answered there", () => {
    const policy = [...rig.catalog.zones.values()][0]!.zone.policy;
    const name = [...policy.names.values()].find((n) => n.label === 'shed-slow')!;
    const euWest = name.pools.find((p) => p.datacenter === 'eu-west')!.endpoints[0]!;
    expect(routes('shed-slow.lb.test.')['europe']).to.equal('eu-west');
    // eu-west at 95 % of its capacity: above high (80 %), it gives 25 % of its clients to the next, us-east.
    rig.health.set(loadKey(policy.loads.get('lb')!, euWest), { up: true, connections: 95, capacity: 100 });
    const europe = of('shed-slow.lb.test.').routes.find((r) => r.clients === 'europe')!;
    expect(europe.answers).to.deep.equal([
      { datacenter: 'eu-west', outcome: 'primary', shed: { to: 'us-east', share: 0.25 } },
    ]);
    // Regions eu-west does not serve first shed nothing.
    expect(of('shed-slow.lb.test.').routes.find((r) => r.clients === 'americas')!.answers[0]).to.deep.equal({
      datacenter: 'us-east',
      outcome: 'primary',
      shed: null,
    });

    // 256 European /56s (Germany in the fixture database): about a quarter of them are answered by us-east.
    const answered = new Map<string, number>();
    for (let i = 0; i < 256; i++) {
      const dc = dcOf(rig.ask('shed-slow.lb.test', 'A', `2a02:d180:0:${i.toString(16)}00::/56`).addresses);
      answered.set(dc, (answered.get(dc) ?? 0) + 1);
    }
    expect([...answered.keys()]).to.have.members(['eu-west', 'us-east']);
    expect(answered.get('us-east')! / 256).to.be.closeTo(0.25, 0.08);
    // The share has not moved since (a step an hour), and the last minute counts the answers where they went.
    const t = of('shed-slow.lb.test.');
    expect(t.routes.find((r) => r.clients === 'europe')!.answers[0]!.shed).to.deep.equal({
      to: 'us-east',
      share: 0.25,
    });
    expect(t.lastMinute.datacenters.map((d) => [d.datacenter, d.count])).to.deep.equal([
      ['us-east', answered.get('us-east')],
      ['eu-west', answered.get('eu-west')],
    ]);
  });

  it('past the limit, the busiest names of the last minute are shown, then the rest in file order', () => {
    const all = now().names.map((n) => n.name);
    expect(now().totalNames).to.equal(all.length);
    expect(all.slice(0, 3)).to.deep.equal(['www.lb.test.', 'near.lb.test.', 'fo.lb.test.']); // file order
    for (let i = 0; i < 3; i++) rig.ask('weights.lb.test');
    rig.ask('single.lb.test');
    const t = now(3);
    expect(t.totalNames).to.equal(all.length);
    expect(t.names.map((n) => n.name)).to.deep.equal(['weights.lb.test.', 'single.lb.test.', 'www.lb.test.']);
  });
});
