// GSLB answers by client location: tables of (ECS prefix or resolver address) -> region's datacenter
// and ECS scope, over IPv4, IPv6, IPv4-mapped IPv6 and addresses the database lacks.
import { expect } from 'chai';
import { dcOf, makeRig, type Rig } from './helpers/gslb.js';

describe('GSLB geo policy with a City database', () => {
  let rig: Rig;
  before(() => {
    rig = makeRig();
  });

  // [client, expected datacenter, expected ECS scope, why]
  const table: Array<[string, string, number | null, string]> = [
    ['81.2.69.142/31', 'eu-west', 31, 'GB London: europe; neighbours .140/31 are unknown'],
    ['81.2.69.160/27', 'eu-west', 27, 'GB: europe'],
    ['81.2.69.0/24', 'us-east', 25, 'the /24 network address is not in the database: default; .0/25 is all unknown'],
    ['89.160.20.128/25', 'eu-west', 25, 'SE: europe'],
    ['216.160.83.56/29', 'us-west', 29, 'US-WA: subdivision beats continent'],
    ['214.78.120.0/22', 'us-west', 22, 'US-CA'],
    ['149.101.100.0/28', 'us-east', 28, 'US without subdivision: americas'],
    ['177.10.0.0/20', 'us-east', 20, 'BR (SA): americas'],
    ['67.43.156.0/24', 'ap-south', 24, 'BT (AS): asia'],
    ['214.0.1.0/24', 'ap-south', 23, 'AU (OC): asia, merged with its SG neighbour 214.0.0.0/24 (same answer)'],
    ['2.3.3.0/24', 'eu-west', 24, 'continent EU without a country'],
    ['41.0.0.0/24', 'us-east', 4, 'ZA (AF): no africa region: default, like all of 32.0.0.0/4 around it'],
    ['100.64.7.0/24', 'ap-south', 16, 'operator CIDR beats everything'],
    ['10.1.2.0/24', 'us-east', 5, 'private space, unknown: default, like all of 8.0.0.0/5'],
    ['2001:218::/32', 'ap-south', 32, 'JP over IPv6'],
    ['2a02:d180::/29', 'eu-west', 29, 'DE over IPv6'],
    ['2a02:e700::/29', 'us-east', 19, 'LY (AF) over IPv6: default, like its unknown neighbours up to /19'],
    ['fd00:64:1::/48', 'ap-south', 32, 'operator IPv6 CIDR'],
    ['::ffff:81.2.69.142/128', 'eu-west', 127, 'IPv4-mapped IPv6 is IPv4 (scope counted in IPv6 bits)'],
    ['216.160.83.56', 'us-west', null, "resolver's own address, no ECS: located by the source address"],
    ['127.0.0.1', 'us-east', null, 'loopback resolver: unknown location: default'],
  ];
  for (const [client, dc, scope, why] of table) {
    it(`${client} -> ${dc} scope ${scope} (${why})`, () => {
      const r = rig.ask('www.lb.test', 'A', client);
      expect(r.rcode).to.equal(0);
      expect(r.aa).to.equal(true);
      expect(dcOf(r.addresses)).to.equal(dc);
      expect(r.scope).to.equal(scope);
      for (const a of r.packet.answers ?? []) expect((a as { ttl: number }).ttl).to.equal(30);
    });
  }

  it('resolvers taking turns are each located by their own address (the last one parsed is remembered)', () => {
    // ::ffff:a.b.c.d is how a dual-stack socket shows an IPv4 resolver: located as that IPv4 address.
    const turns = ['216.160.83.56', '127.0.0.1', '216.160.83.56', '::ffff:216.160.83.56', '127.0.0.1'];
    expect(turns.map((a) => dcOf(rig.ask('www.lb.test', 'A', a).addresses))).to.deep.equal([
      'us-west',
      'us-east',
      'us-west',
      'us-west',
      'us-east',
    ]);
  });

  it('the resolver address is used as is when the ECS source prefix is 0', () => {
    const r = rig.ask('www.lb.test', 'A', '216.160.83.56/0');
    expect(dcOf(r.addresses)).to.equal('us-east'); // ECS /0 says nothing; the resolver is 127.0.0.1
    expect(r.scope).to.equal(0);
  });

  it('A and AAAA are chosen from their own family', () => {
    const v6 = rig.ask('www.lb.test', 'AAAA', '81.2.69.142/31');
    expect(v6.addresses).to.deep.equal(['2001:db8:20::10']);
    const west = rig.ask('www.lb.test', 'AAAA', '216.160.83.56/29');
    expect(west.addresses).to.deep.equal(['2001:db8:10::10']); // us-west has no IPv6: next in order with IPv6
  });

  it('a name with endpoints of one family answers NODATA for the other, with scope 0', () => {
    const r = rig.ask('near.lb.test', 'AAAA', '81.2.69.142/31');
    expect(r.rcode).to.equal(0);
    expect(r.answer).to.deep.equal([]);
    expect(r.authority[0]).to.match(/^lb\.test 300 SOA/);
    expect(r.scope).to.equal(0);
  });

  it('rotates endpoints (DNS round robin) and never returns more than max_answers', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = rig.ask('www.lb.test', 'A', '149.101.100.0/28');
      expect(r.addresses).to.have.length(2);
      seen.add(r.addresses.join(','));
    }
    expect(seen.size).to.equal(3); // three rotations of 10, 11, 12
  });

  it('single-datacenter names have scope 0: the answer does not depend on the client', () => {
    expect(rig.ask('single.lb.test', 'A', '81.2.69.142/31').scope).to.equal(0);
  });

  it("a name's own regions override the zone's map", () => {
    expect(dcOf(rig.ask('own.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('ap-south');
    expect(dcOf(rig.ask('own.lb.test', 'A', '216.160.83.56/29').addresses)).to.equal('us-west');
  });

  it('other types at a load-balanced name come from the master file', () => {
    const r = rig.ask('www.lb.test', 'TXT', '81.2.69.142/31');
    expect(r.answer).to.deep.equal(['www.lb.test 3600 TXT static data beside a load-balanced name']);
    expect(r.scope).to.equal(0);
  });

  it('a CNAME to a load-balanced name is chased and decided for the client', () => {
    const r = rig.ask('alias.lb.test', 'A', '81.2.69.142/31');
    expect(r.answer[0]).to.equal('alias.lb.test 3600 CNAME www.lb.test');
    expect(dcOf(r.addresses)).to.equal('eu-west');
    expect(r.scope).to.equal(31);
  });

  it('nearest: great-circle distance to datacenters', () => {
    const cases: Array<[string, string]> = [
      ['81.2.69.142/31', 'eu-west'], // London
      ['216.160.83.56/29', 'us-west'], // Milton, WA
      ['63.140.0.0/24', 'us-east'], // Washington, D.C.
      ['214.0.0.0/24', 'ap-south'], // Singapore
      ['2001:218::/32', 'ap-south'], // Tokyo: Singapore is nearer than California
      ['177.10.0.0/20', 'us-east'], // Sao Paulo
    ];
    for (const [client, dc] of cases) expect(dcOf(rig.ask('near.lb.test', 'A', client).addresses), client).to.equal(dc);
  });

  it('an IPv6 client is never looked up in an IPv4-only database: unknown location, default region', async () => {
    const { buildIpv4Fixture } = await import('./helpers/geo-fixtures.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const v4only = makeRig({ geoip: [buildIpv4Fixture(mkdtempSync(join(tmpdir(), 'gslb-v4-')))] });
    expect(dcOf(v4only.ask('www.lb.test', 'A', '2a02:d180::/29').addresses)).to.equal('us-east');
    expect(dcOf(v4only.ask('www.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west');
  });
});

describe('GSLB with a Country database (no coordinates)', () => {
  it('nearest uses the country centroid; continents come from the country table', async () => {
    const { buildCountryFixture } = await import('./helpers/geo-fixtures.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { locate } = await import('../geo/geoip.js');
    const rig = makeRig({ geoip: [buildCountryFixture(mkdtempSync(join(tmpdir(), 'gslb-cc-')))] });
    const loc = locate(rig.geo, 4, Uint8Array.from([81, 2, 69, 142])).location!;
    expect(loc.coordinates).to.equal('country-centroid');
    expect(loc.country).to.equal('GB');
    expect(dcOf(rig.ask('near.lb.test', 'A', '81.2.69.142/31').addresses)).to.equal('eu-west');
    expect(dcOf(rig.ask('near.lb.test', 'A', '2001:218::/32').addresses)).to.equal('ap-south');
    expect(dcOf(rig.ask('www.lb.test', 'A', '89.160.20.128/25').addresses)).to.equal('eu-west');
  });
});
