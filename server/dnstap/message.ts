// One dnstap message (dnstap.proto, github.com/dnstap/dnstap.pb) encoded by hand: the few fields an
// authoritative server fills, written straight into one buffer that is also the Frame Streams data
// frame (its 4-byte length first). That buffer is the copy the queue keeps: the query and reply
// buffers it was made from are reused by the transports.

/** Message.Type values we send. */
export const AUTH_QUERY = 1;
export const AUTH_RESPONSE = 2;
/** SocketFamily. */
export const INET = 1;
export const INET6 = 2;
/** SocketProtocol. */
export const UDP = 1;
export const TCP = 2;

/** What goes into one Dnstap message (the bytes fields are written as given, so pass views). */
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
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 128) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

function putBytes(buf: Buffer, at: number, key: number, bytes: Buffer): number {
  buf[at++] = key;
  at = putVarint(buf, at, bytes.length);
  bytes.copy(buf, at);
  return at + bytes.length;
}

/** Size of a length-delimited field with a one-byte key. */
const bytesField = (n: number): number => 1 + varintSize(n) + n;

/**
 * Encodes the Dnstap wrapper { identity, version, type MESSAGE, message } around one Message, as a
 * Frame Streams data frame: a 4-byte big-endian length, then the protobuf.
 */
export function encodeFrame(identity: Buffer, version: Buffer, f: DnstapFields): Buffer {
  const response = f.type === AUTH_RESPONSE;
  // The times are this message's: query_time on a query, response_time on a response.
  const msgSize =
    2 + // type
    2 + // socket_family
    2 + // socket_protocol
    bytesField(f.address.length) +
    1 +
    varintSize(f.port) +
    1 +
    varintSize(f.sec) +
    5 + // nsec: key and fixed32
    bytesField(f.message.length);
  const size = bytesField(identity.length) + bytesField(version.length) + bytesField(msgSize) + 2;
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeUInt32BE(size, 0);
  let at = putBytes(buf, 4, DNSTAP_IDENTITY, identity);
  at = putBytes(buf, at, DNSTAP_VERSION, version);
  buf[at++] = DNSTAP_MESSAGE;
  at = putVarint(buf, at, msgSize);
  buf[at++] = MSG_TYPE;
  buf[at++] = f.type;
  buf[at++] = MSG_FAMILY;
  buf[at++] = f.family;
  buf[at++] = MSG_PROTOCOL;
  buf[at++] = f.protocol;
  at = putBytes(buf, at, MSG_QUERY_ADDRESS, f.address);
  buf[at++] = MSG_QUERY_PORT;
  at = putVarint(buf, at, f.port);
  buf[at++] = response ? MSG_RESPONSE_TIME_SEC : MSG_QUERY_TIME_SEC;
  at = putVarint(buf, at, f.sec);
  buf[at++] = response ? MSG_RESPONSE_TIME_NSEC : MSG_QUERY_TIME_NSEC;
  buf.writeUInt32LE(f.nsec, at);
  at += 4;
  at = putBytes(buf, at, response ? MSG_RESPONSE_MESSAGE : MSG_QUERY_MESSAGE, f.message);
  buf[at++] = DNSTAP_TYPE;
  buf[at++] = DNSTAP_TYPE_MESSAGE;
  if (at !== buf.length) throw new Error(`dnstap frame size mismatch: ${at} != ${buf.length}`);
  return buf;
}
