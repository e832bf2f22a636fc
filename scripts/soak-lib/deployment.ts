// What the soak runs against, all on loopback: its own redis-server (restartable on the same port),
// two HTTP backends per datacenter, one `gslb serve --redis` node and one `gslb agent` per datacenter.
// Every process's output goes to the log book; stop() ends them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, HttpBackend, queryA, sleep, spawnRedis, tcpListening } from '../e2e-cluster.js';
import type { LogBook } from './logs.js';
import { BACKENDS_PER_DC, DATACENTERS, versionAddress, ZoneFiles, type Datacenter } from './zone-files.js';

export const REDIS_PREFIX = 'soak:';

export interface DeploymentOptions {
  /** bin/gslb */
  readonly gslb: string;
  readonly work: string;
  readonly logs: LogBook;
  /** Extra `gslb serve` arguments (--workers, --rrl-*). */
  readonly serveArgs: readonly string[];
}

export interface AgentHealth {
  readonly id: string;
  readonly fresh: boolean;
}

export class Deployment {
  readonly backends = new Map<Datacenter, HttpBackend[]>();
  readonly agents = new Map<string, ChildProcess>();
  zones!: ZoneFiles;
  redis: ChildProcess | null = null;
  redisPort = 0;
  node: ChildProcess | null = null;
  dnsPort = 0;
  adminUrl = '';
  /** Set when the node exits before stop(). */
  nodeExit: string | null = null;
  private stopping = false;

  constructor(private readonly opts: DeploymentOptions) {}

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    this.redisPort = await freePort();
    await this.startRedis();
    for (const dc of DATACENTERS) {
      const list: HttpBackend[] = [];
      for (let i = 0; i < BACKENDS_PER_DC; i++) list.push(await new HttpBackend().start());
      this.backends.set(dc, list);
    }
    this.zones = new ZoneFiles(join(this.opts.work, 'zones'), (dc, i) => this.backends.get(dc)![i]!.probe);
    this.zones.writeValid(0);
    await this.startNode(timeoutMs);
    for (const dc of DATACENTERS) this.startAgent(dc);
    await this.waitHealthy(timeoutMs);
  }

  /** redis-server on this.redisPort; its start-up warnings are expected. */
  async startRedis(): Promise<void> {
    this.opts.logs.expect('redis-restart', Date.now() + 10_000);
    const p = spawnRedis(this.redisPort, 'pipe');
    p.once('error', (err) => this.opts.logs.error('redis', `cannot run redis-server: ${err.message}`));
    this.opts.logs.follow('redis', p.stdout!, 'redis');
    this.opts.logs.follow('redis', p.stderr!, 'redis');
    this.redis = p;
    if (!(await tcpListening(this.redisPort))) throw new Error(`redis-server did not start on port ${this.redisPort}`);
  }

  /** SIGTERM, as an operator's restart would; resolves once it has exited. */
  async stopRedis(): Promise<void> {
    const p = this.redis;
    this.redis = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  private async startNode(timeoutMs: number): Promise<void> {
    const args = [
      'serve',
      '--zones',
      this.zones.zonesDir,
      '--listen',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      '--redis',
      this.redisUrl,
      '--redis-prefix',
      REDIS_PREFIX,
      '--node-id',
      'soak',
      ...this.opts.serveArgs,
    ];
    // bin/gslb itself (not node + the script), so its shebang's V8 flags apply as in production.
    const p = spawn(this.opts.gslb, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.node = p;
    p.once('error', (err) => (this.nodeExit = `cannot run gslb serve: ${err.message}`));
    this.opts.logs.follow('serve', p.stderr!);
    let out = '';
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (d: string) => (out += d));
    this.opts.logs.follow('serve-stdout', p.stdout!, 'plain');
    p.once('exit', (code, signal) => {
      if (!this.stopping) this.nodeExit = `gslb serve exited (${signal ?? code})`;
    });
    const t0 = Date.now();
    while (!/^admin on /m.test(out)) {
      if (this.nodeExit) throw new Error(`${this.nodeExit} at start; see the log`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`gslb serve did not start in ${timeoutMs} ms`);
      await sleep(100);
    }
    this.dnsPort = Number(/^gslb serving .* on 127\.0\.0\.1:(\d+)/m.exec(out)?.[1]);
    this.adminUrl = /^admin on (http:\/\/\S+)$/m.exec(out)![1]!;
    if (!this.dnsPort) throw new Error(`cannot read the DNS port from gslb serve's output:\n${out}`);
  }

  private startAgent(dc: Datacenter): void {
    const id = `agent-${dc}`;
    const p = spawn(
      this.opts.gslb,
      ['agent', '--redis', this.redisUrl, '--redis-prefix', REDIS_PREFIX, '--datacenter', dc, '--id', id],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.once('error', (err) => this.opts.logs.error(id, `cannot run gslb agent: ${err.message}`));
    this.opts.logs.follow(id, p.stderr!);
    this.agents.set(id, p);
  }

  /** Until every agent is fresh, every target up, and version 0 answered. */
  private async waitHealthy(timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const h = (await this.admin('/api/health')) as {
        agents: AgentHealth[];
        targets: { verdict: { up: boolean } }[];
      };
      const ok =
        h.agents.filter((a) => a.fresh).length === DATACENTERS.length &&
        h.targets.length > 0 &&
        h.targets.every((t) => t.verdict.up) &&
        (await queryA(this.dnsPort, 'version.soak.test', 300))?.[0] === versionAddress(0);
      if (ok) return;
      if (this.nodeExit) throw new Error(this.nodeExit);
      if (Date.now() - t0 > timeoutMs) throw new Error(`the deployment was not healthy within ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  async admin(path: string): Promise<unknown> {
    const res = await fetch(new URL(path, this.adminUrl), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const all = [this.node, ...this.agents.values(), this.redis].filter((p): p is ChildProcess => p !== null);
    const exited = all.map((p) =>
      p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null,
    );
    for (const p of all) {
      p.kill('SIGCONT'); // a cut-off agent is stopped: SIGTERM would wait
      p.kill('SIGTERM');
    }
    const timer = setTimeout(() => all.forEach((p) => p.kill('SIGKILL')), 5000);
    await Promise.all(exited);
    clearTimeout(timer);
    for (const list of this.backends.values()) for (const b of list) await b.kill();
  }
}
