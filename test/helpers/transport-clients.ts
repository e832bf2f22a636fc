// Raw DNS-transport clients for the transport tests (PROXY v2, abuse): a recording handler that
// answers with the peer it saw, UDP and TCP clients bound to a chosen loopback source, and cleanup.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Peer, QueryHandler, Transport } from '../../server/transport-types.js';

/** What the handler was given: the message (copied) and the peer. */
export interface Seen {
  readonly msg: Buffer;
  readonly peer: Peer;
  readonly transport: Transport;
}

/**
 * A handler that answers every message of at least 12 bytes with its header (QR set) followed by
 * the peer it saw as text, 'address|port|family', and records what it saw.
 */
export function peerEchoHandler(): { handler: QueryHandler; seen: Seen[] } {
  const seen: Seen[] = [];
  const handler: QueryHandler = (msg, peer, transport) => {
    seen.push({ msg: Buffer.from(msg), peer: { ...peer }, transport });
    if (msg.length < 12) return null;
    const reply = Buffer.concat([msg.subarray(0, 12), Buffer.from(`${peer.address}|${peer.port}|${peer.family}`)]);
    reply[2] = reply[2]! | 0x80;
    return reply;
  };
  return { handler, seen };
}

/** The peer a peerEchoHandler reply names. */
export function peerOf(reply: Buffer): Peer {
  const [address, port, family] = reply.subarray(12).toString().split('|');
  return { address: address!, port: Number(port), family: Number(family) === 6 ? 6 : 4 };
}

export function query(id: number, size = 12): Buffer {
  const q = Buffer.alloc(size);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2);
  return q;
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length, 0);
  return Buffer.concat([len, msg]);
}

/** Things to undo after each test, last first. */
export class Cleanups {
  private pending: Array<() => unknown> = [];

  add(f: () => unknown): void {
    this.pending.push(f);
  }

  track<T extends { close(): Promise<void> }>(l: T): T {
    this.add(() => l.close());
    return l;
  }

  async run(): Promise<void> {
    const all = this.pending.reverse();
    this.pending = [];
    for (const f of all) await f();
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A UDP socket bound to a source address, its replies queued in order. */
export class UdpClient {
  private readonly queue: Buffer[] = [];
  private waiter: (() => void) | null = null;

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (m) => {
      this.queue.push(m);
      this.waiter?.();
    });
  }

  static open(cleanups: Cleanups, source = '127.0.0.1'): Promise<UdpClient> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(net.isIPv6(source) ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind({ address: source, port: 0 }, () => {
        socket.off('error', reject);
        cleanups.add(() => new Promise<void>((r) => socket.close(() => r())));
        resolve(new UdpClient(socket));
      });
    });
  }

  send(msg: Buffer, port: number, host = '127.0.0.1'): void {
    this.socket.send(msg, port, host);
  }

  /** The next reply in arrival order. */
  async next(ms = 2000): Promise<Buffer> {
    while (this.queue.length === 0) {
      await withTimeout(new Promise<void>((r) => (this.waiter = r)), ms, 'a udp reply');
      this.waiter = null;
    }
    return this.queue.shift()!;
  }
}

/** A TCP connection with DNS framing: frames received in order, and its close. */
export class TcpClient {
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
  }

  static connect(cleanups: Cleanups, port: number, host = '127.0.0.1', source?: string): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, localAddress: source });
      cleanups.add(() => socket.destroy());
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

  /** Resolves once n frames have arrived in total; fails if the connection closes first. */
  async waitFrames(n: number, ms = 2000): Promise<Buffer[]> {
    const reached = new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.frames.length >= n || this.isClosed) resolve();
        else this.waiters.push(check);
      };
      check();
    });
    await withTimeout(reached, ms, `${n} tcp frames`);
    if (this.frames.length < n) throw new Error(`connection closed after ${this.frames.length} of ${n} frames`);
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
