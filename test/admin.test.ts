// The admin HTTP API in-process (every route, auth rules, validation, drain moving answers, reloads that
// succeed and fail) and through `gslb serve --admin` (the printed address, the token from the environment,
// refusing a non-loopback address without a token).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dnsPacket from 'dns-packet';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoData } from '../geo/geoip.js';
import { EmbeddedHealthSource } from '../health/embedded-source.js';
import { isLoopback, startAdmin, type AdminServer } from '../server/admin/http.js';
import { adminFlags } from '../server/cli/admin-flags.js';
import { inlineJson, statusPageHtml } from '../server/admin/status-page.js';
import { silentLogger, type Logger } from '../server/log.js';
import { buildConfig, DnsNode } from '../server/node.js';
import { cityDatabase, GSLB_ZONES, seeded } from './helpers/gslb.js';
import { until as waitUntil } from './helpers/until.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function call(base: string, path: string, init: RequestInit = {}): Promise<Res> {
  const r = await fetch(base + path, init);
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: r.status, headers: r.headers, text, json };
}

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = auth) =>
  call(base, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

function answers(node: DnsNode, name: string): string[] {
  const msg = dnsPacket.encode({ type: 'query', id: 3, questions: [{ name, type: 'A' }] });
  const raw = node.pipeline.handleQuery(msg, { address: '127.0.0.1', port: 5300, family: 4 }, 'udp');
  return (dnsPacket.decode(raw!).answers ?? []).map((a) => String((a as { data: unknown }).data));
}

/** A request with a chosen Host header (fetch will not send a forged one). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

describe('admin API (in-process)', function () {
  this.timeout(20_000);
  /** What the admin server logged as errors: [context, message]. */
  const errors: Array<[object | string, string | undefined]> = [];
  const log: Logger = { ...silentLogger, error: (obj, msg) => void errors.push([obj, msg]) };
  let dir: string;
  let health: EmbeddedHealthSource;
  let node: DnsNode;
  let admin: AdminServer;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-admin-'));
    cpSync(GSLB_ZONES, dir, { recursive: true });
    // Every probe succeeds without touching the network: the fixture's endpoints are documentation addresses.
    health = new EmbeddedHealthSource({
      runProbe: async () => ({ ok: true, rttMs: 1, reason: 'HTTP 200', at: Date.now() }),
    });
    const geo = openGeoData([cityDatabase()]);
    const first = buildConfig(dir, geo, silentLogger);
    node = new DnsNode(
      {
        zonesDir: dir,
        nodeId: 'admin-node',
        displayName: 'edge-1',
        geo,
        health,
        log: silentLogger,
        pipeline: { nsid: null, chaos: { identity: 't', version: null }, rng: seeded(1) },
      },
      first.built!,
    );
    await health.start(3000);
    admin = await startAdmin(node, { host: '127.0.0.1', port: 0, token: TOKEN, log });
    base = `http://127.0.0.1:${admin.address().port}`;
  });
  after(async () => {
    await admin?.close();
    await health?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET / serves the self-contained status page', async () => {
    const r = await call(base, '/');
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/html/);
    expect(r.headers.get('cache-control')).to.equal('no-store');
    expect(r.headers.get('content-security-policy')).to.include("default-src 'none'");
    expect(r.text).to.include('<script>').and.include('<style>');
    expect(r.text).not.to.match(/<(script|link|img)[^>]+(src|href)=/); // no external assets
  });

  it('GET /metrics is the Prometheus text format', async () => {
    const r = await call(base, '/metrics');
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    expect(r.text).to.match(/^gslb_info\{version="[^"]+",node="admin-node"\} 1$/m);
  });

  it('GET /api/status', async () => {
    const r = await call(base, '/api/status');
    expect(r.status).to.equal(200);
    expect(r.json).to.include({ nodeId: 'admin-node', configVersion: node.configVersion });
    // The name serve picks (--nsid text, else --identity, else the node id) is the node's displayName.
    expect(r.json['nodeName']).to.equal('edge-1');
    expect(r.json['zones']).to.deep.equal([{ name: 'lb.test.', names: 22, loadBalanced: 19 }]);
    expect(r.json['health']).to.deep.equal({ mode: 'embedded' });
    expect(r.json['redis']).to.equal(null);
    expect(r.json['uptimeSeconds']).to.be.a('number');
    expect(r.json['lastReload']).to.equal(null);
  });

  it('GET /api/health is the health matrix, with the addresses behind each probe target', async () => {
    const r = await call(base, '/api/health');
    expect(r.status).to.equal(200);
    const targets = r.json['targets'] as Array<{ key: string; verdict: { up: boolean } }>;
    expect(r.json['mode']).to.equal('embedded');
    expect(targets.length).to.equal(17); // 10 checked endpoints, 7 load-read endpoints
    expect(targets.every((t) => t.verdict.up)).to.equal(true);
    const addresses = r.json['addresses'] as Record<string, string[]>;
    expect(addresses[targets.find((t) => t.key.includes('|198.51.100.10|'))!.key]).to.deep.equal(['198.51.100.10']);
  });

  it('GET /api/health labels each target readably, as /metrics does', async () => {
    const r = await call(base, '/api/health');
    const labels = r.json['labels'] as Record<string, Record<string, string>>;
    const key = (r.json['targets'] as Array<{ key: string }>).find((t) => t.key.startsWith('web|198.51.100.10|'))!.key;
    expect(labels[key]).to.deep.equal({ check: 'web', target: '198.51.100.10:80' });
    const load = Object.entries(labels).find(([k]) => k.startsWith('load:'))!;
    expect(load[1]).to.have.keys('source', 'url');
    expect(Object.keys(labels)).to.have.length(17);
  });

  it('GET /api/traffic: each region now, the split, the last minute; a drain through the API moves a region', async () => {
    const www = async () => {
      const r = await call(base, '/api/traffic');
      expect(r.status).to.equal(200);
      const names = r.json['names'] as Array<{
        name: string;
        routes: Array<{ clients: string; answers: Array<{ datacenter: string; outcome: string }> }>;
        lastMinute: { total: number; datacenters: Array<{ datacenter: string; count: number; share: number }> };
      }>;
      expect(r.json['totalNames']).to.equal(19);
      expect(r.json['windowSeconds']).to.be.within(0, 60);
      return names.find((n) => n.name === 'www.lb.test.')!;
    };
    const europe = (w: Awaited<ReturnType<typeof www>>) => w.routes.find((x) => x.clients === 'europe')!.answers[0];
    const before = await www();
    expect(europe(before)).to.deep.include({ datacenter: 'eu-west', outcome: 'primary' });
    const counted = (w: Awaited<ReturnType<typeof www>>, dc: string) =>
      w.lastMinute.datacenters.find((d) => d.datacenter === dc)!.count;
    const ask = (client: string) => {
      const msg = dnsPacket.encode({
        type: 'query',
        id: 4,
        questions: [{ name: 'www.lb.test', type: 'A' }],
        additionals: [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 1232,
            options: [{ code: 8, family: 1, sourcePrefixLength: 32, scopePrefixLength: 0, ip: client } as never],
          } as never,
        ],
      });
      node.pipeline.handleQuery(msg, { address: '127.0.0.1', port: 5300, family: 4 }, 'udp');
    };
    for (let i = 0; i < 4; i++) ask('81.2.69.142'); // London: europe
    const after = await www();
    expect(counted(after, 'eu-west') - counted(before, 'eu-west')).to.equal(4);
    expect((await post(base, '/api/drain', { datacenter: 'eu-west' })).status).to.equal(200);
    expect(europe(await www())).to.deep.include({ datacenter: 'us-east', outcome: 'failover' });
    expect((await post(base, '/api/undrain', { datacenter: 'eu-west' })).status).to.equal(200);
    expect(europe(await www())).to.deep.include({ datacenter: 'eu-west', outcome: 'primary' });
  });

  it('GET / has the state the page polls inlined: health, status and traffic as the API gives them', async () => {
    const r = await call(base, '/');
    const m = /<script type="application\/json" id="state">([^<]*)<\/script>/.exec(r.text);
    expect(m, 'the state block').to.not.equal(null);
    const state = JSON.parse(m![1]!) as {
      health: { mode: string; targets: unknown[]; labels: object };
      status: { nodeId: string; nodeName: string };
      traffic: { names: Array<{ name: string }>; totalNames: number };
    };
    expect(state.health.mode).to.equal('embedded');
    expect(state.health.targets).to.have.length(17);
    expect(state.status).to.include({ nodeId: 'admin-node', nodeName: 'edge-1' });
    expect(state.traffic.totalNames).to.equal(19);
    expect(state.traffic.names.map((n) => n.name)).to.include('www.lb.test.');
    // Exactly one executable script, and it is the one the CSP pins.
    expect(r.text.match(/<script>/g)).to.have.length(1);
  });

  it('GET / still serves the page when its state cannot be made: null inlined (the page polls), logged once', async () => {
    const recent = node.decisions.recent;
    node.decisions.recent = () => {
      throw new Error('the tally broke');
    };
    try {
      for (let i = 0; i < 2; i++) {
        const r = await call(base, '/');
        expect(r.status).to.equal(200);
        expect(r.text).to.include('<script type="application/json" id="state">null</script>');
      }
      expect((await call(base, '/api/traffic')).status).to.equal(500); // polling says what is wrong
    } finally {
      node.decisions.recent = recent;
    }
    const stateErrors = errors.filter(([, msg]) => msg === 'status page: no state to inline');
    expect(stateErrors).to.have.length(1);
    expect(JSON.stringify(stateErrors[0]![0])).to.include('the tally broke');
    expect((await call(base, '/')).text).to.match(/id="state">\{"health"/);
  });

  it('the inlined state is escaped: no text in it can end the block or open a comment', () => {
    const evil = { reason: '</script><script>alert(1)</script><!-- a & b \u2028 \u2029 >' };
    const text = inlineJson(evil);
    expect(text).to.not.match(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).to.deep.equal(evil);
    const page = statusPageHtml({ health: evil, status: {}, traffic: {} });
    expect(page).to.not.include('alert(1)</script>');
    expect(page.match(/<\/script>/g)).to.have.length(2); // the state block's end and the script's
  });

  it('GET /api/decisions counts per name', async () => {
    answers(node, 'fo.lb.test');
    const r = await call(base, '/api/decisions');
    const names = r.json['names'] as Array<{
      name: string;
      decisions: Array<{ datacenter: string; outcome: string; count: number }>;
    }>;
    const fo = names.find((n) => n.name === 'fo.lb.test.')!;
    expect(fo.decisions).to.deep.include({ datacenter: 'eu-west', outcome: 'primary', count: 1 });
  });

  it('GET /api/explain as JSON and as text; 400 on bad input', async () => {
    const j = await call(base, '/api/explain?name=fo.lb.test&type=A&client=192.0.2.99');
    expect(j.status).to.equal(200);
    expect(j.json).to.include({ chosen: 'eu-west', outcome: 'primary', policy: 'failover' });
    const t = await call(base, '/api/explain?name=fo.lb.test&client=81.2.69.142/24&format=text');
    expect(t.status).to.equal(200);
    expect(t.headers.get('content-type')).to.match(/^text\/plain/);
    expect(t.text).to.match(/^outcome: +primary \(eu-west\)$/m);
    // A CNAME chain into a load-balanced name: the chain followed, and the records as sent.
    const c = await call(base, '/api/explain?name=alias.lb.test&client=81.2.69.142/24');
    expect(c.json['cnames']).to.deep.equal(['alias.lb.test. -> www.lb.test.']);
    expect(c.json['answer']).to.include.members(['alias.lb.test. 3600 IN CNAME www.lb.test']);
    expect(c.json['answer']).to.have.length(3); // the chain, then the decided records
    for (const [q, re] of [
      ['client=1.2.3.4', /name is required/],
      ['name=fo.lb.test', /client is required/],
      ['name=fo.lb.test&client=nope', /^client 'nope' is not an IP address/],
      ['name=fo.lb.test&client=1.2.3.4/40', /^client prefix must be 0-32$/],
      ['name=fo.lb.test&client=1.2.3.4&type=BOGUS', /unknown query type/],
      ['name=a..b&client=1.2.3.4', /not a domain name/],
    ] as const) {
      const r = await call(base, `/api/explain?${q}`);
      expect(r.status, q).to.equal(400);
      expect(r.json['error'], q).to.match(re);
    }
  });

  it('404 for unknown routes, 405 for the wrong method', async () => {
    const nf = await call(base, '/nope');
    expect(nf.status).to.equal(404);
    expect(nf.json['error']).to.be.a('string');
    const g = await call(base, '/api/reload');
    expect(g.status).to.equal(405);
    expect(g.headers.get('allow')).to.equal('POST');
    const p = await post(base, '/api/status', {});
    expect(p.status).to.equal(405);
    expect(p.headers.get('allow')).to.equal('GET');
  });

  it('POST routes need the bearer token (401 without or with a wrong one)', async () => {
    const none = await post(base, '/api/reload', {}, {});
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
    expect((await post(base, '/api/reload', {}, { authorization: 'Bearer wrong' })).status).to.equal(401);
    expect((await post(base, '/api/reload', {}, { authorization: `Bearer ${TOKEN}x` })).status).to.equal(401);
    expect((await post(base, '/api/reload', {}, { authorization: `Basic ${TOKEN}` })).status).to.equal(401);
    expect((await post(base, '/api/drain', { datacenter: 'us-east' }, {})).status).to.equal(401);
    expect(health.matrix().drains).to.deep.equal([]);
    expect((await post(base, '/api/reload', {}, { authorization: `bearer ${TOKEN}` })).status).to.equal(200);
    // GET routes on loopback need no token.
    expect((await call(base, '/api/status')).status).to.equal(200);
  });

  it('drain a datacenter: the answer moves; undrain: it comes back', async () => {
    expect(answers(node, 'fo.lb.test')).to.deep.equal(['198.51.100.10']);
    const d = await post(base, '/api/drain', { datacenter: 'eu-west', reason: 'maintenance' });
    expect(d.status).to.equal(200);
    expect(d.json).to.deep.include({ ok: true, drained: { datacenter: 'eu-west' }, until: null });
    expect(answers(node, 'fo.lb.test')).to.deep.equal(['192.0.2.10']);
    const m = await call(base, '/api/health');
    expect((m.json['drains'] as Array<{ field: string }>).map((x) => x.field)).to.deep.equal(['dc:eu-west']);
    expect((await post(base, '/api/undrain', { datacenter: 'eu-west' })).status).to.equal(200);
    expect(answers(node, 'fo.lb.test')).to.deep.equal(['198.51.100.10']);
  });

  it('drain an endpoint for a while', async () => {
    const d = await post(base, '/api/drain', { endpoint: '198.51.100.10', for: '10m', reason: 'disk swap' });
    expect(d.status).to.equal(200);
    const until = Date.parse(String(d.json['until']));
    expect(until - Date.now()).to.be.within(590_000, 600_000);
    expect(answers(node, 'fo.lb.test')).to.deep.equal(['192.0.2.10']);
    const drains = health.matrix().drains;
    expect(drains.map((x) => x.field)).to.deep.equal(['ep:198.51.100.10']);
    expect(drains[0]!.until).to.be.a('number');
    expect((await post(base, '/api/undrain', { endpoint: '198.51.100.10' })).status).to.equal(200);
    expect(answers(node, 'fo.lb.test')).to.deep.equal(['198.51.100.10']);
  });

  it('bad drain bodies: 400 with a message, nothing drained', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{"datacenter": ', /not valid JSON/],
      ['', /JSON body is required/],
      ['[1,2]', /must be a JSON object/],
      ['"eu-west"', /must be a JSON object/],
      [{}, /exactly one of/],
      [{ datacenter: 'eu-west', endpoint: '198.51.100.10' }, /exactly one of/],
      [{ datacenter: 'mars' }, /not in the configuration/],
      [{ datacenter: 42 }, /"datacenter" must be a name/],
      [{ endpoint: 'not an address' }, /must be an IP address, or a cname endpoint's host name/],
      [{ endpoint: 'nope' }, /not in any pool/],
      [{ endpoint: '10.9.9.9' }, /not in any pool/],
      [{ datacenter: 'eu-west', for: 'forever' }, /"for" must be a duration/],
      [{ datacenter: 'eu-west', for: '0s' }, /"for" must be a duration/],
      [{ datacenter: 'eu-west', reason: 7 }, /"reason" must be a string/],
      [{ datacenter: 'eu-west', until: 'tomorrow' }, /unknown field/],
    ];
    for (const [body, re] of cases) {
      const r = await post(base, '/api/drain', body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.json['error'], JSON.stringify(body)).to.match(re);
    }
    const u = await post(base, '/api/undrain', { datacenter: 'eu-west', for: '1m' });
    expect(u.status).to.equal(400);
    expect(health.matrix().drains).to.deep.equal([]);
  });

  it('413 for bodies over 64 KiB', async () => {
    const r = await post(base, '/api/drain', JSON.stringify({ datacenter: 'eu-west', reason: 'x'.repeat(70 * 1024) }));
    expect(r.status).to.equal(413);
    expect(r.json['error']).to.match(/larger than 65536/);
    expect(health.matrix().drains).to.deep.equal([]);
    // The server is still fine afterwards.
    expect((await call(base, '/api/status')).status).to.equal(200);
  });

  it('POST /api/reload: OK, then a broken config gives 422 with file:line errors and keeps serving', async () => {
    const ok = await post(base, '/api/reload', {});
    expect(ok.status).to.equal(200);
    expect(ok.json).to.include({ ok: true });
    const version = node.configVersion;
    writeFileSync(join(dir, 'lb.test', 'broken.yaml'), 'names:\n  extra:\n    policy: nonsense\n    pools: {}\n');
    const bad = await post(base, '/api/reload', '');
    expect(bad.status).to.equal(422);
    expect(bad.json['ok']).to.equal(false);
    expect(bad.json['error']).to.match(/still serving/);
    const errors = bad.json['errors'] as string[];
    expect(errors.length).to.be.above(0);
    expect(errors[0]).to.match(/^lb\.test\/broken\.yaml:\d+: /);
    expect(node.configVersion).to.equal(version);
    expect(answers(node, 'fo.lb.test')).to.deep.equal(['198.51.100.10']);
    const st = await call(base, '/api/status');
    expect(st.json['lastReload']).to.deep.include({ ok: false, errors });
    expect(st.json['reloads']).to.deep.equal({ ok: node.reloadsOk, failed: 1 });
    rmSync(join(dir, 'lb.test', 'broken.yaml'));
    expect((await post(base, '/api/reload', {})).status).to.equal(200);
  });

  it('refuses Host names other than localhost and IP literals on loopback (DNS rebinding)', async () => {
    const port = admin.address().port;
    expect(await getWithHost(port, '/api/status', 'evil.example:80')).to.equal(403);
    expect(await getWithHost(port, '/api/status', `localhost:${port}`)).to.equal(200);
    expect(await getWithHost(port, '/api/status', `[::1]:${port}`)).to.equal(200);
  });
});

