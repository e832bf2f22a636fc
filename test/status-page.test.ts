// The status page in a real browser (Debian's chromium through playwright-core): `gslb serve --admin --nsid`
// with the example zone probing one HTTP backend per datacenter. Every target shows up; the traffic section
// shows each name's regions and the shares of the answers the test sent; a drain moves a region and the page
// follows without reload; the first HTML already holds the state; a killed backend's rows turn down within
// seconds; with --workers 2 (and --identity) the shares add up both workers' answers and the node is named by
// its identity. Saves docs/status-page.png when missing or with UPDATE_SCREENSHOT=1.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { HttpBackend as Backend } from '../scripts/e2e-cluster.js';
import { ask, type TestServer } from './helpers/dns.js';
import { cityDatabase } from './helpers/gslb.js';
import { gslb, stopAll, type Running } from './helpers/processes.js';
import { until as waitUntil } from './helpers/until.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = 'docs/status-page.png';
const TOKEN = 'status-page-test-token-42';
const NSID = 'node-a';
const DATACENTERS = ['us-east', 'eu-west', 'ap-south'] as const;

/** The example zone with fast checks and every endpoint probed at its datacenter's loopback backend;
 * a least-loaded name reads its figures from `stats` (a JSON page per datacenter). */
function writeZones(backends: Record<string, Backend>, stats: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-status-'));
  cpSync('test/fixtures/product-example/gslb.example.com', join(dir, 'gslb.example.com'), { recursive: true });
  const p = (dc: string) => `"${backends[dc]!.probe}"`;
  writeFileSync(
    join(dir, 'gslb.example.com', 'checks.yaml'),
    'checks:\n' +
      '  web: { type: http, path: /healthz, expect: [200], interval: 300ms, timeout: 250ms, rise: 1, fall: 2 }\n' +
      '  tls: { type: tcp, interval: 300ms, timeout: 250ms, rise: 1, fall: 2 }\n' +
      // A monitor of www that always fails (the backends answer /deep with 503): shown, never steers.
      '  deep: { type: http, path: /deep, interval: 300ms, timeout: 250ms, rise: 1, fall: 2 }\n',
  );
  writeFileSync(
    join(dir, 'gslb.example.com', 'names.yaml'),
    `names:
  www:
    policy: geo
    ttl: 30
    max_answers: 2
    check: web
    monitor: [deep]
    pools:
      us-east: [{ address: 192.0.2.10, probe: ${p('us-east')} }, { address: 192.0.2.11, probe: ${p('us-east')} }]
      eu-west: [{ address: 198.51.100.10, probe: ${p('eu-west')} }, { address: 198.51.100.11, probe: ${p('eu-west')} }]
      ap-south: [{ address: 203.0.113.10, probe: ${p('ap-south')} }]
  api:
    policy: weighted
    ttl: 20
    check: tls
    pools:
      us-east: [{ address: 192.0.2.20, weight: 3, probe: ${p('us-east')} }]
      eu-west: [{ address: 198.51.100.20, weight: 1, probe: ${p('eu-west')} }]
  shop:
    policy: least-loaded
    check: web
    load: lb
    pools:
      us-east: [{ address: 192.0.2.30, probe: ${p('us-east')}, load_url: "${stats}/us-east" }]
      eu-west: [{ address: 198.51.100.30, probe: ${p('eu-west')}, load_url: "${stats}/eu-west" }]
      ap-south: [{ address: 203.0.113.30, probe: ${p('ap-south')}, load_url: "${stats}/ap-south" }]
loads:
  lb: { type: json, interval: 300ms, timeout: 250ms, smoothing: 0, figures: { connections: active, capacity: limit } }
`,
  );
  return dir;
}

/**
 * `gslb serve ARGS` on loopback ports chosen at run time, with the admin server; resolves once DNS and the
 * admin server are up. The process is stopAll()'s from the moment it starts, also when it never gets there.
 */
