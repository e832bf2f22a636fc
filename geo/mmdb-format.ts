// Raw MaxMind DB (.mmdb) reader for whole-tree compilation: allocation-free node access and a bounds-checked data decoder.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** `\xab\xcd\xefMaxMind.com`: the last occurrence starts the metadata section. */
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
/** The spec caps metadata (marker included) at 128 KiB, so only the file's tail is searched. */
const METADATA_MAX_BYTES = 128 * 1024;
/** 16 zero bytes between the search tree and the data section. */
const DATA_SEPARATOR_BYTES = 16;
/** Tree bytes a file-backed tree holds at a time: a depth-first walk reads nodes almost in file order. */
const TREE_WINDOW_BYTES = 1 << 20;
/** Real data nests 4-5 levels; the cap turns pointer cycles in a corrupt file into an error, not a stack overflow. */
const MAX_DECODE_DEPTH = 64;

export interface MmdbMetadata {
  databaseType: string;
  ipVersion: 4 | 6;
  recordSize: 24 | 28 | 32;
  nodeCount: number;
  /** Seconds since the Unix epoch. */
  buildEpoch: number;
  languages: string[];
  description: Record<string, string>;
}

/** What to decode of a record: true for everything, or the map keys to keep (see SectionDecoder.selected). */
export type Spec = true | { readonly [key: string]: Spec };

export interface MmdbTree {
  readonly metadata: MmdbMetadata;
  /** Record value of the node's left (bit 0) child: < nodeCount = node index; === nodeCount = not found; > nodeCount = data (use dataOffset). */
  left(node: number): number;
  /** Record value of the node's right (bit 1) child, same encoding as left(). */
  right(node: number): number;
  /** Node reached from the root after following 96 zero bits in an IPv6 tree (where IPv4 lives), or 0 for IPv4 trees; may be a terminal record value (>= nodeCount). */
  readonly ipv4Start: number;
  /** Section-relative offset of the data record a record value (> nodeCount) points at. */
  dataOffset(recordValue: number): number;
  /** Decodes the data record a record value points at (results cached per offset; returned objects are frozen/shared). */
  decode(recordValue: number): unknown;
  /** Decodes only the parts of the record `spec` names (pointed-to parts cached per spec: treat results as read-only). */
  decodeSelected(recordValue: number, spec: Spec): unknown;
  /** Releases the file of a tree opened with openMmdbFile (nothing for an in-memory image). */
  close(): void;
}

/**
 * Decodes one section (data or metadata) of the file. Offsets passed in and out are section-relative;
 * `next` is where the last decoded field ended, kept in a field so decoding allocates no cursor tuples.
 */
