// BIND's named (Debian bind9, not our code) as an authoritative peer on 127.0.0.1 and a free port: a
// config the test writes, its zones in a temporary folder, run in the foreground (-g, its log on
// stderr) as the current user, and stopped by the test. The tests read its replies as the behaviour
// to interoperate with (DNS cookies: RFC 9018 server cookies made and checked by BIND).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/e2e-cluster.js';
import { toolsOrSkip } from './dnssec-zone.js';
import { buildQuery, udpExchange } from './dns.js';
import { Running } from './processes.js';
import { until } from './until.js';

/** The Debian tools a named test runs (bind9 and bind9-utils). */
export const NAMED_TOOLS = ['named', 'named-checkconf'] as const;

/** Skips the suite with a visible reason when named is missing (fails under CI=true). Call from before(). */
export function namedOrSkip(ctx: Mocha.Context): void {
  toolsOrSkip(ctx, NAMED_TOOLS);
}

export interface NamedOptions {
  /** Zones named serves as primary: apex -> master file text. */
  readonly zones: Readonly<Record<string, string>>;
  /** Statements added to `options { }`, each without its semicolon (e.g. `cookie-algorithm siphash24`). */
  readonly options?: readonly string[];
}

/** The named.conf text (exported so a failing test can show it). */
export function namedConfig(dir: string, port: number, o: NamedOptions): string {
  const q = (s: string) => `"${s}"`;
  return [
    'options {',
    `  directory ${q(dir)};`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  pid-file none;',
    '  session-keyfile none;',
    `  managed-keys-directory ${q(dir)};`,
    '  recursion no;',
    '  dnssec-validation no;',
    ...(o.options ?? []).map((s) => `  ${s};`),
    '};',
    // No rndc: a control channel would need a key file and a port of its own.
    'controls { };',
    ...Object.keys(o.zones).map((apex) => `zone ${q(apex)} { type primary; file ${q(join(dir, `${apex}.db`))}; };`),
    '',
  ].join('\n');
}

/** A running named: its port, its folder and log; stop() ends it and removes the folder. */
export class Named {
  private constructor(
    readonly proc: Running,
    readonly port: number,
    readonly dir: string,
    readonly config: string,
  ) {}

  /** `named -V`'s first line (the version), for a test's log. */
  static version(): string {
    const r = spawnSync('named', ['-V'], { encoding: 'utf8' });
    return (r.stdout ?? '').split('\n')[0] ?? '';
  }

  /** Writes the config and zones, checks them with named-checkconf, starts named and waits until it runs. */
  static async start(o: NamedOptions): Promise<Named> {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-named-'));
    const port = await freePort();
    const config = namedConfig(dir, port, o);
    const conf = join(dir, 'named.conf');
    writeFileSync(conf, config);
    for (const [apex, text] of Object.entries(o.zones)) writeFileSync(join(dir, `${apex}.db`), text);
    const check = spawnSync('named-checkconf', ['-z', conf], { encoding: 'utf8' });
    if (check.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`named-checkconf: ${check.stdout}${check.stderr}\n${config}`);
    }
    // -g: foreground, every log line on stderr. No -u: it runs as whoever runs the tests.
    const proc = new Running(spawn('named', ['-g', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] }), false);
    const named = new Named(proc, port, dir, config);
    try {
      // "running" is its last startup line, but the first query after it can still go unanswered
      // (seen under load): ready means it has answered one.
      await proc.waitFor(/\brunning\b/, 15_000);
      const apex = Object.keys(o.zones)[0] ?? '.';
      await until(
        `named on 127.0.0.1:${port} answers`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`named exited ${proc.exitCode}:\n${proc.stderr}`);
          return (await udpExchange('127.0.0.1', port, buildQuery({ name: apex, type: 'SOA' }), 200)) !== null;
        },
        10_000,
        50,
      );
    } catch (err) {
      await named.stop();
      throw err;
    }
    return named;
  }

  /** What named logged since it started. */
  get log(): string {
    return this.proc.stderr + this.proc.stdout;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
