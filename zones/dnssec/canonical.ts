// RFC 4034 section 6: the canonical name order (what the NSEC chain is sorted by), the canonical
// form of an RR's RDATA and an RRset's canonical order (what an RRSIG signs).
import { QTYPE } from '../dns.js';
import { isName, type RdataPart } from '../records.js';

/**
 * Types whose RDATA names are lowercased in the canonical form: RFC 4034 6.2 item 3 as amended by
 * RFC 6840 5.1 (NSEC is not in the list). Only NS, CNAME, SOA, PTR, MX and SRV can carry a parsed
 * name in a zone here (other types are RFC 3597 octets); the rest of the list is kept so a future
 * parser for them is right from the start.
 */
const LOWERCASE_TYPES: ReadonlySet<number> = new Set([
  QTYPE.NS,
  3, // MD
  4, // MF
  QTYPE.CNAME,
  QTYPE.SOA,
  7, // MB
  8, // MG
  9, // MR
  QTYPE.PTR,
  13, // HINFO
  14, // MINFO
  QTYPE.MX,
  17, // RP
  18, // AFSDB
  21, // RT
  24, // SIG
  26, // PX
  30, // NXT
  QTYPE.SRV,
  35, // NAPTR
  36, // KX
  38, // A6
  39, // DNAME
  QTYPE.RRSIG,
]);

/** Scratch for canonicalSortKey: a name has at most 127 labels and 255 octets. */
const labelStarts = new Int32Array(128);
const sortScratch = new Uint16Array(256);

/**
 * A string whose JS order (`<`) is the canonical name order of RFC 4034 6.1, from a name's lookup key
 * (lowercased wire form, latin1): labels from the rightmost, each octet b written as the character
 * b + 1, labels separated by "\0". A shorter label sorts first (the separator is below every octet),
 * and a name sorts before the names below it (its sort key is their prefix). The root is "".
 */
export function canonicalSortKey(key: string): string {
  let labels = 0;
  let i = 0;
  while (i < key.length && key.charCodeAt(i) !== 0) {
    labelStarts[labels++] = i;
    i += key.charCodeAt(i) + 1;
  }
  let o = 0;
  for (let l = labels - 1; l >= 0; l--) {
    const at = labelStarts[l]!;
    const end = at + key.charCodeAt(at);
    if (l !== labels - 1) sortScratch[o++] = 0;
    for (let j = at + 1; j <= end; j++) sortScratch[o++] = key.charCodeAt(j) + 1;
  }
  // One string from the scratch codes: the NSEC chain makes one per name (100,000s at a build).
  return String.fromCharCode.apply(null, sortScratch.subarray(0, o) as unknown as number[]);
}

/** Canonical order of two names given by their lookup keys: negative, zero or positive. */
export function compareNameKeys(a: string, b: string): number {
  const x = canonicalSortKey(a);
  const y = canonicalSortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The number of keys in `sorted` (ascending) that are strictly less than `key`. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The lowercased wire form of a lookup key (keys are exactly that, as latin1). */
export function wireOfKey(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** One RR's canonical RDATA (RFC 4034 6.2 items 2-3): names uncompressed, lowercased for the listed types. */
export function canonicalRdata(type: number, rdata: readonly RdataPart[]): Buffer {
  const lower = LOWERCASE_TYPES.has(type);
  if (rdata.length === 1) {
    const p = rdata[0]!;
    if (!isName(p)) return p;
    return lower ? wireOfKey(p.key) : p.wire;
  }
  const parts: Buffer[] = [];
  for (const p of rdata) parts.push(isName(p) ? (lower ? wireOfKey(p.key) : p.wire) : p);
  return Buffer.concat(parts);
}

/**
 * An RRset's canonical RDATAs in canonical order (RFC 4034 6.3: as left-justified unsigned octet
 * sequences, a shorter prefix first), duplicates removed.
 */
export function canonicalRdatas(type: number, rdatas: ReadonlyArray<readonly RdataPart[]>): Buffer[] {
  const all = rdatas.map((r) => canonicalRdata(type, r));
  if (all.length === 1) return all;
  all.sort(Buffer.compare);
  const out: Buffer[] = [all[0]!];
  for (let i = 1; i < all.length; i++) if (!all[i]!.equals(out[out.length - 1]!)) out.push(all[i]!);
  return out;
}

/**
 * The RRset's part of the signed data (RFC 4034 3.1.8.1): each RR as owner (lowercased, or the
 * wildcard form for a synthesized answer), type, class, the original TTL, RDLENGTH and canonical
 * RDATA, in canonical order.
 */
export function canonicalRRset(
  ownerWire: Buffer,
  type: number,
  klass: number,
  originalTtl: number,
  rdatas: readonly Buffer[],
): Buffer {
  let size = 0;
  for (const r of rdatas) size += ownerWire.length + 10 + r.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of rdatas) {
    ownerWire.copy(out, at);
    at += ownerWire.length;
    out.writeUInt16BE(type, at);
    out.writeUInt16BE(klass, at + 2);
    out.writeUInt32BE(originalTtl >>> 0, at + 4);
    out.writeUInt16BE(r.length, at + 8);
    at += 10;
    r.copy(out, at);
    at += r.length;
  }
  return out;
}
