// Fuzz drivers: UDP with a bounded window of outstanding queries over several sockets (every reply
// matched to its query by ID and checked, silences tracked by ID too), TCP sessions in parallel
// (replies in order, framing checked), and one-off exchanges for the before/after probes.
import dgram from 'node:dgram';
import net from 'node:net';
import { checkReply, type Transport, type Violations } from './fuzz-check.js';
import { viewQuery } from './fuzz-wire.js';

export interface Target {
  host: string;
  port: number;
}

/** What the server must do with a message. */
export type Expectation = 'reply' | 'silence';

/** One datagram (or one DNS message in a TCP stream) and what the server should make of it. */
export interface Probe {
  /** The generator that made it (for counts and violation samples). */
  readonly kind: string;
  /** The DNS message the server will read (after any PROXY header), or null when it must read none. */
  readonly dns: Buffer | null;
  readonly expect: Expectation;
  /** rcodes the reply must have, when the generator knows. */
  readonly rcodes?: readonly number[];
  /** A query carrying the server cookie we were given: the reply tells whether it was kept. */
  readonly realCookie?: Buffer;
}

export interface Datagram extends Probe {
  /** What goes on the wire. */
  readonly bytes: Buffer;
  /** Send it from UdpOptions.foreignAddress (an address that is not an allowed proxy). */
  readonly foreign?: boolean;
  /** Where a 2-octet ID can be stamped to match replies (wanted or not), or -1. */
  readonly idAt: number;
}

/** Counts of one transport's run. */
export class TransportTally {
  /** Datagrams, or DNS messages written on TCP connections (garbage streams count one each). */
  sent = 0;
  expectedReplies = 0;
  expectedSilences = 0;
  replies = 0;
  /** Expected replies that never came (UDP: after the timeout; TCP: the connection closed first). */
  lost = 0;
  /** Replies matching no outstanding query (late ones after a timeout, or to an unstamped packet). */
  stray = 0;
  /** The first few stray replies, in hex. */
  readonly straySamples: string[] = [];
  /** Client-side send failures (not the server's doing): their packets are not counted. */
  sendErrors = 0;
  tcpSessions = 0;
  /** Checked replies with TC set (size fitting at work). */
  truncated = 0;
  /** Replies to a query with our real server cookie that echoed it, and that brought a new one. */
  cookieKept = 0;
  cookieRenewed = 0;
  readonly rcodes = new Map<number, number>();
  /** TCP sessions by kind (framed, pipelined, split, ...). */
  readonly kinds = new Map<string, number>();

  countKind(kind: string): void {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }

  /** Checks a reply to p and counts it. */
  reply(p: Probe, reply: Buffer, transport: Transport, label: string, violations: Violations): void {
    this.replies++;
    if (p.expect === 'silence' || p.dns === null) {
      violations.add(
        'reply-to-silence',
        `a reply where the server must stay silent`,
        p.kind,
        label,
        p.dns ?? undefined,
        reply,
      );
      return;
    }
    const c = checkReply(p.dns, reply, transport, p.rcodes, viewQuery(p.dns));
    if (!c.ok) {
      violations.add(c.violation.name, c.violation.detail, p.kind, label, p.dns, reply);
      return;
    }
    this.rcodes.set(c.facts.rcode, (this.rcodes.get(c.facts.rcode) ?? 0) + 1);
    if (c.facts.tc) this.truncated++;
    if (p.realCookie && c.facts.serverCookie) {
      if (c.facts.serverCookie.equals(p.realCookie)) this.cookieKept++;
      else this.cookieRenewed++;
    }
  }
}

export interface UdpOptions {
  /** Client sockets the packets are spread over (default 8). */
  sockets?: number;
  /** Expected replies outstanding at once (default 256). */
  window?: number;
  /** A reply later than this is a loss (default 2000 ms). */
  timeoutMs?: number;
  /** The source address for `foreign` datagrams (one more socket is bound to it). */
  foreignAddress?: string;
  /** Checked before each send: stop early (the server is gone). */
  stop?: () => boolean;
}

interface Outstanding {
  readonly d: Datagram;
  readonly sentAt: number;
}

interface ClientSocket {
  readonly socket: dgram.Socket;
  readonly pending: Map<number, Outstanding>;
  nextId: number;
}

/**
 * Sends `count` datagrams from produce() to target, keeping at most `window` replies outstanding,
 * and checks every reply against the message it answers. Resolves when all are answered or timed out.
 */
