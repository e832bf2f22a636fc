// DNS cookies' core: SipHash-2-4 against the reference vectors, RFC 9018 server cookies against the
// RFC's appendix A, check()'s verdicts as a table (age, secrets, every field that can be wrong, the
// timestamp's wrap), the secret's parser, and interoperation with BIND: named's cookies pass check(),
// and named accepts the cookies make() writes (with require-server-cookie, it answers a query whose
// server cookie it does not accept with BADCOOKIE, and one whose cookie it accepts normally).
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { parseCidr } from '../geo/mmdb-writer.js';
import { parseCookieSecret, ServerCookies, type CookieCheck } from '../server/cookies/server-cookie.js';
import { SipHashKey, siphash24 } from '../server/cookies/siphash.js';
import { buildQuery, decodeReply, udpExchange, type Reply } from './helpers/dns.js';
import { Named, namedOrSkip } from './helpers/named.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const ip = (text: string) => parseCidr(text).bytes;

/** SipHash-2-4 outputs (bytes as the reference code writes them) for key 00..0f and message 00..(n-1). */
const SIP64_VECTORS = [
  '310e0edd47db6f72',
  'fd67dc93c539f874',
  '5a4fa9d909806c0d',
  '2d7efbd796666785',
  'b7877127e09427cf',
  '8da699cd64557618',
  'cee3fe586e46c9cb',
  '37d1018bf50002ab',
  '6224939a79f5f593',
  'b0e4a90bdf82009e',
  'f3b9dd94c5bb5d7a',
  'a7ad6b22462fb3f4',
  'fbe50e86bc8f1e75',
  '903d84c02756ea14',
  'eef27a8e90ca23f7',
  'e545be4961ca29a1',
  'db9bc2577fcc2a3f',
  '9447be2cf5e99a69',
  '9cd38d96f0b3c14b',
  'bd6179a71dc96dbb',
  '98eea21af25cd6be',
  'c7673b2eb0cbf2d0',
  '883ea3e395675393',
  'c8ce5ccd8c030ca8',
  '94af49f6c650adb8',
  'eab8858ade92e1bc',
  'f315bb5bb835d817',
  'adcf6b0763612e2f',
  'a5c91da7acaa4dde',
  '716595876650a2a6',
  '28ef495c53a387ad',
  '42c341d8fa92d832',
  'ce7cf2722f512771',
  'e37859f94623f3a7',
  '381205bb1ab0e012',
  'ae97a10fd434e015',
  'b4a31508beff4d31',
  '81396229f0907902',
  '4d0cf49ee5d4dcca',
  '5c73336a76d8bf9a',
  'd0a704536ba93e0e',
  '925958fcd6420cad',
  'a915c29bc8067318',
  '952b79f3bc0aa6d4',
  'f21df2e41d4535f9',
  '87577519048f53a9',
  '10a56cf5dfcd9adb',
  'eb75095ccd986cd0',
  '51a9cb9ecba312e6',
  '96afadfc2ce666c7',
  '72fe52975a4364ee',
  '5a1645b276d592a1',
  'b274cb8ebf87870a',
  '6f9bb4203de7b381',
  'eaecb2a30b22a87f',
  '9924a43cc1315724',
  'bd838d3aafbf8db7',
  '0b1a2a3265d51aea',
  '135079a3231ce660',
  '932b2846e4d70666',
  'e1915f5cb1eca46c',
  'f325965ca16d629f',
  '575ff28e60381be5',
  '724506eb4c328a95',
];

