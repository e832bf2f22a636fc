// How a running `gslb serve` ends, through the real bin/gslb: SIGTERM, Ctrl-C to its whole process
// group, its parent dying when it was started with an IPC channel (as scripts/demo.mjs does), and
// SIGKILL of the primary taking its workers along. A closed stdin ends nothing.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, queryA, sleep } from '../scripts/e2e-cluster.js';
import { descendants, running, stillRunning } from './helpers/process-tree.js';
import { gslb, Running, stopAll } from './helpers/processes.js';

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

  const serveArgs = (port: number, workers: number) => [
    'serve',
    '--zones',
    dir,
    '--listen',
    `127.0.0.1:${port}`,
    '--workers',
    String(workers),
    '--log-level',
    'warn',
  ];

  /** Waits until a serve process with `workers` workers answers on port; returns their pids. */
  async function workersOf(pid: number, workers: number): Promise<number[]> {
    const t0 = Date.now();
    for (;;) {
      const found = descendants(pid);
      if (found.length === workers) {
        pids.push(pid, ...found);
        return found;
      }
      if (Date.now() - t0 > 10_000) throw new Error(`expected ${workers} workers, found ${found.length}`);
      await sleep(50);
    }
  }

  it('SIGTERM: exit 0, workers gone, a closed stdin changed nothing before', async () => {
    const port = await freePort();
    const serve = gslb(serveArgs(port, 2), {}, { stdin: 'pipe' });
    await serve.waitFor(/gslb serving/);
    const workers = await workersOf(serve.pid, 2);
    serve.proc.stdin!.end(); // a normal gslb serve does not read stdin: its end is no stop request
    await sleep(1000);
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
