// CNAME endpoints (#18 item 6) end to end, over real sockets: `gslb serve` answers A, AAAA, ANY (and
// any type) for a CNAME name with one CNAME (the decision's TTL and ECS scope), moves it on failover,
// answers the fallback CNAME when every datacenter is down, and signs it in a signed zone (dnspython
// checks the RRSIG against the key file's DNSKEY). Debian's unbound, with a stub zone for our zone at
// that server and one for the targets' zone at a second `gslb serve`, follows the CNAME to the
// target's address. The embedded prober probes a CNAME endpoint by its host name: `localhost`
// resolved at probe time, Host: the name; a `probe:` override connects elsewhere and still sends it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnspythonOrSkip, verifyMessage } from './helpers/dnssec-verify.js';
import { dnskeyRdataOf, normalizeDs, toolsOrSkip } from './helpers/dnssec-zone.js';
import { cityDatabase } from './helpers/gslb.js';
import { startServe, type ServeNode } from './helpers/serve-node.js';
import { askServer, Unbound, type AskOptions, type Resolved } from './helpers/unbound.js';
import { until } from './helpers/until.js';

const OURS = 'gslb.example.org';
const TARGETS = 'elb.example.net';
const TOKEN = 'cname-test-token';
// Client subnets of test/fixtures/geo/city.csv: Europe and North America.
const EUROPE = '2.2.3.0/24';
const AMERICAS = '214.78.120.0/24';

const SOA = (apex: string) =>
  `$ORIGIN ${apex}.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n  NS ns1\nns1 A 192.0.2.53\n`;

const OUR_POLICY = `datacenters:
  eu-west: {}
  us-east: {}
regions:
  europe: { match: { continents: [EU] }, datacenters: [eu-west, us-east] }
  default: { datacenters: [us-east, eu-west] }
names:
  app:
    policy: geo
    ttl: 4
    min_ttl: 1
    fallback: { cname: sorry.${TARGETS} }
    pools:
      eu-west: [{ cname: eu-1.${TARGETS}, weight: 3 }, { cname: eu-2.${TARGETS}. }]
      us-east: [{ cname: us-1.${TARGETS} }]
  dark:
    policy: failover
    fallback: nodata
    pools:
      us-east: [{ cname: dark-1.${TARGETS} }]
`;

const TARGET_RECORDS = `eu-1 A 198.51.100.1
eu-1 AAAA 2001:db8:e::1
eu-2 A 198.51.100.2
eu-2 AAAA 2001:db8:e::2
us-1 A 192.0.2.1
us-1 AAAA 2001:db8:a::1
sorry A 203.0.113.99
`;

/** The answer section as `owner TTL TYPE DATA` lines (owner without the trailing dot). */
const answers = (r: Resolved) => r.answer.filter((l) => !l.includes(' RRSIG '));

