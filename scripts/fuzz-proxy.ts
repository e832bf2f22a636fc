// PROXY protocol v2 headers for the fuzzer (HAProxy's spec, section 2.2): valid ones in front of a
// fuzz case, and mutants (truncated at every length, lengths lying up and down, LOCAL, a bad
// signature or version, AF_UNIX and AF_UNSPEC, TLV garbage, the v1 text form, none at all), with a
// model of what a strict listener makes of them: where the DNS message starts, or silence.
import type { Dice } from './fuzz-structured.js';

export const PROXY_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
/** Version 2 with the PROXY command; 0x20 is LOCAL. */
const V2_PROXY = 0x21;
const V2_LOCAL = 0x20;
/** Family byte: address family in the high nibble (1 INET, 2 INET6, 3 UNIX), transport in the low (1 STREAM, 2 DGRAM). */
const INET_STREAM = 0x11;
const INET_DGRAM = 0x12;
const INET6_STREAM = 0x21;
const INET6_DGRAM = 0x22;
const ADDRESS_BLOCK: Record<number, number> = { 1: 12, 2: 36, 3: 216 };
/** A listener buffers at most this much header from a TCP stream before giving up (dnsdist's are far smaller). */
export const TCP_HEADER_MAX = 1024;

export interface ProxySource {
  readonly family: 4 | 6;
  /** 4 or 16 octets. */
  readonly address: Buffer;
  readonly port: number;
}

export interface HeaderSpec {
  command?: number;
  familyByte?: number;
  source: ProxySource;
  /** Extra bytes after the addresses (TLVs, or garbage: a listener skips them). */
  tlvs?: Buffer;
  /** Overrides the length field. */
  length?: number;
}

/** A v2 header: signature, version/command, family, length, addresses (source first), then tlvs. */
export function proxyHeader(s: HeaderSpec): Buffer {
  const v6 = s.source.family === 6;
  const family = s.familyByte ?? (v6 ? INET6_DGRAM : INET_DGRAM);
  const addrLen = v6 ? 16 : 4;
  const addresses = Buffer.alloc(2 * addrLen + 4);
  s.source.address.copy(addresses, 0);
  // The destination: the listener's own loopback address, as a proxy would write it.
  if (v6) addresses[2 * addrLen - 1] = 1;
  else Buffer.from([127, 0, 0, 1]).copy(addresses, addrLen);
  addresses.writeUInt16BE(s.source.port, 2 * addrLen);
  addresses.writeUInt16BE(53, 2 * addrLen + 2);
  const body = Buffer.concat([addresses, s.tlvs ?? Buffer.alloc(0)]);
  const head = Buffer.alloc(16);
  PROXY_SIGNATURE.copy(head, 0);
  head[12] = s.command ?? V2_PROXY;
  head[13] = family;
  head.writeUInt16BE((s.length ?? body.length) & 0xffff, 14);
  return Buffer.concat([head, body]);
}

/** TLVs as a proxy may send them (ALPN, authority, CRC, unique id, NOOP), or plain garbage. */
function tlvs(d: Dice): Buffer {
  if (d.chance(0.3)) return d.bytes(1 + d.int(64)); // garbage: a strict listener still only skips it
  const parts: Buffer[] = [];
  for (let n = 1 + d.int(4); n > 0; n--) {
    const value = d.bytes(d.int(40));
    const t = Buffer.alloc(3);
    t[0] = d.pick([0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x30, 0xe0, 0xee]);
    t.writeUInt16BE(d.chance(0.2) ? d.int(65536) : value.length, 1); // a TLV length may lie too
    parts.push(t, value);
  }
  return Buffer.concat(parts);
}

/** What a strict listener does with a datagram (or a whole TCP stream) starting with a header. */
export type ProxyVerdict = { readonly verdict: 'dns'; readonly at: number } | { readonly verdict: 'silence' };

const SILENCE: ProxyVerdict = { verdict: 'silence' };

/**
 * The model: the signature, version 2, the PROXY command (LOCAL carries no client: dropped), an INET
 * or INET6 family over STREAM or DGRAM (the spec has receivers reject other transports), its address
 * block inside the declared length, the declared length inside the datagram; over TCP also at most
 * TCP_HEADER_MAX. The DNS message starts after the declared length.
 */
export function modelProxy(buf: Buffer, stream: boolean): ProxyVerdict {
  if (buf.length < 16 || !buf.subarray(0, 12).equals(PROXY_SIGNATURE)) return SILENCE;
  if (buf[12] !== V2_PROXY) return SILENCE;
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0x0f;
  if (family !== 1 && family !== 2) return SILENCE;
  const length = buf.readUInt16BE(14);
  if (length < ADDRESS_BLOCK[family]! || 16 + length > buf.length) return SILENCE;
  if (stream && length > TCP_HEADER_MAX) return SILENCE;
  return transport === 1 || transport === 2 ? { verdict: 'dns', at: 16 + length } : SILENCE;
}

export interface ProxyCase {
  /** 'proxy-valid', 'proxy-truncated', ...: counted in the summary. */
  readonly kind: string;
  /** The bytes that go in front of the fuzz case (possibly none). */
  readonly header: Buffer;
  /** Send from an address that is not an allowed proxy (the driver binds 127.0.0.2). */
  readonly foreign: boolean;
}

