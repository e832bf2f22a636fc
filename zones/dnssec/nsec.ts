// The zone's NSEC chain (RFC 4034 section 4, RFC 4035 2.3), built once per zone: every authoritative
// name with data and every delegation point, in canonical order, each pointing at the next (the last
// at the apex), with the types present. Lookups give the NSEC at a name or the one covering a name
// that is not in the chain; the records are made on first use.
import { CLASS, QTYPE } from '../dns.js';
import type { DnsName } from '../name.js';
import type { AnswerRecord } from '../records.js';
import type { Zone, ZoneNode } from '../zone.js';
import { canonicalSortKey, lowerBound, wireOfKey } from './canonical.js';
import { keepBytes } from '../kept-bytes.js';

/** The RFC 4034 4.1.2 type bitmap of a set of types: windows of up to 32 octets, trailing zeros cut. */
export function typeBitmap(types: Iterable<number>): Buffer {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const win = sorted[i]! >> 8;
    const bits = Buffer.alloc(32);
    let len = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === win; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      len = (low >> 3) + 1;
    }
    out.push(win, len, ...bits.subarray(0, len));
  }
  return Buffer.from(out);
}

/** True when the bitmap lists `type`. */
export function bitmapHas(bitmap: Buffer, type: number): boolean {
  const win = type >> 8;
  const low = type & 0xff;
  let i = 0;
  while (i + 1 < bitmap.length) {
    const w = bitmap[i]!;
    const len = bitmap[i + 1]!;
    if (w === win) return low >> 3 < len && (bitmap[i + 2 + (low >> 3)]! & (0x80 >> (low & 7))) !== 0;
    i += 2 + len;
  }
  return false;
}

/** The types a bitmap lists, ascending. */
export function bitmapTypes(bitmap: Buffer): number[] {
  const out: number[] = [];
  let i = 0;
  while (i + 1 < bitmap.length) {
    const w = bitmap[i]!;
    const len = bitmap[i + 1]!;
    for (let b = 0; b < len; b++) {
      const byte = bitmap[i + 2 + b]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) out.push((w << 8) | (b * 8 + bit));
    }
    i += 2 + len;
  }
  return out;
}

/** The types at a chain name: its RRsets (at a cut: NS and DS only), a load-balanced name's A/AAAA (or CNAME), RRSIG, NSEC. */
function typesAt(node: ZoneNode): number[] {
  if (node.cut === node)
    // A delegation point: the parent is authoritative only for DS (and NSEC); NS is the referral's.
    return node.rrsets.has(QTYPE.DS) ? CUT_WITH_DS : CUT;
  const types: number[] = [QTYPE.RRSIG, QTYPE.NSEC];
  for (const t of node.rrsets.keys()) types.push(t);
  if (node.lb?.cname === true) types.push(QTYPE.CNAME);
  else if (node.lb !== null) {
    let v4 = false;
    let v6 = false;
    for (const pool of node.lb.pools)
      for (const e of pool.endpoints) {
        if (e.family === 4) v4 = true;
        else if (e.family === 6) v6 = true;
      }
    if (v4) types.push(QTYPE.A);
    if (v6) types.push(QTYPE.AAAA);
  }
  return types.sort((a, b) => a - b);
}

const CUT: number[] = [QTYPE.NS, QTYPE.RRSIG, QTYPE.NSEC];
const CUT_WITH_DS: number[] = [QTYPE.NS, QTYPE.DS, QTYPE.RRSIG, QTYPE.NSEC];

/** Whether a node is a name of the chain: authoritative with data, or a delegation point. */
function inChain(node: ZoneNode, apexKey: string): boolean {
  if (node.name.key === apexKey) return true;
  if (node.cut !== null) return node.cut === node;
  return node.rrsets.size > 0 || node.lb !== null;
}

export class NsecChain {
  /** Canonical sort keys (canonicalSortKey), ascending. */
  private readonly sortKeys: string[];
  private readonly names: DnsName[];
  private readonly bitmaps: Buffer[];
  private readonly index: Map<string, number>;
  private readonly records: Array<AnswerRecord | undefined>;
  private readonly without = new Map<string, AnswerRecord>();

