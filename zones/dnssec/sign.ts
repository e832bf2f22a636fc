// One RRSIG (RFC 4034 section 3): its RDATA fields, the data it signs and the signature itself with
// ECDSA P-256/SHA-256 (RFC 6605: r||s, 64 octets) or Ed25519 (RFC 8080).
import { sign as cryptoSign } from 'node:crypto';
import { CLASS } from '../dns.js';
import { ALGORITHM, type ZoneKey } from './types.js';
import { canonicalRRset } from './canonical.js';
import { keepBytes } from '../kept-bytes.js';

/** The 32-bit serial-number time of RRSIG's expiration and inception fields (RFC 4034 3.1.5). */
export function serialTime(ms: number): number {
  return Math.floor(ms / 1000) >>> 0;
}

/** RRSIG's Labels field: the owner's labels, not counting the root nor a leading "*" (RFC 4034 3.1.3). */
export function rrsigLabels(ownerWire: Uint8Array): number {
  let n = 0;
  let i = 0;
  while (i < ownerWire.length && ownerWire[i] !== 0) {
    n++;
    i += ownerWire[i]! + 1;
  }
  const wildcard = ownerWire[0] === 1 && ownerWire[1] === 0x2a;
  return wildcard ? n - 1 : n;
}

export interface RrsigFields {
  readonly typeCovered: number;
  readonly originalTtl: number;
  /** Seconds since the epoch. */
  readonly inception: number;
  readonly expiration: number;
  /** The zone apex, lowercased wire form. */
  readonly signerWire: Buffer;
}

/**
 * The RRSIG RDATA of one key over one RRset: `ownerWire` is the lowercased owner the signature
 * covers (the wildcard's own name for a synthesized answer), `rdatas` the RRset's canonical RDATAs in
 * canonical order (canonicalRdatas).
 */
export function makeRrsig(key: ZoneKey, f: RrsigFields, ownerWire: Buffer, rdatas: readonly Buffer[]): Buffer {
  const head = Buffer.allocUnsafe(18 + f.signerWire.length);
  head.writeUInt16BE(f.typeCovered, 0);
  head[2] = key.algorithm;
  head[3] = rrsigLabels(ownerWire);
  head.writeUInt32BE(f.originalTtl >>> 0, 4);
  head.writeUInt32BE(f.expiration >>> 0, 8);
  head.writeUInt32BE(f.inception >>> 0, 12);
  head.writeUInt16BE(key.tag, 16);
  f.signerWire.copy(head, 18);
  const data = Buffer.concat([head, canonicalRRset(ownerWire, f.typeCovered, CLASS.IN, f.originalTtl, rdatas)]);
  const signature =
    key.algorithm === ALGORITHM.ED25519
      ? cryptoSign(null, data, key.privateKey)
      : cryptoSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  // Kept in the signer's cache for days: out of Node's shared pool (zones/kept-bytes.ts).
  return keepBytes(Buffer.concat([head, signature]));
}
