// Who the client is, read without allocation: the ECS address when its source prefix is > 0, else
// the resolver's source address; IPv4-mapped IPv6 counts as IPv4.
import { parseIPv6, readIPv4 } from '../../zones/rdata.js';
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

const v4bytes = new Uint8Array(4);
const v6bytes = new Uint8Array(16);
/** The one client object the pipeline reuses per query. */
export const client: ClientAddress = { family: 4, v4: 0, bytes: v4bytes, fromEcs: false, scopeOffset: 0 };

function setV4(n: number): void {
  client.family = 4;
  client.v4 = n >>> 0;
  v4bytes[0] = n >>> 24;
  v4bytes[1] = (n >>> 16) & 0xff;
  v4bytes[2] = (n >>> 8) & 0xff;
  v4bytes[3] = n & 0xff;
  client.bytes = v4bytes;
}

const parsedV4 = new Uint8Array(4);

/** Dotted-quad text from `start` as an unsigned 32-bit integer, or -1 (zones/rdata.ts parses it). */
function v4Of(text: string, start = 0): number {
  if (!readIPv4(text, parsedV4, start)) return -1;
  return ((parsedV4[0]! << 24) | (parsedV4[1]! << 16) | (parsedV4[2]! << 8) | parsedV4[3]!) >>> 0;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The last IPv4 resolver address seen, as text and as parsed. */
let lastV4Text = '';
let lastV4 = 0;

/** Fills `client` for this query. */
export function resolveClient(q: ParsedQuery, peer: Peer): ClientAddress {
  client.scopeOffset = 0;
  const ecs = q.ecs;
  if (ecs !== null && ecs.sourcePrefix > 0) {
    client.fromEcs = true;
    if (ecs.family === 1) {
      setV4(((ecs.byte(0) << 24) | (ecs.byte(1) << 16) | (ecs.byte(2) << 8) | ecs.byte(3)) >>> 0);
      return client;
    }
    v6bytes.fill(0);
    ecs.msg.copy(v6bytes, 0, ecs.start, ecs.start + Math.min(16, ecs.length));
    if (ecs.sourcePrefix >= 96 && isMapped(v6bytes)) {
      setV4(((v6bytes[12]! << 24) | (v6bytes[13]! << 16) | (v6bytes[14]! << 8) | v6bytes[15]!) >>> 0);
      client.scopeOffset = 96;
      return client;
    }
    client.family = 6;
    client.bytes = v6bytes;
    return client;
  }
  client.fromEcs = false;
  const addr = peer.address;
  if (peer.family === 4) {
    // Most queries come from a few resolvers: compare the text rather than parse it again.
    if (addr !== lastV4Text) {
      lastV4 = v4Of(addr);
      lastV4Text = addr;
    }
    setV4(lastV4);
    return client;
  }
  if (addr.startsWith('::ffff:') && addr.indexOf('.') > 0) {
    const n = v4Of(addr, 7);
    if (n >= 0) {
      setV4(n);
      return client;
    }
  }
  const b = parseIPv6(addr.includes('%') ? addr.slice(0, addr.indexOf('%')) : addr);
  v6bytes.fill(0);
  if (b) v6bytes.set(b);
  client.family = 6;
  client.bytes = v6bytes;
  return client;
}
