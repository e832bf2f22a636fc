// The tls check from policy file to probe and back: loading (defaults, tls_ca read relative to the
// policy file, errors), gslb serve reloading when the CA file changes, the plan and its Redis encoding,
// a certificate warning logged once a day per target and certificate by the embedded prober and by an
// agent (real TLS servers on loopback, real gslb serve, real Redis).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Agent } from '../health/agent.js';
import { EmbeddedHealthSource } from '../health/embedded-source.js';
import type { Logger } from '../health/log.js';
import { planFor } from '../server/probe-plan.js';
import { ProbeWarnings } from '../health/probe-warnings.js';
import type { CheckSpec } from '../health/probe-types.js';
import { decodePlan, encodePlan, PROTOCOL_VERSION, type PlanDoc } from '../health/redis-protocol.js';
import { targetKey } from '../health/view.js';
import { loadZones } from '../zones/load.js';
import type { PolicyConfig } from '../zones/policy-types.js';
import { formatZoneError } from '../zones/records.js';
import { selfSignedCertificate, type TestCertificate } from './helpers/tls.js';
import { serve, stopAll } from './helpers/processes.js';
import { cleanup, redisOrSkip, testNode, testPrefix } from './helpers/redis.js';
import { until } from './helpers/until.js';

const ZONE = '$ORIGIN t.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\n';

/** A zones directory with one zone t.test: these policy files (path -> text) and other files. */
function zonesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-tls-'));
  mkdirSync(join(dir, 't.test', 'checks'), { recursive: true });
  writeFileSync(join(dir, 't.test', 'records.zone'), ZONE);
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, 't.test', path), text);
  return dir;
}

const NAMES = (check: string, probe: string) =>
  `datacenters:\n  a: {}\nnames:\n  api:\n    policy: failover\n    check: ${check}\n    pools: { a: [{ address: 192.0.2.20, probe: "${probe}" }] }\n`;

function certificates(ctx: Mocha.Context, days: number[]): TestCertificate[] {
  const made = days.map((d) => selfSignedCertificate(d));
  const failed = made.find((c): c is string => typeof c === 'string');
  if (failed !== undefined) {
    console.log(`      (skipped: ${failed})`);
    ctx.skip();
  }
  return made as TestCertificate[];
}

