// Fuzzes the real server (a child process on 127.0.0.1) with seeded mutated/random packets over UDP and TCP, then checks it survived, still answers and did not grow.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  answerSummary,
  exchange,
  FuzzGenerator,
  FuzzTally,
  fuzzTcp,
  fuzzUdp,
  probeQuery,
  type Target,
} from './fuzz-packets.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/scripts -> project root
const BIN = join(ROOT, 'bin', 'gslb');
const HOST = '127.0.0.1';
const WARMUP_QUERIES = 5000;
const MAX_RSS_GROWTH_KB = 30 * 1024;
/** Unanswered UDP queries tolerated as loopback loss before we call it a server fault. */
const MAX_LOSS_RATIO = 0.001;

const USAGE = 'usage: node dist/scripts/fuzz.js [--count N] [--seed S] [--zones DIR]\n';

interface Server {
  child: ChildProcess;
  port: number;
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

/** The child to kill if we are interrupted, so no server outlives the fuzzer. */
let running: ChildProcess | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running?.kill('SIGKILL');
    process.exit(130);
  });
}

async function startServer(zones: string): Promise<Server> {
  let lastError = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--zones', zones, '--listen', `${HOST}:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    const errors: string[] = [];
    const stderrTail: string[] = [];
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
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
      const timer = setTimeout(() => ok(false), 15_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('gslb serving')) {
          clearTimeout(timer);
          ok(true);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        ok(false);
      });
    });
    if (ready) return { child, port, errors, exited };
    child.kill('SIGKILL');
    await exited;
    lastError = stderrTail.join('\n');
    // Only a lost race for the port is worth another try.
    if (!/EADDRINUSE|address already in use/.test(lastError)) break;
  }
  throw new Error(`server did not start:\n${lastError}`);
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 3000);
  await s.exited;
  clearTimeout(timer);
}

function memoryKb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

function zoneApexes(dir: string): string[] {
  return readdirSync(dir)
    .filter((e) => !e.startsWith('.') && statSync(join(dir, e)).isDirectory())
    .map((e) => e.replace(/\.$/, ''));
}

interface Probe {
  name: string;
  type: 'A' | 'SOA';
  /** Address the answer must contain, when we know the zone. */
  address: string | null;
}

function probeFor(apexes: string[]): Probe {
  if (apexes.includes('gslb.example.com')) return { name: 'mail.gslb.example.com', type: 'A', address: '192.0.2.25' };
  return { name: apexes[0] ?? '.', type: 'SOA', address: null };
}

