// Binary prefix tries over IPv4 and IPv6 with integer leaves, built collapsed: a leaf's depth is the
// widest prefix around an address over which the value is the same (the ECS scope).
import { Scratch } from './scratch.js';

/**
 * Children of node i are kids[2i] (bit 0) and kids[2i+1] (bit 1). A reference r >= 0 is a node;
 * r < 0 is a leaf holding the value -r - 1.
 */
export interface PrefixTrie {
  readonly kids: Int32Array;
  readonly v4Root: number;
  readonly v6Root: number;
  /** Optional jump table: the reference reached after the first 16 bits of an IPv4 address (or the leaf before). */
  readonly v4Jump?: Int32Array;
  /** Depth of each v4Jump entry (16, or less when a leaf came first). */
  readonly v4JumpDepth?: Uint8Array;
}

export const leaf = (value: number): number => -value - 1;
export const leafValue = (ref: number): number => -ref - 1;

/**
 * Where a lookup ended, filled by lookupV4/lookupV6 when given: the leaf's value and its depth (the
 * widest prefix around the address over which the value is the same: the ECS scope). The caller owns
 * it and reuses it, so a lookup allocates nothing.
 */
export class TrieHit {
  value = 0;
  depth = 0;
}

/** Looks up an IPv4 address given as an unsigned 32-bit integer; `hit` (optional) gets value and depth. */
export function lookupV4(t: PrefixTrie, ip: number, hit?: TrieHit): number {
  const kids = t.kids;
  let ref: number;
  let d: number;
  const jump = t.v4Jump;
  if (jump !== undefined) {
    const i = ip >>> 16;
    ref = jump[i]!;
    d = t.v4JumpDepth![i]!;
  } else {
    ref = t.v4Root;
    d = 0;
  }
  while (ref >= 0) {
    ref = kids[2 * ref + ((ip >>> (31 - d)) & 1)]!;
    d++;
  }
  const value = -ref - 1;
  if (hit !== undefined) {
    hit.value = value;
    hit.depth = d;
  }
  return value;
}

/** Looks up an IPv6 address given as 16 bytes (shorter buffers read as zero-padded); `hit` as for lookupV4. */
export function lookupV6(t: PrefixTrie, bytes: Uint8Array, hit?: TrieHit): number {
  const kids = t.kids;
  let ref = t.v6Root;
  let d = 0;
  while (ref >= 0) {
    const byte = bytes[d >> 3] ?? 0;
    ref = kids[2 * ref + ((byte >> (7 - (d & 7))) & 1)]!;
    d++;
  }
  const value = -ref - 1;
  if (hit !== undefined) {
    hit.value = value;
    hit.depth = d;
  }
  return value;
}

/**
 * Builds tries node by node. mk() collapses a node whose two children are the same leaf and
 * hash-conses the rest: equal subtrees are stored once, so a trie is a DAG. Lookups cannot tell,
 * because a subtree's answer and depth count from where it is entered; class tries with a handful of
 * values shrink several fold, since most of the location trie's shape repeats under them.
 */
export class TrieBuilder {
  private readonly kids: Scratch;
  private count = 0;
  /** Open addressing over node index + 1 (0 = empty), keyed by the node's (left, right). */
  private readonly slots: Scratch;

  /** `expected`: nodes likely needed, to skip the first doublings (a guess, never a limit). */
  constructor(expected = 512) {
    const n = Math.max(512, 2 ** Math.ceil(Math.log2(expected)));
    this.kids = new Scratch(2 * n);
    this.slots = new Scratch(2 * n);
  }

  mk(left: number, right: number): number {
    if (left === right && left < 0) return left;
    if (2 * this.count + 2 > this.kids.a.length) this.grow();
    const kids = this.kids.a;
    const slots = this.slots.a;
    const mask = slots.length - 1;
    let s = pairHash(left, right) & mask;
    for (let v = slots[s]!; v !== 0; v = slots[s]!) {
      if (kids[2 * v - 2] === left && kids[2 * v - 1] === right) return v - 1;
      s = (s + 1) & mask;
    }
    const i = this.count++;
    kids[2 * i] = left;
    kids[2 * i + 1] = right;
    slots[s] = i + 1;
    return i;
  }

  /** Doubles the node store and the table together, keeping the table at most half full. */
  private grow(): void {
    this.kids.grow(this.kids.a.length * 2);
    const size = this.slots.a.length * 2;
    this.slots.release();
    this.slots.grow(size);
    const kids = this.kids.a;
    const slots = this.slots.a;
    const mask = size - 1;
    for (let i = 0; i < this.count; i++) {
      let s = pairHash(kids[2 * i]!, kids[2 * i + 1]!) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = i + 1;
    }
  }

  left(ref: number): number {
    return this.kids.a[2 * ref]!;
  }
  right(ref: number): number {
    return this.kids.a[2 * ref + 1]!;
  }

  /** The trie, copied out at its exact size; the builder's tables are released, so it is done. */
  finish(v4Root: number, v6Root: number): PrefixTrie {
    const kids = this.kids.a.slice(0, 2 * this.count);
    this.kids.release();
    this.slots.release();
    return Object.freeze({ kids, v4Root, v6Root });
  }
}

function pairHash(left: number, right: number): number {
  let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right ^ 0x5bd1e995, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
}

/** Reads child `bit` of ref in trie t, treating a leaf as its own child (a leaf covers its whole block). */
function child(kids: Int32Array, ref: number, bit: number): number {
  return ref < 0 ? ref : kids[2 * ref + bit]!;
}

/**
 * Merges tries in priority order: where the first has `missing`, the next one answers ("first hit wins").
 */
