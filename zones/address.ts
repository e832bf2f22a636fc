// IP addresses and CIDR prefixes as bytes: parsing with clear errors, masking, containment.
import { parseIPv4, parseIPv6, readIPv4 } from './rdata.js';
import type { Cidr } from './policy-types.js';

export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Buffer;
}

/** The family of an IP literal as parseIp reads it (0: not one), without making its bytes for IPv4. */
export function ipFamily(text: string): 4 | 6 | 0 {
  if (readIPv4(text, null)) return 4;
  return parseIPv6(text) ? 6 : 0;
}

/** Parses an IP literal; IPv4-mapped IPv6 (::ffff:a.b.c.d) is kept as IPv6 here. */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) return { family: 6, bytes: v6 };
  return null;
}

/** Parses "a.b.c.d/n" or "x::/n"; host bits must be zero (a common typo otherwise). */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; error: string } {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return { ok: false, error: `'${text}' is not a CIDR prefix (address/length)` };
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max)
      return { ok: false, error: `'${text}': prefix length must be 0-${max}` };
    prefix = Number(p);
  }
  const masked = maskBytes(ip.bytes, prefix);
  if (!masked.equals(ip.bytes))
    return { ok: false, error: `'${text}' has host bits set; did you mean ${formatIp(masked)}/${prefix}?` };
  return { ok: true, cidr: { family: ip.family, bytes: masked, prefix, text: `${formatIp(masked)}/${prefix}` } };
}

export function maskBytes(bytes: Uint8Array, prefix: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = prefix - i * 8;
    if (bits >= 8) continue;
    out[i] = bits <= 0 ? 0 : out[i]! & (0xff << (8 - bits));
  }
  return out;
}

export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4: a client is the same client either way. */
export function unmapIpv4(addr: IpAddress): IpAddress {
  if (addr.family !== 6) return addr;
  const b = addr.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return addr;
  if (b[10] !== 0xff || b[11] !== 0xff) return addr;
  return { family: 4, bytes: Buffer.from(b.subarray(12, 16)) };
}
