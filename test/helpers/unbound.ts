// A validating unbound in front of `gslb serve`: Debian's unbound (not our code) with the client-subnet
// module, a trust anchor for our zone and stub zones pointing at the server, on a free loopback port.
// Its verdicts are the test: AD set means unbound validated the answer from the anchor down; SERVFAIL
// means it found the answer bogus, and its log (val-log-level 2) says why.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { freePort } from '../../scripts/e2e-cluster.js';
import { buildQuery, decodeReply, tcpExchange, udpExchange, type Reply } from './dns.js';
import { Running } from './processes.js';
import { until } from './until.js';

export interface UnboundOptions {
  /** Zones unbound reaches at `upstream` (stub zones: it asks them as a resolver asks an authority). */
  readonly stubZones: readonly string[];
  /** `gslb serve`'s DNS port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** Trust anchors, as DS presentation lines (`apex. IN DS tag alg 2 hex`). */
  readonly anchors: readonly string[];
  /** More stub zones, each at its own server on 127.0.0.1 (a second authority, a CNAME's target zone). */
  readonly otherStubs?: ReadonlyArray<{ readonly zone: string; readonly port: number }>;
}

/** A DNS reply as a validating resolver gave it. */
export interface Resolved extends Reply {
  /** The AD bit: unbound validated every RRset of the answer. */
  readonly ad: boolean;
  /** The answer section's RRsets other than RRSIG, as `name type` (lower case). */
  readonly rrsets: string[];
  /** A and AAAA addresses in the answer section. */
  readonly addresses: string[];
  /** The ECS option's scope prefix length in the reply, null without one. */
  readonly scope: number | null;
}

export interface AskOptions {
  /** EDNS Client Subnet to send, `ADDR/PREFIX`. */
  readonly subnet?: string;
  /** The DO bit (default true: a validating stub asks for the signatures). */
  readonly dnssec?: boolean;
  readonly tcp?: boolean;
  /** EDNS UDP payload size (default 1232). */
  readonly bufsize?: number;
}

/** Queries `port` on 127.0.0.1 with RD, EDNS and (by default) DO, and reads the flags a test checks. */
export async function askServer(port: number, name: string, type: string, o: AskOptions = {}): Promise<Resolved> {
  const options: dnsPacket.PacketOpt[] = [];
  if (o.subnet) {
    const [ip, prefix] = o.subnet.split('/');
    options.push({
      code: 8,
      family: ip!.includes(':') ? 2 : 1,
      sourcePrefixLength: Number(prefix),
      scopePrefixLength: 0,
      ip,
    } as never);
  }
  const msg = buildQuery({ name, type, edns: { do: o.dnssec ?? true, udpSize: o.bufsize ?? 1232, options } });
  let raw: Buffer | null | undefined;
  if (o.tcp) [raw] = await tcpExchange('127.0.0.1', port, [msg], 1, 5000);
  else raw = await udpExchange('127.0.0.1', port, msg, 5000);
  if (!raw) throw new Error(`no reply from 127.0.0.1:${port} to ${name} ${type}`);
  const r = decodeReply(raw);
  const answers = r.packet.answers ?? [];
  const ecs = r.opt?.options?.find((x) => x['code'] === 8);
  return {
    ...r,
    ad: (raw[3]! & 0x20) !== 0,
    rrsets: [...new Set(answers.filter((a) => a.type !== 'RRSIG').map((a) => `${a.name.toLowerCase()} ${a.type}`))],
    addresses: answers
      .filter((a) => a.type === 'A' || a.type === 'AAAA')
      .map((a) => String((a as { data: unknown }).data)),
    scope: ecs ? Number(ecs['scopePrefixLength']) : null,
  };
}

