// Tests for the master-file parser: syntax, directives, TTL rules, per-type RDATA wire bytes and error reporting.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { ipFamily, parseIp } from '../zones/address.js';
import { parseMasterFile, type ParseOptions, type ParseResult } from '../zones/masterfile.js';
import { nameToText, parseName, type DnsName } from '../zones/name.js';
import { QTYPE, isName, type RdataPart, type ZoneRecord } from '../zones/records.js';

function dn(text: string): DnsName {
  const r = parseName(text, null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
}

const ORIGIN = dn('gslb.example.com.');

function parse(text: string, opts: Partial<ParseOptions> = {}): ParseResult {
  return parseMasterFile(text, { file: 'test.zone', origin: ORIGIN, ...opts });
}

/** Parses text that must be error-free and hold exactly one record. */
function one(text: string, opts: Partial<ParseOptions> = {}): ZoneRecord {
  const r = parse(text, opts);
  expect(r.errors).to.deep.equal([]);
  expect(r.records).to.have.length(1);
  return r.records[0]!;
}

/** Uncompressed RDATA as hex. */
function hex(rdata: readonly RdataPart[]): string {
  return Buffer.concat(rdata.map((p) => (isName(p) ? p.wire : p))).toString('hex');
}

/** Shape of the parts: 'N' for a name, 'B<len>' for octets. */
function shape(rdata: readonly RdataPart[]): string[] {
  return rdata.map((p) => (isName(p) ? 'N' : `B${p.length}`));
}

/** Reference RDATA from dns-packet: encode a record owned by the root and drop the 11-octet header. */
const answerCodec = (dnsPacket as unknown as { answer: { encode(a: unknown): Buffer } }).answer;
function ref(type: string, data: unknown): string {
  return answerCodec.encode({ type, name: '.', ttl: 0, class: 'IN', data }).subarray(11).toString('hex');
}

/** Each error as `line: code`: what tests match (zones/zone-errors.ts), not the wording. */
function codes(r: ParseResult): string[] {
  return r.errors.map((e) => `${e.line}: ${e.code}`);
}

/** Each error as `line: message`, where the wording is the feature (it names the field at fault). */
function messages(r: ParseResult): string[] {
  return r.errors.map((e) => `${e.line}: ${e.message}`);
}

const HEAD = '$TTL 3600\n';

describe('master file: RDATA wire format per type', () => {
  const cases: { text: string; type: number; hex: string; shape: string[] }[] = [
    { text: 'www A 192.0.2.1', type: QTYPE.A, hex: ref('A', '192.0.2.1'), shape: ['B4'] },
    { text: 'www A 0.0.0.0', type: QTYPE.A, hex: '00000000', shape: ['B4'] },
    { text: 'www A 255.255.255.255', type: QTYPE.A, hex: 'ffffffff', shape: ['B4'] },
    { text: 'www AAAA 2001:db8::1', type: QTYPE.AAAA, hex: ref('AAAA', '2001:db8::1'), shape: ['B16'] },
    { text: '@ NS ns1', type: QTYPE.NS, hex: ref('NS', 'ns1.gslb.example.com'), shape: ['N'] },
    { text: '@ NS ns.other.net.', type: QTYPE.NS, hex: ref('NS', 'ns.other.net'), shape: ['N'] },
    { text: 'w CNAME www', type: QTYPE.CNAME, hex: ref('CNAME', 'www.gslb.example.com'), shape: ['N'] },
    { text: '1 PTR host.example.', type: QTYPE.PTR, hex: ref('PTR', 'host.example'), shape: ['N'] },
    {
      text: '@ MX 10 mail',
      type: QTYPE.MX,
      hex: ref('MX', { preference: 10, exchange: 'mail.gslb.example.com' }),
      shape: ['B2', 'N'],
    },
    {
      text: '@ MX 65535 .',
      type: QTYPE.MX,
      hex: ref('MX', { preference: 65535, exchange: '.' }),
      shape: ['B2', 'N'],
    },
    {
      text: '@ SOA ns1 hostmaster.example.net. 2024010101 7200 900 1209600 300',
      type: QTYPE.SOA,
      hex: ref('SOA', {
        mname: 'ns1.gslb.example.com',
        rname: 'hostmaster.example.net',
        serial: 2024010101,
        refresh: 7200,
        retry: 900,
        expire: 1209600,
        minimum: 300,
      }),
      shape: ['N', 'N', 'B20'],
    },
    {
      text: '@ SOA ns1 hm 4294967295 2h 15m 2w 5m',
      type: QTYPE.SOA,
      hex: ref('SOA', {
        mname: 'ns1.gslb.example.com',
        rname: 'hm.gslb.example.com',
        serial: 4294967295,
        refresh: 7200,
        retry: 900,
        expire: 1209600,
        minimum: 300,
      }),
      shape: ['N', 'N', 'B20'],
    },
    { text: 't TXT "hello world"', type: QTYPE.TXT, hex: ref('TXT', ['hello world']), shape: ['B12'] },
    { text: 't TXT "a" "b c" ""', type: QTYPE.TXT, hex: ref('TXT', ['a', 'b c', '']), shape: ['B7'] },
    { text: 't TXT v=spf1 -all', type: QTYPE.TXT, hex: ref('TXT', ['v=spf1', '-all']), shape: ['B12'] },
    {
      text: '_sip._tcp SRV 10 60 5060 sip',
      type: QTYPE.SRV,
      hex: ref('SRV', { priority: 10, weight: 60, port: 5060, target: 'sip.gslb.example.com' }),
      shape: ['B6', 'N'],
    },
    {
      text: '_x._udp SRV 0 0 0 .',
      type: QTYPE.SRV,
      hex: ref('SRV', { priority: 0, weight: 0, port: 0, target: '.' }),
      shape: ['B6', 'N'],
    },
    {
      text: '@ CAA 0 issue "letsencrypt.org"',
      type: QTYPE.CAA,
      hex: ref('CAA', { flags: 0, tag: 'issue', value: 'letsencrypt.org' }),
      shape: ['B22'],
    },
    {
      text: '@ CAA 128 iodef mailto:security@example.com',
      type: QTYPE.CAA,
      hex: ref('CAA', { flags: 128, tag: 'iodef', value: 'mailto:security@example.com' }),
      shape: ['B34'],
    },
    {
      text: '@ CAA 0 issue ";"',
      type: QTYPE.CAA,
      hex: ref('CAA', { flags: 0, tag: 'issue', value: ';' }),
      shape: ['B8'],
    },
  ];
  for (const c of cases) {
    it(c.text, () => {
      const rec = one(HEAD + c.text);
      expect(rec.type).to.equal(c.type);
      expect(hex(rec.rdata)).to.equal(c.hex);
      expect(shape(rec.rdata)).to.deep.equal(c.shape);
    });
  }

  it('keeps the case of names in RDATA and gives them lowercase keys', () => {
    const rec = one(HEAD + 'w CNAME WWW.Example.NET.');
    const target = rec.rdata[0] as DnsName;
    expect(nameToText(target.wire)).to.equal('WWW.Example.NET.');
    expect(target.key).to.equal(dn('www.example.net.').key);
  });
});

describe('master file: AAAA forms', () => {
  const cases = [
    '::',
    '::1',
    '2001:db8::1',
    '2001:DB8:0:0:8:800:200C:417A',
    '1:2:3:4:5:6:7:8',
    '1::8',
    '1:2:3:4:5:6:7::',
    'fe80::1:2',
    '::ffff:1.2.3.4',
    '64:ff9b::192.0.2.33',
    '::192.0.2.1',
    '1:2:3:4:5:6:1.2.3.4',
  ];
  for (const addr of cases) {
    it(addr, () => {
      const rec = one(`${HEAD}www AAAA ${addr}`);
      expect(hex(rec.rdata)).to.equal(ref('AAAA', addr));
    });
  }

  // dns-packet (via the 'ip' package) mis-expands a leading '::' before seven groups, so these are literal.
  const literal: [string, string][] = [
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::ffff:0.0.0.0', '00000000000000000000ffff00000000'],
  ];
  for (const [addr, want] of literal) {
    it(addr, () => {
      expect(hex(one(`${HEAD}www AAAA ${addr}`).rdata)).to.equal(want);
    });
  }
});

describe('master file: bad addresses', () => {
  const cases: [string, string][] = [
    ['A 1.2.3', "bad IPv4 address '1.2.3' for A record"],
    ['A 01.2.3.4', "bad IPv4 address '01.2.3.4' for A record"],
    ['A 256.1.1.1', "bad IPv4 address '256.1.1.1' for A record"],
    ['A 1.2.3.4.5', "bad IPv4 address '1.2.3.4.5' for A record"],
    ['A 1.2.3.', "bad IPv4 address '1.2.3.' for A record"],
    ['A a.b.c.d', "bad IPv4 address 'a.b.c.d' for A record"],
    ['A .1.2.3', "bad IPv4 address '.1.2.3' for A record"],
    ['A 1..2.3', "bad IPv4 address '1..2.3' for A record"],
    ['A 1.2.3.1000', "bad IPv4 address '1.2.3.1000' for A record"],
    ['A 00.1.2.3', "bad IPv4 address '00.1.2.3' for A record"],
    ['A ::1', "bad IPv4 address '::1' for A record"],
    ['AAAA 1::2::3', "bad IPv6 address '1::2::3' for AAAA record"],
    ['AAAA fe80::1%eth0', "bad IPv6 address 'fe80::1%eth0' for AAAA record"],
    ['AAAA 12345::', "bad IPv6 address '12345::' for AAAA record"],
    ['AAAA 1:2:3:4:5:6:7', "bad IPv6 address '1:2:3:4:5:6:7' for AAAA record"],
    ['AAAA ::ffff:1.2.3', "bad IPv6 address '::ffff:1.2.3' for AAAA record"],
    ['AAAA 192.0.2.1', "bad IPv6 address '192.0.2.1' for AAAA record"],
  ];
  for (const [rr] of cases) {
    it(rr, () => {
      expect(codes(parse(`${HEAD}www ${rr}`))).to.deep.equal(['2: E_ZONE_BAD_RDATA']);
    });
  }
  it('names the address and the type', () => {
    expect(messages(parse(`${HEAD}www ${cases[0]![0]}`))).to.deep.equal([`2: ${cases[0]![1]}`]);
  });
});

describe('IP literals: the family check agrees with the parser', () => {
  const texts = [
    '0.0.0.0',
    '255.255.255.255',
    '192.0.2.1',
    '10.0.0.01',
    '1.2.3',
    '1.2.3.4.5',
    '',
    '256.0.0.1',
    '2001:db8::1',
    '::ffff:192.0.2.1',
    'fe80::1%eth0',
    '1::2::3',
    'www',
    '1.2.3.4/24',
  ];
  for (const t of texts)
    it(`'${t}'`, () => {
      expect(ipFamily(t)).to.equal(parseIp(t)?.family ?? 0);
    });
});

describe('master file: TTLs', () => {
  const units: [string, number][] = [
    ['0', 0],
    ['3600', 3600],
    ['90s', 90],
    ['1h30m', 5400],
    ['1d', 86400],
    ['1w', 604800],
    ['1W2D3H4M5S', 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5],
    ['2147483647', 2147483647],
  ];
  for (const [ttl, secs] of units) {
    it(`explicit TTL ${ttl} = ${secs}s`, () => {
      expect(one(`www ${ttl} A 192.0.2.1`).ttl).to.equal(secs);
    });
    it(`$TTL ${ttl} = ${secs}s`, () => {
      expect(one(`$TTL ${ttl}\nwww A 192.0.2.1`).ttl).to.equal(secs);
    });
  }

  const bad: [string][] = [['99x'], ['1h30'], ['1hh'], ['2147483648'], ['99999999999999'], ['24856d']];
  for (const [ttl] of bad) {
    it(`rejects TTL ${ttl}`, () => {
      expect(codes(parse(`www ${ttl} A 192.0.2.1`))).to.deep.equal(['1: E_ZONE_BAD_TTL']);
      expect(codes(parse(`$TTL ${ttl}\n`))).to.deep.equal(['1: E_ZONE_BAD_TTL']);
    });
  }
  it('says which TTL and the range', () => {
    expect(messages(parse('www 2147483648 A 192.0.2.1'))).to.deep.equal([
      "1: TTL '2147483648' is out of range (0..2147483647)",
    ]);
  });

  it('explicit TTL wins over $TTL, and does not change the $TTL default', () => {
    const r = parse('$TTL 1h\na 60 A 192.0.2.1\nb A 192.0.2.2\n$TTL 2h\nc A 192.0.2.3');
    expect(r.errors).to.deep.equal([]);
    expect(r.records.map((x) => x.ttl)).to.deep.equal([60, 3600, 7200]);
  });

  it('without $TTL, a record takes the last explicit TTL (RFC 1035)', () => {
    const r = parse('a 60 A 192.0.2.1\nb A 192.0.2.2\nc 120 A 192.0.2.3\nd A 192.0.2.4');
    expect(r.errors).to.deep.equal([]);
    expect(r.records.map((x) => x.ttl)).to.deep.equal([60, 60, 120, 120]);
  });

  it('without any TTL, a leading SOA uses its MINIMUM, which becomes the default', () => {
    const r = parse('@ SOA ns1 hm 1 2h 15m 2w 5m\n  NS ns1\nwww 30 A 192.0.2.1\nx A 192.0.2.2');
    expect(r.errors).to.deep.equal([]);
    expect(r.records.map((x) => x.ttl)).to.deep.equal([300, 300, 30, 30]);
  });

  it("reports 'no TTL specified' when nothing gives a TTL", () => {
    const r = parse('www A 192.0.2.1\nwww2 A 192.0.2.2');
    expect(codes(r)).to.deep.equal(['1: E_ZONE_NO_TTL', '2: E_ZONE_NO_TTL']);
    expect(r.errors[0]!.message).to.equal('no TTL specified for A record (add $TTL)');
  });

  it('uses opts.defaultTtl like an initial $TTL', () => {
    const r = parse('a A 192.0.2.1\nb 5 A 192.0.2.2\nc A 192.0.2.3', { defaultTtl: 42 });
    expect(r.records.map((x) => x.ttl)).to.deep.equal([42, 5, 42]);
  });
});

describe('master file: TTL and class fields', () => {
  const ok = [
    'www 300 IN A 192.0.2.1',
    'www IN 300 A 192.0.2.1',
    'www 300 A 192.0.2.1',
    'www 5m in a 192.0.2.1',
    'www In 5M A 192.0.2.1',
    'www CLASS1 300 A 192.0.2.1',
    'www 300 IN TYPE1 192.0.2.1',
  ];
  for (const text of ok) {
    it(text, () => {
      const rec = one(text);
      expect(rec.ttl).to.equal(300);
      expect(rec.type).to.equal(QTYPE.A);
      expect(hex(rec.rdata)).to.equal('c0000201');
    });
  }

  const bad: [string, string][] = [
    ['www 300 CH A 192.0.2.1', 'E_ZONE_BAD_CLASS'],
    ['www HS A 192.0.2.1', 'E_ZONE_BAD_CLASS'],
    ['www CLASS3 A 192.0.2.1', 'E_ZONE_BAD_CLASS'],
    ['www IN IN A 192.0.2.1', 'E_ZONE_BAD_CLASS'],
    ['www 1 2 A 192.0.2.1', 'E_ZONE_BAD_TTL'],
    ['www 300 IN', 'E_ZONE_BAD_TYPE'],
    ['www FOO 1', 'E_ZONE_BAD_TYPE'],
    ['www TYPE65536 \\# 0', 'E_ZONE_BAD_TYPE'],
    ['www ANY \\# 0', 'E_ZONE_BAD_TYPE'],
    ['www AXFR \\# 0', 'E_ZONE_BAD_TYPE'],
    ['www TYPE0 \\# 0', 'E_ZONE_BAD_TYPE'],
    ['www OPT \\# 0', 'E_ZONE_BAD_TYPE'],
  ];
  for (const [text, code] of bad) {
    it(`rejects: ${text}`, () => {
      expect(codes(parse(HEAD + text))).to.deep.equal([`2: ${code}`]);
    });
  }
});

describe('master file: names, $ORIGIN and owners', () => {
  const owner = (r: ParseResult): string[] => r.records.map((x) => nameToText(x.owner.wire));

  it('completes relative names with the origin and accepts @ and absolute names', () => {
    const r = parse(HEAD + '@ A 192.0.2.1\nwww A 192.0.2.2\nmail.gslb.example.com. A 192.0.2.3\na.b A 192.0.2.4');
    expect(r.errors).to.deep.equal([]);
    expect(owner(r)).to.deep.equal([
      'gslb.example.com.',
      'www.gslb.example.com.',
      'mail.gslb.example.com.',
      'a.b.gslb.example.com.',
    ]);
  });

  it('$ORIGIN changes the origin for owners, @ and RDATA names; relative $ORIGIN stacks', () => {
    const text = [
      HEAD.trim(),
      '$ORIGIN eu.gslb.example.com.',
      '@ A 192.0.2.1',
      'www CNAME lb',
      '$ORIGIN sub', // relative to eu.gslb.example.com.
      'x A 192.0.2.2',
      '$origin gslb.example.com.',
      'y MX 1 @',
    ].join('\n');
    const r = parse(text);
    expect(r.errors).to.deep.equal([]);
    expect(owner(r)).to.deep.equal([
      'eu.gslb.example.com.',
      'www.eu.gslb.example.com.',
      'x.sub.eu.gslb.example.com.',
      'y.gslb.example.com.',
    ]);
    expect(nameToText((r.records[1]!.rdata[0] as DnsName).wire)).to.equal('lb.eu.gslb.example.com.');
    expect(nameToText((r.records[3]!.rdata[1] as DnsName).wire)).to.equal('gslb.example.com.');
  });

  it('blank owner repeats the previous owner, also after $ORIGIN and $TTL lines', () => {
    const r = parse('$TTL 60\nwww A 192.0.2.1\n\tAAAA ::1\n$TTL 30\n   TXT "x"\n$ORIGIN example.org.\n TXT "y"');
    expect(r.errors).to.deep.equal([]);
    expect(owner(r)).to.deep.equal(Array(4).fill('www.gslb.example.com.'));
    expect(r.records.map((x) => x.ttl)).to.deep.equal([60, 60, 30, 30]);
  });

  it('reports a blank owner with no previous owner', () => {
    expect(codes(parse(HEAD + '  A 192.0.2.1'))).to.deep.equal(['2: E_ZONE_NO_OWNER']);
  });

  it('handles \\. and \\DDD escapes in names', () => {
    const r = parse(HEAD + 'a\\.b A 192.0.2.1\n\\065\\066c A 192.0.2.2\nx CNAME dot\\.ted\\032name');
    expect(r.errors).to.deep.equal([]);
    expect(r.records[0]!.owner.wire.toString('latin1')).to.equal('\x03a.b\x04gslb\x07example\x03com\x00');
    expect(nameToText(r.records[0]!.owner.wire)).to.equal('a\\.b.gslb.example.com.');
    expect(nameToText(r.records[1]!.owner.wire)).to.equal('ABc.gslb.example.com.');
    expect(r.records[1]!.owner.key).to.equal(dn('abc.gslb.example.com.').key);
    expect((r.records[2]!.rdata[0] as DnsName).wire.subarray(0, 13).toString('latin1')).to.equal('\x0cdot.ted name');
  });

  it('an escaped delimiter stays inside a word', () => {
    const r = one(HEAD + 'a\\;b\\(c TXT semi\\;colon paren\\( sp\\ ace');
    expect(r.owner.wire.subarray(0, 6).toString('latin1')).to.equal('\x05a;b(c');
    expect(hex(r.rdata)).to.equal(ref('TXT', ['semi;colon', 'paren(', 'sp ace']));
  });

  it('rejects bad names with the reason', () => {
    const r = parse(HEAD + 'a..b A 192.0.2.1\nx CNAME y..z\nz A 1.2.3.4\n\\999 A 1.2.3.4');
    expect(codes(r)).to.deep.equal(['2: E_ZONE_BAD_OWNER', '3: E_ZONE_BAD_RDATA', '5: E_ZONE_BAD_OWNER']);
    expect(messages(r)).to.deep.equal([
      "2: bad owner name: empty label in name 'a..b'",
      "3: bad CNAME target: empty label in name 'y..z'",
      "5: bad owner name: bad escape \\999 in name '\\999'",
    ]);
  });

  it('rejects owners outside the zone, once per owner', () => {
    const text = HEAD + 'www.example.org. A 192.0.2.1\n  AAAA ::1\nxgslb.example.com. A 192.0.2.2\nok A 192.0.2.3';
    const r = parse(text);
    expect(codes(r)).to.deep.equal(['2: E_ZONE_OUT_OF_ZONE', '4: E_ZONE_OUT_OF_ZONE']);
    expect(owner(r)).to.deep.equal(['ok.gslb.example.com.']);
  });

  it('rejects owners outside the zone even after $ORIGIN moves away', () => {
    const r = parse(HEAD + '$ORIGIN example.org.\nwww A 192.0.2.1\n$ORIGIN gslb.example.com.\nwww A 192.0.2.1');
    expect(codes(r)).to.deep.equal(['3: E_ZONE_OUT_OF_ZONE']);
    expect(r.errors[0]!.message).to.equal("owner 'www.example.org.' is outside the zone 'gslb.example.com.'");
    expect(r.records).to.have.length(1);
  });

  it('still checks the RDATA of continuation lines under a bad owner', () => {
    const r = parse(HEAD + 'a..b A 192.0.2.1\n  A 1.2.3\n  A 192.0.2.9\nc A 192.0.2.3');
    expect(codes(r)).to.deep.equal(['2: E_ZONE_BAD_OWNER', '3: E_ZONE_BAD_RDATA']);
    expect(owner(r)).to.deep.equal(['c.gslb.example.com.']);
  });
});

describe('master file: lexical syntax', () => {
  it('joins parentheses across lines with comments inside, and keeps later line numbers right', () => {
    const text = [
      '$TTL 1h',
      '@ IN SOA ns1.gslb.example.com. hostmaster.example.com. ( ; start',
      '    2024010101 ; serial',
      '    1h         ; refresh (with a paren in a comment',
      '    15m 1w',
      '    5m )       ; minimum',
      '',
      '; a full-line comment',
      'www A ( 192.0.2.1 )',
      't TXT ( "one" ; first',
      '        "two" )',
      'last A 192.0.2.2',
    ].join('\n');
    const r = parse(text);
    expect(r.errors).to.deep.equal([]);
    expect(r.records.map((x) => x.line)).to.deep.equal([2, 9, 10, 12]);
    expect(hex(r.records[0]!.rdata).slice(-40)).to.equal('78a3f17500000e100000038400093a800000012c');
    expect(hex(r.records[2]!.rdata)).to.equal(ref('TXT', ['one', 'two']));
  });

  it('reports unbalanced parentheses at the start of the record', () => {
    expect(codes(parse(HEAD + 'www A 192.0.2.1 )\nok A 192.0.2.2'))).to.deep.equal(['2: E_ZONE_SYNTAX']);
    const r = parse(HEAD + 'ok A 192.0.2.2\nwww TXT ( "a"\n "b"\n');
    expect(codes(r)).to.deep.equal(['3: E_ZONE_SYNTAX']);
    expect(r.errors[0]!.message).to.equal('unbalanced parentheses');
    expect(r.records).to.have.length(1);
  });

  it('does not treat ; inside quotes as a comment, and handles quote escapes', () => {
    const rec = one(HEAD + 't TXT "a;b" "say \\"hi\\"" "back\\\\slash" "\\065\\066\\067" "\\255" ; real comment');
    expect(hex(rec.rdata)).to.equal(
      Buffer.concat([
        Buffer.from('\x03a;b\x08say "hi"\x0aback\\slash\x03ABC\x01', 'latin1'),
        Buffer.from([255]),
      ]).toString('hex'),
    );
  });

  it('stores non-ASCII TXT text as UTF-8', () => {
    expect(hex(one(HEAD + 't TXT "héllo"').rdata)).to.equal(ref('TXT', ['héllo']));
  });

  it('accepts 255-octet strings and rejects 256', () => {
    expect(one(`${HEAD}t TXT "${'x'.repeat(255)}"`).rdata[0]).to.have.length(256);
    expect(one(`${HEAD}t TXT ${'\\065'.repeat(255)}`).rdata[0]).to.have.length(256);
    expect(codes(parse(`${HEAD}t TXT "${'x'.repeat(256)}"`))).to.deep.equal(['2: E_ZONE_BAD_RDATA']);
  });

  it('rejects RDATA over 65535 octets', () => {
    const strings = Array(300)
      .fill(`"${'x'.repeat(255)}"`)
      .join(' ');
    expect(codes(parse(`${HEAD}t TXT ${strings}`))).to.deep.equal(['2: E_ZONE_BAD_RDATA']);
  });

  it('reports an unterminated quoted string and carries on at the next line', () => {
    const r = parse(HEAD + 't TXT "abc\nwww A 192.0.2.1');
    expect(codes(r)).to.deep.equal(['2: E_ZONE_SYNTAX']);
    expect(r.errors[0]!.message).to.equal('unterminated quoted string');
    expect(r.records).to.have.length(1);
  });

  it('reports bad string escapes', () => {
    expect(codes(parse(HEAD + 't TXT "\\300"\nu TXT "\\12"'))).to.deep.equal([
      '2: E_ZONE_BAD_RDATA',
      '3: E_ZONE_BAD_RDATA',
    ]);
  });

  it('accepts CRLF line endings and tabs', () => {
    const r = parse('$TTL 60\r\nwww\tIN\tA\t192.0.2.1\r\n\tTXT "x"\r\n');
    expect(r.errors).to.deep.equal([]);
    expect(r.records.map((x) => [x.line, x.type])).to.deep.equal([
      [2, QTYPE.A],
      [3, QTYPE.TXT],
    ]);
  });

  it('ignores a UTF-8 byte-order mark', () => {
    expect(nameToText(one('\uFEFFwww 60 A 192.0.2.1').owner.wire)).to.equal('www.gslb.example.com.');
  });

  it('records the file name and line of each record', () => {
    const r = parse('\n\n$TTL 60\n\nwww A 192.0.2.1', { file: 'zones/a.zone' });
    expect(r.records[0]).to.include({ file: 'zones/a.zone', line: 5 });
  });
});

describe('master file: RFC 3597 generic RDATA', () => {
  const ok: [string, number, string][] = [
    ['x TYPE65534 \\# 4 0a000001', 65534, '0a000001'],
    ['x TYPE65534 \\# 0', 65534, ''],
    ['x type65534 \\# 4 0A00 0001', 65534, '0a000001'],
    ['x TYPE65534 \\# ( 4\n 0a00\n 0001 )', 65534, '0a000001'],
    ['x A \\# 4 c0000201', QTYPE.A, 'c0000201'],
    ['x TYPE1 \\# 4 C0000201', QTYPE.A, 'c0000201'],
    ['x TYPE28 ::1', QTYPE.AAAA, '00000000000000000000000000000001'],
    ['x DS \\# 4 01020304', QTYPE.DS, '01020304'],
    ['x TXT \\# 3 026869', QTYPE.TXT, '026869'],
  ];
  for (const [text, type, data] of ok) {
    it(text.replace('\n', ' '), () => {
      const rec = one(HEAD + text);
      expect(rec.type).to.equal(type);
      expect(hex(rec.rdata)).to.equal(data);
      expect(shape(rec.rdata)).to.deep.equal([`B${data.length / 2}`]);
    });
  }

  const bad: [string, string][] = [
    ['x TYPE65534 \\# 4 0a0000', '\\# RDATA has 3 octets but length says 4'],
    ['x TYPE65534 \\# 1 0a00', '\\# RDATA has 2 octets but length says 1'],
    ['x TYPE65534 \\# 2 0a0', "bad hex '0a0' in \\# form"],
    ['x TYPE65534 \\# 2 zz00', "bad hex 'zz00' in \\# form"],
    ['x TYPE65534 \\# x 00', "bad RDATA length 'x' in \\# form"],
    ['x TYPE65534 \\#', "'\\#' RDATA needs a length"],
    ['x TYPE65534 0a000001', "TYPE65534 RDATA must use the RFC 3597 '\\# length hex' form"],
    ['x RRSIG 1 2 3 abcd', "RRSIG RDATA must use the RFC 3597 '\\# length hex' form"],
    ['x A \\# 3 c00002', 'A RDATA must be 4 octets, \\# form gives 3'],
    ['x AAAA \\# 4 c0000201', 'AAAA RDATA must be 16 octets, \\# form gives 4'],
  ];
  for (const [text] of bad) {
    it(`rejects: ${text}`, () => {
      expect(codes(parse(HEAD + text))).to.deep.equal(['2: E_ZONE_BAD_RDATA']);
    });
  }
});

describe('master file: RDATA field errors', () => {
  const bad: [string, string][] = [
    ['A', 'A record needs 1 RDATA field (address), got 0'],
    ['A 192.0.2.1 192.0.2.2', 'A record needs 1 RDATA field (address), got 2'],
    ['A "192.0.2.1"', 'unexpected quoted string "192.0.2.1" in A record'],
    ['MX 10', 'MX record needs 2 RDATA fields (preference exchange), got 1'],
    ['MX 65536 mail', "bad MX preference '65536'"],
    ['MX -1 mail', "bad MX preference '-1'"],
    ['SRV 1 2 70000 t', "bad SRV port '70000'"],
    ['SRV 1 2 t', 'SRV record needs 4 RDATA fields (priority weight port target), got 3'],
    ['SOA ns hm 4294967296 1 1 1 1', "bad SOA serial '4294967296'"],
    ['SOA ns hm 1h 1 1 1 1', "bad SOA serial '1h'"],
    ['SOA ns hm 1 1x 1 1 1', "bad SOA refresh '1x'"],
    ['SOA ns hm 1 1 1 1', 'SOA record needs 7 RDATA fields (mname rname serial refresh retry expire minimum), got 6'],
    ['TXT', 'TXT record needs at least one string'],
    ['CAA 0 issue', 'CAA record needs 3 RDATA fields (flags tag value), got 2'],
    ['CAA 256 issue x', "bad CAA flags '256'"],
    ['CAA 0 is-sue x', "bad CAA tag 'is-sue'"],
    ['CAA 0 "issue" x', "bad CAA tag 'issue'"],
    ['CNAME', 'CNAME record needs 1 RDATA field (target), got 0'],
  ];
  // The wording is the feature here: it names the field at fault and what the type takes.
  for (const [rr, msg] of bad) {
    it(`rejects: ${rr}`, () => {
      const r = parse(`${HEAD}x ${rr}`);
      expect(codes(r)).to.deep.equal(['2: E_ZONE_BAD_RDATA']);
      expect(messages(r)).to.deep.equal([`2: ${msg}`]);
    });
  }
});

describe('master file: directives and error collection', () => {
  it('reports $INCLUDE and unknown directives', () => {
    expect(
      codes(parse('$INCLUDE other.zone\n$GENERATE 1-2 x A 1.2.3.$\n$TTL\n$ORIGIN a. b.\n$ORIGIN a..b')),
    ).to.deep.equal([
      '1: E_ZONE_UNSUPPORTED_DIRECTIVE',
      '2: E_ZONE_UNSUPPORTED_DIRECTIVE',
      '3: E_ZONE_BAD_DIRECTIVE',
      '4: E_ZONE_BAD_DIRECTIVE',
      '5: E_ZONE_BAD_DIRECTIVE',
    ]);
  });

  it('collects every error with the line where its record starts, keeping good records in order', () => {
    const text = [
      '$TTL 300', // 1
      '@ SOA ns1 hm ( 1 2 3 4', // 2
      '   5 )', // 3
      'a A 1.2.3', // 4
      'b A 192.0.2.1', // 5
      'c FOO bar', // 6
      'd TXT ( "x"', // 7
      '  "unterminated', // 8
      ')', // 9
      'e 99x A 192.0.2.2', // 10
      'f CH A 192.0.2.3', // 11
      'g AAAA ::1', // 12
      'h MX ( 10', // 13
      '  ; comment only', // 14
      '  ) ', // 15
      'other.example. A 192.0.2.4', // 16
      '$INCLUDE x', // 17
      'i A 192.0.2.5', // 18
    ].join('\n');
    const r = parse(text);
    expect(codes(r)).to.deep.equal([
      '4: E_ZONE_BAD_RDATA',
      '6: E_ZONE_BAD_TYPE',
      '7: E_ZONE_SYNTAX',
      '10: E_ZONE_BAD_TTL',
      '11: E_ZONE_BAD_CLASS',
      '13: E_ZONE_BAD_RDATA',
      '16: E_ZONE_OUT_OF_ZONE',
      '17: E_ZONE_UNSUPPORTED_DIRECTIVE',
    ]);
    expect(r.errors.every((e) => e.file === 'test.zone')).to.equal(true);
    expect(r.records.map((x) => [nameToText(x.owner.wire), x.line])).to.deep.equal([
      ['gslb.example.com.', 2],
      ['b.gslb.example.com.', 5],
      ['g.gslb.example.com.', 12],
      ['i.gslb.example.com.', 18],
    ]);
  });

  it('returns nothing for an empty or comment-only file', () => {
    expect(parse('')).to.deep.equal({ records: [], errors: [] });
    expect(parse('; nothing\n\n   \n\t; here\n')).to.deep.equal({ records: [], errors: [] });
  });
});

describe('master file: performance', () => {
  it('parses 10,000 records well under a second', () => {
    const lines = ['$TTL 300', '@ SOA ns1 hm 1 2h 15m 2w 5m', '  NS ns1'];
    for (let i = 0; i < 10000; i++) {
      const kind = i % 4;
      if (kind === 0) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      else if (kind === 1) lines.push(`  AAAA 2001:db8::${i.toString(16)}`);
      else if (kind === 2) lines.push(`t${i} 60 TXT "v=spf1 include:_spf.example.com ~all" "x${i}"`);
      else lines.push(`m${i} MX 10 mail${i}.example.net.`);
    }
    const text = lines.join('\n');
    const start = process.hrtime.bigint();
    const r = parse(text);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(r.errors).to.deep.equal([]);
    expect(r.records).to.have.length(10002);
    expect(ms).to.be.below(1000);
  });
});