describe('SipHash-2-4', () => {
  const key = new SipHashKey(Uint8Array.from({ length: 16 }, (_, i) => i));
  const message = Uint8Array.from({ length: 64 }, (_, i) => i);

  it('gives the reference vectors for key 00..0f and messages 00..(n-1), n = 0..63', () => {
    const out = new Uint8Array(8);
    const got = SIP64_VECTORS.map((_, n) => {
      siphash24(key, message, 0, n, out, 0);
      return Buffer.from(out).toString('hex');
    });
    expect(got).to.deep.equal(SIP64_VECTORS);
  });

  it('hashes data[start, end) of a larger buffer and writes only out[outAt, outAt+8)', () => {
    for (const n of [0, 7, 8, 9, 16, 63]) {
      const data = new Uint8Array(n + 10).fill(0xee);
      data.set(message.subarray(0, n), 5);
      const out = new Uint8Array(20).fill(0xaa);
      siphash24(key, data, 5, 5 + n, out, 7);
      expect(Buffer.from(out.subarray(7, 15)).toString('hex'), `n=${n}`).to.equal(SIP64_VECTORS[n]);
      expect(
        [...out.subarray(0, 7), ...out.subarray(15)].every((b) => b === 0xaa),
        `n=${n}`,
      ).to.equal(true);
    }
  });

  it('takes a key of exactly 16 bytes', () => {
    expect(() => new SipHashKey(new Uint8Array(15))).to.throw('16 bytes, got 15');
    expect(() => new SipHashKey(new Uint8Array(17))).to.throw('16 bytes, got 17');
  });
});

describe('RFC 9018 server cookies: the examples of appendix A', () => {
  const SECRET = 'e5e973e5a6b2a43f48e7dc849e37bfcf';
  const OLD_SECRET = 'dd3bdf9344b678b185a6f5cb60fca715';
  const NEW_SECRET = '445536bcd2513298075a5d379663c962';

  interface Example {
    readonly name: string;
    /** The server's secrets, the one making cookies first. */
    readonly secrets: readonly string[];
    readonly client: string;
    /** The query's COOKIE option. */
    readonly query: string;
    /** When the query's server cookie is judged, and the verdict (absent: a client cookie alone). */
    readonly judgedAt?: number;
    readonly verdict?: CookieCheck;
    /** When the reply is made, and its COOKIE option. */
    readonly now: number;
    readonly reply: string;
  }

  const EXAMPLES: readonly Example[] = [
    {
      name: 'A.1 learning a new server cookie',
      secrets: [SECRET],
      client: '198.51.100.100',
      query: '2464c4abcf10c957',
      now: 1559731985,
      reply: '2464c4abcf10c957010000005cf79f111f8130c3eee29480',
    },
    {
      name: 'A.1 the cookie just made is valid',
      secrets: [SECRET],
      client: '198.51.100.100',
      query: '2464c4abcf10c957010000005cf79f111f8130c3eee29480',
      judgedAt: 1559731985,
      verdict: 'valid',
      now: 1559731985,
      reply: '2464c4abcf10c957010000005cf79f111f8130c3eee29480',
    },
    {
      // 2400 s later: over half an hour, so a fresh one.
      name: 'A.2 the same client learning a renewed (fresh) server cookie',
      secrets: [SECRET],
      client: '198.51.100.100',
      query: '2464c4abcf10c957010000005cf79f111f8130c3eee29480',
      judgedAt: 1559734385,
      verdict: 'stale',
      now: 1559734385,
      reply: '2464c4abcf10c957010000005cf7a871d4a564a1442aca77',
    },
    {
      // Reserved bytes set (abcdef) are hashed as sent. The RFC's reply comes 6715 s after the cookie
      // was made, past the hour, so the hash is judged at the cookie's own time (as Knot's tests do).
      name: 'A.3 another client learning a renewed server cookie',
      secrets: [SECRET],
      client: '203.0.113.203',
      query: 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5',
      judgedAt: 1559727985,
      verdict: 'valid',
      now: 1559734700,
      reply: 'fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e',
    },
    {
      name: 'A.4 IPv6 query with rolled over secret: made with the old secret, 144 s before',
      secrets: [NEW_SECRET, OLD_SECRET],
      client: '2001:db8:220:1:59de:d0f4:8769:82b8',
      query: '22681ab97d52c298010000005cf7c57926556bd0934c72f8',
      judgedAt: 1559741961,
      verdict: 'stale',
      now: 1559741961,
      reply: '22681ab97d52c298010000005cf7c609a6bb79d16625507a',
    },
    {
      name: 'A.4 the old secret alone made that cookie',
      secrets: [OLD_SECRET],
      client: '2001:db8:220:1:59de:d0f4:8769:82b8',
      query: '22681ab97d52c298',
      now: 1559741817,
      reply: '22681ab97d52c298010000005cf7c57926556bd0934c72f8',
    },
  ];

  for (const ex of EXAMPLES) {
    it(ex.name, () => {
      const cookies = new ServerCookies(ex.secrets.map(hex));
      const query = hex(ex.query);
      if (ex.verdict !== undefined) {
        expect(cookies.check(query, 0, 8, query.length - 8, ip(ex.client), ex.judgedAt!)).to.equal(ex.verdict);
      }
      const reply = Buffer.alloc(24);
      query.copy(reply, 0, 0, 8);
      cookies.make(query, 0, ip(ex.client), ex.now, reply, 8);
      expect(reply.toString('hex')).to.equal(ex.reply);
    });
  }

  it('without the old secret, the rolled-over cookie of A.4 is not ours', () => {
    const query = hex('22681ab97d52c298010000005cf7c57926556bd0934c72f8');
    const cookies = new ServerCookies([hex(NEW_SECRET)]);
    expect(cookies.check(query, 0, 8, 16, ip('2001:db8:220:1:59de:d0f4:8769:82b8'), 1559741961)).to.equal('invalid');
  });
});

