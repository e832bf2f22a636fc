// DNS cookies on the wire: the decoder's COOKIE option (where it is, how long, FORMERR for a bad
// length or a second one, beside ECS and NSID), the encoder's COOKIE option on every reply path
// (read back with dns-packet), and slippedReply's bytes (an RRL slip: TC, the question, no records,
// the OPT with the cookie).
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import {
  encodeSections,
  errorReply,
  finishReply,
  negativeReply,
  negativeTemplate,
  slippedReply,
  type OptFields,
} from '../server/encode.js';
import { QueryDecoder, type Decoded, type ParsedQuery } from '../server/query.js';
import { parseName, type DnsName } from '../zones/name.js';
import type { AnswerRecord, Sections } from '../zones/records.js';

const COOKIE = 10;
const ECS = 8;
const NSID = 3;
const EDE = 15;

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

function wireName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.').filter((l) => l !== '')) out.push(label.length, ...Buffer.from(label, 'ascii'));
  out.push(0);
  return out;
}

interface QuerySpec {
  /** EDNS options in order, [code, data]; absent: no OPT at all. */
  readonly options?: ReadonlyArray<readonly [number, Buffer]>;
  readonly name?: string;
  /** 0: no question (the OPT right after the header). */
  readonly qdcount?: 0 | 1;
  readonly dnssecOk?: boolean;
  readonly ednsVersion?: number;
}

/** A query, byte by byte (RFC 1035 section 4.1, RFC 6891 OPT): id 0x1234, RD, one question for A IN. */
function query(s: QuerySpec = {}): Buffer {
  const question = s.qdcount === 0 ? [] : [...wireName(s.name ?? 'www.Example.test'), ...u16(1), ...u16(1)];
  const rdata = (s.options ?? []).flatMap(([code, data]) => [...u16(code), ...u16(data.length), ...data]);
  const opt = s.options
    ? [0, ...u16(41), ...u16(1232), 0, s.ednsVersion ?? 0, s.dnssecOk ? 0x80 : 0, 0, ...u16(rdata.length), ...rdata]
    : [];
  const header = [0x12, 0x34, 0x01, 0x00, ...u16(s.qdcount ?? 1), 0, 0, 0, 0, ...u16(s.options ? 1 : 0)];
  return Buffer.from([...header, ...question, ...opt]);
}

/** `n` bytes 0x01, 0x02, ...: a cookie whose bytes say where they are. */
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i + 1));
const ecsOption = Buffer.from([...u16(1), 24, 0, 198, 51, 100]);

