// CNAME endpoints (#18 item 6) as decision tables and through the pipeline in process: which datacenter
// and host a client gets, failover, the fallback CNAME when everything is down, the ECS scope and the
// TTL; then the wire: one CNAME per answer for every query type, rotated by weight, not chased.
import { expect } from 'chai';
import { openGeoData } from '../geo/geoip.js';
import { StaticHealth } from '../health/static-health.js';
import { loadKey, loadUrlOf, targetKey, type HealthView } from '../health/view.js';
import { parseIp } from '../zones/address.js';
import { loadZones } from '../zones/load.js';
import type { Endpoint, LbName, PolicyConfig } from '../zones/policy-types.js';
import { ClassifierCache, classifyWithDepth } from '../server/gslb/classify.js';
import { decide, type Decision } from '../server/gslb/decide.js';
import { candidateOrder } from '../server/gslb/select.js';
import { optionRecords } from '../server/gslb/wire.js';
import { seeded } from '../zones/prng.js';
import { nameToText, type DnsName } from '../zones/name.js';
import { QTYPE } from '../zones/dns.js';
import { cityDatabase, makeRig } from './helpers/gslb.js';

const ZONES = 'test/fixtures/cname';
const NOW = 10_000_000;
const policy: PolicyConfig = loadZones(ZONES).zones[0]!.policy;
const geo = openGeoData([cityDatabase()]);
const classifiers = new ClassifierCache(geo);
const nameOf = (label: string): LbName => [...policy.names.values()].find((n) => n.label === label)!;
const web = policy.checks.get('web')!;

// Addresses of test/fixtures/geo/city.csv; as /24 ECS prefixes in the pipeline tests.
const EUROPE = '2.2.3.1';
const AMERICAS = '214.78.120.1';
const net = (a: string) => `${a.replace(/\.\d+$/, '.0')}/24`;

/** Health with these endpoints down (long ago: no recent change shortens the TTL). */
function health(down: (e: Endpoint) => boolean = () => false, drains: string[] = []): HealthView {
  const h = new StaticHealth(() => NOW - 3_600_000);
  for (const n of policy.names.values())
    for (const e of n.pools.flatMap((p) => p.endpoints))
      h.set(
        targetKey(web, e),
        down(e) ? { up: false, reason: 'connection refused', since: 1 } : { up: true, since: 1 },
      );
  for (const dc of drains) h.drain(dc);
  return h.view();
}

function decideFor(label: string, h: HealthView, client: string, family: 4 | 6 = 4): Decision {
  const name = nameOf(label);
  const bytes = parseIp(client)!.bytes;
  const classifier = classifiers.forName(name, policy.regions, policy.datacenters);
  const hit = classifyWithDepth(classifier, bytes.length === 16 ? 6 : 4, bytes);
  const orders = classifier ? new Set(classifier.classes.map((c) => candidateOrder(name, c).order.join(','))) : null;
  return decide({
    name,
    family,
    cls: classifier?.classes[hit.id] ?? null,
    subnet: bytes,
    health: h,
    checks: policy.checks,
    rng: seeded(1),
    now: NOW,
    datacenters: policy.datacenters,
    depth: hit.depth,
    classesDiffer: orders !== null && orders.size > 1,
  });
}

const row = (d: Decision) => ({
  chosen: d.chosen,
  outcome: d.outcome,
  endpoints: d.endpoints.map((e) => e.address),
  ttl: d.ttl,
});

