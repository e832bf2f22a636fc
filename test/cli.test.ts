// The gslb command as a user runs it: check reports every error as file:line, serve refuses bad zones,
// serves good ones, reloads on SIGHUP (keeping the last good config on error) and exits on SIGTERM.
import { freePort } from '../scripts/e2e-cluster.js';
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, type TestServer } from './helpers/dns.js';
import { until } from './helpers/until.js';

const GSLB = 'bin/gslb';

const GOOD = `$ORIGIN cli.test.
$TTL 60
@ SOA ns1 host 1 2 3 4 5
  NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
`;

const BAD = `$ORIGIN cli.test.
$TTL 60
@ SOA ns1 host 1 2 3 4 5
  NS ns1
ns1 A 192.0.2.300
www AAAA not-an-address
txt TXT "unterminated
ok A 192.0.2.2
x FOO bar
`;

function writeZone(dir: string, text: string): void {
  mkdirSync(join(dir, 'cli.test'), { recursive: true });
  writeFileSync(join(dir, 'cli.test', 'records.zone'), text);
}

/** What a process writes to stderr (its log), as it comes. */
function stderrOf(child: ChildProcess): { text: string } {
  const err = { text: '' };
  child.stderr!.on('data', (d: Buffer) => (err.text += d.toString()));
  return err;
}

/** Whether the process `pid` has logged that a reload failed (the last thing a failed reload does). */
const reloadFailed = (log: string, pid: number): boolean =>
  log
    .split('\n')
    .some((l) => l.includes(`"pid":${pid},`) && l.includes('reload failed; still serving the last good configuration'));

