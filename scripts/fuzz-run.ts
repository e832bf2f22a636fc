// One fuzz run against the real server: `gslb serve` as a child process (its default workers) on the
// signed fuzz zone, with a PROXY listener when the build has one; structure-aware and blind mutants
// over UDP, TCP and the PROXY listener at once; every reply checked; the server's RSS (primary and
// workers) before and after; a normal query answered the same before and after.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { rcodeName } from '../zones/dns.js';
import { Violations } from './fuzz-check.js';
import { exchange, runTcp, runUdp, TransportTally, type Target } from './fuzz-drivers.js';
import { FuzzGenerator } from './fuzz-packets.js';
import { PlanMaker } from './fuzz-plans.js';
import { STRUCTURED_KINDS } from './fuzz-structured.js';
import { ProxyGenerator, type ProxySource } from './fuzz-proxy.js';
import { ednsOption, nameWire, opt, query, question, viewQuery } from './fuzz-wire.js';
import { FUZZ_APEX, makeFuzzZones } from './fuzz-zone.js';

const HOST = '127.0.0.1';
/** Not an allowed proxy: PROXY traffic from here must be dropped. */
const FOREIGN = '127.0.0.2';
/** UDP losses tolerated as the loopback's, not the server's (a full socket buffer on a busy machine). */
const MAX_LOSS_RATIO = 0.001;
/**
 * RSS growth allowed between the end of the warm-up and the end of the run, for the primary and its
 * workers together. What is not a leak still moves RSS: V8 sizes a process's young generation to its
 * allocation rate (its semi-space seen going 4 -> 8 -> 16 MB in a serving process under this load)
 * and the allocator keeps pages, up to ~25 MB a worker that later comes back; the warm-up at the same
 * rate puts most of that in the baseline. Leaks show in the heap after a full GC, which stays within
 * 0.5 MB over 600,000 packets through the listeners and pipeline in one process (docs/fuzzing.md).
 * A leak of 64 bytes a packet would be 61 MB over a million.
 */
export const MAX_RSS_GROWTH_KB = 48 * 1024;

export type Transports = 'udp' | 'tcp' | 'proxy-udp' | 'proxy-tcp';

export interface FuzzOptions {
  /** Packets in all, split over the transports. */
  readonly count: number;
  readonly seed: number;
  /** Project root (bin/gslb, examples/). */
  readonly root: string;
  /** A zones folder to serve instead of the signed fuzz zone. */
  readonly zones?: string;
  /** --workers for the server; default: its own default (the number of cores). */
  readonly workers?: number;
  /** Leave the PROXY listener out. */
  readonly noProxy?: boolean;
  /** Progress and summary lines. */
  readonly log?: (line: string) => void;
}

export interface RssFigures {
  /** Summed VmRSS of the server's processes, in kB: after the warm-up, during the run, at the end. */
  before: number;
  samples: number[];
  after: number;
  processes: number;
  /** Each process's VmRSS (kB), the server first, after the warm-up and at the end. */
  eachBefore: number[];
  eachAfter: number[];
}

export interface FuzzReport {
  readonly passed: boolean;
  readonly failures: string[];
  readonly warnings: string[];
  readonly tallies: Record<Transports, TransportTally>;
  readonly violations: Violations;
  readonly rss: RssFigures;
  /** Why the PROXY listener was not fuzzed, or null when it was. */
  readonly proxySkipped: string | null;
  readonly cookies: boolean;
  readonly caseKinds: ReadonlyMap<string, number>;
  readonly proxyKinds: ReadonlyMap<string, number>;
  readonly summary: string;
}

interface Server {
  child: ChildProcess;
  port: number;
  proxyPort: number | null;
  /** Error-level log lines and anything on stderr that is not a JSON log line. */
  errors: string[];
  exited: Promise<number | null>;
}

/** A port free for both UDP and TCP right now (the server may still lose a race for it: we retry). */
async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((ok, fail) => {
      udp.once('error', fail);
      udp.bind(0, HOST, () => ok(udp.address().port));
    });
    const tcp = net.createServer();
    const tcpOk = await new Promise<boolean>((ok) => {
      tcp.once('error', () => ok(false));
      tcp.listen(port, HOST, () => ok(true));
    });
    await new Promise<void>((ok) => udp.close(() => ok()));
    if (tcpOk) {
      await new Promise<void>((ok) => tcp.close(() => ok()));
      return port;
    }
  }
}

