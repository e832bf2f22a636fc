// dnstap (issue #19): the hand-written protobuf, the sampling, the writer's bounded queue, and
// `gslb serve --dnstap` streaming to Debian's `dnstap` command: every query answered appears once with
// the bytes the client saw, the PROXY header's client as the address; the collector stopped and
// restarted loses frames but no answer.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUTH_QUERY,
  AUTH_RESPONSE,
  DnstapFrame,
  encodeFrame,
  INET,
  INET6,
  TCP,
  UDP,
  type DnstapFields,
  type OutFrame,
} from '../server/dnstap/message.js';
import { DnstapRecorder, type DnstapOnly } from '../server/dnstap/recorder.js';
import { SlabPool } from '../server/dnstap/slabs.js';
import { controlFrame, DnstapWriter, parseDnstapTarget } from '../server/dnstap/writer.js';
import { silentLogger } from '../server/log.js';
import { PROXY_V2_SIGNATURE } from '../server/proxy/proxy-v2.js';
import { buildQuery } from './helpers/dns.js';
import { GSLB_ZONES } from './helpers/gslb.js';
import { Running, serve, stopAll } from './helpers/processes.js';
import { metrics, series, startServe } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

// ---- a minimal protobuf reader: field number -> values (varints as numbers, the rest as bytes) ----
type Fields = Map<number, Array<number | Buffer>>;

function readVarint(b: Buffer, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const byte = b[at++]!;
    v += (byte & 0x7f) * mul;
    mul *= 128;
    if (byte < 128) return [v, at];
  }
}

function decodeProto(b: Buffer): Fields {
  const out: Fields = new Map();
  let at = 0;
  while (at < b.length) {
    const [key, next] = readVarint(b, at);
    at = next;
    const field = Math.floor(key / 8);
    let value: number | Buffer;
    switch (key & 7) {
      case 0:
        [value, at] = readVarint(b, at);
        break;
      case 2: {
        const [len, from] = readVarint(b, at);
        value = b.subarray(from, from + len);
        at = from + len;
        break;
      }
      case 5:
        value = b.readUInt32LE(at);
        at += 4;
        break;
      default:
        throw new Error(`wire type ${key & 7}`);
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** What a frame carries: the message's fields as the encoder takes them, and the wrapper's. */
interface Tapped extends DnstapFields {
  identity: string;
  version: string;
  dnstapType: number;
}

/** One Dnstap payload as the fields these tests look at; throws on a field we never write. */
function decodeDnstap(payload: Buffer): Tapped {
  const d = decodeProto(payload);
  expect([...d.keys()].sort((a, b) => a - b)).to.deep.equal([1, 2, 14, 15]);
  const m = decodeProto(d.get(14)![0] as Buffer);
  const one = (f: number) => m.get(f)?.[0];
  const response = one(1) === AUTH_RESPONSE;
  return {
    identity: (d.get(1)![0] as Buffer).toString(),
    version: (d.get(2)![0] as Buffer).toString(),
    dnstapType: d.get(15)![0] as number,
    type: one(1) as number,
    family: one(2) as number,
    protocol: one(3) as number,
    address: one(4) as Buffer,
    port: one(6) as number,
    sec: one(response ? 12 : 8) as number,
    nsec: one(response ? 13 : 9) as number,
    message: one(response ? 14 : 10) as Buffer,
  };
}

/** The data frames (payloads) of a Frame Streams byte stream; control frames are answered by `onControl`. */
class FrameStreamsReader {
  readonly frames: Buffer[] = [];
  readonly controls: number[] = [];
  private readonly server: net.Server;
  private readonly sockets: net.Socket[] = [];
  constructor(readonly path: string) {
    this.server = net.createServer((s) => {
      this.sockets.push(s);
      let buf = Buffer.alloc(0);
      s.on('error', () => {});
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf.length < 4) return;
          const len = buf.readUInt32BE(0);
          if (len !== 0) {
            if (buf.length < 4 + len) return;
            this.frames.push(Buffer.from(buf.subarray(4, 4 + len)));
            buf = buf.subarray(4 + len);
            continue;
          }
          if (buf.length < 8 || buf.length < 8 + buf.readUInt32BE(4)) return;
          const type = buf.readUInt32BE(8);
          this.controls.push(type);
          if (type === 0x04) s.write(controlFrame(0x01, true)); // READY -> ACCEPT
          if (type === 0x03) s.end(controlFrame(0x05, false)); // STOP -> FINISH
          buf = buf.subarray(8 + buf.readUInt32BE(4));
        }
      });
    });
  }
  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }
  /** Stops reading (a slow collector): the writer's socket fills up. */
  pause(): void {
    for (const s of this.sockets) s.pause();
  }
  resume(): void {
    for (const s of this.sockets) s.resume();
  }
  /** Cuts every connection (a collector that dies). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A data frame given as bytes (the writer's tests push these rather than encoded messages). */
