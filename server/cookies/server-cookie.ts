// RFC 9018 server cookies (version 1, SipHash-2-4), the format BIND, Knot and Unbound share, so
// servers of any of them behind one address accept each other's cookies when they share a secret:
//   Version (1, =1) | Reserved (3) | Timestamp (4, seconds, big-endian) | Hash (8)
//   Hash = SipHash-2-4(secret, Client Cookie | Version | Reserved | Timestamp | Client-IP)
import { SipHashKey, siphash24 } from './siphash.js';

export const CLIENT_COOKIE_LENGTH = 8;
export const SERVER_COOKIE_LENGTH = 16;

const VERSION = 1;
/** RFC 9018 section 4.3: older than an hour or more than five minutes ahead is not accepted... */
const MAX_AGE = 3600;
const MAX_AHEAD = 300;
/** ...and one over half an hour old is replaced by a fresh one. */
const REFRESH_AGE = 1800;

/**
 * 'valid': ours, echo it as is; 'stale': ours but over half an hour old, or made with a secret other
 * than the first: send a new one; 'invalid': not ours (wrong length or version, bad hash under every
 * secret, older than one hour, or more than 5 minutes in the future).
 */
export type CookieCheck = 'valid' | 'stale' | 'invalid';

export class ServerCookies {
  private readonly keys: readonly SipHashKey[];
  /** The hash input: client cookie (8), version to timestamp (8), client address (4 or 16). */
  private readonly input = new Uint8Array(CLIENT_COOKIE_LENGTH + 8 + 16);
  private readonly hash = new Uint8Array(8);

  /** secrets: 16 bytes each, at least one (throw otherwise); the first makes cookies, all are accepted. */
  constructor(secrets: readonly Uint8Array[]) {
    if (secrets.length === 0) throw new Error('server cookies need at least one secret');
    this.keys = secrets.map((s, i) => {
      if (s.length !== 16) throw new Error(`cookie secret ${i + 1} is ${s.length} bytes, expected 16`);
      return new SipHashKey(s);
    });
  }

  /**
   * Writes the 16-byte server cookie for the client cookie msg[ccAt, ccAt+8), the client address (4
   * or 16 bytes) and nowSec into out[at, at+16).
   */
  make(msg: Uint8Array, ccAt: number, clientIp: Uint8Array, nowSec: number, out: Uint8Array, at: number): void {
    const ts = nowSec >>> 0;
    out[at] = VERSION;
    out[at + 1] = 0;
    out[at + 2] = 0;
    out[at + 3] = 0;
    out[at + 4] = ts >>> 24;
    out[at + 5] = ts >>> 16;
    out[at + 6] = ts >>> 8;
    out[at + 7] = ts;
    const n = this.fill(msg, ccAt, out, at, clientIp);
    siphash24(this.keys[0]!, this.input, 0, n, out, at + 8);
  }

  /** Judges the server cookie msg[scAt, scAt+scLength) sent with the client cookie msg[ccAt, ccAt+8). */
  check(
    msg: Uint8Array,
    ccAt: number,
    scAt: number,
    scLength: number,
    clientIp: Uint8Array,
    nowSec: number,
  ): CookieCheck {
    if (scLength !== SERVER_COOKIE_LENGTH || msg[scAt] !== VERSION) return 'invalid';
    const ts = ((msg[scAt + 4]! << 24) | (msg[scAt + 5]! << 16) | (msg[scAt + 6]! << 8) | msg[scAt + 7]!) >>> 0;
    // Serial-number arithmetic (RFC 1982, as RFC 9018 section 4.3 asks): the signed 32-bit distance,
    // so a timestamp just before the counter wraps is a few seconds older than one just after.
    const age = ((nowSec >>> 0) - ts) | 0;
    if (age > MAX_AGE || age < -MAX_AHEAD) return 'invalid';
    // The reserved bytes are hashed as sent, never required to be zero (RFC 9018 appendix A.3).
    const n = this.fill(msg, ccAt, msg, scAt, clientIp);
    for (let k = 0; k < this.keys.length; k++) {
      siphash24(this.keys[k]!, this.input, 0, n, this.hash, 0);
      if (this.sameHash(msg, scAt + 8)) return k === 0 && age <= REFRESH_AGE ? 'valid' : 'stale';
    }
    return 'invalid';
  }

  /** Lays out the hash input; returns its length. */
  private fill(msg: Uint8Array, ccAt: number, head: Uint8Array, headAt: number, clientIp: Uint8Array): number {
    const ipLength = clientIp.length;
    if (ipLength !== 4 && ipLength !== 16) throw new Error(`a client address is 4 or 16 bytes, got ${ipLength}`);
    const input = this.input;
    for (let i = 0; i < CLIENT_COOKIE_LENGTH; i++) input[i] = msg[ccAt + i]!;
    for (let i = 0; i < 8; i++) input[CLIENT_COOKIE_LENGTH + i] = head[headAt + i]!;
    for (let i = 0; i < ipLength; i++) input[16 + i] = clientIp[i]!;
    return 16 + ipLength;
  }

  /** Compares every byte whatever the first difference (no early exit to time). */
  private sameHash(msg: Uint8Array, at: number): boolean {
    let diff = 0;
    for (let i = 0; i < 8; i++) diff |= this.hash[i]! ^ msg[at + i]!;
    return diff === 0;
  }
}

/** Parses --cookie-secret text: exactly 32 hex digits -> 16 bytes; throws Error with a clear message otherwise. */
export function parseCookieSecret(text: string): Buffer {
  // The message never repeats the text: it is a secret.
  if (!/^[0-9a-fA-F]*$/.test(text))
    throw new Error('a cookie secret is 32 hex digits (0-9, a-f): found another character');
  if (text.length !== 32) throw new Error(`a cookie secret is 32 hex digits (16 bytes), got ${text.length}`);
  return Buffer.from(text, 'hex');
}
