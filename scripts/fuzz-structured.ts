// Structure-aware DNS mutants, one named kind per parser feature (compression pointers, label and
// name lengths, count lies, OPT placement and fields, ECS, COOKIE, UDP sizes), each with the rcodes
// the RFCs require of it when they require one.
import { EDNS_OPTION, QTYPE, RCODE } from '../zones/dns.js';
import { DO_FLAG, ednsOption, header, nameWire, opt, query, question, record, type OptSpec } from './fuzz-wire.js';

/** A seeded source of choices (FuzzGenerator is one). */
export interface Dice {
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
}

export interface FuzzCase {
  /** The generator that made it: counted in the summary. */
  readonly kind: string;
  readonly bytes: Buffer;
  /** The rcodes an RFC-abiding server must answer it with, when there is no choice. */
  readonly rcodes?: readonly number[];
}

const FE = [RCODE.FORMERR];
const BADVERS = [RCODE.BADVERS];
/** A well-formed question gets an answer, never FORMERR. */
const ANSWERED = [RCODE.NOERROR, RCODE.NXDOMAIN, RCODE.REFUSED, RCODE.NOTIMP];

/** Names of the fuzz zone (scripts/fuzz-zone.ts adds the big ones) and the example zone it copies. */
const OWNERS = [
  '',
  'mail',
  'www',
  'api',
  'shop',
  'status',
  'docs',
  'many',
  'bigtxt',
  'sub',
  'ns1.sub',
  'x.y.sub',
  'nothing-here',
];
const BIG = ['', 'many', 'bigtxt', 'sub', 'www', 'x.sub'];
const QTYPES = [
  QTYPE.A,
  QTYPE.AAAA,
  QTYPE.ANY,
  QTYPE.TXT,
  QTYPE.NS,
  QTYPE.SOA,
  QTYPE.DNSKEY,
  QTYPE.MX,
  QTYPE.NSEC,
  QTYPE.RRSIG,
];
export const UDP_SIZES = [0, 511, 512, 1232, 4096, 65535] as const;
/** COOKIE option lengths tried in turn: every one from 0 to 48. */
export const COOKIE_LENGTHS = 49;

/** Client and server cookie the server gave us (so a query can carry a valid one), per client address. */
export interface KnownCookie {
  readonly client: Buffer;
  readonly server: Buffer;
}

type Make = (g: StructuredGenerator) => FuzzCase;

/** RR type NULL (RFC 1035): RDATA anything, a place to park bytes a pointer can aim at. */
const NULL_RR = 10;
/** Where the RDATA of the first additional record starts after a question whose name is one pointer. */
const RDATA_AFTER_POINTER_QUESTION = 12 + 2 + 4 + 1 + 10;

/** A pointer to offset `to`. */
function ptr(to: number): Buffer {
  return Buffer.from([0xc0 | ((to >> 8) & 0x3f), to & 0xff]);
}

/** Labels of `len` octets each (len may be > 63: the length byte is written as given). */
function rawLabel(len: number, fill = 0x61): Buffer {
  return Buffer.concat([Buffer.from([len & 0xff]), Buffer.alloc(len, fill)]);
}

/** A name of exactly `wireLength` octets under `suffix` (both wire forms; suffix ends in the root). */
function nameOfLength(wireLength: number, suffix: Buffer): Buffer {
  const parts: Buffer[] = [];
  let left = wireLength - suffix.length;
  while (left > 0) {
    // Each label costs its length + 1; never leave a remainder of 1 (a label cannot be empty).
    let len = Math.min(63, left - 1);
    if (left - (len + 1) === 1) len--;
    parts.push(rawLabel(len, 0x62));
    left -= len + 1;
  }
  return Buffer.concat([...parts, suffix]);
}

function ecsData(family: number, source: number, scope: number, address: Buffer): Buffer {
  const b = Buffer.alloc(4 + address.length);
  b.writeUInt16BE(family, 0);
  b[2] = source;
  b[3] = scope;
  address.copy(b, 4);
  return b;
}

