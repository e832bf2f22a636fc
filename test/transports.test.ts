// Tests the UDP and TCP transports and listen-address handling against real sockets on loopback.
import { expect } from 'chai';
import dgram from 'node:dgram';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { formatListenAddress, parseListenAddress } from '../server/listen-address.js';
import { startListeners } from '../server/listeners.js';
import type { Logger } from '../server/log.js';
import { startTcp, type TcpOptions } from '../server/tcp.js';
import type { Peer, QueryHandler, Transport } from '../server/transport-types.js';
import { startUdp } from '../server/udp.js';
import { peerHasClosed, peerHasRead } from './helpers/tcp-queues.js';

const DROP_ID = 0xd00d;
const THROW_ID = 0xbad0;
const BIG_ID = 0xb160;
const BIG_REPLY_BYTES = 60_000;

interface Call {
  id: number;
  peer: Peer;
  transport: Transport;
}

let calls: Call[] = [];
let cleanups: Array<() => unknown> = [];

/** Echoes the query with QR set; special IDs drop, throw, or get a large reply. */
const handler: QueryHandler = (msg, peer, transport) => {
  const id = msg.readUInt16BE(0);
  calls.push({ id, peer, transport });
  if (id === DROP_ID) return null;
  if (id === THROW_ID) throw new Error('handler exploded');
  const reply = Buffer.alloc(id === BIG_ID ? BIG_REPLY_BYTES : msg.length);
  msg.copy(reply);
  reply[2] = reply[2]! | 0x80;
  return reply;
};

function query(id: number, size = 12): Buffer {
  const q = Buffer.alloc(size);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2);
  return q;
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length, 0);
  return Buffer.concat([len, msg]);
}

function isAnswerTo(reply: Buffer, id: number): boolean {
  return reply.readUInt16BE(0) === id && (reply[2]! & 0x80) !== 0;
}

function track<T extends { close(): Promise<void> }>(l: T): T {
  cleanups.push(() => l.close());
  return l;
}

function recordingLogger(): Logger & { errors: unknown[] } {
  const errors: unknown[] = [];
  const noop = (): void => {};
  return { debug: noop, info: noop, warn: noop, error: (obj) => errors.push(obj), errors };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// ---------- UDP client ----------

async function udpExchange(host: string, port: number, msg: Buffer, waitMs = 1000): Promise<Buffer | null> {
  const client = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())).catch(() => {}));
  const reply = new Promise<Buffer | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), waitMs);
    client.once('message', (data) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
  client.send(msg, port, host);
  return reply;
}

// ---------- TCP client ----------

class TcpClient {
  readonly frames: Buffer[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => this.onData(d));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
    cleanups.push(() => socket.destroy());
  }

  static connect(host: string, port: number): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TcpClient(socket));
      });
    });
  }

  send(...msgs: Buffer[]): void {
    this.socket.write(Buffer.concat(msgs.map(frame)));
  }

  /** Resolves once n frames have arrived in total. */
  async waitFrames(n: number, ms = 2000): Promise<Buffer[]> {
    const reached = new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.frames.length >= n) resolve();
        else if (this.isClosed) resolve();
        else this.waiters.push(check);
      };
      check();
    });
    await withTimeout(reached, ms, `${n} tcp frames`);
    expect(this.frames.length, 'frames received before close').to.be.at.least(n);
    return this.frames.slice(0, n);
  }

  waitClosed(ms = 2000): Promise<void> {
    return withTimeout(this.closed, ms, 'tcp close');
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + len) break;
      this.frames.push(this.buf.subarray(2, 2 + len));
      this.buf = this.buf.subarray(2 + len);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}

async function tcpServer(opts: Partial<TcpOptions> = {}, host = '127.0.0.1') {
  const server = track(await startTcp({ host, port: 0, handler, ...opts }));
  return { server, port: server.address().port, connect: () => TcpClient.connect(host, server.address().port) };
}

function connectionRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

beforeEach(() => {
  calls = [];
  cleanups = [];
});

afterEach(async () => {
  const pending = cleanups.reverse();
  cleanups = [];
  for (const c of pending) await c();
});

