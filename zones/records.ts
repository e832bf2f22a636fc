// The record model shared by the master-file parser, the zone compiler and the wire encoder.
import { QTYPE } from './dns.js';
import type { DnsName } from './name.js';

/** One piece of RDATA: raw octets, or a domain name the encoder may compress (per RFC 3597 section 4). */
export type RdataPart = Buffer | DnsName;

export interface ZoneRecord {
  readonly owner: DnsName;
  readonly type: number;
  readonly ttl: number;
  /** Uncompressed RDATA split so that embedded names can be compressed by the encoder. */
  readonly rdata: readonly RdataPart[];
  /** Where it came from, for error messages. */
  readonly file: string;
  readonly line: number;
}

/** A located error: rendered as `file:line: message [CODE]`. */
export interface ZoneError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
  /** Stable code from the module's table (zones/error-codes.ts); docs/errors.md says what to do. */
  readonly code: string;
}

/** `file:line: message [E_...]` (`file: message [E_...]` for a whole file): the code last, for grep. */
export function formatZoneError(e: ZoneError): string {
  return `${e.line > 0 ? `${e.file}:${e.line}` : e.file}: ${e.message} [${e.code}]`;
}

export function isName(part: RdataPart): part is DnsName {
  return !Buffer.isBuffer(part);
}

/** RR types: defined in zones/dns.ts with the other DNS numbers, re-exported for existing importers. */
export { QTYPE };

/** Types whose RDATA names may be compressed (RFC 3597 section 4: the well-known RFC 1035 types). */
export const COMPRESSIBLE_TYPES: ReadonlySet<number> = new Set([QTYPE.NS, QTYPE.CNAME, QTYPE.SOA, QTYPE.PTR, QTYPE.MX]);

/** Length of the uncompressed RDATA. */
export function rdataLength(rdata: readonly RdataPart[]): number {
  let n = 0;
  for (const p of rdata) n += isName(p) ? p.wire.length : p.length;
  return n;
}

/** A record in an answer. owner null means "the query name": written as a pointer to the question. */
export interface AnswerRecord {
  readonly owner: DnsName | null;
  readonly type: number;
  readonly klass: number;
  readonly ttl: number;
  readonly rdata: readonly RdataPart[];
  /**
   * Set on records synthesized from a wildcard (RFC 4592): the wildcard's own name ("*.example."),
   * which DNSSEC signs them under (RFC 4035 5.3.4) and whose expansion needs a denial of the qname.
   */
  readonly wildcard?: DnsName;
}

/** An answer as data: the encoder turns it into bytes and owns the size. */
export interface Sections {
  readonly rcode: number;
  readonly aa: boolean;
  readonly answer: readonly AnswerRecord[];
  readonly authority: readonly AnswerRecord[];
  readonly additional: readonly AnswerRecord[];
  /** How many leading additional records may not be dropped without setting TC (in-domain glue, RFC 9471). */
  readonly requiredAdditional: number;
}