describe('CNAME endpoints through gslb serve, a signed zone and a real resolver', function () {
  this.timeout(60_000);
  let dir = '';
  let ours: ServeNode;
  let targets: ServeNode;
  let dnskey: Buffer;
  let ds: string[];

  /** Drains or undrains a datacenter, or ({ endpoint }) one endpoint, through the admin API. */
  async function admin(path: 'drain' | 'undrain', target: string | { endpoint: string }): Promise<void> {
    const res = await fetch(`${ours.admin}api/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(typeof target === 'string' ? { datacenter: target } : target),
    });
    expect(res.status, await res.clone().text()).to.equal(200);
  }

  /** Waits until a Europe client of our server is answered with this CNAME line. */
  async function europeGets(line: RegExp): Promise<void> {
    await until(`app from Europe answered ${line}`, async () => {
      const r = await askServer(ours.port, `app.${OURS}`, 'A', { subnet: EUROPE, dnssec: false });
      return answers(r).length === 1 && line.test(answers(r)[0]!);
    });
  }

  before(async function () {
    toolsOrSkip(this, ['unbound', 'unbound-control']);
    dnspythonOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'gslb-cname-serve-'));
    const oursDir = join(dir, 'ours');
    mkdirSync(join(oursDir, OURS), { recursive: true });
    writeFileSync(join(oursDir, OURS, 'records.zone'), `${SOA(OURS)}alias CNAME app\n`);
    writeFileSync(join(oursDir, OURS, 'policy.yaml'), OUR_POLICY);
    const keygen = spawnSync(process.execPath, ['bin/gslb', 'keygen', '--zones', oursDir, OURS], { encoding: 'utf8' });
    if (keygen.status !== 0) throw new Error(`gslb keygen: ${keygen.stderr}`);
    const keyFile = readdirSync(join(oursDir, OURS, 'keys')).find((f) => f.endsWith('.key'))!;
    dnskey = dnskeyRdataOf(readFileSync(join(oursDir, OURS, 'keys', keyFile), 'utf8'));
    const dsRun = spawnSync(process.execPath, ['bin/gslb', 'ds', '--zones', oursDir, OURS], { encoding: 'utf8' });
    ds = normalizeDs(dsRun.stdout);
    expect(ds, dsRun.stderr).to.have.length.above(0);

    const targetsDir = join(dir, 'targets');
    mkdirSync(join(targetsDir, TARGETS), { recursive: true });
    writeFileSync(join(targetsDir, TARGETS, 'records.zone'), SOA(TARGETS) + TARGET_RECORDS);
    targets = await startServe(targetsDir);
    ours = await startServe(oursDir, ['--geoip', cityDatabase(), '--admin-token', TOKEN]);
  });

  after(async () => {
    await ours?.proc.stop();
    await targets?.proc.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('A, AAAA, ANY and other types: one CNAME with the TTL and the ECS scope of the decision', async () => {
    let scope: number | null = null;
    for (const type of ['A', 'AAAA', 'ANY', 'TXT', 'MX']) {
      const eu = await askServer(ours.port, `app.${OURS}`, type, { subnet: EUROPE, dnssec: false });
      expect([eu.rcode, eu.aa], type).to.deep.equal([0, true]);
      expect(answers(eu), type).to.have.length(1);
      expect(answers(eu)[0], type).to.match(new RegExp(`^app\\.${OURS.replace(/\./g, '\\.')} 4 CNAME eu-[12]\\.`));
      // The region's scope: the same for every type (one decision), and not 0 (it depends on the client).
      scope ??= eu.scope;
      expect(eu.scope, type).to.equal(scope).and.to.be.above(0);
      expect(eu.authority, type).to.deep.equal([]);
      const us = await askServer(ours.port, `app.${OURS}`, type, { subnet: AMERICAS, dnssec: false });
      expect(answers(us), type).to.deep.equal([`app.${OURS} 4 CNAME us-1.${TARGETS}`]);
    }
    // Over TCP too, and the weights rotate the CNAME (3:1) from query to query.
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await askServer(ours.port, `app.${OURS}`, 'A', { subnet: EUROPE, dnssec: false, tcp: i % 4 === 0 });
      seen.set(answers(r)[0]!, (seen.get(answers(r)[0]!) ?? 0) + 1);
    }
    expect(seen.get(`app.${OURS} 4 CNAME eu-1.${TARGETS}`)).to.be.within(26, 34);
    expect(seen.get(`app.${OURS} 4 CNAME eu-2.${TARGETS}`)).to.be.within(6, 14);
    // DO=0 in a signed zone: nothing of DNSSEC.
    const plain = await askServer(ours.port, `app.${OURS}`, 'A', { subnet: EUROPE, dnssec: false });
    expect(plain.answer.some((l) => l.includes(' RRSIG '))).to.equal(false);
  });

  it('DO=1: the CNAME and its RRSIG, which validates against the zone key; NSEC at the name lists CNAME', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const type of ['A', 'AAAA', 'TXT']) {
      const r = await askServer(ours.port, `app.${OURS}`, type, { subnet: EUROPE });
      expect(r.rcode, type).to.equal(0);
      const v = verifyMessage(r.raw, `${OURS}.`, [dnskey], now);
      expect(
        v.rrsets.map((x) => `${x.section} ${x.name} ${x.type} ${x.signatures.map((s) => s.verdict).join(',')}`),
        type,
      ).to.deep.equal([`answer app.${OURS}. CNAME ok`]);
      expect(v.orphans, type).to.deep.equal([]);
    }
    // The chain into the CNAME name: both CNAMEs signed, nothing said about the target.
    const chain = await askServer(ours.port, `alias.${OURS}`, 'A', { subnet: AMERICAS });
    const v = verifyMessage(chain.raw, `${OURS}.`, [dnskey], now);
    expect(
      v.rrsets.map((x) => `${x.section} ${x.name} ${x.type} ${x.signatures.map((s) => s.verdict).join(',')}`),
    ).to.deep.equal([`answer alias.${OURS}. CNAME ok`, `answer app.${OURS}. CNAME ok`]);
    const nsec = await askServer(ours.port, `app.${OURS}`, 'NSEC');
    const n = verifyMessage(nsec.raw, `${OURS}.`, [dnskey], now).rrsets.find((x) => x.type === 'NSEC')!;
    expect(n.nsec!.types).to.deep.equal(['CNAME', 'RRSIG', 'NSEC']);
  });

  it("unbound follows the CNAME into the targets' zone at a second server: each region its address", async () => {
    const unbound = await Unbound.start({
      stubZones: [OURS],
      upstreamPort: ours.port,
      anchors: ds,
      otherStubs: [{ zone: TARGETS, port: targets.port }],
    });
    try {
      const ask = async (type: string, subnet: string, o: AskOptions = {}) => {
        const r = await unbound.ask(`app.${OURS}`, type, { subnet, ...o });
        expect(r.rcode, `${type} from ${subnet}: ${r.answer.join('; ')}\n${unbound.logAbout(OURS)}`).to.equal(0);
        return r;
      };
      const eu = await ask('A', EUROPE);
      expect(eu.rrsets[0]).to.equal(`app.${OURS} CNAME`);
      expect(eu.rrsets[1]).to.match(/^eu-[12]\.elb\.example\.net A$/);
      expect(eu.addresses[0]).to.be.oneOf(['198.51.100.1', '198.51.100.2']);
      expect((await ask('AAAA', EUROPE)).addresses[0]).to.be.oneOf(['2001:db8:e::1', '2001:db8:e::2']);
      expect((await ask('A', AMERICAS)).addresses).to.deep.equal(['192.0.2.1']);
      expect((await ask('AAAA', AMERICAS)).addresses).to.deep.equal(['2001:db8:a::1']);
      // Without DO the same; the chain from the alias too.
      expect((await ask('A', AMERICAS, { dnssec: false })).addresses).to.deep.equal(['192.0.2.1']);
      // The CNAME itself, asked as such: validated from our trust anchor (AD).
      const cname = await ask('CNAME', EUROPE);
      expect([cname.ad, cname.rrsets]).to.deep.equal([true, [`app.${OURS} CNAME`]]);
      const alias = await unbound.ask(`alias.${OURS}`, 'A', { subnet: AMERICAS });
      expect(alias.rrsets).to.deep.equal([`alias.${OURS} CNAME`, `app.${OURS} CNAME`, `us-1.${TARGETS} A`]);
      expect(alias.addresses).to.deep.equal(['192.0.2.1']);

      // Failover: once the cached CNAME expires (TTL 4), Europe's clients follow it to us-east's host.
      const europeResolves = (address: string) =>
        until(
          `Europe resolved to ${address} through unbound`,
          async () => (await ask('A', EUROPE)).addresses[0] === address,
          10_000,
          100,
        );
      await admin('drain', 'eu-west');
      await europeGets(new RegExp(` 1 CNAME us-1\\.`));
      await europeResolves('192.0.2.1');
      // Every datacenter down: the sorry site.
      await admin('drain', 'us-east');
      await europeGets(new RegExp(` 1 CNAME sorry\\.`));
      await europeResolves('203.0.113.99');
      const sorry = await ask('A', EUROPE);
      expect(sorry.rrsets).to.deep.equal([`app.${OURS} CNAME`, `sorry.${TARGETS} A`]);
      expect(sorry.addresses).to.deep.equal(['203.0.113.99']);
      // A CNAME name with fallback nodata: NODATA proven by its NSEC without CNAME, validated.
      const dark = await unbound.ask(`dark.${OURS}`, 'A');
      expect([dark.rcode, dark.ad, dark.answer], unbound.logAbout(`dark.${OURS}`)).to.deep.equal([0, true, []]);
      await until(
        'Americas resolved to the sorry site',
        async () => (await ask('A', AMERICAS)).addresses[0] === '203.0.113.99',
        10_000,
        100,
      );
    } finally {
      await unbound.stop();
      await admin('undrain', 'eu-west');
      await admin('undrain', 'us-east');
    }
  });

  it('failover moves the CNAME; every datacenter down: the fallback CNAME for everyone (scope 0), signed', async () => {
    await europeGets(/ 4 CNAME eu-[12]\./);
    // One host drained by its name (any case, a trailing dot): the other is the only answer.
    await admin('drain', { endpoint: `EU-1.${TARGETS}.` });
    // Eight answers in a row, each from a new socket so both workers are asked: each worker applies
    // the drain a moment after the primary has it, and one may answer before the other has.
    await until(
      'eight Europe answers in a row: eu-2 alone',
      async () => {
        for (let i = 0; i < 8; i++) {
          const r = await askServer(ours.port, `app.${OURS}`, 'A', { subnet: EUROPE, dnssec: false });
          if (answers(r).join() !== `app.${OURS} 4 CNAME eu-2.${TARGETS}`) return false;
        }
        return true;
      },
      10_000,
    );
    await admin('undrain', { endpoint: `eu-1.${TARGETS}` });
    await europeGets(/ CNAME eu-1\./);
    await admin('drain', 'eu-west');
    await europeGets(new RegExp(`^app\\.gslb\\.example\\.org 1 CNAME us-1\\.${TARGETS.replace(/\./g, '\\.')}$`));
    await admin('drain', 'us-east');
    await europeGets(new RegExp(`^app\\.gslb\\.example\\.org 1 CNAME sorry\\.${TARGETS.replace(/\./g, '\\.')}$`));
    for (const [type, subnet] of [
      ['A', EUROPE],
      ['AAAA', AMERICAS],
      ['ANY', EUROPE],
    ] as const) {
      const r = await askServer(ours.port, `app.${OURS}`, type, { subnet });
      expect(answers(r), type).to.deep.equal([`app.${OURS} 1 CNAME sorry.${TARGETS}`]);
      expect(r.scope, type).to.equal(0);
      const v = verifyMessage(r.raw, `${OURS}.`, [dnskey], Math.floor(Date.now() / 1000));
      expect(v.rrsets.map((x) => `${x.type} ${x.signatures.map((s) => s.verdict).join(',')}`)).to.deep.equal([
        'CNAME ok',
      ]);
    }
    const dark = await askServer(ours.port, `dark.${OURS}`, 'TXT');
    const proof = verifyMessage(dark.raw, `${OURS}.`, [dnskey], Math.floor(Date.now() / 1000), [`dark.${OURS}.`]);
    expect([dark.rcode, answers(dark)]).to.deep.equal([0, []]);
    const nsec = proof.rrsets.find((x) => x.type === 'NSEC')!;
    expect([nsec.nsec!.matches, nsec.nsec!.types]).to.deep.equal([[`dark.${OURS}.`], ['RRSIG', 'NSEC']]);
    expect(proof.rrsets.every((x) => x.signatures.every((sig) => sig.verdict === 'ok'))).to.equal(true);
    await admin('undrain', 'eu-west');
    await europeGets(/ CNAME eu-[12]\./);
    await admin('undrain', 'us-east');
  });
});

describe('CNAME endpoints: the embedded prober probes the host name', function () {
  this.timeout(60_000);
  const APEX = 'probe.example.org';
  let dir = '';
  let node: ServeNode | undefined;
  const backends: http.Server[] = [];
  /** Each backend's Host headers, and whether it answers 200. */
  const seen: string[][] = [[], []];
  const healthy = [true, true];

  const backend = (i: number): Promise<number> =>
    new Promise((resolve) => {
      const s = http.createServer((req, res) => {
        seen[i]!.push(String(req.headers.host));
        res.writeHead(healthy[i] ? 200 : 503).end();
      });
      backends.push(s);
      s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });

  before(async () => {
    const [p1, p2] = [await backend(0), await backend(1)];
    dir = mkdtempSync(join(tmpdir(), 'gslb-cname-probe-'));
    mkdirSync(join(dir, APEX));
    writeFileSync(join(dir, APEX, 'records.zone'), SOA(APEX));
    writeFileSync(
      join(dir, APEX, 'policy.yaml'),
      `datacenters:
  a: {}
  b: {}
checks:
  web: { type: http, port: ${p1}, path: /healthz, interval: 200ms, timeout: 150ms }
names:
  app:
    policy: failover
    check: web
    pools:
      a: [{ cname: localhost }]
      b: [{ cname: backup.example.net, probe: "127.0.0.1:${p2}" }]
`,
    );
    node = await startServe(dir);
  });

  after(async () => {
    await node?.proc.stop();
    await Promise.all(backends.map((s) => new Promise((r) => s.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const answer = async () => answers(await askServer(node!.port, `app.${APEX}`, 'A', { dnssec: false }));

  it('localhost resolved at probe time, Host: the name; probe: connects elsewhere with the name; a failure moves the CNAME', async () => {
    await until('both backends probed', () => seen[0]!.length > 0 && seen[1]!.length > 0, 10_000);
    expect(new Set(seen[0])).to.deep.equal(new Set(['localhost']));
    expect(new Set(seen[1])).to.deep.equal(new Set(['backup.example.net']));
    expect(await answer()).to.deep.equal([`app.${APEX} 30 CNAME localhost`]);
    healthy[0] = false;
    await until(
      'app fails over to the backup host',
      async () => (await answer())[0]?.includes('CNAME backup.') ?? false,
      10_000,
    );
    expect(await answer()).to.deep.equal([`app.${APEX} 8 CNAME backup.example.net`]);
    healthy[0] = true;
    await until(
      'app comes back to localhost',
      async () => (await answer())[0]?.includes('CNAME localhost') ?? false,
      10_000,
    );
  });
});
