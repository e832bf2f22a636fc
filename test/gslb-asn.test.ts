// ASN regions (issue #18 item 7): ASN databases given with --geoip, `match: { asns }` in policy files,
// the ASN regions compiled into the same class trie as locations and CIDRs (cidrs > asns >
// subdivisions > countries > continents > default), the ECS scope at ASN network boundaries, the
// error without an ASN database, and all of it through `gslb serve` and `gslb explain`.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCountryCode } from '../geo/countries.js';
import { bundledDatabasePath } from '../geo/bundled.js';
import { locate, locateAsn, openGeoData, type GeoData } from '../geo/geoip.js';
import { writeMmdb } from '../geo/mmdb-writer.js';
import { GeoFileError } from '../geo/geo-errors.js';
import { explainQuery } from '../server/explain/explain.js';
import { ClassifierCache, classifyWithDepth } from '../server/gslb/classify.js';
import { indexRegions, matchLocation } from '../server/gslb/regions.js';
import { buildConfig, DnsNode } from '../server/node.js';
import { silentLogger } from '../server/log.js';
import { openGeo } from '../server/cli/geo-files.js';
import { loadZones } from '../zones/load.js';
import { parseName } from '../zones/name.js';
import { loadPolicy } from '../zones/policy/index.js';
import { formatZoneError } from '../zones/records.js';
import type { LbName, Region, RegionMap } from '../zones/policy-types.js';
import { StaticHealth } from '../health/static-health.js';
import { ASN_ROWS, buildAsnFixture, SHARED_GEOIP_DIR } from './helpers/geo-fixtures.js';
import { cityDatabase, GSLB_ZONES, makeRig, seeded, staticSource, type Rig } from './helpers/gslb.js';
import { startServe, type ServeNode } from './helpers/serve-node.js';
import { ask, type TestServer } from './helpers/dns.js';
import { gslb, stopAll } from './helpers/processes.js';

const ASN_ZONES = 'test/fixtures/asn';
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** The fixture zone's datacenters by endpoint address (A records). */
const DC_OF: Record<string, string> = {
  '192.0.2.10': 'us-east',
  '192.0.2.20': 'us-west',
  '198.51.100.10': 'eu-west',
  '203.0.113.10': 'ap-south',
  '192.0.2.50': 'isp-pop',
};
const dcOf = (addresses: readonly string[]) => addresses.map((a) => DC_OF[a] ?? `unknown(${a})`).join('+') || 'none';

const bytesOf = (ip: string): Uint8Array => {
  if (!ip.includes(':')) return Uint8Array.from(ip.split('.').map(Number));
  const [head, tail = ''] = ip.split('::') as [string, string?];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
};

let asnPath: string;
before(() => {
  asnPath = buildAsnFixture(tmp('gslb-asn-'));
});
after(() => stopAll());

