// A whole deployment on loopback for end-to-end runs: Redis, HTTP backends per datacenter, N `gslb
// serve --redis` nodes and M `gslb agent` processes, plus a UDP query helper. Used by
// scripts/failover.ts (the measurement) and test/e2e-failover.test.ts (the smaller check).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An HTTP health backend that can be killed (connection refused) and revived on the same port.
 * Port 0 picks a free port on the first start; later starts reuse it.
 */
export class HttpBackend {
  private server: http.Server | null = null;
  private sockets = new Set<net.Socket>();
  /** The status every request gets (a test turns it to 500 to make errors). */
  status = 200;
  /** When set, the status of each request instead (by path, by who asks). */
  statusFor: ((req: http.IncomingMessage) => number) | null = null;
  /** The User-Agent of every request seen (agents name their datacenter in it). */
  readonly userAgents = new Set<string>();
  constructor(
    public port = 0,
    readonly host = '127.0.0.1',
  ) {}
  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      this.userAgents.add(req.headers['user-agent'] ?? '');
      res.writeHead(this.statusFor?.(req) ?? this.status, { connection: 'close' });
      res.end('ok');
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }
  /** HOST:PORT, as a policy's `probe:` names it. */
  get probe(): string {
    return `${this.host}:${this.port}`;
  }
  async kill(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const c of this.sockets) c.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/**
 * Asks one server for NAME A over UDP; resolves with the addresses, or null on timeout. `dnssec`:
 * asked with DO=1, and an answer whose addresses carry no RRSIG rejects (a signed zone must sign them).
 */
export function queryA(port: number, name: string, timeoutMs = 300, dnssec = false): Promise<string[] | null> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      let answers: dnsPacket.Answer[];
      try {
        answers = dnsPacket.decode(msg).answers ?? [];
      } catch {
        resolve(null);
        return;
      }
      const a = answers.filter((r) => r.type === 'A').map((r) => String((r as { data: unknown }).data));
      const signed = answers.some((r) => r.type === 'RRSIG' && (r.data as { typeCovered: string }).typeCovered === 'A');
      if (dnssec && a.length > 0 && !signed) reject(new Error(`the answer for ${name} A carries no RRSIG`));
      else resolve(a);
    });
    // dns-packet encodes OPT's `flags` (DO is its top bit); flag_do is only what decode reports.
    const query: dnsPacket.Packet = {
      type: 'query',
      id: (Math.random() * 65535) | 0,
      questions: [{ name, type: 'A' }],
    };
    if (dnssec)
      query.additionals = [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: dnsPacket.DNSSEC_OK,
          flag_do: true,
          options: [],
        },
      ];
    sock.send(dnsPacket.encode(query), port, '127.0.0.1');
  });
}

/** redis-server on 127.0.0.1:port, nothing persisted; `stdio: 'pipe'` keeps its log readable. */
export function spawnRedis(port: number, stdio: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', stdio, stdio],
  });
}

/** True once 127.0.0.1:port accepts a TCP connection; false after `tries` attempts 50 ms apart. */
export async function tcpListening(port: number, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (
      await new Promise<boolean>((r) =>
        net
          .connect(port, '127.0.0.1')
          .once('connect', function (this: net.Socket) {
            this.destroy();
            r(true);
          })
          .once('error', () => r(false)),
      )
    )
      return true;
    await sleep(50);
  }
  return false;
}

export interface ClusterOptions {
  readonly gslb: string;
  readonly datacenters: readonly string[];
  readonly nodes: number;
  readonly agents: readonly string[];
  readonly intervalMs: number;
  /**
   * Failed probes in a row that take a target down (default 1, the fastest failover, which
   * scripts/failover.ts measures). Tests that assert an answer holds steady give 2: on a loaded
   * 2-core machine one probe past its timeout (half the interval) would flip a datacenter.
   */
  readonly fall?: number;
  readonly redisUrl?: string;
  /** The zone's policy file, instead of one www name (failover over a backend per datacenter). */
  readonly policyYaml?: string;
  /** Extra `gslb serve` arguments (e.g. --admin). */
  readonly serveArgs?: readonly string[];
  /** Give each node its own admin API on a free loopback port (Cluster.adminPorts). */
  readonly admin?: boolean;
}

