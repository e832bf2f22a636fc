// explain is the pipeline with a trace switched on: for a table of (name, type, client) its answer,
// rcode, TTL, ECS scope and chosen datacenter are what a server compiled from the same zones sends for
// the same query (decoded here with dns-packet, an independent reader), the region's why is the one
// the classifier compiled, a CNAME chain is the one the query path followed, and a type the name does
// not decide shows the records served with no decision. Its modules load no dns-packet and match no
// regions or decide on their own.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { rcodeName } from '../zones/dns.js';
import { parseName } from '../zones/name.js';
import { classifyWithDepth } from '../server/gslb/classify.js';
import { explainQuery, ExplainRequestError, formatExplanation, type Explanation } from '../server/explain/explain.js';
import { parseQueryType, queryBytes } from '../server/explain/query-bytes.js';
import { readReply } from '../server/explain/reply-text.js';
import { dcOf, GSLB_ZONES, makeRig, seeded, type Rig } from './helpers/gslb.js';

/** The fixture zone with a region matched by country (GB) and a record of a type without a text form. */
function zonesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-explain-'));
  cpSync(GSLB_ZONES, dir, { recursive: true });
  const regions = join(dir, 'lb.test', 'regions.yaml');
  writeFileSync(
    regions,
    readFileSync(regions, 'utf8').replace(
      'regions:\n',
      'regions:\n  britain:\n    match: { countries: [GB] }\n    datacenters: [eu-west, us-west]\n',
    ),
  );
  appendFileSync(join(dir, 'lb.test', 'records.zone'), 'odd TYPE65280 \\# 4 74657374\nmx MX 10 ns1\n');
  return dir;
}

/** A server's record as explain writes it (names in RDATA without the trailing dot), from dns-packet's decoding. */
function line(a: dnsPacket.Answer): string {
  const d = (a as { data: unknown }).data;
  let text: string;
  switch (a.type) {
    case 'MX': {
      const mx = d as { preference: number; exchange: string };
      text = `${mx.preference} ${mx.exchange}`;
      break;
    }
    case 'SOA': {
      const s = d as Record<string, string | number>;
      text = ['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum'].map((k) => s[k]).join(' ');
      break;
    }
    case 'TXT':
      text = (d as Buffer[]).map((b) => `"${b.toString()}"`).join(' ');
      break;
    default:
      text = Buffer.isBuffer(d) ? `\\# ${d.length} ${d.toString('hex')}` : String(d);
  }
  const type = a.type.startsWith('UNKNOWN_') ? `TYPE${a.type.slice(8)}` : a.type;
  return `${a.name}. ${(a as { ttl: number }).ttl} IN ${type} ${text}`;
}

function keyOf(name: string): string {
  const n = parseName(name, null);
  if (!n.ok) throw new Error(n.error);
  return n.name.key;
}

