// How a running `gslb serve` ends, through the real bin/gslb: SIGTERM, Ctrl-C to its whole process
// group, SIGTERM to its whole group (systemd's KillMode=control-group) with a TCP answer in flight,
// its parent dying when it was started with an IPC channel (as scripts/demo.mjs does), and SIGKILL of
// the primary taking its workers along. A closed stdin ends nothing. And `gslb agent`: a repeated
// SIGTERM does not cut its stop short.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { keys } from '../health/redis-protocol.js';
import { freePort, queryA, sleep } from '../scripts/e2e-cluster.js';
import { descendants, running, stillRunning } from './helpers/process-tree.js';
import { gslb, redisServer, Running, stopAll } from './helpers/processes.js';
import { hasRedisServerBinary } from './helpers/redis.js';
import { peerHasRead } from './helpers/tcp-queues.js';
import { until } from './helpers/until.js';

const ZONE = `$ORIGIN life.test.
$TTL 60
@ SOA ns1 host 1 2 3 4 5
  NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
`;

/** Kills what a failed test left: pids of processes the helpers did not start (serve under a parent). */
function killAll(pids: number[]): void {
  for (const pid of pids.splice(0))
    if (running(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
}

describe('gslb serve: stopping', function () {
  this.timeout(40_000);
  let dir: string;
  /** Pids a test saw (serve and workers): killed in afterEach if a failed test left them. */
  const pids: number[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-life-'));
    mkdirSync(join(dir, 'life.test'));
    writeFileSync(join(dir, 'life.test', 'records.zone'), ZONE);
  });
  afterEach(async () => {
    await stopAll();
    killAll(pids);
    rmSync(dir, { recursive: true, force: true });
  });

  const serveArgs = (port: number, workers: number, level = 'warn') => [
    'serve',
    '--zones',
    dir,
    '--listen',
    `127.0.0.1:${port}`,
    '--workers',
    String(workers),
    '--log-level',
    level,
  ];

  /** Waits until a serve process with `workers` workers answers on port; returns their pids. */
  async function workersOf(pid: number, workers: number): Promise<number[]> {
    let found: number[] = [];
    await until(`${workers} workers`, () => (found = descendants(pid)).length === workers, 10_000, 50).catch(
      (err: Error) => {
        throw new Error(`${err.message}; found ${found.length}`);
      },
    );
    pids.push(pid, ...found);
    return found;
  }

  it('SIGTERM: exit 0, workers gone, a closed stdin changed nothing before', async () => {
    const port = await freePort();
    const serve = gslb(serveArgs(port, 2), {}, { stdin: 'pipe' });
    await serve.waitFor(/gslb serving/);
    const workers = await workersOf(serve.pid, 2);
    serve.proc.stdin!.end(); // a normal gslb serve does not read stdin: its end is no stop request
    // A stop on stdin's end would start as the primary reads the end, at once: a short margin, then
    // it must still run and answer.
    await sleep(300);
    expect(running(serve.pid)).to.equal(true);
    expect(await queryA(port, 'www.life.test', 1000)).to.deep.equal(['192.0.2.10']);
    const t0 = Date.now();
    serve.proc.kill('SIGTERM');
    expect(await serve.exit()).to.equal(0);
    expect(Date.now() - t0).to.be.below(3000);
    expect(await stillRunning(workers, 300)).to.deep.equal([]);
  });

  it('Ctrl-C (SIGINT to the whole process group): one clean stop, exit 0, workers gone', async () => {
    const port = await freePort();
    const serve = gslb(serveArgs(port, 2), {}, { detached: true });
    await serve.waitFor(/gslb serving/);
    const workers = await workersOf(serve.pid, 2);
    const t0 = Date.now();
    process.kill(-serve.pid, 'SIGINT');
    process.kill(-serve.pid, 'SIGINT'); // a second Ctrl-C, and the parent passing it on, change nothing
    expect(await serve.exit()).to.equal(0);
    expect(Date.now() - t0).to.be.below(3000);
    expect(await stillRunning(workers, 300)).to.deep.equal([]);
  });

  it('SIGTERM to the whole process group: a half-received TCP query is still answered, all exit 0', async () => {
    // systemd's default KillMode=control-group signals every process, then the primary signals its
    // workers again: the repeat must not kill a worker that is finishing its TCP answers.
    const port = await freePort();
    // At info level the primary logs when it starts shutting down.
    const serve = gslb(serveArgs(port, 2, 'info'), {}, { detached: true });
    await serve.waitFor(/gslb serving/);
    const workers = await workersOf(serve.pid, 2);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let reply = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (reply = Buffer.concat([reply, d])));
    socket.on('error', () => {}); // a reset shows as the close below
    let closedAt: number | null = null;
    socket.once('close', () => (closedAt = Date.now()));
    const query = dnsPacket.streamEncode({
      type: 'query',
      id: 4711,
      questions: [{ type: 'A', class: 'IN', name: 'www.life.test' }],
    });
    socket.write(query.subarray(0, 9)); // the length and part of the header
    await peerHasRead(socket); // read by the worker that accepted it

    const t0 = Date.now();
    process.kill(-serve.pid, 'SIGTERM');
    // Once the primary shuts down it signals its workers again at once: a worker that closed the
    // connection (at the first signal or the repeat) would have done so within a short margin.
    await serve.waitFor(/"msg":"shutting down"/);
    await sleep(300);
    expect(closedAt === null ? 'open' : `closed after ${closedAt - t0} ms`, 'the half-sent query').to.equal('open');
    socket.write(query.subarray(9));
    await until('the answer', () => reply.length >= 2 && reply.length >= 2 + reply.readUInt16BE(0), 2000).catch(() => {
      throw new Error(`no answer (connection ${closedAt === null ? 'open' : 'closed'})`);
    });
    const answer = dnsPacket.streamDecode(reply);
    expect(answer.id).to.equal(4711);
    expect((answer.answers ?? []).map((a) => (a as { data: unknown }).data)).to.deep.equal(['192.0.2.10']);

    // The primary's exit, and its output's end: the workers share it, so they have exited too.
    expect(await serve.finished()).to.equal(0);
    expect(Date.now() - t0, 'ms from SIGTERM to every process gone').to.be.below(7000);
    expect(await stillRunning(workers, 300)).to.deep.equal([]);
    // A worker's exit other than 0 (killed by the repeated SIGTERM, say) is logged by the primary.
    expect(serve.stderr).not.to.match(/did not stop cleanly/);
    socket.destroy();
  });

  it('started with an IPC channel: exits when its parent dies (SIGKILL), workers too', async () => {
    const port = await freePort();
    // The parent: starts serve with an IPC channel (as scripts/demo.mjs does) and says its pid.
    const script = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ${JSON.stringify(['bin/gslb', ...serveArgs(port, 2)])}, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      console.log('serve pid ' + c.pid);
      setInterval(() => {}, 1000);`;
    const parent = new Running(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const servePid = Number((await parent.waitFor(/serve pid (\d+)/))[1]);
    pids.push(servePid);
    await parent.waitFor(/gslb serving/, 15_000);
    const workers = await workersOf(servePid, 2);
    parent.proc.kill('SIGKILL');
    expect(await stillRunning([servePid, ...workers], 3000), 'left running').to.deep.equal([]);
  });

  it('SIGKILL of the primary: its workers exit with it', async () => {
    const port = await freePort();
    const serve = gslb(serveArgs(port, 2));
    await serve.waitFor(/gslb serving/);
    const workers = await workersOf(serve.pid, 2);
    serve.proc.kill('SIGKILL');
    expect(await stillRunning(workers, 3000), 'workers left running').to.deep.equal([]);
  });
});

describe('gslb agent: stopping', function () {
  this.timeout(20_000);
  let redis: Running | null = null;
  before(function () {
    if (hasRedisServerBinary()) return;
    if (process.env['CI'] === 'true') throw new Error('redis-server is needed (CI=true)');
    console.warn('    skipped: redis-server is not on PATH');
    this.skip();
  });
  afterEach(async () => {
    redis?.proc.kill('SIGCONT');
    await redis?.stop();
    redis = null;
    await stopAll();
  });

  it('a second SIGTERM while it says goodbye to Redis changes nothing: exit 0, its key removed', async () => {
    const port = await freePort();
    redis = await redisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    const url = `redis://127.0.0.1:${port}`;
    const prefix = 'life:';
    const agent = gslb(['agent', '--redis', url, '--redis-prefix', prefix, '--datacenter', 'dc1', '--id', 'a1']);
    const check = new Redis(url);
    try {
      const key = keys(prefix).agent('a1');
      await until(`the agent to write ${key}`, async () => (await check.exists(key)) === 1, 5000, 50).catch(
        (err: Error) => {
          throw new Error(`${err.message}:\n${agent.stderr}`);
        },
      );
      // Redis paused: the agent's goodbye (deleting its key) waits, so its stop takes a while.
      redis.proc.kill('SIGSTOP');
      // Negative checks, each 150 ms: an agent that (wrongly) exits at a SIGTERM does so within a few.
      agent.proc.kill('SIGTERM');
      await sleep(150);
      expect(agent.exitCode, 'exited before its goodbye').to.equal(null);
      agent.proc.kill('SIGTERM');
      await sleep(150);
      redis.proc.kill('SIGCONT');
      expect(await agent.exit(), agent.stderr).to.equal(0);
      expect(await check.exists(key), 'the agent key after its stop').to.equal(0);
    } finally {
      check.disconnect();
    }
  });
});
