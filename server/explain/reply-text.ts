// A reply's bytes read back for people (explain): the RCODE, the answer and authority records as
// `owner. TTL CLASS TYPE RDATA` lines, and the ECS scope of its OPT. What explain shows is what was
// sent. RDATA is in presentation form for the types the zones parser reads (A, AAAA, NS, CNAME, PTR,
// MX, TXT, SOA, SRV, CAA) and the DNSSEC ones a signed answer carries (RRSIG, NSEC, DNSKEY, DS, CDS,
// CDNSKEY), RFC 3597 `\# LEN HEX` for the rest. Names inside RDATA are written without the trailing
// dot (the root as `.`), as explain always wrote them. The RRSIGs' key tags and algorithms are read
// out too: which keys signed the answer.
import { formatIp } from '../../zones/address.js';
import { CLASS, EDNS_OPTION, HEADER_LENGTH, QTYPE, FLAGS2 } from '../../zones/dns.js';
import { nameToText } from '../../zones/name.js';
import { typeName } from '../../zones/rdata.js';

export interface ReplyText {
  /** The RCODE: the header's four bits and, with an OPT, its extended bits. */
  readonly rcode: number;
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  /** The last answer record's TTL; null without answers. */
  readonly ttl: number | null;
  /** The scope prefix of the OPT's Client Subnet option; null when the reply has none. */
  readonly ecsScope: number | null;
  /** The RRSIGs of the answer and authority sections: the type each covers, and its key's tag and algorithm. */
  readonly signatures: ReadonlyArray<{ readonly covered: number; readonly tag: number; readonly algorithm: number }>;
}

/** A reply that cannot be read: a bug in the encoder, not a user error. */
export class ReplyReadError extends Error {}

const CLASS_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(CLASS).map(([k, v]) => [v, k]));

const className = (c: number): string => CLASS_NAMES.get(c) ?? `CLASS${c}`;

/** Reads a reply's header, skips its questions, and renders its answer and authority records. */
export function readReply(msg: Buffer): ReplyText {
  if (msg.length < HEADER_LENGTH) throw new ReplyReadError(`reply of ${msg.length} bytes has no header`);
  const counts = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o)) as [number, number, number, number];
  let pos = HEADER_LENGTH;
  for (let i = 0; i < counts[0]; i++) pos = readName(msg, pos).end + 4;
  const answer: string[] = [];
  const authority: string[] = [];
  let ttl: number | null = null;
  let rcode = msg[3]! & FLAGS2.RCODE_MASK;
  let ecsScope: number | null = null;
  const signatures: Array<{ covered: number; tag: number; algorithm: number }> = [];
  for (let section = 1; section <= 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const owner = readName(msg, pos);
      pos = owner.end;
      const at = pos;
      need(msg, at + 10);
      const type = msg.readUInt16BE(at);
      const cls = msg.readUInt16BE(at + 2);
      const rrTtl = msg.readUInt32BE(at + 4);
      const rdlen = msg.readUInt16BE(at + 8);
      const start = at + 10;
      pos = start + rdlen;
      need(msg, pos);
      if (section === 3) {
        if (type === QTYPE.OPT) {
          rcode |= msg[at + 4]! << 4; // OPT's TTL field starts with the extended RCODE's upper bits
          ecsScope = clientSubnetScope(msg, start, pos) ?? ecsScope;
        }
        continue;
      }
      if (type === QTYPE.RRSIG && rdlen >= 18)
        signatures.push({
          covered: msg.readUInt16BE(start),
          algorithm: msg[start + 2]!,
          tag: msg.readUInt16BE(start + 16),
        });
      const line = `${owner.text} ${rrTtl} ${className(cls)} ${typeName(type)} ${rdataText(msg, type, start, pos)}`;
      if (section === 1) {
        answer.push(line);
        ttl = rrTtl;
      } else authority.push(line);
    }
  }
  return { rcode, answer, authority, ttl, ecsScope, signatures };
}

function need(msg: Buffer, end: number): void {
  if (end > msg.length) throw new ReplyReadError(`reply ends at ${msg.length}, a record needs ${end}`);
}

/** The ECS option's scope prefix among an OPT's options, or null. */
function clientSubnetScope(msg: Buffer, start: number, end: number): number | null {
  for (let p = start; p + 4 <= end;) {
    const code = msg.readUInt16BE(p);
    const len = msg.readUInt16BE(p + 2);
    if (code === EDNS_OPTION.ECS && len >= 4) return msg[p + 4 + 3]!;
    p += 4 + len;
  }
  return null;
}

/**
 * A possibly compressed name at pos: its presentation text (trailing dot) and where it ends in the
 * message. Pointers must point backwards, so a loop cannot happen.
 */
function readName(msg: Buffer, pos: number): { text: string; end: number } {
  const wire: number[] = [];
  let end = -1;
  let p = pos;
  for (;;) {
    need(msg, p + 1);
    const len = msg[p]!;
    if ((len & 0xc0) === 0xc0) {
      need(msg, p + 2);
      const target = ((len & 0x3f) << 8) | msg[p + 1]!;
      if (end < 0) end = p + 2;
      if (target >= p) throw new ReplyReadError(`name pointer at ${p} does not point backwards`);
      p = target;
      continue;
    }
    if (len > 63) throw new ReplyReadError(`label length ${len} at ${p}`);
    need(msg, p + 1 + len);
    for (let i = p; i <= p + len; i++) wire.push(msg[i]!);
    if (wire.length > 255) throw new ReplyReadError(`name at ${pos} is longer than 255 octets`);
    p += 1 + len;
    if (len === 0) break;
  }
  return { text: nameToText(Uint8Array.from(wire)), end: end < 0 ? p : end };
}

