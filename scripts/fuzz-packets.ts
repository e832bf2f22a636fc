// Seeded DNS fuzz corpus: valid, blindly mutated and random messages, mixed with the structure-aware
// kinds of fuzz-structured.ts, and scripted TCP sessions of them (scripts/fuzz.ts, test/fuzz.test.ts).
import dnsPacket from 'dns-packet';
import { EDNS_OPTION, QTYPE } from '../zones/dns.js';
import { seeded, type Rng } from '../zones/prng.js';
import { StructuredGenerator, type FuzzCase } from './fuzz-structured.js';

export type { FuzzCase };

/** A scripted TCP connection: the whole byte stream, where to cut it into writes, and how to end. */
export interface TcpSession {
  readonly kind: string;
  readonly stream: Buffer;
  /** The case each framed message came from, by the offset of its first octet in stream. */
  readonly cases: ReadonlyMap<number, FuzzCase>;
  /** Offsets at which the stream is split into separate writes (ascending). */
  readonly cuts: readonly number[];
  /** Reset the connection instead of closing it cleanly after the last write. */
  readonly abort: boolean;
}

const OWNERS = ['mail', 'ns1', 'ns2', 'www', 'api', 'status', 'docs', '_sip._udp', 'MAIL', 'Ns1', '*'];
const OUTSIDE = ['example.org', 'com', '', 'gslb.example.net', 'localhost', 'in-addr.arpa'];
const CHAOS_NAMES = ['version.bind', 'hostname.bind', 'id.server', 'version.server', 'authors.bind'];
const QTYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 41, 43, 46, 48, 64, 65, 99, 251, 252, 255, 257, 0, 65280, 65535];
const QCLASSES = [3, 4, 254, 255, 0, 2, 65535];
const OPTION_CODES = [0, 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15, 20292, 26946, 65001, 65535];
const INTERESTING_BYTES = [0, 1, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xfe, 0xff];
const INTERESTING_U16 = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff];

const OPT_TYPE = QTYPE.OPT;
const ECS_CODE = EDNS_OPTION.ECS;

/** dns-packet types only allow known option shapes; a raw code + data is valid at runtime. */
function rawOption(code: number, data: Buffer): dnsPacket.PacketOpt {
  return { code, data } as unknown as dnsPacket.PacketOpt;
}

function option(code: number, data: Buffer, lenOverride?: number): Buffer {
  const b = Buffer.alloc(4 + data.length);
  b.writeUInt16BE(code, 0);
  b.writeUInt16BE(lenOverride ?? data.length, 2);
  data.copy(b, 4);
  return b;
}

interface OptSpec {
  owner?: Buffer;
  udpSize?: number;
  extRcode?: number;
  version?: number;
  flags?: number;
  rdata?: Buffer;
  rdlenOverride?: number;
}

/** An OPT pseudo-RR built by hand, so every field can be wrong on purpose. */
function optRecord(s: OptSpec): Buffer {
  const owner = s.owner ?? Buffer.from([0]);
  const rdata = s.rdata ?? Buffer.alloc(0);
  const b = Buffer.alloc(owner.length + 10 + rdata.length);
  owner.copy(b, 0);
  let p = owner.length;
  b.writeUInt16BE(OPT_TYPE, p);
  b.writeUInt16BE(s.udpSize ?? 1232, p + 2);
  b[p + 4] = s.extRcode ?? 0;
  b[p + 5] = s.version ?? 0;
  b.writeUInt16BE(s.flags ?? 0, p + 6);
  b.writeUInt16BE(s.rdlenOverride ?? rdata.length, p + 8);
  p += 10;
  rdata.copy(b, p);
  return b;
}

/** Appends records to a message and bumps the count of the section at countOffset (6, 8 or 10). */
function appendRecords(msg: Buffer, records: readonly Buffer[], countOffset = 10): Buffer {
  const out = Buffer.concat([msg, ...records]);
  if (out.length >= 12) out.writeUInt16BE((out.readUInt16BE(countOffset) + records.length) & 0xffff, countOffset);
  return out;
}

/** Offsets of the qname's label length bytes and the offset just past the qname (-1 if malformed). */
function qnameLayout(msg: Buffer): { labels: number[]; end: number } {
  const labels: number[] = [];
  let p = 12;
  while (p < msg.length) {
    const len = msg[p]!;
    if (len === 0) return { labels, end: p + 1 };
    if (len > 63) break;
    labels.push(p);
    p += len + 1;
  }
  return { labels, end: -1 };
}