/** A valid ECS address for family and source: ceil(source / 8) octets, bits past the prefix clear. */
function ecsAddress(g: Dice, family: 1 | 2, source: number): Buffer {
  const addr = g.bytes((source + 7) >> 3);
  if (family === 1 && addr.length > 0 && g.chance(0.5)) addr[0] = g.pick([81, 8, 1, 203, 198]); // somewhere GeoIP knows
  if (source % 8 !== 0) addr[addr.length - 1] = addr[addr.length - 1]! & (0xff << (8 - (source % 8)));
  return addr;
}

const KINDS: Record<string, Make> = {
  // Compression pointers in the question: a query's question has no earlier name to point at.
  'ptr-q-self': (g) => g.q(ptr(12), FE),
  'ptr-q-two-cycle': (g) => g.q(Buffer.concat([ptr(14), ptr(12)]), FE),
  'ptr-q-label-loop': (g) => g.q(Buffer.concat([rawLabel(1 + g.int(10)), ptr(12)]), FE),
  'ptr-q-header': (g) => g.q(ptr(g.int(12)), FE),
  'ptr-q-out-of-range': (g) => g.q(ptr(0x100 + g.int(0x3f00)), FE),
  'ptr-q-forward': (g) => {
    // The question's name points at a good name further on: the RDATA of the one additional record.
    const rr = record(Buffer.from([0]), NULL_RR, 1, 0, g.apexName());
    return {
      kind: '',
      bytes: query({}, question(ptr(RDATA_AFTER_POINTER_QUESTION), g.qtype()), { ar: [rr] }),
      rcodes: FE,
    };
  },
  'ptr-q-chain': (g) => {
    // A chain of 20-220 pointers in that RDATA, each to the one before, the first to a good name;
    // the question points at the last.
    const chain: Buffer[] = [g.apexName()];
    let at = RDATA_AFTER_POINTER_QUESTION;
    let next = at + g.apexName().length;
    for (let n = 20 + g.int(200); n > 0; n--) {
      chain.push(ptr(at));
      at = next;
      next += 2;
    }
    const rr = record(Buffer.from([0]), NULL_RR, 1, 0, Buffer.concat(chain));
    return { kind: '', bytes: query({}, question(ptr(at), g.qtype()), { ar: [rr] }), rcodes: FE };
  },
  // Pointers in additional records' owners: the server checks they point backwards.
  'ptr-ar-self': (g) => g.withRecords((at) => [record(ptr(at), QTYPE.TXT, 1, 0, g.bytes(4))], FE),
  'ptr-ar-two-cycle': (g) =>
    g.withRecords((at) => {
      const first = record(ptr(at + 16), QTYPE.TXT, 1, 0, g.bytes(4)); // 2 + 10 + 4: to the second's owner
      return [first, record(ptr(at), QTYPE.TXT, 1, 0, g.bytes(4))];
    }, FE),
  'ptr-ar-forward': (g) => g.withRecords((at) => [record(ptr(at + 20 + g.int(40)), QTYPE.A, 1, 0, g.bytes(4))], FE),
  'ptr-ar-label-loop': (g) =>
    g.withRecords((at) => [record(Buffer.concat([rawLabel(3), ptr(at)]), QTYPE.TXT, 1, 0, g.bytes(2))], FE),
  'ptr-ar-chain': (g) =>
    g.withRecords((at) => {
      // Legal: each owner points at the previous record's owner, the first at the question.
      const rrs: Buffer[] = [];
      let prev = 12;
      for (let n = 10 + g.int(60); n > 0; n--) {
        rrs.push(record(ptr(prev), QTYPE.TXT, 1, 0, Buffer.alloc(0)));
        prev = at;
        at += 12;
      }
      return rrs;
    }, ANSWERED),
  'ptr-rdata-loop': (g) => g.withRecords((at) => [record(nameWire('x'), QTYPE.NS, 1, 0, ptr(at + 13))], ANSWERED),
  'ptr-opt-owner': (g) => g.withOpt({ owner: ptr(12) }, FE),
  // Label and name lengths.
  'label-63': (g) => g.q(Buffer.concat([rawLabel(63), g.apexName()]), ANSWERED),
  'label-64': (g) => g.q(Buffer.concat([rawLabel(64), g.apexName()]), FE),
  'label-127': (g) => g.q(Buffer.concat([rawLabel(127), g.apexName()]), FE),
  'label-255': (g) => g.q(Buffer.concat([rawLabel(255), g.apexName()]), FE),
  'label-past-end': (g) => ({
    kind: '',
    bytes: Buffer.concat([header({}), rawLabel(40).subarray(0, 2 + g.int(38))]),
    rcodes: FE,
  }),
  'name-254': (g) => g.q(nameOfLength(254, g.chance(0.5) ? g.apexName() : Buffer.from([0])), ANSWERED),
  'name-255': (g) => g.q(nameOfLength(255, g.chance(0.5) ? g.apexName() : Buffer.from([0])), ANSWERED),
  'name-256': (g) => g.q(nameOfLength(256 + g.int(3) * g.int(20), g.apexName()), FE),
  // Count lies.
  'qdcount-0': (g) => g.recount(4, 0, FE),
  'qdcount-0-empty': () => ({ kind: '', bytes: header({ qd: 0 }), rcodes: FE }),
  'qdcount-2': (g) => g.recount(4, 2, FE),
  'qdcount-2-two': (g) => {
    const qq = g.plainQuestion();
    return { kind: '', bytes: Buffer.concat([header({ qd: 2 }), qq, qq]), rcodes: FE };
  },
  'qdcount-65535': (g) => g.recount(4, 65535, FE),
  'ancount-more': (g) => g.recount(6, 1 + g.int(4), FE),
  'ancount-less': (g) => g.sectionLie(6, -1),
  'nscount-more': (g) => g.recount(8, 1 + g.int(4), FE),
  'nscount-less': (g) => g.sectionLie(8, -1),
  'arcount-more': (g) => g.sectionLie(10, 1 + g.int(3)),
  'arcount-less': (g) => g.sectionLie(10, -1),
  'arcount-65535': (g) => g.sectionLie(10, 65535),
  'answer-records': (g) => ({
    kind: '',
    bytes: query({}, g.plainQuestion(), { an: [record(ptr(12), QTYPE.A, 1, 60, g.bytes(4))] }),
    rcodes: FE,
  }),
  // OPT where it does not belong, twice, with odd fields.
  'opt-in-answer': (g) => ({ kind: '', bytes: query({}, g.plainQuestion(), { an: [opt(g.optFields())] }), rcodes: FE }),
  'opt-in-authority': (g) => ({
    kind: '',
    bytes: query({}, g.plainQuestion(), { ns: [opt(g.optFields())] }),
    rcodes: FE,
  }),
  'opt-two': (g) => ({
    kind: '',
    bytes: query({}, g.plainQuestion(), { ar: [opt(g.optFields()), opt(g.optFields())] }),
    rcodes: FE,
  }),
  'opt-three': (g) => ({
    kind: '',
    bytes: query({}, g.plainQuestion(), { ar: [opt(), record(ptr(12), QTYPE.A, 1, 0, g.bytes(4)), opt(), opt()] }),
    rcodes: FE,
  }),
  'opt-owner-nonroot': (g) => g.withOpt({ owner: nameWire(g.pick(['x', 'gslb.example.com', 'a.b'])) }, FE),
  'opt-rdlen-long': (g) => g.withOpt({ options: [ednsOption(3, Buffer.alloc(0))], rdlen: 5 + g.int(300) }, FE),
  'opt-rdlen-short': (g) =>
    g.withOpt({ options: [ednsOption(8, ecsData(1, 24, 0, Buffer.from([81, 2, 69])))], rdlen: 1 + g.int(9) }, FE),
  'opt-option-truncated': (g) => g.withOpt({ options: [g.bytes(1 + g.int(3))] }, FE),
  'opt-option-overrun': (g) =>
    g.withOpt({ options: [ednsOption(g.pick([3, 8, 10, 15, 65001]), g.bytes(g.int(8)), 9 + g.int(100))] }, FE),
  'edns-version-1': (g) => g.withOpt({ version: 1 }, BADVERS),
  'edns-version-255': (g) => g.withOpt({ version: 255 }, BADVERS),
  'edns-do': (g) =>
    g.withOpt({ flags: DO_FLAG | (g.chance(0.2) ? g.int(0x8000) : 0), udpSize: g.pick(UDP_SIZES) }, ANSWERED, true),
  'edns-ext-rcode': (g) => g.withOpt({ extRcode: 1 + g.int(255) }, ANSWERED),
  'udp-size': (g) => {
    const udpSize = UDP_SIZES[g.counter('udp-size') % UDP_SIZES.length]!;
    return g.withOpt({ udpSize, flags: g.chance(0.5) ? DO_FLAG : 0 }, ANSWERED, true);
  },
  // EDNS Client Subnet (RFC 7871 section 7.1.2: FORMERR for each of these).
  'ecs-family-0': (g) => g.withEcs(ecsData(0, 0, 0, Buffer.alloc(0)), FE),
  'ecs-family-3': (g) => g.withEcs(ecsData(3, 8, 0, Buffer.from([10])), FE),
  'ecs-family-65535': (g) => g.withEcs(ecsData(65535, 16, 0, Buffer.from([10, 1])), FE),
  'ecs-prefix-over': (g) => {
    const family = g.chance(0.5) ? 1 : 2;
    const source = (family === 1 ? 33 : 129) + g.int(family === 1 ? 223 : 127);
    return g.withEcs(ecsData(family, source, 0, g.bytes((source + 7) >> 3)), FE);
  },
  'ecs-addr-long': (g) => {
    const source = g.int(25);
    return g.withEcs(ecsData(1, source, 0, Buffer.concat([ecsAddress(g, 1, source), Buffer.alloc(1 + g.int(12))])), FE);
  },
  'ecs-addr-short': (g) => {
    const source = 9 + g.int(120);
    const addr = ecsAddress(g, 2, source);
    return g.withEcs(ecsData(2, source, 0, addr.subarray(0, addr.length - 1 - g.int(addr.length))), FE);
  },
  'ecs-bits-beyond': (g) => {
    const family = g.chance(0.5) ? 1 : 2;
    // A prefix that ends inside an octet, and one of the bits after it set.
    const source = 8 * g.int(family === 1 ? 4 : 16) + 1 + g.int(7);
    const addr = ecsAddress(g, family, source);
    addr[addr.length - 1] = addr[addr.length - 1]! | (0x80 >> ((source % 8) + g.int(8 - (source % 8))));
    return g.withEcs(ecsData(family, source, 0, addr), FE);
  },
  'ecs-scope': (g) => g.withEcs(ecsData(1, 24, 1 + g.int(255), Buffer.from([81, 2, 69])), FE),
  'ecs-short-option': (g) => g.withEcs(g.bytes(g.int(4)), FE),
  'ecs-two': (g) => {
    const one = ednsOption(EDNS_OPTION.ECS, ecsData(1, 24, 0, Buffer.from([81, 2, 69])));
    return g.withOpt({ options: [one, one] }, FE);
  },
  'ecs-valid': (g) => {
    const family: 1 | 2 = g.chance(0.6) ? 1 : 2;
    const source = g.pick([0, family === 1 ? 32 : 128, family === 1 ? 24 : 56, g.int(family === 1 ? 33 : 129)]);
    return g.withEcs(ecsData(family, source, 0, ecsAddress(g, family, source)), ANSWERED, true);
  },
  // DNS cookies (RFC 7873): 8 octets or 16 to 40, else FORMERR.
  'cookie-client': (g) => g.withCookie(g.bytes(8), ANSWERED),
  'cookie-len': (g) => {
    const len = g.counter('cookie-len') % COOKIE_LENGTHS;
    return g.withCookie(g.bytes(len), len === 8 || (len >= 16 && len <= 40) ? undefined : FE);
  },
  'cookie-server-fake': (g) => {
    const sc = Buffer.alloc(16);
    sc[0] = 1;
    sc.writeUInt32BE((Math.floor(Date.now() / 1000) - g.int(600)) >>> 0, 4);
    g.bytes(8).copy(sc, 8);
    return g.withCookie(Buffer.concat([g.bytes(8), sc]), undefined);
  },
  'cookie-server-real': (g) => {
    const known = g.cookie;
    if (known === null) return g.withCookie(g.bytes(8), ANSWERED);
    return g.withCookie(Buffer.concat([known.client, known.server]), ANSWERED);
  },
  'cookie-two': (g) => {
    const c = ednsOption(EDNS_OPTION.COOKIE, g.bytes(8));
    return g.withOpt(
      { options: [c, ednsOption(EDNS_OPTION.COOKIE, g.bytes(g.pick([8, 16, 24])))] },
      g.cookies ? FE : undefined,
    );
  },
  'cookie-with-ecs': (g) => {
    const options = [
      ednsOption(EDNS_OPTION.ECS, ecsData(1, 24, 0, Buffer.from([81, 2, 69]))),
      ednsOption(EDNS_OPTION.COOKIE, g.bytes(8)),
    ];
    return g.withOpt({ options: g.chance(0.5) ? options : options.reverse() }, ANSWERED, true);
  },
};

