// The query's source address as bytes (server/source-address.ts), shared by the client resolver,
// rate limiting and cookies: parsed once per distinct text, without allocation, never stale.
import { expect } from 'chai';
import { SourceAddress } from '../server/source-address.js';
import type { Peer } from '../server/transport-types.js';

const peer = (address: string, family: 4 | 6 = address.includes(':') ? 6 : 4): Peer => ({ address, port: 53, family });

describe('source address', () => {
  // [peer text, family, bytes as hex]
  const rows: Array<[string, 4 | 6, string]> = [
    ['192.0.2.1', 4, 'c0000201'],
    ['::ffff:198.51.100.7', 4, 'c6336407'],
    ['2001:db8::1', 6, '20010db8000000000000000000000001'],
    ['fe80::1%eth0', 6, 'fe800000000000000000000000000001'],
    ['::1', 6, '00000000000000000000000000000001'],
  ];
  for (const [text, family, hex] of rows)
    it(`${text}: IPv${family} ${hex}`, () => {
      const s = new SourceAddress();
      expect(s.update(peer(text))).to.equal(true);
      expect(s.family).to.equal(family);
      expect(Buffer.from(s.bytes).toString('hex')).to.equal(hex);
      if (family === 4) expect(s.v4).to.equal(parseInt(hex, 16));
    });

  it('refuses what is not an address, and keeps nothing a failed parse overwrote', () => {
    const s = new SourceAddress();
    expect(s.update(peer('192.0.2.1'))).to.equal(true);
    expect(s.update(peer('::ffff:999.1.1.1'))).to.equal(false);
    expect(s.update(peer('not:an:address::x'))).to.equal(false);
    expect(s.update(peer('', 4))).to.equal(false);
    expect(s.update(peer('192.0.2.1'))).to.equal(true);
    expect(Buffer.from(s.bytes).toString('hex')).to.equal('c0000201');
  });
});