type Mutation = (g: FuzzGenerator, msg: Buffer) => Buffer;

/** Byte-level mutations: blind damage to whatever message they are given. */
const BYTE_MUTATIONS: Record<string, Mutation> = {
  bitflip(g, m) {
    if (m.length === 0) return m;
    for (let k = 1 + g.int(8); k > 0; k--) {
      const bit = g.int(m.length * 8);
      m[bit >> 3] = m[bit >> 3]! ^ (1 << (bit & 7));
    }
    return m;
  },
  bytes(g, m) {
    if (m.length === 0) return m;
    for (let k = 1 + g.int(6); k > 0; k--) m[g.int(m.length)] = g.chance(0.5) ? g.pick(INTERESTING_BYTES) : g.int(256);
    return m;
  },
  truncate(g, m) {
    return Buffer.from(m.subarray(0, g.int(m.length)));
  },
  extend(g, m) {
    return Buffer.concat([m, g.chance(0.7) ? g.bytes(1 + g.int(64)) : m]);
  },
  counts(g, m) {
    if (m.length < 12) return m;
    const offsets = [4, 6, 8, 10].filter(() => g.chance(0.5));
    if (offsets.length === 0) offsets.push(g.pick([4, 6, 8, 10]));
    for (const o of offsets) m.writeUInt16BE(g.chance(0.6) ? g.pick(INTERESTING_U16) : g.int(65536), o);
    return m;
  },
  flags(g, m) {
    if (m.length < 4) return m;
    // Mostly keep QR clear so the message reaches the parser, and often opcode 0 so it gets past it.
    m[2] = g.chance(0.8) ? g.int(256) & (g.chance(0.5) ? 0x07 : 0x7f) : g.int(256);
    m[3] = g.int(256);
    return m;
  },
};

