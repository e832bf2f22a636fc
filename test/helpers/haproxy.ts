// A real HAProxy (Debian's package) for tests: one process per datacenter's load balancer, with a
// frontend in front of a test backend and a stats page, started on free loopback ports and stopped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/e2e-cluster.js';
import { until } from './until.js';

/** The haproxy binary, or null when it is not installed. */
export function haproxyBinary(): string | null {
  for (const bin of ['haproxy', '/usr/sbin/haproxy']) {
    const r = spawnSync(bin, ['-v'], { stdio: 'ignore' });
    if (r.status === 0) return bin;
  }
  return null;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((r) =>
    net
      .connect(port, '127.0.0.1')
      .once('connect', function (this: net.Socket) {
        this.destroy();
        r(true);
      })
      .once('error', () => r(false)),
  );
}

export class Haproxy {
  readonly dir = mkdtempSync(join(tmpdir(), 'gslb-haproxy-'));
  frontendPort = 0;
  statsPort = 0;
  private proc: ChildProcess | null = null;

  /** `backendPort`: the test's HTTP server behind the frontend; `maxconn`: the frontend's session limit (slim). */
  constructor(
    private readonly bin: string,
    private readonly backendPort: number,
    private readonly maxconn = 100,
  ) {}

  /** The stats CSV URL an agent reads. */
  get statsUrl(): string {
    return `http://127.0.0.1:${this.statsPort}/stats;csv`;
  }

  async start(): Promise<this> {
    this.frontendPort = await freePort();
    this.statsPort = await freePort();
    const cfg = join(this.dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  nbthread 1',
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 30s',
        '  timeout server 5s',
        '  timeout http-request 30s',
        'frontend www',
        `  bind 127.0.0.1:${this.frontendPort}`,
        `  maxconn ${this.maxconn}`,
        '  default_backend app',
        'backend app',
        `  server s1 127.0.0.1:${this.backendPort}`,
        'frontend stats',
        `  bind 127.0.0.1:${this.statsPort}`,
        '  stats enable',
        '  stats uri /stats',
        '',
      ].join('\n'),
    );
    // -db: stay in the foreground, so the test owns the process and its exit.
    this.proc = spawn(this.bin, ['-db', '-f', cfg], { stdio: 'ignore' });
    const proc = this.proc;
    let ready = false;
    await until(
      'haproxy to listen',
      async () =>
        (ready = (await accepts(this.statsPort)) && (await accepts(this.frontendPort))) || proc.exitCode !== null,
      5000,
      50,
    ).catch(() => {});
    if (ready) return this;
    throw new Error(`haproxy did not start (config ${cfg})`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
