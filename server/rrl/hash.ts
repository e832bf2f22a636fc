// The rate limiter's key hash: FNV-1a-style steps over (family and class, prefix words, qtype, the key's
// char codes) from a per-process seed, finished with fmix32, in two lanes with different seeds and
// multipliers run in one pass: one picks the set, the other is the fingerprint stored to tell keys
// apart. Allocation-free and string-building-free: it runs on every response of a limited class.
import { fmix32 } from '../../zones/hash.js';

/** Lane multipliers: FNV's prime, and murmur2's constant (odd, dense bits) for the independent lane. */
const MULT_SET = 0x01000193;
const MULT_FINGERPRINT = 0x5bd1e995;

/** Derives a lane's start state from the settings' seed (lane 1: set, lane 2: fingerprint). */
export function laneSeed(seed: number, lane: number): number {
  return fmix32((seed ^ Math.imul(lane, 0x9e3779b9)) >>> 0);
}

/**
 * Hashes one key into out[0] (the set lane) and out[1] (the fingerprint lane): `tag` (family and
 * class), the masked prefix as four 32-bit words, qtype, and the key's char codes (latin1, one byte
 * each). Each step is bijective in its input and so is fmix32: two keys of the same key length that
 * differ in one input never collide in either lane.
 */
export function hashKey(
  out: Int32Array,
  seedSet: number,
  seedFp: number,
  tag: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  qtype: number,
  key: string,
): void {
  let a = Math.imul(seedSet ^ tag, MULT_SET);
  let b = Math.imul(seedFp ^ tag, MULT_FINGERPRINT);
  a = Math.imul(a ^ w0, MULT_SET);
  b = Math.imul(b ^ w0, MULT_FINGERPRINT);
  a = Math.imul(a ^ w1, MULT_SET);
  b = Math.imul(b ^ w1, MULT_FINGERPRINT);
  a = Math.imul(a ^ w2, MULT_SET);
  b = Math.imul(b ^ w2, MULT_FINGERPRINT);
  a = Math.imul(a ^ w3, MULT_SET);
  b = Math.imul(b ^ w3, MULT_FINGERPRINT);
  a = Math.imul(a ^ qtype, MULT_SET);
  b = Math.imul(b ^ qtype, MULT_FINGERPRINT);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, MULT_SET);
    b = Math.imul(b ^ c, MULT_FINGERPRINT);
  }
  out[0] = fmix32(a);
  out[1] = fmix32(b); // stored as int32: the same 32 bits
}