describe('transports: udp', () => {
  it('answers a query over IPv4 and reports the peer', async () => {
    const udp = track(await startUdp({ host: '127.0.0.1', port: 0, handler }));
    const { port, family } = udp.address();
    expect(port).to.be.above(0);
    expect(family).to.equal('IPv4');
    const reply = await udpExchange('127.0.0.1', port, query(0x1234));
    expect(reply).to.not.equal(null);
    expect(isAnswerTo(reply!, 0x1234)).to.equal(true);
    expect(calls).to.have.length(1);
    expect(calls[0]!.transport).to.equal('udp');
    expect(calls[0]!.peer.address).to.equal('127.0.0.1');
    expect(calls[0]!.peer.family).to.equal(4);
    expect(calls[0]!.peer.port).to.be.above(0);
  });

  it('answers a query over IPv6', async () => {
    const udp = track(await startUdp({ host: '::1', port: 0, handler }));
    expect(udp.address().family).to.equal('IPv6');
    const reply = await udpExchange('::1', udp.address().port, query(0x4321));
    expect(isAnswerTo(reply!, 0x4321)).to.equal(true);
    expect(calls[0]!.peer).to.include({ address: '::1', family: 6 });
  });

  it('sends nothing when the handler returns null', async () => {
    const udp = track(await startUdp({ host: '127.0.0.1', port: 0, handler }));
    expect(await udpExchange('127.0.0.1', udp.address().port, query(DROP_ID), 200)).to.equal(null);
    expect(calls.map((c) => c.id)).to.deep.equal([DROP_ID]);
    expect(isAnswerTo((await udpExchange('127.0.0.1', udp.address().port, query(7)))!, 7)).to.equal(true);
  });

  it('survives a throwing handler, logs it, and keeps answering', async () => {
    const log = recordingLogger();
    const udp = track(await startUdp({ host: '127.0.0.1', port: 0, handler, log }));
    expect(await udpExchange('127.0.0.1', udp.address().port, query(THROW_ID), 200)).to.equal(null);
    expect(log.errors).to.have.length(1);
    expect(isAnswerTo((await udpExchange('127.0.0.1', udp.address().port, query(8)))!, 8)).to.equal(true);
  });

  it('binds 0.0.0.0 and :: on the same port side by side', async () => {
    const v4 = track(await startUdp({ host: '0.0.0.0', port: 0, handler }));
    const v6 = track(await startUdp({ host: '::', port: v4.address().port, handler }));
    expect(v6.address().port).to.equal(v4.address().port);
    expect(isAnswerTo((await udpExchange('::1', v6.address().port, query(9)))!, 9)).to.equal(true);
    expect(isAnswerTo((await udpExchange('127.0.0.1', v4.address().port, query(10)))!, 10)).to.equal(true);
  });

  it('rejects when the port is taken and close() is idempotent', async () => {
    const udp = await startUdp({ host: '127.0.0.1', port: 0, handler });
    let err: unknown;
    await startUdp({ host: '127.0.0.1', port: udp.address().port, handler }).catch((e: unknown) => (err = e));
    expect((err as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    await udp.close();
    await udp.close();
  });
});

describe('transports: tcp', () => {
  it('answers one query over IPv4 and IPv6', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const { connect } = await tcpServer({}, host);
      const c = await connect();
      c.send(query(0x0101, 40));
      const [reply] = await c.waitFrames(1);
      expect(isAnswerTo(reply!, 0x0101)).to.equal(true);
      expect(reply!.length).to.equal(40);
    }
    expect(calls.map((c) => [c.transport, c.peer.family])).to.deep.equal([
      ['tcp', 4],
      ['tcp', 6],
    ]);
  });

  it('answers three pipelined queries sent in one write, in order', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    c.send(query(1), query(2, 30), query(3));
    const replies = await c.waitFrames(3);
    expect(replies.map((r) => r.readUInt16BE(0))).to.deep.equal([1, 2, 3]);
  });

  it('reassembles a message dribbled one byte at a time', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    const bytes = frame(query(0x0d0d, 50));
    for (const b of bytes) {
      c.socket.write(Buffer.from([b]));
      await peerHasRead(c.socket); // each byte its own read
    }
    const [reply] = await c.waitFrames(1);
    expect(isAnswerTo(reply!, 0x0d0d)).to.equal(true);
    expect(calls).to.have.length(1);
  });

  it('handles a length prefix split across segments and a message split across writes', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    const a = frame(query(0xaaaa, 20));
    const b = frame(query(0xbbbb, 20));
    c.socket.write(a.subarray(0, 1));
    await peerHasRead(c.socket);
    c.socket.write(Buffer.concat([a.subarray(1), b.subarray(0, 1)]));
    await peerHasRead(c.socket);
    c.socket.write(b.subarray(1, 8));
    await peerHasRead(c.socket);
    c.socket.write(b.subarray(8));
    const replies = await c.waitFrames(2);
    expect(replies.map((r) => r.readUInt16BE(0))).to.deep.equal([0xaaaa, 0xbbbb]);
  });

  it('answers whole messages and keeps the partial tail of the same segment', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    const all = Buffer.concat([frame(query(1)), frame(query(2)), frame(query(3, 100))]);
    c.socket.write(all.subarray(0, 60));
    const first = await c.waitFrames(2);
    expect(first.map((r) => r.readUInt16BE(0))).to.deep.equal([1, 2]);
    c.socket.write(all.subarray(60));
    const replies = await c.waitFrames(3);
    expect(replies[2]!.length).to.equal(100);
  });

  it('closes a connection that stays idle', async () => {
    const { connect } = await tcpServer({ idleTimeoutMs: 200 });
    const c = await connect();
    const started = Date.now();
    await c.waitClosed();
    expect(Date.now() - started).to.be.within(150, 1500);
  });

  it('restarts the idle timer on each complete message but not on partial bytes', async () => {
    const { connect } = await tcpServer({ idleTimeoutMs: 300 });
    const busy = await connect();
    // Time itself is what is tested (the timer is the server's own): three gaps shorter than the idle
    // timeout, longer than it in all.
    for (let i = 0; i < 3; i++) {
      busy.send(query(i));
      await delay(200);
    }
    expect(busy.isClosed).to.equal(false);
    expect(busy.frames).to.have.length(3);

    const dribbler = await connect();
    const started = Date.now();
    const bytes = frame(query(0x0bad, 4000));
    for (let i = 0; i < bytes.length && !dribbler.isClosed; i++) {
      dribbler.socket.write(bytes.subarray(i, i + 1));
      await delay(20); // a byte every 20 ms: partial bytes, well inside the idle timeout each
    }
    await dribbler.waitClosed();
    expect(Date.now() - started).to.be.below(1500);
    expect(dribbler.frames).to.have.length(0);
  });

  it('does not let a stalled half-message client delay another client', async () => {
    const { connect } = await tcpServer();
    const staller = await connect();
    const partial = frame(query(0x5555, 200));
    staller.socket.write(partial.subarray(0, 100));
    await peerHasRead(staller.socket);
    const other = await connect();
    const started = Date.now();
    other.send(query(0x6666));
    const [reply] = await other.waitFrames(1, 500);
    expect(isAnswerTo(reply!, 0x6666)).to.equal(true);
    expect(Date.now() - started).to.be.below(500);
    expect(staller.isClosed).to.equal(false);
  });

  it('refuses connections beyond maxConnections and frees slots on close', async () => {
    const { connect } = await tcpServer({ maxConnections: 2 });
    const a = await connect();
    const b = await connect();
    a.send(query(1));
    b.send(query(2));
    await a.waitFrames(1);
    await b.waitFrames(1);

    const third = await connect();
    third.send(query(3));
    await third.waitClosed();
    expect(third.frames).to.have.length(0);

    const [aPort, serverPort] = [a.socket.localPort!, a.socket.remotePort!];
    a.socket.destroy();
    await a.waitClosed();
    await peerHasClosed(aPort, serverPort); // the server has let a's connection go: its slot is free
    const d = await connect();
    d.send(query(4));
    const [reply] = await d.waitFrames(1);
    expect(isAnswerTo(reply!, 4)).to.equal(true);
  });

  it('closes the connection on a zero-length frame after answering what came before', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    c.socket.write(Buffer.concat([frame(query(0x0a0a)), Buffer.from([0, 0])]));
    await c.waitClosed();
    expect(c.frames.map((r) => r.readUInt16BE(0))).to.deep.equal([0x0a0a]);
  });

  it('closes the connection on a frame shorter than a DNS header', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    c.socket.write(frame(Buffer.alloc(11)));
    await c.waitClosed();
    expect(c.frames).to.have.length(0);
    expect(calls).to.have.length(0);
  });

  it('drops only the offending connection when the handler throws', async () => {
    const log = recordingLogger();
    const { connect } = await tcpServer({ log });
    const bad = await connect();
    bad.send(query(THROW_ID));
    await bad.waitClosed();
    expect(log.errors).to.have.length(1);
    const good = await connect();
    good.send(query(0x0c0c));
    expect(isAnswerTo((await good.waitFrames(1))[0]!, 0x0c0c)).to.equal(true);
  });

  it('delivers every answer to a client that stops reading for a while', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    c.socket.pause();
    const n = 60; // 60 x 60 kB replies: well past the 1 MiB write backlog limit
    c.send(...Array.from({ length: n }, () => query(BIG_ID)));
    await peerHasRead(c.socket); // every query read: the replies are queued behind a client not reading
    c.socket.resume();
    const replies = await c.waitFrames(n, 5000);
    expect(replies.every((r) => r.length === BIG_REPLY_BYTES && isAnswerTo(r, BIG_ID))).to.equal(true);
  });

  it('close() destroys open connections and stops listening', async () => {
    const { server, port, connect } = await tcpServer();
    const a = await connect();
    const b = await connect();
    b.socket.write(Buffer.from([0, 40, 1, 2])); // half a message in flight
    await peerHasRead(b.socket);
    await withTimeout(server.close(), 1000, 'close()');
    await a.waitClosed(500);
    await b.waitClosed(500);
    expect(await connectionRefused('127.0.0.1', port)).to.equal(true);
    await server.close();
  });

  it('shutdown() lets an in-flight message be answered, then closes everything', async () => {
    const { server, port, connect } = await tcpServer();
    const idle = await connect();
    const busy = await connect();
    const bytes = frame(query(0x0e0e, 30));
    busy.socket.write(bytes.subarray(0, 10));
    await peerHasRead(busy.socket);

    let finished = false;
    const done = server.shutdown(5000).then(() => (finished = true));
    await idle.waitClosed(500);
    expect(await connectionRefused('127.0.0.1', port)).to.equal(true);
    expect(busy.isClosed).to.equal(false);

    busy.socket.write(bytes.subarray(10));
    const [reply] = await busy.waitFrames(1);
    expect(isAnswerTo(reply!, 0x0e0e)).to.equal(true);
    await busy.waitClosed(500);
    await withTimeout(done, 500, 'shutdown()');
    expect(finished).to.equal(true);
  });

  it('shutdown() destroys connections still mid-message when the grace period ends', async () => {
    const { server, connect } = await tcpServer();
    const staller = await connect();
    staller.socket.write(Buffer.from([0, 40, 1]));
    await peerHasRead(staller.socket);
    const started = Date.now();
    await withTimeout(server.shutdown(200), 2000, 'shutdown()');
    expect(Date.now() - started).to.be.within(150, 1500);
    await staller.waitClosed(500);
  });
});