/** The unbound.conf text (exported so a failing test can show it). */
export function unboundConfig(dir: string, port: number, o: UnboundOptions): string {
  const q = (s: string) => `"${s}"`;
  return [
    'server:',
    '  verbosity: 1',
    '  val-log-level: 2',
    '  log-servfail: yes',
    '  use-syslog: no',
    '  logfile: ""',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    '  do-ip6: no',
    '  num-threads: 1',
    '  so-reuseport: no',
    '  username: ""',
    '  chroot: ""',
    '  pidfile: ""',
    `  directory: ${q(dir)}`,
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    // Validator between the subnet cache and the iterator: ECS answers are validated like any other.
    '  module-config: "subnetcache validator iterator"',
    '  send-client-subnet: 127.0.0.1',
    '  send-client-subnet: ::1',
    '  client-subnet-always-forward: yes',
    '  max-client-subnet-ipv4: 24',
    '  max-client-subnet-ipv6: 56',
    // A bogus answer is not kept for long: a test that fixes nothing but asks again sees a fresh verdict.
    '  val-bogus-ttl: 1',
    ...o.anchors.map((a) => `  trust-anchor: ${q(a)}`),
    '',
    'remote-control:',
    '  control-enable: yes',
    `  control-interface: ${q(join(dir, 'control.sock'))}`,
    '  control-use-cert: no',
    '',
    ...o.stubZones.flatMap((z) => ['stub-zone:', `  name: ${q(z)}`, `  stub-addr: 127.0.0.1@${o.upstreamPort}`, '']),
    ...(o.otherStubs ?? []).flatMap((s) => [
      'stub-zone:',
      `  name: ${q(s.zone)}`,
      `  stub-addr: 127.0.0.1@${s.port}`,
      '',
    ]),
  ].join('\n');
}

/** A running unbound: ask it, flush its cache for a zone, read its log, stop it. */
export class Unbound {
  private constructor(
    readonly proc: Running,
    readonly port: number,
    readonly dir: string,
    readonly config: string,
  ) {}

  static async start(o: UnboundOptions): Promise<Unbound> {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-unbound-'));
    const port = await freePort();
    const config = unboundConfig(dir, port, o);
    const conf = join(dir, 'unbound.conf');
    writeFileSync(conf, config);
    const check = spawnSync('unbound-checkconf', [conf], { encoding: 'utf8' });
    if (check.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`unbound-checkconf: ${check.stdout}${check.stderr}\n${config}`);
    }
    const proc = new Running(spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] }), false);
    const u = new Unbound(proc, port, dir, config);
    try {
      await until(
        `unbound on 127.0.0.1:${port} answers`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`unbound exited ${proc.exitCode}:\n${proc.stderr}`);
          const msg = buildQuery({ name: 'id.server', type: 'TXT', class: 'CH' });
          return (await udpExchange('127.0.0.1', port, msg, 200)) !== null;
        },
        10_000,
        50,
      );
    } catch (err) {
      await u.stop();
      throw err;
    }
    return u;
  }

  /** Asks unbound (RD, DO by default). */
  ask(name: string, type: string, o: AskOptions = {}): Promise<Resolved> {
    return askServer(this.port, name, type, o);
  }

  /** `unbound-control flush_zone` (records, messages, keys) and the bogus/negative entries below `zone`. */
  flush(zone: string): void {
    for (const cmd of [['flush_zone', zone], ['flush_bogus'], ['flush_negative'], ['flush_requestlist']]) {
      const r = spawnSync('unbound-control', ['-c', join(this.dir, 'unbound.conf'), ...cmd], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`unbound-control ${cmd.join(' ')}: ${r.stdout}${r.stderr}`);
    }
  }

  /** unbound's log since it started (validation failures say what was bogus and why). */
  get log(): string {
    return this.proc.stderr + this.proc.stdout;
  }

  /** The log lines about `name` (validation failures, SERVFAIL reasons), for a failing assertion. */
  logAbout(name: string): string {
    const n = name.toLowerCase().replace(/\.$/, '');
    return this.log
      .split('\n')
      .filter((l) => l.toLowerCase().includes(n) && /valid|bogus|fail|error|insecure/i.test(l))
      .slice(-12)
      .join('\n');
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
