// What the pipeline hands dnstap per query: the query and the reply as the client saw them, the
// client's address and port (the PROXY header's client on --proxy-listen: the pipeline's peer), the
// transport. Sampled one query in N; each kept query becomes an AUTH_QUERY and/or an AUTH_RESPONSE
// frame, copied at once (the transports reuse their buffers) and pushed to the writer's queue.
import { SourceAddress } from '../source-address.js';
import type { Peer, Transport } from '../transport-types.js';
import { AUTH_QUERY, AUTH_RESPONSE, encodeFrame, INET, INET6, TCP, UDP, type DnstapFields } from './message.js';

export type DnstapOnly = 'queries' | 'responses' | 'both';

export interface RecorderOptions {
  /** The Dnstap identity (the --nsid text, else the host name). */
  readonly identity: string;
  /** The Dnstap version (the server's name and version). */
  readonly version: string;
  /** One query in this many (1: every query). */
  readonly sample: number;
  readonly only: DnstapOnly;
  /** Takes a finished data frame; never blocks (DnstapWriter.push). */
  readonly push: (frame: Buffer) => void;
  /** The wall clock in ms with a fraction (injected in tests). */
  readonly now?: () => number;
}

export class DnstapRecorder {
  private readonly identity: Buffer;
  private readonly version: Buffer;
  private readonly source = new SourceAddress();
  private readonly fields: DnstapFields = {
    type: AUTH_QUERY,
    family: INET,
    protocol: UDP,
    address: Buffer.alloc(0),
    port: 0,
    sec: 0,
    nsec: 0,
    message: Buffer.alloc(0),
  };
  private counter = 0;
  private readonly queries: boolean;
  private readonly responses: boolean;
  private readonly now: () => number;

  constructor(private readonly opts: RecorderOptions) {
    this.identity = Buffer.from(opts.identity, 'utf8');
    this.version = Buffer.from(opts.version, 'utf8');
    this.queries = opts.only !== 'responses';
    this.responses = opts.only !== 'queries';
    // performance.now() has sub-millisecond resolution; Date.now() only milliseconds.
    this.now = opts.now ?? (() => performance.timeOrigin + performance.now());
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
    const f = this.fields;
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
      this.opts.push(encodeFrame(this.identity, this.version, f));
    }
    if (this.responses && reply !== null) {
      f.type = AUTH_RESPONSE;
      f.message = reply;
      this.opts.push(encodeFrame(this.identity, this.version, f));
    }
  }
}
