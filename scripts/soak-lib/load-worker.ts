// The soak's load generator, a worker thread of scripts/soak.ts (its own event loop, so the soak's
// HTTP backends and timers neither slow it nor are slowed by it). Legitimate clients: one connected
// UDP socket per source address, each in its own /24 of 127/8, and a few TCP connections, asking the
// mix of queries.ts at an open-loop rate; the flood: sockets in 127.66.66.0/24 asking one name far
// above the RRL rate, in bursts. Every query is tracked by ID until answered or timed out, never
// retried. `measure` runs a closed loop instead (each UDP client asks again as soon as it is
// answered) and reports the replies per second: the maximum the soak runs at half of.
import dgram from 'node:dgram';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { seeded } from '../../zones/prng.js';
import type { ClientClass, FromLoad, LoadConfig, LoadStats, ToLoad } from './load-types.js';
import { drawTable, FLOOD_KIND, MIX, type Expect, type QueryKind } from './queries.js';
import { emptyCounts, LatencyHistogram, Tracker, type KindCounts } from './tracker.js';

const cfg = workerData as LoadConfig;
const SERVER = '127.0.0.1';
const post = (m: FromLoad) => parentPort!.postMessage(m);

const counts: Record<ClientClass, KindCounts[]> = {
  udp: MIX.map(emptyCounts),
  tcp: MIX.map(emptyCounts),
  flood: [emptyCounts()],
};
const latency = { udp: new LatencyHistogram(), tcp: new LatencyHistogram() };
let stray = 0;
let tcpReconnects = 0;
let socketErrors = 0;
const wrongSamples: string[] = [];
let measuring = false;
let measuredReplies = 0;
let stopping = false;

/** Legitimate queries timed out and not (yet) answered late, by the second of the run they were sent in. */
const lostBySecond: number[] = [];
const secondOf = (sentAtMs: number) => Math.max(0, Math.floor((sentAtMs - runningSince) / 1000));
function lost(sentAtMs: number): void {
  const s = secondOf(sentAtMs);
  while (lostBySecond.length <= s) lostBySecond.push(0);
  lostBySecond[s]!++;
}
function unlost(sentAtMs: number): void {
  const s = secondOf(sentAtMs);
  if (lostBySecond[s]) lostBySecond[s]!--;
}

/** What a reply is: what its kind expects, RRL's slip (TC=1, no answer), or wrong. */
function verdict(msg: Buffer, expect: Expect): 'ok' | 'slipped' | 'wrong' {
  if (msg.length < 12) return 'wrong';
  const flags = msg.readUInt16BE(2);
  const rcode = flags & 0x0f;
  const answers = msg.readUInt16BE(6);
  if ((flags & 0x8000) === 0) return 'wrong';
  if ((flags & 0x0200) !== 0 && answers === 0) return 'slipped';
  if (expect === 'answer') return rcode === 0 && answers > 0 ? 'ok' : 'wrong';
  if (expect === 'nodata') return rcode === 0 && answers === 0 ? 'ok' : 'wrong';
  return rcode === 3 ? 'ok' : 'wrong';
}

function describe(cls: ClientClass, kind: QueryKind, msg: Buffer): string {
  if (msg.length < 12) return `${cls} ${kind.label}: ${msg.length}-byte reply`;
  const flags = msg.readUInt16BE(2);
  return `${cls} ${kind.label}: rcode ${flags & 0x0f}, ${msg.readUInt16BE(6)} answer(s)${flags & 0x0200 ? ', TC' : ''}, expected ${kind.expect}`;
}

function onReply(cls: ClientClass, kinds: readonly QueryKind[], tracker: Tracker, msg: Buffer, now: number): void {
  const timing = msg.length >= 2 ? tracker.reply(msg.readUInt16BE(0), now) : 'stray';
  if (timing === 'stray') {
    stray++;
    return;
  }
  const kind = kinds[tracker.kind]!;
  const c = counts[cls][tracker.kind]!;
  if (timing === 'late') {
    c.late++;
    if (cls !== 'flood') unlost(tracker.sentAtMs);
  } else {
    if (cls !== 'flood') latency[cls].add(tracker.latencyMs);
    if (measuring) measuredReplies++;
  }
  const v = verdict(msg, kind.expect);
  c[v]++;
  if (v === 'wrong' && wrongSamples.length < 5) wrongSamples.push(describe(cls, kind, msg));
}