interface Case {
  readonly name: string;
  readonly type: string;
  readonly client: string;
  readonly down?: string;
  /** The region and why explain must give; null: no region (static, or a policy without one). */
  readonly region?: { name: string | null; why: string } | null;
  readonly loadBalanced: boolean;
  readonly rcode?: string;
  readonly cnames?: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'www.lb.test',
    type: 'A',
    client: '81.2.69.160/27',
    loadBalanced: true,
    region: { name: 'britain', why: 'country GB' },
  },
  {
    name: 'www.lb.test',
    type: 'A',
    client: '2a02:d180::/29',
    loadBalanced: true,
    region: { name: 'europe', why: 'continent EU' },
  },
  {
    name: 'www.lb.test',
    type: 'A',
    client: '216.160.83.56/29',
    loadBalanced: true,
    region: { name: 'us-west', why: 'subdivision US-WA' },
  },
  {
    name: 'www.lb.test',
    type: 'AAAA',
    client: '100.64.7.0/24',
    loadBalanced: true,
    region: { name: 'operator', why: 'cidr 100.64.0.0/16' },
  },
  {
    name: 'www.lb.test',
    type: 'A',
    client: 'fd00:64::1',
    loadBalanced: true,
    region: { name: 'operator', why: 'cidr fd00:64::/32' },
  },
  {
    name: 'www.lb.test',
    type: 'A',
    client: '10.1.2.3',
    loadBalanced: true,
    region: { name: 'default', why: 'location unknown: default region' },
  },
  {
    name: 'www.lb.test',
    type: 'A',
    client: '2a02:e700::/29',
    loadBalanced: true,
    region: { name: 'default', why: 'no region matches the location: default region' },
  },
  {
    name: 'www.lb.test',
    type: 'A',
    client: '::ffff:216.160.83.56/125',
    loadBalanced: true,
    region: { name: 'us-west', why: 'subdivision US-WA' },
  },
  {
    name: 'www.lb.test',
    type: 'ANY',
    client: '63.140.0.0/24',
    down: 'us-east',
    loadBalanced: true,
    region: { name: 'americas', why: 'continent NA' },
  },
  {
    name: 'alias.lb.test',
    type: 'A',
    client: '81.2.69.160/27',
    loadBalanced: true,
    region: { name: 'britain', why: 'country GB' },
    cnames: ['alias.lb.test. -> www.lb.test.'],
  },
  {
    name: 'near.lb.test',
    type: 'A',
    client: '214.0.1.0/24',
    loadBalanced: true,
    region: { name: null, why: 'nearest by distance from -37.8159, 144.9669' },
  },
  {
    name: 'near.lb.test',
    type: 'A',
    client: '10.1.2.3',
    loadBalanced: true,
    region: { name: null, why: 'location unknown: default order' },
  },
  ...Array.from({ length: 8 }, () => ({
    name: 'wt.lb.test',
    type: 'A',
    client: '81.2.69.160/27',
    loadBalanced: true,
    region: null,
  })),
  { name: 'hs.lb.test', type: 'A', client: '89.160.20.128/25', loadBalanced: true, region: null },
  // Types the name does not decide: what was served, and no decision.
  { name: 'www.lb.test', type: 'MX', client: '81.2.69.160/27', loadBalanced: false, region: null },
  { name: 'www.lb.test', type: 'TXT', client: '81.2.69.160/27', loadBalanced: false, region: null },
  { name: 'alias.lb.test', type: 'ANY', client: '81.2.69.160/27', loadBalanced: false, region: null },
  { name: 'mx.lb.test', type: 'TYPE15', client: '81.2.69.142', loadBalanced: false, region: null },
  { name: 'odd.lb.test', type: 'TYPE65280', client: '81.2.69.142', loadBalanced: false, region: null },
  { name: 'nope.lb.test', type: 'A', client: '81.2.69.160/27', loadBalanced: false, region: null, rcode: 'NXDOMAIN' },
  { name: 'lb.test', type: 'SOA', client: '81.2.69.160/27', loadBalanced: false, region: null },
  { name: 'elsewhere.example', type: 'A', client: '81.2.69.142', loadBalanced: false, region: null, rcode: 'REFUSED' },
];

