// The gdnsd import against gdnsd itself: a config folder written from gdnsd's manual pages (a geoip map
// with continents, a country, a subdivision and a nets override; metafo, multifo, weighted and
// simplefo resources; an http_status service type probing real backends on 127.0.x.y) is served by
// gdnsd and, after `gslb import gdnsd`, by gslb with the same GeoIP database. For a table of clients
// (ECS subnets of several continents, a nets override and none) every DYNA name answers the same
// address set: with everything up, after the eu datacenter is marked down (gdnsd's admin_state file;
// our gslb drain), and after the eu backends stop (both servers' health checks see it).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/e2e-cluster.js';
import { buildQuery, decodeReply, ecsOption, udpExchange, type Reply } from './helpers/dns.js';
import { Gdnsd, gdnsdOrSkip } from './helpers/gdnsd.js';
import { buildCityFixture } from './helpers/geo-fixtures.js';
import { cleanup, redisOrSkip, testPrefix } from './helpers/redis.js';
import { startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const APEX = 'compare.test';
const NA = ['127.0.1.1', '127.0.1.2'];
const EU = ['127.0.2.1', '127.0.2.2'];
const AP = ['127.0.3.1'];

/** Clients: [label, ECS subnet or null (the resolver's own address, 127.0.0.1: no location)]. */
const CLIENTS: ReadonlyArray<readonly [string, string | null]> = [
  ['London (EU, GB)', '81.2.69.144/28'],
  ['Linkoping (EU, country SE)', '89.160.20.128/25'],
  ['Washington (NA, subdivision US-WA)', '216.160.83.56/29'],
  ['Washington DC (NA, default)', '63.140.0.0/24'],
  ['Bhutan (AS)', '67.43.156.0/24'],
  ['Melbourne (OC)', '214.0.1.0/24'],
  ['Sao Paulo (SA, default)', '177.10.0.0/20'],
  ['nets override 10.0.0.0/8', '10.1.0.0/16'],
  ['no ECS', null],
];
const NAMES = ['www', 'api', 'mf', 'sf', 'cdn', 'bk'] as const;

function config(dir: string, port: number, backendPort: number, mmdb: string): string {
  return `# written from gdnsd.config(5) and the plugin pages
options => {
  listen => { 127.0.0.1:${port} => { udp_threads => 1, tcp_threads => 1 } }
  run_dir => ${dir}/run
  state_dir => ${dir}/state
  zones_default_ttl => 300
}
service_types => {
  web => {
    plugin => http_status, port => ${backendPort}, url_path => /health
    interval => 2, timeout => 1, up_thresh => 1, ok_thresh => 1, down_thresh => 1
  }
}
plugins => {
  geoip => {
    maps => {
      world => {
        geoip2_db => ${mmdb}
        datacenters => [na, eu, ap]
        map => {
          default => [na, eu, ap]
          EU => { default => [eu, na, ap], SE => [ap, eu, na] }
          AS => [ap, eu, na]
          OC => [ap, na, eu]
          NA => { US => { WA => [ap, na, eu] } }
        }
        nets => { 10.0.0.0/8 => [eu, ap, na] }
      }
    }
    resources => {
      www => {
        map => world
        service_types => [web]
        dcmap => {
          na => { lb1 => ${NA[0]}, lb2 => ${NA[1]} }
          eu => [${EU.join(', ')}]
          ap => ${AP[0]}
        }
      }
      cdn => {
        map => world
        dcmap => { na => na.cdn.example.net., eu => eu.cdn.example.net., ap => ap.cdn.example.net. }
      }
    }
  }
  metafo => {
    resources => {
      api => { datacenters => [eu, na], service_types => web, dcmap => { eu => [${EU.join(', ')}], na => ${NA[0]} } }
      # the last-resort CNAME of gdnsd-plugin-metafo(8); it is monitored by the inherited service_types too,
      # which http_status cannot do for a CNAME: the check is the eu datacenter's own
      bk => { datacenters => [eu, sorry], dcmap => { eu => { service_types => web, lb1 => ${EU[0]}, lb2 => ${EU[1]} }, sorry => sorry.example.net. } }
    }
  }
  multifo => { mf => { service_types => web, lb01 => ${NA[0]}, lb02 => ${NA[1]}, lb03 => ${EU[0]} } }
  weighted => { wt => { service_types => web, lb1 => [${NA[0]}, 3], lb2 => [${EU[0]}, 1] } }
  simplefo => { sf => { service_types => web, primary => ${EU[0]}, secondary => ${NA[0]} } }
}
`;
}

const ZONE = `$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 192.0.2.1
static A 192.0.2.80
www 30/10 DYNA geoip!www
api 30 DYNA metafo!api
mf 20 DYNA multifo!mf
wt 20 DYNA weighted!wt
sf 20 DYNA simplefo!sf
cdn 30 DYNC geoip!cdn
bk 30 DYNC metafo!bk
`;

/** The reply a server gives to `name` A for `client` (an ECS subnet, or none). */
async function reply(port: number, name: string, client: string | null): Promise<Reply> {
  const options = client ? [ecsOption(client)] : [];
  const q = buildQuery({ name: `${name}.${APEX}`, type: 'A', edns: { options } });
  for (let attempt = 0; attempt < 3; attempt++) {
    const raw = await udpExchange('127.0.0.1', port, q, 1000);
    if (!raw) continue;
    const r = decodeReply(raw);
    expect(r.rcode, `${name} for ${client ?? 'no ECS'} on port ${port}`).to.equal(0);
    return r;
  }
  throw new Error(`no reply from port ${port} for ${name}`);
}

/** The sorted A addresses (and `CNAME target`s) a server gives `name` for `client`. */
async function addresses(port: number, name: string, client: string | null): Promise<string[]> {
  return ((await reply(port, name, client)).packet.answers ?? [])
    .filter((a) => a.type === 'A' || a.type === 'CNAME')
    .map((a) => `${a.type === 'CNAME' ? 'CNAME ' : ''}${String((a as { data: unknown }).data)}`)
    .sort();
}

/** The ECS scope prefix of the reply (null: no ECS option in it). */
async function scope(port: number, name: string, client: string): Promise<number | null> {
  const ecs = (await reply(port, name, client)).opt?.options?.find((o) => o['code'] === 8);
  return ecs ? Number(ecs['scopePrefixLength']) : null;
}

/** Every (name, client) answer of both servers, as `name client: addresses` lines. */
async function table(ports: readonly number[]): Promise<string[][]> {
  const out: string[][] = ports.map(() => []);
  for (const name of NAMES)
    for (const [label, client] of CLIENTS)
      for (const [i, port] of ports.entries())
        out[i]!.push(`${name} ${label}: ${(await addresses(port, name, client)).join(' ')}`);
  return out;
}

/** weighted!wt answers one address of the healthy ones, by weight (random in gdnsd, rotated in gslb). */
async function weightedDraws(port: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const a = await addresses(port, 'wt', null);
    expect(a, 'weighted answers one address').to.have.length(1);
    seen.add(a[0]!);
  }
  return seen;
}