function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}: ${out}`));
    });
  });
}

describe('gslb CLI', () => {
  let dir: string;
  let child: ChildProcess | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-cli-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('check reports every error as file:line: message and exits non-zero', () => {
    writeZone(dir, BAD);
    const r = spawnSync(process.execPath, [GSLB, 'check', '--zones', dir], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    const lines = r.stderr.trim().split('\n');
    // file:line: message [CODE]: the form is the feature; which error it is, the code says.
    expect(lines).to.include.members([
      "cli.test/records.zone:5: bad IPv4 address '192.0.2.300' for A record [E_ZONE_BAD_RDATA]",
    ]);
    const located = lines.filter((l) => /^cli\.test\/records\.zone:\d+: /.test(l));
    expect(located.map((l) => `${l.split(':')[1]} ${/\[(E_[A-Z_]+)\]$/.exec(l)?.[1]}`)).to.deep.equal([
      '5 E_ZONE_BAD_RDATA',
      '6 E_ZONE_BAD_RDATA',
      '7 E_ZONE_SYNTAX',
      '9 E_ZONE_BAD_TYPE',
    ]);
  });

  it('check passes a valid zone', () => {
    writeZone(dir, GOOD);
    const r = spawnSync(process.execPath, [GSLB, 'check', '--zones', dir], { encoding: 'utf8' });
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/ok: 1 zone/);
  });

  it('simulate over zones without load-balanced names is a usage error', () => {
    writeZone(dir, GOOD);
    const r = spawnSync(process.execPath, [GSLB, 'simulate', '--zones', dir, '--clients', 'examples/clients.csv'], {
      encoding: 'utf8',
    });
    expect(r.status).to.equal(2);
    expect(r.stderr.split('\n')[0]).to.match(/^gslb simulate: .* \[E_CLI_NOTHING_TO_SIMULATE\]$/);
  });

  it('check validates the shipped example', () => {
    const r = spawnSync(process.execPath, [GSLB, 'check', '--zones', 'examples'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });

  it('usage errors exit 2 with a message', () => {
    const r = spawnSync(process.execPath, [GSLB, 'serve', '--zones', dir, '--listen', 'nonsense'], {
      encoding: 'utf8',
    });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/^gslb serve: listen address 'nonsense'.* \[E_CLI_BAD_ADDRESS\]\n/);
    const u = spawnSync(process.execPath, [GSLB, 'frobnicate'], { encoding: 'utf8' });
    expect(u.status).to.equal(2);
    expect(u.stderr).to.match(/ \[E_CLI_UNKNOWN_COMMAND\]\n/);
  });

  it('serve refuses to start on invalid zones with the same errors', () => {
    writeZone(dir, BAD);
    const r = spawnSync(process.execPath, [GSLB, 'serve', '--zones', dir, '--listen', '127.0.0.1:0'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^cli\.test\/records\.zone:5: .* \[E_ZONE_BAD_RDATA\]$/m);
    expect(r.stderr).to.match(/^gslb serve: refusing to start: 4 error\(s\) in .* \[E_START_INVALID_CONFIG\]\n$/m);
  });

  it('serve answers, keeps the last good zones on a bad SIGHUP reload, applies a good one, exits on SIGTERM', async () => {
    writeZone(dir, GOOD);
    const port = await freePort();
    child = spawn(process.execPath, [GSLB, 'serve', '--zones', dir, '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = stderrOf(child);
    await waitForOutput(child, /serving/);
    const server = { host: '127.0.0.1', port } as TestServer;
    expect((await ask(server, { name: 'www.cli.test' })).answer).to.deep.equal(['www.cli.test 60 A 192.0.2.10']);

    writeZone(dir, BAD);
    child.kill('SIGHUP');
    // The primary reloads last in a round (after the workers, or the first that refused the change).
    const pid = child.pid!;
    await until('the bad reload to be refused', () => reloadFailed(log.text, pid), 10_000);
    expect((await ask(server, { name: 'www.cli.test' })).answer).to.deep.equal(['www.cli.test 60 A 192.0.2.10']);

    writeZone(dir, GOOD.replace('192.0.2.10', '192.0.2.99'));
    child.kill('SIGHUP');
    // The workers (one per core by default) reload one after another: wait until every answer is new.
    const t0 = Date.now();
    for (let fresh = 0; fresh < 10;) {
      const a = (await ask(server, { name: 'www.cli.test' })).answer;
      fresh = a[0] === 'www.cli.test 60 A 192.0.2.99' ? fresh + 1 : 0;
      if (Date.now() - t0 > 10_000) expect(a).to.deep.equal(['www.cli.test 60 A 192.0.2.99']);
    }

    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});

describe('gslb drain / undrain / agent (CLI)', () => {
  it('drain, list and undrain through Redis', async function () {
    const { redisOrSkip, testPrefix, cleanup } = await import('./helpers/redis.js');
    const url = await redisOrSkip(this);
    const prefix = testPrefix();
    try {
      const run = (...a: string[]) =>
        spawnSync(process.execPath, [GSLB, ...a, '--redis', url, '--redis-prefix', prefix], { encoding: 'utf8' });
      const d = run('drain', '--datacenter', 'eu-west', '--for', '10m', '--reason', 'maintenance');
      expect(d.status, d.stderr).to.equal(0);
      expect(d.stdout).to.match(/drained datacenter eu-west until \d{4}-/);
      expect(run('drain', '--endpoint', '192.0.2.7').status).to.equal(0);
      const list = run('drain', '--list');
      expect(list.stdout).to.match(/dc:eu-west .*\(maintenance\)/);
      expect(list.stdout).to.match(/ep:192\.0\.2\.7 .*until undrained/);
      expect(run('undrain', '--datacenter', 'eu-west').stdout).to.equal('undrained datacenter eu-west\n');
      expect(run('undrain', '--datacenter', 'eu-west').stdout).to.equal('datacenter eu-west was not drained\n');
      expect(run('drain', '--list').stdout).to.not.match(/eu-west/);
    } finally {
      await cleanup(url, prefix);
    }
  });

  it('usage errors: exit 2, the code at the end of the line', () => {
    const cases: Array<[string[], string]> = [
      [['drain', '--datacenter', 'x'], 'E_CLI_MISSING_FLAG'],
      [['drain', '--redis', 'redis://127.0.0.1:1'], 'E_CLI_MISSING_FLAG'],
      [['drain', '--redis', 'redis://127.0.0.1:1', '--endpoint', 'no pe'], 'E_CLI_BAD_ADDRESS'],
      [
        ['drain', '--redis', 'redis://127.0.0.1:1', '--endpoint', '192.0.2.1', '--datacenter', 'x'],
        'E_CLI_CONFLICTING_FLAGS',
      ],
      [['drain', '--redis', 'redis://127.0.0.1:1', '--datacenter', 'x', '--for', 'soon'], 'E_CLI_BAD_VALUE'],
      [['agent', '--redis', 'redis://127.0.0.1:6379'], 'E_CLI_MISSING_FLAG'],
      [['agent', '--redis', 'ftp://x', '--datacenter', 'a'], 'E_CLI_BAD_REDIS_URL'],
      [['agent', '--redis', 'redis://127.0.0.1:6379', '--datacenter', 'a b'], 'E_CLI_BAD_VALUE'],
      [['agent', '--redis', 'redis://127.0.0.1:6379', '--redis-prefix', 'a b', '--datacenter', 'a'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--quorum', 'most'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--redis', 'redis://127.0.0.1:6379', '--grace', 'soon'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--workers', '0'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--admin', 'nowhere'], 'E_CLI_BAD_ADDRESS'],
      [['serve', '--zones', 'examples', '--admin', '0.0.0.0:0'], 'E_CLI_ADMIN_NEEDS_TOKEN'],
      [['serve', '--zones', 'examples', '--redis-tls-ca', 'ca.pem'], 'E_CLI_FLAG_NEEDS_FLAG'],
      [['serve', '--zones', 'examples', '--redis', 'redis://h', '--redis-tls-ca', 'ca.pem'], 'E_CLI_CONFLICTING_FLAGS'],
      [['serve', '--zones', 'examples', '--rrl-rate', 'fast'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--rrl-rate', '10', '--rrl-slip', '11'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--rrl-rate', '10', '--rrl-ipv4-prefix', '33'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--rrl-rate', '10', '--rrl-exempt', '10.0.0.1/8'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--rrl-exempt', '10.0.0.0/8'], 'E_CLI_FLAG_NEEDS_FLAG'],
      [['serve', '--zones', 'examples', '--rrl-log-only'], 'E_CLI_FLAG_NEEDS_FLAG'],
      [['serve', '--zones', 'examples', '--cookie-secret', '00112233'], 'E_CLI_BAD_VALUE'],
      [['serve', '--zones', 'examples', '--cookie-secret', '00'.repeat(16), '--no-cookies'], 'E_CLI_CONFLICTING_FLAGS'],
      [['serve', '--zones', 'examples', '--proxy-listen', '127.0.0.1:0'], 'E_CLI_FLAG_NEEDS_FLAG'],
      [['serve', '--zones', 'examples', '--proxy-from', '127.0.0.1'], 'E_CLI_FLAG_NEEDS_FLAG'],
      [['serve', '--zones', 'examples', '--proxy-listen', 'x:1', '--proxy-from', '127.0.0.1'], 'E_CLI_BAD_ADDRESS'],
      [['serve', '--zones', 'examples', '--tcp-max-per-client', '0'], 'E_CLI_BAD_VALUE'],
      [['explain', '--zones', 'examples', '--client', 'nope', 'www.gslb.example.com'], 'E_CLI_BAD_VALUE'],
      [
        ['explain', '--zones', 'examples', '--client', '192.0.2.1', '--down', 'mars', 'www'],
        'E_CLI_UNKNOWN_DATACENTER',
      ],
      [['simulate', '--zones', 'examples', '--clients', '/nonexistent/clients.csv'], 'E_CLI_FILE_UNREADABLE'],
      [
        ['simulate', '--zones', 'examples', '--clients', 'examples/clients.csv', '--name', 'nope'],
        'E_CLI_UNKNOWN_NAME',
      ],
    ];
    for (const [args, code] of cases) {
      const r = spawnSync(process.execPath, [GSLB, ...args], { encoding: 'utf8', timeout: 15_000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr.split('\n')[0], args.join(' ')).to.match(new RegExp(`^gslb ${args[0]}: .* \\[${code}\\]$`));
    }
  });

  it('drain reports an unreachable Redis clearly', () => {
    const r = spawnSync(process.execPath, [GSLB, 'drain', '--redis', 'redis://127.0.0.1:1', '--datacenter', 'x'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/^gslb drain: redis: .*ECONNREFUSED.* \[E_REDIS_UNREACHABLE\]\n$/);
  });
});

describe('gslb explain and simulate: a GeoIP file that cannot be used', () => {
  // One line naming the file and what --geoip takes, exit 1, no stack trace (as serve prints it).
  for (const [command, args] of [
    ['explain', ['www.gslb.example.com', '--client', '192.0.2.1']],
    ['simulate', ['--clients', 'examples/clients.csv']],
  ] as const) {
    it(`gslb ${command} --geoip MISSING`, () => {
      const r = spawnSync(
        process.execPath,
        [GSLB, command, '--zones', 'examples', ...args, '--geoip', '/nonexistent/city.mmdb'],
        { encoding: 'utf8', timeout: 15_000 },
      );
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `gslb ${command}: /nonexistent/city.mmdb: GeoIP database not found (ENOENT); ` +
          '--geoip FILE takes a MaxMind DB (.mmdb) City, Country or ASN database [E_GEO_FILE_MISSING]\n',
      );
      expect(r.stderr).not.to.match(/^\s+at /m);
    });
  }
});

describe('the test run', () => {
  it("starts without the developer's GSLB_* variables (test/helpers/clean-env.ts)", () => {
    expect(Object.keys(process.env).filter((k) => k.startsWith('GSLB_'))).to.deep.equal([]);
  });
});

describe('gslb serve reloads on file changes', () => {
  it('a valid change is applied and an invalid one keeps the last good zones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-watch-'));
    writeZone(dir, GOOD);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [GSLB, 'serve', '--zones', dir, '--listen', `127.0.0.1:${port}`, '--workers', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log = stderrOf(child);
    try {
      await waitForOutput(child, /serving/);
      const server = { host: '127.0.0.1', port } as TestServer;
      const answer = async () => (await ask(server, { name: 'www.cli.test' })).answer;
      const answerBecomes = (want: string[]) =>
        until(`answer ${want}`, async () => JSON.stringify(await answer()) === JSON.stringify(want), 10_000, 100);
      writeZone(dir, GOOD.replace('192.0.2.10', '192.0.2.77'));
      await answerBecomes(['www.cli.test 60 A 192.0.2.77']);
      writeZone(dir, BAD);
      await until('the watcher to try the bad change', () => reloadFailed(log.text, child.pid!), 10_000);
      expect(await answer()).to.deep.equal(['www.cli.test 60 A 192.0.2.77']);
      writeZone(dir, GOOD.replace('192.0.2.10', '192.0.2.78'));
      await answerBecomes(['www.cli.test 60 A 192.0.2.78']);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