describe('explain and the server agree', () => {
  let zones: string;
  let server: Rig;
  let ex: Rig;
  const explainRng = seeded(5);
  before(() => {
    zones = zonesDir();
    // Two compilations of the same zones, asked the same queries in the same order: their round
    // robins and (seeded) weighted draws move in step, so the replies must be equal.
    server = makeRig({ zones, rng: seeded(5) });
    ex = makeRig({ zones });
  });

  const explain = (c: Case): Explanation => {
    ex.steering.update();
    return explainQuery(
      ex.catalog,
      ex.geo,
      ex.health.view(),
      { name: c.name, type: c.type, client: c.client },
      explainRng,
      ex.steering.view,
    );
  };

  it('answer, rcode, TTL, ECS scope, datacenter, region and why, CNAME chain, for every case', () => {
    let down: string | undefined;
    for (const c of CASES) {
      const what = `${c.name} ${c.type} ${c.client}${c.down ? ` (${c.down} down)` : ''}`;
      for (const rig of [server, ex]) {
        if (down !== undefined) rig.health.undrain(down);
        if (c.down !== undefined) rig.health.drain(c.down);
      }
      down = c.down;
      const e = explain(c);
      // dns-packet spells RFC 3597's TYPEnnn UNKNOWN_nnn.
      const r = server.ask(c.name, c.type.replace(/^TYPE/, 'UNKNOWN_'), c.client);
      expect(e.rcode, what).to.equal(rcodeName(r.rcode));
      if (c.rcode) expect(e.rcode, what).to.equal(c.rcode);
      const answers = r.packet.answers ?? [];
      expect(e.answer, what).to.deep.equal(answers.map(line));
      expect(e.authority, what).to.deep.equal((r.packet.authorities ?? []).map(line));
      expect(e.ttl, what).to.equal(answers.length > 0 ? (answers.at(-1) as { ttl: number }).ttl : null);
      expect(e.scope, what).to.equal(r.scope);
      expect(e.loadBalanced, what).to.equal(c.loadBalanced);
      expect(e.region, what).to.deep.equal(c.region ?? null);
      expect(e.cnames, what).to.deep.equal(c.cnames ?? []);
      if (c.loadBalanced) {
        expect(e.chosen, what).to.equal(dcOf(r.addresses));
        expect(e.steps.length, what).to.be.greaterThan(0);
      } else {
        expect([e.chosen, e.outcome, e.policy, e.candidates, e.steps], what).to.deep.equal([null, null, null, [], []]);
        expect(formatExplanation(e), what).to.match(/^static: +not load-balanced: answered from the zone data$/m);
      }
    }
  });

  it('a weighted name: the explained answer is the one drawn, both datacenters over a few draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const e = explain({ name: 'wt.lb.test', type: 'A', client: '81.2.69.142', loadBalanced: true });
      const r = server.ask('wt.lb.test', 'A', '81.2.69.142');
      expect(e.answer).to.deep.equal((r.packet.answers ?? []).map(line));
      expect(e.chosen).to.equal(dcOf(r.addresses));
      seen.add(e.chosen!);
      expect(e.steps.at(-1)).to.equal('weighted: each query draws again; the answer above is one draw');
    }
    expect([...seen].sort()).to.deep.equal(['eu-west', 'us-east']);
  });

  it('is not traffic: explaining a name adds nothing to its decision counts, asking it does', () => {
    const counted = (rig: Rig, owner: string): number => {
      const parsed = parseName(owner, null);
      if (!parsed.ok) throw new Error(parsed.error);
      let n = 0;
      for (const z of rig.catalog.zones.values())
        for (const node of z.nodes.values())
          if (node.lb?.name.owner.key === parsed.name.key) node.lb.takeDecisions((_key, hits) => (n += hits));
      return n;
    };
    counted(ex, 'www.lb.test.');
    for (let i = 0; i < 3; i++) explain({ name: 'www.lb.test', type: 'A', client: '81.2.69.142', loadBalanced: true });
    expect(counted(ex, 'www.lb.test.')).to.equal(0);
    ex.ask('www.lb.test', 'A', '81.2.69.142');
    expect(counted(ex, 'www.lb.test.')).to.equal(1);
  });

  it('the classifier says why for every address it classifies, in the class it served', () => {
    const rng = seeded(11);
    for (const name of ['www', 'near']) {
      const lb = ex.catalog.exact.get(keyOf(`${name}.lb.test.`))!.node.lb!;
      const classifier = lb.classifier!;
      for (let i = 0; i < 3000; i++) {
        const v6 = i % 3 === 0;
        const bytes = Uint8Array.from({ length: v6 ? 16 : 4 }, () => Math.floor(rng() * 256));
        if (v6 && i % 2 === 0) bytes.set([0x20, 0x01, 0x0d, 0xb8]); // some in the fixture's IPv6 networks
        const { id } = classifyWithDepth(classifier, v6 ? 6 : 4, bytes);
        const reason = classifier.reasons.of(id, v6 ? 6 : 4, bytes);
        expect(reason.classId).to.equal(id);
        expect(reason.why).to.be.a('string').and.not.equal('');
      }
    }
  });
});

