// Debian's dnsdist in front of `gslb serve`, as an operator would put it: a config written here, one
// backend (our --proxy-listen port) reached with the PROXY protocol v2 (`useProxyProtocol=true`) over
// UDP and TCP. The test talks to dnsdist; what our server sees as the client is what the header says.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/e2e-cluster.js';
import { buildQuery } from './dns.js';
import { udpAskFrom } from './loopback-sources.js';
import { Running } from './processes.js';
import { until } from './until.js';

/** `dnsdist --version`'s first line, or null when dnsdist is not installed. */
export function dnsdistVersion(): string | null {
  const r = spawnSync('dnsdist', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n')[0]!.trim();
}

export interface Dnsdist {
  readonly proc: Running;
  /** dnsdist's listening port on 127.0.0.1 (UDP and TCP). */
  readonly port: number;
  /** The configuration it runs, for a failing test to show. */
  readonly config: string;
  stop(): Promise<void>;
}

/** The dnsdist.conf text: listen on 127.0.0.1:port, one PROXY-v2 backend at 127.0.0.1:backendPort. */
export function dnsdistConfig(port: number, backendPort: number): string {
  return [
    `setLocal("127.0.0.1:${port}")`,
    'addACL("127.0.0.0/8")',
    // No security-status lookup over the internet from a test.
    'setSecurityPollSuffix("")',
    `newServer{address="127.0.0.1:${backendPort}", useProxyProtocol=true}`,
    // Always up: its health-check query (a.root-servers.net) is not ours to answer, and the test is
    // about what reaches the backend, not about dnsdist's view of it.
    'getServer(0):setUp()',
    '',
  ].join('\n');
}

/**
 * Starts dnsdist with that config (`--supervised --disable-syslog -C FILE`: in the foreground, logs
 * to stdout) and waits until it listens and, with a `probeName`, until it forwards: a query for that
 * name through it gets a reply (null for a backend expected to answer nothing).
 */
export async function startDnsdist(backendPort: number, probeName: string | null): Promise<Dnsdist> {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-dnsdist-'));
  const port = await freePort();
  const config = dnsdistConfig(port, backendPort);
  const file = join(dir, 'dnsdist.conf');
  writeFileSync(file, config);
  const proc = new Running(
    spawn('dnsdist', ['--supervised', '--disable-syslog', '-C', file], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await proc.waitFor(new RegExp(`Listening on 127\\.0\\.0\\.1:${port}`), 10_000);
    if (probeName !== null) {
      await until(
        `dnsdist on ${port} forwarding to ${backendPort}`,
        async () => (await udpAskFrom('127.0.0.1', port, buildQuery({ name: probeName }), 300)) !== null,
        10_000,
        100,
      );
    }
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nconfig:\n${config}\noutput:\n${proc.stdout}${proc.stderr}`);
  }
  return { proc, port, config, stop };
}