export const STRUCTURED_KINDS: readonly string[] = Object.keys(KINDS);

/** Structure-aware queries for the fuzz zone, every kind in turn (a seeded pick within the round). */
export class StructuredGenerator {
  /** Whether the server speaks DNS cookies (so COOKIE rules apply); found out before the run. */
  cookies = true;
  /** A valid cookie pair for the address queries come from, when the server gave one. */
  cookie: KnownCookie | null = null;
  private readonly apex: Buffer;
  private readonly counters = new Map<string, number>();
  private order: string[] = [];

  constructor(
    private readonly dice: Dice,
    private readonly apexText = 'gslb.example.com',
  ) {
    this.apex = nameWire(apexText);
  }

  int(n: number): number {
    return this.dice.int(n);
  }
  chance(p: number): boolean {
    return this.dice.chance(p);
  }
  pick<T>(items: readonly T[]): T {
    return this.dice.pick(items);
  }
  bytes(n: number): Buffer {
    return this.dice.bytes(n);
  }
  /** The how-many-th call for a kind, so those that cycle through values (sizes, lengths) cover them all. */
  counter(kind: string): number {
    const n = this.counters.get(kind) ?? 0;
    this.counters.set(kind, n + 1);
    return n;
  }

  /** The next case: kinds are dealt in shuffled rounds, so each gets its share of any run. */
  next(): FuzzCase {
    if (this.order.length === 0) {
      this.order = [...STRUCTURED_KINDS];
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = this.int(i + 1);
        [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
      }
    }
    return this.make(this.order.pop()!);
  }