describe('COOKIE option: decoding', () => {
  interface Row {
    readonly name: string;
    readonly spec: QuerySpec;
    readonly kind: Decoded['kind'];
    /** The cookie's bytes as the decoder points at them (null: cookieStart is -1). */
    readonly cookie: Buffer | null;
    readonly reason?: string;
  }
  const ROWS: readonly Row[] = [
    { name: 'no EDNS', spec: {}, kind: 'ok', cookie: null },
    { name: 'EDNS without a cookie', spec: { options: [] }, kind: 'ok', cookie: null },
    { name: 'a client cookie (8)', spec: { options: [[COOKIE, bytes(8)]] }, kind: 'ok', cookie: bytes(8) },
    {
      name: 'with the shortest server cookie (16)',
      spec: { options: [[COOKIE, bytes(16)]] },
      kind: 'ok',
      cookie: bytes(16),
    },
    {
      name: 'with an RFC 9018 server cookie (24)',
      spec: { options: [[COOKIE, bytes(24)]] },
      kind: 'ok',
      cookie: bytes(24),
    },
    {
      name: 'with the longest server cookie (40)',
      spec: { options: [[COOKIE, bytes(40)]] },
      kind: 'ok',
      cookie: bytes(40),
    },
    ...[7, 9, 15, 41, 0].map((n): Row => ({
      name: `${n} octets`,
      spec: { options: [[COOKIE, bytes(n)]] },
      kind: 'formerr',
      cookie: null,
      reason: `COOKIE option of ${n} octets (8, or 16 to 40)`,
    })),
    {
      name: 'two cookies',
      spec: {
        options: [
          [COOKIE, bytes(8)],
          [COOKIE, bytes(24)],
        ],
      },
      kind: 'formerr',
      cookie: null,
      reason: 'more than one COOKIE option',
    },
    {
      name: 'a good cookie, then a bad one',
      spec: {
        options: [
          [COOKIE, bytes(24)],
          [COOKIE, bytes(3)],
        ],
      },
      kind: 'formerr',
      cookie: null,
      reason: 'more than one COOKIE option',
    },
    {
      name: 'ECS, then a cookie',
      spec: {
        options: [
          [ECS, ecsOption],
          [COOKIE, bytes(24)],
        ],
      },
      kind: 'ok',
      cookie: bytes(24),
    },
    {
      name: 'a cookie, then ECS and NSID',
      spec: {
        options: [
          [COOKIE, bytes(16)],
          [ECS, ecsOption],
          [NSID, Buffer.alloc(0)],
        ],
      },
      kind: 'ok',
      cookie: bytes(16),
    },
    {
      name: 'no question, an OPT with a cookie',
      spec: { qdcount: 0, options: [[COOKIE, bytes(8)]] },
      kind: 'formerr',
      cookie: bytes(8),
      reason: 'QDCOUNT is 0, expected 1',
    },
  ];

  for (const row of ROWS) {
    it(`${row.name}: ${row.kind}${row.reason ? ` (${row.reason})` : ''}`, () => {
      const decoder = new QueryDecoder();
      // A query with a cookie first: what it set must not survive into the next.
      decoder.decode(query({ options: [[COOKIE, bytes(24)]] }));
      const msg = query(row.spec);
      const d = decoder.decode(msg);
      expect(d.kind).to.equal(row.kind);
      if (d.kind === 'drop') throw new Error('dropped');
      const q = d.query;
      if (row.cookie === null) expect([q.cookieStart, q.cookieLength]).to.deep.equal([-1, 0]);
      else {
        expect(q.cookieLength).to.equal(row.cookie.length);
        expect(msg.subarray(q.cookieStart, q.cookieStart + q.cookieLength).equals(row.cookie)).to.equal(true);
        // It is the option's data: the four bytes before it are the option's code and length.
        expect(msg.readUInt16BE(q.cookieStart - 4)).to.equal(COOKIE);
      }
      if (d.kind === 'formerr') {
        expect(d.reason).to.equal(row.reason);
        // The OPT parsed, so the FORMERR carries one (RFC 7873 section 5.2.2 with RFC 6891).
        expect(d.ednsOk).to.equal(true);
      }
      if (row.name.includes('ECS')) expect(q.ecs?.sourcePrefix).to.equal(24);
      if (row.name.includes('NSID')) expect(q.nsid).to.equal(true);
    });
  }
});

