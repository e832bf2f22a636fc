// MaxMind DB (.mmdb) writer: CIDR entries -> search tree (later entries win over their range) + deduplicated data section.
import { isIP } from 'node:net';

export type MmdbNumberType = 'uint16' | 'uint32' | 'uint64' | 'uint128' | 'double' | 'float' | 'int32';
/** An explicitly typed number; plain numbers encode as uint32 (integers 0..2^32-1) or double (everything else). */
export interface MmdbTypedNumber {
  type: MmdbNumberType;
  value: number | bigint;
}
/** Uint8Array encodes as the `bytes` type. A map whose only keys are a known `type` name and a numeric `value` is a typed number. */
export type MmdbValue =
  string | number | boolean | Uint8Array | MmdbValue[] | { [k: string]: MmdbValue } | MmdbTypedNumber;

export interface MmdbEntry {
  /** CIDR, IPv4 or IPv6; a bare address means a single host (/32 or /128). */
  network: string;
  data: MmdbValue;
}

export interface WriteOptions {
  databaseType: string;
  ipVersion: 4 | 6;
  /** Default: the smallest size whose records can address the whole file. */
  recordSize?: 24 | 28 | 32;
  languages?: string[];
  description?: Record<string, string>;
  /** Seconds since the Unix epoch; default now. */
  buildEpoch?: number;
  /** In v6 DBs, make ::ffff:0:0/96 and 2002::/16 point at the IPv4 subtree like MaxMind does; default true. */
  ipv4Aliases?: boolean;
}

export interface ParsedCidr {
  version: 4 | 6;
  /** 4 or 16 network bytes, host bits zero. */
  bytes: Uint8Array;
  prefix: number;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
const DATA_SEPARATOR_BYTES = 16;
const MAX_FIELD_SIZE = 16843036;
const NUMBER_TYPES: ReadonlySet<string> = new Set([
  'uint16',
  'uint32',
  'uint64',
  'uint128',
  'double',
  'float',
  'int32',
]);
const ALIASES = [
  { network: '::ffff:0:0/96', why: 'IPv4-mapped' },
  { network: '2002::/16', why: '6to4' },
];

const T = { pointer: 1, string: 2, double: 3, bytes: 4, uint16: 5, uint32: 6, map: 7, int32: 8 } as const;
const T_EXT = { uint64: 9, uint128: 10, array: 11, boolean: 14, float: 15 } as const;

function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

/** Parses a validated IPv6 address (net.isIP said 6) into 16 bytes, embedded IPv4 tail included. */
function parseV6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let s = text;
  let tail: Uint8Array | null = null;
  if (s.includes('.')) {
    const i = s.lastIndexOf(':');
    tail = parseV4(s.slice(i + 1));
    s = s.slice(0, i + 1) + '0:0';
  }
  const halves = s.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** Parses and validates a CIDR (or a bare address as a host route); throws an Error saying what is wrong. */
export function parseCidr(cidr: string): ParsedCidr {
  const text = cidr.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(addr) as 0 | 4 | 6;
  if (version === 0 || addr.includes('%')) throw new Error(`invalid network '${cidr}': '${addr}' is not an IP address`);
  const bits = version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > bits) {
      throw new Error(`invalid network '${cidr}': prefix length must be 0..${bits}`);
    }
    prefix = Number(p);
  }
  const bytes = version === 4 ? parseV4(addr)! : parseV6(addr);
  for (let i = prefix; i < bits; i++) {
    if (bitAt(bytes, i)) {
      const hint = version === 4 ? ` (did you mean ${maskV4(bytes, prefix)}/${prefix}?)` : '';
      throw new Error(`invalid network '${cidr}': host bits are set beyond /${prefix}${hint}`);
    }
  }
  return { version, bytes, prefix };
}

function maskV4(bytes: Uint8Array, prefix: number): string {
  const out = Array.from(bytes);
  for (let i = prefix; i < 32; i++) out[i >> 3]! &= ~(0x80 >> (i & 7));
  return out.join('.');
}

