// PowerDNS Authoritative (Debian pdns-server, not our code) as the peer of the LUA records import: one
// zone through the bind backend, LUA records on, the geoip backend loaded only for its MaxMind lookups
// (country(), continent(), pickclosest), ECS honoured; on 127.0.0.1 and a free port, in the
// foreground, as the current user, in a temporary folder, and stopped by the test.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/e2e-cluster.js';
import { toolsOrSkip } from './dnssec-zone.js';
import { skipOrFail } from './skip.js';
import { buildQuery, udpExchange } from './dns.js';
import { Running } from './processes.js';
import { until } from './until.js';

const BACKENDS: Readonly<Record<string, string>> = {
  'libbindbackend.so': 'pdns-backend-bind',
  'libgeoipbackend.so': 'pdns-backend-geoip',
};

function backendDirs(): string[] {
  const r = spawnSync('sh', ['-c', 'ls -d /usr/lib/*/pdns /usr/lib/pdns 2>/dev/null'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((l) => l !== '');
}

/** Skips the suite with a visible reason when pdns_server or its backends are missing (fails under CI=true). */
export function pdnsOrSkip(ctx: Mocha.Context): void {
  toolsOrSkip(ctx, ['pdns_server']);
  const dirs = backendDirs();
  const missing = Object.keys(BACKENDS).filter((lib) => !dirs.some((d) => existsSync(join(d, lib))));
  if (missing.length === 0) return;
  const packages = missing.map((m) => BACKENDS[m]).join(' ');
  skipOrFail(ctx, `missing PowerDNS backends ${missing.join(', ')} (apt-get install ${packages})`);
}

export interface PdnsOptions {
  readonly apex: string;
  readonly zone: string;
  /** The MaxMind database country(), continent() and pickclosest read. */
  readonly mmdb: string;
  /** lua-health-checks-interval, seconds. */
  readonly interval?: number;
}

export class Pdns {
  private constructor(
    readonly proc: Running,
    readonly port: number,
    readonly dir: string,
  ) {}

  /** `pdns_server --version`'s line, for a test's log. */
  static version(): string {
    const r = spawnSync('pdns_server', ['--version'], { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => /PowerDNS/.test(l)) ?? '';
  }

  static async start(o: PdnsOptions): Promise<Pdns> {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-pdns-'));
    const port = await freePort();
    writeFileSync(join(dir, 'zone.db'), o.zone);
    writeFileSync(join(dir, 'named.conf'), `zone "${o.apex}" { type master; file "${join(dir, 'zone.db')}"; };\n`);
    writeFileSync(join(dir, 'geo-empty.yaml'), 'domains: []\n');
    writeFileSync(
      join(dir, 'pdns.conf'),
      [
        'launch=bind,geoip',
        `bind-config=${join(dir, 'named.conf')}`,
        `geoip-database-files=mmdb:${o.mmdb}`,
        `geoip-zones-file=${join(dir, 'geo-empty.yaml')}`,
        'enable-lua-records=yes',
        'edns-subnet-processing=yes',
        `lua-health-checks-interval=${o.interval ?? 1}`,
        'local-address=127.0.0.1',
        `local-port=${port}`,
        `socket-dir=${dir}`,
        'daemon=no',
        'guardian=no',
        'disable-syslog=yes',
        'loglevel=6',
        // No packet or query cache: each answer is the LUA record run for that query.
        'cache-ttl=0',
        'query-cache-ttl=0',
        'negquery-cache-ttl=0',
        'receiver-threads=1',
        'distributor-threads=1',
        'webserver=no',
        'api=no',
        'security-poll-suffix=',
        '',
      ].join('\n'),
    );
    const proc = new Running(
      spawn('pdns_server', [`--config-dir=${dir}`], { stdio: ['ignore', 'pipe', 'pipe'] }),
      false,
    );
    const pdns = new Pdns(proc, port, dir);
    try {
      await until(
        `pdns_server on 127.0.0.1:${port} answers`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`pdns_server exited ${proc.exitCode}:\n${proc.stderr}`);
          return (await udpExchange('127.0.0.1', port, buildQuery({ name: o.apex, type: 'SOA' }), 200)) !== null;
        },
        15_000,
        100,
      );
    } catch (err) {
      await pdns.stop();
      throw err;
    }
    return pdns;
  }

  get log(): string {
    return this.proc.stderr + this.proc.stdout;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
