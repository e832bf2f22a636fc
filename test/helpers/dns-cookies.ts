// DNS cookies from the client's side (RFC 7873) and an independent RFC 9018 server cookie maker: our
// own SipHash-2-4 over BigInt (slow and plain, checked against the RFC's test vectors), so a test can
// say exactly which 16 bytes a server sharing a secret must send, without the server's code.
import net from 'node:net';
import type dnsPacket from 'dns-packet';
import type { Reply } from './dns.js';

/** The EDNS option code of COOKIE. */
export const COOKIE_OPTION = 10;

/** An EDNS COOKIE option with these bytes (any length: a test may send a bad one). */
export function cookieOption(bytes: Buffer): dnsPacket.PacketOpt {
  return { code: COOKIE_OPTION, data: bytes } as never;
}

/** The COOKIE option's bytes in a reply, null without one. */
export function replyCookie(r: Reply): Buffer | null {
  const o = r.opt?.options?.find((x) => x['code'] === COOKIE_OPTION);
  return o ? Buffer.from(o['data'] as Buffer) : null;
}

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;

/** SipHash-2-4 of `msg` under the 16-byte `key`: 8 bytes, little-endian as the reference writes them. */
export function siphash24(key: Buffer, msg: Buffer): Buffer {
  const k0 = key.readBigUInt64LE(0);
  const k1 = key.readBigUInt64LE(8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const whole = msg.length - (msg.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const m = msg.readBigUInt64LE(i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(msg.length & 0xff) << 56n;
  for (let i = whole; i < msg.length; i++) last |= BigInt(msg[i]!) << BigInt(8 * (i - whole));
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(v0 ^ v1 ^ v2 ^ v3);
  return out;
}

/** An address's bytes: 4 for IPv4, 16 for IPv6. */
export function ipBytes(address: string): Buffer {
  if (net.isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!net.isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, null];
  const words = (s: string | null | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === null ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, 2 * i));
  return out;
}

/**
 * The RFC 9018 server cookie (16 bytes) a server with `secret` makes for `clientCookie` from
 * `clientIp` at `timestamp` (seconds): Version 1 | Reserved | Timestamp | SipHash-2-4(secret,
 * Client Cookie | Version | Reserved | Timestamp | Client-IP).
 */
export function rfc9018Cookie(secret: Buffer, clientCookie: Buffer, clientIp: string, timestamp: number): Buffer {
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(timestamp >>> 0, 4);
  const hash = siphash24(secret, Buffer.concat([clientCookie, head, ipBytes(clientIp)]));
  return Buffer.concat([head, hash]);
}

/** The timestamp (seconds) of an RFC 9018 server cookie. */
export function cookieTime(serverCookie: Buffer): number {
  return serverCookie.readUInt32BE(4);
}