export function overlayMissing(tries: readonly PrefixTrie[], missing: number): PrefixTrie {
  if (tries.length === 1) return tries[0]!;
  const b = new TrieBuilder();
  const merge = (refs: number[], owners: PrefixTrie[]): number => {
    // Drop leading tries that are a missing leaf here; the first non-missing decides or recurses.
    let i = 0;
    while (i < refs.length - 1 && refs[i]! < 0 && leafValue(refs[i]!) === missing) i++;
    const r = refs[i]!;
    if (r < 0 && (leafValue(r) !== missing || i === refs.length - 1)) return r;
    if (refs.slice(i).every((x) => x < 0)) return r;
    const rest = refs.slice(i);
    const restOwners = owners.slice(i);
    const l = merge(
      rest.map((x, k) => child(restOwners[k]!.kids, x, 0)),
      restOwners,
    );
    const rr = merge(
      rest.map((x, k) => child(restOwners[k]!.kids, x, 1)),
      restOwners,
    );
    return b.mk(l, rr);
  };
  const all = [...tries];
  const v4 = merge(
    all.map((t) => t.v4Root),
    all,
  );
  const v6 = merge(
    all.map((t) => t.v6Root),
    all,
  );
  return b.finish(v4, v6);
}

/**
 * Lays `top` over `bottom`: where top has the value `missing`, bottom answers; elsewhere top does
 * (ASN classes over location classes). Collapses what becomes equal, so a leaf's depth stays the
 * widest prefix with the same value. Bottom's subtrees under a missing leaf of top are copied once
 * each (memoised per node); only top's own paths are walked, so a small top costs little.
 */
export function overlayTrie(top: PrefixTrie, bottom: PrefixTrie, missing: number): PrefixTrie {
  const b = new TrieBuilder();
  const scratch = new Scratch(bottom.kids.length / 2, 0x7fffffff);
  const memo = scratch.a;
  const copy = (ref: number): number => {
    if (ref < 0) return ref;
    const m = memo[ref]!;
    if (m !== 0x7fffffff) return m;
    const out = b.mk(copy(bottom.kids[2 * ref]!), copy(bottom.kids[2 * ref + 1]!));
    memo[ref] = out;
    return out;
  };
  const walk = (t: number, u: number): number => {
    if (t < 0) return leafValue(t) === missing ? copy(u) : t;
    return b.mk(walk(top.kids[2 * t]!, child(bottom.kids, u, 0)), walk(top.kids[2 * t + 1]!, child(bottom.kids, u, 1)));
  };
  const v4 = walk(top.v4Root, bottom.v4Root);
  const v6 = walk(top.v6Root, bottom.v6Root);
  scratch.release();
  return b.finish(v4, v6);
}

/** A prefix to force to a value (see mapTrie for which wins where they overlap). */
export interface PrefixOverride {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
  readonly value: number;
}

/**
 * Rebuilds a trie with every leaf value mapped through f and the overrides spliced in (the most
 * specific wins; among equal prefixes the later), collapsing what becomes equal, in one pass.
 * Memoised per source node wherever no override reaches, so shared subtrees (the IPv4 aliases in
 * IPv6 trees) are mapped once; only the few paths down to an override are rebuilt per path.
 */
export function mapTrie(
  src: PrefixTrie,
  f: (value: number) => number,
  overrides: readonly PrefixOverride[] = [],
): PrefixTrie {
  const b = new TrieBuilder();
  const scratch = new Scratch(src.kids.length / 2, 0x7fffffff);
  const memo = scratch.a;
  const plain = (ref: number): number => {
    if (ref < 0) return leaf(f(leafValue(ref)));
    const m = memo[ref]!;
    if (m !== 0x7fffffff) return m;
    const out = b.mk(plain(src.kids[2 * ref]!), plain(src.kids[2 * ref + 1]!));
    memo[ref] = out;
    return out;
  };
  // `live`: overrides inside this block and longer than d; `forced`: the leaf of the one covering it.
  const walk = (ref: number, d: number, live: readonly PrefixOverride[], forced: number | null): number => {
    const here = live.filter((o) => o.prefix === d);
    if (here.length > 0) forced = leaf(here[here.length - 1]!.value);
    const deeper = here.length > 0 ? live.filter((o) => o.prefix > d) : live;
    if (deeper.length === 0) return forced ?? plain(ref);
    const side = (bit: number) =>
      walk(
        child(src.kids, ref, bit),
        d + 1,
        deeper.filter((o) => bitAt(o.bytes, d) === bit),
        forced,
      );
    return b.mk(side(0), side(1));
  };
  const v4 = walk(
    src.v4Root,
    0,
    overrides.filter((o) => o.family === 4),
    null,
  );
  const v6 = walk(
    src.v6Root,
    0,
    overrides.filter((o) => o.family === 6),
    null,
  );
  scratch.release();
  return b.finish(v4, v6);
}

const bitAt = (bytes: Uint8Array, d: number): number => ((bytes[d >> 3] ?? 0) >> (7 - (d & 7))) & 1;

/** Adds the 16-bit IPv4 jump table (256 KiB + 64 KiB): lookups then walk at most 16 more steps. */
export function withV4Jump(t: PrefixTrie): PrefixTrie {
  const jump = new Int32Array(65536);
  const depth = new Uint8Array(65536);
  const fill = (ref: number, d: number, prefix: number): void => {
    if (ref < 0 || d === 16) {
      const span = 1 << (16 - d);
      const start = prefix << (16 - d);
      jump.fill(ref, start, start + span);
      depth.fill(d, start, start + span);
      return;
    }
    fill(t.kids[2 * ref]!, d + 1, prefix * 2);
    fill(t.kids[2 * ref + 1]!, d + 1, prefix * 2 + 1);
  };
  fill(t.v4Root, 0, 0);
  return Object.freeze({ ...t, v4Jump: jump, v4JumpDepth: depth });
}