export async function runUdp(
  target: Target,
  produce: () => Datagram,
  count: number,
  tally: TransportTally,
  violations: Violations,
  label: string,
  opts: UdpOptions = {},
): Promise<void> {
  const window = opts.window ?? 256;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const type = net.isIPv6(target.host) ? 'udp6' : 'udp4';
  const clients: ClientSocket[] = [];
  let outstanding = 0;
  let sent = 0;
  let turn = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const settle = (c: ClientSocket, id: number, o: Outstanding): void => {
    c.pending.delete(id);
    if (o.d.expect !== 'silence') outstanding--;
  };
  const pump = (): void => {
    // At most a window's worth of sends per call, so silent packets cannot run away with the loop.
    for (let budget = window; budget > 0 && outstanding < window && sent < count; budget--) {
      if (opts.stop?.()) {
        sent = count;
        break;
      }
      sendOne();
    }
    if (sent >= count && outstanding === 0) finish();
  };
  const sendOne = (): void => {
    const d = produce();
    const c = d.foreign ? foreign! : clients[turn++ % rotation]!;
    sent++;
    tally.sent++;
    if (d.expect === 'reply') tally.expectedReplies++;
    else tally.expectedSilences++;
    let id = -1;
    if (d.idAt >= 0 && d.idAt + 2 <= d.bytes.length) {
      do id = c.nextId = (c.nextId + 1) & 0xffff;
      while (c.pending.has(id));
      d.bytes.writeUInt16BE(id, d.idAt);
      const o = { d, sentAt: Date.now() };
      c.pending.set(id, o);
      if (d.expect !== 'silence') outstanding++;
    }
    c.socket.send(d.bytes, (err) => {
      if (!err) return;
      tally.sendErrors++;
      const o = c.pending.get(id);
      if (o?.d === d) settle(c, id, o);
    });
  };
  const open = async (nextId: number, address?: string): Promise<ClientSocket> => {
    const socket = dgram.createSocket(type);
    const c: ClientSocket = { socket, pending: new Map(), nextId };
    socket.on('error', (err) => violations.add('client-socket', err.message, 'udp', label));
    socket.on('message', (reply: Buffer) => {
      const id = reply.length >= 2 ? reply.readUInt16BE(0) : -1;
      const o = c.pending.get(id);
      if (o === undefined) {
        if (tally.stray++ < 3) tally.straySamples.push(reply.toString('hex').slice(0, 200));
        return;
      }
      settle(c, id, o);
      tally.reply(o.d, reply, 'udp', label, violations);
      pump();
    });
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    socket.setRecvBufferSize(4 * 1024 * 1024);
    await new Promise<void>((resolve) => socket.connect(target.port, target.host, resolve));
    return c;
  };

  const rotation = opts.sockets ?? 8;
  for (let i = 0; i < rotation; i++) clients.push(await open(i * 8191));
  const foreign = opts.foreignAddress ? await open(0, opts.foreignAddress) : null;
  if (foreign) clients.push(foreign);
  // Expected replies past the timeout are losses; silences are kept as long, to catch late replies.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of clients) {
      for (const [id, o] of c.pending) {
        if (now - o.sentAt < timeoutMs) continue;
        if (o.d.expect === 'reply') tally.lost++;
        settle(c, id, o);
      }
    }
    pump();
  }, 100);
  try {
    pump();
    await finished;
    // A short grace for replies that should never come.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    clearInterval(sweep);
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.socket.close(() => resolve()))));
  }
}

/** One scripted TCP connection and the replies it must get. */
export interface TcpPlan {
  /** The session's kind, with the PROXY header's in front on that listener (for violation samples). */
  readonly kind: string;
  /** The session's kind alone (framed, pipelined, ...): counted in TransportTally.kinds. */
  readonly session: string;
  /** Everything written: a PROXY header, if any, then the DNS stream. */
  readonly bytes: Buffer;
  /** Offsets at which bytes are split into separate writes (ascending). */
  readonly cuts: readonly number[];
  /** Reset instead of closing cleanly: replies may be lost. */
  readonly abort: boolean;
  /** Connect from the address that is not an allowed proxy. */
  readonly foreign: boolean;
  /** The messages the server answers, in order. */
  readonly answered: readonly Probe[];
  /** No reply at all may come (a rejected PROXY header, a foreign source). */
  readonly silent: boolean;
  /** Packets this session counts for (its framed messages; a garbage stream counts one). */
  readonly packets: number;
}