function name(text: string): DnsName {
  const r = parseName(text, null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
}

const A_RECORD: AnswerRecord = { owner: null, type: 1, klass: 1, ttl: 300, rdata: [Buffer.from([192, 0, 2, 1])] };
const answer = (n = 1): Sections => ({
  rcode: 0,
  aa: true,
  answer: Array.from({ length: n }, () => A_RECORD),
  authority: [],
  additional: [],
  requiredAdditional: 0,
});
const SOA: AnswerRecord = {
  owner: name('example.test.'),
  type: 6,
  klass: 1,
  ttl: 300,
  rdata: [name('ns1.example.test.'), name('hostmaster.example.test.'), Buffer.alloc(20, 1)],
};

const THE_COOKIE = bytes(24);
function opt(cookie: Buffer | null, more: Partial<OptFields> = {}): OptFields {
  return { nsid: null, ecsScope: 0, ede: null, cookie, ...more };
}

/** Decodes `msg` (which must decode to ok) with a decoder of its own. */
function parsed(msg: Buffer): ParsedQuery {
  const d = new QueryDecoder().decode(msg);
  if (d.kind !== 'ok') throw new Error(`query decodes to ${d.kind}`);
  return d.query;
}

interface OptSeen {
  readonly codes: number[];
  readonly cookie: Buffer | null;
  readonly extendedRcode: number;
}

/** The reply's OPT as dns-packet reads it: its options' codes in order and the cookie's bytes. */
function optOf(raw: Buffer): OptSeen | null {
  const packet = dnsPacket.decode(raw);
  const o = (packet.additionals ?? []).find((a) => a.type === 'OPT') as
    { options: Array<{ code: number; data?: Buffer }>; extendedRcode: number } | undefined;
  if (!o) return null;
  const c = o.options.find((x) => x.code === COOKIE);
  return { codes: o.options.map((x) => x.code), cookie: c?.data ?? null, extendedRcode: o.extendedRcode };
}

describe('COOKIE option: every reply path carries it', () => {
  const msg = query({ options: [[COOKIE, bytes(8)]] });

  const PATHS: ReadonlyArray<readonly [string, (q: ParsedQuery, o: OptFields) => Buffer]> = [
    ['finishReply', (q, o) => finishReply(encodeSections(msg, q, answer()), msg, q, 1232, o)],
    // 40 records do not fit 512 bytes: finishReply falls back to the truncated reply.
    ['truncatedReply (via finishReply)', (q, o) => finishReply(encodeSections(msg, q, answer(40)), msg, q, 512, o)],
    ['errorReply (REFUSED)', (q, o) => errorReply(msg, q, 5, true, true, o)],
    ['errorReply (BADVERS)', (q, o) => errorReply(msg, q, 16, true, true, o)],
    [
      'negativeReply',
      (q, o) => negativeReply(negativeTemplate(name('example.test.'), SOA), 3, msg, q, 1232, o) ?? Buffer.alloc(0),
    ],
  ];

  for (const [path, reply] of PATHS) {
    it(`${path}: the cookie as given, after NSID, ECS and EDE; none when it is null`, () => {
      const q = parsed(msg);
      expect(reply(q, opt(THE_COOKIE))[2]! & 0x02, 'TC').to.equal(path.startsWith('truncated') ? 0x02 : 0);
      expect(optOf(reply(q, opt(THE_COOKIE)))?.codes).to.deep.equal([COOKIE]);
      expect(optOf(reply(q, opt(THE_COOKIE)))?.cookie?.equals(THE_COOKIE)).to.equal(true);
      expect(optOf(reply(q, opt(null)))?.codes).to.deep.equal([]);
      const withAll = query({
        options: [
          [NSID, Buffer.alloc(0)],
          [ECS, ecsOption],
          [COOKIE, bytes(8)],
        ],
      });
      const qa = parsed(withAll);
      // The reply paths read the question from `msg`: same question, so the same bytes serve.
      const seen = optOf(reply(qa, opt(THE_COOKIE, { nsid: Buffer.from('n1'), ede: 20, ecsScope: 24 })));
      expect(seen?.codes).to.deep.equal([NSID, ECS, EDE, COOKIE]);
      expect(seen?.cookie?.equals(THE_COOKIE)).to.equal(true);
    });
  }

  it('the cookie counts toward the size: a reply that fits only without it is truncated with it', () => {
    const q = parsed(msg);
    const e = encodeSections(msg, q, answer(20));
    const without = finishReply(e, msg, q, 1232, opt(null));
    expect(without[2]! & 0x02).to.equal(0);
    // Exactly the size without the cookie: the 28 more bytes do not fit, so TC and no records.
    const cut = finishReply(e, msg, q, without.length, opt(THE_COOKIE));
    expect(cut[2]! & 0x02).to.equal(0x02);
    expect(cut.readUInt16BE(6)).to.equal(0);
    expect(optOf(cut)?.cookie?.equals(THE_COOKIE)).to.equal(true);
    const fits = finishReply(e, msg, q, without.length + 28, opt(THE_COOKIE));
    expect([fits[2]! & 0x02, fits.readUInt16BE(6), fits.length]).to.deep.equal([0, 20, without.length + 28]);
  });
});

describe('slippedReply', () => {
  it('cuts a full answer to its header with TC, the question as asked, no records and the OPT with the cookie', () => {
    const msg = query({ options: [[COOKIE, bytes(8)]], dnssecOk: true });
    const q = parsed(msg);
    const o = opt(THE_COOKIE);
    const full = finishReply(encodeSections(msg, q, answer(3)), msg, q, 1232, o);
    const slip = slippedReply(full, msg, q, o);
    const expected = Buffer.concat([
      // ID, QR AA TC RD, NOERROR; QD 1, AN 0, NS 0, AR 1
      Buffer.from([0x12, 0x34, 0x87, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]),
      Buffer.from([...wireName('www.Example.test'), 0, 1, 0, 1]),
      // OPT: root, type 41, our 1232, extended rcode 0, version 0, DO, rdlength 28; COOKIE 24 bytes
      Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 28, 0, COOKIE, 0, 24]),
      THE_COOKIE,
    ]);
    expect(slip.toString('hex')).to.equal(expected.toString('hex'));
  });

  interface Row {
    readonly name: string;
    readonly spec: QuerySpec;
    readonly reply: (msg: Buffer, q: ParsedQuery, o: OptFields) => Buffer;
    readonly rcode: number;
    readonly aa: boolean;
    readonly qdcount: number;
    /** The slip's OPT (null: none) with its extended rcode. */
    readonly opt: { readonly extendedRcode: number } | null;
  }
  const withCookie: QuerySpec = { options: [[COOKIE, bytes(8)]] };
  const ROWS: readonly Row[] = [
    {
      name: 'NXDOMAIN from a negative template',
      spec: withCookie,
      reply: (msg, q, o) => negativeReply(negativeTemplate(name('example.test.'), SOA), 3, msg, q, 1232, o)!,
      rcode: 3,
      aa: true,
      qdcount: 1,
      opt: { extendedRcode: 0 },
    },
    {
      name: 'REFUSED',
      spec: withCookie,
      reply: (msg, q, o) => errorReply(msg, q, 5, true, true, o),
      rcode: 5,
      aa: false,
      qdcount: 1,
      opt: { extendedRcode: 0 },
    },
    {
      name: 'BADVERS keeps its extended rcode',
      spec: withCookie,
      reply: (msg, q, o) => errorReply(msg, q, 16, true, true, o),
      rcode: 0,
      aa: false,
      qdcount: 1,
      opt: { extendedRcode: 1 },
    },
    {
      name: 'a question-less FORMERR stays question-less',
      spec: withCookie,
      reply: (msg, q, o) => errorReply(msg, q, 1, false, true, o),
      rcode: 1,
      aa: false,
      qdcount: 0,
      opt: { extendedRcode: 0 },
    },
    {
      name: 'a FORMERR without OPT gets none',
      spec: withCookie,
      reply: (msg, q, o) => errorReply(msg, q, 1, true, false, o),
      rcode: 1,
      aa: false,
      qdcount: 1,
      opt: null,
    },
    {
      name: 'an answer to a query without EDNS',
      spec: {},
      reply: (msg, q, o) => finishReply(encodeSections(msg, q, answer(2)), msg, q, 512, o),
      rcode: 0,
      aa: true,
      qdcount: 1,
      opt: null,
    },
  ];

  for (const row of ROWS) {
    it(`${row.name}`, () => {
      const msg = query(row.spec);
      const q = parsed(msg);
      const o = opt(row.spec.options ? THE_COOKIE : null);
      const full = row.reply(msg, q, o);
      const slip = slippedReply(full, msg, q, o);
      const questionEnd = row.qdcount === 1 ? q.questionEnd : 12;
      expect(slip.readUInt16BE(0)).to.equal(0x1234);
      expect(slip[2]! & 0x02, 'TC').to.equal(0x02);
      expect((slip[2]! & 0x04) !== 0, 'AA').to.equal(row.aa);
      expect(slip[2]! & 0x01, 'RD').to.equal(1);
      expect(slip[3]! & 0x0f, 'rcode').to.equal(row.rcode);
      expect([slip.readUInt16BE(4), slip.readUInt16BE(6), slip.readUInt16BE(8), slip.readUInt16BE(10)]).to.deep.equal([
        row.qdcount,
        0,
        0,
        row.opt ? 1 : 0,
      ]);
      expect(slip.subarray(12, questionEnd).equals(msg.subarray(12, questionEnd))).to.equal(true);
      const seen = optOf(slip);
      if (row.opt === null) {
        expect(seen).to.equal(null);
        expect(slip.length).to.equal(questionEnd);
      } else {
        expect(seen?.extendedRcode).to.equal(row.opt.extendedRcode);
        expect(seen?.cookie?.equals(THE_COOKIE)).to.equal(true);
        // The slip's OPT is the full reply's, byte for byte: it is the last record of both.
        const optLength = slip.length - questionEnd;
        expect(slip.subarray(questionEnd).equals(full.subarray(full.length - optLength))).to.equal(true);
      }
    });
  }
});