function bitAt(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

function isTyped(v: object): v is MmdbTypedNumber {
  const keys = Object.keys(v);
  if (keys.length !== 2 || !('type' in v) || !('value' in v)) return false;
  const { type, value } = v as { type: unknown; value: unknown };
  return typeof type === 'string' && NUMBER_TYPES.has(type) && (typeof value === 'number' || typeof value === 'bigint');
}

/**
 * Validated, canonical form of a value: `key` identifies its encoding exactly (same key = same bytes),
 * so it drives both record deduplication and pointer reuse for repeated strings and sub-maps.
 */
type Field =
  | { key: string; t: 'string'; s: string; utf8: Buffer }
  | { key: string; t: 'bytes'; b: Uint8Array }
  | { key: string; t: 'bool'; v: boolean }
  | { key: string; t: 'uint'; type: number; v: bigint }
  | { key: string; t: 'int32'; v: number }
  | { key: string; t: 'double' | 'float'; v: number }
  | { key: string; t: 'map'; entries: [Field, Field][] }
  | { key: string; t: 'array'; items: Field[] };

const UINT_LIMITS: Record<string, [number, bigint]> = {
  uint16: [T.uint16, 0xffffn],
  uint32: [T.uint32, 0xffffffffn],
  uint64: [T_EXT.uint64, (1n << 64n) - 1n],
  uint128: [T_EXT.uint128, (1n << 128n) - 1n],
};

function stringField(s: string): Field {
  return { key: 's' + JSON.stringify(s), t: 'string', s, utf8: Buffer.from(s, 'utf8') };
}

function uintField(typeName: string, v: bigint, path: string): Field {
  const [type, max] = UINT_LIMITS[typeName]!;
  if (v < 0n || v > max) throw new Error(`${path}: ${v} is out of range for ${typeName}`);
  return { key: `${typeName}:${v}`, t: 'uint', type, v };
}

/** Builds the canonical tree of a value, validating as it goes (errors name the path inside the record). */
function toField(value: unknown, path: string): Field {
  switch (typeof value) {
    case 'string':
      return stringField(value);
    case 'boolean':
      return { key: value ? 'T' : 'F', t: 'bool', v: value };
    case 'number':
      if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return uintField('uint32', BigInt(value), path);
      return { key: `double:${Object.is(value, -0) ? '-0' : value}`, t: 'double', v: value };
    case 'object': {
      if (value === null) break;
      if (value instanceof Uint8Array) return { key: 'b' + Buffer.from(value).toString('hex'), t: 'bytes', b: value };
      if (Array.isArray(value)) {
        const items = value.map((v, i) => toField(v, `${path}[${i}]`));
        return { key: `[${items.map((n) => n.key).join(',')}]`, t: 'array', items };
      }
      if (isTyped(value)) return typedField(value, path);
      // Dates, Maps, class instances: refuse rather than silently encode as an empty map.
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) break;
      const entries: [Field, Field][] = Object.entries(value).map(([k, v]) => [
        stringField(k),
        toField(v, `${path}.${k}`),
      ]);
      return { key: `{${entries.map(([k, v]) => `${k.key}:${v.key}`).join(',')}}`, t: 'map', entries };
    }
  }
  const what =
    value === null ? 'null' : typeof value === 'object' ? `a ${value.constructor?.name ?? 'object'}` : typeof value;
  throw new Error(
    `${path}: unsupported value (${what}); use a string, number, boolean, array, plain object or Uint8Array`,
  );
}

function typedField({ type, value }: MmdbTypedNumber, path: string): Field {
  if (type === 'double' || type === 'float') {
    if (typeof value !== 'number') throw new Error(`${path}: ${type} needs a number, got a bigint`);
    const v = type === 'float' ? Math.fround(value) : value;
    return { key: `${type}:${Object.is(v, -0) ? '-0' : v}`, t: type, v };
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new Error(`${path}: ${type} needs an integer, got ${value}`);
  }
  if (type === 'int32') {
    const v = Number(value);
    if (v < -0x80000000 || v > 0x7fffffff) throw new Error(`${path}: ${value} is out of range for int32`);
    return { key: `int32:${v}`, t: 'int32', v };
  }
  return uintField(type, BigInt(value), path);
}