describe('admin API auth when every route needs the token', function () {
  let node: DnsNode;
  let health: EmbeddedHealthSource;
  before(() => {
    health = new EmbeddedHealthSource({ runProbe: async () => ({ ok: true, rttMs: 1, reason: 'ok', at: Date.now() }) });
    const geo = openGeoData([cityDatabase()]);
    node = new DnsNode(
      {
        zonesDir: GSLB_ZONES,
        nodeId: 'n',
        geo,
        health,
        log: silentLogger,
        pipeline: { nsid: null, chaos: { identity: 't', version: null } },
      },
      buildConfig(GSLB_ZONES, geo, silentLogger).built!,
    );
  });
  after(() => health.stop());

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) expect(isLoopback(h), h).to.equal(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.1', '10.0.0.1', '::2']) expect(isLoopback(h), h).to.equal(false);
  });

  it('refuses to start beyond loopback without a token', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      let err: Error | null = null;
      await startAdmin(node, { host, port: 0, token: null, log: silentLogger }).catch((e: Error) => (err = e));
      expect(err, host).to.be.instanceOf(Error);
      expect(String(err)).to.match(/needs --admin-token/);
    }
    expect(() => adminFlags('0.0.0.0:8053', undefined)).to.throw(/needs --admin-token/);
    expect(() => adminFlags('0.0.0.0:8053', '')).to.throw(/needs --admin-token/);
    expect(adminFlags('0.0.0.0:8053', TOKEN)).to.deep.equal({ host: '0.0.0.0', port: 8053, token: TOKEN });
    expect(adminFlags('[::1]:8053', undefined)).to.deep.equal({ host: '::1', port: 8053, token: null });
    expect(() => adminFlags('localhost:8053', TOKEN)).to.throw(/--admin/);
  });

  it('with the token required everywhere, GETs need it too (the page also takes ?token=)', async () => {
    // Binding beyond loopback is not allowed in tests; tokenForEverything is that same rule on 127.0.0.1.
    const admin = await startAdmin(node, {
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      log: silentLogger,
      tokenForEverything: true,
    });
    const base = `http://127.0.0.1:${admin.address().port}`;
    try {
      for (const path of ['/', '/metrics', '/api/status', '/api/health', '/api/decisions', '/nope']) {
        expect((await call(base, path)).status, path).to.equal(401);
        expect((await call(base, path, { headers: { authorization: 'Bearer nope' } })).status, path).to.equal(401);
      }
      for (const path of ['/', '/metrics', '/api/status', '/api/health', '/api/decisions'])
        expect((await call(base, path, { headers: auth })).status, path).to.equal(200);
      expect((await call(base, '/nope', { headers: auth })).status).to.equal(404);
      expect((await call(base, `/?token=${TOKEN}`)).status).to.equal(200);
      expect((await call(base, `/api/status?token=${TOKEN}`)).status).to.equal(401); // only the page
    } finally {
      await admin.close();
    }
  });

  it('takes the decision counts every second while it runs (so each lands in its own bucket); close() stops that', async () => {
    const tick = node.decisions.tick;
    /** When each tick came. */
    const at: number[] = [];
    node.decisions.tick = () => {
      at.push(Date.now());
      tick.call(node.decisions);
    };
    try {
      const started = Date.now();
      const admin = await startAdmin(node, { host: '127.0.0.1', port: 0, token: null, log: silentLogger });
      await waitUntil('two ticks', () => at.length >= 2, 5000, 10);
      // A second apart, the first a second after the start (a timer never fires early; late by a
      // little on a busy machine).
      for (const [gap, what] of [
        [at[0]! - started, 'start to first tick'],
        [at[1]! - at[0]!, 'first to second tick'],
      ] as const)
        expect(gap, what).to.be.within(990, 1500);
      await admin.close();
      const closed = at.length;
      // A negative check: the next tick was due a second after the last; none may come by then (+200 ms).
      await new Promise((r) => setTimeout(r, Math.max(0, at.at(-1)! + 1200 - Date.now())));
      expect(at.length).to.equal(closed);
    } finally {
      node.decisions.tick = tick;
    }
  });

  it('without a token on loopback: reads work, state changes are refused', async () => {
    const admin = await startAdmin(node, { host: '127.0.0.1', port: 0, token: null, log: silentLogger });
    const base = `http://127.0.0.1:${admin.address().port}`;
    try {
      expect((await call(base, '/api/status')).status).to.equal(200);
      const r = await post(base, '/api/reload', {}, {});
      expect(r.status).to.equal(403);
      expect(r.json['error']).to.match(/--admin-token/);
    } finally {
      await admin.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('gslb serve --admin (real process)', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => {
    // A zone without health checks, so the process probes nothing.
    dir = mkdtempSync(join(tmpdir(), 'gslb-admin-cli-'));
    mkdirSync(join(dir, 'adm.test'));
    writeFileSync(
      join(dir, 'adm.test', 'records.zone'),
      '$ORIGIN adm.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n  NS ns1\nns1 A 127.0.0.1\n',
    );
    writeFileSync(
      join(dir, 'adm.test', 'policy.yaml'),
      'datacenters:\n  a: {}\n  b: {}\nnames:\n  www:\n    policy: failover\n    pools:\n      a: [192.0.2.1]\n      b: [192.0.2.2]\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function serve(args: string[], env: Record<string, string> = {}): ChildProcess {
    return spawn(process.execPath, ['bin/gslb', 'serve', '--zones', dir, '--geoip', cityDatabase(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
  }

  it('prints the admin address, takes the token from GSLB_ADMIN_TOKEN and shuts down cleanly', async () => {
    const port = await freePort();
    const child = serve(['--listen', `127.0.0.1:${port}`, '--admin', '127.0.0.1:0', '--log-level', 'warn'], {
      GSLB_ADMIN_TOKEN: TOKEN,
    });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /admin on (http:\/\/127\.0\.0\.1:\d+)\/\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`gslb exited ${code}: ${out}`)));
      });
      const st = await call(base, '/api/status');
      expect(st.status).to.equal(200);
      expect(st.json['zones']).to.deep.equal([{ name: 'adm.test.', names: 3, loadBalanced: 1 }]);
      expect((await post(base, '/api/reload', {}, {})).status).to.equal(401);
      expect((await post(base, '/api/reload', {})).status).to.equal(200);
      expect((await post(base, '/api/drain', { datacenter: 'a' })).status).to.equal(200);
      const ex = await call(base, '/api/explain?name=www.adm.test&client=192.0.2.7');
      expect(ex.json).to.include({ chosen: 'b', outcome: 'failover' });
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      expect(code).to.equal(0);
    }
  });

  it('refuses --admin beyond loopback without a token, and bad addresses', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['bin/gslb', 'serve', '--zones', dir, ...args], {
        encoding: 'utf8',
        env: { ...process.env, GSLB_ADMIN_TOKEN: '' },
      });
    const r = run(['--admin', '0.0.0.0:8053']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--admin on 0\.0\.0\.0 \(not loopback\) needs --admin-token/);
    const bad = run(['--admin', 'localhost:8053']);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/--admin: listen address/);
  });
});

describe('--admin flag forms', () => {
  it('a bare port means loopback', async () => {
    expect(adminFlags('8053', undefined)).to.deep.equal({ host: '127.0.0.1', port: 8053, token: null });
    expect(() => adminFlags('0.0.0.0:8053', undefined)).to.throw(/needs --admin-token/);
  });
});
