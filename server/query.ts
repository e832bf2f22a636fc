// Hot-path query decoder: reads the header, the question and EDNS (OPT, NSID, Client Subnet, COOKIE)
// straight from the bytes into the decoder's one reused object, and classifies the message as a
// closed union.
import { CLASS, EDNS_OPTION, QTYPE } from '../zones/dns.js';
import type { DnsName } from '../zones/name.js';

/** The query's Client Subnet option; its address stays in the query buffer (no copy on the hot path). */
export class ClientSubnet {
  family: 1 | 2 = 1;
  sourcePrefix = 0;
  msg: Buffer = Buffer.alloc(0);
  /** Offset and length of the address bytes in msg (ceil(sourcePrefix / 8) octets). */
  start = 0;
  length = 0;
  /** The address bytes as sent (a view into the query: copy it to keep it). */
  get address(): Buffer {
    return this.msg.subarray(this.start, this.start + this.length);
  }
  byte(i: number): number {
    return i < this.length ? this.msg[this.start + i]! : 0;
  }
}

/** Everything the pipeline needs from a query. A decoder refills its one instance: copy what you keep. */
export class ParsedQuery {
  id = 0;
  /** Second header byte's RD bit and the fourth byte's CD bit, to copy into the reply. */
  rd = false;
  cd = false;
  opcode = 0;
  /** Offset of the first byte after the question (qname + qtype + qclass). */
  questionEnd = 12;
  /** Length of the qname in wire form. */
  qnameLength = 1;
  qtype = 0;
  qclass = 0;
  /** Lowercased qname wire form as a latin1 string (see zones/name.ts keyOfWire). */
  qkey = '\0';
  edns = false;
  ednsVersion = 0;
  udpSize = 512;
  dnssecOk = false;
  nsid = false;
  ecs: ClientSubnet | null = null;
  /** Offset in the message of the COOKIE option's data (the client cookie's first byte), or -1 when none. */
  cookieStart = -1;
  /** The COOKIE option's length: 8 (client cookie alone) or 16 to 40 (with a server cookie). */
  cookieLength = 0;
}

/**
 * A question for `name` (IN, the type left 0) to encode replies against ahead of time: compiled static
 * answers and load-balanced replies are made once and have the real query's header and question
 * copied in per query.
 */
export function syntheticQuestion(name: DnsName): { qmsg: Buffer; q: ParsedQuery } {
  const qmsg = Buffer.alloc(12 + name.wire.length + 4);
  name.wire.copy(qmsg, 12);
  const q = new ParsedQuery();
  q.qkey = name.key;
  q.qnameLength = name.wire.length;
  q.questionEnd = qmsg.length;
  q.qclass = CLASS.IN;
  return { qmsg, q };
}

export type Decoded =
  | { kind: 'drop' }
  | { kind: 'ok'; query: ParsedQuery }
  /** questionOk: the question parsed, so the reply may echo it; ednsOk: the OPT parsed. */
  | { kind: 'formerr'; query: ParsedQuery; questionOk: boolean; ednsOk: boolean; reason: string }
  | { kind: 'notimp'; query: ParsedQuery; questionOk: boolean }
  | { kind: 'badvers'; query: ParsedQuery };

const DROP: Decoded = { kind: 'drop' };

function formerr(q: ParsedQuery, questionOk: boolean, ednsOk: boolean, reason: string): Decoded {
  return { kind: 'formerr', query: q, questionOk, ednsOk, reason };
}

const lowered = Buffer.alloc(256);

type Latin1Slice = (this: Buffer, start: number, end: number) => string;
/**
 * Buffer's own latin1 decoder, called without toString()'s argument checks and dispatch on the
 * encoding name (about 7 % of a cached answer's cost). It is what toString('latin1') ends in; should a
 * Node release drop it, toString is used instead.
 */
const nativeLatin1 = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;
const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof nativeLatin1 === 'function'
    ? (buf, start, end) => nativeLatin1.call(buf, start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/**
 * Reads an uncompressed qname; returns its end offset, or -1 when malformed. Fills q.qkey with the
 * lowercased wire form: one latin1 slice, after an ASCII-only lowercase copy when the name has capitals.
 */
function readQname(msg: Buffer, start: number, q: ParsedQuery): number {
  let pos = start;
  let upper = false;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) {
      pos++;
      break;
    }
    // Pointers and extended label types have no place in a question.
    if (len > 63 || pos + 1 + len > msg.length) return -1;
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    pos += len + 1;
    if (pos - start > 255) return -1;
  }
  if (pos - start > 255) return -1;
  if (!upper) q.qkey = latin1(msg, start, pos);
  else {
    msg.copy(lowered, 0, start, pos);
    let i = 0;
    while (lowered[i] !== 0) {
      const len = lowered[i]!;
      for (let j = i + 1; j <= i + len; j++) {
        const c = lowered[j]!;
        if (c >= 0x41 && c <= 0x5a) lowered[j] = c | 0x20;
      }
      i += len + 1;
    }
    q.qkey = latin1(lowered, 0, pos - start);
  }
  q.qnameLength = pos - start;
  return pos;
}