/** Children of the fuzzer's servers, killed if we are interrupted, so none outlives the fuzzer. */
const running = new Set<ChildProcess>();
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const c of running) c.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** Whether this build's `gslb serve` has the PROXY listener flags; the reason to skip it otherwise. */
export function proxyUnsupported(bin: string): string | null {
  const help = execFileSync(process.execPath, [bin, 'help', 'serve'], { encoding: 'utf8' });
  return help.includes('--proxy-listen') ? null : "this build's gslb serve has no --proxy-listen flag";
}

async function startServer(bin: string, zones: string, proxy: boolean, workers: number | undefined): Promise<Server> {
  hookSignals();
  let lastError = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const proxyPort = proxy ? await freePort() : null;
    const args = [bin, 'serve', '--zones', zones, '--listen', `${HOST}:${port}`, '--no-watch'];
    if (proxyPort !== null) args.push('--proxy-listen', `${HOST}:${proxyPort}`, '--proxy-from', `${HOST}/32`);
    if (workers !== undefined) args.push('--workers', String(workers));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const errors: string[] = [];
    const stderrTail: string[] = [];
    const exited = new Promise<number | null>((ok) =>
      child.once('exit', (code) => {
        running.delete(child);
        ok(code);
      }),
    );
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      let level = 60;
      try {
        level = (JSON.parse(line) as { level?: number }).level ?? 60;
      } catch {
        // not a log line (a crash trace, say): counts as an error
      }
      if (level >= 50) errors.push(line);
    });
    const ready = await new Promise<boolean>((ok) => {
      let serving = false;
      let proxying = proxyPort === null;
      const timer = setTimeout(() => ok(false), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('gslb serving')) serving = true;
        if (line.startsWith('proxy protocol v2 on')) proxying = true;
        if (serving && proxying) {
          clearTimeout(timer);
          ok(true);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        ok(false);
      });
    });
    if (ready) return { child, port, proxyPort, errors, exited };
    child.kill('SIGKILL');
    await exited;
    lastError = stderrTail.join('\n');
    // Only a lost race for a port is worth another try.
    if (!/EADDRINUSE|address already in use/.test(lastError)) break;
  }
  throw new Error(`server did not start:\n${lastError}`);
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await s.exited;
  clearTimeout(timer);
}

