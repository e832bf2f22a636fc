// A Frame Streams writer (the bidirectional handshake of fstrm: READY, ACCEPT, START; data frames;
// STOP, FINISH) to a dnstap collector on a unix socket or TCP. The query path only calls push(): the
// frame is written straight into a slab of a bounded pool, or dropped and counted when every slab is
// taken or the collector is not connected. Full slabs go to the socket as one write each, as fast as
// it takes them; a slab left partly filled is written after FLUSH_MS. A lost connection is tried
// again with backoff.
import net from 'node:net';
import type { Logger } from '../log.js';
import type { OutFrame } from './message.js';
import { SlabPool } from './slabs.js';

export const CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

const CONTROL_ACCEPT = 0x01;
const CONTROL_START = 0x02;
const CONTROL_STOP = 0x03;
const CONTROL_READY = 0x04;
const CONTROL_FINISH = 0x05;
const FIELD_CONTENT_TYPE = 0x01;
/** A control frame longer than this is not a collector's (fstrm caps them at 512 bytes). */
const MAX_CONTROL = 512;

export type DnstapTarget = { readonly unix: string } | { readonly host: string; readonly port: number };

export interface WriterOptions {
  readonly target: DnstapTarget;
  readonly log: Logger;
  /** The output memory: `slabs` buffers of `slabBytes` each; a frame that finds no room is dropped. */
  readonly slabBytes?: number;
  readonly slabs?: number;
  /** Called per frame: handed to the socket (sent) or dropped. */
  readonly count: (sent: number, dropped: number) => void;
  /** First reconnect delay and its cap (doubling in between). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** A control frame: the escape (0), its length, the type, and with a type the content type field. */
export function controlFrame(type: number, withContentType: boolean): Buffer {
  const ct = Buffer.from(CONTENT_TYPE, 'latin1');
  const len = 4 + (withContentType ? 8 + ct.length : 0);
  const b = Buffer.alloc(8 + len);
  b.writeUInt32BE(0, 0);
  b.writeUInt32BE(len, 4);
  b.writeUInt32BE(type, 8);
  if (withContentType) {
    b.writeUInt32BE(FIELD_CONTENT_TYPE, 12);
    b.writeUInt32BE(ct.length, 16);
    ct.copy(b, 20);
  }
  return b;
}

/** The content types a control frame lists (its fields of type CONTENT_TYPE). */
function contentTypes(body: Buffer): string[] {
  const out: string[] = [];
  for (let at = 4; at + 8 <= body.length;) {
    const field = body.readUInt32BE(at);
    const len = body.readUInt32BE(at + 4);
    if (at + 8 + len > body.length) break;
    if (field === FIELD_CONTENT_TYPE) out.push(body.toString('latin1', at + 8, at + 8 + len));
    at += 8 + len;
  }
  return out;
}

type State = 'down' | 'connecting' | 'handshake' | 'started' | 'closed';

export class DnstapWriter {
  private socket: net.Socket | null = null;
  private state: State = 'down';
  private readonly pool: SlabPool;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private backoff: number;
  private timer: NodeJS.Timeout | null = null;
  /** A flush of the full slabs is queued (setImmediate). */
  private flushing = false;
  /** A partly filled slab is written when this fires. */
  private partial: NodeJS.Timeout | null = null;
  /** Waiting for the socket's 'drain' (it buffers more than its high-water mark). */
  private blocked = false;
  private input: Buffer = Buffer.alloc(0);
  private onFinish: (() => void) | null = null;
  /** Logged once per outage, not once per attempt. */
  private warned = false;

  constructor(private readonly opts: WriterOptions) {
    this.pool = new SlabPool(opts.slabBytes ?? SLAB_BYTES, opts.slabs ?? SLABS);
    this.minBackoff = opts.backoffMs ?? 250;
    this.maxBackoff = opts.maxBackoffMs ?? 5000;
    this.backoff = this.minBackoff;
  }

  start(): void {
    this.connect();
  }

  /** Copies a data frame into the output or drops it; never blocks, never throws. */
  push(frame: OutFrame): void {
    const slab = this.state === 'started' ? this.pool.reserve(frame.size) : null;
    if (slab === null) {
      this.opts.count(0, 1);
      return;
    }
    frame.writeTo(slab, this.pool.offset);
    this.pool.commit(frame.size);
    if (this.pool.hasReady && !this.flushing && !this.blocked) {
      this.flushing = true;
      // After the current burst of queries, not inside the query path.
      setImmediate(() => this.flush());
    }
    // The frame just written sits in a slab that may not fill: it goes out within FLUSH_MS.
    if (this.partial === null) {
      this.partial = setTimeout(() => this.flushPartial(), FLUSH_MS);
      this.partial.unref();
    }
  }