  make(kind: string): FuzzCase {
    const c = KINDS[kind]!(this);
    const bytes = c.bytes;
    bytes.writeUInt16BE(this.int(65536), 0);
    // Recursion desired (as resolvers' clients send) or not; CD now and then: neither changes the rules.
    bytes[2] = (bytes[2]! & 0xfe) | (this.chance(0.5) ? 1 : 0);
    if (this.chance(0.1)) bytes[3] = bytes[3]! | 0x10;
    return { kind, bytes, ...(c.rcodes ? { rcodes: c.rcodes } : {}) };
  }

  apexName(): Buffer {
    return this.apex;
  }

  qtype(): number {
    return this.chance(0.85) ? this.pick(QTYPES) : this.int(65536);
  }

  /** A question for a name of the zone (often one with a big answer) or none of ours. */
  plainQuestion(big = false): Buffer {
    const owner = this.pick(big ? BIG : OWNERS);
    const name = this.chance(0.05)
      ? nameWire('example.org')
      : nameWire(owner ? `${owner}.${this.apexText}` : this.apexText);
    const name0x20 = Buffer.from(name);
    if (this.chance(0.3))
      for (let i = 0; i < name0x20.length; i++)
        if (name0x20[i]! >= 0x61 && name0x20[i]! <= 0x7a && this.chance(0.5)) name0x20[i] = name0x20[i]! - 32;
    return question(
      name0x20,
      big && this.chance(0.5) ? this.pick([QTYPE.ANY, QTYPE.DNSKEY, QTYPE.TXT, QTYPE.A]) : this.qtype(),
    );
  }

