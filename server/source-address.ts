// The query's source address as bytes, for what keys on the sender rather than on the client's
// location: response rate limiting (its prefix) and DNS cookies (the hash input). ECS never counts
// here: a spoofer can write any ECS, but only the source address receives the reply.
import { readIPv4 } from '../zones/rdata.js';
import { readIPv6 } from './cidr-set.js';
import type { Peer } from './transport-types.js';

/** One per pipeline, refilled per query; parses only when the text differs from the last query's. */
export class SourceAddress {
  /** 4 or 6 (an IPv4-mapped IPv6 source counts as its IPv4). */
  family: 4 | 6 = 4;
  /** The IPv4 address as an unsigned 32-bit integer (family 4). */
  v4 = 0;
  /** The address bytes: 4 for IPv4, 16 for IPv6 (a view kept by this object: copy what you keep). */
  bytes: Buffer = Buffer.alloc(4);
  private readonly four = Buffer.alloc(4);
  private readonly sixteen = Buffer.alloc(16);
  /** The text parsed last; NUL (never an address) when nothing is cached. */
  private lastText = '\0';

  /** Fills this object for the peer; false when its address is not an IP literal (nothing to key on). */
  update(peer: Peer): boolean {
    const text = peer.address;
    if (text === this.lastText) return true;
    let at = -1;
    if (peer.family === 4) at = 0;
    else if (text.startsWith('::ffff:') && text.indexOf('.') > 0) at = 7;
    if (at >= 0) {
      if (!readIPv4(text, this.four, at)) return this.fail();
      const b = this.four;
      this.family = 4;
      this.v4 = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      this.bytes = b;
    } else {
      // Without allocating (a zone id, '%eth0', is ignored).
      if (!readIPv6(text, this.sixteen, this.four)) return this.fail();
      this.family = 6;
      this.bytes = this.sixteen;
    }
    this.lastText = text;
    return true;
  }

  /** Not an address: nothing cached (the failed parse may have overwritten the buffers). */
  private fail(): false {
    this.lastText = '\0';
    return false;
  }
}