describe('transports: listen addresses', () => {
  const good: Array<[string, string, number]> = [
    ['127.0.0.1:5353', '127.0.0.1', 5353],
    ['[::1]:5353', '::1', 5353],
    ['0.0.0.0:53', '0.0.0.0', 53],
    ['[::]:53', '::', 53],
    ['10.1.2.3:0', '10.1.2.3', 0],
    ['[2001:db8::1]:65535', '2001:db8::1', 65535],
  ];
  for (const [text, host, port] of good) {
    it(`parses ${text}`, () => {
      expect(parseListenAddress(text)).to.deep.equal({ host, port });
      expect(formatListenAddress({ host, port })).to.equal(text);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['', /must be HOST:PORT or \[IPv6\]:PORT/],
    ['127.0.0.1', /must be HOST:PORT or \[IPv6\]:PORT/],
    ['127.0.0.1:', /must be HOST:PORT or \[IPv6\]:PORT/],
    ['::1:53', /must be HOST:PORT or \[IPv6\]:PORT/],
    ['[::1]', /must be HOST:PORT or \[IPv6\]:PORT/],
    ['[127.0.0.1]:53', /brackets go around IPv6/],
    ['127.0.0.1:-1', /must be HOST:PORT/],
    ['127.0.0.1:dns', /must be HOST:PORT/],
    ['127.0.0.1:65536', /port must be 0-65535/],
    ['127.0.0.1:1000000', /port must be 0-65535/],
    ['localhost:53', /host 'localhost' must be an IP address literal/],
    ['[fe80::zz]:53', /must be an IP address literal/],
    ['256.1.1.1:53', /must be an IP address literal/],
    [':53', /must be an IP address literal/],
  ];
  for (const [text, message] of bad) {
    it(`rejects '${text}'`, () => {
      expect(() => parseListenAddress(text)).to.throw(message);
      expect(() => parseListenAddress(text)).to.throw(`'${text}'`);
    });
  }
});

describe('transports: startListeners', () => {
  it('serves UDP and TCP on the same port for every address', async () => {
    const listeners = track(
      await startListeners(
        [
          { host: '127.0.0.1', port: 0 },
          { host: '::1', port: 0 },
        ],
        handler,
      ),
    );
    expect(listeners.endpoints.map((e) => e.host)).to.deep.equal(['127.0.0.1', '::1']);
    for (const { host, port } of listeners.endpoints) {
      expect(port).to.be.above(0);
      expect(isAnswerTo((await udpExchange(host, port, query(0x0111)))!, 0x0111)).to.equal(true);
      const c = await TcpClient.connect(host, port);
      c.send(query(0x0222));
      expect(isAnswerTo((await c.waitFrames(1))[0]!, 0x0222)).to.equal(true);
    }
    expect(calls.map((c) => c.transport)).to.deep.equal(['udp', 'tcp', 'udp', 'tcp']);
  });

  it('binds 0.0.0.0 and :: on the same port', async () => {
    const v4 = track(await startListeners([{ host: '0.0.0.0', port: 0 }], handler));
    const port = v4.endpoints[0]!.port;
    const v6 = track(await startListeners([{ host: '::', port }], handler));
    expect(v6.endpoints).to.deep.equal([{ host: '::', port }]);
  });

  it('passes TCP limits through', async () => {
    const listeners = track(await startListeners([{ host: '127.0.0.1', port: 0 }], handler, { idleTimeoutMs: 100 }));
    const c = await TcpClient.connect('127.0.0.1', listeners.endpoints[0]!.port);
    await c.waitClosed(1000);
  });

  it('fails clearly on a taken TCP port and releases everything it bound', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const taken = (blocker.address() as net.AddressInfo).port;

    // A port known to be free for both protocols, to check it is released after the failure.
    const probe = await startListeners([{ host: '127.0.0.1', port: 0 }], handler);
    const free = probe.endpoints[0]!.port;
    await probe.close();

    let err: Error | undefined;
    await startListeners(
      [
        { host: '127.0.0.1', port: free },
        { host: '127.0.0.1', port: taken },
      ],
      handler,
    ).catch((e: Error) => (err = e));
    expect(err?.message).to.equal(`cannot listen on tcp 127.0.0.1:${taken}: the port is in use (EADDRINUSE)`);

    const again = track(
      await startListeners(
        [
          { host: '127.0.0.1', port: free },
          { host: '127.0.0.1', port: 0 },
        ],
        handler,
      ),
    );
    expect(again.endpoints[0]!.port).to.equal(free);
    // The UDP socket bound on the taken port before TCP failed must be released too.
    const udp = track(await startUdp({ host: '127.0.0.1', port: taken, handler }));
    expect(udp.address().port).to.equal(taken);
  });

  it('fails clearly on a taken UDP port', async () => {
    const blocker = track(await startUdp({ host: '127.0.0.1', port: 0, handler }));
    const taken = blocker.address().port;
    let err: Error | undefined;
    await startListeners([{ host: '127.0.0.1', port: taken }], handler).catch((e: Error) => (err = e));
    expect(err?.message).to.equal(`cannot listen on udp 127.0.0.1:${taken}: the port is in use (EADDRINUSE)`);
  });

  it('shutdown() closes UDP and TCP', async () => {
    const listeners = await startListeners([{ host: '127.0.0.1', port: 0 }], handler);
    const port = listeners.endpoints[0]!.port;
    await withTimeout(listeners.shutdown(1000), 1500, 'shutdown()');
    expect(await connectionRefused('127.0.0.1', port)).to.equal(true);
    const udp = track(await startUdp({ host: '127.0.0.1', port, handler }));
    expect(udp.address().port).to.equal(port);
  });
});
