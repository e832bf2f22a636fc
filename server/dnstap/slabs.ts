// The dnstap writer's output memory: a fixed number of fixed-size slabs. Frames are written straight
// into the current slab (no buffer per frame, no joining copy); a full slab is sealed and waits to be
// written to the socket as one chunk, and comes back to the pool once the socket is done with it.
// When every slab is full or in the socket, there is no room: the caller drops the frame.

/** A sealed slab: the bytes to write (a view of the slab) and how many frames they hold. */
export interface Chunk {
  readonly slab: Buffer;
  readonly bytes: Buffer;
  readonly frames: number;
}

export class SlabPool {
  private readonly free: Buffer[] = [];
  /** Sealed, not yet handed to the socket (oldest first). */
  private readonly ready: Chunk[] = [];
  /** The slab frames are written into, or null when none was free. */
  private current: Buffer | null = null;
  private used = 0;
  private frames = 0;

  constructor(
    readonly slabBytes: number,
    slabs: number,
  ) {
    // Allocated on first use: a server whose collector never comes holds none.
    for (let i = 0; i < slabs; i++) this.free.push(EMPTY);
  }

  /**
   * Where a frame of n bytes goes: the slab to write into (at `offset`), or null when there is no room
   * (every slab full or in the socket, or n larger than a slab). Call commit() after writing.
   */
  reserve(n: number): Buffer | null {
    if (this.current !== null && this.used + n <= this.current.length) return this.current;
    if (n > this.slabBytes) return null;
    if (this.current !== null) this.seal();
    const next = this.free.pop();
    if (next === undefined) return null;
    this.current = next.length === 0 ? Buffer.allocUnsafe(this.slabBytes) : next;
    return this.current;
  }

  /** Where reserve()'s frame starts in its slab. */
  get offset(): number {
    return this.used;
  }

  /** The reserved frame was written: n bytes. */
  commit(n: number): void {
    this.used += n;
    this.frames++;
  }

  /** Moves the current slab's frames (if any) to the ready chunks, e.g. before a flush. */
  seal(): void {
    if (this.current === null || this.frames === 0) return;
    this.ready.push({ slab: this.current, bytes: this.current.subarray(0, this.used), frames: this.frames });
    this.current = null;
    this.used = 0;
    this.frames = 0;
  }

  /** Some sealed chunk waits to be taken. */
  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** The oldest sealed chunk, handed over to be written (give its slab back with release()). */
  take(): Chunk | undefined {
    return this.ready.shift();
  }

  /** Frames waiting: in the current slab, and in sealed chunks not yet taken. */
  get pending(): number {
    let n = this.frames;
    for (const c of this.ready) n += c.frames;
    return n;
  }

  /** Forgets the frames not yet taken (their slabs go back to the pool); returns how many. */
  discard(): number {
    const n = this.pending;
    if (this.current !== null) this.free.push(this.current);
    this.current = null;
    this.used = 0;
    this.frames = 0;
    for (let c = this.ready.shift(); c !== undefined; c = this.ready.shift()) this.free.push(c.slab);
    return n;
  }

  /** A taken chunk's slab is free again (its bytes were written, or the socket gave up on them). */
  release(slab: Buffer): void {
    this.free.push(slab);
  }
}

const EMPTY = Buffer.alloc(0);