  q(name: Buffer, rcodes: readonly number[] | undefined): FuzzCase {
    return { kind: '', bytes: query({}, question(name, this.qtype())), ...(rcodes ? { rcodes } : {}) };
  }

  optFields(): OptSpec {
    return { udpSize: this.pick(UDP_SIZES), flags: this.chance(0.3) ? DO_FLAG : 0 };
  }

  withOpt(spec: OptSpec, rcodes: readonly number[] | undefined, big = false): FuzzCase {
    const full: OptSpec = { udpSize: this.pick(UDP_SIZES), ...spec };
    return { kind: '', bytes: query({}, this.plainQuestion(big), { ar: [opt(full)] }), ...(rcodes ? { rcodes } : {}) };
  }

  withEcs(data: Buffer, rcodes: readonly number[] | undefined, big = false): FuzzCase {
    return this.withOpt(
      { options: [ednsOption(EDNS_OPTION.ECS, data)], flags: this.chance(0.3) ? DO_FLAG : 0 },
      rcodes,
      big,
    );
  }

  withCookie(data: Buffer, rcodes: readonly number[] | undefined): FuzzCase {
    const lengthRule = this.cookies ? rcodes : rcodes === FE ? undefined : rcodes;
    return this.withOpt(
      { options: [ednsOption(EDNS_OPTION.COOKIE, data)], flags: this.chance(0.3) ? DO_FLAG : 0 },
      lengthRule,
    );
  }

