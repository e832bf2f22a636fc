// Wire encoder: answers are data (sections of records); this module owns bytes, name compression,
// fitting a reply to the client's size (drop additional records first, then TC) and the OPT record.
import type { DnsName } from '../zones/name.js';
import { COMPRESSIBLE_TYPES, isName, type AnswerRecord, type Sections } from '../zones/records.js';
import { EDNS_DO, EDNS_OPTION, FLAGS1, FLAGS2, QTYPE, RCODE } from '../zones/dns.js';
import { keepBytes } from '../zones/kept-bytes.js';
import type { ParsedQuery } from './query.js';

/** An encoded reply without OPT, with the offsets needed to trim it to a size. */
export interface EncodedReply {
  readonly wire: Buffer;
  /** Offset where the additional section starts. */
  readonly additionalStart: number;
  /** Start offset of each additional record. */
  readonly additionalOffsets: readonly number[];
  readonly requiredAdditional: number;
}

export const OUR_UDP_PAYLOAD = 1232;
const MAX_MESSAGE = 65535;
const scratch = Buffer.allocUnsafe(MAX_MESSAGE + 512);

class Writer {
  pos = 0;
  private readonly names = new Map<string, number>();

  constructor(private readonly buf: Buffer) {}

  /** Registers every suffix of the question name as a compression target. */
  registerQuestion(qkey: string, qnameStart: number): void {
    let i = 0;
    while (qkey.charCodeAt(i) !== 0) {
      this.names.set(qkey.slice(i), qnameStart + i);
      i += qkey.charCodeAt(i) + 1;
    }
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  name(n: DnsName, compress: boolean): void {
    const key = n.key;
    let i = 0;
    while (key.charCodeAt(i) !== 0) {
      if (compress) {
        const suffix = key.slice(i);
        const at = this.names.get(suffix);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        if (this.pos < 0x3fff) this.names.set(suffix, this.pos);
      }
      const len = n.wire[i]!;
      this.buf.set(n.wire.subarray(i, i + len + 1), this.pos);
      this.pos += len + 1;
      i += len + 1;
    }
    this.u8(0);
  }

  record(rr: AnswerRecord): void {
    if (rr.owner === null) this.u16(0xc00c);
    else this.name(rr.owner, true);
    this.u16(rr.type);
    this.u16(rr.klass);
    this.u32(rr.ttl);
    const lenAt = this.pos;
    this.pos += 2;
    const compress = COMPRESSIBLE_TYPES.has(rr.type);
    for (const part of rr.rdata) {
      if (isName(part)) this.name(part, compress);
      else this.bytes(part);
    }
    this.buf.writeUInt16BE(this.pos - lenAt - 2, lenAt);
  }
}

function writeHeader(buf: Buffer, q: ParsedQuery, rcode: number, aa: boolean, qdcount: number): void {
  buf.writeUInt16BE(q.id, 0);
  buf[2] = FLAGS1.QR | (q.opcode << FLAGS1.OPCODE_SHIFT) | (aa ? FLAGS1.AA : 0) | (q.rd ? FLAGS1.RD : 0);
  // CD is not copied: this server does no DNSSEC validation (Knot and NSD do the same).
  buf[3] = rcode & FLAGS2.RCODE_MASK;
  buf.writeUInt16BE(qdcount, 4);
  // Byte stores, not fill(): fill() checks its arguments and dispatches on the value's type per call.
  for (let i = 6; i < 12; i++) buf[i] = 0;
}

/**
 * Encodes sections after the query's own question (copied byte for byte, so its case is kept).
 * `kept`: the reply is cached (compiled, decided or signed once and served many times), so its bytes
 * go to slabs of their own (zones/kept-bytes.ts) rather than pin a slab of Node's pool; a reply made
 * for one query (the default) is garbage once sent.
 */
export function encodeSections(msg: Buffer, q: ParsedQuery, s: Sections, kept = false): EncodedReply {
  const buf = scratch;
  writeHeader(buf, q, s.rcode, s.aa, 1);
  msg.copy(buf, 12, 12, q.questionEnd);
  const w = new Writer(buf);
  w.pos = q.questionEnd;
  w.registerQuestion(q.qkey, 12);
  for (const rr of s.answer) w.record(rr);
  for (const rr of s.authority) w.record(rr);
  const additionalStart = w.pos;
  const additionalOffsets: number[] = [];
  for (const rr of s.additional) {
    additionalOffsets.push(w.pos);
    w.record(rr);
  }
  buf.writeUInt16BE(s.answer.length, 6);
  buf.writeUInt16BE(s.authority.length, 8);
  buf.writeUInt16BE(s.additional.length, 10);
  return {
    wire: kept ? keepBytes(buf.subarray(0, w.pos)) : Buffer.from(buf.subarray(0, w.pos)),
    additionalStart,
    additionalOffsets,
    requiredAdditional: s.requiredAdditional,
  };
}

/** Reply options that vary per query: OPT contents (the pipeline's per-query context holds them). */
export interface OptFields {
  readonly nsid: Buffer | null;
  /** ECS scope prefix to return when the query carried ECS. */
  readonly ecsScope: number;
  /** Extended DNS Error info-code (RFC 8914) to attach, or null. */
  readonly ede: number | null;
  /** The COOKIE option to send (client cookie, then server cookie: 24 bytes), or null for none. */
  readonly cookie: Buffer | null;
}

function optLength(q: ParsedQuery, o: OptFields): number {
  if (!q.edns) return 0;
  let n = 11;
  if (q.nsid && o.nsid) n += 4 + o.nsid.length;
  if (q.ecs) n += 8 + q.ecs.length;
  if (o.ede !== null) n += 6;
  if (o.cookie !== null) n += 4 + o.cookie.length;
  return n;
}

function writeOpt(buf: Buffer, at: number, q: ParsedQuery, o: OptFields, extendedRcode: number): void {
  buf[at] = 0;
  buf.writeUInt16BE(QTYPE.OPT, at + 1);
  buf.writeUInt16BE(OUR_UDP_PAYLOAD, at + 3);
  buf[at + 5] = extendedRcode;
  buf[at + 6] = 0; // version 0
  buf[at + 7] = q.dnssecOk ? EDNS_DO : 0;
  buf[at + 8] = 0;
  let p = at + 11;
  if (q.nsid && o.nsid) {
    buf.writeUInt16BE(EDNS_OPTION.NSID, p);
    buf.writeUInt16BE(o.nsid.length, p + 2);
    o.nsid.copy(buf, p + 4);
    p += 4 + o.nsid.length;
  }
  if (q.ecs) {
    const e = q.ecs;
    buf.writeUInt16BE(EDNS_OPTION.ECS, p);
    buf.writeUInt16BE(4 + e.length, p + 2);
    buf.writeUInt16BE(q.ecs.family, p + 4);
    buf[p + 6] = q.ecs.sourcePrefix;
    buf[p + 7] = Math.min(o.ecsScope, q.ecs.family === 1 ? 32 : 128);
    e.msg.copy(buf, p + 8, e.start, e.start + e.length);
    p += 8 + e.length;
  }
  if (o.ede !== null) {
    buf.writeUInt16BE(EDNS_OPTION.EDE, p);
    buf.writeUInt16BE(2, p + 2);
    buf.writeUInt16BE(o.ede, p + 4);
    p += 6;
  }
  if (o.cookie !== null) {
    buf.writeUInt16BE(EDNS_OPTION.COOKIE, p);
    buf.writeUInt16BE(o.cookie.length, p + 2);
    buf.set(o.cookie, p + 4);
    p += 4 + o.cookie.length;
  }
  buf.writeUInt16BE(p - at - 11, at + 9);
}

/** The size a reply may have: 512 without EDNS, else the client's size capped at ours; TCP: 65535. */
export function replyLimit(q: ParsedQuery, tcp: boolean): number {
  if (tcp) return MAX_MESSAGE;
  if (!q.edns) return 512;
  return q.udpSize < OUR_UDP_PAYLOAD ? q.udpSize : OUR_UDP_PAYLOAD;
}

/**
 * Turns an encoded reply into the bytes to send for this query: patches ID, flags and the question
 * (exact case of the query), trims additional records or sets TC to fit, and appends OPT.
 */
export function finishReply(e: EncodedReply, msg: Buffer, q: ParsedQuery, limit: number, o: OptFields): Buffer {
  const opt = optLength(q, o);
  let body = e.wire.length;
  let arcount = e.additionalOffsets.length;
  let tc = false;
  if (body + opt > limit) {
    // Drop additional records from the end until it fits; required glue cannot go without TC.
    const all = e.additionalOffsets.length;
    const endWith = (n: number): number => (n === all ? e.wire.length : e.additionalOffsets[n]!);
    while (arcount > 0 && endWith(arcount) + opt > limit) arcount--;
    body = endWith(arcount);
    if (body + opt > limit) return truncatedReply(e.wire, msg, q, o);
    // Glue that did not fit: send what fits with TC so the resolver retries over TCP (RFC 9471).
    if (arcount < e.requiredAdditional) tc = true;
  }
  const out = Buffer.allocUnsafe(body + opt);
  // Typed-array set and a byte loop rather than Buffer.copy: copy() makes a view object per partial
  // copy, a measurable cost at two copies per query.
  if (body === e.wire.length) out.set(e.wire);
  else out.set(e.wire.subarray(0, body));
  out[0] = q.id >>> 8;
  out[1] = q.id & 0xff;
  out[2] = (out[2]! & ~FLAGS1.RD) | (q.rd ? FLAGS1.RD : 0);
  for (let i = 12; i < q.questionEnd; i++) out[i] = msg[i]!;
  out.writeUInt16BE(arcount + (opt ? 1 : 0), 10);
  if (tc) out[2] = out[2]! | FLAGS1.TC;
  if (opt) writeOpt(out, body, q, o, 0);
  return out;
}

/** TC reply: header with the answer's rcode and AA, the question, and OPT; no records. */
function truncatedReply(wire: Buffer, msg: Buffer, q: ParsedQuery, o: OptFields): Buffer {
  const opt = optLength(q, o);
  const out = Buffer.allocUnsafe(q.questionEnd + opt);
  wire.copy(out, 0, 0, 4);
  out.writeUInt16BE(q.id, 0);
  out[2] = (out[2]! & ~FLAGS1.RD) | FLAGS1.TC | (q.rd ? FLAGS1.RD : 0);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  msg.copy(out, 12, 12, q.questionEnd);
  if (opt) writeOpt(out, q.questionEnd, q, o, 0);
  return out;
}

/**
 * An RRL "slip": the reply made for this query cut to a truncated one: its header (rcode, AA), TC=1, the
 * question, no records, and the OPT (with the cookie, so a client can retry with it over UDP).
 */
export function slippedReply(reply: Buffer, msg: Buffer, q: ParsedQuery, o: OptFields): Buffer {
  const withQuestion = reply[5] === 1;
  const qEnd = withQuestion ? q.questionEnd : 12;
  // OPT only when the reply has one (a FORMERR may not), with its extended rcode (BADVERS and above).
  const extendedRcode = replyOptRcode(reply, qEnd);
  const opt = extendedRcode >= 0 ? optLength(q, o) : 0;
  const out = Buffer.allocUnsafe(qEnd + opt);
  out[0] = reply[0]!;
  out[1] = reply[1]!;
  out[2] = reply[2]! | FLAGS1.TC;
  out[3] = reply[3]!;
  out[4] = 0;
  out[5] = withQuestion ? 1 : 0;
  for (let i = 6; i < 12; i++) out[i] = 0;
  for (let i = 12; i < qEnd; i++) out[i] = msg[i]!;
  if (opt) {
    out[11] = 1;
    writeOpt(out, qEnd, q, o, extendedRcode);
  }
  return out;
}

/** The extended rcode in the OPT record of one of our replies, or -1 when it has none. */
function replyOptRcode(reply: Buffer, questionEnd: number): number {
  const records = reply.readUInt16BE(6) + reply.readUInt16BE(8) + reply.readUInt16BE(10);
  let pos = questionEnd;
  for (let i = 0; i < records; i++) {
    // Owner: labels up to the root or a compression pointer. Bounded by the length, so even bytes we
    // did not write end in a RangeError from readUInt16BE, never in a loop.
    while (pos < reply.length) {
      const len = reply[pos]!;
      if (len === 0) {
        pos++;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        pos += 2;
        break;
      }
      pos += len + 1;
    }
    if (reply.readUInt16BE(pos) === QTYPE.OPT) return reply[pos + 4]!;
    pos += 10 + reply.readUInt16BE(pos + 8);
  }
  return -1;
}

/**
 * An error reply (FORMERR, NOTIMP, REFUSED, SERVFAIL, BADVERS): header, the question when it parsed,
 * and OPT when the query's OPT parsed. BADVERS goes in OPT's extended rcode.
 */
export function errorReply(
  msg: Buffer,
  q: ParsedQuery,
  rcode: number,
  withQuestion: boolean,
  withOpt: boolean,
  o: OptFields,
): Buffer {
  const qEnd = withQuestion ? q.questionEnd : 12;
  const useOpt = withOpt && q.edns;
  const opt = useOpt ? optLength(q, o) : 0;
  const out = Buffer.allocUnsafe(qEnd + opt);
  writeHeader(out, q, rcode & FLAGS2.RCODE_MASK, false, withQuestion ? 1 : 0);
  if (withQuestion) msg.copy(out, 12, 12, qEnd);
  if (useOpt) {
    out.writeUInt16BE(1, 10);
    writeOpt(out, qEnd, q, o, rcode >> 4);
  }
  return out;
}

/**
 * A negative answer's authority section (the SOA; signed: with its RRSIG and the NSEC proofs),
 * encoded once for a question that is just the apex, with the places its compression pointers must
 * move to when the real question is longer.
 */
export interface NegativeTemplate {
  /** The authority records' bytes as written after a question of `apexLength` (owner pointers included). */
  readonly record: Buffer;
  /** How many records `record` holds (NSCOUNT). */
  readonly count: number;
  readonly apexLength: number;
  /** Offsets (in record) of 2-byte pointers and, for each, what it points at. */
  readonly pointers: ReadonlyArray<{ readonly at: number; readonly target: number }>;
}

/** The zone's unsigned negative answer: its SOA alone. */
export function negativeTemplate(apex: DnsName, soa: AnswerRecord): NegativeTemplate {
  return authorityTemplate(apex, [soa]);
}

/**
 * Authority records under the apex (owners and compressible RDATA names at or below it) as a
 * negative template. Every pointer targets the question's apex suffix or the block itself, both of
 * which move by the same amount when the real question is longer.
 */
export function authorityTemplate(apex: DnsName, authority: readonly AnswerRecord[]): NegativeTemplate {
  const qmsg = Buffer.alloc(12 + apex.wire.length + 4);
  apex.wire.copy(qmsg, 12);
  const q = {
    id: 0,
    opcode: 0,
    rd: false,
    cd: false,
    qkey: apex.key,
    questionEnd: qmsg.length,
    qclass: 1,
  } as ParsedQuery;
  const e = encodeSections(qmsg, q, {
    rcode: RCODE.NXDOMAIN,
    aa: true,
    answer: [],
    authority,
    additional: [],
    requiredAdditional: 0,
  });
  const record = keepBytes(e.wire.subarray(qmsg.length));
  // Find every pointer in the records: walk each owner and the names inside compressible RDATA.
  const pointers: Array<{ at: number; target: number }> = [];
  const walkName = (at: number): number => {
    for (;;) {
      const len = record[at]!;
      if (len === 0) return at + 1;
      if ((len & 0xc0) === 0xc0) {
        pointers.push({ at, target: record.readUInt16BE(at) & 0x3fff });
        return at + 2;
      }
      at += len + 1;
    }
  };
  let at = 0;
  for (const rr of authority) {
    const rdata = walkName(at) + 10; // owner, type, class, ttl, rdlength
    const end = rdata + record.readUInt16BE(rdata - 2);
    if (rr.type === QTYPE.SOA)
      walkName(walkName(rdata)); // MNAME, RNAME
    else if (rr.type === QTYPE.MX) walkName(rdata + 2);
    else if (COMPRESSIBLE_TYPES.has(rr.type)) walkName(rdata); // NS, CNAME, PTR
    at = end;
  }
  return { record, count: authority.length, apexLength: apex.wire.length, pointers };
}

/** NXDOMAIN or NODATA with a negative template, for a query under the apex, without re-encoding. */
export function negativeReply(
  t: NegativeTemplate,
  rcode: number,
  msg: Buffer,
  q: ParsedQuery,
  limit: number,
  o: OptFields,
): Buffer | null {
  const opt = optLength(q, o);
  const qEnd = q.questionEnd;
  const size = qEnd + t.record.length + opt;
  if (size > limit) return null;
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, q, rcode, true, 1);
  out.writeUInt16BE(t.count, 8);
  // A byte loop and a typed-array set, as in finishReply: no view object per copy.
  for (let i = 12; i < qEnd; i++) out[i] = msg[i]!;
  out.set(t.record, qEnd);
  // The apex sits at the end of the query name: pointers into it move by the extra length.
  const shift = q.qnameLength - t.apexLength;
  for (const p of t.pointers) {
    const target = p.target + shift;
    out[qEnd + p.at] = 0xc0 | (target >> 8);
    out[qEnd + p.at + 1] = target & 0xff;
  }
  out.writeUInt16BE(opt ? 1 : 0, 10);
  if (opt) writeOpt(out, qEnd + t.record.length, q, o, 0);
  return out;
}
