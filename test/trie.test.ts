// Prefix tries: equal subtrees stored once, mapTrie's overrides (most specific wins, a v4 override
// leaves the IPv4 aliases inside the IPv6 tree alone), and overlayTrie (a top trie over a bottom one
// where the top has no value), checked as (address -> value, depth).
import { expect } from 'chai';
import { TrieBuilder, TrieHit, leaf, lookupV4, lookupV6, mapTrie, overlayTrie, type PrefixTrie } from '../geo/trie.js';

const v4 = (s: string) => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
const v6 = (s: string) => {
  const [head = '', tail = ''] = s.split('::');
  const words = (t: string) => (t ? t.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return Uint8Array.from(all.flatMap((w) => [w >> 8, w & 255]));
};

/** 0.0.0.0/1 -> 1 and 128.0.0.0/1 -> 2, except 10.0.0.0/8 -> 3; the v6 root enters the same v4 tree at ::/96. */
function sample(): PrefixTrie {
  const b = new TrieBuilder();
  let ten = leaf(3);
  for (let d = 7; d >= 1; d--) {
    const bit = (10 >> (7 - d)) & 1;
    ten = bit === 0 ? b.mk(ten, leaf(1)) : b.mk(leaf(1), ten);
  }
  const root4 = b.mk(ten, leaf(2));
  let root6 = root4;
  for (let d = 0; d < 96; d++) root6 = b.mk(root6, leaf(0));
  return b.finish(root4, root6);
}

describe('geo/trie', () => {
  it('stores equal subtrees once and collapses a node over two equal leaves', () => {
    const b = new TrieBuilder();
    const x = b.mk(leaf(1), leaf(2));
    expect(b.mk(leaf(1), leaf(2))).to.equal(x);
    expect(b.mk(leaf(5), leaf(5))).to.equal(leaf(5));
    expect(b.finish(b.mk(x, b.mk(leaf(1), leaf(2))), leaf(0)).kids.length / 2).to.equal(2);
    // The IPv4 tree under ::/96 is the one at the IPv4 root, mapped once.
    expect(mapTrie(sample(), (v) => v).kids.length / 2).to.equal(8 + 96);
  });

  // [address, value, depth]
  const plain: Array<[string, number, number]> = [
    ['10.1.2.3', 3, 8],
    ['11.0.0.1', 1, 8],
    ['0.0.0.1', 1, 5],
    ['200.0.0.1', 2, 1],
  ];
  for (const [a, value, depth] of plain)
    it(`looks up ${a} -> ${value} at /${depth}, the same via ::${a} at /${96 + depth}`, () => {
      const t = sample();
      const hit = new TrieHit();
      expect([lookupV4(t, v4(a), hit), hit.value, hit.depth]).to.deep.equal([value, value, depth]);
      const mapped = v6('::');
      mapped.set(a.split('.').map(Number), 12);
      expect([lookupV6(t, mapped, hit), hit.value, hit.depth]).to.deep.equal([value, value, 96 + depth]);
      // Without a hit object the value alone.
      expect(lookupV4(t, v4(a))).to.equal(value);
    });

  const bytes4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
  const mapped = mapTrie(sample(), (v) => v * 10, [
    { family: 4, bytes: bytes4('10.0.0.0'), prefix: 8, value: 7 },
    { family: 4, bytes: bytes4('10.64.0.0'), prefix: 10, value: 8 },
    { family: 4, bytes: bytes4('192.168.0.0'), prefix: 16, value: 5 },
    { family: 4, bytes: bytes4('192.168.0.0'), prefix: 16, value: 6 },
    { family: 6, bytes: v6('fd00::'), prefix: 8, value: 9 },
  ]);
  // [family, address, value, depth, why]
  const cases: Array<[4 | 6, string, number, number, string]> = [
    [4, '10.1.2.3', 7, 10, 'the /8 override, beside the /10 inside it'],
    [4, '10.64.0.1', 8, 10, 'the more specific /10 wins'],
    [4, '192.168.1.1', 6, 16, 'equal prefixes: the later wins'],
    [4, '192.169.1.1', 20, 16, 'mapped value, cut at the override next to it'],
    [4, '11.0.0.1', 10, 8, 'mapped value'],
    [6, '::a01:203', 30, 104, '::/96 (10.1.2.3) keeps the mapped database value: v4 overrides are IPv4 only'],
    [6, 'fd12::1', 9, 8, 'IPv6 override'],
    [6, '2001:db8::1', 0, 3, 'unknown stays unknown (0 * 10)'],
  ];
  for (const [family, a, value, depth, why] of cases)
    it(`mapTrie: ${a} -> ${value} at /${depth} (${why})`, () => {
      const hit = new TrieHit();
      const got = family === 4 ? lookupV4(mapped, v4(a), hit) : lookupV6(mapped, v6(a), hit);
      expect([got, hit.depth]).to.deep.equal([value, depth]);
    });

  // Top: 10.0.0.0/9 -> 4 and 10.128.0.0/9 -> 1 (the bottom's value there), 128.0.0.0/1 -> 5, the rest missing (99).
  const top = (() => {
    const b = new TrieBuilder();
    let ten = b.mk(leaf(4), leaf(1));
    for (let d = 7; d >= 1; d--) ten = ((10 >> (7 - d)) & 1) === 0 ? b.mk(ten, leaf(99)) : b.mk(leaf(99), ten);
    return b.finish(b.mk(ten, leaf(5)), leaf(99));
  })();
  const laid = overlayTrie(top, sample(), 99);
  // [address, value, depth, why]
  const overlaid: Array<[string, number, number, string]> = [
    ['10.1.2.3', 4, 9, "the top's value, cut at its own /9"],
    ['10.200.0.1', 1, 9, "the top's 1 covers the bottom's 3 and is one block with the 1 around it"],
    ['11.0.0.1', 1, 8, "missing in the top: the bottom's 1, cut only by the top's 4 in 10.0.0.0/9"],
    ['0.0.0.1', 1, 5, 'missing in the top: the bottom answers, at its own depth'],
    ['200.0.0.1', 5, 1, 'the top over the bottom'],
  ];
  for (const [a, value, depth, why] of overlaid)
    it(`overlayTrie: ${a} -> ${value} at /${depth} (${why})`, () => {
      const hit = new TrieHit();
      expect([lookupV4(laid, v4(a), hit), hit.depth]).to.deep.equal([value, depth]);
    });

  it('overlayTrie: where the top is missing everywhere, the bottom comes back node for node', () => {
    const t = overlayTrie(
      mapTrie(sample(), () => 99),
      sample(),
      99,
    );
    const s0 = sample();
    expect(t.kids.length).to.equal(s0.kids.length);
    const hit = new TrieHit();
    const mapped = v6('::');
    mapped.set([10, 1, 2, 3], 12);
    expect([lookupV6(t, mapped, hit), hit.depth]).to.deep.equal([3, 104]);
  });
});
