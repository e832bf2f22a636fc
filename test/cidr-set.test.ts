// CIDR sets (server/cidr-set.ts): parsing, membership by number, bytes and text, IPv4-mapped IPv6
// as its IPv4, merged ranges; and the allocation-free IPv6 text reader against Node's own parser.
import { expect } from 'chai';
import net from 'node:net';
import { CidrSet, readIPv6 } from '../server/cidr-set.js';
import { parseIp } from '../zones/address.js';
import { parseIPv6 } from '../zones/rdata.js';
import { seeded } from '../zones/prng.js';

function v4(text: string): number {
  return parseIp(text)!.bytes.readUInt32BE(0);
}

describe('CidrSet', () => {
  // [set, address, in set?]: each address asked as text, and as a number or bytes.
  const cases: Array<[readonly string[], string, boolean]> = [
    [['192.0.2.0/24'], '192.0.2.0', true],
    [['192.0.2.0/24'], '192.0.2.255', true],
    [['192.0.2.0/24'], '192.0.3.0', false],
    [['192.0.2.0/24'], '192.0.1.255', false],
    [['192.0.2.7'], '192.0.2.7', true], // a bare address is a /32
    [['192.0.2.7'], '192.0.2.8', false],
    [['0.0.0.0/0'], '255.255.255.255', true],
    [['0.0.0.0/0'], '0.0.0.0', true],
    [['255.255.255.255/32'], '255.255.255.255', true],
    [['128.0.0.0/1'], '127.255.255.255', false],
    [['128.0.0.0/1'], '128.0.0.0', true],
    [['10.0.0.0/8', '192.0.2.0/24', '10.1.0.0/16'], '10.1.2.3', true], // nested
    [['10.0.0.0/8', '192.0.2.0/24'], '11.0.0.0', false],
    [['10.0.0.0/9', '10.128.0.0/9'], '10.200.0.1', true], // touching ranges merged
    [['10.0.0.0/9', '10.128.0.0/9'], '11.0.0.0', false],
    [['192.0.2.0/24'], '::ffff:192.0.2.9', true], // a mapped address is its IPv4
    [['192.0.2.0/24'], '::ffff:192.0.3.9', false],
    [['::ffff:192.0.2.0/120'], '192.0.2.9', true], // a mapped prefix is its IPv4 prefix
    [['::ffff:192.0.2.0/120'], '::ffff:192.0.2.9', true],
    [['::ffff:192.0.2.0/120'], '192.0.3.9', false],
    [['::/0'], '192.0.2.1', true], // every IPv6 address, mapped ones included
    [['::/0'], '2001:db8::1', true],
    [['::/80'], '203.0.113.1', true], // holds ::ffff:0:0/96
    [['::/96'], '203.0.113.1', false], // ::a.b.c.d, not mapped
    [['2001:db8::/32'], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    [['2001:db8::/32'], '2001:db9::', false],
    [['2001:db8::/32'], '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    [['2001:db8::1'], '2001:db8::1', true], // a bare address is a /128
    [['2001:db8::1'], '2001:db8::2', false],
    [['::1'], '::1', true],
    [['::1'], '127.0.0.1', false],
    [['127.0.0.0/8'], '::1', false],
    [['fe80::/10'], 'fe80::1%eth0', true], // Node prints a link-local peer with its zone
    [['2001:db8::/48', '2001:db8:0:1::/64', '2001:db8:1::/48'], '2001:db8:1:ffff::1', true],
    [['2001:db8::/48', '2001:db8:2::/48'], '2001:db8:1::1', false],
    [['::/1', '8000::/1'], 'ffff::1', true],
    [[], '192.0.2.1', false],
    [[], '::1', false],
    [['0.0.0.0/0', '::/0'], 'not an address', false],
    [['::/0'], '1::2::3', false],
  ];

  for (const [list, address, want] of cases) {
    it(`[${list.join(' ')}] ${want ? 'has' : 'lacks'} ${address}`, () => {
      const set = CidrSet.parse(list);
      expect(set.hasText(address), 'hasText').to.equal(want);
      const bare = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
      const ip = parseIp(bare);
      if (ip?.family === 4) expect(set.has4(ip.bytes.readUInt32BE(0)), 'has4').to.equal(want);
      if (ip?.family === 6) expect(set.has6(ip.bytes), 'has6').to.equal(want);
    });
  }

  it('counts distinct prefixes in size', () => {
    expect(CidrSet.parse([]).size).to.equal(0);
    expect(CidrSet.parse(['192.0.2.0/24', '192.0.2.0/24', '::1', '::ffff:192.0.2.0/120']).size).to.equal(2);
    expect(CidrSet.parse(['10.0.0.0/8', '10.0.0.0/9', '2001:db8::/32']).size).to.equal(3);
  });

  it('takes a signed 32-bit number as the same IPv4 address', () => {
    const set = CidrSet.parse(['203.0.113.0/24']);
    expect(set.has4(v4('203.0.113.5') | 0)).to.equal(true);
    expect(set.has4(v4('203.0.114.5') | 0)).to.equal(false);
  });

  it('agrees with a plain prefix check on random addresses and sets', () => {
    const rng = seeded(17);
    const byte = () => Math.floor(rng() * 256);
    for (let round = 0; round < 200; round++) {
      const prefixes: Array<{ bytes: Uint8Array; len: number; text: string }> = [];
      for (let i = 0; i < 1 + Math.floor(rng() * 6); i++) {
        const six = rng() < 0.5;
        const len = Math.floor(rng() * ((six ? 128 : 32) + 1));
        const raw = Uint8Array.from({ length: six ? 16 : 4 }, byte);
        // Keep prefixes near each other so that overlaps and neighbours happen.
        raw[0] = six ? 0x20 : 10;
        const masked = raw.map((b, k) => (k * 8 >= len ? 0 : k * 8 + 8 <= len ? b : b & (0xff << (8 - (len - k * 8)))));
        const addr = six ? formatV6(masked) : masked.join('.');
        prefixes.push({ bytes: masked, len, text: `${addr}/${len}` });
      }
      const set = CidrSet.parse(prefixes.map((p) => p.text));
      for (let probe = 0; probe < 50; probe++) {
        const six = rng() < 0.5;
        const a = Uint8Array.from({ length: six ? 16 : 4 }, byte);
        a[0] = six ? 0x20 : 10;
        // The model: IPv4 as IPv4-mapped IPv6 throughout, so a wide IPv6 prefix holds IPv4 too.
        const want = prefixes.some((p) =>
          inPrefix(mapped(a), mapped(p.bytes), p.bytes.length === 4 ? p.len + 96 : p.len),
        );
        const got = six ? set.has6(a) : set.has4(Buffer.from(a).readUInt32BE(0));
        expect(got, `${prefixes.map((p) => p.text).join(' ')} ? ${six ? formatV6(a) : a.join('.')}`).to.equal(want);
      }
    }
  });

  const bad: Array<[string, RegExp]> = [
    ['192.0.2.1/24', /'192.0.2.1\/24' has host bits set; did you mean 192.0.2.0\/24\?/],
    ['192.0.2.0/33', /'192.0.2.0\/33': prefix length must be 0-32/],
    ['2001:db8::/129', /'2001:db8::\/129': prefix length must be 0-128/],
    ['example.com', /'example.com' is not a CIDR prefix/],
    ['', /'' is not a CIDR prefix/],
    ['10.0.0.0/x', /'10.0.0.0\/x': prefix length/],
  ];
  for (const [entry, message] of bad) {
    it(`rejects '${entry}' naming it`, () => {
      expect(() => CidrSet.parse(['192.0.2.0/24', entry])).to.throw(message);
    });
  }
});

describe('readIPv6 (allocation-free IPv6 text)', () => {
  const texts = [
    '::',
    '::1',
    '1::',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '2001:db8::ff00:42:8329',
    '2001:DB8::FF00:42:8329',
    '::ffff:192.0.2.1',
    '64:ff9b::192.0.2.33',
    '1:2:3:4:5:6:1.2.3.4',
    'fe80::1%eth0',
    '0:0:0:0:0:0:0:0',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':1',
    '1:',
    ':::',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3',
    '::1.2.3.04',
    '::1.2.3.4:5',
    '',
    '1.2.3.4',
  ];
  for (const text of texts) {
    const bare = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
    const valid = net.isIPv6(bare);
    it(`${valid ? 'reads' : 'rejects'} '${text}' as zones/rdata.ts parseIPv6 does`, () => {
      const out = new Uint8Array(16).fill(0xee);
      expect(readIPv6(text, out, new Uint8Array(4))).to.equal(valid);
      if (valid) expect(Buffer.from(out).equals(parseIPv6(bare)!)).to.equal(true);
    });
  }

  it('reads what formatV6 writes for random addresses, runs of zeros included', () => {
    const rng = seeded(3);
    for (let i = 0; i < 2000; i++) {
      const a = Uint8Array.from({ length: 16 }, () => (rng() < 0.5 ? 0 : Math.floor(rng() * 256)));
      const out = new Uint8Array(16);
      expect(readIPv6(formatV6(a), out, new Uint8Array(4)), formatV6(a)).to.equal(true);
      expect([...out]).to.deep.equal([...a]);
    }
  });
});

function inPrefix(a: Uint8Array, net: Uint8Array, len: number): boolean {
  for (let bit = 0; bit < len; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3]! & mask) !== (net[bit >> 3]! & mask)) return false;
  }
  return true;
}

function mapped(b: Uint8Array): Uint8Array {
  return b.length === 16 ? b : Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b]);
}

function formatV6(b: Uint8Array): string {
  // Node's own formatting (libuv), so the reader is tested on the text peers really carry.
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