describe('ServerCookies check()', () => {
  const A = hex('000102030405060708090a0b0c0d0e0f');
  const B = hex('f0e0d0c0b0a090807060504030201000');
  const CC = hex('0123456789abcdef');
  const CLIENT = '192.0.2.1';
  const T = 1_700_000_000;

  /** The COOKIE option (client cookie, then a server cookie made by `secret` at `at`). */
  function option(secret: Buffer, at: number, client = CLIENT, cc = CC): Buffer {
    const out = Buffer.alloc(24);
    cc.copy(out);
    new ServerCookies([secret]).make(cc, 0, ip(client), at, out, 8);
    return out;
  }
  /** A server cookie with any version byte and a hash that is right for it. */
  function withVersion(version: number, at: number): Buffer {
    const out = option(A, at);
    out[8] = version;
    const input = Buffer.concat([CC, out.subarray(8, 16), ip(CLIENT)]);
    siphash24(new SipHashKey(A), input, 0, input.length, out, 16);
    return out;
  }
  const flip = (b: Buffer, i: number) => {
    const c = Buffer.from(b);
    c[i] = c[i]! ^ 0x01;
    return c;
  };
  const WRAP = 2 ** 32;

  interface Case {
    readonly name: string;
    /** The server's secrets (default [A]). */
    readonly secrets?: readonly Buffer[];
    readonly option: Buffer;
    /** The server cookie's length as the option says (default: the rest of the option). */
    readonly scLength?: number;
    readonly client?: string;
    readonly now: number;
    readonly want: CookieCheck;
  }

  const CASES: readonly Case[] = [
    { name: 'fresh', option: option(A, T), now: T, want: 'valid' },
    { name: '29 minutes old', option: option(A, T), now: T + 29 * 60, want: 'valid' },
    { name: 'exactly half an hour old', option: option(A, T), now: T + 1800, want: 'valid' },
    { name: 'half an hour and a second old', option: option(A, T), now: T + 1801, want: 'stale' },
    { name: '31 minutes old', option: option(A, T), now: T + 31 * 60, want: 'stale' },
    { name: 'exactly an hour old', option: option(A, T), now: T + 3600, want: 'stale' },
    { name: 'an hour and a second old', option: option(A, T), now: T + 3601, want: 'invalid' },
    { name: '61 minutes old', option: option(A, T), now: T + 61 * 60, want: 'invalid' },
    { name: '4 minutes ahead', option: option(A, T), now: T - 4 * 60, want: 'valid' },
    { name: 'exactly 5 minutes ahead', option: option(A, T), now: T - 300, want: 'valid' },
    { name: '5 minutes and a second ahead', option: option(A, T), now: T - 301, want: 'invalid' },
    { name: '6 minutes ahead', option: option(A, T), now: T - 6 * 60, want: 'invalid' },
    { name: 'made with an older secret', secrets: [B, A], option: option(A, T), now: T, want: 'stale' },
    { name: 'made with the first of two secrets', secrets: [A, B], option: option(A, T), now: T, want: 'valid' },
    { name: 'made with an unknown secret', secrets: [B], option: option(A, T), now: T, want: 'invalid' },
    { name: 'version 2, its hash right', option: withVersion(2, T), now: T, want: 'invalid' },
    { name: 'version 0, its hash right', option: withVersion(0, T), now: T, want: 'invalid' },
    { name: 'version 1 rebuilt by the same code (control)', option: withVersion(1, T), now: T, want: 'valid' },
    {
      name: '24 bytes: a valid cookie and 8 more',
      option: Buffer.concat([option(A, T), Buffer.alloc(8)]),
      now: T,
      want: 'invalid',
    },
    { name: '8 bytes: its first half', option: option(A, T).subarray(0, 16), scLength: 8, now: T, want: 'invalid' },
    { name: 'another client address', option: option(A, T), client: '192.0.2.2', now: T, want: 'invalid' },
    { name: 'the client over IPv6', option: option(A, T), client: '::ffff:192.0.2.1', now: T, want: 'invalid' },
    {
      name: 'an IPv6 client',
      option: option(A, T, '2001:db8::1'),
      client: '2001:db8::1',
      now: T,
      want: 'valid',
    },
    { name: 'another client cookie', option: flip(option(A, T), 3), now: T, want: 'invalid' },
    { name: 'a timestamp moved by one', option: flip(option(A, T), 15), now: T, want: 'invalid' },
    { name: 'a reserved byte changed', option: flip(option(A, T), 10), now: T, want: 'invalid' },
    { name: 'a hash byte changed', option: flip(option(A, T), 23), now: T, want: 'invalid' },
    { name: 'the counter wrapped since it was made', option: option(A, WRAP - 200), now: WRAP + 100, want: 'valid' },
    {
      name: 'the counter wrapped, 31 minutes old',
      option: option(A, WRAP - 60),
      now: WRAP - 60 + 31 * 60,
      want: 'stale',
    },
    {
      name: 'the counter wrapped, 61 minutes old',
      option: option(A, WRAP - 60),
      now: WRAP - 60 + 61 * 60,
      want: 'invalid',
    },
    { name: 'made after a wrap, 4 minutes ahead', option: option(A, WRAP + 40), now: WRAP - 200, want: 'valid' },
    { name: 'made after a wrap, 6 minutes ahead', option: option(A, WRAP + 160), now: WRAP - 200, want: 'invalid' },
    { name: 'half the counter old (no wrap trick)', option: option(A, T), now: T + 2 ** 31, want: 'invalid' },
  ];

  for (const c of CASES) {
    it(`${c.name}: ${c.want}`, () => {
      const cookies = new ServerCookies(c.secrets ?? [A]);
      // Inside a larger message, as the decoder leaves it: offsets, not copies.
      const msg = Buffer.concat([Buffer.alloc(30, 0x55), c.option, Buffer.alloc(5, 0x55)]);
      const scLength = c.scLength ?? c.option.length - 8;
      expect(cookies.check(msg, 30, 38, scLength, ip(c.client ?? CLIENT), c.now)).to.equal(c.want);
    });
  }

  it('make() writes only out[at, at+16) and stamps version 1, zero reserved bytes and the time', () => {
    const out = Buffer.alloc(40, 0xaa);
    new ServerCookies([A]).make(CC, 0, ip(CLIENT), 0x11223344, out, 12);
    expect(out.subarray(12, 20).toString('hex')).to.equal('0100000011223344');
    expect([...out.subarray(0, 12), ...out.subarray(28)].every((b) => b === 0xaa)).to.equal(true);
  });

  it('takes one or more 16-byte secrets and 4- or 16-byte client addresses', () => {
    expect(() => new ServerCookies([])).to.throw('at least one secret');
    expect(() => new ServerCookies([A, Buffer.alloc(15)])).to.throw('cookie secret 2 is 15 bytes, expected 16');
    const cookies = new ServerCookies([A]);
    expect(() => cookies.make(CC, 0, new Uint8Array(5), T, Buffer.alloc(16), 0)).to.throw('4 or 16 bytes, got 5');
    expect(() => cookies.check(option(A, T), 0, 8, 16, new Uint8Array(0), T)).to.throw('4 or 16 bytes, got 0');
  });
});

