// DNS protocol numbers in one place: RR types, classes, RCODEs, EDNS option codes, Extended DNS
// Error codes and the header's flag bits. Plain `as const` objects, so a use compiles to a number
// (nothing to look up on the query path). Lives in zones/ (imports nothing): the zone data, the
// health checks and the server all speak it.

/** Resource record types (RFC 1035 and later; IANA "Resource Record (RR) TYPEs"), including query-only ones. */
export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  CDS: 59,
  CDNSKEY: 60,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  CAA: 257,
} as const;

/** Classes (RFC 1035 section 3.2.4, RFC 2136 for NONE; ANY is QCLASS `*`). */
export const CLASS = {
  IN: 1,
  CH: 3,
  HS: 4,
  NONE: 254,
  ANY: 255,
} as const;

/** Response codes: 0..15 fit the header; larger ones (BADVERS) go in OPT's extended RCODE (RFC 6891). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
} as const;

const RCODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** The mnemonic of an RCODE, or `RCODEnn` for one without a name here. */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

/** EDNS(0) option codes (RFC 6891; IANA "DNS EDNS0 Option Codes"). */
export const EDNS_OPTION = {
  /** Name Server Identifier (RFC 5001). */
  NSID: 3,
  /** Client Subnet (RFC 7871). */
  ECS: 8,
  /** DNS Cookies (RFC 7873). */
  COOKIE: 10,
  /** Extended DNS Error (RFC 8914). */
  EDE: 15,
} as const;

/** Extended DNS Error info-codes (RFC 8914 section 4) this server sends. */
export const EDE = {
  /** REFUSED for a name outside every zone, as Knot and NSD send it. */
  NOT_AUTHORITATIVE: 20,
} as const;

/** The fixed DNS header's length in bytes. */
export const HEADER_LENGTH = 12;

/** Bits of the header's third byte (offset 2): QR, OPCODE (4 bits), AA, TC, RD. */
export const FLAGS1 = {
  QR: 0x80,
  OPCODE_SHIFT: 3,
  OPCODE_MASK: 0x0f,
  AA: 0x04,
  TC: 0x02,
  RD: 0x01,
} as const;

/** Bits of the header's fourth byte (offset 3): RA, Z, AD, CD and the 4-bit RCODE. */
export const FLAGS2 = {
  RA: 0x80,
  AD: 0x20,
  CD: 0x10,
  RCODE_MASK: 0x0f,
} as const;

/** OPT's TTL field, byte 3 (the high byte of the EDNS flags): the DNSSEC OK bit (RFC 3225). */
export const EDNS_DO = 0x80;