/** Growable byte buffer. */
class Bytes {
  buf = Buffer.alloc(4096);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Encodes fields; with pointers on, a repeat of an already written string/map/array/double becomes a pointer to it. */
class DataSection {
  readonly out = new Bytes();
  private readonly seen = new Map<string, number>();

  constructor(private readonly usePointers: boolean) {}

  /** Writes a top-level record (never a bare pointer, so tree records always land on a real field). */
  record(node: Field): number {
    const known = this.seen.get(node.key);
    if (known !== undefined) return known;
    return this.inline(node);
  }

  private field(node: Field): void {
    if (this.usePointers && this.worthPointing(node)) {
      const at = this.seen.get(node.key);
      if (at !== undefined) return this.pointer(at);
    }
    this.inline(node);
  }

  private worthPointing(node: Field): boolean {
    switch (node.t) {
      case 'string':
        return node.utf8.length >= 3;
      case 'bytes':
        return node.b.length >= 3;
      case 'map':
        return node.entries.length > 0;
      case 'array':
        return node.items.length > 0;
      case 'double':
        return true;
      default:
        return false;
    }
  }

  private inline(node: Field): number {
    const at = this.out.len;
    switch (node.t) {
      case 'string':
        this.header(T.string, node.utf8.length);
        this.out.bytes(node.utf8);
        break;
      case 'bytes':
        this.header(T.bytes, node.b.length);
        this.out.bytes(node.b);
        break;
      case 'bool':
        this.header(T_EXT.boolean, node.v ? 1 : 0);
        break;
      case 'uint': {
        const digits: number[] = [];
        for (let v = node.v; v > 0n; v >>= 8n) digits.unshift(Number(v & 0xffn));
        this.header(node.type, digits.length);
        this.out.bytes(Uint8Array.from(digits));
        break;
      }
      case 'int32': {
        // Negative values need all 4 bytes (readers left-pad shorter fields with zeros); positive ones keep the
        // top bit of a short field clear, so a reader that sign-extends short fields gets the same number.
        const u = node.v >>> 0;
        const n = node.v < 0 ? 4 : u >= 0x800000 ? 4 : u >= 0x8000 ? 3 : u >= 0x80 ? 2 : u > 0 ? 1 : 0;
        this.header(T.int32, n);
        for (let i = n - 1; i >= 0; i--) this.out.byte((u >>> (i * 8)) & 0xff);
        break;
      }
      case 'double': {
        this.header(T.double, 8);
        const b = Buffer.alloc(8);
        b.writeDoubleBE(node.v);
        this.out.bytes(b);
        break;
      }
      case 'float': {
        this.header(T_EXT.float, 4);
        const b = Buffer.alloc(4);
        b.writeFloatBE(node.v);
        this.out.bytes(b);
        break;
      }
      case 'map':
        this.header(T.map, node.entries.length);
        for (const [k, v] of node.entries) {
          this.field(k);
          this.field(v);
        }
        break;
      case 'array':
        this.header(T_EXT.array, node.items.length);
        for (const item of node.items) this.field(item);
        break;
    }
    if (!this.seen.has(node.key)) this.seen.set(node.key, at);
    return at;
  }

  /** Control byte (type in the top 3 bits, 0 = extended), extended type byte, then size extension bytes. */
  private header(type: number, size: number): void {
    if (size > MAX_FIELD_SIZE)
      throw new Error(`field of ${size} bytes/items exceeds the format limit ${MAX_FIELD_SIZE}`);
    const top = type <= 7 ? type << 5 : 0;
    const o = this.out;
    const ext = () => {
      if (type > 7) o.byte(type - 7);
    };
    if (size < 29) {
      o.byte(top | size);
      ext();
    } else if (size < 285) {
      o.byte(top | 29);
      ext();
      o.byte(size - 29);
    } else if (size < 65821) {
      o.byte(top | 30);
      ext();
      const s = size - 285;
      o.byte(s >> 8);
      o.byte(s & 0xff);
    } else {
      o.byte(top | 31);
      ext();
      const s = size - 65821;
      o.byte(s >> 16);
      o.byte((s >> 8) & 0xff);
      o.byte(s & 0xff);
    }
  }