async function tlsServer(c: TestCertificate): Promise<{ server: tls.Server; port: number }> {
  const server = tls.createServer({ key: c.key, cert: c.cert }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A logger keeping its warnings. */
function recorder(): Logger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const noop = () => {};
  return { warnings, debug: noop, info: noop, error: noop, warn: (obj) => void warnings.push(obj as never) };
}

describe('tls check: policy files', () => {
  let cert: TestCertificate;
  const dirs: string[] = [];
  before(function () {
    [cert] = certificates(this, [365]) as [TestCertificate];
  });
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const load = (files: Record<string, string>) => {
    const dir = zonesDir(files);
    dirs.push(dir);
    return { dir, ...loadZones(dir) };
  };

  it('loads with its defaults: port 443, SNI from the probed host, verification on, a 14-day warning', () => {
    const r = load({ 'p.yaml': `checks:\n  t: { type: tls }\n${NAMES('t', '127.0.0.1:8443')}` });
    expect(r.errors.map(formatZoneError)).to.deep.equal([]);
    const t = r.zones[0]!.policy.checks.get('t')!;
    expect([t.type, t.port, t.sni, t.tlsVerify, t.tlsCa, t.expiryWarnDays]).to.deep.equal([
      'tls',
      443,
      null,
      true,
      null,
      14,
    ]);
  });

  it('tls_ca is read relative to the policy file that names it, and carried in the probe spec', () => {
    const r = load({
      'ca.pem': cert.cert,
      'checks/tls.yaml':
        'checks:\n  t: { type: tls, port: 8443, sni: api.t.test, tls_ca: ../ca.pem, expiry_warn_days: 30 }\n',
      'names.yaml': NAMES('t', '127.0.0.1'),
    });
    expect(r.errors.map(formatZoneError)).to.deep.equal([]);
    const policy = r.zones[0]!.policy;
    expect(policy.checks.get('t')!.tlsCa).to.equal(cert.cert);
    expect(policy.checks.get('t')!.tlsCaDigest).to.equal(createHash('sha256').update(cert.cert).digest('base64'));
    const spec = planFor([policy]).targets[0]!.spec as CheckSpec;
    expect([spec.type, spec.host, spec.port, spec.sni, spec.ca, spec.expiryWarnDays]).to.deep.equal([
      'tls',
      '127.0.0.1',
      8443,
      'api.t.test',
      cert.cert,
      30,
    ]);
  });

  it('a changed CA file is read again on reload, though the policy files are unchanged', function () {
    const r = load({
      'ca.pem': cert.cert,
      'p.yaml': `checks:\n  t: { type: tls, tls_ca: ca.pem }\n${NAMES('t', '127.0.0.1')}`,
    });
    const again = loadZones(r.dir, r.policies);
    expect(again.zones[0]!.policy).to.equal(r.zones[0]!.policy); // reused: nothing changed
    const other = certificates(this, [30])[0]!;
    writeFileSync(join(r.dir, 't.test', 'ca.pem'), other.cert);
    const reloaded = loadZones(r.dir, again.policies);
    expect(reloaded.zones[0]!.policy.checks.get('t')!.tlsCa).to.equal(other.cert);
  });

  it('errors: keys of other check types, an unreadable or non-PEM tls_ca, tls_ca without verification', () => {
    const r = load({
      'junk.pem': 'not a certificate\n',
      // A good certificate, then a damaged one: every block of a bundle is checked, not only the first.
      'bundle.pem': `${cert.cert}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
      'p.yaml': [
        'checks:',
        '  a: { type: tls, path: /x, host: h.test }',
        '  b: { type: https, expiry_warn_days: 7 }',
        '  c: { type: tcp, sni: x.test, tls_ca: ca.pem }',
        '  d: { type: tls, tls_ca: missing.pem }',
        '  e: { type: tls, tls_ca: junk.pem }',
        '  f: { type: tls, tls_verify: false, tls_ca: junk.pem }',
        '  g: { type: tls, expiry_warn_days: -1 }',
        '  h: { type: tls, tls_ca: bundle.pem }',
        NAMES('a', '127.0.0.1'),
      ].join('\n'),
    });
    expect(r.errors.map((e) => e.code)).to.deep.equal([
      'E_POLICY_OUT_OF_RANGE',
      ...Array<string>(5).fill('E_POLICY_NOT_APPLICABLE'),
      'E_POLICY_FILE_UNREADABLE',
      'E_POLICY_BAD_CERTIFICATE',
      'E_POLICY_NOT_APPLICABLE',
      'E_POLICY_BAD_CERTIFICATE',
    ]);
    // The wording says which file and why (the one-line file reason, the bundle's certificate number).
    const messages = r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`);
    expect(messages.slice(0, 1)).to.deep.equal(["t.test/p.yaml:8: check 'g': expiry_warn_days: must be >= 0"]);
    expect(messages.slice(1, 7)).to.deep.equal([
      "t.test/p.yaml:2: check 'a': path: only applies to http and https checks",
      "t.test/p.yaml:2: check 'a': host: only applies to http and https checks",
      "t.test/p.yaml:3: check 'b': expiry_warn_days: only applies to tls checks",
      "t.test/p.yaml:4: check 'c': sni: only applies to https and tls checks",
      "t.test/p.yaml:4: check 'c': tls_ca: only applies to https and tls checks",
      "t.test/p.yaml:5: check 'd': tls_ca: t.test/missing.pem not found (ENOENT)",
    ]);
    expect(messages.slice(7, 9)).to.deep.equal([
      "t.test/p.yaml:6: check 'e': tls_ca: t.test/junk.pem: no PEM certificate in it (-----BEGIN CERTIFICATE-----)",
      "t.test/p.yaml:7: check 'f': tls_ca: has no effect with tls_verify: false",
    ]);
    expect(messages.slice(9)).to.have.length(1);
    expect(messages[9]).to.match(
      /^t\.test\/p\.yaml:9: check 'h': tls_ca: t\.test\/bundle\.pem: certificate 2 is not valid PEM: /,
    );
  });
});

describe('tls check: gslb serve watches a tls_ca file in the zones folder', function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  after(async () => {
    await stopAll();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('rewriting the CA file reloads, though no policy file changed', async function () {
    const [one, two] = certificates(this, [365, 365]) as [TestCertificate, TestCertificate];
    const dir = zonesDir({
      'checks/ca.pem': one.cert,
      'p.yaml': `checks:\n  t: { type: tls, tls_ca: checks/ca.pem }\n${NAMES('t', '127.0.0.1:1')}`,
    });
    dirs.push(dir);
    const { node } = await serve(['--zones', dir]);
    writeFileSync(join(dir, 't.test', 'checks', 'ca.pem'), two.cert);
    const reload = /"reason":"file changed: [^"]*checks\/ca\.pem"[^\n]*"msg":"reloaded"/;
    await node.waitFor(reload, 5000);
  });
});

describe('tls check: the plan and its Redis encoding', () => {
  let cert: TestCertificate;
  before(function () {
    [cert] = certificates(this, [365]) as [TestCertificate];
  });

  it('tls targets survive the plan document an agent reads, CA and warning days included; the CA written once', () => {
    const dir = zonesDir({
      'ca.pem': cert.cert,
      'p.yaml': [
        'checks:',
        '  t: { type: tls, tls_ca: ca.pem, expiry_warn_days: 7 }',
        '  plain: { type: tls }',
        'datacenters:',
        '  a: {}',
        'names:',
        '  api:',
        '    policy: failover',
        '    check: t',
        '    pools: { a: [{ address: 192.0.2.20, probe: "127.0.0.1:8443" }, { address: 192.0.2.21, probe: "127.0.0.1:8444" }] }',
        '  www:',
        '    policy: failover',
        '    check: plain',
        '    pools: { a: [{ address: 192.0.2.22, probe: "127.0.0.1:8445" }] }',
        '',
      ].join('\n'),
    });
    try {
      const policy = loadZones(dir).zones[0]!.policy;
      const plan = planFor([policy]);
      expect(plan.targets.map((t) => (t.spec as CheckSpec).ca !== null)).to.have.members([true, true, false]);
      const doc: PlanDoc = { v: PROTOCOL_VERSION, node: 'n', version: plan.version, at: 1, targets: plan.targets };
      const encoded = encodePlan(doc);
      // Two targets trust the bundle; the document holds it once.
      expect(encoded.split('BEGIN CERTIFICATE').length - 1).to.equal(1);
      // An agent reads the specs back as they were; a plan with the CA inline reads the same.
      for (const text of [encoded, JSON.stringify(doc)]) {
        const decoded = decodePlan(text, 'plan:n');
        expect(decoded.ok).to.equal(true);
        if (!decoded.ok) return;
        expect(decoded.value.skipped).to.deep.equal([]);
        expect(decoded.value.targets.map((t) => t.spec)).to.deep.equal(plan.targets.map((t) => t.spec));
      }
      // A reference to a CA the plan lacks: that target is left out, not probed without its CA.
      const broken = JSON.parse(encoded) as { cas: Record<string, string> };
      broken.cas = {};
      const decoded = decodePlan(JSON.stringify(broken), 'plan:n');
      expect(decoded.ok && decoded.value.targets.length).to.equal(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CA and the warning days are part of the target key: a node with another CA gets its own results', () => {
    const dir = zonesDir({ 'p.yaml': `checks:\n  t: { type: tls }\n${NAMES('t', '127.0.0.1')}` });
    try {
      const policy: PolicyConfig = loadZones(dir).zones[0]!.policy;
      const check = policy.checks.get('t')!;
      const ep = [...policy.names.values()][0]!.pools[0]!.endpoints[0]!;
      const keys = new Set([
        targetKey(check, ep),
        targetKey({ ...check, tlsCa: cert.cert, tlsCaDigest: 'digest of the PEM' }, ep),
        targetKey({ ...check, expiryWarnDays: 30 }, ep),
      ]);
      expect(keys.size).to.equal(3);
      // The key takes the CA by the digest made at load, not its text (a bundle can be 220 KB, and
      // keys are made on the first query after each health change).
      const a = targetKey({ ...check, tlsCa: cert.cert, tlsCaDigest: 'd' }, ep);
      expect(targetKey({ ...check, tlsCa: 'other text', tlsCaDigest: 'd' }, ep)).to.equal(a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tls check: certificate warnings logged once per target per day', function () {
  this.timeout(20_000);

  it('ProbeWarnings: once per target and certificate per day; a replaced certificate at once', () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const log = recorder();
    const w = new ProbeWarnings(log, () => now);
    const result = (text?: string, ends = 'Dec  6 00:00:00 2026 GMT') => ({
      ok: true,
      rttMs: 1,
      reason: text ?? 'ok',
      at: now,
      ...(text ? { warning: { text, subject: `certificate ending ${ends}` } } : {}),
    });
    w.note('a', result('certificate expires in 5 days'));
    w.note('a', result('certificate expires in 5 days'));
    w.note('b', result('certificate expires in 9 days'));
    w.note('c', result());
    now += 3_600_000;
    // The certificate was replaced by one that ends soon as well: news, not a repeat.
    w.note('a', result('certificate expires in 7 days', 'Dec  8 00:00:00 2026 GMT'));
    w.note('a', result('certificate expires in 7 days', 'Dec  8 00:00:00 2026 GMT'));
    now += 22 * 3_600_000;
    w.note('a', result('certificate expires in 4 days'));
    now += 3_600_000;
    w.note('a', result('certificate expires in 4 days'));
    expect(log.warnings.map((x) => [x['target'], x['warning']])).to.deep.equal([
      ['a', 'certificate expires in 5 days'],
      ['b', 'certificate expires in 9 days'],
      ['a', 'certificate expires in 7 days'],
      ['a', 'certificate expires in 4 days'],
    ]);
  });

  let soon: TestCertificate;
  let server: tls.Server | null = null;
  let port = 0;
  const dirs: string[] = [];
  /** TLS handshakes the server has completed: one per probe. */
  let handshakes = 0;
  /** Waits until the server has been probed n more times. */
  const probes = async (n: number) => {
    const from = handshakes;
    await until(`${n} probes`, () => handshakes - from >= n, 5000);
  };
  before(async function () {
    [soon] = certificates(this, [3]) as [TestCertificate];
    ({ server, port } = await tlsServer(soon));
    server.on('secureConnection', () => handshakes++);
  });
  after(async () => {
    if (server) await new Promise((r) => server!.close(r));
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  /** A plan probing the server every 100 ms with a tls check trusting its certificate. */
  function fastPlan() {
    const dir = zonesDir({
      'ca.pem': soon.cert,
      'p.yaml': `checks:\n  t: { type: tls, tls_ca: ca.pem, interval: 100ms, timeout: 90ms }\n${NAMES('t', `127.0.0.1:${port}`)}`,
    });
    dirs.push(dir);
    const r = loadZones(dir);
    expect(r.errors.map(formatZoneError)).to.deep.equal([]);
    return planFor([r.zones[0]!.policy]);
  }

  it('embedded prober: the target stays up with the warning as its reason, logged once over many probes', async () => {
    const plan = fastPlan();
    const log = recorder();
    const source = new EmbeddedHealthSource({ log });
    source.setPlan(plan.targets, plan.version);
    try {
      await source.start(3000);
      const key = plan.targets[0]!.key;
      await probes(10);
      expect(source.view().target(key).up).to.equal(true);
      expect(source.matrix().targets[0]!.cells['local']!.reason).to.match(/^certificate expires in 3 days/);
      expect(log.warnings).to.have.length(1);
      expect(log.warnings[0]!['target']).to.equal(key);
      expect(log.warnings[0]!['warning']).to.match(/^certificate expires in 3 days \(/);
    } finally {
      await source.stop();
    }
  });

  it('agent: the same through Redis: the node sees it up, the agent logs the warning once', async function () {
    const url = await redisOrSkip(this);
    const prefix = testPrefix();
    const plan = fastPlan();
    const node = testNode(url, prefix, plan);
    const log = recorder();
    const agent = new Agent({ url, prefix, datacenter: 'a', id: 'agent-a', heartbeatMs: 200, planRefreshMs: 300, log });
    try {
      await node.start(3000);
      agent.start();
      const key = plan.targets[0]!.key;
      await until('the node to hear the agent', () => node.view().target(key).reason === 'up: 1/1 agents', 5000);
      await probes(10);
      const cell = node.matrix().targets.find((t) => t.key === key)!.cells['agent-a'];
      expect(cell?.reason).to.match(/^certificate expires in 3 days/);
      const certWarnings = log.warnings.filter((w) => w['warning'] !== undefined);
      expect(certWarnings).to.have.length(1);
      expect(certWarnings[0]!['target']).to.equal(key);
    } finally {
      await agent.stop();
      await node.stop();
      await cleanup(url, prefix);
    }
  });
});