class SectionDecoder {
  next = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly base: number,
    readonly size: number,
    private readonly what: string,
    private readonly source: string,
    private readonly cache: Map<number, unknown> | null,
  ) {
    this.selectedCache = cache ? new Map() : null;
  }

  /** selected() results of pointer targets, per spec (only where `cache` is given, as for data sections). */
  private readonly selectedCache: Map<Spec, Map<number, unknown>> | null;

  fail(offset: number, message: string): never {
    throw new Error(`${this.source}: corrupt ${this.what} at offset ${offset}: ${message}`);
  }

  /** Decodes the field at `offset`; throws on anything out of range instead of reading garbage. */
  value(offset: number, depth: number): unknown {
    if (depth > MAX_DECODE_DEPTH)
      this.fail(offset, `data nested deeper than ${MAX_DECODE_DEPTH} levels (pointer loop?)`);
    const { buf, base } = this;
    const { type, len, p } = this.header(offset);
    if (type === 1) return this.pointer(offset, p + len + 1, depth);

    switch (type) {
      case 2: // utf8_string
        this.need(offset, p, len);
        this.next = p + len;
        return buf.toString('utf8', base + p, base + p + len);
      case 3: // double
        if (len !== 8) this.fail(offset, `double has size ${len}, expected 8`);
        this.need(offset, p, 8);
        this.next = p + 8;
        return buf.readDoubleBE(base + p);
      case 4: // bytes: copied, because a frozen view onto the file buffer is impossible (typed arrays can't be frozen)
        this.need(offset, p, len);
        this.next = p + len;
        return Uint8Array.prototype.slice.call(buf, base + p, base + p + len);
      case 5: // uint16
        return this.uint(offset, p, len, 2);
      case 6: // uint32
        return this.uint(offset, p, len, 4);
      case 7:
        return this.map(offset, p, len, depth);
      case 8: {
        // int32: 2's complement; a short field is zero-padded on the left, so only 4-byte fields can be negative
        const v = this.uint(offset, p, len, 4);
        return len === 4 ? v | 0 : v;
      }
      case 9: // uint64
        return this.bigUint(offset, p, len, 8);
      case 10: // uint128
        return this.bigUint(offset, p, len, 16);
      case 11:
        return this.array(offset, p, len, depth);
      case 14: // boolean: the size is the value, no payload
        if (len > 1) this.fail(offset, `boolean has size ${len}, expected 0 or 1`);
        this.next = p;
        return len === 1;
      case 15: // float
        if (len !== 4) this.fail(offset, `float has size ${len}, expected 4`);
        this.need(offset, p, 4);
        this.next = p + 4;
        return buf.readFloatBE(base + p);
      default: // 12 (data cache container) and 13 (end marker) are never valid targets of a decode
        return this.fail(offset, `unexpected field type ${type}`);
    }
  }

  /** Throws unless `count` bytes starting at section offset `p` are inside the section. */
  private need(field: number, p: number, count: number): void {
    if (p + count > this.size) this.fail(field, `field runs past the end of the ${this.what} (${this.size} bytes)`);
  }

  /** Follows the pointer at offset (cached per target); `after` is where the next field starts. */
  private pointer(offset: number, after: number, depth: number): unknown {
    const target = this.pointerTarget(offset);
    let v = this.cache?.get(target);
    if (v === undefined) {
      v = this.value(target, depth + 1);
      this.cache?.set(target, v);
    }
    this.next = after;
    return v;
  }

  private uint(field: number, p: number, len: number, max: number): number {
    if (len > max) this.fail(field, `${max * 8}-bit integer has size ${len}`);
    this.need(field, p, len);
    this.next = p + len;
    return len === 0 ? 0 : this.buf.readUIntBE(this.base + p, len);
  }

  /** uint64/uint128: a number while it is a safe integer, a bigint beyond. */
  private bigUint(field: number, p: number, len: number, max: number): number | bigint {
    if (len > max) this.fail(field, `${max * 8}-bit integer has size ${len}`);
    this.need(field, p, len);
    this.next = p + len;
    if (len === 0) return 0;
    const at = this.base + p;
    if (len <= 6) return this.buf.readUIntBE(at, len);
    let v = 0n;
    for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(this.buf[at + i]!);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** Control byte, extended type and length of the field at offset: { type, len, p } (p: payload start). */
  private header(offset: number): { type: number; len: number; p: number } {
    const { buf, base, size } = this;
    if (offset < 0 || offset >= size) this.fail(offset, `field runs past the end of the ${this.what} (${size} bytes)`);
    const ctrl = buf[base + offset]!;
    let p = offset + 1;
    let type = ctrl >> 5;
    if (type === 1) return { type, len: (ctrl >> 3) & 3, p };
    if (type === 0) {
      this.need(offset, p, 1);
      type = buf[base + p]! + 7;
      p++;
      if (type === 7 || type > 15) this.fail(offset, `unknown extended type ${type}`);
    }
    let len = ctrl & 31;
    if (len >= 29) {
      const extra = len - 28;
      this.need(offset, p, extra);
      const at = base + p;
      len = len === 29 ? 29 + buf[at]! : len === 30 ? 285 + buf.readUInt16BE(at) : 65821 + buf.readUIntBE(at, 3);
      p += extra;
    }
    return { type, len, p };
  }

  /** Moves past the field at offset without building its value; returns where the next field starts. */
  skip(offset: number, depth: number): number {
    if (depth > MAX_DECODE_DEPTH) this.fail(offset, `data nested deeper than ${MAX_DECODE_DEPTH} levels`);
    const { type, len, p } = this.header(offset);
    switch (type) {
      case 1:
        return p + len + 1; // a pointer: its size bits, never followed here
      case 7: {
        let q = p;
        for (let i = 0; i < 2 * len; i++) q = this.skip(q, depth + 1);
        return q;
      }
      case 11: {
        let q = p;
        for (let i = 0; i < len; i++) q = this.skip(q, depth + 1);
        return q;
      }
      case 14:
        return p;
      case 3:
        return p + 8;
      case 15:
        return p + 4;
      default:
        this.need(offset, p, len);
        return p + len;
    }
  }

  /**
   * Decodes only what `spec` asks for: true takes the whole value; an object names the map keys to
   * keep (applied to every element of an array). A City record's names in eight languages are never
   * built when only the English city name is wanted.
   */
  selected(offset: number, spec: Spec, depth: number): unknown {
    if (spec === true) return this.value(offset, depth);
    if (depth > MAX_DECODE_DEPTH) this.fail(offset, `data nested deeper than ${MAX_DECODE_DEPTH} levels`);
    const { type, len, p } = this.header(offset);
    if (type === 1) {
      // Databases point many records at one shared value (a country, a city): decode it once per spec.
      const after = p + len + 1;
      const target = this.pointerTarget(offset);
      let bySpec = this.selectedCache?.get(spec);
      if (!bySpec && this.selectedCache) this.selectedCache.set(spec, (bySpec = new Map()));
      let v = bySpec?.get(target);
      if (v === undefined) {
        v = this.selected(target, spec, depth + 1);
        bySpec?.set(target, v);
      }
      this.next = after;
      return v;
    }
    if (type === 7) {
      const obj: Record<string, unknown> = {};
      let q = p;
      for (let i = 0; i < len; i++) {
        const key = this.value(q, depth + 1);
        q = this.next;
        const want = typeof key === 'string' && key !== '__proto__' ? spec[key] : undefined;
        if (want === undefined) q = this.skip(q, depth + 1);
        else {
          obj[key as string] = this.selected(q, want, depth + 1);
          q = this.next;
        }
      }
      this.next = q;
      return obj;
    }
    if (type === 11) {
      const arr: unknown[] = [];
      let q = p;
      for (let i = 0; i < len; i++) {
        arr.push(this.selected(q, spec, depth + 1));
        q = this.next;
      }
      this.next = q;
      return arr;
    }
    return this.value(offset, depth);
  }

  private pointerTarget(offset: number): number {
    const { buf, base } = this;
    const ctrl = buf[base + offset]!;
    const ss = (ctrl >> 3) & 3;
    const p = offset + 1;
    this.need(offset, p, ss + 1);
    const at = base + p;
    const vvv = ctrl & 7;
    let target: number;
    if (ss === 0) target = (vvv << 8) | buf[at]!;
    else if (ss === 1) target = ((vvv << 16) | buf.readUInt16BE(at)) + 2048;
    else if (ss === 2) target = vvv * 0x1000000 + buf.readUIntBE(at, 3) + 526336;
    else target = buf.readUInt32BE(at);
    if (target >= this.size) this.fail(offset, `pointer to ${target} is outside the ${this.what} (${this.size} bytes)`);
    if (buf[base + target]! >> 5 === 1) this.fail(offset, `pointer to ${target} points at another pointer`);
    return target;
  }

  private map(field: number, p: number, count: number, depth: number): Readonly<Record<string, unknown>> {
    const obj: Record<string, unknown> = {};
    let q = p;
    for (let i = 0; i < count; i++) {
      const key = this.value(q, depth + 1);
      if (typeof key !== 'string') this.fail(field, `map key #${i} is ${typeof key}, not a string`);
      q = this.next;
      const val = this.value(q, depth + 1);
      q = this.next;
      // A plain assignment of "__proto__" would change the prototype instead of adding a key.
      if (key === '__proto__') Object.defineProperty(obj, key, { value: val, enumerable: true });
      else obj[key] = val;
    }
    this.next = q;
    return Object.freeze(obj);
  }

  private array(_field: number, p: number, count: number, depth: number): readonly unknown[] {
    const arr: unknown[] = [];
    let q = p;
    for (let i = 0; i < count; i++) {
      arr.push(this.value(q, depth + 1));
      q = this.next;
    }
    this.next = q;
    return Object.freeze(arr);
  }
}