describe('CNAME endpoints: the decision', () => {
  const allUp = health();
  const euDown = health((e) => e.datacenter === 'eu-west');
  const allDown = health(() => true);

  it('a CNAME name has no family: A and AAAA get the same datacenter and hosts', () => {
    for (const family of [4, 6] as const) {
      expect(row(decideFor('app', allUp, EUROPE, family))).to.deep.equal({
        chosen: 'eu-west',
        outcome: 'primary',
        endpoints: ['eu-1.elb.example.net', 'eu-2.elb.example.net'],
        ttl: 60,
      });
      expect(row(decideFor('app', allUp, AMERICAS, family))).to.deep.equal({
        chosen: 'us-east',
        outcome: 'primary',
        endpoints: ['us-1.elb.example.net'],
        ttl: 60,
      });
    }
  });

  it("the ECS scope is the region's, as for addresses; hashed by CNAME keys on the /24", () => {
    const d = decideFor('app', allUp, EUROPE);
    expect(d.scope).to.be.within(1, 32);
    expect(decideFor('app', allUp, AMERICAS).scope).to.be.within(1, 32);
    expect(decideFor('spread', allUp, EUROPE).scope).to.equal(24);
    expect(row(decideFor('spread', allUp, EUROPE)).endpoints).to.have.length(1);
  });

  it('failover: the datacenter down moves the CNAME, with the short TTL and a step naming CNAME endpoints', () => {
    const d = decideFor('app', euDown, EUROPE, 6);
    expect(row(d)).to.deep.equal({
      chosen: 'us-east',
      outcome: 'failover',
      endpoints: ['us-1.elb.example.net'],
      ttl: 15,
    });
    expect(d.steps).to.include(
      'eu-west: no usable CNAME endpoint (eu-1.elb.example.net connection refused; eu-2.elb.example.net connection refused)',
    );
    // One host down: only the other is answered.
    const one = decideFor(
      'app',
      health((e) => e.address === 'eu-1.elb.example.net'),
      EUROPE,
    );
    expect(row(one).endpoints).to.deep.equal(['eu-2.elb.example.net']);
  });

  it('every datacenter down: the fallback CNAME, the same for every client (scope 0), short TTL, explained', () => {
    for (const [client, family] of [
      [EUROPE, 4],
      [AMERICAS, 6],
    ] as const) {
      const d = decideFor('app', allDown, client, family);
      expect(row(d)).to.deep.equal({ chosen: null, outcome: 'fallback', endpoints: ['sorry.example.org'], ttl: 15 });
      expect(d.fallback).to.equal('cname');
      expect(d.scope).to.equal(0);
      expect(d.steps).to.include.members([
        "every candidate is down: fallback 'cname'",
        'answer with the fallback CNAME sorry.example.org',
      ]);
    }
    // Drained datacenters are down too.
    expect(
      row(
        decideFor(
          'app',
          health(() => false, ['eu-west', 'us-east']),
          EUROPE,
        ),
      ).endpoints,
    ).to.deep.equal(['sorry.example.org']);
  });

  it('an address name with a fallback CNAME: A and AAAA both get it when everything is down', () => {
    for (const family of [4, 6] as const)
      expect(row(decideFor('web', allDown, EUROPE, family))).to.deep.equal({
        chosen: null,
        outcome: 'fallback',
        endpoints: ['sorry.cname.test'],
        ttl: 8,
      });
    // eu-west has no IPv6 endpoint: AAAA comes from us-east as a primary answer, by family.
    expect(row(decideFor('web', allUp, EUROPE, 6))).to.deep.equal({
      chosen: 'us-east',
      outcome: 'primary',
      endpoints: ['2001:db8::10'],
      ttl: 30,
    });
  });

  it("a CNAME name's mode fallback: first answers the first datacenter's first host", () => {
    expect(row(decideFor('cdn', allDown, EUROPE))).to.deep.equal({
      chosen: 'us-east',
      outcome: 'fallback',
      endpoints: ['a.cdn.example.net'],
      ttl: 8,
    });
  });

  it('the records: one CNAME per answer, rotated 3:1 by weight over the slots', () => {
    const d = decideFor('app', allUp, EUROPE);
    const targets: string[] = [];
    for (let slot = 0; slot < 8; slot++) {
      const records = optionRecords(d, 4, d.name, null, slot);
      expect(records).to.have.length(1);
      expect(records[0]!.type).to.equal(QTYPE.CNAME);
      expect(records[0]!.ttl).to.equal(60);
      targets.push(nameToText((records[0]!.rdata[0] as DnsName).wire));
    }
    expect(targets.filter((t) => t === 'eu-1.elb.example.net.')).to.have.length(6);
    expect(targets.filter((t) => t === 'eu-2.elb.example.net.')).to.have.length(2);
  });
});