describe('ASN databases (--geoip)', () => {
  it('an ASN database is told from a location database by its type, and compiled into a trie of its own', () => {
    const geo = openGeoData([cityDatabase(), asnPath]);
    expect(geo.databases.map((d) => [d.databaseType, d.kind])).to.deep.equal([
      ['GSLB-City-Test', 'location'],
      ['GSLB-ASN-Test', 'asn'],
    ]);
    // Each network's ASN over its own network; 4200000000 is above 2^31 (ids are interned, never leaves).
    for (const [network, asn] of ASN_ROWS) {
      const [ip, prefix] = network.split('/') as [string, string];
      const hit = locateAsn(geo, ip.includes(':') ? 6 : 4, bytesOf(ip));
      expect([hit.asn, hit.prefix, hit.database?.path], network).to.deep.equal([asn, Number(prefix), asnPath]);
    }
    expect(locateAsn(geo, 4, bytesOf('81.2.69.0')).asn).to.equal(null);
    // The ASN database never gives a location: 89.160.20.0 is in AS64501 but in no City network.
    expect(locate(geo, 4, bytesOf('89.160.20.0')).location).to.equal(null);
    expect(locate(geo, 4, bytesOf('89.160.20.128')).location?.country).to.equal('SE');
  });

  it('an ASN database is also told by its records: autonomous_system_number and no location', () => {
    const path = buildAsnFixture(tmp('gslb-asn-shape-'), { databaseType: 'Acme-Networks' });
    const geo = openGeoData([cityDatabase(), path]);
    expect(geo.databases.map((d) => d.kind)).to.deep.equal(['location', 'asn']);
    expect(locateAsn(geo, 4, bytesOf('67.43.156.1')).asn).to.equal(4200000000);
  });

  it('several ASN databases: the first that has the address wins, as for locations', () => {
    const dir = tmp('gslb-asn-two-');
    const first = buildAsnFixture(dir, { file: 'first.mmdb', rows: [['81.2.69.128/26', 65000]] });
    const geo = openGeoData([first, cityDatabase(), asnPath]);
    expect(geo.databases.map((d) => d.kind)).to.deep.equal(['asn', 'location', 'asn']);
    expect(locateAsn(geo, 4, bytesOf('81.2.69.130'))).to.include({ asn: 65000, prefix: 26 });
    expect(locateAsn(geo, 4, bytesOf('81.2.69.200'))).to.include({ asn: 64500, prefix: 26 });
    expect(locate(geo, 4, bytesOf('81.2.69.142')).location?.city).to.equal('London');
  });

  it('only ASN databases given: the bundled country database still locates clients (opened last)', () => {
    const geo = openGeo([asnPath]);
    expect(geo.databases.map((d) => [d.path, d.kind])).to.deep.equal([
      [asnPath, 'asn'],
      [bundledDatabasePath(), 'location'],
    ]);
    expect(locate(geo, 4, bytesOf('81.2.69.142')).location?.country).to.equal('GB');
    expect(locateAsn(geo, 4, bytesOf('81.2.69.142')).asn).to.equal(64500);
    // openGeoData itself adds nothing unless asked: no location database, every location unknown.
    const bare = openGeoData([asnPath]);
    expect(bare.databases).to.have.length(1);
    expect(locate(bare, 4, bytesOf('81.2.69.142')).location).to.equal(null);
  });

  it('a database with neither locations nor ASNs is refused, naming the file', () => {
    const path = join(tmp('gslb-conn-'), 'conn.mmdb');
    writeFileSync(
      path,
      writeMmdb([{ network: '81.2.69.0/24', data: { connection_type: 'Cable/DSL' } }], {
        databaseType: 'GeoIP2-Connection-Type',
        ipVersion: 6,
      }),
    );
    expect(() => openGeoData([path]))
      .to.throw(GeoFileError, `${path}: database type 'GeoIP2-Connection-Type' has neither locations nor ASNs`)
      .with.property('code', 'E_GEO_NO_LOCATIONS');
  });

  it('a database whose type says ASN but whose records have no autonomous_system_number is refused', () => {
    const path = join(tmp('gslb-ipinfo-'), 'ipinfo-asn.mmdb');
    writeFileSync(
      path,
      writeMmdb([{ network: '81.2.69.0/24', data: { asn: 'AS64500', name: 'Example' } }], {
        databaseType: 'ipinfo asn.mmdb',
        ipVersion: 6,
      }),
    );
    expect(() => openGeoData([path]))
      .to.throw(GeoFileError, `${path}: database type 'ipinfo asn.mmdb' has neither locations nor ASNs`)
      .with.property('code', 'E_GEO_NO_LOCATIONS');
  });

  it("MaxMind's GeoLite2-ASN test database, when present, reads as an ASN database", function () {
    const path = join(SHARED_GEOIP_DIR, 'GeoLite2-ASN-Test.mmdb');
    try {
      readFileSync(path);
    } catch {
      this.skip();
    }
    const geo = openGeoData([cityDatabase(), path]);
    expect(geo.databases[1]!.kind).to.equal('asn');
    // From its source data: 1.128.0.0/11 is AS1221 (Telstra), 12.81.92.0/22 AS7018.
    expect(locateAsn(geo, 4, bytesOf('1.128.0.1'))).to.include({ asn: 1221, prefix: 11 });
    expect(locateAsn(geo, 4, bytesOf('12.81.92.1'))).to.include({ asn: 7018, prefix: 22 });
  });
});