  private pointer(target: number): void {
    const o = this.out;
    const ctrl = T.pointer << 5;
    if (target < 2048) {
      o.byte(ctrl | (target >> 8));
      o.byte(target & 0xff);
    } else if (target < 526336) {
      const v = target - 2048;
      o.byte(ctrl | (1 << 3) | (v >> 16));
      o.byte((v >> 8) & 0xff);
      o.byte(v & 0xff);
    } else if (target < 526336 + 2 ** 27) {
      const v = target - 526336;
      o.byte(ctrl | (2 << 3) | (v >>> 24));
      o.byte((v >> 16) & 0xff);
      o.byte((v >> 8) & 0xff);
      o.byte(v & 0xff);
    } else {
      o.byte(ctrl | (3 << 3));
      const b = Buffer.alloc(4);
      b.writeUInt32BE(target);
      o.bytes(b);
    }
  }
}

// In-memory trie: kids[2n] / kids[2n+1] are node n's left/right children. A child is a node index (>= 0),
// EMPTY, or a data id d stored as -2 - d.
const EMPTY = -1;

class Trie {
  readonly kids: number[] = [EMPTY, EMPTY];

  /** Points the whole network at `leaf`, replacing whatever the range held (later entries win). */
  set(bytes: Uint8Array, prefix: number, leaf: number, stopAt?: number): void {
    if (prefix === 0) {
      this.kids[0] = leaf;
      this.kids[1] = leaf;
      return;
    }
    let node = 0;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const slot = node * 2 + bitAt(bytes, depth);
      let child = this.kids[slot]!;
      if (child < 0) {
        if (child === stopAt) return;
        // Split a terminal: both halves keep the old answer, one of them is then refined.
        child = this.kids.length / 2;
        this.kids.push(this.kids[slot]!, this.kids[slot]!);
        this.kids[slot] = child;
      }
      node = child;
    }
    this.kids[node * 2 + bitAt(bytes, prefix - 1)] = leaf;
  }

  /** The child value reached after following `depth` bits of `bytes`, stopping early at a terminal. */
  get(bytes: Uint8Array, depth: number): number {
    let v = 0;
    for (let d = 0; d < depth && v >= 0; d++) v = this.kids[v * 2 + bitAt(bytes, d)]!;
    return v;
  }
}

/** Builds a complete .mmdb file. Entries are applied in order, so a later entry overrides earlier ones over its range. */
export function writeMmdb(entries: MmdbEntry[], opts: WriteOptions): Buffer {
  const v6 = opts.ipVersion === 6;
  if (opts.ipVersion !== 4 && opts.ipVersion !== 6) throw new Error(`ipVersion must be 4 or 6, got ${opts.ipVersion}`);
  if (typeof opts.databaseType !== 'string' || opts.databaseType === '') throw new Error('databaseType is required');
  const aliases = v6 && opts.ipv4Aliases !== false;
  const aliasNets = aliases ? ALIASES.map((a) => ({ ...a, cidr: parseCidr(a.network) })) : [];

  const trie = new Trie();
  const dataIds = new Map<string, number>();
  const dataNodes: Field[] = [];
  entries.forEach((entry, i) => {
    const where = `entry ${i} (${entry.network})`;
    let cidr: ParsedCidr;
    try {
      cidr = parseCidr(String(entry.network));
    } catch (err) {
      throw new Error(`entry ${i}: ${(err as Error).message}`);
    }
    let bytes = cidr.bytes;
    let prefix = cidr.prefix;
    if (cidr.version === 6 && !v6) throw new Error(`${where}: IPv6 network in an IPv4 database`);
    if (cidr.version === 4 && v6) {
      // IPv4 lives at ::/96 in an IPv6 tree.
      bytes = new Uint8Array(16);
      bytes.set(cidr.bytes, 12);
      prefix += 96;
    }
    for (const a of aliasNets) {
      if (prefix >= a.cidr.prefix && covers(a.cidr.bytes, a.cidr.prefix, bytes)) {
        throw new Error(
          `${where}: inside ${a.network} (${a.why}), which aliases the IPv4 tree; ` +
            'write it as an IPv4 network or set ipv4Aliases: false',
        );
      }
    }
    const node = toField(entry.data, `${where} data`);
    let id = dataIds.get(node.key);
    if (id === undefined) {
      id = dataNodes.length;
      dataIds.set(node.key, id);
      dataNodes.push(node);
    }
    trie.set(bytes, prefix, -2 - id);
  });

  if (aliases) {
    const v4 = trie.get(new Uint8Array(16), 96);
    // With no IPv4 data, an already empty alias range needs no nodes.
    for (const a of aliasNets) trie.set(a.cidr.bytes, a.cidr.prefix, v4, v4 === EMPTY ? EMPTY : undefined);
  }

  return serialize(trie, dataNodes, opts);
}