class Bytes implements OutFrame {
  private readonly bytes: Buffer;
  constructor(bytes: number[]) {
    this.bytes = Buffer.from(bytes);
  }
  get size(): number {
    return this.bytes.length;
  }
  writeTo(buf: Buffer, at: number): void {
    this.bytes.copy(buf, at);
  }
}

describe('dnstap', function () {
  this.timeout(60_000);

  describe('the protobuf encoder', () => {
    const identity = Buffer.from('ns1');
    const version = Buffer.from('gslb test');
    const table: Array<[string, Parameters<typeof encodeFrame>[2]]> = [
      [
        'an IPv4 UDP query',
        {
          type: AUTH_QUERY,
          family: INET,
          protocol: UDP,
          address: Buffer.from([192, 0, 2, 1]),
          port: 53000,
          sec: 1_700_000_000,
          nsec: 123_456_789,
          message: Buffer.from('query bytes'),
        },
      ],
      [
        'an IPv6 TCP response of 300 bytes (two-byte lengths)',
        {
          type: AUTH_RESPONSE,
          family: INET6,
          protocol: TCP,
          address: Buffer.alloc(16, 0x20),
          port: 1,
          sec: 4_102_444_800,
          nsec: 999_999_999,
          message: Buffer.alloc(300, 7),
        },
      ],
    ];
    for (const [what, f] of table)
      it(`writes ${what} as a data frame dnstap.proto decodes`, () => {
        const frame = encodeFrame(identity, version, f);
        expect(frame.readUInt32BE(0)).to.equal(frame.length - 4);
        const t = decodeDnstap(frame.subarray(4));
        expect(t).to.deep.equal({
          identity: 'ns1',
          version: 'gslb test',
          dnstapType: 1,
          type: f.type,
          family: f.family,
          protocol: f.protocol,
          address: f.address,
          port: f.port,
          sec: f.sec,
          nsec: f.nsec,
          message: f.message,
        });
      });

    it('writes the bytes dnstap.proto orders its fields in (a frame of the first row, byte for byte)', () => {
      expect(encodeFrame(identity, version, table[0]![1]).toString('hex')).to.equal(
        '0000003c0a036e7331120967736c62207465737472280801100118012204c000020130889e034080e2cfaa064d15cd5b07520b' +
          '71756572792062797465737801',
      );
    });

    it('writes frames back to back into one slab, each decoding to its own fields', () => {
      // One frame object reused for every message, as the recorder does: nothing of the last stays.
      const frame = new DnstapFrame(identity, version);
      const rows: DnstapFields[] = [
        table[1]![1],
        table[0]![1],
        { ...table[0]![1], type: AUTH_RESPONSE, message: Buffer.alloc(127, 1), port: 65535 },
        { ...table[1]![1], type: AUTH_QUERY, message: Buffer.alloc(0), sec: 0, nsec: 0 },
      ];
      const slab = Buffer.alloc(2048, 0xee);
      let at = 7;
      const ends: number[] = [];
      for (const row of rows) {
        Object.assign(frame.fields, row);
        frame.measure();
        frame.writeTo(slab, at);
        at += frame.size;
        ends.push(at);
      }
      // Nothing written past the frames.
      expect(slab.subarray(at).every((b) => b === 0xee)).to.equal(true);
      at = 7;
      rows.forEach((row, i) => {
        const len = slab.readUInt32BE(at);
        expect(at + 4 + len, `frame ${i}`).to.equal(ends[i]);
        const t = decodeDnstap(slab.subarray(at + 4, at + 4 + len));
        const { identity: id, version: v, dnstapType, ...msg } = t;
        expect([id, v, dnstapType]).to.deep.equal(['ns1', 'gslb test', 1]);
        expect(msg, `frame ${i}`).to.deep.equal(row);
        // The same bytes as a frame encoded on its own.
        expect(slab.subarray(at, ends[i]).equals(encodeFrame(identity, version, row))).to.equal(true);
        at = ends[i]!;
      });
    });

    it('parses --dnstap targets and refuses others', () => {
      expect(parseDnstapTarget('unix:/run/dnstap.sock')).to.deep.equal({ unix: '/run/dnstap.sock' });
      expect(parseDnstapTarget('tcp:127.0.0.1:6000')).to.deep.equal({ host: '127.0.0.1', port: 6000 });
      expect(parseDnstapTarget('tcp:[::1]:6000')).to.deep.equal({ host: '::1', port: 6000 });
      for (const bad of ['unix:', 'tcp:127.0.0.1', 'tcp:127.0.0.1:0', 'tcp:::1:53', 'udp:1.2.3.4:5', '/run/x'])
        expect(() => parseDnstapTarget(bad), bad).to.throw(/unix:PATH or tcp:ADDR:PORT/);
    });
  });

  describe('the recorder', () => {
    const peer = { address: '::ffff:198.51.100.9', port: 4242, family: 6 as const };
    const cases: Array<[number, DnstapOnly, boolean, number[]]> = [
      // sample, only, answered, the message types pushed for 6 queries
      [1, 'both', true, Array<number[]>(6).fill([AUTH_QUERY, AUTH_RESPONSE]).flat()],
      [3, 'both', true, [AUTH_QUERY, AUTH_RESPONSE, AUTH_QUERY, AUTH_RESPONSE]],
      [2, 'queries', true, [AUTH_QUERY, AUTH_QUERY, AUTH_QUERY]],
      [1, 'responses', true, Array<number>(6).fill(AUTH_RESPONSE)],
      [1, 'both', false, Array<number>(6).fill(AUTH_QUERY)],
    ];
    for (const [sample, only, answered, types] of cases)
      it(`one in ${sample}, ${only}, ${answered ? 'answered' : 'dropped by rate limiting'}`, () => {
        const pushed: Buffer[] = [];
        const r = new DnstapRecorder({
          identity: 'n',
          version: 'v',
          sample,
          only,
          // The writer copies the frame during the call: so does this.
          push: (f) => {
            const b = Buffer.alloc(f.size);
            f.writeTo(b, 0);
            pushed.push(b);
          },
          now: () => 1_700_000_000_250.5,
        });
        const query = Buffer.from('q');
        const reply = Buffer.from('reply');
        for (let i = 0; i < 6; i++) r.record(query, answered ? reply : null, peer, 'udp');
        // The transports reuse their buffers: what was pushed is a copy.
        reply.fill(0);
        query.fill(0);
        const got = pushed.map((f) => decodeDnstap(f.subarray(4)));
        expect(got.map((t) => t.type)).to.deep.equal(types);
        for (const t of got) {
          // An IPv4-mapped source is the IPv4 client.
          expect([t.family, [...t.address].join('.'), t.port]).to.deep.equal([INET, '198.51.100.9', 4242]);
          expect([t.sec, t.nsec]).to.deep.equal([1_700_000_000, 250_500_000]);
          expect(t.message.toString()).to.equal(t.type === AUTH_QUERY ? 'q' : 'reply');
        }
      });
  });

  describe('the slab pool', () => {
    // Steps on a pool of 2 slabs of 10 bytes: reserve N (and write N bytes of the step's number),
    // seal, take (the bytes of the oldest sealed chunk, or none), release (the slab last taken).
    type Step =
      ['reserve', number, 'ok' | 'none'] | ['seal'] | ['take', string | null] | ['release'] | ['discard', number];
    const cases: Array<[string, Step[]]> = [
      [
        'fills a slab, seals it when the next frame does not fit, and hands full slabs out in order',
        [
          ['reserve', 4, 'ok'],
          ['reserve', 6, 'ok'],
          ['reserve', 3, 'ok'],
          ['take', '00000000010101010101'],
          ['seal'],
          ['take', '020202'],
          ['take', null],
        ],
      ],
      [
        'has no room once both slabs are taken, and room again once one is released',
        [
          ['reserve', 10, 'ok'],
          ['reserve', 10, 'ok'],
          ['reserve', 1, 'none'],
          ['take', '00000000000000000000'],
          ['reserve', 1, 'none'],
          ['release'],
          ['reserve', 1, 'ok'],
          ['take', '01010101010101010101'],
          ['seal'],
          ['take', '06'],
        ],
      ],
      [
        'refuses a frame larger than a slab',
        [['reserve', 11, 'none'], ['reserve', 10, 'ok'], ['seal'], ['take', '01010101010101010101']],
      ],
      [
        'discards what was not taken and counts its frames',
        [
          ['reserve', 5, 'ok'],
          ['reserve', 5, 'ok'],
          ['reserve', 5, 'ok'],
          ['discard', 3],
          ['take', null],
          ['reserve', 10, 'ok'],
          ['reserve', 10, 'ok'],
          ['reserve', 1, 'none'],
        ],
      ],
    ];
    for (const [what, steps] of cases)
      it(what, () => {
        const pool = new SlabPool(10, 2);
        let taken: Buffer | null = null;
        steps.forEach((step, i) => {
          const where = `step ${i}: ${step.join(' ')}`;
          switch (step[0]) {
            case 'reserve': {
              const slab = pool.reserve(step[1]);
              expect(slab === null ? 'none' : 'ok', where).to.equal(step[2]);
              if (slab !== null) {
                slab.fill(i, pool.offset, pool.offset + step[1]);
                pool.commit(step[1]);
              }
              break;
            }
            case 'seal':
              pool.seal();
              break;
            case 'take': {
              const c = pool.take();
              expect(c ? c.bytes.toString('hex') : null, where).to.equal(step[1]);
              if (c) taken = c.slab;
              break;
            }
            case 'release':
              pool.release(taken!);
              break;
            case 'discard':
              expect(pool.discard(), where).to.equal(step[1]);
              break;
          }
        });
      });
  });

  describe('the writer', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gslb-dnstap-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** A collector listening on dir/name and a writer aimed at it (not started), counting what it sends and drops. */
    async function writerTo(name: string, slabBytes: number, slabs: number) {
      const reader = new FrameStreamsReader(join(dir, name));
      await reader.listen();
      const n = { sent: 0, dropped: 0 };
      const count = (s: number, d: number) => ((n.sent += s), (n.dropped += d));
      const w = new DnstapWriter({
        target: { unix: reader.path },
        log: silentLogger,
        slabBytes,
        slabs,
        backoffMs: 20,
        count,
      });
      return { reader, w, n };
    }

    it('handshakes, sends in order, stops with STOP/FINISH, and drops beyond its queue', async () => {
      // Two slabs of two 5-byte frames each.
      const { reader, w, n } = await writerTo('c.sock', 10, 2);
      // Before the handshake nothing is queued: dropped, counted.
      w.push(new Bytes([0, 0, 0, 1, 9]));
      expect(n.dropped).to.equal(1);
      w.start();
      await until('START', () => reader.controls.includes(0x02));
      // Ten frames in one turn of the event loop: the slabs hold four, six are dropped.
      for (let i = 0; i < 10; i++) w.push(new Bytes([0, 0, 0, 1, i]));
      expect(n.dropped).to.equal(7);
      await until('four frames', () => reader.frames.length === 4);
      expect(reader.frames.map((f) => f[0])).to.deep.equal([0, 1, 2, 3]);
      expect(n.sent).to.equal(4);
      // The socket gave the slabs back: ten more, five turns of two, all go through.
      for (let i = 10; i < 20; i += 2) {
        w.push(new Bytes([0, 0, 0, 1, i]));
        w.push(new Bytes([0, 0, 0, 1, i + 1]));
        await until('the two frames', () => reader.frames.length === i - 4);
      }
      expect(reader.frames.map((f) => f[0])).to.deep.equal([
        0,
        1,
        2,
        3,
        ...Array.from({ length: 10 }, (_, i) => 10 + i),
      ]);
      expect([n.sent, n.dropped]).to.deep.equal([14, 7]);
      await w.close();
      expect(reader.controls).to.deep.equal([0x04, 0x02, 0x03]);
      await reader.close();
    });

    it('drops and counts while the collector does not read, and sends every frame it kept once it does', async () => {
      const { reader, w, n } = await writerTo('slow.sock', 4096, 4);
      w.start();
      await until('START', () => reader.controls.includes(0x02));
      reader.pause();
      // 100-byte frames numbered from 0, a hundred per turn of the event loop, until the kernel's
      // buffer, the socket's and the four slabs are full and frames are dropped.
      const frame = (i: number) =>
        new Bytes([0, 0, 0, 96, i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255, ...Array<number>(92).fill(7)]);
      let pushed = 0;
      while (n.dropped === 0) {
        for (let k = 0; k < 100; k++) w.push(frame(pushed++));
        await new Promise((r) => setImmediate(r));
        expect(pushed, 'nothing dropped after 10 MB').to.be.below(100_000);
      }
      // Dropping goes on while the collector does not read: what is kept stays bounded.
      const keptBefore = pushed - n.dropped;
      for (let k = 0; k < 1000; k++) w.push(frame(pushed++));
      expect(pushed - n.dropped - keptBefore).to.be.at.most(4096 / 100);
      reader.resume();
      await until(
        'every frame kept, through the socket',
        () => n.sent + n.dropped === pushed && reader.frames.length === n.sent,
      );
      const numbers = reader.frames.map((f) => f.readUInt32BE(0));
      // In order, none twice; the first ones all there (nothing was full yet).
      expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).to.equal(true);
      expect(numbers.slice(0, 100)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
      // The slabs came back: a frame alone goes through again.
      w.push(frame(pushed++));
      await until('the frame after', () => reader.frames.length === n.sent && n.sent + n.dropped === pushed);
      expect(reader.frames.at(-1)!.readUInt32BE(0)).to.equal(pushed - 1);
      await w.close();
      await reader.close();
    });

    it('gets its slabs back from a connection that dies with writes pending', async () => {
      const { reader: first, w, n } = await writerTo('dies.sock', 4096, 2);
      const path = first.path;
      w.start();
      await until('START', () => first.controls.includes(0x02));
      first.pause();
      const frame = new Bytes([0, 0, 0, 96, ...Array<number>(96).fill(1)]);
      // Until both slabs are in the socket (written but not yet taken by the kernel) or full.
      while (n.dropped === 0) {
        for (let k = 0; k < 100; k++) w.push(frame);
        await new Promise((r) => setImmediate(r));
      }
      first.cut();
      await first.close();
      const second = new FrameStreamsReader(path);
      await second.listen();
      await until('START again', () => second.controls.includes(0x02), 5000);
      // Both slabs are free again: two slabs of frames in each of three turns all go through.
      const before = [n.sent, n.dropped];
      for (let turn = 0; turn < 3; turn++) {
        for (let k = 0; k < 80; k++) w.push(frame);
        await until("the turn's frames", () => second.frames.length === 80 * (turn + 1));
      }
      expect([n.sent - before[0]!, n.dropped - before[1]!]).to.deep.equal([240, 0]);
      await w.close();
      await second.close();
    });

    it('reconnects with backoff when the collector comes (back)', async () => {
      const path = join(dir, 'late.sock');
      const w = new DnstapWriter({ target: { unix: path }, log: silentLogger, count: () => {}, backoffMs: 20 });
      w.start();
      await new Promise((r) => setTimeout(r, 100));
      const reader = new FrameStreamsReader(path);
      await reader.listen();
      await until('START after the collector appeared', () => reader.controls.includes(0x02), 5000);
      // One frame alone: it goes out when its partly filled slab's wait is over.
      w.push(new Bytes([0, 0, 0, 1, 42]));
      await until('the frame', () => reader.frames.length === 1);
      await w.close();
      await reader.close();
    });
  });

  describe('the flags', () => {
    it('gslb help serve lists the dnstap flags', () => {
      const r = spawnSync(process.execPath, ['bin/gslb', 'help', 'serve'], { encoding: 'utf8' });
      for (const flag of ['--dnstap WHERE', '--dnstap-sample N', '--dnstap-only WHAT'])
        expect(r.stdout).to.include(flag);
    });

    it('refuses bad dnstap flags with a usage error', () => {
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['bin/gslb', 'serve', '--zones', GSLB_ZONES, ...args], { encoding: 'utf8' });
      for (const [args, message] of [
        [['--dnstap', 'udp:1.2.3.4:5'], /--dnstap must be unix:PATH or tcp:ADDR:PORT/],
        [['--dnstap', 'unix:/x', '--dnstap-only', 'answers'], /--dnstap-only must be queries, responses or both/],
        [['--dnstap', 'unix:/x', '--dnstap-sample', '0'], /dnstap-sample/],
        [['--dnstap-sample', '5'], /need --dnstap/],
      ] as const) {
        const r = run([...args]);
        expect(r.status, r.stderr).to.equal(2);
        expect(r.stderr).to.match(message);
      }
    });
  });

  describe('gslb serve --dnstap with the dnstap command', function () {
    let dir: string;
    before(function () {
      if (spawnSync('sh', ['-c', 'command -v dnstap']).status !== 0) {
        if (process.env['CI'] === 'true') throw new Error('the dnstap command is needed (CI=true)');
        console.log('    (skipped: no `dnstap` command; apt-get install golang-github-dnstap-golang-dnstap-cli)');
        this.skip();
      }
    });
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gslb-dnstap-'))));
    afterEach(async () => {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    const collector = async (args: string[]): Promise<Running> => {
      const c = new Running(spawn('dnstap', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      await c.waitFor(/opened input socket/, 5000);
      return c;
    };

    /** A query from a socket of our own: its port is the one dnstap must name. */
    async function udpAsk(port: number, msg: Buffer, header: Buffer | null = null): Promise<[Buffer, number]> {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      try {
        const reply = new Promise<Buffer>((resolve, reject) => {
          s.once('message', resolve);
          setTimeout(() => reject(new Error('no UDP reply')), 3000);
        });
        s.send(header ? Buffer.concat([header, msg]) : msg, port, '127.0.0.1');
        return [await reply, s.address().port];
      } finally {
        s.close();
      }
    }

    async function tcpAsk(port: number, msg: Buffer): Promise<[Buffer, number]> {
      const s = net.connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      s.write(Buffer.concat([len, msg]));
      let buf = Buffer.alloc(0);
      const reply = await new Promise<Buffer>((resolve, reject) => {
        s.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
            resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        });
        setTimeout(() => reject(new Error('no TCP reply')), 3000);
      });
      const localPort = s.localPort!;
      s.destroy();
      return [reply, localPort];
    }

    /** A PROXY v2 header (UDP over IPv4) naming this client. */
    function proxyHeader(address: string, port: number): Buffer {
      const block = Buffer.alloc(12);
      address.split('.').forEach((o, i) => (block[i] = Number(o)));
      block.set([127, 0, 0, 1], 4);
      block.writeUInt16BE(port, 8);
      block.writeUInt16BE(53, 10);
      return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x12, 0, 12]), block]);
    }

    it('logs every query and reply once, with the bytes the client saw and the PROXY client', async () => {
      // The dnstap command relays what it reads (-u) to a Frame Streams socket (-U): the frames it
      // accepted from us, byte for byte, reach this test's reader.
      const reader = new FrameStreamsReader(join(dir, 'relay.sock'));
      await reader.listen();
      const relay = await collector(['-u', join(dir, 'tap.sock'), '-U', reader.path]);
      const { node, port } = await serve([
        '--zones',
        GSLB_ZONES,
        '--no-watch',
        '--nsid',
        'tap-node',
        '--dnstap',
        `unix:${join(dir, 'tap.sock')}`,
        '--proxy-listen',
        '127.0.0.1:0',
        '--proxy-from',
        '127.0.0.1/32',
      ]);
      const proxyPort = Number((await node.waitFor(/proxy protocol v2 on 127\.0\.0\.1:(\d+)/))[1]);
      await node.waitFor(/dnstap: streaming to the collector/);
      const ecs = { code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '198.51.100.0' };
      const asked: Array<{ q: Buffer; r: Buffer; address: string; port: number; protocol: number }> = [];
      const lbQuery = buildQuery({ name: 'www.lb.test', edns: { options: [ecs as never] } });
      let [r, p] = await udpAsk(port, lbQuery);
      asked.push({ q: lbQuery, r, address: '127.0.0.1', port: p, protocol: UDP });
      const soa = buildQuery({ name: 'lb.test', type: 'SOA' });
      [r, p] = await tcpAsk(port, soa);
      asked.push({ q: soa, r, address: '127.0.0.1', port: p, protocol: TCP });
      const missing = buildQuery({ name: 'nowhere.lb.test', edns: {} });
      [r, p] = await udpAsk(port, missing);
      asked.push({ q: missing, r, address: '127.0.0.1', port: p, protocol: UDP });
      const proxied = buildQuery({ name: 'www.lb.test', type: 'AAAA', edns: { options: [ecs as never] } });
      [r] = await udpAsk(proxyPort, proxied, proxyHeader('203.0.113.77', 4711));
      asked.push({ q: proxied, r, address: '203.0.113.77', port: 4711, protocol: UDP });
      // The ECS answers carry the decision's scope: their bytes are what dnstap must show.
      for (const a of [asked[0]!, asked[3]!]) {
        const opt = dnsPacket.decode(a.r).additionals!.find((rr) => rr.type === 'OPT') as unknown as {
          options: Array<{ code: number; scopePrefixLength?: number }>;
        };
        expect(opt.options.find((o) => o.code === 8)?.scopePrefixLength).to.be.above(0);
      }

      // The relay flushes its output every few seconds.
      await until('8 frames through the dnstap command', () => reader.frames.length >= 8, 30_000, 100);
      const tapped = reader.frames.map(decodeDnstap);
      expect(tapped).to.have.length(8);
      const nowSec = Date.now() / 1000;
      for (const a of asked) {
        const q = tapped.filter((t) => t.type === AUTH_QUERY && t.message.equals(a.q));
        const r = tapped.filter((t) => t.type === AUTH_RESPONSE && t.message.equals(a.r));
        expect([q.length, r.length], a.q.toString('hex')).to.deep.equal([1, 1]);
        for (const t of [q[0]!, r[0]!]) {
          expect([t.family, [...t.address].join('.'), t.port, t.protocol]).to.deep.equal([
            INET,
            a.address,
            a.port,
            a.protocol,
          ]);
          expect([t.identity, t.dnstapType]).to.deep.equal(['tap-node', 1]);
          expect(t.version).to.match(/^gslb \d/);
          expect(Math.abs(t.sec - nowSec)).to.be.below(60);
        }
      }
      await node.stop();
      await relay.stop();
      await reader.close();
    });

    it('streams to a TCP collector, one query in N, responses only', async () => {
      const free = net.createServer();
      await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
      const tapPort = (free.address() as net.AddressInfo).port;
      await new Promise((r) => free.close(r));
      const c = new Running(
        spawn('dnstap', ['-l', `127.0.0.1:${tapPort}`, '-j'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      // It prints nothing when it listens: the writer's reconnects find it once it does.
      const args = ['--zones', GSLB_ZONES, '--no-watch', '--dnstap', `tcp:127.0.0.1:${tapPort}`];
      const { node, port } = await serve([...args, '--dnstap-sample', '3', '--dnstap-only', 'responses']);
      await node.waitFor(/dnstap: streaming to the collector/);
      const ids: number[] = [];
      for (let i = 0; i < 9; i++) {
        const [reply] = await udpAsk(port, buildQuery({ name: 'lb.test', type: 'SOA', id: 100 + i }));
        ids.push(reply.readUInt16BE(0));
      }
      const lines = () => c.stdout.split('\n').filter((l) => l.startsWith('{'));
      await until('3 responses', () => lines().length >= 3, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      const got = lines().map((l) => JSON.parse(l) as { message: { type: string; response_message: string } });
      expect(got.map((g) => g.message.type)).to.deep.equal(['AUTH_RESPONSE', 'AUTH_RESPONSE', 'AUTH_RESPONSE']);
      // The third, sixth and ninth queries (one in 3), as the dnstap command prints their replies.
      expect(got.map((g) => /id: (\d+)/.exec(g.message.response_message)![1])).to.deep.equal(['102', '105', '108']);
      expect(ids).to.deep.equal([100, 101, 102, 103, 104, 105, 106, 107, 108]);
    });

    it('with workers, loses frames but no answer while the collector is away, and streams again after', async () => {
      const sock = join(dir, 'tap.sock');
      const first = await collector(['-u', sock, '-j']);
      const node = await startServe(GSLB_ZONES, ['--workers', '2', '--dnstap', `unix:${sock}`]);
      // Each worker has its own connection.
      await first.waitFor(/accepted connection 2/, 10_000);
      const lines = (c: Running) => c.stdout.split('\n').filter((l) => l.startsWith('{'));
      const ask = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const [reply] = await udpAsk(node.port, buildQuery({ name: 'lb.test', type: 'SOA', id: i }));
          expect(reply.readUInt16BE(0)).to.equal(i);
        }
      };
      await ask(10);
      await until('20 messages', () => lines(first).length === 20, 10_000);
      expect(lines(first).map((l) => (JSON.parse(l) as { message: { type: string } }).message.type)).to.include.members(
        ['AUTH_QUERY', 'AUTH_RESPONSE'],
      );
      await first.stop();
      // Every query is still answered (ask() throws on a missing reply).
      await ask(20);
      const second = await collector(['-u', sock, '-j']);
      await until(
        'messages to the restarted collector',
        async () => {
          await ask(1);
          return lines(second).length > 0;
        },
        20_000,
        200,
      );
      await until(
        'sent and dropped frames in /metrics',
        async () => {
          const m = await metrics(node);
          return (
            (m.get(series('gslb_dnstap_frames_total', { result: 'sent' })) ?? 0) >= 20 &&
            (m.get(series('gslb_dnstap_frames_total', { result: 'dropped' })) ?? 0) > 0
          );
        },
        10_000,
        250,
      );
    });
  });
});
