// Bytes that are kept for long (cached replies, signatures, NSEC records made on first use), copied
// into slabs of their own. Node hands out small buffers as slices of a shared 8 KB pool, and a slice
// keeps its whole slab alive: a signature cached between two queries' reply buffers would pin 8 KB
// of their garbage (seen: 68,000 cached signatures held ~550 MB). Here long-lived bytes share slabs
// only with each other.

const SLAB_BYTES = 64 * 1024;
/** Larger buffers get a store of their own (a slab would mostly hold them anyway). */
const OWN_STORE_BYTES = 4 * 1024;

let slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
let used = 0;

/** A copy of `src` in a kept slab. */
export function keepBytes(src: Uint8Array): Buffer {
  const n = src.length;
  if (n >= OWN_STORE_BYTES) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(src);
    return own;
  }
  if (used + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  out.set(src);
  used = (used + n + 7) & ~7; // 8-byte aligned, as Node's pool
  return out;
}
