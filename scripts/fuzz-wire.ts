// DNS wire pieces for the fuzzer, built by hand so any field can be wrong on purpose, and a lenient
// walk of a query that says what a client asked for (its question bytes, its EDNS size, its cookie).
import { EDNS_OPTION, QTYPE } from '../zones/dns.js';

export const HEADER = 12;
export const OPT_TYPE = QTYPE.OPT;

/** A name as wire labels; each label is a string of octets (latin1) or a raw buffer. */
export function nameWire(name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export interface HeaderSpec {
  id?: number;
  /** Third and fourth header bytes (QR..RD, RA..RCODE). */
  flags1?: number;
  flags2?: number;
  qd?: number;
  an?: number;
  ns?: number;
  ar?: number;
}

export function header(h: HeaderSpec): Buffer {
  const b = Buffer.alloc(HEADER);
  b.writeUInt16BE(h.id ?? 0, 0);
  b[2] = h.flags1 ?? 0;
  b[3] = h.flags2 ?? 0;
  b.writeUInt16BE(h.qd ?? 1, 4);
  b.writeUInt16BE(h.an ?? 0, 6);
  b.writeUInt16BE(h.ns ?? 0, 8);
  b.writeUInt16BE(h.ar ?? 0, 10);
  return b;
}

export function question(name: Buffer, type: number, klass = 1): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(klass, 2);
  return Buffer.concat([name, tail]);
}

/** A resource record with a raw owner (pointers allowed) and RDATA; rdlen may lie. */
export function record(owner: Buffer, type: number, klass: number, ttl: number, rdata: Buffer, rdlen?: number): Buffer {
  const b = Buffer.alloc(owner.length + 10 + rdata.length);
  owner.copy(b, 0);
  let p = owner.length;
  b.writeUInt16BE(type, p);
  b.writeUInt16BE(klass, p + 2);
  b.writeUInt32BE(ttl >>> 0, p + 4);
  b.writeUInt16BE((rdlen ?? rdata.length) & 0xffff, p + 8);
  p += 10;
  rdata.copy(b, p);
  return b;
}

/** An EDNS option; len may lie about the data. */
export function ednsOption(code: number, data: Buffer, len?: number): Buffer {
  const b = Buffer.alloc(4 + data.length);
  b.writeUInt16BE(code, 0);
  b.writeUInt16BE((len ?? data.length) & 0xffff, 2);
  data.copy(b, 4);
  return b;
}

export interface OptSpec {
  owner?: Buffer;
  udpSize?: number;
  extRcode?: number;
  version?: number;
  /** The 16 flag bits (DO is 0x8000). */
  flags?: number;
  options?: readonly Buffer[];
  rdlen?: number;
}

export const DO_FLAG = 0x8000;

/** An OPT pseudo-record. */
export function opt(s: OptSpec = {}): Buffer {
  const rdata = Buffer.concat(s.options ?? []);
  const ttl = (((s.extRcode ?? 0) << 24) | ((s.version ?? 0) << 16) | (s.flags ?? 0)) >>> 0;
  return record(s.owner ?? Buffer.from([0]), OPT_TYPE, s.udpSize ?? 1232, ttl, rdata, s.rdlen);
}

/** A query: header, one question, then records for the answer, authority and additional sections. */
export function query(
  h: HeaderSpec,
  q: Buffer | null,
  sections: { an?: readonly Buffer[]; ns?: readonly Buffer[]; ar?: readonly Buffer[] } = {},
): Buffer {
  const an = sections.an ?? [];
  const ns = sections.ns ?? [];
  const ar = sections.ar ?? [];
  const hdr = header({
    qd: q === null ? 0 : 1,
    an: an.length,
    ns: ns.length,
    ar: ar.length,
    ...h,
  });
  return Buffer.concat([hdr, ...(q ? [q] : []), ...an, ...ns, ...ar]);
}