  /** NSEC TTL: the zone's negative TTL (min(SOA TTL, MINIMUM), RFC 9077). */
  readonly ttl: number;

  constructor(zone: Zone) {
    this.ttl = zone.negativeSoa.ttl;
    const apexKey = zone.apex.key;
    const entries: Array<{ sort: string; node: ZoneNode }> = [];
    for (const node of zone.nodes.values())
      if (inChain(node, apexKey)) entries.push({ sort: canonicalSortKey(node.name.key), node });
    entries.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
    // Many names have the same types (every load-balanced name: A, RRSIG, NSEC): one bitmap each.
    const interned = new Map<string, Buffer>();
    this.sortKeys = new Array<string>(entries.length);
    this.names = new Array<DnsName>(entries.length);
    this.bitmaps = new Array<Buffer>(entries.length);
    this.index = new Map();
    for (let i = 0; i < entries.length; i++) {
      const { sort, node } = entries[i]!;
      const types = typesAt(node);
      const id = types.join(',');
      let bitmap = interned.get(id);
      if (bitmap === undefined) {
        bitmap = typeBitmap(types);
        interned.set(id, bitmap);
      }
      this.sortKeys[i] = sort;
      this.names[i] = node.name;
      this.bitmaps[i] = bitmap;
      this.index.set(node.name.key, i);
    }
    this.records = new Array<AnswerRecord | undefined>(entries.length);
  }

  /** How many names the chain has. */
  get size(): number {
    return this.names.length;
  }

  /** The position of a name (lookup key) in the chain, or -1 when it is not a chain name. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /**
   * The position of the NSEC covering a name that is not in the chain (owner < name < next, the last
   * wrapping to the apex). `key` must be at or below the apex.
   */
  coveringIndex(key: string): number {
    const at = lowerBound(this.sortKeys, canonicalSortKey(key));
    // at >= 1: the apex sorts first and is below no name of the zone.
    return at === 0 ? this.sortKeys.length - 1 : at - 1;
  }

  /** The chain name at position i. */
  name(i: number): DnsName {
    return this.names[i]!;
  }

  /** The NSEC's type bitmap at position i. */
  bitmap(i: number): Buffer {
    return this.bitmaps[i]!;
  }

  /** The NSEC record at position i (made on first use, then the same object). */
  record(i: number): AnswerRecord {
    let r = this.records[i];
    if (r === undefined) {
      r = this.makeRecord(i, this.bitmaps[i]!);
      this.records[i] = r;
    }
    return r;
  }

  /**
   * The NSEC at position i with `type` left out of its bitmap: the NODATA proof at a name whose
   * bitmap lists the type but that answered without it (a load-balanced name with every datacenter
   * down and fallback nodata). Made once per (name, type).
   */
  recordWithout(i: number, type: number): AnswerRecord {
    if (!bitmapHas(this.bitmaps[i]!, type)) return this.record(i);
    const id = `${i}/${type}`;
    let r = this.without.get(id);
    if (r === undefined) {
      r = this.makeRecord(i, keepBytes(typeBitmap(bitmapTypes(this.bitmaps[i]!).filter((t) => t !== type))));
      this.without.set(id, r);
    }
    return r;
  }

  private makeRecord(i: number, bitmap: Buffer): AnswerRecord {
    const next = this.names[(i + 1) % this.names.length]!;
    // The next name lowercased: RFC 6840 5.1 leaves NSEC's next name as written, RFC 4034 6.2 lowercased
    // it; a lowercase name is the same in both, so every validator reads the same signed data.
    return Object.freeze({
      owner: this.names[i]!,
      type: QTYPE.NSEC,
      klass: CLASS.IN,
      ttl: this.ttl,
      rdata: Object.freeze([keepBytes(wireOfKey(next.key)), bitmap]),
    });
  }
}
