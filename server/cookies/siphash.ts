// SipHash-2-4 (Aumasson and Bernstein), the pseudorandom function RFC 9018 server cookies are made
// with. Hand-written for the query path: each 64-bit word is kept as two unsigned 32-bit halves
// (no BigInt, which allocates), and a call allocates nothing.

/** A 16-byte SipHash key, read once into the four words the hash starts from. */
export class SipHashKey {
  /** v0..v3 at initialisation, each as (high, low) 32-bit halves: 8 numbers. */
  readonly init: Uint32Array;

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new Error(`a SipHash key is 16 bytes, got ${key.length}`);
    const k0l = le32(key, 0);
    const k0h = le32(key, 4);
    const k1l = le32(key, 8);
    const k1h = le32(key, 12);
    // The constants spell "somepseudorandomlygeneratedbytes".
    this.init = Uint32Array.of(
      (k0h ^ 0x736f6d65) >>> 0,
      (k0l ^ 0x70736575) >>> 0,
      (k1h ^ 0x646f7261) >>> 0,
      (k1l ^ 0x6e646f6d) >>> 0,
      (k0h ^ 0x6c796765) >>> 0,
      (k0l ^ 0x6e657261) >>> 0,
      (k1h ^ 0x74656462) >>> 0,
      (k1l ^ 0x79746573) >>> 0,
    );
  }
}

function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * SipHash-2-4 of data[start, end) under key; writes the 8-byte result in the reference byte order (as
 * the paper's test vectors print it) into out[outAt..outAt+8). One function with the state in locals
 * (a cookie is hashed per query): each message word is absorbed with two SipRounds, then four finish.
 */
export function siphash24(
  key: SipHashKey,
  data: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outAt: number,
): void {
  const k = key.init;
  let v0h = k[0]!,
    v0l = k[1]!,
    v1h = k[2]!,
    v1l = k[3]!,
    v2h = k[4]!,
    v2l = k[5]!,
    v3h = k[6]!,
    v3l = k[7]!;
  let h: number, l: number;
  const length = end - start;
  const whole = length >>> 3;
  // Steps: each whole word, the last (partial) word with the length's low byte on top, the finish.
  const steps = whole + 2;
  let i = start;
  for (let step = 0; step < steps; step++) {
    let mh = 0;
    let ml = 0;
    let rounds = 2;
    if (step < whole) {
      ml = le32(data, i);
      mh = le32(data, i + 4);
      i += 8;
    } else if (step === whole) {
      mh = (length & 0xff) << 24;
      for (let j = 0; i + j < end; j++) {
        const b = data[i + j]!;
        if (j < 4) ml |= b << (8 * j);
        else mh |= b << (8 * (j - 4));
      }
      mh >>>= 0;
      ml >>>= 0;
    } else {
      v2l = (v2l ^ 0xff) >>> 0;
      rounds = 4;
    }
    v3h = (v3h ^ mh) >>> 0;
    v3l = (v3l ^ ml) >>> 0;
    for (let r = 0; r < rounds; r++) {
      // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
      l = v0l + v1l;
      v0h = (v0h + v1h + (l > 0xffffffff ? 1 : 0)) >>> 0;
      v0l = l >>> 0;
      h = (v1h << 13) | (v1l >>> 19);
      l = (v1l << 13) | (v1h >>> 19);
      v1h = (h ^ v0h) >>> 0;
      v1l = (l ^ v0l) >>> 0;
      h = v0h;
      v0h = v0l;
      v0l = h;
      // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
      l = v2l + v3l;
      v2h = (v2h + v3h + (l > 0xffffffff ? 1 : 0)) >>> 0;
      v2l = l >>> 0;
      h = (v3h << 16) | (v3l >>> 16);
      l = (v3l << 16) | (v3h >>> 16);
      v3h = (h ^ v2h) >>> 0;
      v3l = (l ^ v2l) >>> 0;
      // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
      l = v0l + v3l;
      v0h = (v0h + v3h + (l > 0xffffffff ? 1 : 0)) >>> 0;
      v0l = l >>> 0;
      h = (v3h << 21) | (v3l >>> 11);
      l = (v3l << 21) | (v3h >>> 11);
      v3h = (h ^ v0h) >>> 0;
      v3l = (l ^ v0l) >>> 0;
      // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
      l = v2l + v1l;
      v2h = (v2h + v1h + (l > 0xffffffff ? 1 : 0)) >>> 0;
      v2l = l >>> 0;
      h = (v1h << 17) | (v1l >>> 15);
      l = (v1l << 17) | (v1h >>> 15);
      v1h = (h ^ v2h) >>> 0;
      v1l = (l ^ v2l) >>> 0;
      h = v2h;
      v2h = v2l;
      v2l = h;
    }
    v0h = (v0h ^ mh) >>> 0;
    v0l = (v0l ^ ml) >>> 0;
  }
  const rl = v0l ^ v1l ^ v2l ^ v3l;
  const rh = v0h ^ v1h ^ v2h ^ v3h;
  out[outAt] = rl;
  out[outAt + 1] = rl >>> 8;
  out[outAt + 2] = rl >>> 16;
  out[outAt + 3] = rl >>> 24;
  out[outAt + 4] = rh;
  out[outAt + 5] = rh >>> 8;
  out[outAt + 6] = rh >>> 16;
  out[outAt + 7] = rh >>> 24;
}
