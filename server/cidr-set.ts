// Sets of IP prefixes (--proxy-from, --rrl-exempt): parsed once into sorted ranges, asked per query
// by binary search without allocation. An IPv4-mapped IPv6 address is the same client as its IPv4.
import { parseCidr } from '../zones/address.js';
import { readIPv4 } from '../zones/rdata.js';

const MAPPED_PREFIX = 96;
const V6_RANGE_BYTES = 32; // start and end, 16 bytes each
const ALL_ONES_128 = (1n << 128n) - 1n;

export class CidrSet {
  /** Disjoint IPv4 ranges in order: start, end (inclusive), start, end, ... */
  private readonly v4: Uint32Array;
  /** Disjoint IPv6 ranges in order, 32 bytes each: start then end (inclusive). */
  private readonly v6: Uint8Array;
  private readonly v6Ranges: number;
  private readonly text4 = new Uint8Array(4);
  private readonly text6 = new Uint8Array(16);

  private constructor(
    /** Distinct prefixes given (an IPv4-mapped one counted as its IPv4). */
    readonly size: number,
    v4: Array<[number, number]>,
    v6: Array<[bigint, bigint]>,
  ) {
    this.v4 = Uint32Array.from(mergeV4(v4));
    const merged6 = mergeV6(v6);
    this.v6Ranges = merged6.length;
    this.v6 = new Uint8Array(merged6.length * V6_RANGE_BYTES);
    merged6.forEach(([start, end], i) => {
      writeU128(this.v6, i * V6_RANGE_BYTES, start);
      writeU128(this.v6, i * V6_RANGE_BYTES + 16, end);
    });
  }

  /**
   * Parses 'a.b.c.d/n', 'x::/n' or a bare address (a /32 or /128). Throws an Error naming the bad
   * entry (no flag name: the caller adds it). Host bits must be zero, as everywhere in the project.
   */
  static parse(list: readonly string[]): CidrSet {
    const v4: Array<[number, number]> = [];
    const v6: Array<[bigint, bigint]> = [];
    const seen = new Set<string>();
    for (const entry of list) {
      const r = parseCidr(entry);
      if (!r.ok) throw new Error(r.error);
      const { bytes, prefix } = r.cidr;
      if (r.cidr.family === 4) {
        addV4(v4, seen, bytes.readUInt32BE(0), prefix);
        continue;
      }
      if (prefix >= MAPPED_PREFIX && isMapped(bytes)) {
        addV4(v4, seen, bytes.readUInt32BE(12), prefix - MAPPED_PREFIX);
        continue;
      }
      if (seen.has(r.cidr.text)) continue;
      seen.add(r.cidr.text); // IPv6 text: never equal to an IPv4 key
      const start = readU128(bytes);
      const end = start | (ALL_ONES_128 >> BigInt(prefix));
      v6.push([start, end]);
      // A wider prefix holding all of ::ffff:0:0/96 holds every IPv4 client too.
      if (start <= MAPPED_START && MAPPED_END <= end) v4.push([0, 0xffffffff]);
    }
    return new CidrSet(seen.size, v4, v6);
  }

  /** An IPv4 address as an unsigned 32-bit integer. */
  has4(addr: number): boolean {
    const a = addr >>> 0;
    const r = this.v4;
    // The last range starting at or before a.
    let lo = 0;
    let hi = (r.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid * 2]! <= a) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && a <= r[hi * 2 + 1]!;
  }

  /** An IPv6 address, 16 bytes; an IPv4-mapped one is looked up as its IPv4. */
  has6(addr: Uint8Array): boolean {
    if (isMapped(addr)) return this.has4(((addr[12]! << 24) | (addr[13]! << 16) | (addr[14]! << 8) | addr[15]!) >>> 0);
    const r = this.v6;
    let lo = 0;
    let hi = this.v6Ranges - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compare16(r, mid * V6_RANGE_BYTES, addr) <= 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && compare16(r, hi * V6_RANGE_BYTES + 16, addr) >= 0;
  }

  /** An address as Node prints it ('192.0.2.1', '::1', 'fe80::1%eth0'); anything else is not in the set. */
  hasText(address: string): boolean {
    const b4 = this.text4;
    if (readIPv4(address, b4)) return this.has4(((b4[0]! << 24) | (b4[1]! << 16) | (b4[2]! << 8) | b4[3]!) >>> 0);
    return readIPv6(address, this.text6, b4) && this.has6(this.text6);
  }
}