describe('policy files: match.asns', () => {
  const apex = (() => {
    const r = parseName('asn.test.', null);
    if (!r.ok) throw new Error(r.error);
    return r.name;
  })();
  const load = (regions: string) =>
    loadPolicy(
      [{ file: 'p.yaml', text: `datacenters:\n  a: {}\n  b: {}\nregions:\n${regions}` }],
      apex,
      isCountryCode,
      () => '',
    );
  const at = (r: ReturnType<typeof load>) => r.errors.map((e) => `${e.file}:${e.line} ${e.code}`);

  it('whole numbers 1..4294967295, kept with their line', () => {
    const r = load(
      '  isp:\n    match: { asns: [64500, 1, 4294967295] }\n    datacenters: [a]\n  both:\n    match:\n      countries: [FR]\n      asns: [64501]\n    datacenters: [b]\n',
    );
    expect(r.errors.map(formatZoneError)).to.deep.equal([]);
    const isp = r.config.regions.get('isp')!.match!;
    expect([isp.asns, isp.asnsLine]).to.deep.equal([[64500, 1, 4294967295], 6]);
    const both = r.config.regions.get('both')!.match!;
    expect([both.countries, both.asns, both.asnsLine]).to.deep.equal([['FR'], [64501], 11]);
    expect(r.config.regions.get('isp')!.match!.cidrs).to.deep.equal([]);
  });

  const bad: Array<[string, string, string[], RegExp]> = [
    ['zero', '[0]', ['p.yaml:6 E_POLICY_OUT_OF_RANGE'], /match: asns: entry 1: must be >= 1 /],
    ['2^32', '[4294967296]', ['p.yaml:6 E_POLICY_OUT_OF_RANGE'], /match: asns: entry 1: must be <= 4294967295 /],
    ['negative', '[-5]', ['p.yaml:6 E_POLICY_OUT_OF_RANGE'], /match: asns: entry 1: must be >= 1 /],
    ['a fraction', '[64500.5]', ['p.yaml:6 E_POLICY_BAD_TYPE'], /match: asns: entry 1: must be integer /],
    ["the 'AS' spelling", '[AS64500]', ['p.yaml:6 E_POLICY_BAD_TYPE'], /match: asns: entry 1: must be integer /],
    ['a bare number, not a list', '64500', ['p.yaml:6 E_POLICY_BAD_TYPE'], /match: asns: must be array /],
  ];
  for (const [what, asns, codes, message] of bad)
    it(`refuses ${what}: ${asns}`, () => {
      const r = load(`  isp:\n    match: { asns: ${asns} }\n    datacenters: [a]\n`);
      expect(at(r)).to.deep.equal(codes);
      expect(r.errors.map(formatZoneError)[0]).to.match(message);
    });

  it('an ASN in two regions is claimed twice, as a country would be', () => {
    const r = load(
      '  one:\n    match: { asns: [64500, 64501] }\n    datacenters: [a]\n  two:\n    match: { asns: [64502, 64500] }\n    datacenters: [b]\n',
    );
    expect(at(r)).to.deep.equal(['p.yaml:9 E_POLICY_MATCH_CLAIMED_TWICE']);
    expect(r.errors[0]!.message).to.equal(
      "region 'two': match: asns: entry 2: asn 64500 is already matched by region 'one'",
    );
  });

  it("the 'default' region takes no asns either", () => {
    const r = load('  default:\n    match: { asns: [64500] }\n    datacenters: [a]\n');
    expect(at(r)).to.deep.equal(['p.yaml:6 E_POLICY_DEFAULT_REGION_MATCH']);
  });
});