/** Copies a kind's query with its ID set (a fresh buffer: the previous one may still be queued). */
function queryBytes(kind: QueryKind, id: number, framed: boolean): Buffer {
  const off = framed ? 2 : 0;
  const buf = Buffer.allocUnsafe(kind.bytes.length + off);
  if (framed) buf.writeUInt16BE(kind.bytes.length, 0);
  kind.bytes.copy(buf, off);
  buf.writeUInt16BE(id, off);
  return buf;
}

class UdpClient {
  readonly tracker = new Tracker();
  private readonly socket = dgram.createSocket('udp4');
  constructor(
    private readonly source: string,
    readonly cls: 'udp' | 'flood',
    private readonly kinds: readonly QueryKind[],
  ) {
    this.socket.on('message', (msg) => {
      const now = performance.now();
      onReply(cls, kinds, this.tracker, msg, now);
      if (measuring) this.send(drawKind(), now);
    });
    this.socket.on('error', () => socketErrors++);
  }
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: this.source, port: 0 }, () =>
        this.socket.connect(cfg.port, SERVER, () => {
          this.socket.off('error', reject);
          resolve();
        }),
      );
    });
  }
  send(kind: number, now: number): void {
    const c = counts[this.cls][kind]!;
    const id = this.tracker.take(kind, now);
    if (id < 0) {
      c.unsent++;
      return;
    }
    this.socket.send(queryBytes(this.kinds[kind]!, id, false));
    c.sent++;
  }
  close(): void {
    this.socket.close();
  }
}

class TcpClient {
  readonly tracker = new Tracker();
  private socket: net.Socket | null = null;
  private connected = false;
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly source: string) {}
  /** Resolves once connected (the first time; a closed connection is made again by itself). */
  connect(): Promise<void> {
    const s = net.connect({ host: SERVER, port: cfg.port, localAddress: this.source });
    this.socket = s;
    s.setNoDelay(true);
    const connected = new Promise<void>((resolve) => s.once('connect', resolve));
    s.on('connect', () => (this.connected = true));
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', () => socketErrors++);
    s.on('close', () => {
      this.connected = false;
      this.socket = null;
      this.pending = Buffer.alloc(0);
      if (stopping) return;
      tcpReconnects++;
      setTimeout(() => void this.connect(), 200);
    });
    return connected;
  }
  private onData(d: Buffer): void {
    const now = performance.now();
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, d]) : d;
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      onReply('tcp', MIX, this.tracker, buf.subarray(2, 2 + len), now);
      buf = buf.subarray(2 + len);
    }
    this.pending = buf;
  }
  send(kind: number, now: number): void {
    const c = counts.tcp[kind]!;
    const id = this.connected ? this.tracker.take(kind, now) : -1;
    if (id < 0) {
      c.unsent++;
      return;
    }
    this.socket!.write(queryBytes(MIX[kind]!, id, true));
    c.sent++;
  }
  close(): void {
    this.socket?.destroy();
  }
}

/** Open-loop pacing: how many queries are due now at `qps` since it was set. */
class Pacer {
  private qps = 0;
  private since = 0;
  private issued = 0;
  behind = 0;
  set(qps: number, now: number): void {
    this.qps = qps;
    this.since = now;
    this.issued = 0;
  }
  due(now: number): number {
    if (this.qps <= 0) return 0;
    const n = Math.floor(((now - this.since) * this.qps) / 1000) - this.issued;
    this.issued += n;
    // A stalled event loop does not catch up in one burst: more than 100 ms late is skipped, and said.
    const cap = Math.max(1, Math.ceil(this.qps / 10));
    if (n <= cap) return n;
    this.behind += n - cap;
    return cap;
  }
}

const rng = seeded(cfg.seed);
const table = drawTable(MIX);
const drawKind = () => table[(rng() * 1000) | 0]!;
const udp = cfg.udpSources.map((s) => new UdpClient(s, 'udp', MIX));
const tcp = cfg.tcpSources.map((s) => new TcpClient(s));
const flood = cfg.floodSources.map((s) => new UdpClient(s, 'flood', [FLOOD_KIND]));
const legitPace = new Pacer();
const floodPace = new Pacer();
let legitSent = 0;
let udpNext = 0;
let tcpNext = 0;
let runningSince = 0;
let stoppedAt = 0;
let lastSweep = 0;