describe('explain reads back what was sent', () => {
  it('presentation RDATA for the zone types, RFC 3597 for the rest, names decompressed', () => {
    const rig = makeRig({ zones: 'examples' });
    const lines = (name: string, type: string): string[] =>
      explainQuery(rig.catalog, rig.geo, rig.health.view(), { name, type, client: '192.0.2.1' }).answer;
    expect(lines('gslb.example.com', 'TXT')).to.deep.equal([
      'gslb.example.com. 300 IN TXT "gslb example zone" "served by gslb"',
    ]);
    expect(lines('gslb.example.com', 'CAA')).to.deep.equal(['gslb.example.com. 300 IN CAA 0 issue "letsencrypt.org"']);
    expect(lines('gslb.example.com', 'MX')).to.deep.equal(['gslb.example.com. 300 IN MX 10 mail.gslb.example.com']);
    expect(lines('_sip._udp.gslb.example.com', 'SRV')).to.deep.equal([
      '_sip._udp.gslb.example.com. 300 IN SRV 10 60 5060 mail.gslb.example.com',
    ]);
    expect(lines('gslb.example.com', 'SOA')).to.deep.equal([
      'gslb.example.com. 300 IN SOA ns1.gslb.example.com hostmaster.example.com 2026112601 3600 600 604800 60',
    ]);
    expect(lines('gslb.example.com', 'NS')).to.deep.equal([
      'gslb.example.com. 300 IN NS ns1.gslb.example.com',
      'gslb.example.com. 300 IN NS ns2.gslb.example.com',
    ]);
    expect(lines('docs.gslb.example.com', 'A')).to.deep.equal([
      'docs.gslb.example.com. 300 IN CNAME mail.gslb.example.com',
      'mail.gslb.example.com. 300 IN A 192.0.2.25',
    ]);
    expect(lines('mail.gslb.example.com', 'AAAA')).to.deep.equal(['mail.gslb.example.com. 300 IN AAAA 2001:db8::25']);
  });

  it('readReply: compression pointers, escapes in strings, a generic type, the extended RCODE and the ECS scope', () => {
    const reply = dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: 0,
      questions: [{ name: 'a.example', type: 'A' }],
      answers: [
        { name: 'a.example', type: 'CNAME', ttl: 5, data: 'b.a.example' },
        { name: 'b.a.example', type: 'TXT', ttl: 6, data: [Buffer.from('say "hi"\\\x01')] },
        { name: 'b.a.example', type: 'PTR', ttl: 7, data: '.' },
      ],
      authorities: [{ name: 'a.example', type: 'NULL' as never, ttl: 8, data: Buffer.from([0xab]) } as never],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          extendedRcode: 1,
          options: [{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 20, ip: '192.0.2.0' } as never],
        } as never,
      ],
    });
    const r = readReply(reply);
    expect(r.answer).to.deep.equal([
      'a.example. 5 IN CNAME b.a.example',
      'b.a.example. 6 IN TXT "say \\"hi\\"\\\\\\001"',
      'b.a.example. 7 IN PTR .',
    ]);
    expect(r.authority).to.deep.equal(['a.example. 8 IN TYPE10 \\# 1 ab']);
    expect([r.rcode, r.ttl, r.ecsScope]).to.deep.equal([16, 7, 20]);
  });

  it('query types: mnemonics (ANY too) and TYPEnnn; anything else is a request error', () => {
    expect(parseQueryType('any')).to.deep.equal({ ok: true, value: 255 });
    expect(parseQueryType('TYPE65')).to.deep.equal({ ok: true, value: 65 });
    expect(parseQueryType('OPT').ok).to.equal(false);
    expect(parseQueryType('BOGUS')).to.deep.equal({ ok: false, error: "unknown query type 'BOGUS'" });
    const rig = makeRig();
    expect(() =>
      explainQuery(rig.catalog, rig.geo, rig.health.view(), {
        name: 'www.lb.test',
        type: 'BOGUS',
        client: '192.0.2.1',
      }),
    ).to.throw(ExplainRequestError, /unknown query type 'BOGUS'/);
    // The bytes a resolver would send: dns-packet reads them back as the same question and ECS.
    const q = dnsPacket.decode(
      queryBytes(Buffer.from('\x03www\x02lb\x04test\x00', 'latin1'), 28, {
        family: 4,
        bytes: Buffer.from([81, 2, 69, 142]),
        prefix: 20,
      }),
    );
    expect(q.questions).to.deep.equal([{ name: 'www.lb.test', type: 'AAAA', class: 'IN' }]);
    const opt = q.additionals![0] as unknown as { udpPayloadSize: number; options: Array<Record<string, unknown>> };
    expect(opt.udpPayloadSize).to.equal(1232);
    expect(opt.options[0]).to.deep.include({
      code: 8,
      family: 1,
      sourcePrefixLength: 20,
      scopePrefixLength: 0,
      ip: '81.2.64.0',
    });
  });
});

