// `gslb serve` that cannot start: the real bin/gslb, each failure ending within 2 s with exit code 1,
// one line on stderr naming the cause and what to do (no stack trace), and no process left behind,
// with one process and with workers (a worker that fails stops the whole command at once).
import { expect } from 'chai';
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMmdb } from '../geo/mmdb-writer.js';
import { freePort } from '../scripts/e2e-cluster.js';
import { ListenError } from '../server/listen-error.js';
import { listenFailureCode, listenFailureText } from '../server/cli/startup.js';
import { stillRunning, watchDescendants } from './helpers/process-tree.js';
import { gslb, stopAll, type Running, type SpawnExtras } from './helpers/processes.js';

const ZONE = `$ORIGIN st.test.
$TTL 60
@ SOA ns1 host 1 2 3 4 5
  NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
`;
/** The longest a failing start may take to exit, from spawn (or from the first worker, or serving). */
const LIMIT_MS = 2000;
/** The user `nobody`, to run as when the tests run as root (who may bind any port and read any file). */
const NOBODY: SpawnExtras = { uid: 65534, gid: 65534 };

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
  /** Every process the serve process started while it ran, and when the first appeared. */
  children: number[];
  firstChildAt: number | null;
  /** When it printed that it serves DNS, if it did (a late admin failure comes after). */
  servingAt: number | null;
  exitedAt: number;
}

/**
 * Runs `gslb serve ARGS` to its exit and the end of its output (its workers share it, so they are gone
 * too); SIGKILL after 15 s, which fails the test. `started` gets the process at once.
 */
async function serve(
  args: readonly string[],
  extras: SpawnExtras = {},
  started?: (node: Running) => void,
): Promise<Outcome> {
  const t0 = Date.now();
  const node = gslb(['serve', ...args], {}, extras);
  started?.(node);
  const watch = watchDescendants(node.pid);
  let servingAt: number | null = null;
  // After Running's own listener: node.stdout has this chunk already.
  node.proc.stdout!.on('data', () => {
    if (node.stdout.includes('gslb serving')) servingAt ??= Date.now();
  });
  const killer = setTimeout(() => node.proc.kill('SIGKILL'), 15_000);
  const code = await node.finished();
  clearTimeout(killer);
  const exitedAt = Date.now();
  const { pids, firstAt } = watch.stop();
  return { code, stderr: node.stderr, ms: exitedAt - t0, children: pids, firstChildAt: firstAt, servingAt, exitedAt };
}

/**
 * Exit code 1 within LIMIT_MS, one line (log lines aside) ending in ` [code]` (and matching `line`
 * where the wording is what is tested), no stack, no process left.
 */
async function expectFailure(o: Outcome, code: string, line?: RegExp): Promise<string> {
  const lines = o.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
  expect(lines, o.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^gslb serve: /);
  expect(lines[0]!.endsWith(` [${code}]`), lines[0]).to.equal(true);
  if (line) expect(lines[0]).to.match(line);
  expect(o.stderr).not.to.match(/^\s+at /m);
  expect(o.code, o.stderr).to.equal(1);
  // Timed from the last sign of progress: spawn, the first worker forked, or DNS served (a later step failed).
  const from = Math.max(o.exitedAt - o.ms, o.firstChildAt ?? 0, o.servingAt ?? 0);
  expect(o.exitedAt - from, 'ms from spawn, the first worker or serving, to exit').to.be.below(LIMIT_MS);
  expect(await stillRunning(o.children, 300), 'processes left behind').to.deep.equal([]);
  return lines[0]!;
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind({ port, address: host, exclusive: true }, () => resolve(s));
  });
}

