// docs/deployment.md and docs/systemd/ hold what operators copy: the units pass
// `systemd-analyze verify`, and the documented Redis ACL is enough for a node, agents and drains.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Agent } from '../health/agent.js';
import { drain } from '../health/drain-store.js';
import { planFor } from '../server/probe-plan.js';
import { isCountryCode } from '../geo/countries.js';
import { parseName, type DnsName } from '../zones/name.js';
import { loadPolicy } from '../zones/policy/index.js';
import { HttpBackend } from '../scripts/e2e-cluster.js';
import { COMMANDS } from '../server/cli/commands.js';
import { hasRedisServerBinary, startRedisServer, testNode } from './helpers/redis.js';
import { until } from './helpers/until.js';

const UNITS = ['gslb-serve.service', 'gslb-agent.service'];
const INSTALLED_GSLB = '/opt/gslb/current/bin/gslb';

describe('deployment guide: systemd units', () => {
  it('pass systemd-analyze verify with no warning', function () {
    if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0) {
      console.warn('    skipped: systemd-analyze is not installed');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'gslb-units-'));
    try {
      for (const unit of UNITS) {
        const text = readFileSync(join('docs/systemd', unit), 'utf8');
        expect(text, unit).to.include(INSTALLED_GSLB);
        // verify checks that ExecStart's program exists: point it at this checkout's.
        writeFileSync(join(dir, unit), text.replaceAll(INSTALLED_GSLB, resolve('bin/gslb')));
      }
      const r = spawnSync('systemd-analyze', ['verify', ...UNITS], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr.trim(), 'systemd-analyze verify output').to.equal('');
      expect(r.status).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start gslb with flags its commands have', () => {
    for (const unit of UNITS) {
      const exec = /^ExecStart=(.*)$/m.exec(readFileSync(join('docs/systemd', unit), 'utf8').replace(/\\\n\s*/g, ' '));
      const words = exec![1]!.trim().split(/\s+/);
      expect(words[0], unit).to.equal(INSTALLED_GSLB);
      const command = COMMANDS.find((c) => c.name === words[1]);
      expect(command, `${unit}: command ${words[1]}`).not.to.equal(undefined);
      for (const flag of words.filter((w) => w.startsWith('--')))
        expect(Object.keys(command!.flags), `${unit}: ${flag}`).to.include(flag.slice(2));
    }
  });

  it('keep secrets out of argv: no password or token on an ExecStart line', () => {
    for (const unit of UNITS) {
      const exec = readFileSync(join('docs/systemd', unit), 'utf8')
        .replace(/\\\n/g, ' ')
        .split('\n')
        .filter((l) => l.startsWith('ExecStart='))
        .join('\n');
      // --redis and --admin-token take the secret itself (--redis-prefix, --redis-url-file do not).
      expect(exec, unit).not.to.match(/--redis(?=[\s=])|--admin-token(?=[\s=])|(rediss?|sentinels?):\/\//);
      expect(readFileSync(join('docs/systemd', unit), 'utf8'), unit).to.include('EnvironmentFile=/etc/gslb/gslb.env');
    }
  });
});

describe('deployment guide: the npm pack tarball', () => {
  it('holds the CLI, the built server, the example zone and the docs with the units; no tests', function () {
    this.timeout(20_000);
    // --ignore-scripts: the tree is built already (npm test builds first); pack lists what it would take.
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const files = new Set((JSON.parse(r.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
    for (const path of [
      'bin/gslb',
      'package.json',
      'dist/server/cli/main.js',
      'dist/zones/policy-validator.js',
      'examples/gslb.example.com/names.yaml',
      'docs/deployment.md',
      ...UNITS.map((u) => `docs/systemd/${u}`),
      'docs/systemd/gslb.env.example',
    ])
      expect(files.has(path), path).to.equal(true);
    expect([...files].filter((f) => f.startsWith('dist/test/') || f.startsWith('test/'))).to.deep.equal([]);
  });
});

describe('deployment guide: the documented Redis ACL', function () {
  this.timeout(20_000);
  let redis: Awaited<ReturnType<typeof startRedisServer>> | null = null;
  const stops: Array<() => Promise<unknown>> = [];
  before(async function () {
    if (!hasRedisServerBinary()) {
      if (process.env['CI'] === 'true') throw new Error('redis-server is needed (CI=true)');
      console.warn('    skipped: redis-server is not on PATH');
      this.skip();
    }
    redis = await startRedisServer();
  });
  after(async () => {
    while (stops.length) await stops.pop()!();
    redis?.proc.kill('SIGKILL');
  });

  it('lets a node, three agents and gslb drain do their work, and nothing outside the prefix', async () => {
    const doc = readFileSync('docs/deployment.md', 'utf8');
    const acl = /^ACL SETUSER gslb .*$/m.exec(doc)?.[0];
    expect(acl, 'an ACL SETUSER line in docs/deployment.md').to.be.a('string');
    const admin = new Redis(redis!.url);
    stops.push(async () => admin.disconnect());
    // The documented line with the password filled in, as redis-cli would send it.
    await admin.call('ACL', ...acl!.replace('CHANGE-ME', 'pw').split(/\s+/).slice(1));
    const url = redis!.url.replace('redis://', 'redis://gslb:pw@');

    const backend = await new HttpBackend().start();
    stops.push(() => backend.kill());
    const apex = (parseName('acl.test.', null) as { ok: true; name: DnsName }).name;
    const policy = loadPolicy(
      [
        {
          file: 'p.yaml',
          text: `datacenters: { a: {}, b: {} }\nchecks:\n  web: { type: http, path: /, interval: 300ms, timeout: 250ms }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools:\n      a: [{ address: 192.0.2.1, probe: "${backend.probe}" }]\n      b: [{ address: 192.0.2.2, probe: "${backend.probe}" }]\n`,
        },
      ],
      apex,
      isCountryCode,
      (path) => readFileSync(path, 'utf8'),
    );
    expect(policy.errors).to.deep.equal([]);
    const plan = planFor([policy.config]);
    const prefix = 'gslb:';
    const node = testNode(url, prefix, plan);
    stops.push(() => node.stop());
    expect(await node.start(3000), 'node synced').to.equal(true);
    for (const dc of ['a', 'b', 'c']) {
      const agent = new Agent({ url, prefix, datacenter: dc, id: `agent-${dc}`, heartbeatMs: 200, planRefreshMs: 300 });
      agent.start();
      stops.push(() => agent.stop());
    }
    const key = plan.targets[0]!.key;
    await until('the agents to agree', () => /up: 3\/3/.test(node.view().target(key).reason), 5000, 50).catch(() => {
      throw new Error(`agents never agreed: ${node.view().target(key).reason}`);
    });
    await drain({ url }, prefix, { datacenter: 'a' }, { forMs: 60_000, by: 'test', reason: 'acl' });
    await until('the drain to arrive', () => node.view().isDrained('a', '192.0.2.1'), 3000, 50);
    expect(node.status().badMessages).to.equal(0);
    // What ioredis sends on its own (its ready check, the connection name) is allowed...
    const limited = new Redis(url);
    stops.push(async () => limited.disconnect());
    expect(await limited.info('server')).to.include('redis_version');
    expect(await limited.client('SETNAME', 'acl-test')).to.equal('OK');
    // ...and the user is held to the prefix: a key outside it is refused.
    let refused = '';
    await limited.set('other:key', '1').catch((err: Error) => (refused = err.message));
    expect(refused).to.match(/NOPERM/);
  });
});