/** The process and its descendants (serve's workers). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** VmRSS (kB) of the server and of each of its workers, summed and one by one. */
function rssKb(pid: number): { kb: number; processes: number; each: number[] } {
  const each: number[] = [];
  for (const p of processTree(pid)) {
    try {
      each.push(Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      // gone meanwhile
    }
  }
  return { kb: each.reduce((a, b) => a + b, 0), processes: each.length, each };
}

const mb = (kb: number): string => (kb / 1024).toFixed(1);

/** The probe: a static name of the fuzz (and example) zone and its address. */
const PROBE_NAME = `mail.${FUZZ_APEX}`;
const PROBE_ADDRESS = Buffer.from([192, 0, 2, 25]);

function probeQuery(cookie: Buffer | null = null): Buffer {
  const ar = cookie ? [opt({ options: [ednsOption(10, cookie)] })] : [];
  return query({ id: 0x4242, flags1: 0x01 }, question(nameWire(PROBE_NAME), 1), { ar });
}

/** Whether a reply answers the probe correctly: NOERROR and the address in the answer. */
function probeProblem(reply: Buffer | null, where: string): string | null {
  if (reply === null) return `no reply to ${PROBE_NAME} A over ${where}`;
  if (reply.length < 12 || (reply[3]! & 0x0f) !== 0) return `${where}: rcode ${rcodeName(reply[3]! & 0x0f)}`;
  if (reply.indexOf(PROBE_ADDRESS) < 0) return `${where}: the answer lacks 192.0.2.25`;
  return null;
}

interface ProbeTargets {
  plain: Target;
  proxy: Target | null;
  header: (tcp: boolean) => Buffer;
}

async function askAll(t: ProbeTargets): Promise<Map<string, { reply: Buffer | null; problem: string | null }>> {
  const out = new Map<string, { reply: Buffer | null; problem: string | null }>();
  for (const transport of ['udp', 'tcp'] as const) {
    const reply = await exchange(t.plain, probeQuery(), transport);
    out.set(transport, { reply, problem: probeProblem(reply, transport) });
    if (t.proxy) {
      const r = await exchange(t.proxy, probeQuery(), transport, t.header(transport === 'tcp'));
      out.set(`proxy-${transport}`, { reply: r, problem: probeProblem(r, `proxy-${transport}`) });
    }
  }
  return out;
}

/** Asks with a client cookie: a server cookie back means cookies are on, and gives us a valid one. */
async function learnCookie(target: Target): Promise<{ client: Buffer; server: Buffer } | null> {
  const client = Buffer.from('f00dfacec0ffee01', 'hex');
  const reply = await exchange(target, probeQuery(client), 'udp');
  if (reply === null) return null;
  const v = viewQuery(reply);
  return v.clientCookie?.equals(client) && v.cookie ? { client, server: v.cookie.subarray(8) } : null;
}

function split(count: number, proxy: boolean): Record<Transports, number> {
  const shares: Record<Transports, number> = proxy
    ? { udp: 0.5, tcp: 0.25, 'proxy-udp': 0.15, 'proxy-tcp': 0.1 }
    : { udp: 0.65, tcp: 0.35, 'proxy-udp': 0, 'proxy-tcp': 0 };
  const out = {} as Record<Transports, number>;
  for (const k of Object.keys(shares) as Transports[]) out[k] = Math.round(count * shares[k]);
  return out;
}

function newTallies(): Record<Transports, TransportTally> {
  return {
    udp: new TransportTally(),
    tcp: new TransportTally(),
    'proxy-udp': new TransportTally(),
    'proxy-tcp': new TransportTally(),
  };
}

/** Sends counts[t] packets on each transport at once. */
async function fuzzAll(
  plans: PlanMaker,
  plain: Target,
  proxy: Target | null,
  counts: Record<Transports, number>,
  tallies: Record<Transports, TransportTally>,
  violations: Violations,
  stop: () => boolean,
): Promise<void> {
  const runs: Promise<void>[] = [
    runUdp(plain, () => plans.udp(), counts.udp, tallies.udp, violations, 'udp', { stop }),
    runTcp(plain, () => plans.tcp(), counts.tcp, tallies.tcp, violations, 'tcp', { stop }),
  ];
  if (proxy) {
    runs.push(
      runUdp(proxy, () => plans.proxyUdp(), counts['proxy-udp'], tallies['proxy-udp'], violations, 'proxy-udp', {
        stop,
        window: 128,
        sockets: 4,
        foreignAddress: FOREIGN,
      }),
      runTcp(proxy, () => plans.proxyTcp(), counts['proxy-tcp'], tallies['proxy-tcp'], violations, 'proxy-tcp', {
        stop,
        parallel: 4,
        foreignAddress: FOREIGN,
      }),
    );
  }
  await Promise.all(runs);
}

function rcodeList(t: TransportTally): string {
  return [...t.rcodes]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${rcodeName(k)} ${v}`)
    .join(', ');
}

function kindList(m: ReadonlyMap<string, number>): string {
  return [...m]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** Wraps a long comma list into indented lines. */
function wrap(text: string, indent: string, width = 110): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of text.split(', ')) {
    if (line && line.length + part.length + 2 > width) {
      lines.push(`${indent}${line},`);
      line = part;
    } else line = line ? `${line}, ${part}` : part;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const bin = `${o.root}/bin/gslb`;
  const started = Date.now();
  const failures: string[] = [];
  const warnings: string[] = [];
  const proxySkipped = o.noProxy ? 'left out (--no-proxy)' : proxyUnsupported(bin);
  const made = o.zones ? null : makeFuzzZones(`${o.root}/examples`, bin);
  const zones = o.zones ?? made!.dir;
  const server = await startServer(bin, zones, proxySkipped === null, o.workers).catch((err: unknown) => {
    made?.rm();
    throw err;
  });
  const pid = server.child.pid!;
  const dead = (): boolean => server.child.exitCode !== null || server.child.signalCode !== null;
  const plain: Target = { host: HOST, port: server.port };
  const proxy: Target | null = server.proxyPort === null ? null : { host: HOST, port: server.proxyPort };
  const gen = new FuzzGenerator(o.seed, [FUZZ_APEX]);
  const proxyHeaders = new ProxyGenerator(gen);
  const probeSource: ProxySource = { family: 4, address: Buffer.from([81, 2, 69, 1]), port: 5300 };
  const targets: ProbeTargets = { plain, proxy, header: (tcp) => proxyHeaders.headerFor(probeSource, tcp) };
  const tallies = newTallies();
  const violations = new Violations();
  const rss: RssFigures = { before: 0, samples: [], after: 0, processes: 0, eachBefore: [], eachAfter: [] };
  log(
    `fuzz: server pid ${pid} on ${HOST}:${server.port}` +
      (proxy ? `, PROXY v2 on ${HOST}:${proxy.port}` : `; PROXY listener skipped: ${proxySkipped}`) +
      `, zones ${zones}, seed ${o.seed}, count ${o.count}`,
  );
  let cookies = false;
  try {
    const before = await askAll(targets);
    for (const [, r] of before)
      if (r.problem) throw new Error(`the server answers wrongly before fuzzing: ${r.problem}`);
    const cookie = await learnCookie(plain);
    cookies = cookie !== null;
    gen.structured.cookies = cookies;
    gen.structured.cookie = cookie;

    // Warm-up with the same mix: JIT, caches (signatures, decided answers) and heap sizes settle first.
    const warm = Math.min(50_000, Math.max(10_000, Math.round(o.count / 20)));
    await fuzzAll(new PlanMaker(gen), plain, proxy, split(warm, proxy !== null), newTallies(), new Violations(), dead);
    const plans = new PlanMaker(gen);
    await delay(1000);
    const r0 = rssKb(pid);
    rss.before = r0.kb;
    rss.processes = r0.processes;
    rss.eachBefore = r0.each;
    log(`warm-up: ${warm} packets; server RSS ${mb(rss.before)} MB over ${r0.processes} process(es)`);

    const sampler = setInterval(() => {
      rss.samples.push(rssKb(pid).kb);
      const sent = Object.values(tallies).reduce((n, t) => n + t.sent, 0);
      log(`  ${sent}/${o.count} sent, RSS ${mb(rss.samples.at(-1)!)} MB`);
    }, 5_000);
    try {
      await fuzzAll(plans, plain, proxy, split(o.count, proxy !== null), tallies, violations, dead);
    } finally {
      clearInterval(sampler);
    }
    await delay(1000);
    const alive = !dead();
    if (!alive) failures.push(`server exited (code ${server.child.exitCode}, signal ${server.child.signalCode})`);
    const r1 = alive ? rssKb(pid) : r0;
    rss.after = r1.kb;
    rss.eachAfter = r1.each;
    let probeLine = 'not possible';
    if (alive) {
      const after = await askAll(targets);
      const wrong: string[] = [];
      for (const [where, r] of after) {
        if (r.problem) wrong.push(r.problem);
        else if (!r.reply!.equals(before.get(where)!.reply!)) wrong.push(`${where}: the reply differs from before`);
      }
      for (const w of wrong) failures.push(`after fuzzing: ${w}`);
      probeLine =
        wrong.length === 0 ? `correct over ${[...after.keys()].join(', ')} (byte for byte as before)` : 'WRONG';
    }
    const growth = rss.after - rss.before;
    if (growth > MAX_RSS_GROWTH_KB)
      failures.push(`server RSS grew by ${mb(growth)} MB (bound ${mb(MAX_RSS_GROWTH_KB)} MB)`);
    if (violations.total > 0) failures.push(`${violations.total} violation(s): ${violations.summary()}`);
    for (const [name, t] of Object.entries(tallies)) {
      if (t.lost > t.expectedReplies * MAX_LOSS_RATIO)
        failures.push(`${name}: ${t.lost} of ${t.expectedReplies} expected replies lost`);
      else if (t.lost > 0)
        warnings.push(
          `${name}: ${t.lost} of ${t.expectedReplies} expected replies lost (within ${MAX_LOSS_RATIO * 100}%)`,
        );
      // A stray reply is a late one to a query counted lost, or one to a packet that deserved none.
      if (t.stray > t.lost)
        failures.push(`${name}: ${t.stray} replies matching no query, e.g. ${t.straySamples.join(' ')}`);
      else if (t.stray > 0) warnings.push(`${name}: ${t.stray} late replies`);
      if (t.sendErrors > 0) warnings.push(`${name}: ${t.sendErrors} client send errors`);
    }
    if (server.errors.length > 0) {
      failures.push(
        `server logged ${server.errors.length} error(s), e.g.\n    ${server.errors.slice(0, 3).join('\n    ')}`,
      );
    }
    const total = Object.values(tallies).reduce((n, t) => n + t.sent, 0);
    const seconds = (Date.now() - started) / 1000;
    const lines = [
      '',
      `fuzz summary: seed ${o.seed}, ${total} packets in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s with start-up and warm-up)`,
      `  server: gslb serve ${o.workers === undefined ? 'with its default workers' : `--workers ${o.workers}`}, ${rss.processes} process(es); ` +
        `DNS cookies ${cookies ? 'on' : 'off (no COOKIE in replies)'}; PROXY listener ${proxy ? 'fuzzed' : `skipped: ${proxySkipped}`}`,
      '  structure-aware DNS cases by kind:',
      ...wrap(kindList(new Map([...plans.caseKinds].filter(([k]) => STRUCTURED_KINDS.includes(k)))), '    '),
      '  blind mix (valid, random, mutated) by kind:',
      ...wrap(kindList(new Map([...plans.caseKinds].filter(([k]) => !STRUCTURED_KINDS.includes(k)))), '    '),
    ];
    if (proxy) lines.push('  PROXY headers by kind:', ...wrap(kindList(plans.proxyKinds), '    '));
    for (const [name, t] of Object.entries(tallies) as [Transports, TransportTally][]) {
      if (t.sent === 0 && name.startsWith('proxy')) continue;
      lines.push(
        `  ${name}: sent ${t.sent}` +
          (name.endsWith('tcp') ? ` in ${t.tcpSessions} sessions` : '') +
          `, replies ${t.replies} of ${t.expectedReplies} expected (${rcodeList(t)}; TC ${t.truncated}), expected silences ${t.expectedSilences}, ` +
          `lost ${t.lost}, stray ${t.stray}` +
          (t.cookieKept + t.cookieRenewed > 0
            ? `; our server cookie kept ${t.cookieKept}, renewed ${t.cookieRenewed}`
            : ''),
      );
      if (name.endsWith('tcp')) lines.push(...wrap(`sessions: ${kindList(t.kinds)}`, '    '));
    }
    lines.push(`  violations: ${violations.summary()}`, ...violations.samples.map((s) => `    ${s}`));
    lines.push(
      `  server alive: ${alive ? 'yes' : 'NO'}; probe ${PROBE_NAME} A after the run: ${probeLine}`,
      `  server RSS (${rss.processes} processes summed): ${mb(rss.before)} MB after warm-up -> ${mb(rss.after)} MB at the end ` +
        `(growth ${growth >= 0 ? '+' : ''}${mb(growth)} MB, bound ${mb(MAX_RSS_GROWTH_KB)} MB); every 5 s: ${rss.samples.map(mb).join(' ')}`,
      `    by process (server first, then its workers): ${rss.eachBefore.map(mb).join(', ')} MB -> ${rss.eachAfter.map(mb).join(', ')} MB`,
      `  server error log lines: ${server.errors.length}`,
      ...warnings.map((w) => `  warning: ${w}`),
      ...failures.map((f) => `  FAIL: ${f}`),
      failures.length === 0 ? 'fuzz: PASS' : 'fuzz: FAIL',
      '',
    );
    const summary = lines.join('\n');
    log(summary);
    return {
      passed: failures.length === 0,
      failures,
      warnings,
      tallies,
      violations,
      rss,
      proxySkipped,
      cookies,
      caseKinds: plans.caseKinds,
      proxyKinds: plans.proxyKinds,
      summary,
    };
  } finally {
    await stopServer(server);
    made?.rm();
  }
}
