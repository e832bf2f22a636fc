// Int32 scratch memory for trie builds, held in a resizable ArrayBuffer: growing commits pages in
// place (no copy), and release() gives them back to the OS at once. Plain typed arrays would leave
// each compile's tables (tens of MB) to the next full GC, which under steady query load can be
// minutes away; the server's resident memory sat that much higher until then.

/** Virtual address space reserved per scratch (only what is used is committed): 256M entries. */
const MAX_BYTES = 1 << 30;

export class Scratch {
  private readonly buf: ArrayBuffer;
  /** The contents: a fixed-length view (V8 optimises those; length-tracking ones run slower), renewed by grow(). */
  a: Int32Array;

  constructor(length: number, fill = 0) {
    this.buf = new ArrayBuffer(length * 4, { maxByteLength: MAX_BYTES });
    this.a = new Int32Array(this.buf, 0, length);
    if (fill !== 0) this.a.fill(fill);
  }

  /** Grows to `length` entries; the new ones are zero. */
  grow(length: number): void {
    if (length * 4 > MAX_BYTES) throw new RangeError(`scratch table of ${length} entries is over ${MAX_BYTES} bytes`);
    this.buf.resize(length * 4);
    this.a = new Int32Array(this.buf, 0, length);
  }

  /** Returns the memory to the OS; the scratch is empty afterwards. */
  release(): void {
    this.buf.resize(0);
    this.a = new Int32Array(0);
  }
}