/** The region a client ought to be in, matched by hand: CIDR, then ASN, then the location's match. */
function expectedRegion(geo: GeoData, map: RegionMap, family: 4 | 6, bytes: Uint8Array): Region | null {
  let best: { prefix: number; region: Region } | null = null;
  for (const r of map.values())
    for (const c of r.match?.cidrs ?? []) {
      if (c.family !== family || c.prefix < (best?.prefix ?? -1)) continue;
      let inside = true;
      for (let bit = 0; bit < c.prefix && inside; bit++)
        inside = ((bytes[bit >> 3]! ^ c.bytes[bit >> 3]!) >> (7 - (bit & 7))) % 2 === 0;
      if (inside) best = { prefix: c.prefix, region: r };
    }
  if (best) return best.region;
  const ix = indexRegions(map);
  const asn = locateAsn(geo, family, bytes).asn;
  const byAsn = asn === null ? undefined : ix.byAsn.get(asn);
  if (byAsn) return byAsn;
  return matchLocation(ix, locate(geo, family, bytes).location).region;
}

describe('ASN regions in the class trie', () => {
  let rig: Rig;
  before(() => {
    rig = makeRig({ zones: ASN_ZONES, geoip: [cityDatabase(), asnPath] });
  });

  const explainWhy = (client: string) =>
    explainQuery(rig.catalog, rig.geo, rig.health.view(), { name: 'www.asn.test', type: 'A', client });

  // [client (ECS), datacenter, scope, region, why]
  const table: Array<[string, string, number, string, string]> = [
    // cidrs > asns: corp's /28 inside AS64500's /25; around it the ASN's region, up to the /28 boundary.
    ['81.2.69.160/28', 'ap-south', 28, 'corp', 'cidr 81.2.69.160/28'],
    ['81.2.69.176/28', 'isp-pop', 28, 'isp-x', 'asn 64500'],
    ['81.2.69.142/31', 'isp-pop', 27, 'isp-x', 'asn 64500'], // asns > continents (GB, EU)
    ['81.2.69.192/26', 'isp-pop', 26, 'isp-x', 'asn 64500'],
    ['81.2.69.0/24', 'us-east', 25, 'default', 'location unknown: default region'], // .0/25: no ASN, no location
    // asns > countries: SE clients of AS64501; the region spans the whole /24, wider than SE's /25.
    ['89.160.20.128/25', 'isp-pop', 24, 'isp-x', 'asn 64501'],
    ['89.160.20.0/26', 'isp-pop', 24, 'isp-x', 'asn 64501'], // no location at all: the ASN alone places it
    ['89.160.21.0/24', 'us-east', 24, 'default', 'location unknown: default region'],
    // asns > subdivisions; an ASN in no region (AS64502) leaves the client to its location.
    ['216.160.83.64/29', 'isp-pop', 29, 'isp-x', 'asn 64500'],
    ['216.160.83.56/29', 'us-west', 29, 'us-west', 'subdivision US-WA'],
    ['67.43.156.0/24', 'eu-west', 24, 'isp-y', 'asn 4200000000'], // a 32-bit ASN, over continent AS
    ['214.0.0.0/24', 'ap-south', 23, 'asia', 'continent AS'], // no ASN: as before
    // IPv6: AS64501 holds the first /32 of DE's /29; the rest of the /29 stays europe, scopes at the split.
    ['2001:218::/32', 'isp-pop', 32, 'isp-x', 'asn 64500'],
    ['2001:218:1::/48', 'isp-pop', 32, 'isp-x', 'asn 64500'],
    ['2a02:d180::/32', 'isp-pop', 32, 'isp-x', 'asn 64501'],
    ['2a02:d181::/32', 'eu-west', 32, 'europe', 'continent EU'],
    ['2a02:d184::/30', 'eu-west', 30, 'europe', 'continent EU'],
    ['::ffff:81.2.69.142/128', 'isp-pop', 123, 'isp-x', 'asn 64500'], // IPv4-mapped: 96 + 27
  ];
  for (const [client, dc, scope, region, why] of table)
    it(`${client} -> ${dc} scope ${scope} (${region}: ${why})`, () => {
      const r = rig.ask('www.asn.test', 'A', client);
      expect([dcOf(r.addresses), r.scope]).to.deep.equal([dc, scope]);
      const e = explainWhy(client);
      expect(e.region).to.deep.equal({ name: region, why });
      expect(e.scope).to.equal(scope);
    });

  it("an ASN region fails over in its own order, with the same scope; the location's clients never see it", () => {
    rig.health.drain('isp-pop');
    try {
      expect(dcOf(rig.ask('www.asn.test', 'A', '81.2.69.142/31').addresses)).to.equal('us-east'); // isp-x: [isp-pop, us-east]
      expect(rig.ask('www.asn.test', 'A', '81.2.69.142/31').scope).to.equal(27);
      expect(explainWhy('81.2.69.142/31').region).to.deep.equal({ name: 'isp-x', why: 'asn 64500' });
      expect(dcOf(rig.ask('www.asn.test', 'A', '2a02:d184::/30').addresses)).to.equal('eu-west');
    } finally {
      rig.health.undrain('isp-pop');
    }
    expect(dcOf(rig.ask('www.asn.test', 'A', '81.2.69.142/31').addresses)).to.equal('isp-pop');
  });

  it('every address of three /24s: the class is the hand-matched region, and its scope the widest block of that region', () => {
    const zone = [...rig.catalog.zones.values()][0]!.zone;
    const name = zone.policy.names.values().next().value as LbName;
    const classifier = new ClassifierCache(rig.geo).forName(name, zone.policy.regions, zone.policy.datacenters)!;
    for (const net of ['81.2.69', '89.160.20', '216.160.83']) {
      const want = Array.from({ length: 256 }, (_, i) =>
        expectedRegion(rig.geo, zone.policy.regions, 4, bytesOf(`${net}.${i}`)),
      );
      for (let i = 0; i < 256; i++) {
        const { id, depth } = classifyWithDepth(classifier, 4, bytesOf(`${net}.${i}`));
        expect(classifier.classes[id]!.region, `${net}.${i}`).to.equal(want[i]);
        if (depth < 24) continue; // wider than the /24: checked by the table above
        const size = 2 ** (32 - depth);
        const start = i - (i % size);
        // The block is one region, and the block one bit wider is not (else the scope could be wider).
        for (let j = start; j < start + size; j++)
          expect(want[j], `${net}.${j} in ${net}.${i}/${depth}`).to.equal(want[i]);
        if (depth > 24) {
          const wider = 2 * size;
          const w0 = i - (i % wider);
          const same = want.slice(w0, w0 + wider).every((r) => r === want[i]);
          expect(same, `${net}.${i}/${depth} could be /${depth - 1}`).to.equal(false);
        }
      }
    }
  });

  it('a region map without asns compiles to the same trie with or without an ASN database loaded', () => {
    const zones = loadZones(GSLB_ZONES).zones;
    const tries = [[cityDatabase()], [cityDatabase(), asnPath]].map((paths) => {
      const zone = zones[0]!;
      const name = [...zone.policy.names.values()].find((n) => n.label === 'www')!;
      return new ClassifierCache(openGeoData(paths)).forName(name, zone.policy.regions, zone.policy.datacenters)!.trie;
    });
    expect(Buffer.from(tries[1]!.kids.buffer).equals(Buffer.from(tries[0]!.kids.buffer))).to.equal(true);
    expect([tries[1]!.v4Root, tries[1]!.v6Root]).to.deep.equal([tries[0]!.v4Root, tries[0]!.v6Root]);
  });

  it('explain shows the ASN and the database it came from, or that the address has none', () => {
    const e = explainWhy('81.2.69.142/31');
    expect(e.asn).to.deep.equal({ number: 64500, database: 'asn.mmdb', network: '81.2.69.128/25' });
    expect(explainWhy('81.2.69.0/24').asn).to.deep.equal({ number: null, database: null, network: null });
    const plain = makeRig({ zones: GSLB_ZONES, rng: seeded(1) });
    const none = explainQuery(plain.catalog, plain.geo, plain.health.view(), {
      name: 'www.lb.test',
      type: 'A',
      client: '81.2.69.142/31',
    });
    expect(none.asn).to.equal(null); // no ASN database loaded: nothing to show
  });
});