/**
 * Where node bytes come from: an image in memory (the window is the whole tree and never moves), or
 * an open file read through a window of TREE_WINDOW_BYTES, so compiling never holds the whole tree.
 */
export interface TreeSource {
  readonly fd: number | null;
  readonly bytes: Buffer;
  readonly treeSize: number;
}

abstract class Tree implements MmdbTree {
  readonly ipv4Start: number;
  protected readonly nodeCount: number;
  private readonly data: SectionDecoder;
  private readonly cache = new Map<number, unknown>();
  /** Tree bytes held: file offsets [winStart, winStart + winLength) are buf[0, winLength). */
  protected buf: Buffer;
  private winStart = 0;
  private winLength: number;
  private readonly fd: number | null;
  private readonly treeSize: number;

  constructor(
    tree: TreeSource,
    readonly metadata: MmdbMetadata,
    data: Buffer,
    dataStart: number,
    dataSize: number,
    private readonly source: string,
  ) {
    this.nodeCount = metadata.nodeCount;
    this.fd = tree.fd;
    this.buf = tree.bytes;
    this.treeSize = tree.treeSize;
    this.winLength = tree.fd === null ? tree.treeSize : 0;
    this.data = new SectionDecoder(data, dataStart, dataSize, 'data section', source, this.cache);
    let start = 0;
    if (metadata.ipVersion === 6) {
      for (let i = 0; i < 96 && start < this.nodeCount; i++) start = this.left(start);
    }
    this.ipv4Start = start;
  }