/** Structural mutations: aimed at one parser feature each; they get a query without EDNS. */
const STRUCTURAL_MUTATIONS: Record<string, Mutation> = {
  /** A compression pointer inside the question: loops, forward, into the header, out of range. */
  qpointer(g, m) {
    const { labels, end } = qnameLayout(m);
    const at = labels.length > 0 ? g.pick(labels) : 12;
    const target = g.pick([at, 12, at + 2 + g.int(40), 0x3fff, g.int(12), m.length, m.length + g.int(100)]) & 0x3fff;
    const ptr = Buffer.from([0xc0 | (target >> 8), target & 0xff]);
    // Either the pointer ends the name (rest of the message kept), or it overwrites bytes in place.
    if (end > 0 && g.chance(0.7)) return Buffer.concat([m.subarray(0, at), ptr, m.subarray(end)]);
    const out = Buffer.from(m);
    if (at + 1 < out.length) ptr.copy(out, at);
    return out;
  },
  /** Additional (or answer/authority) records whose owner names are pointer loops or bad pointers. */
  rrpointer(g, m) {
    const start = m.length;
    const records: Buffer[] = [];
    const n = 1 + g.int(3);
    for (let i = 0; i < n; i++) {
      const here = start + records.reduce((s, r) => s + r.length, 0);
      const kind = g.int(5);
      let owner: Buffer;
      if (kind === 0)
        owner = Buffer.from([0xc0 | (here >> 8), here & 0xff]); // points at itself
      else if (kind === 1)
        owner = Buffer.from([0xc0 | ((here + 14) >> 8), (here + 14) & 0xff]); // forward
      else if (kind === 2)
        owner = Buffer.from([0xc0, 0x0c]); // fine: the question name
      else if (kind === 3)
        owner = Buffer.from([1, 0x61, 0xc0 | (here >> 8), here & 0xff]); // label then self loop
      else owner = Buffer.from([0xc0 | g.int(64), g.int(256)]);
      const rdata = g.bytes(g.int(24));
      const rr = Buffer.alloc(owner.length + 10 + rdata.length);
      owner.copy(rr, 0);
      rr.writeUInt16BE(g.chance(0.3) ? OPT_TYPE : g.pick(QTYPES), owner.length);
      rr.writeUInt16BE(g.chance(0.5) ? 1 : g.int(65536), owner.length + 2);
      rr.writeUInt32BE(g.int(0x100000000), owner.length + 4);
      rr.writeUInt16BE(g.chance(0.8) ? rdata.length : g.pick(INTERESTING_U16), owner.length + 8);
      rdata.copy(rr, owner.length + 10);
      records.push(rr);
    }
    return appendRecords(m, records, g.chance(0.8) ? 10 : g.pick([6, 8]));
  },
  /** Label lengths over 63 (extended label types, pointers' first byte), past the end, or names over 255 octets. */
  label(g, m) {
    const { labels, end } = qnameLayout(m);
    if (g.chance(0.4) || labels.length === 0 || end < 0) {
      const count = 3 + g.int(8);
      const parts: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const len = g.chance(0.5) ? 63 : 1 + g.int(63);
        parts.push(Buffer.from([len]), g.chance(0.3) ? g.bytes(len) : Buffer.alloc(len, 0x61));
      }
      parts.push(Buffer.from([0]));
      const tail = end > 0 ? m.subarray(end) : Buffer.from([0, 1, 0, 1]);
      return Buffer.concat([m.subarray(0, 12), ...parts, tail]);
    }
    const out = Buffer.from(m);
    out[g.pick(labels)] = g.chance(0.5) ? 64 + g.int(192) : g.pick([0x40, 0x41, 0x80, 0xbf, 0xff, 63]);
    return out;
  },
  /** OPT whose options are garbage: random codes, lying lengths, overrunning the RDATA. */
  optgarbage(g, m) {
    const opts: Buffer[] = [];
    for (let k = g.int(5); k > 0; k--) {
      const data = g.bytes(g.int(40));
      opts.push(option(g.pick(OPTION_CODES), data, g.chance(0.25) ? g.pick(INTERESTING_U16) : undefined));
    }
    if (g.chance(0.3)) opts.push(g.bytes(1 + g.int(3))); // a truncated option header
    const rdata = Buffer.concat(opts);
    return appendRecords(m, [
      optRecord({
        udpSize: g.pick(INTERESTING_U16),
        flags: g.int(65536),
        rdata,
        rdlenOverride: g.chance(0.2) ? g.pick(INTERESTING_U16) : undefined,
      }),
    ]);
  },
  /** EDNS Client Subnet with bad families, prefixes, scopes and address lengths. */
  ecs(g, m) {
    const family = g.chance(0.3) ? g.pick([0, 3, 0xffff, g.int(65536)]) : g.pick([1, 2]);
    const max = family === 2 ? 128 : 32;
    let source = g.int(max + 1);
    let scope = 0;
    let addrLen = (source + 7) >> 3;
    let lenOverride: number | undefined;
    switch (g.int(7)) {
      case 0:
        source = max + 1 + g.int(255 - max); // prefix beyond the family's width
        addrLen = Math.min((source + 7) >> 3, 32);
        break;
      case 1:
        scope = 1 + g.int(255); // a query must carry scope 0
        break;
      case 2:
        addrLen = Math.max(0, addrLen + g.pick([-2, -1, 1, 2, 17])); // address shorter or longer than the prefix
        break;
      case 3:
        lenOverride = g.int(4); // shorter than the fixed part
        break;
      case 4:
        lenOverride = 4 + addrLen + 1 + g.int(300); // overruns the OPT RDATA
        break;
    }
    const body = Buffer.alloc(4 + addrLen);
    body.writeUInt16BE(family, 0);
    body[2] = source;
    body[3] = scope;
    for (let i = 0; i < addrLen; i++) body[4 + i] = g.int(256); // random address bits, often beyond the prefix
    let rdata = option(ECS_CODE, lenOverride !== undefined && lenOverride < 4 ? body.subarray(0, lenOverride) : body);
    if (lenOverride !== undefined && lenOverride >= 4) rdata.writeUInt16BE(lenOverride, 2);
    if (g.chance(0.2)) rdata = Buffer.concat([rdata, rdata]); // the same option twice
    return appendRecords(m, [optRecord({ udpSize: 1232, rdata })]);
  },
  /** Two or three OPT records in one message. */
  multiopt(g, m) {
    const records: Buffer[] = [];
    for (let k = 2 + g.int(2); k > 0; k--) {
      records.push(optRecord({ udpSize: g.pick(INTERESTING_U16), version: g.chance(0.8) ? 0 : g.int(256) }));
    }
    return appendRecords(m, records);
  },
  /** One OPT with odd fixed fields: EDNS version > 0, a non-root owner, tiny or huge sizes, or in the wrong section. */
  optfields(g, m) {
    const spec: OptSpec = { udpSize: g.pick(INTERESTING_U16), flags: g.int(65536), extRcode: g.int(256) };
    const pick = g.int(3);
    if (pick === 0) spec.version = 1 + g.int(255);
    else if (pick === 1)
      spec.owner = g.pick([Buffer.from([1, 0x78, 0]), Buffer.from([0xc0, 0x0c]), Buffer.from([0xc0])]);
    return appendRecords(m, [optRecord(spec)], g.chance(0.8) ? 10 : g.pick([6, 8]));
  },
  /** QDCOUNT 2 with the question repeated, or QDCOUNT 0 with no question. */
  questions(g, m) {
    const { end } = qnameLayout(m);
    if (end < 0 || end + 4 > m.length) return m;
    if (g.chance(0.5)) {
      const out = Buffer.concat([m.subarray(0, end + 4), m.subarray(12, end + 4), m.subarray(end + 4)]);
      out.writeUInt16BE(2, 4);
      return out;
    }
    const out = Buffer.concat([m.subarray(0, 12), m.subarray(end + 4)]);
    out.writeUInt16BE(0, 4);
    return out;
  },
  /** The head of this query joined to the tail of another. */
  splice(g, m) {
    const other = g.validQuery(g.chance(0.5));
    return Buffer.concat([m.subarray(0, g.int(m.length + 1)), other.subarray(g.int(other.length))]);
  },
  /** A valid query followed by bytes that belong to no record. */
  trailing(g, m) {
    return Buffer.concat([m, g.bytes(1 + g.int(20))]);
  },
  /** A bare header (no question) with random counts. */
  header(g) {
    const h = g.bytes(12);
    h[2] = h[2]! & (g.chance(0.7) ? 0x07 : 0x7f);
    return h;
  },
};