describe('regions with asns and no ASN database', () => {
  const cityOnly = () => openGeoData([cityDatabase()]);
  const LINE =
    /^asn\.test\/policy\.yaml:10: region 'isp-x' matches asns, but no ASN database is loaded: give one with --geoip \(GeoLite2-ASN, or DB-IP ASN lite in MaxMind format\) \[E_GEO_NO_ASN_DATABASE\]$/;

  it('a build is refused, with the line of each region and the code', () => {
    const r = buildConfig(ASN_ZONES, cityOnly(), silentLogger);
    expect(r.built).to.equal(null);
    expect(r.errors).to.have.length(2);
    expect(r.errors[0]).to.match(LINE);
    expect(r.errors[1]).to.match(
      /^asn\.test\/policy\.yaml:13: region 'isp-y' matches asns, .* \[E_GEO_NO_ASN_DATABASE\]$/,
    );
    expect(buildConfig(ASN_ZONES, openGeoData([cityDatabase(), asnPath]), silentLogger).errors).to.deep.equal([]);
  });

  it('a reload that adds asns fails and the last good configuration keeps serving', () => {
    const dir = tmp('gslb-asn-reload-');
    cpSync(ASN_ZONES, dir, { recursive: true });
    const policy = join(dir, 'asn.test', 'policy.yaml');
    const withAsns = readFileSync(policy, 'utf8');
    // Served first without the ASN regions (corp, europe, ... as they are).
    writeFileSync(policy, withAsns.replace(/ {2}isp-x:\n.*\n.*\n {2}isp-y:\n.*\n.*\n/, ''));
    const geo = cityOnly();
    const first = buildConfig(dir, geo, silentLogger);
    expect(first.errors).to.deep.equal([]);
    const health = new StaticHealth();
    const node = new DnsNode(
      {
        zonesDir: dir,
        nodeId: 'asn-node',
        geo,
        health: staticSource(health),
        log: silentLogger,
        pipeline: { nsid: null, chaos: { identity: 't', version: null }, rng: seeded(1) },
      },
      first.built!,
    );
    try {
      const before = node.configVersion;
      const answer = () => {
        const e = node.explain({ name: 'www.asn.test', type: 'A', client: '81.2.69.142/31' });
        return `${e.region?.name} ${e.chosen}`;
      };
      expect(answer()).to.equal('europe eu-west');
      writeFileSync(policy, withAsns);
      const r = node.reload('test');
      expect(r.ok).to.equal(false);
      expect(r.errors).to.have.length(2);
      expect(r.errors[0]).to.match(LINE);
      expect(node.configVersion).to.equal(before);
      expect(answer()).to.equal('europe eu-west');
    } finally {
      node.close();
    }
  });

  it('gslb explain and gslb simulate say so and exit 1; gslb check validates the files alone and says serve needs one', () => {
    const explain = spawnSync(
      process.execPath,
      [
        'bin/gslb',
        'explain',
        '--zones',
        ASN_ZONES,
        '--geoip',
        cityDatabase(),
        '--client',
        '81.2.69.142/31',
        'www.asn.test',
      ],
      { encoding: 'utf8' },
    );
    expect(explain.status).to.equal(1);
    expect(explain.stderr.split('\n')[0]).to.match(LINE);
    const clients = join(tmp('gslb-asn-sim-'), 'clients.csv');
    writeFileSync(clients, '81.2.69.142/31,1\n');
    const simulate = spawnSync(
      process.execPath,
      ['bin/gslb', 'simulate', '--zones', ASN_ZONES, '--geoip', cityDatabase(), '--clients', clients],
      { encoding: 'utf8' },
    );
    expect(simulate.status).to.equal(1);
    expect(simulate.stderr.split('\n')[0]).to.match(LINE);
    const check = spawnSync(process.execPath, ['bin/gslb', 'check', '--zones', ASN_ZONES], { encoding: 'utf8' });
    expect(check.status).to.equal(0);
    expect(check.stdout).to.equal('ok: 1 zone(s), 3 name(s)\n');
    expect(check.stderr).to.equal(
      "note: asn.test/policy.yaml:10: region 'isp-x' matches asns: serve, explain and simulate need an ASN database given with --geoip\n" +
        "note: asn.test/policy.yaml:13: region 'isp-y' matches asns: serve, explain and simulate need an ASN database given with --geoip\n",
    );
  });

  it('gslb serve refuses to start: the region line with its code, then one line naming the zones', async () => {
    const node = gslb([
      'serve',
      '--zones',
      ASN_ZONES,
      '--geoip',
      cityDatabase(),
      '--listen',
      '127.0.0.1:0',
      '--workers',
      '1',
    ]);
    expect(await node.finished()).to.equal(1);
    const lines = node.stderr.trim().split('\n');
    expect(lines[0]).to.match(LINE);
    expect(lines.at(-1)).to.match(
      /^gslb serve: refusing to start: 2 error\(s\) in test\/fixtures\/asn .*\[E_START_INVALID_CONFIG\]$/,
    );
  });
});

