// One dnstap message (dnstap.proto, github.com/dnstap/dnstap.pb) encoded by hand: the few fields an
// authoritative server fills, written as a Frame Streams data frame (its 4-byte length first)
// straight into the writer's output buffer. The constant parts (identity, version, the wrapper's
// keys) are encoded once per recorder; a frame only writes what varies per message.

/** Message.Type values we send. */
export const AUTH_QUERY = 1;
export const AUTH_RESPONSE = 2;
/** SocketFamily. */
export const INET = 1;
export const INET6 = 2;
/** SocketProtocol. */
export const UDP = 1;
export const TCP = 2;

/** What goes into one Dnstap message (the bytes fields are copied when the frame is written). */
export interface DnstapFields {
  /** AUTH_QUERY or AUTH_RESPONSE. */
  type: number;
  family: number;
  protocol: number;
  /** The client's address: 4 or 16 bytes. */
  address: Buffer;
  port: number;
  /** Seconds since the epoch and the nanoseconds within that second. */
  sec: number;
  nsec: number;
  /** The query message (AUTH_QUERY), or the response message (AUTH_RESPONSE). */
  message: Buffer;
}

/** A frame the writer copies into its output: its size in bytes (length prefix included), then the bytes. */
export interface OutFrame {
  readonly size: number;
  /** Writes exactly `size` bytes at `at`. */
  writeTo(buf: Buffer, at: number): void;
}

// Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited, 5 fixed32).
const DNSTAP_IDENTITY = (1 << 3) | 2;
const DNSTAP_VERSION = (2 << 3) | 2;
const DNSTAP_MESSAGE = (14 << 3) | 2;
const DNSTAP_TYPE = (15 << 3) | 0;
const DNSTAP_TYPE_MESSAGE = 1;
const MSG_TYPE = (1 << 3) | 0;
const MSG_FAMILY = (2 << 3) | 0;
const MSG_PROTOCOL = (3 << 3) | 0;
const MSG_QUERY_ADDRESS = (4 << 3) | 2;
const MSG_QUERY_PORT = (6 << 3) | 0;
const MSG_QUERY_TIME_SEC = (8 << 3) | 0;
const MSG_QUERY_TIME_NSEC = (9 << 3) | 5;
const MSG_QUERY_MESSAGE = (10 << 3) | 2;
const MSG_RESPONSE_TIME_SEC = (12 << 3) | 0;
const MSG_RESPONSE_TIME_NSEC = (13 << 3) | 5;
const MSG_RESPONSE_MESSAGE = (14 << 3) | 2;

/** Bytes of a varint (values up to 2^53: times, lengths, ports). */
function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  let n = 3;
  for (v = Math.floor(v / 0x200000); v > 0; v = Math.floor(v / 128)) n++;
  return n;
}

