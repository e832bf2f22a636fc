// The one hash: 32-bit FNV-1a, in the two shapes the server uses.
// - fingerprint(text): the plain hash of a string as 8 hex digits, a short version stamp (probe
//   target keys, the probe plan's version, the served configuration's version). It is stored in
//   Redis keys and shown by the admin API, so its output must never change.
// - fnv1a(bytes, len, salt): the hash of a client subnet's bytes then a datacenter key, finished with
//   murmur3's fmix32 so nearby subnets do not score alike: the rendezvous score of `hashed` names.
//   Changing it would move clients between datacenters.
// Both run over one core (fnvBytes/fnvText continue a running hash); test/hash.test.ts pins outputs.
// Lives in zones/ (imports nothing) so health/ and server/ can both use it. Allocation-free: the
// rendezvous score runs per query.

/** FNV-1a's 32-bit offset basis: the hash of nothing. */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Continues hash `h` over the first `len` bytes (a byte past the end counts as 0). */
export function fnvBytes(h: number, bytes: Uint8Array, len: number): number {
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (bytes[i] ?? 0), FNV_PRIME);
  return h;
}

/** Continues hash `h` over a string's UTF-16 code units. */
export function fnvText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** murmur3's 32-bit finaliser: every input bit moves about half the output bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a over bytes then a string, finished with fmix32: stable, cheap, well spread for rendezvous scores. */
export function fnv1a(bytes: Uint8Array, len: number, salt: string): number {
  return fmix32(fnvText(fnvBytes(FNV_OFFSET, bytes, len), salt));
}

/** 32-bit FNV-1a of a string, 8 hex digits: a short fingerprint (target keys, plan and config versions). */
export function fingerprint(text: string): string {
  return (fnvText(FNV_OFFSET, text) >>> 0).toString(16).padStart(8, '0');
}