describe('gslb serve --geoip city.mmdb --geoip asn.mmdb (real process, ECS over UDP)', () => {
  let node: ServeNode;
  let server: TestServer;
  before(async () => {
    node = await startServe(ASN_ZONES, ['--geoip', cityDatabase(), '--geoip', asnPath, '--workers', '1']);
    server = { host: '127.0.0.1', port: node.port } as TestServer;
  });
  after(() => node.proc.stop());

  const query = async (ip: string, prefix: number) => {
    const r = await ask(server, {
      name: 'www.asn.test',
      type: 'A',
      edns: {
        options: [
          { code: 8, family: ip.includes(':') ? 2 : 1, sourcePrefixLength: prefix, scopePrefixLength: 0, ip } as never,
        ],
      },
    });
    const o = r.opt!.options!.find((x) => x['code'] === 8)!;
    return [dcOf((r.packet.answers ?? []).map((a) => String((a as { data: unknown }).data))), o['scopePrefixLength']];
  };

  it("a client in an ASN region goes to its datacenter, with the ASN network's scope", async () => {
    expect(await query('81.2.69.142', 31)).to.deep.equal(['isp-pop', 27]);
    expect(await query('89.160.20.128', 25)).to.deep.equal(['isp-pop', 24]);
    expect(await query('2a02:d180::', 32)).to.deep.equal(['isp-pop', 32]);
    expect(await query('67.43.156.0', 24)).to.deep.equal(['eu-west', 24]);
  });

  it('a client outside every ASN region falls to its country, subdivision or continent region', async () => {
    expect(await query('216.160.83.56', 29)).to.deep.equal(['us-west', 29]);
    expect(await query('2a02:d184::', 30)).to.deep.equal(['eu-west', 30]);
    expect(await query('214.0.0.0', 24)).to.deep.equal(['ap-south', 23]);
    expect(await query('81.2.69.160', 28)).to.deep.equal(['ap-south', 28]); // corp's CIDR inside AS64500
  });

  it('the status API lists each database with what it is used for', async () => {
    const status = (await (await fetch(`${node.admin}api/status`)).json()) as {
      geoip: Array<{ path: string; kind: string }>;
    };
    expect(status.geoip.map((d) => [d.path, d.kind])).to.deep.equal([
      [cityDatabase(), 'location'],
      [asnPath, 'asn'],
    ]);
  });

  it("the running node's explain (/api/explain) names the ASN and the reason of the class", async () => {
    const res = await fetch(`${node.admin}api/explain?name=www.asn.test&client=81.2.69.142/31`);
    expect(res.status).to.equal(200);
    const e = (await res.json()) as { asn: unknown; region: unknown; chosen: string; scope: number };
    expect(e.asn).to.deep.equal({ number: 64500, database: 'asn.mmdb', network: '81.2.69.128/25' });
    expect(e.region).to.deep.equal({ name: 'isp-x', why: 'asn 64500' });
    expect([e.chosen, e.scope]).to.deep.equal(['isp-pop', 27]);
  });

  it('gslb explain names the ASN as the reason of the class', () => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/gslb',
        'explain',
        '--zones',
        ASN_ZONES,
        '--geoip',
        cityDatabase(),
        '--geoip',
        asnPath,
        '--client',
        '81.2.69.142/31',
        'www.asn.test',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^asn: {8}64500 \(asn\.mmdb network 81\.2\.69\.128\/25\)$/m);
    expect(r.stdout).to.match(/^region: {5}isp-x: asn 64500$/m);
    expect(r.stdout).to.match(/^location: {3}London, GB-ENG, GB, EU/m);
  });
});