export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'gslb-e2e-'));
  readonly prefix = `gslb-e2e-${process.pid}-${Date.now() % 100000}:`;
  readonly backends = new Map<string, HttpBackend>();
  readonly nodePorts: number[] = [];
  /** Each node's admin API port, with the `admin` option. */
  readonly adminPorts: number[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly agentProcs = new Map<string, ChildProcess>();
  redis: ChildProcess | null = null;
  redisPort = 0;
  redisUrl = '';

  constructor(readonly opts: ClusterOptions) {}

  /** The answer address of a datacenter: 192.0.2.(index + 1). */
  addressOf(dc: string): string {
    return `192.0.2.${this.opts.datacenters.indexOf(dc) + 1}`;
  }

  async startRedis(port?: number): Promise<void> {
    this.redisPort = port ?? (await freePort());
    this.redis = spawnRedis(this.redisPort);
    this.redisUrl = `redis://127.0.0.1:${this.redisPort}`;
    if (!(await tcpListening(this.redisPort))) throw new Error('redis-server did not start');
  }

  killRedis(): void {
    this.redis?.kill('SIGKILL');
    this.redis = null;
  }

  async start(): Promise<void> {
    if (this.opts.redisUrl) this.redisUrl = this.opts.redisUrl;
    else await this.startRedis();
    const zone = join(this.dir, 'e2e.test');
    mkdirSync(zone);
    writeFileSync(
      join(zone, 'records.zone'),
      '$ORIGIN e2e.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n',
    );
    writeFileSync(join(zone, 'policy.yaml'), this.opts.policyYaml ?? (await this.failoverPolicy()));
    for (let i = 0; i < this.opts.nodes; i++) {
      const port = await freePort();
      const admin = this.opts.admin ? await freePort() : null;
      const p = spawn(
        process.execPath,
        [
          this.opts.gslb,
          'serve',
          '--zones',
          this.dir,
          '--listen',
          `127.0.0.1:${port}`,
          '--redis',
          this.redisUrl,
          '--redis-prefix',
          this.prefix,
          '--node-id',
          `node${i + 1}`,
          '--max-age',
          '3s',
          '--grace',
          '20s',
          '--log-level',
          'warn',
          ...(admin !== null ? ['--admin', `127.0.0.1:${admin}`] : []),
          ...(this.opts.serveArgs ?? []),
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      this.procs.push(p);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        p.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('serving')) resolve();
        });
        p.once('exit', (code) => reject(new Error(`gslb serve exited ${code}`)));
      });
      this.nodePorts.push(port);
      if (admin !== null) this.adminPorts.push(admin);
    }
    for (const dc of this.opts.agents) this.startAgent(dc);
  }

  /** One www name, failover over a live HTTP backend per datacenter (started here). */
  private async failoverPolicy(): Promise<string> {
    const pools: string[] = [];
    for (const dc of this.opts.datacenters) {
      const b = new HttpBackend(await freePort());
      await b.start();
      this.backends.set(dc, b);
      pools.push(`      ${dc}: [{ address: ${this.addressOf(dc)}, probe: "127.0.0.1:${b.port}" }]`);
    }
    return `datacenters:\n${this.opts.datacenters.map((d) => `  ${d}: {}`).join('\n')}\nchecks:\n  web: { type: http, path: /, interval: ${this.opts.intervalMs}ms, timeout: ${Math.round(this.opts.intervalMs / 2)}ms, jitter: ${Math.round(this.opts.intervalMs / 10)}ms, rise: 1, fall: ${this.opts.fall ?? 1} }\nnames:\n  www:\n    policy: failover\n    check: web\n    ttl: 30\n    pools:\n${pools.join('\n')}\n`;
  }

  startAgent(dc: string, id = `agent-${dc}`): void {
    const p = spawn(
      process.execPath,
      [
        this.opts.gslb,
        'agent',
        '--redis',
        this.redisUrl,
        '--redis-prefix',
        this.prefix,
        '--datacenter',
        dc,
        '--id',
        id,
        '--log-level',
        'warn',
      ],
      { stdio: 'ignore' },
    );
    this.agentProcs.set(id, p);
    this.procs.push(p);
  }

  /** Resolves when every node answers NAME (default www) with `address` (first record); returns the ms waited. */
  async waitAll(address: string, timeoutMs: number, pollMs = 10, name = 'www.e2e.test'): Promise<number> {
    const t0 = performance.now();
    const done = new Set<number>();
    while (performance.now() - t0 < timeoutMs) {
      await Promise.all(
        this.nodePorts.map(async (port) => {
          if (done.has(port)) return;
          const a = await queryA(port, name, 200);
          if (a && a[0] === address) done.add(port);
        }),
      );
      if (done.size === this.nodePorts.length) return performance.now() - t0;
      await sleep(pollMs);
    }
    throw new Error(`not every node answered ${name} with ${address} within ${timeoutMs} ms`);
  }

  /**
   * Resolves when every node has answered `address` to `times` queries in a row (each from a new
   * socket, so they reach every worker): a node's workers all follow the last health change. Throws
   * with each node's last answers when that does not happen within timeoutMs.
   */
  async waitSteady(address: string, timeoutMs: number, times = 20, name = 'www.e2e.test'): Promise<void> {
    const t0 = performance.now();
    const last = new Map<number, string>();
    for (const port of this.nodePorts) {
      let run = 0;
      while (run < times) {
        if (performance.now() - t0 > timeoutMs)
          throw new Error(
            `not every node answered ${name} with ${address} ${times} times in a row within ${timeoutMs} ms ` +
              `(last answers: ${[...last].map(([p, a]) => `:${p} ${a}`).join(', ')})`,
          );
        const a = await queryA(port, name, 500);
        last.set(port, a === null ? 'timeout' : a.join(' '));
        run = a !== null && a[0] === address ? run + 1 : 0;
      }
    }
  }

  async stop(): Promise<void> {
    for (const p of this.procs) p.kill('SIGTERM');
    await sleep(300);
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const b of this.backends.values()) await b.kill();
    this.killRedis();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