function putVarint(buf: Buffer, at: number, v: number): number {
  // Lengths and ports: one or two bytes, without division.
  if (v < 0x80) {
    buf[at] = v;
    return at + 1;
  }
  if (v < 0x4000) {
    buf[at] = (v & 0x7f) | 0x80;
    buf[at + 1] = v >>> 7;
    return at + 2;
  }
  while (v >= 128) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

/** Copies small byte strings byte by byte: cheaper than a typed-array copy call at these sizes. */
function putRaw(buf: Buffer, at: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > 32) {
    buf.set(bytes, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) buf[at + i] = bytes[i]!;
  return at + n;
}

/** Size of a length-delimited field with a one-byte key. */
const bytesField = (n: number): number => 1 + varintSize(n) + n;

/**
 * One Dnstap wrapper { identity, version, message, type MESSAGE } around a Message, as a Frame
 * Streams data frame: a 4-byte big-endian length, then the protobuf. Fill `fields`, call measure(),
 * then the writer calls writeTo() with room for `size` bytes. One per recorder, reused per message.
 */
export class DnstapFrame implements OutFrame {
  readonly fields: DnstapFields = {
    type: AUTH_QUERY,
    family: INET,
    protocol: UDP,
    address: Buffer.alloc(4),
    port: 0,
    sec: 0,
    nsec: 0,
    message: Buffer.alloc(0),
  };
  size = 0;
  /** The identity and version fields and the message's key: the same bytes in every frame. */
  private readonly head: Buffer;
  private msgSize = 0;
  /** The varint of the last `sec` seen: it changes once a second. */
  private sec = -1;
  private readonly secBytes = Buffer.alloc(10);
  private secSize = 0;

  constructor(identity: Buffer, version: Buffer) {
    this.head = Buffer.alloc(bytesField(identity.length) + bytesField(version.length) + 1);
    let at = 0;
    this.head[at++] = DNSTAP_IDENTITY;
    at = putVarint(this.head, at, identity.length);
    at += identity.copy(this.head, at);
    this.head[at++] = DNSTAP_VERSION;
    at = putVarint(this.head, at, version.length);
    at += version.copy(this.head, at);
    this.head[at++] = DNSTAP_MESSAGE;
  }

  /** Sets `size` from the fields (call after changing them, before writeTo). */
  measure(): number {
    const f = this.fields;
    if (f.sec !== this.sec) {
      this.sec = f.sec;
      this.secSize = putVarint(this.secBytes, 0, f.sec);
    }
    // The times are this message's: query_time on a query, response_time on a response.
    this.msgSize =
      6 + // type, socket_family, socket_protocol: key and one-byte value each
      bytesField(f.address.length) +
      1 +
      varintSize(f.port) +
      1 +
      this.secSize +
      5 + // nsec: key and fixed32
      bytesField(f.message.length);
    this.size = 4 + this.head.length + varintSize(this.msgSize) + this.msgSize + 2;
    return this.size;
  }

  writeTo(buf: Buffer, start: number): void {
    const f = this.fields;
    const response = f.type === AUTH_RESPONSE;
    const len = this.size - 4;
    buf[start] = len >>> 24;
    buf[start + 1] = (len >>> 16) & 0xff;
    buf[start + 2] = (len >>> 8) & 0xff;
    buf[start + 3] = len & 0xff;
    let at = putRaw(buf, start + 4, this.head);
    at = putVarint(buf, at, this.msgSize);
    buf[at++] = MSG_TYPE;
    buf[at++] = f.type;
    buf[at++] = MSG_FAMILY;
    buf[at++] = f.family;
    buf[at++] = MSG_PROTOCOL;
    buf[at++] = f.protocol;
    buf[at++] = MSG_QUERY_ADDRESS;
    at = putVarint(buf, at, f.address.length);
    at = putRaw(buf, at, f.address);
    buf[at++] = MSG_QUERY_PORT;
    at = putVarint(buf, at, f.port);
    buf[at++] = response ? MSG_RESPONSE_TIME_SEC : MSG_QUERY_TIME_SEC;
    const secBytes = this.secBytes;
    for (let i = 0; i < this.secSize; i++) buf[at++] = secBytes[i]!;
    buf[at++] = response ? MSG_RESPONSE_TIME_NSEC : MSG_QUERY_TIME_NSEC;
    const ns = f.nsec;
    buf[at++] = ns & 0xff;
    buf[at++] = (ns >>> 8) & 0xff;
    buf[at++] = (ns >>> 16) & 0xff;
    buf[at++] = ns >>> 24;
    buf[at++] = response ? MSG_RESPONSE_MESSAGE : MSG_QUERY_MESSAGE;
    at = putVarint(buf, at, f.message.length);
    at = putRaw(buf, at, f.message);
    buf[at++] = DNSTAP_TYPE;
    buf[at++] = DNSTAP_TYPE_MESSAGE;
    if (at !== start + this.size) throw new Error(`dnstap frame size mismatch: ${at - start} != ${this.size}`);
  }
}

/** One frame in a buffer of its own (tests, and anything outside the query path). */
export function encodeFrame(identity: Buffer, version: Buffer, fields: DnstapFields): Buffer {
  const frame = new DnstapFrame(identity, version);
  Object.assign(frame.fields, fields);
  const buf = Buffer.alloc(frame.measure());
  frame.writeTo(buf, 0);
  return buf;
}
