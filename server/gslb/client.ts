// Who the client is, read without allocation: the ECS address when its source prefix is > 0, else
// the resolver's source address; IPv4-mapped IPv6 counts as IPv4.
import { SourceAddress } from '../source-address.js';
import type { ParsedQuery } from '../query.js';
import type { Peer } from '../transport-types.js';

export interface ClientAddress {
  family: 4 | 6;
  /** IPv4 as an unsigned 32-bit integer (family 4). */
  v4: number;
  /** Address bytes: 4 for IPv4, 16 for IPv6 (zero-padded beyond an ECS prefix). */
  bytes: Uint8Array;
  fromEcs: boolean;
  /** Added to a scope computed on the IPv4 trie when the ECS address was IPv4-mapped IPv6. */
  scopeOffset: number;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Resolves the client of each query into one reused ClientAddress: one per pipeline. */
export class ClientResolver {
  private readonly v4bytes = new Uint8Array(4);
  private readonly v6bytes = new Uint8Array(16);
  /** The client of the last query (refilled by resolve: copy what you keep). */
  readonly client: ClientAddress = { family: 4, v4: 0, bytes: this.v4bytes, fromEcs: false, scopeOffset: 0 };
  /**
   * The query's source address, parsed once per distinct text: the client when there is no ECS, and
   * what rate limiting and cookies key on whatever the ECS (the pipeline reads it from here).
   */
  readonly source = new SourceAddress();

  private setV4(n: number): void {
    const client = this.client;
    const b = this.v4bytes;
    client.family = 4;
    client.v4 = n >>> 0;
    b[0] = n >>> 24;
    b[1] = (n >>> 16) & 0xff;
    b[2] = (n >>> 8) & 0xff;
    b[3] = n & 0xff;
    client.bytes = b;
  }

  /** Fills `client` for this query. */
  resolve(q: ParsedQuery, peer: Peer): ClientAddress {
    const client = this.client;
    const v6bytes = this.v6bytes;
    client.scopeOffset = 0;
    const ecs = q.ecs;
    if (ecs !== null && ecs.sourcePrefix > 0) {
      client.fromEcs = true;
      if (ecs.family === 1) {
        this.setV4(((ecs.byte(0) << 24) | (ecs.byte(1) << 16) | (ecs.byte(2) << 8) | ecs.byte(3)) >>> 0);
        return client;
      }
      v6bytes.fill(0);
      ecs.msg.copy(v6bytes, 0, ecs.start, ecs.start + Math.min(16, ecs.length));
      if (ecs.sourcePrefix >= 96 && isMapped(v6bytes)) {
        this.setV4(((v6bytes[12]! << 24) | (v6bytes[13]! << 16) | (v6bytes[14]! << 8) | v6bytes[15]!) >>> 0);
        client.scopeOffset = 96;
        return client;
      }
      client.family = 6;
      client.bytes = v6bytes;
      return client;
    }
    client.fromEcs = false;
    const src = this.source;
    const known = src.update(peer);
    if (known && src.family === 4) {
      this.setV4(src.v4);
      return client;
    }
    // IPv6, or (never from a socket) not an address at all: all zeros.
    if (known) v6bytes.set(src.bytes);
    else v6bytes.fill(0);
    client.family = 6;
    client.bytes = v6bytes;
    return client;
  }
}
