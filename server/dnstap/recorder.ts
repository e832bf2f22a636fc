// What the pipeline hands dnstap per query: the query and the reply as the client saw them, the
// client's address and port (the PROXY header's client on --proxy-listen: the pipeline's peer), the
// transport. Sampled one query in N; each kept query becomes an AUTH_QUERY and/or an AUTH_RESPONSE
// frame, copied at once into the writer's output (the transports reuse their buffers).
import { performance } from 'node:perf_hooks';
import { SourceAddress } from '../source-address.js';
import type { Peer, Transport } from '../transport-types.js';
import { AUTH_QUERY, AUTH_RESPONSE, DnstapFrame, INET, INET6, TCP, UDP, type OutFrame } from './message.js';

export type DnstapOnly = 'queries' | 'responses' | 'both';

export interface RecorderOptions {
  /** The Dnstap identity (the --nsid text, else the host name). */
  readonly identity: string;
  /** The Dnstap version (the server's name and version). */
  readonly version: string;
  /** One query in this many (1: every query). */
  readonly sample: number;
  readonly only: DnstapOnly;
  /** Copies the frame out (during the call) or drops it; never blocks (DnstapWriter.push). */
  readonly push: (frame: OutFrame) => void;
  /** The wall clock in ms with a fraction (injected in tests). */
  readonly now?: () => number;
}

export class DnstapRecorder {
  private readonly source = new SourceAddress();
  private readonly frame: DnstapFrame;
  private counter = 0;
  private readonly queries: boolean;
  private readonly responses: boolean;
  private readonly now: () => number;

  constructor(private readonly opts: RecorderOptions) {
    this.frame = new DnstapFrame(Buffer.from(opts.identity, 'utf8'), Buffer.from(opts.version, 'utf8'));
    this.queries = opts.only !== 'responses';
    this.responses = opts.only !== 'queries';
    // performance.now() has sub-millisecond resolution; Date.now() only milliseconds. The origin is
    // read once: its getter costs as much as the clock.
    const origin = performance.timeOrigin;
    this.now = opts.now ?? (() => origin + performance.now());
  }

  /**
   * One query answered (reply) or not (null: dropped by rate limiting). The query and response
   * times are one reading of the clock when the reply is ready: the pipeline answers synchronously,
   * in microseconds.
   */
  record(query: Buffer, reply: Buffer | null, peer: Peer, transport: Transport): void {
    if (++this.counter < this.opts.sample) return;
    this.counter = 0;
    // A peer that is not an IP literal (never from a socket) has no address to log.
    if (!this.source.update(peer)) return;
    const frame = this.frame;
    const f = frame.fields;
    f.family = this.source.family === 4 ? INET : INET6;
    f.protocol = transport === 'tcp' ? TCP : UDP;
    f.address = this.source.bytes;
    f.port = peer.port;
    const ms = this.now();
    const sec = Math.floor(ms / 1000);
    f.sec = sec;
    f.nsec = Math.min(999_999_999, Math.floor((ms - sec * 1000) * 1e6));
    if (this.queries) {
      f.type = AUTH_QUERY;
      f.message = query;
      frame.measure();
      this.opts.push(frame);
    }
    if (this.responses && reply !== null) {
      f.type = AUTH_RESPONSE;
      f.message = reply;
      frame.measure();
      this.opts.push(frame);
    }
  }
}
