// `npm start` (scripts/demo.mjs) stops everything it started: SIGTERM or SIGINT to npm's process or
// to demo.mjs itself ends gslb serve, its workers and the demo backends within 3 s, and SIGKILL of
// demo.mjs still ends gslb serve and its workers (through their IPC channel). The demo runs on ports
// moved by GSLB_DEMO_PORT_BASE, so a developer's own `npm start` is left alone.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryA, sleep } from '../scripts/e2e-cluster.js';
import { descendants, portFree, running, stillRunning } from './helpers/process-tree.js';

/** How many ports the demo uses from GSLB_DEMO_PORT_BASE on (DEMO_PORTS in scripts/demo.mjs). */
const DEMO_PORT_COUNT = 8;
const STOP_MS = 3000;

/** A base with DEMO_PORT_COUNT free ports after it (UDP too for the first, DNS). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let free = await portFree(base, true);
    for (let i = 1; free && i < DEMO_PORT_COUNT; i++) free = await portFree(base + i);
    if (free) return base;
  }
  throw new Error('no free range of demo ports');
}

async function allPortsFree(base: number): Promise<number[]> {
  const taken: number[] = [];
  for (let i = 0; i < DEMO_PORT_COUNT; i++) if (!(await portFree(base + i, i === 0))) taken.push(base + i);
  return taken;
}

describe('npm start (the demo): stopping', function () {
  this.timeout(60_000);
  let demo: ChildProcess | null = null;
  let seen: number[] = [];
  /** The demo's copy of the example zones: a SIGKILLed demo.mjs cannot remove it itself. */
  let zonesCopy: string | null = null;

  afterEach(() => {
    demo?.kill('SIGKILL');
    for (const pid of seen)
      if (running(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    if (zonesCopy !== null) rmSync(zonesCopy, { recursive: true, force: true });
    demo = null;
    seen = [];
    zonesCopy = null;
  });

  /** Starts the demo with `command`, waits until it serves DNS on the moved port; returns the base. */
  async function startDemo(command: string, args: readonly string[]): Promise<number> {
    const base = await freePortBase();
    demo = spawn(command, [...args], {
      env: { ...process.env, GSLB_DEMO_PORT_BASE: String(base) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    while (!out.includes(`admin on http://127.0.0.1:${base + 1}/`)) {
      if (demo.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`the demo did not start:\n${out}`);
      await sleep(50);
    }
    expect(await queryA(base, 'www.gslb.example.com', 1000), 'the demo answers on its moved port').not.to.equal(null);
    return base;
  }

  /** Every process under the demo's: the demo script, gslb serve and its workers (npm's too). */
  function processTree(): number[] {
    seen = [demo!.pid!, ...descendants(demo!.pid!)];
    for (const pid of seen) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const zones = argv[argv.indexOf('--zones') + 1];
      if (argv.includes('--zones') && zones?.startsWith(join(tmpdir(), 'gslb-demo-'))) zonesCopy = zones;
    }
    expect(zonesCopy, 'gslb serve runs on a copy of the zones with the moved ports').not.to.equal(null);
    return seen;
  }

  async function expectAllStopped(pids: readonly number[], base: number, t0: number): Promise<void> {
    expect(await stillRunning(pids, STOP_MS), 'processes left running').to.deep.equal([]);
    expect(await allPortsFree(base), 'ports still taken').to.deep.equal([]);
    expect(Date.now() - t0).to.be.below(STOP_MS + 500);
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to npm's process stops gslb serve, its workers and the backends`, async () => {
      const base = await startDemo('npm', ['start']);
      const pids = processTree();
      // npm, demo.mjs, gslb serve and at least one worker (one per core by default).
      expect(pids.length, `processes: ${pids.join(' ')}`).to.be.at.least(4);
      const t0 = Date.now();
      demo!.kill(signal);
      await expectAllStopped(pids, base, t0);
    });
  }

  it('SIGTERM to node scripts/demo.mjs stops everything', async () => {
    const base = await startDemo(process.execPath, ['scripts/demo.mjs']);
    const pids = processTree();
    expect(pids.length).to.be.at.least(3);
    const t0 = Date.now();
    demo!.kill('SIGTERM');
    await expectAllStopped(pids, base, t0);
  });

  it('SIGKILL of demo.mjs: gslb serve and its workers exit by themselves', async () => {
    const base = await startDemo(process.execPath, ['scripts/demo.mjs']);
    const pids = processTree();
    expect(pids.length).to.be.at.least(3);
    const t0 = Date.now();
    demo!.kill('SIGKILL');
    await expectAllStopped(pids, base, t0);
  });
});
