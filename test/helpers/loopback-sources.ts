// Many clients on one machine: Linux treats every 127/8 address as local, so a socket bound to
// 127.0.1.1, 127.0.2.1, ... is a client in its own /24 as far as a server on 127.0.0.1 can tell. UDP
// floods from one source with every reply sorted (full, truncated, none), and TCP connections from a
// chosen source with DNS framing.
import dgram from 'node:dgram';
import net from 'node:net';
import { decodeReply, type Reply } from './dns.js';

/** A UDP socket bound to `source` (an ephemeral port). */
export function udpFrom(source: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(source) ? 'udp6' : 'udp4');
    sock.once('error', reject);
    sock.bind({ address: source, port: 0 }, () => {
      sock.off('error', reject);
      resolve(sock);
    });
  });
}

/** One query from `source` over UDP: the reply, or null when none came within timeoutMs. */
export async function udpAskFrom(
  source: string,
  port: number,
  msg: Buffer,
  timeoutMs = 1000,
  host = '127.0.0.1',
): Promise<Buffer | null> {
  const sock = await udpFrom(source);
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      sock.on('message', (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      sock.send(msg, port, host);
    });
  } finally {
    sock.close();
  }
}

/** How a server answered a burst of queries. */
export interface Tally {
  readonly sent: number;
  /** Replies without TC: the real answer (records, NXDOMAIN, NODATA, an error). */
  readonly full: number;
  /** Replies with TC and no records in any section: RRL's slip. */
  readonly slipped: number;
  /** Queries with no reply at all. */
  readonly silent: number;
  /** Replies with TC that carry records: a real truncated answer, never expected here. */
  readonly truncatedWithRecords: number;
  /** Every reply, decoded, in the order they came. */
  readonly replies: readonly Reply[];
}

export interface FloodOptions {
  readonly source: string;
  readonly port: number;
  readonly host?: string;
  readonly count: number;
  /** The queries go out in even batches over this many ms (0: all at once). */
  readonly spreadMs: number;
  /** How long to wait for replies after the last query (default 700 ms). */
  readonly settleMs?: number;
  /** The query with message ID `id` (the i-th of the flood, 0-based). */
  readonly query: (i: number, id: number) => Buffer;
}

/**
 * Sends `count` queries from one source socket and sorts the replies. Message IDs are 1..count, so
 * a reply is matched to its query and a duplicate would show (counted once).
 */
export async function udpFlood(o: FloodOptions): Promise<Tally> {
  if (o.count > 0xffff) throw new Error('a flood is at most 65535 queries (one message ID each)');
  const sock = await udpFrom(o.source);
  const seen = new Map<number, Reply>();
  sock.on('message', (raw) => {
    const id = raw.readUInt16BE(0);
    if (id >= 1 && id <= o.count && !seen.has(id)) seen.set(id, decodeReply(raw));
  });
  try {
    const batches = Math.max(1, Math.min(o.count, Math.floor(o.spreadMs / 10)));
    const perBatch = Math.ceil(o.count / batches);
    for (let i = 0; i < o.count;) {
      for (let end = Math.min(o.count, i + perBatch); i < end; i++)
        sock.send(o.query(i, i + 1), o.port, o.host ?? '127.0.0.1');
      if (i < o.count) await new Promise((r) => setTimeout(r, o.spreadMs / batches));
    }
    await new Promise((r) => setTimeout(r, o.settleMs ?? 700));
  } finally {
    sock.close();
  }
  return tally(o.count, [...seen.values()]);
}

/** Sorts replies to `sent` queries into full, slipped and silent. */
export function tally(sent: number, replies: readonly Reply[]): Tally {
  let full = 0;
  let slipped = 0;
  let truncatedWithRecords = 0;
  for (const r of replies) {
    if (!r.tc) full++;
    else if (r.answer.length + r.authority.length + r.additional.length === 0) slipped++;
    else truncatedWithRecords++;
  }
  return { sent, full, slipped, silent: sent - replies.length, truncatedWithRecords, replies };
}

/** A TCP connection from a chosen source, speaking DNS's two-byte length framing. */
export class TcpClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly queue: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  /** Set once the server (or we) closed the connection, with the time it happened. */
  closedAt: number | null = null;
  readonly openedAt = Date.now();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.queue.push(this.buf.subarray(2, 2 + len));
        this.buf = this.buf.subarray(2 + len);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closedAt ??= Date.now();
      this.wake();
    });
    socket.on('error', () => {}); // a reset by the server shows as close
  }

  /** Connects from `source` to host:port; rejects if the connection cannot be made. */
  static connect(source: string, port: number, host = '127.0.0.1', timeoutMs = 3000): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, localAddress: source });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`TCP connect from ${source} to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        resolve(new TcpClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get closed(): boolean {
    return this.closedAt !== null;
  }

  /** Sends raw bytes (a PROXY header, a lone length prefix, ...). */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends DNS messages, each with its length prefix, in one write. */
  send(...msgs: Buffer[]): void {
    const framed: Buffer[] = [];
    for (const m of msgs) framed.push(Buffer.from([m.length >> 8, m.length & 0xff]), m);
    this.socket.write(Buffer.concat(framed));
  }

  /** The next reply, or null when the connection closes or none comes within timeoutMs. */
  async next(timeoutMs = 2000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.closed && Date.now() < deadline) await this.event(deadline);
    return this.queue.shift() ?? null;
  }

  /** Resolves true once the connection is closed, false if it is still open after timeoutMs. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.event(deadline);
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Resolves on the next data or close, or at the deadline. */
  private event(deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
