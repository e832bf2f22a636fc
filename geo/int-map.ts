// A map from non-negative int32 keys to int32 values, open addressing in Scratch memory: for the
// hundreds of thousands of record offsets a City database has, where a Map costs ~40 bytes an entry
// and a hash lookup through the JS engine each time.
import { Scratch } from './scratch.js';

export class IntMap {
  /** Pairs (key + 1, value); key + 1 = 0 marks an empty slot. */
  private slots: Scratch;
  private count = 0;

  constructor() {
    this.slots = new Scratch(2 * 1024);
  }

  get(key: number): number | undefined {
    const s = this.slots.a;
    const mask = (s.length >> 1) - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const k = s[2 * i]!;
      if (k === 0) return undefined;
      if (k === key + 1) return s[2 * i + 1];
    }
  }

  set(key: number, value: number): void {
    if (key < 0 || key >= 0x7fffffff) throw new RangeError(`IntMap key ${key} is out of range`);
    if (2 * (this.count + 1) > this.slots.a.length >> 1) this.grow();
    if (this.put(this.slots.a, key, value)) this.count++;
  }

  /** Returns the memory to the OS; the map is unusable afterwards. */
  release(): void {
    this.slots.release();
  }

  /** Stores a pair; true if the key was new. */
  private put(s: Int32Array, key: number, value: number): boolean {
    const mask = (s.length >> 1) - 1;
    let i = hash(key) & mask;
    while (s[2 * i] !== 0 && s[2 * i] !== key + 1) i = (i + 1) & mask;
    const fresh = s[2 * i] === 0;
    s[2 * i] = key + 1;
    s[2 * i + 1] = value;
    return fresh;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Scratch(old.a.length * 2);
    const s = old.a;
    for (let i = 0; i < s.length; i += 2) if (s[i] !== 0) this.put(this.slots.a, s[i]! - 1, s[i + 1]!);
    old.release();
  }
}

function hash(key: number): number {
  const h = Math.imul(key, 0x9e3779b1);
  return h ^ (h >>> 16);
}