  /** A good query whose records come after the question; build gets the offset where they start. */
  withRecords(build: (at: number) => Buffer[], rcodes: readonly number[] | undefined): FuzzCase {
    const qq = this.plainQuestion();
    const rrs = build(12 + qq.length);
    return { kind: '', bytes: query({ ar: rrs.length }, qq, { ar: rrs }), ...(rcodes ? { rcodes } : {}) };
  }

  /** A good query (perhaps with EDNS) with one header count overwritten. */
  recount(offset: number, value: number, rcodes: readonly number[] | undefined): FuzzCase {
    const base = this.chance(0.5)
      ? query({}, this.plainQuestion(), { ar: [opt(this.optFields())] })
      : query({}, this.plainQuestion());
    base.writeUInt16BE(value, offset);
    return { kind: '', bytes: base, ...(rcodes ? { rcodes } : {}) };
  }

  /** Records present in the section at offset (6, 8, 10), its count off by delta (or set to 65535). */
  sectionLie(offset: number, delta: number): FuzzCase {
    const n = 1 + this.int(3);
    const rrs: Buffer[] = [];
    for (let i = 0; i < n; i++) rrs.push(record(ptr(12), QTYPE.A, 1, 60, this.bytes(4)));
    if (offset === 10 && this.chance(0.5)) rrs.push(opt(this.optFields()));
    const sections = offset === 6 ? { an: rrs } : offset === 8 ? { ns: rrs } : { ar: rrs };
    const bytes = query({}, this.plainQuestion(), sections);
    bytes.writeUInt16BE(delta === 65535 ? 65535 : Math.max(0, rrs.length + delta), offset);
    return { kind: '', bytes, rcodes: FE };
  }
}
