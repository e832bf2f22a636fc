// DNS over TCP (RFC 7766): length-prefixed framing, pipelining, idle timeouts and connection limits.
import net, { isIP, type AddressInfo } from 'node:net';
import { silentLogger, type Logger } from './log.js';
import type { Peer, QueryHandler } from './transport-types.js';

export interface TcpOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  /** Close a connection when no complete message arrives for this long. Default 10 s. */
  idleTimeoutMs?: number;
  /** Connections beyond this are refused. Default 1000. */
  maxConnections?: number;
  /** Largest accepted message; the 2-byte framing caps it at 65535 anyway. */
  maxMessageSize?: number;
  log?: Logger;
}

export interface TcpListener {
  address(): AddressInfo;
  /** Stops listening and destroys every connection at once. */
  close(): Promise<void>;
  /** Stops accepting, lets connections finish the message they are receiving, destroys stragglers after graceMs. */
  shutdown(graceMs: number): Promise<void>;
}

const DNS_HEADER_BYTES = 12;
const MAX_FRAME = 0xffff;
/** Stop reading from a client whose unread replies pile up beyond this. */
const WRITE_BACKLOG_LIMIT = 1024 * 1024;

interface ConnectionConfig {
  readonly handler: QueryHandler;
  readonly idleTimeoutMs: number;
  readonly maxMessageSize: number;
  readonly log: Logger;
}

/**
 * Splits a byte stream into DNS messages. Messages wholly inside one read are passed as views;
 * only a message straddling reads is copied, into a buffer sized by its length prefix, so a
 * client dribbling bytes costs O(message) time and at most one message of memory.
 */
class Framer {
  /** First byte of a length prefix that was split across reads, or -1. */
  private prefixHigh = -1;
  /** The message being assembled across reads. */
  private body: Buffer | null = null;
  private filled = 0;

  constructor(private readonly maxMessageSize: number) {}

  /** True while a message has been started but not completed. */
  get partial(): boolean {
    return this.prefixHigh >= 0 || this.body !== null;
  }

  /**
   * Feeds one read. Calls onMessage per complete message; stops early when it returns false.
   * Returns false on an invalid length prefix or an early stop: the connection must end.
   */
  push(data: Buffer, onMessage: (msg: Buffer) => boolean): boolean {
    let off = 0;
    while (off < data.length) {
      if (this.body !== null) {
        const copied = data.copy(this.body, this.filled, off);
        this.filled += copied;
        off += copied;
        if (this.filled < this.body.length) return true;
        const msg = this.body;
        this.body = null;
        if (!onMessage(msg)) return false;
        continue;
      }
      let len: number;
      if (this.prefixHigh >= 0) {
        len = (this.prefixHigh << 8) | data[off]!;
        this.prefixHigh = -1;
        off += 1;
      } else if (off + 1 < data.length) {
        len = data.readUInt16BE(off);
        off += 2;
      } else {
        this.prefixHigh = data[off]!;
        return true;
      }
      // Anything shorter than a header cannot be a query; zero length is a protocol error.
      if (len < DNS_HEADER_BYTES || len > this.maxMessageSize) return false;
      if (off + len <= data.length) {
        const msg = data.subarray(off, off + len);
        off += len;
        if (!onMessage(msg)) return false;
      } else {
        this.body = Buffer.allocUnsafe(len);
        this.filled = data.copy(this.body, 0, off);
        return true;
      }
    }
    return true;
  }
}

