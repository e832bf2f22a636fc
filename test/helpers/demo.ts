// The demo (`npm start`, scripts/demo.mjs) for tests: on a free range of ports moved with
// GSLB_DEMO_PORT_BASE, so a developer's own `npm start` is left alone, and ready once its admin server
// is up (gslb serve prints that after it serves DNS).
import { spawn } from 'node:child_process';
import { portFree } from './process-tree.js';
import { cleanEnv, Running } from './processes.js';

/** How many ports the demo uses from GSLB_DEMO_PORT_BASE on (DEMO_PORTS in scripts/demo.mjs). */
export const DEMO_PORT_COUNT = 8;

/** The demo's ports as offsets from its base (the order of DEMO_PORTS in scripts/demo.mjs). */
export const DEMO_PORT = { dns: 0, admin: 1, control: 2 } as const;

/**
 * The ports taken of the demo's from `base` on (the first, DNS, checked for UDP too). The bases are
 * picked below Linux's ephemeral ports (32768 on), which outgoing connections take meanwhile.
 */
export async function demoPortsTaken(base: number): Promise<number[]> {
  const taken: number[] = [];
  for (let i = 0; i < DEMO_PORT_COUNT; i++) if (!(await portFree(base + i, i === DEMO_PORT.dns))) taken.push(base + i);
  return taken;
}

async function freeDemoPortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - DEMO_PORT_COUNT));
    if ((await demoPortsTaken(base)).length === 0) return base;
  }
  throw new Error('no free range of demo ports');
}

export interface Demo {
  /** The process started: npm, or node running scripts/demo.mjs. Not stopped by stopAll(). */
  readonly process: Running;
  /** GSLB_DEMO_PORT_BASE: the DNS port; the admin server is on base + 1, the backends' control on base + 2. */
  readonly base: number;
}

/**
 * Starts the demo with `argv` (['npm', 'start'], or [process.execPath, 'scripts/demo.mjs', ...flags
 * for gslb serve]) and `env` on a free port range; resolves once it serves, rejects with its output
 * if it exits first or takes more than 30 s.
 */
export async function startDemo(argv: readonly string[], env: Record<string, string> = {}): Promise<Demo> {
  const base = await freeDemoPortBase();
  const demo = new Running(
    spawn(argv[0]!, argv.slice(1), {
      env: cleanEnv({ ...env, GSLB_DEMO_PORT_BASE: String(base) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    false,
  );
  try {
    await demo.waitFor(new RegExp(`admin on http://127\\.0\\.0\\.1:${base + DEMO_PORT.admin}/`), 30_000);
  } catch (err) {
    demo.proc.kill('SIGKILL');
    throw err;
  }
  return { process: demo, base };
}
