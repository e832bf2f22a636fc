// The one seeded PRNG: mulberry32 (32-bit state, full period 2^32, good enough to spread test
// samples and fuzz cases; not for anything secret). Tests pass it as the `rng` the pure cores take,
// so a weighted draw is the same on every run; scripts use it so one seed repeats a fuzz run or a
// benchmark's query file.
// It lives in zones/ (imports nothing) rather than test/helpers/ because scripts/ use it and are
// shipped in the package (package.json "files" keeps dist/scripts but not dist/test), and because
// it is the reference implementation of the `() => number` rng the pure cores (zones/, server/gslb/)
// take: the server itself passes Math.random.

/** A source of numbers in [0, 1), as Math.random. */
export type Rng = () => number;

/** mulberry32 seeded with `seed` (taken as an unsigned 32-bit integer): the same seed, the same sequence. */
export function seeded(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