/** A name inside RDATA: without the trailing dot, the root as `.`. */
function rdataName(msg: Buffer, pos: number): { text: string; end: number } {
  const n = readName(msg, pos);
  return { text: n.text === '.' ? '.' : n.text.slice(0, -1), end: n.end };
}

/** A <character-string> in quotes: `"` and `\` escaped, bytes outside printable ASCII as \DDD. */
function characterString(b: Uint8Array): string {
  let out = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) out += '\\' + String(c).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** RFC 3597's form, for any type without its own (or RDATA that does not fit it). */
function generic(msg: Buffer, start: number, end: number): string {
  const len = end - start;
  return len === 0 ? '\\# 0' : `\\# ${len} ${msg.toString('hex', start, end)}`;
}

/** RDATA in presentation form; anything that does not read as its type falls back to the generic form. */
function rdataText(msg: Buffer, type: number, start: number, end: number): string {
  try {
    const text = typedRdata(msg, type, start, end);
    if (text !== null) return text;
  } catch (err) {
    if (!(err instanceof ReplyReadError) && !(err instanceof RangeError)) throw err;
  }
  return generic(msg, start, end);
}

/** The typed forms; null when the RDATA's length does not fit the type. */
function typedRdata(msg: Buffer, type: number, start: number, end: number): string | null {
  const len = end - start;
  /** A name that must end exactly at `end`. */
  const lastName = (p: number): string | null => {
    const n = rdataName(msg, p);
    return n.end === end ? n.text : null;
  };
  switch (type) {
    case QTYPE.A:
    case QTYPE.AAAA:
      return len === (type === QTYPE.A ? 4 : 16) ? formatIp(msg.subarray(start, end)) : null;
    case QTYPE.NS:
    case QTYPE.CNAME:
    case QTYPE.PTR:
      return lastName(start);
    case QTYPE.MX: {
      if (len < 3) return null;
      const exchange = lastName(start + 2);
      return exchange === null ? null : `${msg.readUInt16BE(start)} ${exchange}`;
    }
    case QTYPE.SRV: {
      if (len < 7) return null;
      const target = lastName(start + 6);
      if (target === null) return null;
      return `${msg.readUInt16BE(start)} ${msg.readUInt16BE(start + 2)} ${msg.readUInt16BE(start + 4)} ${target}`;
    }
    case QTYPE.SOA: {
      const mname = rdataName(msg, start);
      const rname = rdataName(msg, mname.end);
      if (rname.end + 20 !== end) return null;
      const timers = [0, 4, 8, 12, 16].map((o) => msg.readUInt32BE(rname.end + o));
      return `${mname.text} ${rname.text} ${timers.join(' ')}`;
    }
    case QTYPE.TXT: {
      if (len === 0) return null;
      const strings: string[] = [];
      for (let p = start; p < end;) {
        const n = msg[p]!;
        if (p + 1 + n > end) return null;
        strings.push(characterString(msg.subarray(p + 1, p + 1 + n)));
        p += 1 + n;
      }
      return strings.join(' ');
    }
    case QTYPE.CAA: {
      if (len < 2) return null;
      const tagLength = msg[start + 1]!;
      if (tagLength === 0 || start + 2 + tagLength > end) return null;
      const tag = msg.toString('latin1', start + 2, start + 2 + tagLength);
      return `${msg[start]} ${tag} ${characterString(msg.subarray(start + 2 + tagLength, end))}`;
    }
    case QTYPE.RRSIG: {
      if (len < 19) return null;
      const signer = rdataName(msg, start + 18);
      if (signer.end >= end) return null;
      const fields = [
        typeName(msg.readUInt16BE(start)),
        msg[start + 2],
        msg[start + 3],
        msg.readUInt32BE(start + 4),
        rrsigTime(msg.readUInt32BE(start + 8)),
        rrsigTime(msg.readUInt32BE(start + 12)),
        msg.readUInt16BE(start + 16),
        signer.text,
      ];
      return `${fields.join(' ')} ${msg.toString('base64', signer.end, end)}`;
    }
    case QTYPE.NSEC: {
      const next = rdataName(msg, start);
      if (next.end > end) return null;
      const types = bitmapTypes(msg, next.end, end);
      return types === null ? null : [next.text, ...types.map(typeName)].join(' ');
    }
    case QTYPE.DNSKEY:
    case QTYPE.CDNSKEY:
      if (len < 5) return null;
      return `${msg.readUInt16BE(start)} ${msg[start + 2]} ${msg[start + 3]} ${msg.toString('base64', start + 4, end)}`;
    case QTYPE.DS:
    case QTYPE.CDS:
      if (len < 5) return null;
      return `${msg.readUInt16BE(start)} ${msg[start + 2]} ${msg[start + 3]} ${msg.toString('hex', start + 4, end).toUpperCase()}`;
    default:
      return null;
  }
}

/** An RRSIG time as RFC 4034 3.2 writes it: YYYYMMDDHHmmSS (UTC). */
function rrsigTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The types of an NSEC type bitmap (RFC 4034 4.1.2), or null when it is malformed. */
function bitmapTypes(msg: Buffer, start: number, end: number): number[] | null {
  const out: number[] = [];
  for (let p = start; p < end;) {
    if (p + 2 > end) return null;
    const window = msg[p]!;
    const len = msg[p + 1]!;
    if (len < 1 || len > 32 || p + 2 + len > end) return null;
    for (let b = 0; b < len; b++)
      for (let bit = 0; bit < 8; bit++) if (msg[p + 2 + b]! & (0x80 >> bit)) out.push(window * 256 + b * 8 + bit);
    p += 2 + len;
  }
  return out;
}