const BYTE_NAMES = Object.keys(BYTE_MUTATIONS);
const STRUCTURAL_NAMES = Object.keys(STRUCTURAL_MUTATIONS);

/** Generates queries, mutations, random packets and TCP sessions from one seed. */
export class FuzzGenerator {
  private readonly rng: Rng;
  private readonly apexes: readonly string[];
  /** The structure-aware kinds, drawing on this generator's seed. */
  readonly structured: StructuredGenerator;

  constructor(seed: number, apexes: readonly string[] = ['gslb.example.com']) {
    this.rng = seeded(seed);
    this.apexes = apexes.length > 0 ? apexes : ['gslb.example.com'];
    this.structured = new StructuredGenerator(this, this.apexes[0]);
  }

  int(n: number): number {
    return Math.floor(this.rng() * n);
  }
  chance(p: number): boolean {
    return this.rng() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  private label(): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
    let s = '';
    for (let n = 1 + this.int(20); n > 0; n--) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  private name(): string {
    const apex = this.pick(this.apexes);
    switch (this.int(10)) {
      case 0:
        return apex;
      case 1:
      case 2:
      case 3:
        return `${this.pick(OWNERS)}.${apex}`;
      case 4:
        return `${this.label()}.${apex}`; // does not exist
      case 5:
        return `${this.label()}.${this.label()}.${this.pick(OWNERS)}.${apex}`; // below an existing name
      case 6:
        return this.pick(OUTSIDE);
      case 7:
        return this.pick(CHAOS_NAMES);
      case 8:
        return `${'x'.repeat(63)}.${'y'.repeat(63)}.${this.label()}.${apex}`; // long but legal
      default:
        return `${this.pick(OWNERS)}.${apex}`.toUpperCase();
    }
  }

  private qtype(): number {
    return this.chance(0.9) ? this.pick(QTYPES) : this.int(65536);
  }

  /** Valid EDNS options: NSID, ECS (prefix bits masked), cookie, padding, keepalive. */
  private ednsOptions(): dnsPacket.PacketOpt[] {
    const opts: dnsPacket.PacketOpt[] = [];
    if (this.chance(0.4)) opts.push(rawOption(3, Buffer.alloc(0)));
    if (this.chance(0.5)) {
      const family = this.chance(0.7) ? 1 : 2;
      const source = this.int((family === 1 ? 32 : 128) + 1);
      const addr = this.bytes((source + 7) >> 3);
      if (source % 8 !== 0) addr[addr.length - 1] = addr[addr.length - 1]! & ((0xff << (8 - (source % 8))) & 0xff);
      const body = Buffer.alloc(4 + addr.length);
      body.writeUInt16BE(family, 0);
      body[2] = source;
      addr.copy(body, 4);
      opts.push(rawOption(ECS_CODE, body));
    }
    if (this.chance(0.2)) opts.push(rawOption(10, this.bytes(8)));
    if (this.chance(0.1)) opts.push(rawOption(12, Buffer.alloc(this.int(64))));
    if (this.chance(0.1)) opts.push(rawOption(11, Buffer.alloc(0)));
    return opts;
  }

  /** A well-formed query built with dns-packet; type and class are patched in as raw numbers. */
  validQuery(edns = this.chance(0.5)): Buffer {
    const name = this.name();
    const additionals: dnsPacket.Answer[] = [];
    if (edns) {
      const dnssecOk = this.chance(0.3);
      additionals.push({
        type: 'OPT',
        name: '.',
        udpPayloadSize: this.pick([512, 1232, 1232, 4096, 0, 65535, 1 + this.int(65535)]),
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
        flag_do: dnssecOk,
        options: this.ednsOptions(),
      });
    }
    const flags =
      (this.chance(0.5) ? dnsPacket.RECURSION_DESIRED : 0) | (this.chance(0.1) ? dnsPacket.CHECKING_DISABLED : 0);
    const wire = dnsPacket.encode({
      type: 'query',
      id: this.int(65536),
      flags,
      questions: [{ name, type: 'A', class: 'IN' }],
      additionals,
    });
    const { end } = qnameLayout(wire);
    const chaos = CHAOS_NAMES.includes(name);
    wire.writeUInt16BE(chaos && this.chance(0.7) ? 16 : this.qtype(), end);
    wire.writeUInt16BE(chaos ? 3 : this.chance(0.9) ? 1 : this.pick(QCLASSES), end + 2);
    return wire;
  }

  /** One structural mutation (on a query without EDNS) and/or up to three byte mutations. */
  mutated(): FuzzCase {
    const kinds: string[] = [];
    let msg: Buffer;
    if (this.chance(0.6)) {
      const s = this.pick(STRUCTURAL_NAMES);
      kinds.push(s);
      msg = STRUCTURAL_MUTATIONS[s]!(this, this.validQuery(false));
    } else msg = this.validQuery();
    const byteRounds = kinds.length === 0 ? 1 + this.int(3) : this.chance(0.3) ? 1 : 0;
    for (let i = 0; i < byteRounds; i++) {
      const b = this.pick(BYTE_NAMES);
      kinds.push(b);
      msg = BYTE_MUTATIONS[b]!(this, msg);
    }
    return { kind: kinds.join('+'), bytes: msg };
  }

  /** Random bytes, 0-600 octets; sometimes behind a plausible query header so they reach the parser. */
  random(): FuzzCase {
    const bytes = this.bytes(this.int(601));
    if (bytes.length >= 12 && this.chance(0.3)) {
      bytes[2] = 0x01;
      bytes.writeUInt16BE(1, 4);
      return { kind: 'random-body', bytes };
    }
    return { kind: 'random', bytes };
  }

  /** The blind mix: 8% valid, 12% random, 80% mutated. */
  next(): FuzzCase {
    const r = this.rng();
    if (r < 0.08) return { kind: 'valid', bytes: this.validQuery() };
    if (r < 0.2) return this.random();
    return this.mutated();
  }

  /**
   * The whole mix: 70% structure-aware kinds (one in ten of them then damaged by a byte mutation,
   * which voids its rcode rule), 30% the blind mix.
   */
  case(): FuzzCase {
    if (this.chance(0.3)) return this.next();
    const c = this.structured.next();
    if (!this.chance(0.1)) return c;
    const b = this.pick(BYTE_NAMES);
    return { kind: `${c.kind}+${b}`, bytes: BYTE_MUTATIONS[b]!(this, Buffer.from(c.bytes)) };
  }

  /** A case for TCP: mostly the mix, sometimes a valid query, never shorter than a header (that ends the connection). */
  private tcpCase(): FuzzCase {
    if (this.chance(0.2)) return { kind: 'valid', bytes: this.validQuery() };
    const c = this.case();
    return c.bytes.length >= 12 ? c : { kind: 'valid', bytes: this.validQuery() };
  }

  /** count framed cases, their offsets recorded in cases (shifted by at: where this piece will sit in the stream). */
  private framed(count: number, cases: Map<number, FuzzCase>, at = 0): Buffer {
    const parts: Buffer[] = [];
    let p = at;
    for (let i = 0; i < count; i++) {
      const c = this.tcpCase();
      cases.set(p + 2, c);
      parts.push(frame(c.bytes));
      p += 2 + c.bytes.length;
    }
    return Buffer.concat(parts);
  }

  private cutsFor(length: number, max: number): number[] {
    const cuts = new Set<number>();
    for (let k = this.int(max + 1); k > 0; k--) if (length > 1) cuts.add(1 + this.int(length - 1));
    return [...cuts].sort((a, b) => a - b);
  }

  tcpSession(): TcpSession {
    const kind = this.pick([
      'framed',
      'framed',
      'pipelined',
      'split',
      'bad-length',
      'big-length',
      'half',
      'random',
      'reset',
    ]);
    const cases = new Map<number, FuzzCase>();
    let stream: Buffer;
    let cuts: number[] = [];
    switch (kind) {
      case 'framed':
        stream = this.framed(1 + this.int(40), cases);
        cuts = this.cutsFor(stream.length, 3);
        break;
      case 'pipelined': // hundreds of queries in one write, answered in order
        stream = this.framed(100 + this.int(400), cases);
        break;
      case 'split': // messages straddling many small writes, down to single bytes
        stream = this.framed(1 + this.int(8), cases);
        cuts = this.cutsFor(stream.length, Math.min(stream.length, 60));
        break;
      case 'bad-length': {
        const bad = Buffer.alloc(2);
        bad.writeUInt16BE(this.int(12), 0); // shorter than a header: a protocol error
        stream = Buffer.concat([this.framed(this.int(5), cases), bad, this.bytes(this.int(40))]);
        break;
      }
      case 'big-length': {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(this.chance(0.5) ? 0xffff : 600 + this.int(60000), 0); // promises more than we send
        stream = Buffer.concat([this.framed(this.int(5), cases), len, this.bytes(this.int(500))]);
        break;
      }
      case 'half': {
        const last = frame(this.tcpCase().bytes);
        stream = Buffer.concat([this.framed(this.int(5), cases), last.subarray(0, 1 + this.int(last.length - 1))]);
        break;
      }
      case 'random':
        stream = this.bytes(1 + this.int(3000));
        cuts = this.cutsFor(stream.length, 4);
        break;
      default: // reset: close abruptly with messages (and perhaps replies) in flight
        stream = this.framed(1 + this.int(20), cases);
        break;
    }
    return { kind, stream, cases, cuts, abort: kind === 'reset' };
  }
}

export function frame(msg: Buffer): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/** The server answers every message of at least a header whose QR bit is clear, and drops the rest. */
export function expectsReply(msg: Buffer): boolean {
  return msg.length >= 12 && (msg[2]! & 0x80) === 0;
}

/** A message in a TCP stream and the offset of its first octet. */
export interface TcpMessage {
  readonly at: number;
  readonly bytes: Buffer;
}

/**
 * Replays the server's TCP framing over a scripted stream: the messages it will answer, in order.
 * The server stops at the first length prefix under 12 and at a message cut short by the close.
 */
export function tcpMessages(stream: Buffer): { messages: TcpMessage[]; answered: TcpMessage[] } {
  const messages: TcpMessage[] = [];
  let p = 0;
  while (p + 2 <= stream.length) {
    const len = stream.readUInt16BE(p);
    if (len < 12 || p + 2 + len > stream.length) break;
    messages.push({ at: p + 2, bytes: stream.subarray(p + 2, p + 2 + len) });
    p += 2 + len;
  }
  return { messages, answered: messages.filter((m) => expectsReply(m.bytes)) };
}