async function startServe(args: string[]): Promise<{ serve: Running; base: string; dnsPort: number }> {
  const serve = gslb(['serve', ...args, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log-level', 'error']);
  const dnsPort = Number((await serve.waitFor(/gslb serving .* on 127\.0\.0\.1:(\d+)/, 20_000))[1]);
  const base = (await serve.waitFor(/admin on (http:\/\/127\.0\.0\.1:\d+)\//, 20_000))[1]!;
  return { serve, base, dnsPort };
}

function launchBrowser(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
  });
}

/** A query for NAME A with EDNS Client Subnet CLIENT/32, over UDP. */
function askFrom(port: number, name: string, client: string) {
  return ask({ host: '127.0.0.1', port } as TestServer, {
    name,
    type: 'A',
    edns: { options: [{ code: 8, family: 1, sourcePrefixLength: 32, scopePrefixLength: 0, ip: client } as never] },
  });
}

interface Bar {
  datacenter: string;
  count: number;
  share: number;
  /** The bar's filled width over its track's, as drawn. */
  drawn: number;
}

/** The last-minute bars of a name's card. */
const bars = (page: Page, name: string): Promise<Bar[]> =>
  page.$$eval(`article[data-name="${name}"] .bar-row`, (rows) =>
    rows.map((r) => {
      const fill = r.querySelector('.fill')!.getBoundingClientRect().width;
      const track = r.querySelector('.bar')!.getBoundingClientRect().width;
      return {
        datacenter: r.getAttribute('data-datacenter') ?? '',
        count: Number(r.getAttribute('data-count')),
        share: Number(r.getAttribute('data-share')),
        drawn: Math.round((fill / track) * 100) / 100,
      };
    }),
  );

/** A name's "clients get now" rows: clients -> datacenter (and the outcome when it is not primary). */
const routeRows = (page: Page, name: string): Promise<Record<string, string>> =>
  page.$$eval(`article[data-name="${name}"] tr.route`, (trs) =>
    Object.fromEntries(
      trs.map((tr) => {
        const outcome = tr.getAttribute('data-outcome');
        return [
          tr.getAttribute('data-clients'),
          tr.getAttribute('data-datacenter') + (outcome === 'primary' ? '' : ` ${outcome}`),
        ];
      }),
    ),
  );

/** Polls fn in the page until it returns true (the ms it took), or fails with what the matrix last showed. */
async function until(page: Page, what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  try {
    return await waitUntil(what, fn, timeoutMs, 100);
  } catch (err) {
    const seen = await page
      .locator('#matrix')
      .innerText()
      .catch(() => '?');
    throw new Error(`${(err as Error).message}; the matrix shows:\n${seen}`);
  }
}

interface Row {
  target: string;
  datacenter: string;
  verdict: string;
  cells: Array<{ state: string; text: string; title: string; cls: string }>;
}

/** A row of the monitor check (its target key starts with the check's name). */
const isMonitor = (x: Row) => x.target.startsWith('deep|');

const rows = (page: Page): Promise<Row[]> =>
  page.$$eval('tr[data-target]', (trs) =>
    trs.map((tr) => ({
      target: tr.getAttribute('data-target') ?? '',
      datacenter: tr.getAttribute('data-datacenter') ?? '',
      verdict: tr.getAttribute('data-verdict') ?? '',
      cells: [...tr.querySelectorAll('td.cell')].map((td) => ({
        state: td.getAttribute('data-state') ?? '',
        text: (td as unknown as { innerText: string }).innerText,
        title: td.getAttribute('title') ?? '',
        cls: td.className,
      })),
    })),
  );

describe('status page in a real browser', function () {
  this.timeout(60_000);
  const backends: Record<string, Backend> = {};
  let zones = '';
  let profile = '';
  let context: BrowserContext | null = null;
  let page: Page;
  let base = '';
  let dnsPort = 0;
  let stats: http.Server | null = null;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);
      this.skip();
    }
    for (const dc of DATACENTERS) {
      backends[dc] = await new Backend().start();
      backends[dc].statusFor = (req) => (req.url === '/deep' ? 503 : 200);
    }
    stats = http.createServer((_req, res) => res.end(JSON.stringify({ active: 42, limit: 100 })));
    await new Promise<void>((r) => stats!.listen(0, '127.0.0.1', () => r()));
    zones = writeZones(backends, `http://127.0.0.1:${(stats.address() as net.AddressInfo).port}`);
    const served = await startServe([
      '--zones',
      zones,
      '--geoip',
      cityDatabase(),
      '--admin-token',
      TOKEN,
      '--node-id',
      'dns-1',
      '--nsid',
      NSID,
      // One process: decisions are counted where the page reads them, with no 1 s hand-over from workers.
      '--workers',
      '1',
    ]);
    base = served.base;
    dnsPort = served.dnsPort;
    profile = mkdtempSync(join(tmpdir(), 'gslb-chromium-'));
    context = await launchBrowser(profile);
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await stopAll();
    for (const b of Object.values(backends)) await b.kill();
    await new Promise((r) => (stats ? stats.close(r) : r(null)));
    if (zones) rmSync(zones, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows every probe target up, by datacenter, with the node name (its NSID) and version in the title', async () => {
    // Some answers, so the decision table has numbers: London (Europe, eu-west), Milton WA (us-east),
    // and the weighted name. Addresses the fixture database knows, so the datacenters are certain.
    for (const [subnet, n] of [
      ['81.2.69.142', 3],
      ['216.160.83.56', 2],
    ] as const)
      for (let i = 0; i < n; i++) await askFrom(dnsPort, 'www.gslb.example.com', subnet);
    for (let i = 0; i < 4; i++)
      await ask({ host: '127.0.0.1', port: dnsPort } as TestServer, { name: 'api.gslb.example.com' });

    await page.goto(`${base}/?token=${TOKEN}`);
    await until(
      page,
      'every target up but the failing monitor',
      async () => {
        const r = await rows(page);
        const [monitors, steering] = [r.filter(isMonitor), r.filter((x) => !isMonitor(x))];
        return (
          steering.length === 8 &&
          steering.every((x) => x.verdict === 'up' && x.cells.every((c) => c.state === 'up')) &&
          monitors.length === 3 &&
          monitors.every((x) => x.verdict === 'down')
        );
      },
      10_000,
    );
    // The monitor's rows are tagged, and its failure holds no datacenter down.
    expect(await page.locator('#matrix [data-monitor="true"]').count()).to.equal(3);
    for (const dc of DATACENTERS)
      expect(await page.locator(`tr.dc-row[data-datacenter="${dc}"]`).getAttribute('data-verdict'), dc).to.equal('up');
    // The node is named by its --nsid text; the node id is in the title attribute.
    expect(await page.title()).to.match(/^gslb node-a \d+\.\d+\.\d+/);
    expect(await page.locator('#node').innerText()).to.equal(NSID);
    expect(await page.locator('#node').getAttribute('title')).to.equal('node id dns-1');
    const r = (await rows(page)).filter((x) => !isMonitor(x));
    expect(new Set(r.map((x) => x.datacenter))).to.deep.equal(new Set(DATACENTERS));
    for (const row of r) {
      expect(row.cells).to.have.length(1); // embedded mode: one agent, this node
      expect(row.cells[0]!.cls).to.include('up');
      expect(row.cells[0]!.text).to.match(/^up\n?\d+\.\d s$/);
      expect(row.cells[0]!.title).to.match(/^up: (HTTP 200|\S+)/);
    }
    expect(await page.locator('thead th[data-agent="local"]').count()).to.equal(1);
    expect(await page.locator('#redis [data-redis="none"]').innerText()).to.match(/embedded/);
    expect(await page.locator('#live').getAttribute('data-state')).to.equal('ok');
    const decisions = await page.locator('#decisions').innerText();
    expect(decisions)
      .to.match(/eu-west/)
      .and.match(/us-east/);
    // Accessible markup: header cells carry their scope.
    expect(await page.locator('th[scope="col"]').count()).to.be.above(2);
    // web x3, tls x2 (endpoints sharing a probe share a row), shop's three load reads, deep x3.
    expect(await page.locator('#matrix th[scope="row"]').count()).to.equal(11);
    // A load read's verdict shows its figures.
    await until(
      page,
      'load figures',
      async () => (await page.locator('td.verdict[data-figures="42 / 100 conn"]').count()) === 3,
      5_000,
    );
    expect(await page.locator('tr[data-target^="load:"] th small').allInnerTexts()).to.have.members([
      '192.0.2.30',
      '198.51.100.30',
      '203.0.113.30',
    ]);
  });

  it("traffic: each name's regions now, and bars whose shares are the answers sent", async () => {
    // Sent by the first test: www from London (europe) x3 and Milton WA (americas) x2, api x4.
    await until(
      page,
      "www's bars",
      async () => (await bars(page, 'www.gslb.example.com.')).some((b) => b.count === 3),
      5_000,
    );
    expect(await routeRows(page, 'www.gslb.example.com.')).to.deep.equal({
      americas: 'us-east',
      europe: 'eu-west',
      default: 'us-east',
    });
    expect(await bars(page, 'www.gslb.example.com.')).to.deep.equal([
      { datacenter: 'us-east', count: 2, share: 0.4, drawn: 0.4 },
      { datacenter: 'eu-west', count: 3, share: 0.6, drawn: 0.6 },
      { datacenter: 'ap-south', count: 0, share: 0, drawn: 0 },
    ]);
    expect(await page.locator('article[data-name="www.gslb.example.com."] .bars-caption').innerText()).to.match(
      /^Answers, last \d+ s: 5$/,
    );
    // The weighted name: its configured split, and its answers (4 draws) in the bars.
    const split = await page.$$eval('article[data-name="api.gslb.example.com."] table.split tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-datacenter'), tr.getAttribute('data-configured')]),
    );
    expect(split).to.deep.equal([
      ['us-east', '0.75'],
      ['eu-west', '0.25'],
    ]);
    const api = await bars(page, 'api.gslb.example.com.');
    expect(api.reduce((a, b) => a + b.count, 0)).to.equal(4);
    for (const b of api) expect(b.drawn).to.be.closeTo(b.share, 0.02);
    // The least-loaded name follows regions too; nothing asked of it yet.
    expect(await routeRows(page, 'shop.gslb.example.com.')).to.have.keys('americas', 'europe', 'default');
    expect((await bars(page, 'shop.gslb.example.com.')).every((b) => b.count === 0)).to.equal(true);
  });

  it('a datacenter drained through the admin API moves its region, and the page follows without reload', async () => {
    await page.evaluate(() => ((globalThis as unknown as { sameDocument: boolean }).sameDocument = true));
    const drain = (path: string) =>
      fetch(`${base}/api/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ datacenter: 'eu-west' }),
      });
    expect((await drain('drain')).status).to.equal(200);
    try {
      await until(
        page,
        'europe on us-east',
        async () => (await routeRows(page, 'www.gslb.example.com.'))['europe'] === 'us-east failover',
        5_000,
      );
      expect(await routeRows(page, 'shop.gslb.example.com.')).to.deep.include({ europe: 'us-east failover' });
      // The drain is listed by what it names, and the datacenter's rows carry the tag (fields from health/drains.ts).
      await until(
        page,
        'the drain listed',
        async () =>
          (await page.locator('#drains li').allTextContents()).some((t) => t.startsWith('datacenter eu-west')),
        5_000,
      );
      expect(await page.locator('.tag.warn', { hasText: /^drained$/ }).count()).to.equal(1);
      // Answers follow the same decision: London now gets us-east, and the bars count it there.
      await askFrom(dnsPort, 'www.gslb.example.com', '81.2.69.142');
      await until(
        page,
        'the failover answer in the bars',
        async () => (await bars(page, 'www.gslb.example.com.'))[0]!.count === 3,
        5_000,
      );
      expect(
        await page
          .locator('article[data-name="www.gslb.example.com."] .bar-row[data-datacenter="us-east"]')
          .getAttribute('title'),
      ).to.equal('3 answers: primary 2, failover 1');
    } finally {
      expect((await drain('undrain')).status).to.equal(200);
    }
    await until(
      page,
      'europe back on eu-west',
      async () => (await routeRows(page, 'www.gslb.example.com.'))['europe'] === 'eu-west',
      5_000,
    );
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).to.equal(
      true,
    );
  });

  it('the first HTML holds the state: the page is drawn before any API call answers', async () => {
    // Plain HTTP: the state block is in the document as served.
    const html = await (await fetch(`${base}/?token=${TOKEN}`)).text();
    const m = /<script type="application\/json" id="state">([^<]*)<\/script>/.exec(html);
    expect(m, 'state block').to.not.equal(null);
    const state = JSON.parse(m![1]!) as { status: { nodeName: string }; traffic: { names: Array<{ name: string }> } };
    expect(state.status.nodeName).to.equal(NSID);
    expect(state.traffic.names.map((n) => n.name)).to.deep.equal([
      'www.gslb.example.com.',
      'api.gslb.example.com.',
      'shop.gslb.example.com.',
    ]);
    // In the browser, with every API call held unanswered: what shows at DOMContentLoaded came with the HTML.
    const held = await context!.newPage();
    try {
      await held.route('**/api/**', () => {});
      await held.goto(`${base}/?token=${TOKEN}`, { waitUntil: 'domcontentloaded' });
      const shot = join(profile, 'first-paint.png');
      await held.screenshot({ path: shot });
      expect(await held.locator('#live').innerText()).to.match(/^as served at /);
      expect(await held.locator('#traffic article[data-name]').count()).to.equal(3);
      expect(await routeRows(held, 'www.gslb.example.com.')).to.deep.include({ europe: 'eu-west' });
      expect(await held.locator('#matrix tr[data-target]').count()).to.equal(11);
      expect(await held.locator('#node').innerText()).to.equal(NSID);
      expect(statSync(shot).size).to.be.above(10_000);
    } finally {
      await held.close();
    }
  });

  it("a killed backend's rows turn down within 5 s; the others stay up", async () => {
    await backends['eu-west']!.kill();
    // Its checks go down; its load read (the stats page is elsewhere) stays up and does not hold the
    // datacenter up.
    const checked = (x: Row) => !x.target.startsWith('load:') && !isMonitor(x);
    const ms = await until(
      page,
      'eu-west down',
      async () => {
        const r = (await rows(page)).filter((x) => x.datacenter === 'eu-west' && checked(x));
        return r.length > 0 && r.every((x) => x.verdict === 'down' && x.cells.every((c) => c.state === 'down'));
      },
      5_000,
    );
    const r = await rows(page);
    expect(r.find((x) => x.datacenter === 'eu-west' && x.target.startsWith('load:'))!.verdict).to.equal('up');
    for (const row of r.filter((x) => x.datacenter === 'eu-west' && checked(x))) {
      expect(row.cells[0]!.cls).to.include('down');
      expect(row.cells[0]!.text).to.match(/^down/);
      expect(row.cells[0]!.title).to.match(/^down: .*refused/);
    }
    expect(r.filter((x) => x.datacenter !== 'eu-west' && !isMonitor(x)).every((x) => x.verdict === 'up')).to.equal(
      true,
    );
    expect(await page.locator('tr.dc-row[data-datacenter="eu-west"]').getAttribute('data-verdict')).to.equal('down');
    expect(await page.locator('tr.dc-row[data-datacenter="us-east"]').getAttribute('data-verdict')).to.equal('up');
    expect(ms).to.be.below(5_000);

    if (process.env['UPDATE_SCREENSHOT'] === '1' || !existsSync(SCREENSHOT)) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`    wrote ${SCREENSHOT}`);
    }
  });
});

describe('status page with --workers 2', function () {
  this.timeout(60_000);
  let dir = '';
  let profile = '';
  let serve: Running | null = null;
  let context: BrowserContext | null = null;
  let base = '';
  let dnsPort = 0;

  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'gslb-status-workers-'));
    mkdirSync(join(dir, 'w.test'));
    writeFileSync(
      join(dir, 'w.test', 'records.zone'),
      '$ORIGIN w.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n',
    );
    writeFileSync(
      join(dir, 'w.test', 'policy.yaml'),
      `datacenters:\n  us-east: {}\n  eu-west: {}\nregions:\n  europe:\n    match: { continents: [EU] }\n    datacenters: [eu-west, us-east]\n  default:\n    datacenters: [us-east, eu-west]\nnames:\n  www:\n    pools:\n      us-east: [192.0.2.1]\n      eu-west: [198.51.100.1]\n`,
    );
    const served = await startServe([
      '--zones',
      dir,
      '--geoip',
      cityDatabase(),
      '--workers',
      '2',
      '--no-watch',
      // Without --nsid, the page names the node by --identity.
      '--identity',
      'edge-7',
    ]);
    serve = served.serve;
    base = served.base;
    dnsPort = served.dnsPort;
    profile = mkdtempSync(join(tmpdir(), 'gslb-chromium-'));
    context = await launchBrowser(profile);
  });
  after(async () => {
    await context?.close();
    await stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("the shares on the page are the sum of both workers' answers, as /api/traffic and /metrics count them", async () => {
    // Both workers read the one shared UDP socket: with one of them stopped, the other answers all.
    // 30 from London (europe: eu-west) answered by one worker, 20 from Milton WA (default: us-east) by
    // the other.
    const workers = execFileSync('pgrep', ['-P', String(serve!.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((x) => x !== '')
      .map(Number);
    expect(workers).to.have.length(2);
    const answeredBy = async (worker: number, client: string, n: number) => {
      const other = workers.find((w) => w !== worker)!;
      process.kill(other, 'SIGSTOP');
      try {
        const replies = await Promise.all(Array.from({ length: n }, () => askFrom(dnsPort, 'www.w.test', client)));
        expect(replies.every((r) => r.rcode === 0)).to.equal(true);
      } finally {
        process.kill(other, 'SIGCONT');
      }
    };
    await answeredBy(workers[0]!, '81.2.69.142', 30);
    await answeredBy(workers[1]!, '216.160.83.56', 20);
    const page = context!.pages()[0] ?? (await context!.newPage());
    await page.goto(`${base}/`);
    // Workers report every second: the page catches up within a couple of polls.
    await until(
      page,
      'every answer in the bars',
      async () => (await bars(page, 'www.w.test.')).reduce((a, b) => a + b.count, 0) === 50,
      6_000,
    );
    expect(await bars(page, 'www.w.test.')).to.deep.equal([
      { datacenter: 'us-east', count: 20, share: 0.4, drawn: 0.4 },
      { datacenter: 'eu-west', count: 30, share: 0.6, drawn: 0.6 },
    ]);
    expect(await routeRows(page, 'www.w.test.')).to.deep.equal({ europe: 'eu-west', default: 'us-east' });
    // The API and the metrics have the same counts.
    const api = (await (await fetch(`${base}/api/traffic`)).json()) as {
      names: Array<{ name: string; lastMinute: { total: number } }>;
    };
    expect(api.names.find((n) => n.name === 'www.w.test.')!.lastMinute.total).to.equal(50);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.include('gslb_decisions_total{name="www.w.test.",datacenter="eu-west",reason="primary"} 30');
    expect(metrics).to.include('gslb_decisions_total{name="www.w.test.",datacenter="us-east",reason="primary"} 20');
    expect(await page.locator('#node').innerText()).to.equal('edge-7');
  });
});
