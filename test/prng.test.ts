// The one seeded PRNG (zones/prng.ts): the sequence is pinned (tests' weighted draws, the fuzz corpus
// and the benchmark's query file depend on it), in [0, 1), and spread evenly enough to sample with.
import { expect } from 'chai';
import { seeded } from '../zones/prng.js';

const u32 = (x: number) => Math.round(x * 4294967296);

describe('seeded PRNG (zones/prng.ts)', () => {
  it('mulberry32: the same sequence as the copies it replaced', () => {
    const first3 = (seed: number) => {
      const r = seeded(seed);
      return [r(), r(), r()].map(u32);
    };
    expect(first3(0)).to.deep.equal([1144304738, 1416247, 958946056]);
    expect(first3(1)).to.deep.equal([2693262067, 11749833, 2265367787]);
    expect(first3(42)).to.deep.equal([2581720956, 1925393290, 3661312704]);
    // The seed is taken as an unsigned 32-bit integer.
    expect(first3(2 ** 32 + 42)).to.deep.equal(first3(42));
    expect(first3(-1)).to.deep.equal(first3(0xffffffff));
  });

  it('two generators with one seed are independent and equal', () => {
    const a = seeded(7);
    const b = seeded(7);
    a();
    expect(b()).to.not.equal(a());
    const c = seeded(7);
    const d = seeded(7);
    for (let i = 0; i < 100; i++) expect(c()).to.equal(d());
  });

  it('values in [0, 1), spread evenly over ten buckets', () => {
    const r = seeded(2026);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r();
      expect(x >= 0 && x < 1).to.equal(true);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) expect(b).to.be.within(n / 10 - 600, n / 10 + 600); // about 6 sigma
  });
});
