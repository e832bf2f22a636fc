// The status page in a real browser (Debian's chromium through playwright-core): `gslb serve --admin` with
// the example zone probing one HTTP backend per datacenter; every target shows up, a killed backend's rows
// turn down within seconds. Saves docs/status-page.png when missing or with UPDATE_SCREENSHOT=1.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { HttpBackend as Backend } from '../scripts/e2e-cluster.js';
import { ask, type TestServer } from './helpers/dns.js';
import { cityDatabase } from './helpers/gslb.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = 'docs/status-page.png';
const TOKEN = 'status-page-test-token-42';
const DATACENTERS = ['us-east', 'eu-west', 'ap-south'] as const;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

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
      '  tls: { type: tcp, interval: 300ms, timeout: 250ms, rise: 1, fall: 2 }\n',
  );
  writeFileSync(
    join(dir, 'gslb.example.com', 'names.yaml'),
    `names:
  www:
    policy: geo
    ttl: 30
    max_answers: 2
    check: web
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

/** Polls fn in the page until it returns true, or fails with what was last seen. */
async function until(page: Page, what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      const seen = await page
        .locator('#matrix')
        .innerText()
        .catch(() => '?');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the matrix shows:\n${seen}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Row {
  target: string;
  datacenter: string;
  verdict: string;
  cells: Array<{ state: string; text: string; title: string; cls: string }>;
}

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
  let child: ChildProcess | null = null;
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
    for (const dc of DATACENTERS) backends[dc] = await new Backend().start();
    stats = http.createServer((_req, res) => res.end(JSON.stringify({ active: 42, limit: 100 })));
    await new Promise<void>((r) => stats!.listen(0, '127.0.0.1', () => r()));
    zones = writeZones(backends, `http://127.0.0.1:${(stats.address() as net.AddressInfo).port}`);
    dnsPort = await freePort();
    const proc = spawn(
      process.execPath,
      [
        'bin/gslb',
        'serve',
        '--zones',
        zones,
        '--geoip',
        cityDatabase(),
        '--listen',
        `127.0.0.1:${dnsPort}`,
        '--admin',
        '127.0.0.1:0',
        '--admin-token',
        TOKEN,
        '--node-id',
        'dns-1',
        '--log-level',
        'error',
        // One process: decisions are counted where the page reads them, with no 1 s hand-over from workers.
        '--workers',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /admin on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.on('exit', (code) => reject(new Error(`gslb exited ${code}: ${out}`)));
    });
    profile = mkdtempSync(join(tmpdir(), 'gslb-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
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
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    if (child && child.exitCode === null) {
      const c = child;
      await new Promise<void>((resolve) => {
        c.on('exit', () => resolve());
        c.kill('SIGTERM');
      });
    }
    for (const b of Object.values(backends)) await b.kill();
    await new Promise((r) => (stats ? stats.close(r) : r(null)));
    if (zones) rmSync(zones, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows every probe target up, by datacenter, with the node id and version in the title', async () => {
    // Some answers, so the decision table has numbers: London (Europe, eu-west), Milton WA (us-east),
    // and the weighted name. Addresses the fixture database knows, so the datacenters are certain.
    const server = { host: '127.0.0.1', port: dnsPort } as TestServer;
    for (const [subnet, n] of [
      ['81.2.69.142', 3],
      ['216.160.83.56', 2],
    ] as const)
      for (let i = 0; i < n; i++)
        await ask(server, {
          name: 'www.gslb.example.com',
          type: 'A',
          edns: {
            options: [{ code: 8, family: 1, sourcePrefixLength: 32, scopePrefixLength: 0, ip: subnet } as never],
          },
        });
    for (let i = 0; i < 4; i++) await ask(server, { name: 'api.gslb.example.com', type: 'A' });

    await page.goto(`${base}/?token=${TOKEN}`);
    await until(
      page,
      'every target up',
      async () => {
        const r = await rows(page);
        return r.length === 8 && r.every((x) => x.verdict === 'up' && x.cells.every((c) => c.state === 'up'));
      },
      10_000,
    );
    expect(await page.title()).to.match(/^gslb dns-1 \d+\.\d+\.\d+/);
    const r = await rows(page);
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
    // web x3, tls x2 (endpoints sharing a probe share a row), and shop's three load reads.
    expect(await page.locator('#matrix th[scope="row"]').count()).to.equal(8);
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

  it("a killed backend's rows turn down within 5 s; the others stay up", async () => {
    await backends['eu-west']!.kill();
    // Its checks go down; its load read (the stats page is elsewhere) stays up and does not hold the
    // datacenter up.
    const checked = (x: Row) => !x.target.startsWith('load:');
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
    expect(r.find((x) => x.datacenter === 'eu-west' && !checked(x))!.verdict).to.equal('up');
    for (const row of r.filter((x) => x.datacenter === 'eu-west' && checked(x))) {
      expect(row.cells[0]!.cls).to.include('down');
      expect(row.cells[0]!.text).to.match(/^down/);
      expect(row.cells[0]!.title).to.match(/^down: .*refused/);
    }
    expect(r.filter((x) => x.datacenter !== 'eu-west').every((x) => x.verdict === 'up')).to.equal(true);
    expect(await page.locator('tr.dc-row[data-datacenter="eu-west"]').getAttribute('data-verdict')).to.equal('down');
    expect(await page.locator('tr.dc-row[data-datacenter="us-east"]').getAttribute('data-verdict')).to.equal('up');
    expect(ms).to.be.below(5_000);

    if (process.env['UPDATE_SCREENSHOT'] === '1' || !existsSync(SCREENSHOT)) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`    wrote ${SCREENSHOT}`);
    }
  });
});