  /** Index in buf of the node bytes at tree offset `at` (`size` long), reading the file if needed. */
  protected at(at: number, size: number): number {
    const o = at - this.winStart;
    if (o >= 0 && o + size <= this.winLength) return o;
    const length = Math.min(this.buf.length, this.treeSize - at);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd!, this.buf, got, length - got, at + got);
      if (n === 0) throw new Error(`${this.source}: file shrank while reading the search tree`);
      got += n;
    }
    this.winStart = at;
    this.winLength = length;
    return 0;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }

  abstract left(node: number): number;
  abstract right(node: number): number;

  protected badNode(node: number): never {
    throw new Error(`${this.source}: node ${node} is not in the search tree (0..${this.nodeCount - 1})`);
  }

  dataOffset(recordValue: number): number {
    const offset = recordValue - this.nodeCount - DATA_SEPARATOR_BYTES;
    if (!Number.isInteger(recordValue) || offset < 0 || offset >= this.data.size) {
      throw new Error(
        `${this.source}: record value ${recordValue} does not point into the data section ` +
          `(node count ${this.nodeCount}, data section ${this.data.size} bytes)`,
      );
    }
    return offset;
  }

  decode(recordValue: number): unknown {
    const offset = this.dataOffset(recordValue);
    let v = this.cache.get(offset);
    if (v === undefined) {
      v = this.data.value(offset, 0);
      this.cache.set(offset, v);
    }
    return v;
  }

  decodeSelected(recordValue: number, spec: Spec): unknown {
    return this.data.selected(this.dataOffset(recordValue), spec, 0);
  }
}

// One subclass per record size keeps left()/right() branch-free; the `>>> 0 === node` test rejects
// negatives and fractions, so a bad index throws instead of reading neighbouring bytes.
class Tree24 extends Tree {
  left(node: number): number {
    if (node >>> 0 !== node || node >= this.nodeCount) this.badNode(node);
    const o = this.at(node * 6, 6);
    const b = this.buf;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }
  right(node: number): number {
    if (node >>> 0 !== node || node >= this.nodeCount) this.badNode(node);
    const o = this.at(node * 6, 6) + 3;
    const b = this.buf;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }
}

