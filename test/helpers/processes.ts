// Real processes for end-to-end tests of flags: `bin/gslb` commands and redis-server (or a Sentinel)
// started with whatever arguments a test needs, their output kept to wait on and to read, and all of
// them stopped by stopAll() in an after hook.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryA } from '../../scripts/e2e-cluster.js';
import { until } from './until.js';

const started = new Set<Running>();

/** A started process and what it printed so far. */
export class Running {
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  private readonly exited: Promise<void>;
  private readonly closed: Promise<void>;
  /** `tracked`: stopped by stopAll() (a test's processes); servers a whole suite shares are not. */
  constructor(
    readonly proc: ChildProcess,
    tracked = true,
  ) {
    if (tracked) started.add(this);
    proc.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve();
      }),
    );
    this.closed = new Promise((resolve) => proc.once('close', () => resolve()));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves with the first match of `pattern` in stdout+stderr; rejects on exit or timeout, with the output. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    let m: RegExpMatchArray | null = null;
    const found = () => (m = (this.stdout + this.stderr).match(pattern)) !== null;
    await until(String(pattern), () => found() || this.exitCode !== null, timeoutMs, 50).catch(() => {});
    if (m) return m;
    throw new Error(
      `no ${pattern} ${this.exitCode !== null ? `(exited ${this.exitCode})` : `within ${timeoutMs} ms`}:\n${this.stdout}${this.stderr}`,
    );
  }

  /** Resolves with the exit code. */
  async exit(): Promise<number | null> {
    await this.exited;
    return this.exitCode;
  }

  /**
   * Resolves with the exit code once the output is read to its end too: after the process and every
   * process that shares its stdout and stderr (serve's workers) have exited.
   */
  async finished(): Promise<number | null> {
    await Promise.all([this.exited, this.closed]);
    return this.exitCode;
  }

  async stop(): Promise<void> {
    started.delete(this);
    if (this.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(t);
  }
}

/**
 * This environment without GSLB_ variables, plus `extra`. The test run's setup (helpers/clean-env.ts)
 * removes them already; this covers a file run without it (`mocha --no-config`).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GSLB_')));
  return { ...env, ...extra };
}

/** How to start a process beyond its arguments and environment. */
export interface SpawnExtras {
  /** Its own process group (pid = pgid), for signals to the whole group: process.kill(-pid, ...). */
  readonly detached?: boolean;
  /** Run as this user and group (the tests run as root: a user without privileges). */
  readonly uid?: number;
  readonly gid?: number;
  /** 'pipe': the test may write to it and end it (proc.stdin); default 'ignore'. */
  readonly stdin?: 'ignore' | 'pipe';
}

/** Runs `bin/gslb ARGS` with `env` added to a clean environment. */
export function gslb(args: readonly string[], env: Record<string, string> = {}, extras: SpawnExtras = {}): Running {
  return new Running(
    spawn(process.execPath, ['bin/gslb', ...args], {
      env: cleanEnv(env),
      stdio: [extras.stdin ?? 'ignore', 'pipe', 'pipe'],
      ...(extras.detached ? { detached: true } : {}),
      ...(extras.uid === undefined ? {} : { uid: extras.uid, gid: extras.gid ?? extras.uid }),
    }),
  );
}

/** `gslb serve` on a free loopback port: waits until it serves, and returns the process and port. */
export async function serve(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ node: Running; port: number }> {
  const node = gslb(['serve', '--listen', '127.0.0.1:0', '--workers', '1', '--log-level', 'info', ...args], env);
  const m = await node.waitFor(/gslb serving .* on 127\.0\.0\.1:(\d+)/, 15_000);
  return { node, port: Number(m[1]) };
}

/**
 * redis-server (or `--sentinel`) with these arguments, once it says it is ready. Not stopped by
 * stopAll(): the suite that starts it stops it (it serves several tests).
 */
export async function redisServer(args: readonly string[], ready = /Ready to accept connections/): Promise<Running> {
  const r = new Running(spawn('redis-server', [...args], { stdio: ['ignore', 'pipe', 'pipe'] }), false);
  try {
    await r.waitFor(ready, 10_000);
  } catch (err) {
    await r.stop();
    throw err;
  }
  return r;
}

/** Stops every process the helpers started and that is not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((r) => r.stop()));
}

/** A zones folder with one zone, e2e.test, whose `www` fails over across these datacenters in order. */
export function failoverZone(
  dir: string,
  pools: ReadonlyArray<{ dc: string; address: string; probe: string }>,
): string {
  const zone = join(dir, 'e2e.test');
  mkdirSync(zone, { recursive: true });
  writeFileSync(
    join(zone, 'records.zone'),
    '$ORIGIN e2e.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n',
  );
  writeFileSync(
    join(zone, 'policy.yaml'),
    [
      'datacenters:',
      ...pools.map((p) => `  ${p.dc}: {}`),
      'checks:',
      '  web: { type: http, path: /, interval: 300ms, timeout: 200ms, jitter: 30ms, rise: 1, fall: 1 }',
      'names:',
      '  www:',
      '    policy: failover',
      '    check: web',
      '    ttl: 30',
      '    pools:',
      ...pools.map((p) => `      ${p.dc}: [{ address: ${p.address}, probe: "${p.probe}" }]`),
      '',
    ].join('\n'),
  );
  return dir;
}

/** Waits until the node answers www.e2e.test with `address` first. */
export async function waitAnswer(port: number, address: string, timeoutMs = 10_000): Promise<void> {
  let last: string[] | null = null;
  await until(
    address,
    async () => (last = await queryA(port, 'www.e2e.test', 500))?.[0] === address,
    timeoutMs,
    50,
  ).catch(() => {
    throw new Error(`www.e2e.test never answered ${address} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
  });
}