  /**
   * Writes what is waiting, then sends STOP and waits for FINISH (up to ms), then closes; frames the
   * socket does not take at once are dropped.
   */
  async close(ms = 1000): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.clearPartial();
    const s = this.socket;
    const wasStarted = this.state === 'started';
    if (wasStarted) {
      this.pool.seal();
      this.flush();
    }
    this.state = 'closed';
    this.dropQueued();
    if (s === null) return;
    if (wasStarted && !s.destroyed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.onFinish = () => {
          clearTimeout(t);
          resolve();
        };
        s.once('close', () => this.onFinish?.());
        s.write(controlFrame(CONTROL_STOP, false));
      });
    }
    s.destroy();
    this.socket = null;
  }

  private connect(): void {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.input = Buffer.alloc(0);
    const t = this.opts.target;
    const s = 'unix' in t ? net.createConnection(t.unix) : net.createConnection(t.port, t.host);
    this.socket = s;
    s.setNoDelay?.(true);
    s.on('connect', () => {
      this.state = 'handshake';
      s.write(controlFrame(CONTROL_READY, true));
    });
    s.on('data', (d: Buffer) => this.onData(s, d));
    s.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
    s.on('error', (err) => {
      if (!this.warned) this.opts.log.warn({ err: err.message }, 'dnstap: collector unreachable, frames are dropped');
      this.warned = true;
    });
    s.on('close', () => this.lost(s));
  }

  private onData(s: net.Socket, d: Buffer): void {
    this.input = this.input.length === 0 ? d : Buffer.concat([this.input, d]);
    for (;;) {
      if (this.input.length < 8) return;
      // The collector sends only control frames (escape 0, then the length).
      const len = this.input.readUInt32BE(4);
      if (this.input.readUInt32BE(0) !== 0 || len < 4 || len > MAX_CONTROL) {
        this.opts.log.warn('dnstap: the collector sent something that is not a control frame');
        s.destroy();
        return;
      }
      if (this.input.length < 8 + len) return;
      const body = this.input.subarray(8, 8 + len);
      this.input = this.input.subarray(8 + len);
      this.onControl(s, body);
    }
  }

  private onControl(s: net.Socket, body: Buffer): void {
    const type = body.readUInt32BE(0);
    if (type === CONTROL_ACCEPT && this.state === 'handshake') {
      if (!contentTypes(body).includes(CONTENT_TYPE)) {
        this.opts.log.warn(`dnstap: the collector does not accept ${CONTENT_TYPE}`);
        s.destroy();
        return;
      }
      s.write(controlFrame(CONTROL_START, true));
      this.state = 'started';
      this.backoff = this.minBackoff;
      this.opts.log.info({ target: describe(this.opts.target) }, 'dnstap: streaming to the collector');
      this.warned = false;
    } else if (type === CONTROL_FINISH) {
      if (this.onFinish) this.onFinish();
      else s.destroy();
    }
  }

  /** Writes the sealed slabs until the socket's buffer is full, then waits for 'drain'. */
  private flush(): void {
    this.flushing = false;
    const s = this.socket;
    if (s === null || this.state !== 'started') return;
    let sent = 0;
    for (let c = this.pool.take(); c !== undefined; c = this.pool.take()) {
      const slab = c.slab;
      sent += c.frames;
      // The slab is reused once the socket is done with it (written, or failed when it closes).
      if (!s.write(c.bytes, () => this.pool.release(slab))) {
        this.blocked = true;
        break;
      }
    }
    if (sent > 0) this.opts.count(sent, 0);
  }

  private flushPartial(): void {
    this.partial = null;
    this.pool.seal();
    if (!this.blocked) this.flush();
  }

  private clearPartial(): void {
    if (this.partial) clearTimeout(this.partial);
    this.partial = null;
  }

  private dropQueued(): void {
    this.clearPartial();
    const n = this.pool.discard();
    if (n > 0) this.opts.count(0, n);
  }

  private lost(s: net.Socket): void {
    if (s !== this.socket) return;
    this.socket = null;
    this.blocked = false;
    this.dropQueued();
    if (this.state === 'closed') return;
    if (this.state === 'started')
      this.opts.log.warn('dnstap: the collector went away, frames are dropped until it is back');
    this.warned = this.warned || this.state === 'started';
    this.state = 'down';
    this.timer = setTimeout(() => this.connect(), this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, this.maxBackoff);
  }
}

/** One slab: one socket write when full (a dnstap frame of the largest DNS message fits). */
const SLAB_BYTES = 256 * 1024;
/** Slabs per writer: 2 MiB of frames at most waiting for or in the socket. */
const SLABS = 8;
/** A partly filled slab waits at most this long for more frames (fstrm's writers wait up to 1 s). */
const FLUSH_MS = 50;

export function describe(t: DnstapTarget): string {
  return 'unix' in t ? `unix:${t.unix}` : `tcp:${t.host}:${t.port}`;
}

/** `unix:PATH` or `tcp:ADDR:PORT` (an IPv6 address in brackets). */
export function parseDnstapTarget(text: string): DnstapTarget {
  if (text.startsWith('unix:') && text.length > 5) return { unix: text.slice(5) };
  const m = /^tcp:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (m) {
    const port = Number(m[3]);
    if (port >= 1 && port <= 65535) return { host: m[1] ?? m[2]!, port };
  }
  throw new Error(`--dnstap must be unix:PATH or tcp:ADDR:PORT, not '${text}'`);
}
