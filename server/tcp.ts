// DNS over TCP (RFC 7766): length-prefixed framing, pipelining, idle timeouts and connection limits,
// global and per client; on a PROXY listener, each connection's header names its client.
import net, { isIP, type AddressInfo } from 'node:net';
import { silentLogger, type Logger } from './log.js';
import { parseProxyV2, type ProxyDropReason } from './proxy/proxy-v2.js';
import type { Admission, ConnectionGate, TcpRefusal } from './tcp-gate.js';
import type { Peer, ProxyOptions, QueryHandler } from './transport-types.js';

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
  /** Every connection must come from `proxy.from` and start with a PROXY v2 header naming the client. */
  proxy?: ProxyOptions;
  /** Per-client admission (--tcp-max-per-client). Not applied with `proxy`: see startTcp. */
  gate?: ConnectionGate;
  /** A connection refused at accept: over maxConnections, or its address over the gate's limit. */
  onRefused?: (why: TcpRefusal) => void;
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
  /** Set on a PROXY listener: each connection starts with a header naming its client. */
  readonly proxy: ProxyOptions | null;
}

/**
 * Where a connection stands with its PROXY header: none expected (a plain listener), waiting for
 * it (held: the bytes of it so far), read, or dropped for it (counted once).
 */
type HeaderState = 'none' | 'waiting' | 'read' | 'dropped';

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
  /** The listener is closing: a connection it ends without a header is not a drop. */
  private closedByListener = false;
  private header: HeaderState;
  /** The PROXY header's bytes while they arrive in pieces. */
  private held: Buffer | null = null;

  constructor(
    private readonly socket: net.Socket,
    /** The socket's peer; on a PROXY listener, replaced by the header's source once read. */
    private peer: Peer,
    private readonly cfg: ConnectionConfig,
    onClose: () => void,
  ) {
    this.framer = new Framer(cfg.maxMessageSize);
    this.header = cfg.proxy === null ? 'none' : 'waiting';
    // Our own timer rather than socket.setTimeout: that one resets on any byte, letting a dribbler live
    // forever. It runs while a PROXY header is awaited too.
    this.idleTimer = setTimeout(this.onIdle, cfg.idleTimeoutMs);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.once('close', () => {
      clearTimeout(this.idleTimer);
      // Every connection of a PROXY listener that never brought a header is counted once, however it ended.
      if (this.header === 'waiting' && !this.closedByListener)
        this.drop(this.held === null ? 'no-header' : 'bad-header');
      onClose();
    });
    // A socket paused while its admission was decided stays paused until told.
    socket.resume();
  }

  /** Graceful close for shutdown: now if idle, else right after the message in progress is answered. */
  drain(): void {
    this.closedByListener = true;
    this.draining = true;
    if (!this.framer.partial) this.hangUp();
  }

  /** The listener's close: at once. */
  destroy(): void {
    this.closedByListener = true;
    this.kill();
  }

  private kill(): void {
    this.done = true;
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return;
    let data = chunk;
    if (this.header === 'waiting') {
      const rest = this.readHeader(chunk);
      if (rest === null) return;
      data = rest;
    }
    // Cork so replies to pipelined queries in one read leave in one write.
    this.socket.cork();
    const ok = this.framer.push(data, this.onMessage);
    this.socket.uncork();
    if (!ok || (this.draining && !this.framer.partial)) this.hangUp();
    else this.limitBacklog();
  };

  /**
   * Collects the PROXY header, which may arrive in pieces. Returns the bytes after it once it is
   * whole (the DNS stream starts there), else null: more is needed, or the connection was dropped.
   */
  private readHeader(chunk: Buffer): Buffer | null {
    const bytes = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
    const r = parseProxyV2(bytes, true);
    if (r.ok === 'incomplete') {
      // A copy: holding a view would pin the whole read buffer. At most 16 + 1024 bytes.
      this.held = bytes === chunk ? Buffer.from(chunk) : bytes;
      return null;
    }
    if (r.ok === false) {
      this.drop(r.reason);
      this.kill();
      return null;
    }
    this.header = 'read';
    this.held = null;
    this.peer = { address: r.source, port: r.sourcePort, family: r.family };
    return bytes.subarray(r.length);
  }

  private drop(reason: Exclude<ProxyDropReason, 'source-not-allowed'>): void {
    this.header = 'dropped';
    this.cfg.log.debug({ peer: this.describePeer(), reason }, 'tcp connection dropped: no valid PROXY header');
    this.cfg.proxy!.onDrop(reason, 'tcp');
  }

  private readonly onMessage = (msg: Buffer): boolean => {
    if (this.done) return false;
    this.idleTimer.refresh();
    let reply: Buffer | null;
    try {
      reply = this.cfg.handler(msg, this.peer, 'tcp');
    } catch (err) {
      // Contract says the handler never throws; if it does, drop the client rather than leave it waiting.
      this.cfg.log.error({ err, peer: this.describePeer() }, 'tcp query failed');
      this.kill();
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
    this.kill();
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
  const proxy = opts.proxy ?? null;
  const cfg: ConnectionConfig = {
    handler: opts.handler,
    idleTimeoutMs: opts.idleTimeoutMs ?? 10_000,
    maxMessageSize: Math.min(opts.maxMessageSize ?? MAX_FRAME, MAX_FRAME),
    log,
    proxy,
  };
  // Not on a PROXY listener: its connections all come from the proxy, so a per-client gate would count
  // the proxy (and refuse its clients past the limit), not the clients behind it.
  const gate = proxy === null ? (opts.gate ?? null) : null;
  const onRefused = opts.onRefused;
  const conns = new Set<Connection>();
  /** Sockets whose admission the gate has not decided yet: paused, and counted against maxConnections. */
  const waiting = new Set<net.Socket>();

  function refuse(socket: net.Socket, why: TcpRefusal): void {
    log.debug({ peer: socket.remoteAddress, why }, 'tcp connection refused');
    socket.destroy();
    onRefused?.(why);
  }

  function open(socket: net.Socket, peer: Peer, release: (() => void) | null): void {
    const conn = new Connection(socket, peer, cfg, () => {
      conns.delete(conn);
      release?.();
    });
    conns.add(conn);
  }

  function accept(socket: net.Socket): void {
    const { remoteAddress: address, remotePort: port } = socket;
    if (address === undefined || port === undefined) {
      socket.destroy(); // the peer already went away
      return;
    }
    if (proxy !== null && !proxy.from.hasText(address)) {
      socket.destroy();
      proxy.onDrop('source-not-allowed', 'tcp');
      return;
    }
    // At the limit we refuse the newcomer rather than evict the oldest idle connection: eviction
    // would let a flood of connections churn out established clients that are behaving well.
    if (conns.size + waiting.size >= maxConnections) {
      refuse(socket, 'global');
      return;
    }
    const peer: Peer = { address, port, family: socket.remoteFamily === 'IPv6' ? 6 : 4 };
    if (gate === null) {
      open(socket, peer, null);
      return;
    }
    const release = (): void => gate.release(address);
    let verdict: Admission | Promise<Admission>;
    try {
      verdict = gate.admit(address);
    } catch (err) {
      log.error({ err, peer: address }, 'tcp connection gate failed, connection closed');
      socket.destroy();
      return;
    }
    if (verdict === true) open(socket, peer, release);
    else if (typeof verdict !== 'object') refuse(socket, refusal(verdict));
    else awaitAdmission(socket, peer, verdict, release);
  }

  /** An answer to come (a worker asks its primary): the socket waits paused, under the idle timeout. */
  function awaitAdmission(socket: net.Socket, peer: Peer, verdict: Promise<Admission>, release: () => void): void {
    socket.pause();
    waiting.add(socket);
    const onError = (err: Error): void => log.debug({ err, peer: peer.address }, 'tcp connection error');
    const onClose = (): void => void waiting.delete(socket);
    socket.on('error', onError);
    socket.once('close', onClose);
    // A gate that never answers must not hold a slot for ever.
    const timer = setTimeout(() => socket.destroy(), cfg.idleTimeoutMs);
    const settle = (admission: Admission, failure: unknown): void => {
      const admitted = admission === true;
      clearTimeout(timer);
      waiting.delete(socket);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (socket.destroyed) {
        // Gone while we waited (the client, the timer or the listener's close): give the slot back.
        if (admitted) release();
      } else if (admitted) open(socket, peer, release);
      else if (failure === undefined) refuse(socket, refusal(admission));
      else {
        log.error({ err: failure, peer: peer.address }, 'tcp connection gate failed, connection closed');
        socket.destroy();
      }
    };
    verdict.then(
      (admitted) => settle(admitted, undefined),
      (err: unknown) => settle(false, err ?? new Error('gate rejected')),
    );
  }

  const server = net.createServer(accept);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // ipv6Only lets 0.0.0.0:N and [::]:N bind side by side.
    server.listen({ host: opts.host, port: opts.port, ipv6Only: isIP(opts.host) === 6 }, () => {
      server.off('error', reject);
      server.on('error', (err) => log.warn({ err }, 'tcp server error'));
      resolve(makeListener(server, conns, waiting));
    });
  });
}

/** A gate's no: false means over the per-client limit. */
function refusal(admission: Exclude<Admission, true>): TcpRefusal {
  return admission === false ? 'per-client' : admission;
}

function makeListener(server: net.Server, conns: Set<Connection>, waiting: Set<net.Socket>): TcpListener {
  const bound = server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  // server.close() resolves only once every connection is gone, which is what both close paths wait for.
  const stopAccepting = (): Promise<void> => (closed ??= new Promise((resolve) => server.close(() => resolve())));
  const destroyAll = (): void => {
    conns.forEach((c) => c.destroy());
    waiting.forEach((s) => s.destroy());
  };

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
      // Not admitted yet, nothing read from them: nothing to finish.
      waiting.forEach((s) => s.destroy());
      const timer = setTimeout(destroyAll, graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}