/** The offset just past an uncompressed name at start, or -1 (pointers, extended labels, overrun, > 255). */
export function plainNameEnd(msg: Buffer, start: number): number {
  let p = start;
  for (;;) {
    if (p >= msg.length) return -1;
    const len = msg[p]!;
    if (len === 0) return p + 1 - start > 255 ? -1 : p + 1;
    if (len > 63) return -1;
    p += len + 1;
    if (p - start > 255) return -1;
  }
}

/** The offset past a name that may end in a pointer (never followed), or -1. */
function skipAnyName(msg: Buffer, start: number): number {
  let p = start;
  for (;;) {
    if (p >= msg.length) return -1;
    const len = msg[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= msg.length ? p + 2 : -1;
    if (len > 63) return -1;
    p += len + 1;
  }
}

/** What a query asked, read leniently: enough to judge a reply to it. */
export interface QueryView {
  /** The question's bytes (name, type, class) when QDCOUNT is 1 and the name is plain and whole; else null. */
  question: Buffer | null;
  /** The first OPT record of the additional section: its UDP size, version and DO bit. */
  edns: { udpSize: number; version: number; dnssecOk: boolean } | null;
  /** The first COOKIE option's data, whatever its length. */
  cookie: Buffer | null;
  /** Its client cookie (8 octets) when the option is 8 or 16..40 octets long. */
  clientCookie: Buffer | null;
  /** The first ECS option's family, source prefix and address bytes as sent. */
  ecs: { family: number; source: number; address: Buffer } | null;
}

/** Reads what a client asked for (or, from a reply, what it carries); never throws. */
export function viewQuery(msg: Buffer): QueryView {
  const v: QueryView = { question: null, edns: null, cookie: null, clientCookie: null, ecs: null };
  if (msg.length < HEADER) return v;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  let p = HEADER;
  for (let i = 0; i < qd; i++) {
    const end = i === 0 ? plainNameEnd(msg, p) : skipAnyName(msg, p);
    if (end < 0 || end + 4 > msg.length) return v;
    if (i === 0 && qd === 1) v.question = msg.subarray(p, end + 4);
    p = end + 4;
  }
  for (let i = 0; i < an + ns + ar; i++) {
    const end = skipAnyName(msg, p);
    if (end < 0 || end + 10 > msg.length) return v;
    const type = msg.readUInt16BE(end);
    const rdlen = msg.readUInt16BE(end + 8);
    const rdata = end + 10;
    if (rdata + rdlen > msg.length) return v;
    if (type === OPT_TYPE && i >= an + ns && v.edns === null) {
      const size = msg.readUInt16BE(end + 2);
      v.edns = { udpSize: size, version: msg[end + 5]!, dnssecOk: (msg[end + 6]! & 0x80) !== 0 };
      readOptions(msg, rdata, rdata + rdlen, v);
    }
    p = rdata + rdlen;
  }
  return v;
}

function readOptions(msg: Buffer, start: number, end: number, v: QueryView): void {
  let o = start;
  let sawCookie = false;
  let sawEcs = false;
  while (o + 4 <= end) {
    const code = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    o += 4;
    if (o + len > end) return;
    if (code === EDNS_OPTION.COOKIE && !sawCookie) {
      sawCookie = true;
      v.cookie = msg.subarray(o, o + len);
      if (len === 8 || (len >= 16 && len <= 40)) v.clientCookie = msg.subarray(o, o + 8);
    } else if (code === EDNS_OPTION.ECS && !sawEcs && len >= 4) {
      sawEcs = true;
      v.ecs = { family: msg.readUInt16BE(o), source: msg[o + 2]!, address: msg.subarray(o + 4, o + len) };
    }
    o += len;
  }
}

/** The largest UDP reply a client accepts: 512 without EDNS, else its advertised size (at least 512). */
export function clientLimit(v: QueryView): number {
  return v.edns === null ? 512 : Math.max(512, v.edns.udpSize);
}