export interface TcpOptions {
  /** Sessions at once (default 8). */
  parallel?: number;
  /** How long the server may take to close after our end (default 5000 ms). */
  closeWaitMs?: number;
  /** The source address for `foreign` plans. */
  foreignAddress?: string;
  stop?: () => boolean;
}

async function runSession(
  target: Target,
  plan: TcpPlan,
  tally: TransportTally,
  violations: Violations,
  label: string,
  opts: TcpOptions,
): Promise<void> {
  const closeWaitMs = opts.closeWaitMs ?? 5000;
  const replies: Buffer[] = [];
  let buf: Buffer = Buffer.alloc(0);
  const socket = net.connect({
    host: target.host,
    port: target.port,
    ...(plan.foreign ? { localAddress: opts.foreignAddress ?? '127.0.0.2' } : {}),
  });
  socket.setNoDelay(true);
  socket.on('error', () => {}); // resets after a protocol error are expected
  socket.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
  if (!connected) {
    violations.add('tcp-connect', `connect to ${target.host}:${target.port} failed`, plan.kind, label);
    return;
  }
  tally.tcpSessions++;
  tally.sent += plan.packets;
  tally.countKind(plan.session);
  // A reset connection may lose replies in flight: they are checked, but none is owed.
  if (plan.silent) tally.expectedSilences += plan.packets;
  else if (!plan.abort) tally.expectedReplies += plan.answered.length;
  let from = 0;
  for (const cut of [...plan.cuts, plan.bytes.length]) {
    if (socket.destroyed) break;
    socket.write(plan.bytes.subarray(from, cut));
    from = cut;
    // Let each piece leave as its own segment, so the server's framer sees messages straddle reads.
    if (cut < plan.bytes.length) await new Promise((resolve) => setImmediate(resolve));
  }
  if (plan.abort) socket.resetAndDestroy();
  else socket.end();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), closeWaitMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    violations.add('tcp-hung', `server did not close within ${closeWaitMs} ms of our end`, plan.kind, label);
    socket.destroy();
  }
  if (buf.length > 0 && !plan.abort) {
    violations.add(
      'tcp-frame',
      `${buf.length} octets of an unfinished reply frame at close`,
      plan.kind,
      label,
      undefined,
      buf,
    );
  }
  if (plan.silent) {
    for (const r of replies)
      violations.add('reply-to-silence', 'a reply on a connection that must get none', plan.kind, label, undefined, r);
    return;
  }
  if (replies.length > plan.answered.length) {
    violations.add(
      'tcp-extra-replies',
      `${replies.length} replies for ${plan.answered.length} answerable messages`,
      plan.kind,
      label,
    );
  } else if (!plan.abort && replies.length < plan.answered.length) {
    tally.lost += plan.answered.length - replies.length;
    violations.add(
      'tcp-missing-replies',
      `${replies.length} replies for ${plan.answered.length} answerable messages`,
      plan.kind,
      label,
    );
  }
  replies.forEach((r, i) => {
    const p = plan.answered[i];
    if (p) tally.reply(p, r, 'tcp', label, violations);
  });
}

/** Runs sessions from produce(), `parallel` at a time, until at least minPackets were sent. */
export async function runTcp(
  target: Target,
  produce: () => TcpPlan,
  minPackets: number,
  tally: TransportTally,
  violations: Violations,
  label: string,
  opts: TcpOptions = {},
): Promise<void> {
  const start = tally.sent;
  const worker = async (): Promise<void> => {
    while (tally.sent - start < minPackets && !opts.stop?.()) {
      await runSession(target, produce(), tally, violations, label, opts);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 8 }, worker));
}

/** Sends one message (after `prefix`, a PROXY header) over UDP or TCP and resolves with the reply (null on timeout). */
export async function exchange(
  target: Target,
  msg: Buffer,
  transport: Transport,
  prefix: Buffer = Buffer.alloc(0),
  ms = 2000,
): Promise<Buffer | null> {
  if (transport === 'udp') {
    const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    try {
      return await new Promise<Buffer | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), ms);
        socket.on('message', (reply: Buffer) => {
          clearTimeout(timer);
          resolve(reply);
        });
        socket.send(Buffer.concat([prefix, msg]), target.port, target.host);
      });
    } finally {
      socket.close();
    }
  }
  const socket = net.connect({ host: target.host, port: target.port });
  try {
    return await new Promise<Buffer | null>((resolve) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => resolve(null), ms);
      socket.on('error', () => resolve(null));
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(msg.length, 0);
        socket.write(Buffer.concat([prefix, len, msg]));
      });
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
    });
  } finally {
    socket.destroy();
  }
}
