// Redis over TLS with client certificates, through the real bin/gslb: a redis-server that requires
// client certificates (and a Sentinel over TLS in front of it), certificates made here by openssl,
// `gslb serve`, `gslb agent` and `gslb drain` with --redis-tls-ca/-cert/-key. Health flows when the
// certificates are right; without the client certificate the log says why and serve keeps answering.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, HttpBackend, queryA, sleep } from '../scripts/e2e-cluster.js';
import { failoverZone, gslb, redisServer, serve, stopAll, waitAnswer, type Running } from './helpers/processes.js';
import { hasRedisServerBinary } from './helpers/redis.js';
import { until } from './helpers/until.js';
import { makeCertificateAuthority, type CertificateAuthority, type IssuedCertificate } from './helpers/tls.js';

const DC1 = '192.0.2.1';
const DC2 = '192.0.2.2';

describe('Redis over TLS with client certificates (real redis-server, bin/gslb)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'gslb-redis-tls-'));
  let ca: CertificateAuthority;
  let client: IssuedCertificate;
  let tlsPort = 0;
  let redis: Running | null = null;
  let zones = '';
  const backends: HttpBackend[] = [];
  const prefix = () => `gslb-tls-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
  /** The three TLS flags with this test's client certificate. */
  const certFlags = () => ['--redis-tls-ca', ca.ca, '--redis-tls-cert', client.cert, '--redis-tls-key', client.key];

  before(async function () {
    if (!hasRedisServerBinary()) {
      if (process.env['CI'] === 'true') throw new Error('redis-server is needed (CI=true)');
      console.warn('    skipped: redis-server is not on PATH');
      this.skip();
    }
    ca = makeCertificateAuthority(dir);
    const server = ca.issue('redis-server');
    client = ca.issue('gslb-client');
    tlsPort = await freePort();
    redis = await redisServer([
      '--port', '0', '--tls-port', String(tlsPort), '--bind', '127.0.0.1',
      '--tls-cert-file', server.cert, '--tls-key-file', server.key, '--tls-ca-cert-file', ca.ca,
      '--tls-auth-clients', 'yes', '--save', '', '--appendonly', 'no',
    ]); // prettier-ignore
    for (let i = 0; i < 2; i++) backends.push(await new HttpBackend().start());
    zones = failoverZone(join(dir, 'zones'), [
      { dc: 'dc1', address: DC1, probe: backends[0]!.probe },
      { dc: 'dc2', address: DC2, probe: backends[1]!.probe },
    ]);
  });
  afterEach(async () => {
    await stopAll();
    for (const b of backends) if (b.port) await b.start().catch(() => {}); // revive any a test killed
  });
  after(async () => {
    await stopAll();
    await redis?.stop();
    for (const b of backends) await b.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A node and an agent on `url` with `flags`; the agent's results reach the node: dc1 down moves www to dc2. */
  async function healthFlows(url: string, flags: readonly string[]): Promise<{ node: Running; agent: Running }> {
    const p = prefix();
    const { node, port } = await serve(['--zones', zones, '--redis', url, '--redis-prefix', p, ...flags]);
    const agent = gslb(['agent', '--redis', url, '--redis-prefix', p, '--datacenter', 'dc1', ...flags]);
    await agent.waitFor(/probe plan updated/);
    await waitAnswer(port, DC1);
    await backends[0]!.kill();
    await waitAnswer(port, DC2);
    await backends[0]!.start();
    await waitAnswer(port, DC1);
    return { node, agent };
  }

  it('serve and agent with CA, client certificate and key: the agent results reach the node', async () => {
    const { node } = await healthFlows(`rediss://127.0.0.1:${tlsPort}`, certFlags());
    expect(node.stderr).to.match(/"redis":"rediss:\/\/127\.0\.0\.1:\d+".*"from":"--redis".*health from redis/);
    expect(node.stderr).not.to.match(/cannot reach redis/);
  });

  it('the TLS files from GSLB_REDIS_TLS_CA, _CERT and _KEY (as the env file sets them)', async () => {
    const p = prefix();
    const env = { GSLB_REDIS_TLS_CA: ca.ca, GSLB_REDIS_TLS_CERT: client.cert, GSLB_REDIS_TLS_KEY: client.key };
    const url = `rediss://127.0.0.1:${tlsPort}`;
    const { port } = await serve(['--zones', zones, '--redis', url, '--redis-prefix', p], env);
    const agent = gslb(['agent', '--redis', url, '--redis-prefix', p, '--datacenter', 'dc1'], env);
    await agent.waitFor(/probe plan updated/);
    await backends[0]!.kill();
    await waitAnswer(port, DC2);
  });

  it('without the client certificate: a clear error in the log, no health, and serve keeps answering', async () => {
    const p = prefix();
    const url = `rediss://127.0.0.1:${tlsPort}`;
    // At debug level each reconnect attempt after the first failure leaves a line (the warning is once).
    const { node, port } = await serve([
      '--zones',
      zones,
      '--redis',
      url,
      '--redis-prefix',
      p,
      '--redis-tls-ca',
      ca.ca,
      '--log-level',
      'debug',
    ]);
    const m = await node.waitFor(/"level":40[^\n]*cannot reach redis[^\n]*/);
    expect(m[0]).to.match(/tls-auth-clients.*--redis-tls-cert and --redis-tls-key/);
    // An agent that can connect publishes dc1 down; the node, not connected, never hears it. A second
    // node with the client certificate, on the same prefix, gives the agent its plan and shows when a
    // connected node hears it.
    const agent = gslb(['agent', '--redis', url, '--redis-prefix', p, '--datacenter', 'dc1', ...certFlags()]);
    const control = await serve(['--zones', zones, '--redis', url, '--redis-prefix', p, ...certFlags()]);
    await agent.waitFor(/probe plan updated/);
    await waitAnswer(control.port, DC1);
    await backends[0]!.kill();
    await waitAnswer(control.port, DC2);
    // Both nodes would get the same report at once; one that heard it would rebuild its view within
    // 50 ms and answer from it: a short margin for a loaded machine, then the node must still say DC1.
    await sleep(300);
    expect(await queryA(port, 'www.e2e.test', 1000)).to.deep.equal([DC1]);
    expect(node.exitCode).to.equal(null);
    // Logged once, not on every reconnect attempt (at least two more were made: their debug lines).
    await until(
      'two more reconnect attempts',
      () => (node.stderr.match(/"level":20[^\n]*cannot reach redis/g) ?? []).length >= 2,
      10_000,
    );
    expect(node.stderr.match(/"level":40[^\n]*cannot reach redis/g)).to.have.length(1);
  });

  it("without the CA: the agent says Redis's certificate is not signed by a CA it was given", async () => {
    const agent = gslb([
      'agent', '--redis', `rediss://127.0.0.1:${tlsPort}`, '--datacenter', 'dc1',
      '--redis-tls-cert', client.cert, '--redis-tls-key', client.key,
    ]); // prettier-ignore
    const m = await agent.waitFor(/"level":40[^\n]*cannot reach redis[^\n]*/);
    expect(m[0]).to.match(/self-signed certificate in certificate chain.*not signed by a CA in --redis-tls-ca/);
  });

  it('a client certificate from another CA: Redis closes the connection, and the hint says to check its CA', async () => {
    const rogue = makeCertificateAuthority(mkdtempSync(join(dir, 'rogue-')), 'rogue-ca').issue('rogue-client');
    const agent = gslb([
      'agent', '--redis', `rediss://127.0.0.1:${tlsPort}`, '--datacenter', 'dc1',
      '--redis-tls-ca', ca.ca, '--redis-tls-cert', rogue.cert, '--redis-tls-key', rogue.key,
    ]); // prettier-ignore
    const m = await agent.waitFor(/"level":40[^\n]*cannot reach redis[^\n]*/);
    expect(m[0]).to.match(/does it trust the CA that signed --redis-tls-cert/);
  });

  it('gslb drain over TLS reaches the node; without the client certificate it fails with the reason', async () => {
    const p = prefix();
    const url = `rediss://127.0.0.1:${tlsPort}`;
    const { port } = await serve(['--zones', zones, '--redis', url, '--redis-prefix', p, ...certFlags()]);
    await waitAnswer(port, DC1);
    const drain = gslb(['drain', '--redis', url, '--redis-prefix', p, '--datacenter', 'dc1', ...certFlags()]);
    expect(await drain.exit(), drain.stderr).to.equal(0);
    expect(drain.stdout).to.equal('drained datacenter dc1\n');
    await waitAnswer(port, DC2);
    const refused = gslb([
      'undrain',
      '--redis',
      url,
      '--redis-prefix',
      p,
      '--datacenter',
      'dc1',
      '--redis-tls-ca',
      ca.ca,
    ]);
    expect(await refused.exit()).to.equal(1);
    expect(refused.stderr).to.match(
      /^gslb undrain: redis: .*give --redis-tls-cert and --redis-tls-key\) \[E_REDIS_TLS_CLIENT_REFUSED\]\n$/,
    );
  });

  it('a plain redis:// URL with TLS files is a usage error; so is a certificate without its key', async () => {
    const plain = gslb(['agent', '--redis', `redis://127.0.0.1:${tlsPort}`, '--datacenter', 'dc1', ...certFlags()]);
    expect(await plain.exit()).to.equal(2);
    expect(plain.stderr.split('\n')[0]).to.equal(
      `gslb agent: --redis-tls-ca is given but the Redis URL (redis://127.0.0.1:${tlsPort}, from --redis) is not TLS: use rediss:// (sentinels:// for Sentinel) [E_CLI_CONFLICTING_FLAGS]`,
    );
    const half = gslb([
      'agent',
      '--redis',
      `rediss://127.0.0.1:${tlsPort}`,
      '--datacenter',
      'dc1',
      '--redis-tls-cert',
      client.cert,
    ]);
    expect(await half.exit()).to.equal(2);
    expect(half.stderr.split('\n')[0]).to.equal(
      `gslb agent: --redis-tls-cert ${client.cert} needs its key: --redis-tls-key FILE (or GSLB_REDIS_TLS_KEY) [E_CLI_FLAG_NEEDS_FLAG]`,
    );
  });

  it('TLS files that cannot be used: one line naming the flag and the file, exit 1', async () => {
    const notPem = join(dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello\n');
    const url = `rediss://127.0.0.1:${tlsPort}`;
    const encrypted = join(dir, 'encrypted.key');
    execFileSync('openssl', ['pkey', '-in', client.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    const cases: Array<[string[], Record<string, string>, string, string]> = [
      [
        ['--redis-tls-ca', join(dir, 'missing.pem')],
        {},
        `--redis-tls-ca ${join(dir, 'missing.pem')}: not found (ENOENT)`,
        'E_START_FLAG_FILE_UNREADABLE',
      ],
      [
        ['--redis-tls-ca', notPem],
        {},
        `--redis-tls-ca ${notPem}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`,
        'E_START_TLS_BAD_CERTIFICATE',
      ],
      [
        [],
        { GSLB_REDIS_TLS_CA: notPem },
        `GSLB_REDIS_TLS_CA=${notPem}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`,
        'E_START_TLS_BAD_CERTIFICATE',
      ],
      [
        ['--redis-tls-cert', client.cert, '--redis-tls-key', notPem],
        {},
        `--redis-tls-key ${notPem}: not a PEM private key`,
        'E_START_TLS_BAD_KEY',
      ],
      [
        ['--redis-tls-cert', client.cert, '--redis-tls-key', encrypted],
        {},
        `--redis-tls-key ${encrypted}: the key is encrypted`,
        'E_START_TLS_KEY_ENCRYPTED',
      ],
      [
        ['--redis-tls-cert', client.cert, '--redis-tls-key', ca.issue('other').key],
        {},
        `--redis-tls-key ${join(dir, 'other.key')}: this key does not belong to the certificate in ${client.cert}`,
        'E_START_TLS_KEY_MISMATCH',
      ],
    ];
    for (const [flags, env, message, code] of cases) {
      const r = gslb(['serve', '--zones', zones, '--redis', url, ...flags], env);
      expect(await r.exit(), message).to.equal(1);
      expect(r.stderr.split('\n')[0]).to.include(`gslb serve: ${message}`);
      expect(r.stderr.split('\n')[0]!.endsWith(` [${code}]`), r.stderr).to.equal(true);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    }
  });

  describe('Sentinel over TLS (sentinels://)', () => {
    let sentinelPort = 0;
    let sentinel: Running | null = null;
    before(async () => {
      sentinelPort = await freePort();
      const server = ca.issue('sentinel');
      const conf = join(dir, 'sentinel.conf');
      // Sentinel talks TLS to the master too (tls-replication), with its certificate as the client one.
      writeFileSync(
        conf,
        [
          'port 0',
          `tls-port ${sentinelPort}`,
          'bind 127.0.0.1',
          `tls-cert-file ${server.cert}`,
          `tls-key-file ${server.key}`,
          `tls-ca-cert-file ${ca.ca}`,
          'tls-auth-clients yes',
          'tls-replication yes',
          `sentinel monitor gslbmaster 127.0.0.1 ${tlsPort} 1`,
          '',
        ].join('\n'),
      );
      sentinel = await redisServer([conf, '--sentinel'], /\+monitor master gslbmaster/);
    });
    after(async () => sentinel?.stop());

    it('serve and agent find the TLS master through the TLS sentinel, and health flows', async () => {
      const { node } = await healthFlows(`sentinels://127.0.0.1:${sentinelPort}/gslbmaster`, certFlags());
      expect(node.stderr).to.match(/"redis":"sentinels:\/\/127\.0\.0\.1:\d+\/gslbmaster"/);
    });

    it('sentinel:// (no TLS) with TLS files is a usage error', async () => {
      const r = gslb([
        'agent',
        '--redis',
        `sentinel://127.0.0.1:${sentinelPort}/gslbmaster`,
        '--datacenter',
        'a',
        ...certFlags(),
      ]);
      expect(await r.exit()).to.equal(2);
      expect(r.stderr).to.match(/is not TLS: use rediss:\/\/ \(sentinels:\/\/ for Sentinel\)/);
    });
  });
});