describe('gslb import gdnsd: answers compared with gdnsd serving the same config', function () {
  this.timeout(120_000);
  let dir = '';
  let gdnsd: Gdnsd | null = null;
  let drained: ServeNode | null = null;
  let probed: ServeNode | null = null;
  const backends: Server[] = [];
  let redisUrl = '';
  const prefix = testPrefix();

  before(async function () {
    const bin = gdnsdOrSkip(this);
    redisUrl = await redisOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'gslb-gdnsd-'));
    const backendPort = await freePort();
    for (const a of [...NA, ...EU, ...AP]) {
      const s = createServer((_q, res) => res.end('ok'));
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(backendPort, a, resolve));
      backends.push(s);
    }
    const mmdb = buildCityFixture(dir);
    const src = join(dir, 'gdnsd');
    mkdirSync(join(src, 'zones'), { recursive: true });
    const port = await freePort();
    writeFileSync(join(src, 'config'), config(src, port, backendPort, mmdb));
    writeFileSync(join(src, 'zones', APEX), ZONE);
    gdnsd = await Gdnsd.start(bin, src, port);
    const out = join(dir, 'out');
    const imp = spawnSync(process.execPath, ['bin/gslb', 'import', 'gdnsd', src, out], { encoding: 'utf8' });
    expect(imp.status, imp.stderr).to.equal(0);
    expect(imp.stdout).to.include('(7 load-balanced name(s))');
    // One node with Redis (drains; no agents, so endpoints are not probed), one probing the backends.
    drained = await startServe(out, ['--geoip', mmdb, '--redis', redisUrl, '--redis-prefix', prefix]);
    probed = await startServe(out, ['--geoip', mmdb]);
    // Both up: gdnsd's first monitoring round and our prober's first verdicts.
    await until(
      'gdnsd and gslb see every backend up',
      async () => {
        const [g, p] = await Promise.all([addresses(gdnsd!.port, 'mf', null), addresses(probed!.port, 'mf', null)]);
        return g.length === 3 && p.length === 3;
      },
      20_000,
      200,
    );
  });

  after(async () => {
    await drained?.proc.stop();
    await probed?.proc.stop();
    await gdnsd?.stop();
    for (const s of backends) s.close();
    if (redisUrl) await cleanup(redisUrl, prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the same address sets for every client while every datacenter is up', async () => {
    const [g, d, p] = await table([gdnsd!.port, drained!.port, probed!.port]);
    expect(d).to.deep.equal(g);
    expect(p).to.deep.equal(g);
    // The table is not trivial: the map sends these clients to different datacenters.
    expect(g).to.include(`www London (EU, GB): ${EU.join(' ')}`);
    expect(g).to.include(`www Washington (NA, subdivision US-WA): ${AP.join(' ')}`);
    expect(g).to.include(`www nets override 10.0.0.0/8: ${EU.join(' ')}`);
    expect(g).to.include(`www no ECS: ${NA.join(' ')}`);
    expect(g).to.include('cdn Bhutan (AS): CNAME ap.cdn.example.net');
    expect(g).to.include(`bk no ECS: ${EU.join(' ')}`);
    // The ECS scopes agree too with this database (each merges networks with the same answer).
    const scopes: string[][] = [[], []];
    for (const name of NAMES)
      for (const [label, client] of CLIENTS)
        if (client)
          for (const [i, port] of [gdnsd!.port, drained!.port].entries())
            scopes[i]!.push(`${name} ${label}: /${await scope(port, name, client)}`);
    expect(scopes[1]).to.deep.equal(scopes[0]);
    expect(scopes[0]).to.include('www nets override 10.0.0.0/8: /8');
    expect(scopes[0]).to.include('api London (EU, GB): /0');
    expect([...(await weightedDraws(gdnsd!.port, 40))].sort()).to.deep.equal([NA[0], EU[0]]);
    expect([...(await weightedDraws(drained!.port, 8))].sort()).to.deep.equal([NA[0], EU[0]]);
  });

  it('answers the same after eu is marked down (admin_state in gdnsd, gslb drain in ours)', async () => {
    gdnsd!.adminState('geoip/www/eu => DOWN\ngeoip/cdn/eu => DOWN\nmetafo/api/eu => DOWN\nmetafo/bk/eu => DOWN\n');
    const drain = spawnSync(
      process.execPath,
      ['bin/gslb', 'drain', '--redis', redisUrl, '--redis-prefix', prefix, '--datacenter', 'eu'],
      { encoding: 'utf8' },
    );
    expect(drain.status, drain.stderr).to.equal(0);
    await until(
      'both take eu out',
      async () => {
        const [g, d] = await Promise.all([
          addresses(gdnsd!.port, 'www', '81.2.69.144/28'),
          addresses(drained!.port, 'www', '81.2.69.144/28'),
        ]);
        return g.join() === NA.join() && d.join() === NA.join();
      },
      15_000,
      200,
    );
    const [g, d] = await table([gdnsd!.port, drained!.port]);
    expect(d).to.deep.equal(g);
    expect(g).to.include(`api London (EU, GB): ${NA[0]}`);
    expect(g).to.include(`www nets override 10.0.0.0/8: ${AP.join(' ')}`);
    expect(g).to.include('cdn London (EU, GB): CNAME na.cdn.example.net');
    expect(g).to.include('bk no ECS: CNAME sorry.example.net');
  });

  it('answers the same after the eu backends stop (both servers probe them)', async () => {
    // Only health decides now: gdnsd's admin state cleared (the probing node never had the drain).
    gdnsd!.adminState('');
    await until(
      'gdnsd brings eu back',
      async () => (await addresses(gdnsd!.port, 'cdn', '81.2.69.144/28')).join() === 'CNAME eu.cdn.example.net',
      15_000,
      200,
    );
    for (const s of backends.slice(2, 4)) s.close();
    await until(
      'both see eu down',
      async () => {
        const [g, p] = await Promise.all([addresses(gdnsd!.port, 'sf', null), addresses(probed!.port, 'sf', null)]);
        return g.join() === NA[0] && p.join() === NA[0];
      },
      20_000,
      200,
    );
    const [g, p] = await table([gdnsd!.port, probed!.port]);
    expect(p).to.deep.equal(g);
    expect(g).to.include(`mf no ECS: ${NA.join(' ')}`);
    expect(g).to.include(`www London (EU, GB): ${NA.join(' ')}`);
    expect(g).to.include('bk London (EU, GB): CNAME sorry.example.net');
    expect([...(await weightedDraws(gdnsd!.port, 20))]).to.deep.equal([NA[0]]);
    expect([...(await weightedDraws(probed!.port, 8))]).to.deep.equal([NA[0]]);
  });
});
