// How a running `gslb serve` ends, through the real bin/gslb: SIGTERM, Ctrl-C to its whole process
// group, its parent dying when it was started with an IPC channel (as scripts/demo.mjs does), and
// SIGKILL of the primary taking its workers along. A closed stdin ends nothing.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, queryA, sleep } from '../scripts/e2e-cluster.js';
import { descendants, running, stillRunning } from './helpers/process-tree.js';

const GSLB = 'bin/gslb';
const ZONE = `$ORIGIN life.test.
$TTL 60
@ SOA ns1 host 1 2 3 4 5
  NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
`;

/** Resolves with the output once it matches; rejects if the process exits first or after 15 s. */
function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within 15 s: ${out}`)), 15_000);
    const look = (d: Buffer) => {
      out += d.toString();
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${pattern}: ${out}`));
    });
  });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

describe('gslb serve: stopping', function () {
  this.timeout(40_000);
  let dir: string;
  const children: ChildProcess[] = [];
  /** Pids a test saw (serve and workers): killed in afterEach if a failed test left them. */
  const pids: number[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-life-'));
    mkdirSync(join(dir, 'life.test'));
    writeFileSync(join(dir, 'life.test', 'records.zone'), ZONE);
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const pid of pids.splice(0))
      if (running(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    rmSync(dir, { recursive: true, force: true });
  });

  const serveArgs = (port: number, workers: number) => [
    GSLB,
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
    const serve = spawn(process.execPath, serveArgs(port, 2), { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(serve);
    await waitForOutput(serve, /gslb serving/);
    const workers = await workersOf(serve.pid!, 2);
    serve.stdin!.end(); // a normal gslb serve does not read stdin: its end is no stop request
    await sleep(1000);
    expect(running(serve.pid!)).to.equal(true);
    expect(await queryA(port, 'www.life.test', 1000)).to.deep.equal(['192.0.2.10']);
    const t0 = Date.now();
    serve.kill('SIGTERM');
    expect(await exited(serve)).to.equal(0);
    expect(Date.now() - t0).to.be.below(3000);
    expect(await stillRunning(workers, 300)).to.deep.equal([]);
  });

  it('Ctrl-C (SIGINT to the whole process group): one clean stop, exit 0, workers gone', async () => {
    const port = await freePort();
    const serve = spawn(process.execPath, serveArgs(port, 2), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(serve);
    await waitForOutput(serve, /gslb serving/);
    const workers = await workersOf(serve.pid!, 2);
    const t0 = Date.now();
    process.kill(-serve.pid!, 'SIGINT');
    process.kill(-serve.pid!, 'SIGINT'); // a second Ctrl-C, and the parent passing it on, change nothing
    expect(await exited(serve)).to.equal(0);
    expect(Date.now() - t0).to.be.below(3000);
    expect(await stillRunning(workers, 300)).to.deep.equal([]);
  });

  it('started with an IPC channel: exits when its parent dies (SIGKILL), workers too', async () => {
    const port = await freePort();
    // The parent: starts serve with an IPC channel (as scripts/demo.mjs does) and says its pid.
    const script = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ${JSON.stringify(serveArgs(port, 2))}, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      console.log('serve pid ' + c.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(parent);
    const servePid = Number((await waitForOutput(parent, /serve pid (\d+)/))[1]);
    pids.push(servePid);
    await waitForOutput(parent, /gslb serving/);
    const workers = await workersOf(servePid, 2);
    parent.kill('SIGKILL');
    expect(await stillRunning([servePid, ...workers], 3000), 'left running').to.deep.equal([]);
  });

  it('SIGKILL of the primary: its workers exit with it', async () => {
    const port = await freePort();
    const serve = spawn(process.execPath, serveArgs(port, 2), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(serve);
    await waitForOutput(serve, /gslb serving/);
    const workers = await workersOf(serve.pid!, 2);
    serve.kill('SIGKILL');
    expect(await stillRunning(workers, 3000), 'workers left running').to.deep.equal([]);
  });
});