describe('CNAME endpoints: through the pipeline', () => {
  const answersOf = (r: { packet: { answers?: unknown[] } }) =>
    (r.packet.answers ?? []).map((a) => {
      const x = a as { name: string; type: string; ttl: number; data: unknown };
      return `${x.name} ${x.ttl} ${x.type} ${String(x.data)}`;
    });

  it("A, AAAA, ANY and every other type get the one CNAME, with the decision's TTL and ECS scope", () => {
    const rig = makeRig({ zones: ZONES });
    for (const type of ['A', 'AAAA', 'ANY', 'TXT', 'MX', 'CNAME', 'SRV', 'NSEC', 'CAA']) {
      const r = rig.ask('app.cname.test', type, net(EUROPE));
      expect([r.rcode, r.aa], type).to.deep.equal([0, true]);
      expect(answersOf(r), type).to.have.length(1);
      expect(answersOf(r)[0], type).to.match(/^app\.cname\.test 60 CNAME eu-[12]\.elb\.example\.net$/);
      expect(r.scope, type).to.be.within(1, 32);
      const us = rig.ask('app.cname.test', type, net(AMERICAS));
      expect(answersOf(us), type).to.deep.equal(['app.cname.test 60 CNAME us-1.elb.example.net']);
    }
  });

  it('queries rotate the CNAME by weight (3:1), as address answers rotate', () => {
    const rig = makeRig({ zones: ZONES });
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const a = answersOf(rig.ask('app.cname.test', i % 2 ? 'A' : 'AAAA', net(EUROPE)));
      counts.set(a[0]!, (counts.get(a[0]!) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).to.deep.equal({
      'app.cname.test 60 CNAME eu-1.elb.example.net': 300,
      'app.cname.test 60 CNAME eu-2.elb.example.net': 100,
    });
  });

  it('failover and the fallback CNAME through the wire; the fallback is not chased into the zone', () => {
    const rig = makeRig({ zones: ZONES });
    rig.health.drain('eu-west');
    expect(answersOf(rig.ask('app.cname.test', 'A', net(EUROPE)))).to.deep.equal([
      'app.cname.test 15 CNAME us-1.elb.example.net',
    ]);
    rig.health.drain('us-east');
    const r = rig.ask('app.cname.test', 'AAAA', net(EUROPE));
    expect(answersOf(r)).to.deep.equal(['app.cname.test 15 CNAME sorry.example.org']);
    expect(r.scope).to.equal(0);
    // sorry.cname.test has an A record in this zone: the answer still ends at the CNAME.
    expect(answersOf(rig.ask('web.cname.test', 'A', net(EUROPE)))).to.deep.equal([
      'web.cname.test 8 CNAME sorry.cname.test',
    ]);
    expect(answersOf(rig.ask('web.cname.test', 'AAAA', net(EUROPE)))).to.deep.equal([
      'web.cname.test 8 CNAME sorry.cname.test',
    ]);
    // The address name keeps its NODATA for other types (it is not a CNAME name).
    const txt = rig.ask('web.cname.test', 'TXT', net(EUROPE));
    expect([txt.rcode, answersOf(txt)]).to.deep.equal([0, []]);
  });

  it('a master-file CNAME into a CNAME name: the chain, then the decided CNAME, and no further', () => {
    const rig = makeRig({ zones: ZONES });
    for (const type of ['A', 'AAAA', 'TXT']) {
      const r = rig.ask('alias.cname.test', type, net(AMERICAS));
      expect(answersOf(r), type).to.deep.equal([
        'alias.cname.test 3600 CNAME app.cname.test',
        'app.cname.test 60 CNAME us-1.elb.example.net',
      ]);
      expect(r.scope, type).to.be.within(1, 32);
    }
  });
});

describe('CNAME endpoints: load-aware, read at the host name', () => {
  it("a load source's {address} is the host name; least-loaded keeps its choice within the margin", () => {
    const rig = makeRig({ zones: ZONES });
    const edge = policy.loads.get('edge')!;
    const [eu, us] = nameOf('busy').pools.map((p) => p.endpoints[0]!);
    expect(loadUrlOf(edge, eu!)).to.equal('http://eu.busy.example.net/nginx_status');
    const load = (euConnections: number, usConnections: number) => {
      rig.health.set(loadKey(edge, eu!), { up: true, connections: euConnections, capacity: 100, since: 1 });
      rig.health.set(loadKey(edge, us!), { up: true, connections: usConnections, capacity: 100, since: 1 });
    };
    const target = () =>
      (rig.ask('busy.cname.test', 'AAAA', net(EUROPE)).packet.answers ?? []).map((a) =>
        String((a as { data: unknown }).data),
      );
    load(50, 10);
    expect(target()).to.deep.equal(['us.busy.example.net']);
    // eu-west is lower by less than the 10% margin: the node's steering keeps us-east.
    load(9.5, 10);
    expect(target()).to.deep.equal(['us.busy.example.net']);
    load(5, 10);
    expect(target()).to.deep.equal(['eu.busy.example.net']);
  });
});