describe('parseCookieSecret', () => {
  const ROWS: ReadonlyArray<readonly [string, string]> = [
    ['000102030405060708090a0b0c0d0e0f', '000102030405060708090a0b0c0d0e0f'],
    ['E5E973E5A6B2A43F48E7DC849E37BFCF', 'e5e973e5a6b2a43f48e7dc849e37bfcf'],
  ];
  for (const [text, bytes] of ROWS) {
    it(`${text} -> 16 bytes`, () => expect(parseCookieSecret(text).toString('hex')).to.equal(bytes));
  }

  const BAD: ReadonlyArray<readonly [string, string]> = [
    ['', 'got 0'],
    ['000102030405060708090a0b0c0d0e0', 'got 31'],
    ['000102030405060708090a0b0c0d0e0f00', 'got 34'],
    ['000102030405060708090a0b0c0d0e0g', 'found another character'],
    [' 000102030405060708090a0b0c0d0e0f', 'found another character'],
    ['0x0102030405060708090a0b0c0d0e0f', 'found another character'],
  ];
  for (const [text, message] of BAD) {
    it(`refuses '${text}' (${message}), without repeating it`, () => {
      let err: Error | null = null;
      try {
        parseCookieSecret(text);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.include(message).and.include('32 hex digits');
      if (text.trim()) expect(err?.message).not.to.include(text.trim());
    });
  }
});

describe('server cookies interoperate with BIND (named, cookie-algorithm siphash24)', function () {
  this.timeout(30_000);
  const FIRST = '4a2d7c1b9e0f3856a1b2c3d4e5f60718';
  const SECOND = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
  const LOOPBACK = ip('127.0.0.1');
  const ZONE = [
    '$TTL 300',
    '@ IN SOA ns1 hostmaster 1 3600 600 86400 300',
    '@ IN NS ns1',
    'ns1 IN A 192.0.2.53',
    'www IN A 192.0.2.1',
    '',
  ].join('\n');
  let named: Named | null = null;
  let version = '';

  before(async function () {
    namedOrSkip(this);
    version = Named.version();
    named = await Named.start({
      zones: { 'cookie.test': ZONE },
      options: [
        'cookie-algorithm siphash24',
        // The first makes cookies, the second is still accepted (a secret being rolled).
        `cookie-secret "${FIRST}"`,
        `cookie-secret "${SECOND}"`,
        // Over UDP, a query whose server cookie named does not accept gets BADCOOKIE, not the answer.
        'require-server-cookie yes',
      ],
    });
  });
  after(async () => {
    await named?.stop();
  });

  const now = () => Math.floor(Date.now() / 1000);

  /** Asks named for www.cookie.test A with this COOKIE option from 127.0.0.1. */
  async function ask(cookie: Buffer): Promise<{ reply: Reply; cookie: Buffer | null }> {
    const msg = buildQuery({
      name: 'www.cookie.test',
      rd: false,
      edns: { options: [{ code: 10, data: cookie } as unknown as dnsPacket.PacketOpt] },
    });
    const raw = await udpExchange('127.0.0.1', named!.port, msg, 3000);
    if (!raw) throw new Error(`no reply from named (${version})\n${named!.log}`);
    const reply = decodeReply(raw);
    const opt = reply.opt?.options?.find((o) => o['code'] === 10);
    return { reply, cookie: opt ? (opt['data'] as Buffer) : null };
  }

  /** A client cookie of our own with a server cookie made by `secrets[0]` at `at`. */
  function ours(secret: string, at: number, cc = hex('a1b2c3d4e5f60718')): Buffer {
    const out = Buffer.alloc(24);
    cc.copy(out);
    new ServerCookies([hex(secret)]).make(cc, 0, LOOPBACK, at, out, 8);
    return out;
  }

  it("named's server cookie passes check() with the same secret and client address", async () => {
    const cc = hex('0011223344556677');
    const { reply, cookie } = await ask(cc);
    // A client cookie alone: named asks for its server cookie first (BADCOOKIE) and sends one.
    expect(reply.rcode, version).to.equal(23);
    expect(cookie?.length, version).to.equal(24);
    expect(cookie!.subarray(0, 8).equals(cc)).to.equal(true);
    const t = now();
    expect(new ServerCookies([hex(FIRST)]).check(cookie!, 0, 8, 16, LOOPBACK, t), version).to.equal('valid');
    // The same bytes judged with a secret roll (named's first secret now the older one), for another
    // client, under another secret alone: each verdict follows from the cookie being named's own.
    expect(new ServerCookies([hex(SECOND), hex(FIRST)]).check(cookie!, 0, 8, 16, LOOPBACK, t)).to.equal('stale');
    expect(new ServerCookies([hex(FIRST)]).check(cookie!, 0, 8, 16, ip('127.0.0.2'), t)).to.equal('invalid');
    expect(new ServerCookies([hex(SECOND)]).check(cookie!, 0, 8, 16, LOOPBACK, t)).to.equal('invalid');
  });

  it('named answers with the cookie make() writes, and refuses it with one byte changed', async () => {
    const good = await ask(ours(FIRST, now()));
    expect(good.reply.rcode, `${version}\n${named!.log}`).to.equal(0);
    expect(good.reply.answer).to.deep.equal(['www.cookie.test 300 A 192.0.2.1']);
    const tampered = ours(FIRST, now());
    tampered[23] = tampered[23]! ^ 0x01;
    const bad = await ask(tampered);
    expect(bad.reply.rcode, version).to.equal(23);
    expect(bad.reply.answer).to.deep.equal([]);
  });

  it('named accepts cookies made with its second secret, and judges age as RFC 9018 does', async () => {
    const cases: ReadonlyArray<readonly [string, Buffer, number]> = [
      ['made with the second secret', ours(SECOND, now()), 0],
      ['40 minutes old (stale for us, still accepted)', ours(FIRST, now() - 40 * 60), 0],
      ['61 minutes old', ours(FIRST, now() - 61 * 60), 23],
      ['4 minutes ahead', ours(FIRST, now() + 4 * 60), 0],
      ['6 minutes ahead', ours(FIRST, now() + 6 * 60), 23],
      ['made with a secret named does not have', ours('00112233445566778899aabbccddeeff', now()), 23],
    ];
    const got: string[] = [];
    for (const [name, cookie] of cases) got.push(`${name}: ${(await ask(cookie)).reply.rcode}`);
    expect(got, version).to.deep.equal(cases.map(([name, , rcode]) => `${name}: ${rcode}`));
  });
});
