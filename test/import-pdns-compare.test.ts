// The PowerDNS LUA records import against PowerDNS itself: a zone whose LUA records follow the
// PowerDNS documentation's examples (continent()/country() branches, ifurlup with groups, ifportup,
// ifurlextup, view(), pickwhashed, pickwrandom, pickclosest, a CNAME by continent) is served by pdns_server (bind backend,
// enable-lua-records, the geoip backend reading the test's MaxMind database, ECS on) and, after
// `gslb import pdns-lua`, by `gslb serve --geoip` with the same database. Both probe the same real
// backends bound on 127.0.x.y; a table of clients (ECS) must get the same answers while every
// backend is up and after one datacenter's backends stop. Random and hashed pickers are compared by
// what they may answer (and how often), not answer by answer.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/e2e-cluster.js';
import { buildQuery, decodeReply, ecsOption, udpExchange } from './helpers/dns.js';
import { buildCityFixtureWithRadius } from './helpers/geo-fixtures.js';
import { Pdns, pdnsOrSkip } from './helpers/pdns.js';
import { gslb } from './helpers/processes.js';
import { startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const APEX = 'lua.test';
const EU = ['127.0.1.1', '127.0.1.2'];
const US = ['127.0.2.1'];
const SA = ['127.0.3.1'];

/** The zone: PowerDNS's documented forms, with the test's backends and port. */
function zoneText(port: number): string {
  const url = `http://backend.${APEX}:${port}/health`;
  const q = (xs: readonly string[]) => `{${xs.map((x) => `'${x}'`).join(',')}}`;
  return [
    `$ORIGIN ${APEX}.`,
    '$TTL 300',
    '@     IN SOA ns1 hostmaster 1 3600 600 86400 60',
    '@     IN NS  ns1',
    'ns1   IN A   192.0.2.53',
    // if/elseif/else by continent and country, each an ifurlup over groups (failover in order).
    `geo 30 IN LUA A ( ";if continent('EU') then return ifurlup('${url}', {${q(EU)}, ${q(US)}}, {stringmatch='ok', selector='all'}) "`,
    `                  "elseif country({'BR','AR'}) then return ifurlup('${url}', {${q(SA)}, ${q(US)}}, {stringmatch='ok', selector='all'}) "`,
    `                  "else return ifurlup('${url}', {${q(US)}, ${q(EU)}}, {stringmatch='ok', selector='all'}) end" )`,
    // ifportup: every address that listens, and one random address that listens.
    `all 30 IN LUA A "ifportup(${port}, ${q([...EU, ...US])}, {selector='all'})"`,
    `one 30 IN LUA A "ifportup(${port}, ${q([EU[0]!, US[0]!])})"`,
    // The and/or expression form with literal answers.
    `ao 30 IN LUA A "continent('EU') and '192.0.2.10' or '192.0.2.20'"`,
    `ao 30 IN LUA AAAA "continent('EU') and '2001:db8::10' or '2001:db8::20'"`,
    // Weighted pickers, without health checks.
    `wh 30 IN LUA A "pickwhashed({{1, '192.0.2.31'}, {3, '192.0.2.32'}})"`,
    `wr 30 IN LUA A "pickwrandom({{1, '192.0.2.41'}, {3, '192.0.2.42'}})"`,
    // The closest of three addresses the database places in London, Washington and Singapore.
    `near 30 IN LUA A "pickclosest({'81.2.69.142', '216.160.83.56', '214.0.0.1'})"`,
    // The form of a PowerDNS GSLB setup (../shared/bench/conf/pdns-lua): answers decoupled from their
    // health URLs, an order per continent by reassigning a local, every address of the first group up.
    `ext 30 IN LUA A ( ";local na={['192.0.2.11']='http://${US[0]}:${port}/health',['192.0.2.12']='http://${US[0]}:${port}/health'} "`,
    `                  "local eu={['198.51.100.21']='http://${EU[0]}:${port}/health',['198.51.100.22']='http://${EU[1]}:${port}/health'} "`,
    `                  "local sa={['203.0.113.31']='http://${SA[0]}:${port}/health'} "`,
    `                  "local c=continentCode() local o={na,eu,sa} "`,
    `                  "if c=='eu' or c=='af' then o={eu,na,sa} elseif c=='sa' then o={sa,na,eu} end "`,
    `                  "return ifurlextup(o,{selector='all'})" )`,
    // view(): answers by the client's netmask, the first rule that matches.
    `vw 30 IN LUA A "view({{{'81.2.69.0/24', '2a02:d180::/29'}, {'192.0.2.61'}}, {{'214.0.0.0/16'}, {'192.0.2.62'}}, {{'0.0.0.0/0', '::/0'}, {'192.0.2.63'}}})"`,
    // The documentation's CNAME by continent.
    `www 30 IN LUA CNAME ";if(continent('EU')) then return 'west.example.net' else return 'usa.example.net' end"`,
    '',
  ].join('\n');
}

/** Clients (ECS subnets from test/fixtures/geo/city.csv; null: no ECS, the resolver is 127.0.0.1). */
const CLIENTS: readonly (string | null)[] = [
  '81.2.69.144/28', // EU GB London
  '89.160.20.128/25', // EU SE
  '2.3.3.0/24', // EU, no country
  '216.160.83.56/29', // NA US (WA)
  '214.78.120.0/22', // NA US (CA)
  '175.16.199.0/24', // AS CN
  '214.0.0.0/24', // AS SG
  '214.0.1.0/24', // OC AU
  '177.10.0.0/20', // SA BR
  '181.40.0.0/24', // SA AR
  '2a02:d180::/29', // EU DE (IPv6)
  '2001:218::/32', // AS JP (IPv6)
  '2a02:e700::/29', // AF LY (IPv6)
  '10.20.30.0/24', // not in the database
  null,
];

const ecs = ecsOption;

interface Answer {
  readonly rcode: number;
  /** The answer's records as `TYPE data`, sorted. */
  readonly records: readonly string[];
}

async function ask(port: number, name: string, client: string | null, type = 'A'): Promise<Answer> {
  const q = buildQuery({ name: `${name}.${APEX}`, type, ...(client ? { edns: { options: [ecs(client)] } } : {}) });
  for (let attempt = 0; attempt < 3; attempt++) {
    const raw = await udpExchange('127.0.0.1', port, q, 2000);
    if (!raw) continue;
    const r = decodeReply(raw);
    const records = (r.packet.answers ?? []).map((a) => `${a.type} ${String((a as { data?: unknown }).data)}`);
    return { rcode: r.rcode, records: records.sort() };
  }
  throw new Error(`no reply from 127.0.0.1:${port} for ${name} (${client ?? 'no ECS'})`);
}

const label = (c: string | null) => c ?? 'no ECS';

/** A backend: GET /health answers 200 "ok" on ADDRESS:PORT; close() stops it (its checks fail). */
async function backend(address: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/health' ? 'ok\n' : 'no\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return server;
}

describe('gslb import pdns-lua: the same answers as PowerDNS', function () {
  this.timeout(120_000);
  let dir: string;
  let mmdb: string;
  let port: number;
  let pdns: Pdns | null = null;
  let node: ServeNode | null = null;
  const backends = new Map<string, http.Server>();

  before(async function () {
    pdnsOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'gslb-import-pdns-'));
    mmdb = buildCityFixtureWithRadius(dir);
    port = await freePort();
    for (const a of [...EU, ...US, ...SA]) backends.set(a, await backend(a, port));
    const zonefile = join(dir, `${APEX}.zone`);
    writeFileSync(zonefile, zoneText(port));
    const imp = gslb(['import', 'pdns-lua', zonefile, join(dir, 'zones'), '--geoip', mmdb]);
    const code = await imp.exit();
    expect(code, imp.stderr).to.equal(0);
    console.log(`    ${Pdns.version()}`);
    pdns = await Pdns.start({ apex: APEX, zone: zoneText(port), mmdb, interval: 1 });
    node = await startServe(join(dir, 'zones'), ['--geoip', mmdb]);
  });

  after(async function () {
    await node?.proc.stop();
    await pdns?.stop();
    for (const s of backends.values()) {
      s.closeAllConnections();
      if (s.listening) await new Promise((r) => s.close(r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Until both servers give every client the same answer for NAME (PowerDNS's first checks take a moment). */
  async function sameForAll(name: string, type = 'A'): Promise<void> {
    const diff = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const c of CLIENTS) {
        const [p, g] = await Promise.all([ask(pdns!.port, name, c, type), ask(node!.port, name, c, type)]);
        if (JSON.stringify(p) !== JSON.stringify(g))
          out.push(`${name} ${type} ${label(c)}: PowerDNS ${JSON.stringify(p)}, gslb ${JSON.stringify(g)}`);
      }
      return out;
    };
    let last: string[] = [];
    await until(`${name}: the same answers`, async () => (last = await diff()).length === 0, 20_000, 250).catch(() => {
      throw new Error(`answers differ:\n${last.join('\n')}\n${pdns!.log.slice(-2000)}`);
    });
  }

  /** TTL and ECS scope of one reply (they legitimately differ: docs/migration.md). */
  async function meta(port: number, name: string, client: string): Promise<{ ttl: number; scope: number | null }> {
    const raw = await udpExchange(
      '127.0.0.1',
      port,
      buildQuery({ name: `${name}.${APEX}`, edns: { options: [ecs(client)] } }),
      2000,
    );
    const r = decodeReply(raw!);
    const opt = (r.opt?.options ?? []).find((o) => o['code'] === 8);
    return {
      ttl: (r.packet.answers?.[0] as { ttl?: number } | undefined)?.ttl ?? -1,
      scope: (opt?.['scopePrefixLength'] as number | undefined) ?? null,
    };
  }

  /** What each server answers a client over N queries (the set of answers), for random pickers. */
  async function tally(srvPort: number, name: string, client: string | null, n: number): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const a = await ask(srvPort, name, client);
      const k = a.records.join(' ');
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    return seen;
  }

  it('writes a policy with the translated names', function () {
    const policy = readFileSync(join(dir, 'zones', APEX, 'policy.yaml'), 'utf8');
    for (const name of ['geo', 'all', 'one', 'ext', 'ao', 'vw', 'wh', 'wr', 'near', 'www'])
      expect(policy).to.match(new RegExp(`^  ${name}:`, 'm'));
  });

  it('answers the same while every backend is up: branches, groups, ifportup, and/or, pickclosest, CNAME', async function () {
    await sameForAll('geo');
    await sameForAll('all');
    await sameForAll('ext');
    await sameForAll('ao');
    await sameForAll('ao', 'AAAA'); // the A and AAAA records are one gslb name
    await sameForAll('vw');
    await sameForAll('near');
    await sameForAll('www');
    await sameForAll('www', 'AAAA');
    const eu = await ask(node!.port, 'geo', '81.2.69.144/28');
    expect(eu.records).to.deep.equal(EU.map((a) => `A ${a}`));
    // TTLs are the record's in both; PowerDNS echoes the client's prefix as the ECS scope, gslb gives the
    // widest prefix with the same answer (never narrower than the client's).
    for (const n of ['geo', 'near', 'wh', 'ao']) {
      const [p, g] = [await meta(pdns!.port, n, '81.2.69.144/28'), await meta(node!.port, n, '81.2.69.144/28')];
      expect([p.ttl, g.ttl], n).to.deep.equal([30, 30]);
      expect(p.scope, n).to.equal(28);
      expect(g.scope, n).to.be.at.most(28);
    }
  });

  it('random pickers answer from the same set in about the same shares', async function () {
    for (const name of ['one', 'wr']) {
      const [p, g] = await Promise.all([
        tally(pdns!.port, name, '81.2.69.144/28', 80),
        tally(node!.port, name, '81.2.69.144/28', 80),
      ]);
      expect([...g.keys()].sort(), `${name}: gslb's answers vs PowerDNS's`).to.deep.equal([...p.keys()].sort());
      if (name === 'wr') {
        // weights 1:3: the heavy address leads about three quarters of the answers in both.
        for (const [who, t] of [
          ['PowerDNS', p],
          ['gslb', g],
        ] as const)
          expect(t.get('A 192.0.2.42') ?? 0, who).to.be.within(45, 75);
      }
    }
  });

  it('pickwhashed: each client sticks to one of the weighted addresses in both servers', async function () {
    const allowed = ['A 192.0.2.31', 'A 192.0.2.32'];
    for (const c of CLIENTS) {
      for (const srv of [pdns!.port, node!.port]) {
        const t = await tally(srv, 'wh', c, 4);
        expect(t.size, `${label(c)}: one answer`).to.equal(1);
        expect(allowed).to.include([...t.keys()][0]);
      }
    }
  });

  it('answers the same after the EU datacenter stops (both servers probe the same backends)', async function () {
    for (const a of EU) {
      const s = backends.get(a)!;
      const closed = new Promise((r) => s.close(r));
      s.closeAllConnections();
      await closed;
    }
    // Each notices on its next probes (PowerDNS every second, gslb's translated check every 5 s).
    for (const srv of [pdns!.port, node!.port])
      await until(
        'geo: Europe fails over to the US group',
        async () => (await ask(srv, 'geo', '81.2.69.144/28')).records.join() === `A ${US[0]}`,
        20_000,
        250,
      );
    await sameForAll('geo');
    await sameForAll('all');
    await sameForAll('ext');
    expect((await ask(node!.port, 'ext', '81.2.69.144/28')).records).to.deep.equal(['A 192.0.2.11', 'A 192.0.2.12']);
    // gslb shortens the TTL while a datacenter of the decision is down (health-aware TTL); PowerDNS does not.
    const [p, g] = [await meta(pdns!.port, 'geo', '81.2.69.144/28'), await meta(node!.port, 'geo', '81.2.69.144/28')];
    expect(p.ttl).to.equal(30);
    expect(g.ttl).to.be.within(5, 8);
    // The random one answers only the address that still listens.
    for (const srv of [pdns!.port, node!.port]) {
      await until(
        'one: only the US address',
        async () => (await ask(srv, 'one', null)).records[0] === `A ${US[0]}`,
        20_000,
        250,
      );
      const t = await tally(srv, 'one', '81.2.69.144/28', 20);
      expect([...t.keys()]).to.deep.equal([`A ${US[0]}`]);
    }
  });

  it('when every backend is down: PowerDNS answers its backupSelector, gslb its fallback (a documented difference)', async function () {
    for (const a of [...US, ...SA]) {
      const s = backends.get(a)!;
      const closed = new Promise((r) => s.close(r));
      s.closeAllConnections();
      await closed;
    }
    const eu = '81.2.69.144/28';
    // gslb: fallback all, every address of the client's first datacenter (Europe's group).
    await until(
      'gslb: Europe fails open to its own group',
      async () => (await ask(node!.port, 'geo', eu)).records.join() === EU.map((a) => `A ${a}`).join(),
      20_000,
      250,
    );
    // PowerDNS: backupSelector 'random', one address of all the groups.
    await until(
      'PowerDNS: one address of all',
      async () => (await ask(pdns!.port, 'geo', eu)).records.length === 1,
      20_000,
      250,
    );
    const t = await tally(pdns!.port, 'geo', eu, 30);
    for (const k of t.keys()) expect([...EU, ...US].map((a) => `A ${a}`)).to.include(k);
    // With one group and the same selector for both, the answers agree again: one of the addresses (each
    // server's TCP check sees the US address go on its own probe).
    for (const srv of [pdns!.port, node!.port]) {
      let seen: string[] = [];
      await until(
        'one: either address, as every address is down',
        async () => (seen = [...(await tally(srv, 'one', eu, 20)).keys()].sort()).length === 2,
        20_000,
        250,
      ).catch(() => {
        throw new Error(`one: ${srv === node!.port ? 'gslb' : 'PowerDNS'} answered only ${seen.join(', ')}`);
      });
      expect(seen).to.deep.equal([`A ${EU[0]}`, `A ${US[0]}`]);
    }
  });
});