/** 28-bit records: the middle byte holds the top nibble of the left record (high half) and of the right one. */
class Tree28 extends Tree {
  left(node: number): number {
    if (node >>> 0 !== node || node >= this.nodeCount) this.badNode(node);
    const o = this.at(node * 7, 7);
    const b = this.buf;
    return ((b[o + 3]! & 0xf0) << 20) | (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }
  right(node: number): number {
    if (node >>> 0 !== node || node >= this.nodeCount) this.badNode(node);
    const o = this.at(node * 7, 7);
    const b = this.buf;
    return ((b[o + 3]! & 0x0f) << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!;
  }
}

class Tree32 extends Tree {
  left(node: number): number {
    if (node >>> 0 !== node || node >= this.nodeCount) this.badNode(node);
    const o = this.at(node * 8, 8);
    const b = this.buf;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  right(node: number): number {
    if (node >>> 0 !== node || node >= this.nodeCount) this.badNode(node);
    const o = this.at(node * 8, 8) + 4;
    const b = this.buf;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
}

function uintField(meta: Record<string, unknown>, key: string, source: string): number {
  const v = meta[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new Error(`${source}: metadata ${key} is ${v === undefined ? 'missing' : `invalid (${String(v)})`}`);
}

function parseMetadata(meta: unknown, source: string): MmdbMetadata {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new Error(`${source}: metadata is not a map`);
  }
  const m = meta as Record<string, unknown>;
  const major = uintField(m, 'binary_format_major_version', source);
  if (major !== 2) throw new Error(`${source}: unsupported MaxMind DB format version ${major} (only 2.x is supported)`);
  const nodeCount = uintField(m, 'node_count', source);
  if (nodeCount === 0) throw new Error(`${source}: metadata node_count is 0 (a search tree has at least a root node)`);
  const recordSize = uintField(m, 'record_size', source);
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) {
    throw new Error(`${source}: unsupported record size ${recordSize} (expected 24, 28 or 32)`);
  }
  const ipVersion = uintField(m, 'ip_version', source);
  if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`${source}: metadata ip_version is ${ipVersion}, not 4 or 6`);
  const databaseType = m['database_type'];
  if (typeof databaseType !== 'string') throw new Error(`${source}: metadata database_type is missing or not a string`);
  // uint64 decodes as a bigint only past 2^53, which no real epoch reaches.
  const epoch = m['build_epoch'];
  const buildEpoch = typeof epoch === 'number' ? epoch : typeof epoch === 'bigint' ? Number(epoch) : 0;
  const langs = m['languages'] ?? [];
  if (!Array.isArray(langs) || !langs.every((l) => typeof l === 'string')) {
    throw new Error(`${source}: metadata languages is not an array of strings`);
  }
  const desc = m['description'] ?? {};
  if (typeof desc !== 'object' || desc === null || Array.isArray(desc)) {
    throw new Error(`${source}: metadata description is not a map`);
  }
  const description: Record<string, string> = {};
  for (const [k, v] of Object.entries(desc)) if (typeof v === 'string') description[k] = v;
  return Object.freeze({
    databaseType,
    ipVersion,
    recordSize,
    nodeCount,
    buildEpoch,
    languages: Object.freeze([...(langs as string[])]) as string[],
    description: Object.freeze(description),
  });
}

/** Finds and parses the metadata in the file's last bytes (`tail`, which starts at file offset `tailAt`). */
function readMetadata(tail: Buffer, tailAt: number, source: string): { metadata: MmdbMetadata; marker: number } {
  const at = tail.lastIndexOf(METADATA_MARKER);
  if (at < 0 || at < tail.length - METADATA_MAX_BYTES)
    throw new Error(`${source}: not a MaxMind DB (metadata marker missing)`);
  const metaStart = at + METADATA_MARKER.length;
  const metaDecoder = new SectionDecoder(tail, metaStart, tail.length - metaStart, 'metadata', source, null);
  return { metadata: parseMetadata(metaDecoder.value(0, 0), source), marker: tailAt + at };
}

/** Where the search tree and the data section lie, checked against the metadata's position. */
function layout(metadata: MmdbMetadata, marker: number, source: string) {
  const treeSize = (metadata.nodeCount * metadata.recordSize) / 4;
  const dataStart = treeSize + DATA_SEPARATOR_BYTES;
  if (dataStart > marker) {
    throw new Error(
      `${source}: search tree of ${metadata.nodeCount} nodes (${treeSize} bytes) extends beyond the file ` +
        `(only ${marker} bytes before the metadata; truncated or corrupt)`,
    );
  }
  return { treeSize, dataStart, dataSize: marker - dataStart };
}

function makeTree(
  tree: TreeSource,
  metadata: MmdbMetadata,
  data: Buffer,
  dataStart: number,
  size: number,
  source: string,
) {
  switch (metadata.recordSize) {
    case 24:
      return new Tree24(tree, metadata, data, dataStart, size, source);
    case 28:
      return new Tree28(tree, metadata, data, dataStart, size, source);
    case 32:
      return new Tree32(tree, metadata, data, dataStart, size, source);
  }
}

/** Opens an .mmdb image held in memory; `source` (usually the path) prefixes every error message. */
export function openMmdb(buf: Buffer, source: string): MmdbTree {
  const { metadata, marker } = readMetadata(buf, 0, source);
  const { treeSize, dataStart, dataSize } = layout(metadata, marker, source);
  return makeTree({ fd: null, bytes: buf, treeSize }, metadata, buf, dataStart, dataSize, source);
}

/**
 * Opens an .mmdb file without reading it whole: the metadata and the data section are read, the
 * search tree is read through a window as it is walked. close() the tree when done. I/O errors
 * (missing file, a directory) are thrown as they come, for the caller to word.
 */
export function openMmdbFile(path: string): MmdbTree {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailAt = Math.max(0, size - METADATA_MAX_BYTES);
    const { metadata, marker } = readMetadata(readAt(fd, tailAt, size - tailAt), tailAt, path);
    const { treeSize, dataStart, dataSize } = layout(metadata, marker, path);
    const data = readAt(fd, dataStart, dataSize);
    const window = Buffer.allocUnsafe(Math.min(TREE_WINDOW_BYTES, treeSize));
    return makeTree({ fd, bytes: window, treeSize }, metadata, data, 0, dataSize, path);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function readAt(fd: number, at: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, at + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}