function listenTcp(host: string, port: number, onConnection?: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer(onConnection);
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

const ipv6Available = (): Promise<boolean> =>
  bindUdp('::1', 0).then(
    (s) => (s.close(), true),
    () => false,
  );

describe('gslb serve: start-up failures', function () {
  this.timeout(30_000);
  let dir: string;
  let zones: string;
  const cleanups: Array<() => unknown> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-start-'));
    zones = join(dir, 'zones');
    mkdirSync(join(zones, 'st.test'), { recursive: true });
    writeFileSync(join(zones, 'st.test', 'records.zone'), ZONE);
  });
  afterEach(async () => {
    await stopAll();
    for (const c of cleanups.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  const holdUdp = async (host: string, port: number) => {
    const s = await bindUdp(host, port);
    cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  };
  const holdTcp = async (host: string, port: number) => {
    const s = await listenTcp(host, port);
    cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  };

  for (const workers of ['1', '2']) {
    it(`a taken UDP port, --workers ${workers}`, async () => {
      const port = await freePort();
      await holdUdp('127.0.0.1', port);
      const o = await serve(['--zones', zones, '--listen', `127.0.0.1:${port}`, '--workers', workers]);
      // The one-line reason is the feature: what is taken, by whom perhaps, and the flag that moves it.
      await expectFailure(
        o,
        'E_START_ADDRESS_IN_USE',
        new RegExp(`cannot listen on udp 127\\.0\\.0\\.1:${port}: .*another gslb or DNS server.*--listen ADDR:PORT`),
      );
    });

    it(`a taken admin port, --workers ${workers}: the DNS ports and health are let go too`, async () => {
      const [dns, admin] = [await freePort(), await freePort()];
      await holdTcp('127.0.0.1', admin);
      const o = await serve([
        '--zones',
        zones,
        '--listen',
        `127.0.0.1:${dns}`,
        '--workers',
        workers,
        '--admin',
        `127.0.0.1:${admin}`,
      ]);
      await expectFailure(
        o,
        'E_START_ADDRESS_IN_USE',
        new RegExp(`on admin 127\\.0\\.0\\.1:${admin}: .*--admin ADDR:PORT`),
      );
      // The DNS port is free again, for both transports.
      await holdUdp('127.0.0.1', dns);
      await holdTcp('127.0.0.1', dns);
    });
  }

  it('a taken TCP port (UDP free), --workers 2', async () => {
    const port = await freePort();
    await holdTcp('127.0.0.1', port);
    const o = await serve(['--zones', zones, '--listen', `127.0.0.1:${port}`, '--workers', '2']);
    await expectFailure(o, 'E_START_ADDRESS_IN_USE', new RegExp(`on tcp 127\\.0\\.0\\.1:${port}: `));
  });

  it('a taken IPv6 port', async function () {
    if (!(await ipv6Available())) return this.skip(); // no IPv6 loopback on this machine
    const port = await freePort();
    await holdUdp('::1', port);
    const o = await serve(['--zones', zones, '--listen', `127.0.0.1:0`, '--listen', `[::1]:${port}`]);
    await expectFailure(o, 'E_START_ADDRESS_IN_USE', new RegExp(`on udp \\[::1\\]:${port}: `));
  });

  it('an address this machine does not have', async () => {
    const o = await serve(['--zones', zones, '--listen', '192.0.2.1:5300', '--workers', '1']);
    await expectFailure(o, 'E_START_ADDRESS_NOT_AVAILABLE', /on udp 192\.0\.2\.1:5300: .*0\.0\.0\.0/);
  });

  it('port 53 without the privilege: names the capability that grants it', async function () {
    // As root, run as nobody (who may not bind below 1024); without root, run as ourselves.
    const asRoot = process.getuid?.() === 0;
    const skip = (why: string) => {
      console.log(`      (skipped: ${why}, so permission cannot be denied)`);
      this.skip();
    };
    // Containers (Docker) often let every user bind every port.
    const unprivilegedFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    if (unprivilegedFrom <= 53) return skip(`net.ipv4.ip_unprivileged_port_start is ${unprivilegedFrom}`);
    if (
      !asRoot &&
      (await bindUdp('127.0.0.1', 53).then(
        (s) => (s.close(), true),
        () => false,
      ))
    )
      return skip('this user may bind port 53');
    chmodSync(dir, 0o755); // readable by nobody
    const o = await serve(['--zones', zones, '--listen', '127.0.0.1:53', '--workers', '1'], asRoot ? NOBODY : {});
    const line = await expectFailure(o, 'E_START_PERMISSION_DENIED', /on (udp|tcp) 127\.0\.0\.1:53: /);
    expect(line).to.include('setcap cap_net_bind_service=+ep $(readlink -f $(which node))');
    expect(line).to.include('AmbientCapabilities=CAP_NET_BIND_SERVICE');
  });

  /**
   * Health warm-up holds the primary after its port probes and before it binds for real (or forks): a
   * check target that accepts and never answers. When the check connects, `then` runs: whatever it
   * takes is found taken by the real bind, not by the probe. Resolves with whether it ran.
   */
  const duringWarmUp = async (then: () => Promise<void>): Promise<() => boolean> => {
    let ran: Promise<void> | null = null;
    const hung = new Set<net.Socket>();
    const backend = await listenTcp('127.0.0.1', 0, (s) => {
      hung.add(s);
      ran ??= then();
    });
    cleanups.push(() => {
      hung.forEach((s) => s.destroy());
      return new Promise<void>((r) => backend.close(() => r()));
    });
    const probe = `127.0.0.1:${(backend.address() as net.AddressInfo).port}`;
    writeFileSync(
      join(zones, 'st.test', 'policy.yaml'),
      [
        'datacenters: { dc1: {} }',
        'checks:',
        '  web: { type: http, path: /, interval: 5s, timeout: 1500ms, rise: 1, fall: 1 }',
        'names:',
        `  lb: { policy: failover, check: web, pools: { dc1: [{ address: 192.0.2.20, probe: "${probe}" }] } }`,
        '',
      ].join('\n'),
    );
    return () => ran !== null;
  };

  it('a worker that cannot bind stops the whole command with its reason, at once', async () => {
    const port = await freePort();
    const ran = await duringWarmUp(() => holdUdp('127.0.0.1', port));
    const o = await serve(['--zones', zones, '--listen', `127.0.0.1:${port}`, '--workers', '2', '--log-level', 'warn']);
    expect(ran(), 'the health check never connected').to.equal(true);
    expect(o.children.length, 'workers forked').to.be.at.least(1);
    await expectFailure(o, 'E_START_ADDRESS_IN_USE', new RegExp(`on udp 127\\.0\\.0\\.1:${port}: `));
  });

  for (const workers of ['1', '2']) {
    it(`an admin port taken after the probe, --workers ${workers}: DNS, workers and health stop too`, async () => {
      const [dns, admin] = [await freePort(), await freePort()];
      const ran = await duringWarmUp(() => holdTcp('127.0.0.1', admin));
      const args = ['--listen', `127.0.0.1:${dns}`, '--admin', `127.0.0.1:${admin}`, '--log-level', 'warn'];
      const o = await serve(['--zones', zones, '--workers', workers, ...args]);
      expect(ran(), 'the health check never connected').to.equal(true);
      await expectFailure(o, 'E_START_ADDRESS_IN_USE', new RegExp(`on admin 127\\.0\\.0\\.1:${admin}: `));
      await holdUdp('127.0.0.1', dns);
      await holdTcp('127.0.0.1', dns);
    });
  }

  for (const workers of ['1', '2']) {
    it(`SIGTERM while starting (health warm-up), --workers ${workers}: exit 0, nothing left, ports free`, async () => {
      const [dns, admin] = [await freePort(), await freePort()];
      let node: Running | null = null;
      let stopAt = 0;
      const ran = await duringWarmUp(async () => {
        stopAt = Date.now();
        node!.proc.kill('SIGTERM');
        node!.proc.kill('SIGTERM'); // a repeat changes nothing
      });
      const args = ['--listen', `127.0.0.1:${dns}`, '--admin', `127.0.0.1:${admin}`, '--log-level', 'info'];
      const o = await serve(['--zones', zones, '--workers', workers, ...args], {}, (n) => (node = n));
      expect(ran(), 'the health check never connected').to.equal(true);
      expect(o.code, o.stderr).to.equal(0);
      expect(o.stderr).to.match(/"reason":"SIGTERM","msg":"stopped while starting"/);
      expect(o.servingAt, 'served after the stop').to.equal(null);
      expect(o.children, 'workers forked after the stop').to.deep.equal([]);
      expect(o.exitedAt - stopAt, 'ms from SIGTERM to exit').to.be.below(LIMIT_MS);
      await holdUdp('127.0.0.1', dns);
      await holdTcp('127.0.0.1', dns);
      await holdTcp('127.0.0.1', admin);
    });
  }

  it('a GeoIP file that is missing', async () => {
    const o = await serve(['--zones', zones, '--listen', '127.0.0.1:0', '--geoip', join(dir, 'nope.mmdb')]);
    await expectFailure(o, 'E_GEO_FILE_MISSING', /nope\.mmdb: .*; --geoip FILE takes a MaxMind DB/);
  });

  it('a GeoIP file that is not readable', async () => {
    // Root reads any file: then run as nobody, for whom a root-owned 0600 file is unreadable.
    const asRoot = process.getuid?.() === 0;
    chmodSync(dir, 0o755);
    const file = join(dir, 'city.mmdb');
    writeFileSync(file, 'whatever\n');
    chmodSync(file, asRoot ? 0o600 : 0o000);
    const o = await serve(['--zones', zones, '--listen', '127.0.0.1:0', '--geoip', file], asRoot ? NOBODY : {});
    await expectFailure(o, 'E_GEO_FILE_UNREADABLE', /city\.mmdb: /);
  });

  it('a GeoIP file that is not an mmdb', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a database\n');
    const o = await serve(['--zones', zones, '--listen', '127.0.0.1:0', '--geoip', file]);
    await expectFailure(o, 'E_GEO_NOT_MMDB', /notes\.txt: /);
  });

  it('a GeoIP database with neither locations nor ASNs (connection type)', async () => {
    const file = join(dir, 'conn.mmdb');
    writeFileSync(
      file,
      writeMmdb([{ network: '192.0.2.0/24', data: { connection_type: 'Cable/DSL' } }], {
        databaseType: 'GeoIP2-Connection-Type',
        ipVersion: 6,
        languages: ['en'],
        buildEpoch: 1767225600,
      }),
    );
    const o = await serve(['--zones', zones, '--listen', '127.0.0.1:0', '--geoip', file]);
    await expectFailure(o, 'E_GEO_NO_LOCATIONS', /conn\.mmdb: /);
  });

  it('a zones folder that is missing, or a file', async () => {
    const missing = await serve(['--zones', join(dir, 'nowhere'), '--listen', '127.0.0.1:0']);
    await expectFailure(missing, 'E_ZONES_UNREADABLE', /nowhere: .*; --zones DIR takes the folder/);
    const file = await serve(['--zones', join(zones, 'st.test', 'records.zone'), '--listen', '127.0.0.1:0']);
    await expectFailure(file, 'E_ZONES_NOT_A_FOLDER', /records\.zone /);
  });

  it('invalid zones: each error as file:line, then one summary line', async () => {
    writeFileSync(join(zones, 'st.test', 'records.zone'), ZONE.replace('192.0.2.10', '192.0.2.300'));
    const o = await serve(['--zones', zones, '--listen', '127.0.0.1:0', '--workers', '2']);
    const lines = o.stderr.split('\n').filter((l) => l !== '');
    expect(lines, o.stderr).to.have.length(2);
    expect(lines[0]).to.match(/^st\.test\/records\.zone:6: .* \[E_ZONE_BAD_RDATA\]$/);
    expect(lines[1]).to.equal(`gslb serve: refusing to start: 1 error(s) in ${zones} [E_START_INVALID_CONFIG]`);
    expect(o.code).to.equal(1);
    expect(o.ms).to.be.below(LIMIT_MS);
    expect(o.children).to.deep.equal([]);
  });

  it('a bad flag is a usage error (exit 2)', async () => {
    const o = await serve(['--zones', zones, '--listen', 'nonsense']);
    expect(o.code).to.equal(2);
    expect(o.stderr).to.match(/^gslb serve: listen address 'nonsense'.* \[E_CLI_BAD_ADDRESS\]\n/);
  });
});

describe('start-up failure lines', () => {
  const failure = (kind: 'udp' | 'tcp' | 'admin', host: string, port: number, code: string) =>
    listenFailureText(new ListenError(kind, { host, port }, Object.assign(new Error(code), { code })));

  it('permission denied below 1024 names root, setcap and the systemd capability', () => {
    expect(failure('udp', '0.0.0.0', 53, 'EACCES')).to.equal(
      'cannot listen on udp 0.0.0.0:53: permission denied (EACCES): ports below 1024 need root or ' +
        'CAP_NET_BIND_SERVICE; run as root, or let node bind them (setcap cap_net_bind_service=+ep ' +
        '$(readlink -f $(which node))), or under systemd AmbientCapabilities=CAP_NET_BIND_SERVICE ' +
        '(docs/deployment.md)',
    );
    expect(failure('tcp', '127.0.0.1', 8053, 'EACCES')).to.match(/permission denied \(EACCES\): a security policy/);
  });

  it('a taken port names the flag that moves it', () => {
    expect(failure('tcp', '::', 53, 'EADDRINUSE')).to.equal(
      "cannot listen on tcp [::]:53: the port is in use (EADDRINUSE): another gslb or DNS server? (ss -tlpn 'sport = :53' shows which); pick another port with --listen ADDR:PORT",
    );
    expect(failure('admin', '127.0.0.1', 8053, 'EADDRINUSE')).to.match(/another gslb\? .* --admin ADDR:PORT$/);
  });

  it('each errno has its code', () => {
    const code = (errno: string) =>
      listenFailureCode(
        new ListenError('udp', { host: '::1', port: 53 }, Object.assign(new Error(errno), { code: errno })),
      );
    expect(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EMFILE'].map(code)).to.deep.equal([
      'E_START_ADDRESS_IN_USE',
      'E_START_PERMISSION_DENIED',
      'E_START_ADDRESS_NOT_AVAILABLE',
      'E_START_FAMILY_UNAVAILABLE',
      'E_START_LISTEN_FAILED',
    ]);
  });

  it('IPv6 missing', () => {
    expect(failure('udp', '::1', 53, 'EAFNOSUPPORT')).to.equal(
      'cannot listen on udp [::1]:53: IPv6 is not available on this machine (EAFNOSUPPORT); leave ::1 out of --listen',
    );
  });
});