describe("explain's modules", () => {
  /** The modules a built module imports, transitively (relative imports, as the JS has them). */
  function graph(start: string): string[] {
    const seen = new Set<string>();
    const todo = [resolve(start)];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g))
        if (m[1]!.startsWith('.')) todo.push(resolve(dirname(f), m[1]!));
    }
    return [...seen];
  }

  it('load no dns-packet: explain, simulate and the admin server, by their import graphs', () => {
    for (const start of [
      'dist/server/explain/explain.js',
      'dist/server/simulate/traffic.js',
      'dist/server/admin/http.js',
    ]) {
      const files = graph(start);
      expect(files.length, start).to.be.greaterThan(10);
      const loading = files.filter((f) => readFileSync(f, 'utf8').includes('dns-packet')).map((f) => relative('.', f));
      expect(loading, start).to.deep.equal([]);
    }
  });

  it('load no dns-packet when an explanation is made and the admin API module is loaded (require.cache)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { loadZones } = await import('./dist/zones/load.js');
      const { openGeoData } = await import('./dist/geo/geoip.js');
      const { bundledDatabasePath } = await import('./dist/geo/bundled.js');
      const { compileCatalog } = await import('./dist/server/catalog.js');
      const { StaticHealth } = await import('./dist/health/static-health.js');
      const { explainQuery } = await import('./dist/server/explain/explain.js');
      await import('./dist/server/admin/http.js');
      const geo = openGeoData([bundledDatabasePath()]);
      const catalog = compileCatalog(loadZones('examples').zones, geo);
      const e = explainQuery(catalog, geo, new StaticHealth().view(), { name: 'status.gslb.example.com', type: 'A', client: '81.2.69.0/24' });
      const cached = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('dns-packet'));
      console.log(JSON.stringify({ cached, chosen: e.chosen }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { cached: string[]; chosen: string };
    expect(out.cached).to.deep.equal([]);
    expect(out.chosen).to.equal('eu-west');
  });

  it('match no regions and decide nothing themselves: no matchCidr, matchLocation, decide() or a fresh decision', () => {
    const dir = 'server/explain';
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const banned of [
        /matchCidr|matchLocation|classifyAddress/,
        /gslb\/(regions|decide|plan|pick)\.js/,
        /\bdecide\(|\.decision\(|planFor\(/,
      ])
        expect(banned.test(text), `${f}: ${banned}`).to.equal(false);
    }
    const simulate = readFileSync('server/simulate/traffic.ts', 'utf8');
    expect(/\bdecide\(|classifyAddress|matchLocation/.test(simulate)).to.equal(false);
  });
});