/** Client addresses a proxy could report: in the GeoIP database's Europe, Americas, Asia, and random. */
function source(d: Dice): ProxySource {
  const port = 1024 + d.int(64000);
  if (d.chance(0.6)) {
    const address = d.chance(0.5)
      ? Buffer.from([d.pick([81, 8, 1, 203, 198, 127]), d.int(256), d.int(256), 1 + d.int(254)])
      : d.bytes(4);
    return { family: 4, address, port };
  }
  const address = d.chance(0.5) ? Buffer.from('2a02d180000000000000000000000001', 'hex') : d.bytes(16);
  return { family: 6, address, port };
}

/** The address the plain listeners see us from, for cases whose cookie is bound to it. */
export const LOOPBACK_SOURCE: ProxySource = { family: 4, address: Buffer.from([127, 0, 0, 1]), port: 5300 };

type Make = (d: Dice, tcp: boolean, cycle: number) => ProxyCase;

const MUTANTS: Record<string, Make> = {
  'proxy-valid-v4': (d, tcp) =>
    ok(proxyHeader({ source: v4(d), familyByte: tcp ? INET_STREAM : d.pick([INET_DGRAM, INET_STREAM]) })),
  'proxy-valid-v6': (d, tcp) =>
    ok(proxyHeader({ source: v6(d), familyByte: tcp ? INET6_STREAM : d.pick([INET6_DGRAM, INET6_STREAM]) })),
  'proxy-tlv': (d) => ok(proxyHeader({ source: source(d), tlvs: tlvs(d) })),
  'proxy-truncated': (d, _tcp, cycle) => {
    const full = proxyHeader({ source: source(d) });
    return ok(full.subarray(0, cycle % full.length));
  },
  'proxy-length-up': (d) => {
    const s = source(d);
    const natural = s.family === 6 ? 36 : 12;
    return ok(proxyHeader({ source: s, length: natural + 1 + d.pick([0, 1, 10, 100, 1000, 2000, 60000]) }));
  },
  'proxy-length-down': (d) => {
    const s = source(d);
    const natural = s.family === 6 ? 36 : 12;
    return ok(proxyHeader({ source: s, length: d.int(natural) }));
  },
  'proxy-local': (d) =>
    ok(proxyHeader({ source: source(d), command: V2_LOCAL, familyByte: d.pick([0x00, INET_STREAM]) })),
  'proxy-bad-command': (d) =>
    ok(proxyHeader({ source: source(d), command: d.pick([0x22, 0x2f, 0x11, 0x31, 0x01, 0xff]) })),
  'proxy-bad-signature': (d) => {
    const h = proxyHeader({ source: source(d) });
    const i = d.int(12);
    h[i] = h[i]! ^ (1 + d.int(255));
    return ok(h);
  },
  'proxy-unix': (d) =>
    ok(
      proxyHeader({ source: source(d), familyByte: d.pick([0x31, 0x32]), tlvs: d.bytes(216), length: 216 + d.int(3) }),
    ),
  'proxy-unspec': (d) => ok(proxyHeader({ source: source(d), familyByte: d.pick([0x00, 0x01, 0x02, 0x40, 0xf2]) })),
  'proxy-v1-text': (d) =>
    ok(
      Buffer.from(
        `PROXY ${d.pick(['TCP4 81.2.69.1 127.0.0.1 5300 53', 'UDP4 8.8.8.8 127.0.0.1 1 53', 'UNKNOWN'])}\r\n`,
      ),
    ),
  'proxy-none': () => ok(Buffer.alloc(0)),
  'proxy-foreign-source': (d) => ({ kind: '', header: proxyHeader({ source: source(d) }), foreign: true }),
};

function ok(header: Buffer): ProxyCase {
  return { kind: '', header, foreign: false };
}
function v4(d: Dice): ProxySource {
  const s = source(d);
  return s.family === 4 ? s : { family: 4, address: d.bytes(4), port: s.port };
}
function v6(d: Dice): ProxySource {
  const s = source(d);
  return s.family === 6 ? s : { family: 6, address: d.bytes(16), port: s.port };
}

export const PROXY_KINDS: readonly string[] = Object.keys(MUTANTS);
const VALID = ['proxy-valid-v4', 'proxy-valid-v6', 'proxy-tlv'];

/** Headers for the PROXY listener: half valid (so the DNS behind them is fuzzed too), half mutants in turn. */
export class ProxyGenerator {
  private readonly counters = new Map<string, number>();
  private next = 0;

  constructor(private readonly dice: Dice) {}

  header(tcp: boolean): ProxyCase {
    const d = this.dice;
    const kind = d.chance(0.5) ? d.pick(VALID) : PROXY_KINDS[this.next++ % PROXY_KINDS.length]!;
    const cycle = this.counters.get(kind) ?? 0;
    this.counters.set(kind, cycle + 1);
    return { ...MUTANTS[kind]!(d, tcp, cycle), kind };
  }

  /** A valid header for a given client (a case whose cookie is bound to that address). */
  headerFor(src: ProxySource, tcp: boolean): Buffer {
    return proxyHeader({
      source: src,
      familyByte: src.family === 6 ? (tcp ? INET6_STREAM : INET6_DGRAM) : tcp ? INET_STREAM : INET_DGRAM,
    });
  }
}
