// `npm start` (scripts/demo.mjs) stops everything it started: SIGTERM or SIGINT to npm's process or
// to demo.mjs itself ends gslb serve, its workers and the demo backends within 3 s, and SIGKILL of
// demo.mjs still ends gslb serve and its workers (through their IPC channel). The demo runs on ports
// moved by GSLB_DEMO_PORT_BASE (helpers/demo.ts), so a developer's own `npm start` is left alone.
import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryA } from '../scripts/e2e-cluster.js';
import { demoPortsTaken, startDemo, type Demo } from './helpers/demo.js';
import { descendants, running, stillRunning } from './helpers/process-tree.js';

const STOP_MS = 3000;
/** gslb serve's workers with the default --workers (one per core; none with one core, serve alone). */
const WORKERS = availableParallelism() > 1 ? availableParallelism() : 0;

describe('npm start (the demo): stopping', function () {
  this.timeout(60_000);
  let demo: Demo | null = null;
  let seen: number[] = [];
  /** The demo's copy of the example zones: a SIGKILLed demo.mjs cannot remove it itself. */
  let zonesCopy: string | null = null;

  afterEach(() => {
    demo?.process.proc.kill('SIGKILL');
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

  /** Starts the demo with `argv`; it answers DNS on the moved port. */
  async function start(argv: readonly string[]): Promise<Demo> {
    demo = await startDemo(argv);
    expect(await queryA(demo.base, 'www.gslb.example.com', 1000), 'the demo answers on its moved port').not.to.equal(
      null,
    );
    return demo;
  }

  /** Every process under the demo's: the demo script, gslb serve and its workers (npm's too). */
  function processTree(): number[] {
    seen = [demo!.process.pid, ...descendants(demo!.process.pid)];
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
    expect(await demoPortsTaken(base), 'ports still taken').to.deep.equal([]);
    expect(Date.now() - t0).to.be.below(STOP_MS + 500);
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to npm's process stops gslb serve, its workers and the backends`, async () => {
      const { process: npm, base } = await start(['npm', 'start']);
      const pids = processTree();
      // npm, demo.mjs, gslb serve and its workers.
      expect(pids.length, `processes: ${pids.join(' ')}`).to.be.at.least(3 + WORKERS);
      const t0 = Date.now();
      npm.proc.kill(signal);
      await expectAllStopped(pids, base, t0);
    });
  }

  it('SIGTERM to node scripts/demo.mjs stops everything', async () => {
    const { process: script, base } = await start([process.execPath, 'scripts/demo.mjs']);
    const pids = processTree();
    expect(pids.length, `processes: ${pids.join(' ')}`).to.be.at.least(2 + WORKERS);
    const t0 = Date.now();
    script.proc.kill('SIGTERM');
    await expectAllStopped(pids, base, t0);
  });

  it('SIGKILL of demo.mjs: gslb serve and its workers exit by themselves', async () => {
    const { process: script, base } = await start([process.execPath, 'scripts/demo.mjs']);
    const pids = processTree();
    expect(pids.length, `processes: ${pids.join(' ')}`).to.be.at.least(2 + WORKERS);
    const t0 = Date.now();
    script.proc.kill('SIGKILL');
    await expectAllStopped(pids, base, t0);
  });
});