/** Skips a possibly compressed name in the additional section; -1 when malformed. */
function skipName(msg: Buffer, start: number): number {
  let pos = start;
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return -1;
      // A pointer must point backwards, or it could loop; we never follow it here.
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target >= start) return -1;
      return pos + 2;
    }
    if (len > 63) return -1;
    pos += len + 1;
  }
}

/** Validates an ECS option (RFC 7871 section 7.1.2) into `ecs`; returns an error reason or null. */
function readClientSubnet(msg: Buffer, start: number, len: number, q: ParsedQuery, ecs: ClientSubnet): string | null {
  if (len < 4) return 'ECS option shorter than 4 octets';
  const family = msg.readUInt16BE(start);
  const source = msg[start + 2]!;
  const scope = msg[start + 3]!;
  if (family !== 1 && family !== 2) return `ECS family ${family} is not 1 or 2`;
  const maxBits = family === 1 ? 32 : 128;
  if (source > maxBits) return `ECS source prefix ${source} exceeds ${maxBits}`;
  if (scope !== 0) return 'ECS scope prefix must be 0 in a query';
  const addrLen = (source + 7) >> 3;
  if (len - 4 !== addrLen) return `ECS address is ${len - 4} octets, expected ${addrLen} for /${source}`;
  if (source % 8 !== 0 && addrLen > 0) {
    const mask = 0xff >> (source % 8);
    if ((msg[start + 4 + addrLen - 1]! & mask) !== 0) return 'ECS address has bits set beyond the source prefix';
  }
  ecs.family = family;
  ecs.sourcePrefix = source;
  ecs.msg = msg;
  ecs.start = start + 4;
  ecs.length = addrLen;
  q.ecs = ecs;
  return null;
}

/** Reads an OPT RR's fixed fields and options; returns an error reason or null. */
function readOpt(
  msg: Buffer,
  pos: number,
  rdlen: number,
  q: ParsedQuery,
  ecs: ClientSubnet,
  cookies: boolean,
): string | null {
  if (q.edns) return 'more than one OPT record';
  q.edns = true;
  const size = msg.readUInt16BE(pos - 8);
  q.udpSize = size < 512 ? 512 : size;
  q.ednsVersion = msg[pos - 5]!;
  q.dnssecOk = (msg[pos - 4]! & 0x80) !== 0;
  let o = pos;
  const end = pos + rdlen;
  let sawEcs = false;
  while (o < end) {
    if (o + 4 > end) return 'truncated EDNS option';
    const code = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    o += 4;
    if (o + len > end) return 'EDNS option overruns the OPT record';
    if (code === EDNS_OPTION.NSID) q.nsid = true;
    else if (code === EDNS_OPTION.ECS) {
      if (sawEcs) return 'more than one ECS option';
      sawEcs = true;
      const err = readClientSubnet(msg, o, len, q, ecs);
      if (err) return err;
    } else if (code === EDNS_OPTION.COOKIE && cookies) {
      // RFC 7873 section 5.2.2: a malformed COOKIE is FORMERR. The reply then carries no cookie.
      if (q.cookieStart >= 0) {
        q.cookieStart = -1;
        q.cookieLength = 0;
        return 'more than one COOKIE option';
      }
      if (len !== 8 && (len < 16 || len > 40)) return `COOKIE option of ${len} octets (8, or 16 to 40)`;
      q.cookieStart = o;
      q.cookieLength = len;
    }
    // Unknown options are ignored (RFC 6891 section 6.1.2).
    o += len;
  }
  return null;
}

/** Reads an OPT record that directly follows the header (a query without a question). */
function readBareOpt(msg: Buffer, q: ParsedQuery, ecs: ClientSubnet, cookies: boolean): boolean {
  if (msg.length < 12 + 11 || msg[12] !== 0 || msg.readUInt16BE(13) !== QTYPE.OPT) return false;
  const rdlen = msg.readUInt16BE(21);
  if (23 + rdlen !== msg.length) return false;
  return readOpt(msg, 23, rdlen, q, ecs, cookies) === null || q.edns;
}

