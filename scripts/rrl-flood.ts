// Response rate limiting measured from outside: `gslb serve --rrl-rate R` with each --workers count
// given, a flood of one question from one /24 (127.0.9.1) at --qps for --seconds, and beside it a
// client from another /24 (127.0.10.1) asking the same question at half the rate. Counts the flood's
// whole, slipped (TC=1) and unanswered replies, the whole ones per second, and the quiet client's
// answers. With --workers N each worker enforces rate/N: the node's whole replies must come to
// about R (the first second's burst), not N x R.
// The flood's bytes received over bytes sent is the amplification a spoofed victim would see.
// usage: node dist/scripts/rrl-flood.js [--workers 1,2] [--rate 50] [--slip 2] [--qps 2000] [--seconds 5]
//                                      [--runs 3] [--name www.gslb.example.com] [--type A] [--do]
//                                      [--zones examples]
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    rate: { type: 'string', default: '50' },
    slip: { type: 'string', default: '2' },
    qps: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    name: { type: 'string', default: 'www.gslb.example.com' },
    type: { type: 'string', default: 'A' },
    do: { type: 'boolean', default: false },
    zones: { type: 'string', default: join(ROOT, 'examples') },
  },
});
const rate = Number(values.rate);
const qps = Number(values.qps);
const seconds = Number(values.seconds);

const QTYPES: Record<string, number> = { A: 1, NS: 2, SOA: 6, MX: 15, TXT: 16, AAAA: 28, DNSKEY: 48, ANY: 255 };
const qtype = QTYPES[values.type!.toUpperCase()];
if (qtype === undefined) throw new Error(`--type: one of ${Object.keys(QTYPES).join(', ')}`);

/** A query as a resolver sends it: EDNS with a 1232-byte buffer (DO with --do), no cookie. */
function query(name: string, id: number): Buffer {
  const labels = name.split('.').filter(Boolean);
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
  const opt = Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, values.do ? 0x80 : 0, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]),
    qname,
    Buffer.from([0, qtype!, 0, 1]),
    opt,
  ]);
}

async function start(workers: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'gslb'),
      'serve',
      '--zones',
      values.zones!,
      '--listen',
      '127.0.0.1:0',
      '--workers',
      String(workers),
      '--rrl-rate',
      String(rate),
      '--rrl-slip',
      values.slip!,
      '--log-level',
      'error',
      '--no-watch',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((ok, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      const m = /on 127\.0\.0\.1:(\d+)/.exec(l);
      if (m) ok(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`gslb serve exited (${code})`)));
  });
  return { child, port };
}

interface Count {
  sent: number;
  bytesSent: number;
  bytesReceived: number;
  /** The largest whole reply, in bytes. */
  largest: number;
  whole: number;
  slipped: number;
  /** Whole replies by the second of the run in which their query was sent. */
  wholePerSecond: number[];
}

/** Sends `perSecond` queries a second for `secs` seconds from `source`; counts the replies. */
async function ask(port: number, source: string, perSecond: number, secs: number, firstId: number): Promise<Count> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((ok) => socket.bind(0, source, () => ok()));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  const sentAt = new Map<number, number>();
  const c: Count = {
    sent: 0,
    bytesSent: 0,
    bytesReceived: 0,
    largest: 0,
    whole: 0,
    slipped: 0,
    wholePerSecond: Array(secs).fill(0),
  };
  socket.on('message', (m) => {
    const id = m.readUInt16BE(0);
    const second = sentAt.get(id);
    if (second === undefined) return;
    sentAt.delete(id);
    c.bytesReceived += m.length;
    if ((m[2]! & 0x02) !== 0) c.slipped++;
    else {
      c.largest = Math.max(c.largest, m.length);
      c.whole++;
      c.wholePerSecond[second]!++;
    }
  });
  const t0 = performance.now();
  const total = Math.round(perSecond * secs);
  // Paced in 10 ms steps, so the flood is spread over the run as a flood is.
  while (c.sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * perSecond) + 1);
    for (; c.sent < due; c.sent++) {
      const id = (firstId + c.sent) & 0xffff;
      sentAt.set(id, Math.min(secs - 1, Math.floor((performance.now() - t0) / 1000)));
      const q = query(values.name!, id);
      c.bytesSent += q.length;
      socket.send(q, port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 1000));
  socket.close();
  return c;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(
  `rrl-flood: --rrl-rate ${rate} --rrl-slip ${values.slip}; flood ${qps} q/s for ${seconds} s from 127.0.9.1, ` +
    `a quiet client at ${rate / 2} q/s from 127.0.10.1, same question (${values.name} ${values.type}` +
    `${values.do ? ', DO=1' : ''}); ${values.runs} runs, medians`,
);
console.log(
  'workers   sent  whole  slipped  silent  whole 1st s  whole after  quiet asked  quiet whole  query B  reply B  amplification',
);
for (const workers of values.workers!.split(',').map(Number)) {
  const rows: number[][] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    const { child, port } = await start(workers);
    // Ids kept apart so the two clients never read each other's replies on the shared loopback.
    const [flood, quiet] = await Promise.all([
      ask(port, '127.0.9.1', qps, seconds, 0),
      ask(port, '127.0.10.1', rate / 2, seconds, 40000),
    ]);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rows.push([
      flood.sent,
      flood.whole,
      flood.slipped,
      flood.sent - flood.whole - flood.slipped,
      flood.wholePerSecond[0]!,
      flood.whole - flood.wholePerSecond[0]!,
      quiet.sent,
      quiet.whole,
      flood.bytesSent / flood.sent,
      flood.largest,
      flood.bytesReceived / flood.bytesSent,
    ]);
  }
  const m = rows[0]!.map((_, i) => median(rows.map((r) => r[i]!)));
  console.log(
    [
      String(workers).padStart(7),
      ...m.map((v, i) =>
        (i === 10 ? v.toFixed(3) : String(Math.round(v))).padStart([6, 6, 8, 7, 12, 12, 12, 12, 8, 8, 14][i]!),
      ),
    ].join(' '),
  );
}
