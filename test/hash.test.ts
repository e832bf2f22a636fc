// The one hash (zones/hash.ts) gives exactly what the two FNV-1a copies it replaced gave: probe target
// keys and plan versions (fingerprint) are stored in Redis, and rendezvous scores (fnv1a) decide which
// datacenter a `hashed` client gets, so neither may move.
import { expect } from 'chai';
import { fingerprint, fmix32, fnv1a, fnvBytes, FNV_OFFSET, fnvText } from '../zones/hash.js';

/** server/gslb/select.ts's fnv1a as of 1230fe1, kept here as the reference. */
function oldFnv1a(bytes: Uint8Array, len: number, salt: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193);
  }
  for (let i = 0; i < salt.length; i++) {
    h ^= salt.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** health/view.ts's fingerprint as of 1230fe1, kept here as the reference. */
function oldFingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

describe('hash (zones/hash.ts)', () => {
  it('fingerprint: the published FNV-1a vectors and the values stored today', () => {
    const golden: Array<[string, string]> = [
      ['', '811c9dc5'],
      ['a', 'e40c292c'], // FNV-1a 32-bit test vectors
      ['foobar', 'bf9cf968'],
      ['web|192.0.2.10|443|https GET /health 200', 'ccc5e3b3'],
      ['é€😀', '0c5e230d'], // UTF-16 code units, as before
    ];
    for (const [text, hex] of golden) expect(fingerprint(text), text).to.equal(hex);
  });

  it('fnv1a (rendezvous): scores pinned for a few subnets and keys', () => {
    const golden: Array<[number[], number, string, number]> = [
      [[], 0, '', 2872998923],
      [[192, 0, 2], 3, 'eu-west', 2084966808],
      [[192, 0, 2], 3, 'us-east', 3106239326],
      [[198, 51, 100], 3, 'eu-west', 4180849048],
      [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0], 6, 'us-west', 3995071208],
      [[10, 1], 3, 'a', 2111704089], // a byte past the end counts as 0
      [[1, 2, 3, 4], 2, 'é€', 3509850072],
    ];
    for (const [bytes, len, salt, want] of golden)
      expect(fnv1a(Uint8Array.from(bytes), len, salt), `${bytes.join('.')}/${len} ${salt}`).to.equal(want);
  });

  it('bit-identical to the old copies over many inputs', () => {
    const bytes = new Uint8Array(16);
    const salts = ['', 'eu-west', 'us-east-1', 'ap|south', '\u{1F600}x'];
    for (let n = 0; n < 20_000; n++) {
      // A cheap deterministic walk over byte values and lengths 0..16.
      for (let i = 0; i < bytes.length; i++) bytes[i] = (n * 31 + i * 97 + ((n >> i) & 0xff)) & 0xff;
      const len = n % 17;
      const salt = salts[n % salts.length]!;
      expect(fnv1a(bytes, len, salt)).to.equal(oldFnv1a(bytes, len, salt));
      const text = String.fromCharCode(...bytes.subarray(0, len)) + salt;
      expect(fingerprint(text)).to.equal(oldFingerprint(text));
    }
  });

  it('one core: both shapes are the running hash over their parts', () => {
    const b = Uint8Array.from([203, 0, 113]);
    expect(fnv1a(b, 3, 'dc')).to.equal(fmix32(fnvText(fnvBytes(FNV_OFFSET, b, 3), 'dc')));
    expect(fingerprint('dc')).to.equal((fnvText(FNV_OFFSET, 'dc') >>> 0).toString(16).padStart(8, '0'));
    // Bytes and the same code units as text hash alike before the finish.
    expect(fnvBytes(FNV_OFFSET, b, 3)).to.equal(fnvText(FNV_OFFSET, String.fromCharCode(203, 0, 113)));
  });
});
