// The query a traced question is asked with (explain, simulate), built by hand: the header, one
// question (class IN) and, when the client is given as a subnet or DNSSEC records are asked for, an
// OPT record (UDP size 1232) with EDNS Client Subnet and the DO bit, as a resolver sends them. Then the pipeline answers it like any other query.
import { formatIp, maskBytes, unmapIpv4 } from '../../zones/address.js';
import { CLASS, EDNS_DO, EDNS_OPTION, HEADER_LENGTH, QTYPE } from '../../zones/dns.js';
import { parseType } from '../../zones/rdata.js';
import type { Pipeline } from '../pipeline.js';
import type { QueryTrace } from '../trace.js';
import type { Peer } from '../transport-types.js';

/** The EDNS UDP payload size the query offers (the DNS flag day's). */
export const UDP_SIZE = 1232;

const QUERY_TYPES: ReadonlyMap<string, number> = new Map(Object.entries(QTYPE).filter(([name]) => name !== 'OPT'));

/**
 * The type a query may ask for: a mnemonic zones/dns.ts knows (the query-only ANY, AXFR, IXFR,
 * MAILA and MAILB included), or what the zones parser takes (TYPEnnn, RFC 3597). Case-insensitive.
 */
export function parseQueryType(text: string): { ok: true; value: number } | { ok: false; error: string } {
  const known = QUERY_TYPES.get(text.toUpperCase());
  if (known !== undefined) return { ok: true, value: known };
  const t = parseType(text);
  return t.ok ? t : { ok: false, error: `unknown query type '${text}'` };
}

/** Who asks: an address, and with `prefix` it is sent as EDNS Client Subnet of that length. */
export interface QueryClient {
  readonly family: 4 | 6;
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array;
  /** null: no ECS, the address is the resolver's. */
  readonly prefix: number | null;
}

/**
 * The query's bytes: ID 1, no flags, one question of class IN; an OPT when the client has a prefix
 * (with ECS) or `dnssec` is set (with the DO bit).
 */
export function queryBytes(qname: Uint8Array, qtype: number, client: QueryClient, dnssec = false): Buffer {
  const ecs = client.prefix === null ? null : maskBytes(client.bytes, client.prefix);
  const addressLength = client.prefix === null ? 0 : Math.ceil(client.prefix / 8);
  const ecsLength = ecs === null ? 0 : 4 + 4 + addressLength;
  const withOpt = ecs !== null || dnssec;
  const out = Buffer.alloc(HEADER_LENGTH + qname.length + 4 + (withOpt ? 11 + ecsLength : 0));
  out.writeUInt16BE(1, 0); // ID
  out.writeUInt16BE(1, 4); // QDCOUNT
  out.writeUInt16BE(withOpt ? 1 : 0, 10); // ARCOUNT
  let p = HEADER_LENGTH;
  out.set(qname, p);
  p += qname.length;
  p = out.writeUInt16BE(qtype, p);
  p = out.writeUInt16BE(CLASS.IN, p);
  if (withOpt) {
    p = out.writeUInt8(0, p); // the root name
    p = out.writeUInt16BE(QTYPE.OPT, p);
    p = out.writeUInt16BE(UDP_SIZE, p);
    p = out.writeUInt32BE(dnssec ? EDNS_DO << 8 : 0, p); // extended RCODE, version 0, the DO bit
    p = out.writeUInt16BE(ecsLength, p);
  }
  if (ecs !== null) {
    p = out.writeUInt16BE(EDNS_OPTION.ECS, p);
    p = out.writeUInt16BE(4 + addressLength, p);
    p = out.writeUInt16BE(client.family === 4 ? 1 : 2, p);
    p = out.writeUInt8(client.prefix!, p);
    p = out.writeUInt8(0, p); // scope: 0 in a query
    out.set(ecs.subarray(0, addressLength), p);
  }
  return out;
}

/** The resolver's address a transport would give: IPv4-mapped IPv6 in the dotted form sockets use. */
function peerOf(client: QueryClient): Peer {
  const a = maskBytes(client.bytes, client.prefix ?? client.bytes.length * 8);
  const mapped = unmapIpv4({ family: client.family, bytes: a });
  const address = mapped.family === client.family ? formatIp(a) : `::ffff:${formatIp(mapped.bytes)}`;
  return { address, port: 53, family: client.family };
}

/**
 * Asks a pipeline one traced question from a client: with ECS when it has a prefix, from the
 * client's own (masked) address as the resolver either way, over TCP (no truncation); with DO=1
 * when `dnssec` is set.
 */
export function askTraced(
  pipeline: Pipeline,
  qname: Uint8Array,
  qtype: number,
  client: QueryClient,
  dnssec = false,
): { reply: Buffer; trace: QueryTrace } {
  const { reply, trace } = pipeline.trace(queryBytes(qname, qtype, client, dnssec), peerOf(client), 'tcp');
  if (reply === null) throw new Error('the pipeline dropped the query');
  return { reply, trace };
}