/** One client connection: its own framer and idle timer, so a stalled client never delays others. */
class Connection {
  private readonly framer: Framer;
  private readonly idleTimer: NodeJS.Timeout;
  /** Set by shutdown: hang up as soon as no message is half-received. */
  private draining = false;
  /** We have ended or destroyed the socket; further input is ignored. */
  private done = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly peer: Peer,
    private readonly cfg: ConnectionConfig,
    onClose: () => void,
  ) {
    this.framer = new Framer(cfg.maxMessageSize);
    // Our own timer rather than socket.setTimeout: that one resets on any byte, letting a dribbler live forever.
    this.idleTimer = setTimeout(this.onIdle, cfg.idleTimeoutMs);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.once('close', () => {
      clearTimeout(this.idleTimer);
      onClose();
    });
  }

  /** Graceful close for shutdown: now if idle, else right after the message in progress is answered. */
  drain(): void {
    this.draining = true;
    if (!this.framer.partial) this.hangUp();
  }

  destroy(): void {
    this.done = true;
    this.socket.destroy();
  }

  private readonly onData = (data: Buffer): void => {
    if (this.done) return;
    // Cork so replies to pipelined queries in one read leave in one write.
    this.socket.cork();
    const ok = this.framer.push(data, this.onMessage);
    this.socket.uncork();
    if (!ok || (this.draining && !this.framer.partial)) this.hangUp();
    else this.limitBacklog();
  };

  private readonly onMessage = (msg: Buffer): boolean => {
    if (this.done) return false;
    this.idleTimer.refresh();
    let reply: Buffer | null;
    try {
      reply = this.cfg.handler(msg, this.peer, 'tcp');
    } catch (err) {
      // Contract says the handler never throws; if it does, drop the client rather than leave it waiting.
      this.cfg.log.error({ err, peer: this.describePeer() }, 'tcp query failed');
      this.destroy();
      return false;
    }
    if (reply !== null) this.send(reply);
    return true;
  };

  private send(reply: Buffer): void {
    if (reply.length > MAX_FRAME) {
      this.cfg.log.warn({ peer: this.describePeer(), size: reply.length }, 'tcp reply too large to frame, dropped');
      return;
    }
    const framed = Buffer.allocUnsafe(2 + reply.length);
    framed.writeUInt16BE(reply.length, 0);
    reply.copy(framed, 2);
    this.socket.write(framed);
  }

  /** A client that sends queries but does not read answers must not grow our memory without bound. */
  private limitBacklog(): void {
    if (this.socket.writableLength <= WRITE_BACKLOG_LIMIT || this.socket.isPaused()) return;
    this.socket.pause();
    this.socket.once('drain', this.onDrain);
  }

  private readonly onDrain = (): void => {
    if (!this.done) this.socket.resume();
  };

  /** Ends after queued replies flush; the idle timer still destroys a peer that never closes its side. */
  private hangUp(): void {
    if (this.done) return;
    this.done = true;
    this.socket.end();
  }

  private readonly onIdle = (): void => {
    this.cfg.log.debug({ peer: this.describePeer() }, 'tcp idle timeout');
    this.destroy();
  };

  private readonly onError = (err: Error): void => {
    // Resets and broken pipes are routine for TCP clients.
    this.cfg.log.debug({ err, peer: this.describePeer() }, 'tcp connection error');
  };

  private describePeer(): string {
    return this.peer.family === 6
      ? `[${this.peer.address}]:${this.peer.port}`
      : `${this.peer.address}:${this.peer.port}`;
  }
}

export function startTcp(opts: TcpOptions): Promise<TcpListener> {
  const log = opts.log ?? silentLogger;
  const maxConnections = opts.maxConnections ?? 1000;
  const cfg: ConnectionConfig = {
    handler: opts.handler,
    idleTimeoutMs: opts.idleTimeoutMs ?? 10_000,
    maxMessageSize: Math.min(opts.maxMessageSize ?? MAX_FRAME, MAX_FRAME),
    log,
  };
  const conns = new Set<Connection>();

  function accept(socket: net.Socket): void {
    // At the limit we refuse the newcomer rather than evict the oldest idle connection: eviction
    // would let a flood of connections churn out established clients that are behaving well.
    if (conns.size >= maxConnections) {
      log.debug({ peer: socket.remoteAddress, limit: maxConnections }, 'tcp connection limit reached, refused');
      socket.destroy();
      return;
    }
    const { remoteAddress: address, remotePort: port } = socket;
    if (address === undefined || port === undefined) {
      socket.destroy(); // the peer already went away
      return;
    }
    const peer: Peer = { address, port, family: socket.remoteFamily === 'IPv6' ? 6 : 4 };
    const conn = new Connection(socket, peer, cfg, () => conns.delete(conn));
    conns.add(conn);
  }

  const server = net.createServer(accept);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // ipv6Only lets 0.0.0.0:N and [::]:N bind side by side.
    server.listen({ host: opts.host, port: opts.port, ipv6Only: isIP(opts.host) === 6 }, () => {
      server.off('error', reject);
      server.on('error', (err) => log.warn({ err }, 'tcp server error'));
      resolve(makeListener(server, conns));
    });
  });
}

function makeListener(server: net.Server, conns: Set<Connection>): TcpListener {
  const bound = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  // server.close() resolves only once every connection is gone, which is what both close paths wait for.
  const stopAccepting = (): Promise<void> => (closed ??= new Promise((resolve) => server.close(() => resolve())));
  const destroyAll = (): void => conns.forEach((c) => c.destroy());

  return {
    address: () => bound,
    close(): Promise<void> {
      const done = stopAccepting();
      destroyAll();
      return done;
    },
    async shutdown(graceMs: number): Promise<void> {
      const done = stopAccepting();
      conns.forEach((c) => c.drain());
      const timer = setTimeout(destroyAll, graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}