/** Asks the probe over one transport; returns the reply or a reason it is wrong. */
async function ask(
  target: Target,
  p: Probe,
  transport: 'udp' | 'tcp',
): Promise<{ reply: Buffer | null; error: string | null }> {
  const reply = await exchange(target, probeQuery(p.name, p.type), transport);
  if (reply === null) return { reply, error: `no ${transport} reply to ${p.name} ${p.type}` };
  const s = answerSummary(reply);
  if (s.rcode !== 'NOERROR') return { reply, error: `${transport} ${p.name} ${p.type}: ${s.rcode}` };
  if (p.address !== null && !s.addresses.includes(p.address)) {
    return {
      reply,
      error: `${transport} ${p.name} ${p.type}: answer ${s.addresses.join(',') || '(none)'} lacks ${p.address}`,
    };
  }
  return { reply, error: null };
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      zones: { type: 'string', default: join(ROOT, 'examples') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const count = positiveInt('count', values.count);
  const seed = positiveInt('seed', values.seed);
  const zones = resolve(values.zones);
  const apexes = zoneApexes(zones);
  const probe = probeFor(apexes);
  const started = Date.now();
  const failures: string[] = [];
  const warnings: string[] = [];

  const server = await startServer(zones);
  const pid = server.child.pid!;
  const target: Target = { host: HOST, port: server.port };
  process.stdout.write(
    `fuzz: server pid ${pid} on ${HOST}:${server.port}, zones ${zones}, seed ${seed}, count ${count}\n`,
  );
  try {
    const gen = new FuzzGenerator(seed, apexes);
    for (const t of ['udp', 'tcp'] as const) {
      const r = await ask(target, probe, t);
      if (r.error) throw new Error(`server answers wrongly before fuzzing: ${r.error}`);
    }
    const baseline = (await ask(target, probe, 'udp')).reply!;

    // Warm-up with valid queries, so the RSS baseline includes a JIT-compiled, settled hot path.
    const warm = new FuzzTally();
    await fuzzUdp(target, () => gen.validQuery(), WARMUP_QUERIES, warm);
    const before = memoryKb(pid);
    process.stdout.write(`warm-up: ${warm.summary()}\n`);

    const kinds = new Map<string, number>();
    const udp = new FuzzTally();
    const next = (): Buffer => {
      const p = gen.next();
      const top = p.kind.split('+')[0]!;
      kinds.set(top, (kinds.get(top) ?? 0) + 1);
      return p.bytes;
    };
    // Stop early once the server is gone, instead of waiting out every burst.
    const dead = (): boolean => server.child.exitCode !== null || server.child.signalCode !== null;
    const step = Math.max(1, Math.ceil(count / 10));
    for (let done = 0; done < count && !dead(); done += step) {
      await fuzzUdp(target, next, Math.min(step, count - done), udp, { stop: dead });
      process.stdout.write(`udp: ${udp.sent}/${count} sent\n`);
    }
    const tcp = new FuzzTally();
    const sessions = dead() ? 0 : await fuzzTcp(target, gen, Math.max(200, Math.ceil(count / 10)), tcp);
    process.stdout.write(`tcp: ${sessions} sessions\n`);

    await delay(500);
    const alive = !dead();
    if (!alive) failures.push(`server exited (code ${server.child.exitCode}, signal ${server.child.signalCode})`);
    let after = before;
    if (alive) {
      after = memoryKb(pid);
      for (const t of ['udp', 'tcp'] as const) {
        const r = await ask(target, probe, t);
        if (r.error) failures.push(`after fuzzing: ${r.error}`);
        else if (t === 'udp' && !r.reply!.equals(baseline))
          failures.push('after fuzzing: the UDP reply differs from before');
      }
    }
    const growth = after.rss - before.rss;
    if (growth > MAX_RSS_GROWTH_KB) failures.push(`RSS grew by ${(growth / 1024).toFixed(1)} MB (limit 30 MB)`);
    for (const [name, t] of [
      ['warm-up', warm],
      ['udp', udp],
      ['tcp', tcp],
    ] as const) {
      if (t.bad > 0) failures.push(`${name}: ${t.bad} bad replies or sessions, e.g.\n    ${t.problems.join('\n    ')}`);
      const lost = t.unanswered + t.stray;
      if (lost > 0) {
        const msg = `${name}: ${t.unanswered} unanswered, ${t.stray} stray replies`;
        (lost > t.expected * MAX_LOSS_RATIO ? failures : warnings).push(msg);
      }
    }
    if (server.errors.length > 0) {
      failures.push(
        `server logged ${server.errors.length} error(s), e.g.\n    ${server.errors.slice(0, 3).join('\n    ')}`,
      );
    }

    const kindList = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
    process.stdout.write(
      [
        '',
        `fuzz summary (seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
        `  udp packets by generator: ${kindList.join(', ')}`,
        `  udp: ${udp.summary()}`,
        `  tcp: ${sessions} sessions; ${tcp.summary()}`,
        `  server alive: ${alive ? 'yes' : 'NO'}; probe ${probe.name} ${probe.type} over udp+tcp after the run: ` +
          (!alive ? 'not possible' : failures.some((f) => f.startsWith('after fuzzing')) ? 'WRONG' : 'correct'),
        `  RSS: ${(before.rss / 1024).toFixed(1)} MB after warm-up -> ${(after.rss / 1024).toFixed(1)} MB after fuzzing ` +
          `(growth ${(growth / 1024).toFixed(1)} MB, limit 30 MB; peak ${(after.hwm / 1024).toFixed(1)} MB)`,
        `  server error log lines: ${server.errors.length}`,
        ...warnings.map((w) => `  warning: ${w}`),
        ...failures.map((f) => `  FAIL: ${f}`),
        failures.length === 0 ? 'fuzz: PASS' : 'fuzz: FAIL',
        '',
      ].join('\n'),
    );
    return failures.length === 0 ? 0 : 1;
  } finally {
    await stopServer(server);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