const MAPPED_START = 0xffffn << 32n;
const MAPPED_END = MAPPED_START | 0xffffffffn;

function addV4(ranges: Array<[number, number]>, seen: Set<string>, network: number, prefix: number): void {
  const key = `${network >>> 0}/${prefix}`;
  if (seen.has(key)) return;
  seen.add(key);
  const size = 2 ** (32 - prefix);
  ranges.push([network >>> 0, (network >>> 0) + size - 1]);
}

/** Sorts and joins overlapping or touching ranges (end + 1 === start). */
function mergeV4(ranges: ReadonlyArray<readonly [number, number]>): number[] {
  const out: number[] = [];
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out.length - 1;
    if (out.length > 0 && start <= out[last]! + 1) out[last] = Math.max(out[last]!, end);
    else out.push(start, end);
  }
  return out;
}

function mergeV6(ranges: ReadonlyArray<readonly [bigint, bigint]>): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  for (const [start, end] of [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1] + 1n) {
      if (end > last[1]) last[1] = end;
    } else out.push([start, end]);
  }
  return out;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function readU128(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function writeU128(out: Uint8Array, off: number, n: bigint): void {
  for (let i = 15; i >= 0; i--) {
    out[off + i] = Number(n & 0xffn);
    n >>= 8n;
  }
}

/** Compares 16 bytes at r[off..] with addr: negative, 0 or positive. */
function compare16(r: Uint8Array, off: number, addr: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const d = r[off + i]! - addr[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * IPv6 text into 16 bytes without allocating (zones/rdata.ts parseIPv6 builds strings): '::',
 * a dotted-quad tail and a zone id ('%eth0', ignored) as Node prints peers. `v4` is scratch space.
 */
export function readIPv6(text: string, out: Uint8Array, v4: Uint8Array): boolean {
  const zone = text.indexOf('%');
  const end = zone < 0 ? text.length : zone;
  let groups = 0;
  let gap = -1; // the group index where '::' stands
  let i = 0;
  if (end >= 2 && text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let j = i;
    let value = 0;
    for (; j < end && j - i < 4; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
    }
    if (j < end && text.charCodeAt(j) === 0x2e) {
      // A dotted-quad tail: the last 32 bits, and nothing may follow it.
      if (groups > 6 || zone >= 0 || !readIPv4(text, v4, i)) return false;
      out[groups * 2] = v4[0]!;
      out[groups * 2 + 1] = v4[1]!;
      out[groups * 2 + 2] = v4[2]!;
      out[groups * 2 + 3] = v4[3]!;
      groups += 2;
      break;
    }
    if (j === i || groups === 8) return false;
    out[groups * 2] = value >> 8;
    out[groups * 2 + 1] = value & 0xff;
    groups++;
    if (j === end) break;
    if (text.charCodeAt(j) !== 0x3a) return false; // also a fifth hex digit
    j++;
    if (j < end && text.charCodeAt(j) === 0x3a) {
      if (gap >= 0) return false;
      gap = groups;
      j++;
    } else if (j === end) return false; // a single trailing ':'
    i = j;
  }
  if (gap < 0) return groups === 8;
  if (groups > 7) return false;
  const tailBytes = (groups - gap) * 2;
  out.copyWithin(16 - tailBytes, gap * 2, groups * 2);
  out.fill(0, gap * 2, 16 - tailBytes);
  return true;
}
