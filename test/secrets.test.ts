// Secrets out of argv, through the real bin/gslb: the Redis URL (with its password) from
// GSLB_REDIS_URL or --redis-url-file, the admin token from --admin-token-file; nothing of either in
// /proc/PID/cmdline; health still flows; clear one-line errors for files that cannot be used, and a
// warning for a secret file every user can read.
import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, HttpBackend } from '../scripts/e2e-cluster.js';
import { COMMANDS } from '../server/cli/commands.js';
import { failoverZone, gslb, redisServer, serve, stopAll, waitAnswer, type Running } from './helpers/processes.js';
import { hasRedisServerBinary } from './helpers/redis.js';

const PASSWORD = 'pw-d0nt-l3ak-9f2c';
const TOKEN = 'token-d0nt-l3ak-4b7e';
const DC1 = '192.0.2.1';
const DC2 = '192.0.2.2';

/** A file holding `text`, with `mode`. */
function secretFile(dir: string, name: string, text: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** POST with an optional bearer token; resolves with the status. */
function post(base: string, path: string, token: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

/** The process's command line as the kernel shows it to every local user (`ps`). */
const cmdline = (p: Running): string => readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

describe('secrets out of argv (real redis-server with a password, bin/gslb)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'gslb-secrets-'));
  let redis: Running | null = null;
  let url = '';
  let zones = '';
  const backends: HttpBackend[] = [];

  before(async function () {
    if (!hasRedisServerBinary()) {
      if (process.env['CI'] === 'true') throw new Error('redis-server is needed (CI=true)');
      console.warn('    skipped: redis-server is not on PATH');
      this.skip();
    }
    const port = await freePort();
    redis = await redisServer([
      '--port', String(port), '--bind', '127.0.0.1', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no',
    ]); // prettier-ignore
    url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    for (let i = 0; i < 2; i++) backends.push(await new HttpBackend().start());
    zones = failoverZone(join(dir, 'zones'), [
      { dc: 'dc1', address: DC1, probe: backends[0]!.probe },
      { dc: 'dc2', address: DC2, probe: backends[1]!.probe },
    ]);
  });
  afterEach(() => stopAll());
  after(async () => {
    await stopAll();
    await redis?.stop();
    for (const b of backends) await b.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GSLB_REDIS_URL alone turns Redis on for serve; --redis-url-file for the agent; no password in argv or logs', async () => {
    const prefix = `gslb-secrets-${process.pid}-a:`;
    const tokenFile = secretFile(dir, 'admin-token', `${TOKEN}\n`);
    const { node, port } = await serve(
      ['--zones', zones, '--redis-prefix', prefix, '--admin', '127.0.0.1:0', '--admin-token-file', tokenFile],
      { GSLB_REDIS_URL: url, GSLB_ADMIN_TOKEN: 'the-file-wins-over-this' },
    );
    const urlFile = secretFile(dir, 'redis-url', `${url}\n`);
    const agent = gslb(['agent', '--redis-url-file', urlFile, '--redis-prefix', prefix, '--datacenter', 'dc1']);
    await agent.waitFor(/probe plan updated/);
    await waitAnswer(port, DC1);
    await backends[0]!.kill();
    await waitAnswer(port, DC2);
    await backends[0]!.start();

    expect(node.stderr).to.match(/"redis":"redis:\/\/127\.0\.0\.1:\d+","from":"GSLB_REDIS_URL".*health from redis/);
    expect(agent.stderr).to.include(`"from":"--redis-url-file ${urlFile}"`);
    for (const p of [node, agent]) {
      expect(cmdline(p)).to.match(/bin\/gslb (serve|agent)/);
      expect(cmdline(p)).not.to.include(PASSWORD);
      expect(cmdline(p)).not.to.include(TOKEN);
      expect(p.stdout + p.stderr).not.to.include(PASSWORD);
    }

    // The admin API takes the token from the file (and not the environment's, which the file overrides).
    const base = (await node.waitFor(/admin on (http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
    expect(await post(base, '/api/reload', TOKEN)).to.equal(200);
    expect(await post(base, '/api/reload', 'the-file-wins-over-this')).to.equal(401);
    expect(await post(base, '/api/reload', null)).to.equal(401);
  });

  it('gslb drain and undrain take the URL from GSLB_REDIS_URL', async () => {
    const prefix = `gslb-secrets-${process.pid}-b:`;
    const env = { GSLB_REDIS_URL: url };
    const drain = gslb(['drain', '--redis-prefix', prefix, '--datacenter', 'dc1', '--reason', 'test'], env);
    expect(await drain.exit(), drain.stderr).to.equal(0);
    const list = gslb(['drain', '--redis-prefix', prefix, '--list'], env);
    expect(await list.exit()).to.equal(0);
    expect(list.stdout).to.match(/^dc:dc1 {2}by .* {2}until undrained {2}\(test\)\n$/);
    const undrain = gslb(['undrain', '--redis-prefix', prefix, '--datacenter', 'dc1'], env);
    expect(await undrain.exit()).to.equal(0);
    expect(undrain.stdout).to.equal('undrained datacenter dc1\n');
  });

  it('a secret file every user can read is used, with a warning naming it', async () => {
    const urlFile = secretFile(dir, 'redis-url-644', url, 0o644);
    const agent = gslb(['agent', '--redis-url-file', urlFile, '--datacenter', 'dc1']);
    const m = await agent.waitFor(/"level":40[^\n]*readable by every user[^\n]*/);
    expect(m[0]).to.include(`--redis-url-file ${urlFile} is readable by every user (mode 0644)`);
    await agent.waitFor(/agent starting/);
    const tokenFile = secretFile(dir, 'token-644', TOKEN, 0o644);
    const drain = gslb(['drain', '--redis-url-file', urlFile, '--list', '--redis-prefix', 'gslb-none:']);
    expect(await drain.exit()).to.equal(0);
    expect(drain.stderr).to.include(`gslb drain: warning: --redis-url-file ${urlFile} is readable by every user`);
    const { node } = await serve(['--zones', zones, '--admin', '127.0.0.1:0', '--admin-token-file', tokenFile]);
    expect(node.stderr).to.include(`--admin-token-file ${tokenFile} is readable by every user (mode 0644)`);
  });

  it('files that cannot be used: one line naming the flag and the file, exit 1; both flag and file: usage error', async () => {
    const empty = secretFile(dir, 'empty', '');
    const blank = secretFile(dir, 'blank', ' \n\n');
    const twoLines = secretFile(dir, 'two-lines', `${url}\n${url}\n`);
    const missing = join(dir, 'missing');
    const cases: Array<[string[], string]> = [
      [
        ['agent', '--datacenter', 'a', '--redis-url-file', missing],
        `gslb agent: --redis-url-file ${missing}: not found (ENOENT) [E_START_FLAG_FILE_UNREADABLE]`,
      ],
      [
        ['agent', '--datacenter', 'a', '--redis-url-file', empty],
        `gslb agent: --redis-url-file ${empty}: the file is empty [E_START_FLAG_FILE_EMPTY]`,
      ],
      [
        ['drain', '--list', '--redis-url-file', blank],
        `gslb drain: --redis-url-file ${blank}: the file holds only white space [E_START_FLAG_FILE_EMPTY]`,
      ],
      [
        ['undrain', '--datacenter', 'a', '--redis-url-file', dir],
        `gslb undrain: --redis-url-file ${dir}: is a folder, not a file (EISDIR) [E_START_FLAG_FILE_UNREADABLE]`,
      ],
      [
        ['agent', '--datacenter', 'a', '--redis-url-file', twoLines],
        `gslb agent: --redis-url-file ${twoLines}: the file must hold one line, it has more [E_START_FLAG_FILE_LINES]`,
      ],
      [
        ['serve', '--zones', zones, '--admin', '127.0.0.1:0', '--admin-token-file', missing],
        `gslb serve: --admin-token-file ${missing}: not found (ENOENT) [E_START_FLAG_FILE_UNREADABLE]`,
      ],
      [
        ['serve', '--zones', zones, '--redis-url-file', empty],
        `gslb serve: --redis-url-file ${empty}: the file is empty [E_START_FLAG_FILE_EMPTY]`,
      ],
    ];
    for (const [args, line] of cases) {
      const r = gslb(args);
      expect(await r.exit(), args.join(' ')).to.equal(1);
      expect(r.stderr).to.equal(`${line}\n`);
    }
    const both = gslb(['serve', '--zones', zones, '--admin-token', 'x', '--admin-token-file', empty]);
    expect(await both.exit()).to.equal(2);
    expect(both.stderr.split('\n')[0]).to.equal(
      'gslb serve: give --admin-token or --admin-token-file, not both [E_CLI_CONFLICTING_FLAGS]',
    );
    const bothRedis = gslb(['agent', '--datacenter', 'a', '--redis', url, '--redis-url-file', empty]);
    expect(await bothRedis.exit()).to.equal(2);
    expect(bothRedis.stderr.split('\n')[0]).to.equal(
      'gslb agent: give --redis or --redis-url-file, not both [E_CLI_CONFLICTING_FLAGS]',
    );
    // A bearer token is one word: a file holding two could never be sent, so serve refuses it.
    const spaced = gslb([
      'serve',
      '--zones',
      zones,
      '--admin',
      '0',
      '--admin-token-file',
      secretFile(dir, 'sp', 'a b\n'),
    ]);
    expect(await spaced.exit()).to.equal(2);
    expect(spaced.stderr.split('\n')[0]).to.equal(
      'gslb serve: the admin token must be printable ASCII without spaces (openssl rand -hex 32 makes one) [E_CLI_BAD_VALUE]',
    );
    const none = gslb(['agent', '--datacenter', 'a']);
    expect(await none.exit()).to.equal(2);
    expect(none.stderr.split('\n')[0]).to.equal(
      'gslb agent: needs --redis URL (or --redis-url-file FILE, or GSLB_REDIS_URL) [E_CLI_MISSING_FLAG]',
    );
  });

  it('a bad URL from the environment names where it came from and hides its password', async () => {
    const r = gslb(['agent', '--datacenter', 'a'], { GSLB_REDIS_URL: `http://:${PASSWORD}@127.0.0.1:1` });
    expect(await r.exit()).to.equal(2);
    expect(r.stderr.split('\n')[0]).to.equal(
      "gslb agent: redis URL scheme 'http:' is not redis:, rediss:, sentinel: or sentinels: (from GSLB_REDIS_URL) [E_CLI_BAD_REDIS_URL]",
    );
    const notUrl = gslb(['agent', '--datacenter', 'a'], { GSLB_REDIS_URL: `redis://:${PASSWORD}@[bad` });
    expect(await notUrl.exit()).to.equal(2);
    expect(notUrl.stderr).to.include("redis URL 'redis://:***@[bad' is not a URL");
    expect(notUrl.stderr).not.to.include(PASSWORD);
  });
});

describe('docs/systemd/gslb.env.example', () => {
  it('sets only variables a command reads, or a unit passes on its command line', () => {
    const read = new Set(COMMANDS.flatMap((c) => Object.values(c.flags).flatMap((f) => (f.env ? [f.env] : []))));
    const units = ['gslb-serve.service', 'gslb-agent.service'].map((u) => readFileSync(`docs/systemd/${u}`, 'utf8'));
    const set = [...readFileSync('docs/systemd/gslb.env.example', 'utf8').matchAll(/^#?(GSLB_[A-Z_]+)=/gm)].map(
      (m) => m[1]!,
    );
    expect(set).to.include.members([
      'GSLB_REDIS_URL',
      'GSLB_REDIS_TLS_CA',
      'GSLB_REDIS_TLS_CERT',
      'GSLB_REDIS_TLS_KEY',
    ]);
    for (const name of set) expect(read.has(name) || units.some((u) => u.includes(`\${${name}}`)), name).to.equal(true);
  });
});