/**
 * A query decoder: one per pipeline, refilling its own query object (and ECS option) on every call,
 * so the common outcomes are shared objects too and decoding allocates nothing.
 */
export class QueryDecoder {
  readonly query = new ParsedQuery();
  private readonly subnet = new ClientSubnet();
  private readonly ok: Decoded = Object.freeze({ kind: 'ok', query: this.query });
  private readonly badvers: Decoded = Object.freeze({ kind: 'badvers', query: this.query });

  /**
   * cookies: COOKIE options are read (and a malformed one is FORMERR); false for a server that does
   * not answer cookies (--no-cookies), which ignores the option like any unknown one (RFC 7873 5.2).
   */
  constructor(private readonly cookies = true) {}

  /** Decodes a query into this decoder's query object (overwritten by the next call). */
  decode(msg: Buffer): Decoded {
    return decodeInto(msg, this.query, this.subnet, this.ok, this.badvers, this.cookies);
  }
}

function decodeInto(
  msg: Buffer,
  q: ParsedQuery,
  ecs: ClientSubnet,
  OK: Decoded,
  BADVERS: Decoded,
  cookies: boolean,
): Decoded {
  if (msg.length < 12) return DROP;
  const flags1 = msg[2]!;
  if (flags1 & 0x80) return DROP; // a response: never answer it (no reflection loops)
  // Header fields by byte index (the length is checked above): readUInt16BE checks bounds per call.
  q.id = (msg[0]! << 8) | msg[1]!;
  q.rd = (flags1 & 0x01) !== 0;
  q.cd = (msg[3]! & 0x10) !== 0;
  q.opcode = (flags1 >> 3) & 0x0f;
  q.edns = false;
  q.ednsVersion = 0;
  q.udpSize = 512;
  q.dnssecOk = false;
  q.nsid = false;
  q.ecs = null;
  q.cookieStart = -1;
  q.cookieLength = 0;
  q.qkey = '\0';
  q.qnameLength = 1;
  q.qtype = 0;
  q.qclass = 0;
  q.questionEnd = 12;
  const qd = (msg[4]! << 8) | msg[5]!;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const ar = (msg[10]! << 8) | msg[11]!;

  let questionOk = false;
  if (qd === 1) {
    const end = readQname(msg, 12, q);
    if (end >= 0 && end + 4 <= msg.length) {
      q.qtype = (msg[end]! << 8) | msg[end + 1]!;
      q.qclass = (msg[end + 2]! << 8) | msg[end + 3]!;
      q.questionEnd = end + 4;
      questionOk = true;
    }
  }
  if (q.opcode !== 0) return { kind: 'notimp', query: q, questionOk };
  if (qd !== 1) {
    // No question to echo, but an OPT right after the header still gets one back (as Knot does).
    const ednsOk = qd === 0 && an === 0 && ns === 0 && ar === 1 && readBareOpt(msg, q, ecs, cookies);
    return formerr(q, false, ednsOk, `QDCOUNT is ${qd}, expected 1`);
  }
  if (!questionOk) return formerr(q, false, false, 'malformed question');
  if (an !== 0 || ns !== 0) return formerr(q, true, false, 'query carries answer or authority records');

  let pos = q.questionEnd;
  for (let i = 0; i < ar; i++) {
    const nameEnd = skipName(msg, pos);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) return formerr(q, true, false, 'malformed additional record');
    const type = msg.readUInt16BE(nameEnd);
    const rdlen = msg.readUInt16BE(nameEnd + 8);
    const rdata = nameEnd + 10;
    if (rdata + rdlen > msg.length) return formerr(q, true, false, 'additional record overruns the message');
    if (type === QTYPE.OPT) {
      if (nameEnd !== pos + 1 || msg[pos] !== 0) return formerr(q, true, false, 'OPT owner is not the root');
      const err = readOpt(msg, rdata, rdlen, q, ecs, cookies);
      if (err) return formerr(q, true, q.edns && !err.startsWith('more than one OPT'), err);
    }
    pos = rdata + rdlen;
  }
  if (pos !== msg.length) return formerr(q, true, q.edns, 'trailing bytes after the last record');
  if (q.edns && q.ednsVersion > 0) return BADVERS;
  return OK;
}
