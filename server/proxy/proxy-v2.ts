// The PROXY protocol v2 header (HAProxy's proxy-protocol.txt, section 2.2) that dnsdist and other
// proxies put before each UDP datagram and at the start of each TCP connection: who the client was.
import { ipv4Text, ipv6Text } from './address-text.js';

/** The 12 bytes every v2 header starts with: "\r\n\r\n\0\r\nQUIT\n". */
export const PROXY_V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

export type ProxyDropReason = 'no-header' | 'bad-header' | 'local' | 'unsupported-family' | 'source-not-allowed';

export type ProxyParse =
  | {
      readonly ok: true;
      /** Bytes of the header, TLVs included: the DNS message starts here. */
      readonly length: number;
      readonly family: 4 | 6;
      readonly source: string;
      readonly sourcePort: number;
      /** The source address, 4 or 16 bytes. */
      readonly sourceBytes: Buffer;
      readonly destination: string;
      readonly destinationPort: number;
    }
  | { readonly ok: false; readonly reason: Exclude<ProxyDropReason, 'source-not-allowed'> }
  /** TCP only: the bytes so far are a valid beginning; wait for more. */
  | { readonly ok: 'incomplete' };

type ProxyOk = Extract<ProxyParse, { ok: true }>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Signature, version and command, family and transport, length of what follows. */
const FIXED_BYTES = 16;
/** A stranger on a TCP connection gets no more buffer than this for TLVs (dnsdist sends a few bytes). */
const MAX_STREAM_PAYLOAD = 1024;
const VERSION_2 = 0x2;
const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const AF_UNSPEC = 0x0;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
const TRANSPORT_STREAM = 0x1;
const TRANSPORT_DGRAM = 0x2;
/** Source and destination addresses, then source and destination ports. */
const INET_BLOCK = 12;
const INET6_BLOCK = 36;

// Failures and waiting are constants: the UDP path asks per datagram and allocates nothing for them.
const NO_HEADER: ProxyParse = Object.freeze({ ok: false, reason: 'no-header' });
const BAD_HEADER: ProxyParse = Object.freeze({ ok: false, reason: 'bad-header' });
const LOCAL: ProxyParse = Object.freeze({ ok: false, reason: 'local' });
const UNSUPPORTED_FAMILY: ProxyParse = Object.freeze({ ok: false, reason: 'unsupported-family' });
const INCOMPLETE: ProxyParse = Object.freeze({ ok: 'incomplete' });

/**
 * Checks a header at buf[0..] field by field, deciding as soon as a field's bytes are in: the
 * header's whole length, or why not. Missing bytes: 'incomplete' on a stream, else 'bad-header'.
 */
function check(buf: Buffer, stream: boolean): ProxyParse | number {
  const n = buf.length;
  if (n === 0) return stream ? INCOMPLETE : NO_HEADER;
  const signed = n < PROXY_V2_SIGNATURE.length ? n : PROXY_V2_SIGNATURE.length;
  for (let i = 0; i < signed; i++) if (buf[i] !== PROXY_V2_SIGNATURE[i]) return NO_HEADER;
  const short = stream ? INCOMPLETE : BAD_HEADER;
  if (n < 13) return short;
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== VERSION_2) return BAD_HEADER;
  const command = versionCommand & 0xf;
  // LOCAL (a proxy's own health check) carries no client: we need one to answer for.
  if (command === COMMAND_LOCAL) return LOCAL;
  if (command !== COMMAND_PROXY) return BAD_HEADER;
  if (n < 14) return short;
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0xf;
  if (family === AF_UNSPEC && transport === 0) return UNSUPPORTED_FAMILY;
  const knownTransport = transport === TRANSPORT_STREAM || transport === TRANSPORT_DGRAM;
  if (family === AF_UNIX && knownTransport) return UNSUPPORTED_FAMILY;
  // Every other pairing is one the specification tells receivers to reject.
  if ((family !== AF_INET && family !== AF_INET6) || !knownTransport) return BAD_HEADER;
  if (n < FIXED_BYTES) return short;
  const payload = buf.readUInt16BE(14);
  if (payload < (family === AF_INET ? INET_BLOCK : INET6_BLOCK)) return BAD_HEADER;
  if (stream && payload > MAX_STREAM_PAYLOAD) return BAD_HEADER;
  const total = FIXED_BYTES + payload;
  return n < total ? short : total;
}

/**
 * Parses a header at buf[0..]; `stream`: bytes may still come (TCP), else a short header is
 * 'bad-header'. TLVs after the addresses are skipped. The result is new and owns its bytes.
 */
export function parseProxyV2(buf: Buffer, stream: boolean): ProxyParse {
  const r = check(buf, stream);
  if (typeof r !== 'number') return r;
  const v4 = buf[13]! >> 4 === AF_INET;
  const size = v4 ? 4 : 16;
  const text = v4 ? ipv4Text : ipv6Text;
  return {
    ok: true,
    length: r,
    family: v4 ? 4 : 6,
    source: text(buf, FIXED_BYTES),
    sourcePort: buf.readUInt16BE(FIXED_BYTES + 2 * size),
    sourceBytes: Buffer.from(buf.subarray(FIXED_BYTES, FIXED_BYTES + size)),
    destination: text(buf, FIXED_BYTES + size),
    destinationPort: buf.readUInt16BE(FIXED_BYTES + 2 * size + 2),
  };
}

/**
 * parseProxyV2 for a datagram socket: one result object refilled per call (valid until the next),
 * and the address texts reused while the bytes repeat, so a steady stream of queries from the same
 * clients through the same proxy allocates nothing here.
 */
export class ProxyV2Reader {
  private readonly result: Mutable<ProxyOk> = {
    ok: true,
    length: 0,
    family: 4,
    source: '',
    sourcePort: 0,
    sourceBytes: Buffer.alloc(0),
    destination: '',
    destinationPort: 0,
  };
  private readonly source = new AddressCache();
  private readonly destination = new AddressCache();

  read(buf: Buffer, stream: boolean): ProxyParse {
    const r = check(buf, stream);
    if (typeof r !== 'number') return r;
    const out = this.result;
    const v4 = buf[13]! >> 4 === AF_INET;
    const size = v4 ? 4 : 16;
    out.length = r;
    out.family = v4 ? 4 : 6;
    out.source = this.source.text(buf, FIXED_BYTES, size);
    out.sourceBytes = this.source.bytes(size);
    out.sourcePort = buf.readUInt16BE(FIXED_BYTES + 2 * size);
    out.destination = this.destination.text(buf, FIXED_BYTES + size, size);
    out.destinationPort = buf.readUInt16BE(FIXED_BYTES + 2 * size + 2);
    return out;
  }
}

/** The last address seen of each family, as bytes and text. */
class AddressCache {
  private readonly v4 = Buffer.alloc(4);
  private readonly v6 = Buffer.alloc(16);
  private v4Text = '';
  private v6Text = '';

  text(buf: Buffer, off: number, size: 4 | 16): string {
    const last = size === 4 ? this.v4 : this.v6;
    if (size === 4 ? this.v4Text !== '' : this.v6Text !== '') {
      let same = true;
      for (let i = 0; i < size && same; i++) same = buf[off + i] === last[i];
      if (same) return size === 4 ? this.v4Text : this.v6Text;
    }
    buf.copy(last, 0, off, off + size);
    if (size === 4) return (this.v4Text = ipv4Text(buf, off));
    return (this.v6Text = ipv6Text(buf, off));
  }

  /** The bytes of the last text() of this size. */
  bytes(size: 4 | 16): Buffer {
    return size === 4 ? this.v4 : this.v6;
  }
}