function sendLegit(now: number): void {
  const kind = drawKind();
  legitSent++;
  if (cfg.tcpEvery > 0 && legitSent % cfg.tcpEvery === 0 && tcp.length > 0)
    tcp[tcpNext++ % tcp.length]!.send(kind, now);
  else udp[udpNext++ % udp.length]!.send(kind, now);
}

function sweep(now: number): void {
  for (const c of udp)
    c.tracker.sweep(now, cfg.timeoutMs, (k, sentAtMs) => {
      counts.udp[k]!.timedOut++;
      if (measuring) c.send(drawKind(), now);
      else lost(sentAtMs);
    });
  for (const c of tcp)
    c.tracker.sweep(now, cfg.timeoutMs, (k, sentAtMs) => {
      counts.tcp[k]!.timedOut++;
      lost(sentAtMs);
    });
  for (const c of flood) c.tracker.sweep(now, cfg.timeoutMs, (k) => counts.flood[k]!.timedOut++);
}

let floodNext = 0;
function tick(): void {
  const now = performance.now();
  for (let n = legitPace.due(now); n > 0; n--) sendLegit(now);
  for (let n = floodPace.due(now); n > 0; n--) flood[floodNext++ % flood.length]!.send(0, now);
  if (now - lastSweep >= 20) {
    lastSweep = now;
    sweep(now);
  }
}

function stats(): LoadStats {
  return {
    counts,
    latency: { udp: [...latency.udp.buckets], tcp: [...latency.tcp.buckets] },
    stray,
    behind: legitPace.behind,
    tcpReconnects,
    socketErrors,
    wrongSamples,
    lostBySecond,
    runningMs: runningSince === 0 ? 0 : (stoppedAt || performance.now()) - runningSince,
  };
}

function reset(): void {
  for (const cls of ['udp', 'tcp', 'flood'] as const) counts[cls] = counts[cls].map(emptyCounts);
  latency.udp = new LatencyHistogram();
  latency.tcp = new LatencyHistogram();
  for (const c of [...udp, ...tcp, ...flood]) c.tracker.clear();
  stray = 0;
  socketErrors = 0;
  wrongSamples.length = 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(seconds: number): Promise<void> {
  measuring = true;
  const now = performance.now();
  for (const c of udp) c.send(drawKind(), now);
  await sleep(1000); // ramp up, not counted
  measuredReplies = 0;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const qps = (measuredReplies * 1000) / (performance.now() - t0);
  measuring = false;
  await sleep(cfg.timeoutMs + 500);
  sweep(performance.now());
  const timedOut = counts.udp.reduce((s, c) => s + c.timedOut, 0);
  reset();
  post({ type: 'measured', qps, timedOut });
}

async function run(qps: number): Promise<void> {
  if (runningSince === 0) {
    await Promise.all(tcp.map((c) => c.connect()));
    runningSince = performance.now();
  }
  legitPace.set(qps, performance.now());
  post({ type: 'running' });
}

async function stop(): Promise<void> {
  legitPace.set(0, 0);
  floodPace.set(0, 0);
  stoppedAt = performance.now();
  // Late replies still count as late until the last query's timeout has passed, and a little more.
  await sleep(cfg.timeoutMs + 1000);
  stopping = true;
  sweep(performance.now());
  clearInterval(timer);
  for (const c of [...udp, ...tcp, ...flood]) c.close();
  post({ type: 'stopped', stats: stats() });
}

const timer = setInterval(tick, 1);
parentPort!.on('message', (m: ToLoad) => {
  const now = performance.now();
  switch (m.type) {
    case 'measure':
      void measure(m.seconds);
      break;
    case 'run':
      void run(m.qps);
      break;
    case 'flood':
      floodPace.set(m.qps, now);
      break;
    case 'snapshot':
      post({ type: 'snapshot', stats: stats() });
      break;
    case 'stop':
      void stop();
      break;
  }
});

Promise.all([...udp, ...flood].map((c) => c.open())).then(
  () => post({ type: 'ready' }),
  (err: Error) => post({ type: 'error', message: `cannot open the load's sockets: ${err.message}` }),
);