function covers(net: Uint8Array, prefix: number, addr: Uint8Array): boolean {
  for (let i = 0; i < prefix; i++) if (bitAt(net, i) !== bitAt(addr, i)) return false;
  return true;
}

function serialize(trie: Trie, dataNodes: Field[], opts: WriteOptions): Buffer {
  const kids = trie.kids;
  // Number reachable nodes breadth-first from the root (node 0); overridden subtrees are dropped and the
  // aliased IPv4 subtree, reachable from three places, is numbered once.
  const index = new Int32Array(kids.length / 2).fill(-1);
  const order: number[] = [0];
  index[0] = 0;
  const dataOffset = new Map<number, number>();
  const data = new DataSection(true);
  for (let q = 0; q < order.length; q++) {
    const n = order[q]!;
    for (const c of [kids[n * 2]!, kids[n * 2 + 1]!]) {
      if (c >= 0 && index[c] === -1) {
        index[c] = order.length;
        order.push(c);
      } else if (c <= -2 && !dataOffset.has(c)) {
        dataOffset.set(c, data.record(dataNodes[-2 - c]!));
      }
    }
  }
  const nodeCount = order.length;
  const dataBytes = data.out.result();
  const maxRecord = nodeCount + DATA_SEPARATOR_BYTES + dataBytes.length;
  const fits = (size: number) => maxRecord < 2 ** size;
  if (opts.recordSize !== undefined && ![24, 28, 32].includes(opts.recordSize)) {
    throw new Error(`recordSize must be 24, 28 or 32, got ${opts.recordSize}`);
  }
  const recordSize = opts.recordSize ?? ([24, 28, 32] as const).find(fits);
  if (recordSize === undefined || !fits(recordSize)) {
    throw new Error(
      `database too large for ${opts.recordSize ?? 32}-bit records (${nodeCount} nodes, ${dataBytes.length} data bytes)`,
    );
  }

  const recordOf = (c: number): number =>
    c >= 0 ? index[c]! : c === EMPTY ? nodeCount : nodeCount + DATA_SEPARATOR_BYTES + dataOffset.get(c)!;
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((n, i) => {
    const l = recordOf(kids[n * 2]!);
    const r = recordOf(kids[n * 2 + 1]!);
    const o = i * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(l, o, 3);
      tree.writeUIntBE(r, o + 3, 3);
    } else if (recordSize === 28) {
      tree.writeUIntBE(l & 0xffffff, o, 3);
      tree[o + 3] = ((l >>> 24) << 4) | (r >>> 24);
      tree.writeUIntBE(r & 0xffffff, o + 4, 3);
    } else {
      tree.writeUInt32BE(l, o);
      tree.writeUInt32BE(r, o + 4);
    }
  });

  const meta = new DataSection(false);
  meta.record(
    toField(
      {
        binary_format_major_version: { type: 'uint16', value: 2 },
        binary_format_minor_version: { type: 'uint16', value: 0 },
        build_epoch: { type: 'uint64', value: opts.buildEpoch ?? Math.floor(Date.now() / 1000) },
        database_type: opts.databaseType,
        description: opts.description ?? {},
        ip_version: { type: 'uint16', value: opts.ipVersion },
        languages: opts.languages ?? [],
        node_count: { type: 'uint32', value: nodeCount },
        record_size: { type: 'uint16', value: recordSize },
      },
      'metadata',
    ),
  );

  return Buffer.concat([tree, Buffer.alloc(DATA_SEPARATOR_BYTES), dataBytes, METADATA_MARKER, meta.out.result()]);
}
