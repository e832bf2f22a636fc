// Per-type RDATA presentation text -> wire parts (names kept as DnsName so the encoder can compress them).
import { isIPv6 } from 'node:net';
import { parseName, type DnsName } from './name.js';
import { QTYPE } from './dns.js';
import { rdataLength, type RdataPart } from './records.js';

/** One master-file field: raw text with escapes left in place; `quoted` when it was written in double quotes. */
export interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

export type RdataResult = { ok: true; rdata: RdataPart[] } | { ok: false; error: string };
type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MNEMONIC_TO_TYPE: ReadonlyMap<string, number> = new Map(Object.entries(QTYPE));
const TYPE_TO_MNEMONIC: ReadonlyMap<number, string> = new Map(Object.entries(QTYPE).map(([k, v]) => [v, k]));

/** Mnemonic for messages: the known name, else the RFC 3597 TYPEnnn form. */
export function typeName(type: number): string {
  return TYPE_TO_MNEMONIC.get(type) ?? `TYPE${type}`;
}

/** Resolves a type mnemonic or TYPEnnn (case-insensitive) to a number that may appear in a zone. */
export function parseType(text: string): Parsed<number> {
  const upper = text.toUpperCase();
  let type = MNEMONIC_TO_TYPE.get(upper);
  if (type === undefined && upper.startsWith('TYPE')) {
    const n = parseUint(upper.slice(4), 0xffff);
    if (n !== null) type = n;
  }
  if (type === undefined) return { ok: false, error: `unknown record type '${text}'` };
  // 0 is reserved, OPT is hop-by-hop, 128..255 are query/meta types (RFC 6895): none belong in a zone.
  if (type === 0 || type === QTYPE.OPT || (type >= 128 && type <= 255)) {
    return { ok: false, error: `type '${text}' cannot appear in a zone file` };
  }
  return { ok: true, value: type };
}

/** Plain decimal digits up to `max`, else null. */
export function parseUint(text: string, max: number): number | null {
  if (text.length === 0 || text.length > 10) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n <= max ? n : null;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A time value in seconds: plain digits, or BIND style number+unit groups (1h30m, 1d, 2W).
 * Returns 'syntax' or 'range' on failure so callers can word their own message.
 */
export function parseTime(text: string, max: number): number | 'syntax' | 'range' {
  if (text.length === 0) return 'syntax';
  let total = 0;
  let i = 0;
  while (i < text.length) {
    const start = i;
    let n = 0;
    while (i < text.length) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      i++;
    }
    if (i === start) return 'syntax';
    if (i === text.length && start === 0) {
      total = n; // plain seconds
      break;
    }
    // BIND style: once units are used, every number needs one ('1h30' is an error).
    const unit = i < text.length ? UNIT_SECONDS[text[i]!.toLowerCase()] : undefined;
    if (unit === undefined) return 'syntax';
    i++;
    total += n * unit;
    if (total > max) return 'range'; // also keeps the sum far from float precision limits
  }
  return total <= max ? total : 'range';
}

const U32_MAX = 0xffffffff;

/** Decodes a character-string's escapes (\X and \DDD); other text becomes UTF-8. */
export function decodeString(raw: string): Parsed<Buffer> {
  const pieces: Buffer[] = [];
  let plainStart = 0;
  let i = 0;
  while (i < raw.length) {
    if (raw.charCodeAt(i) !== 0x5c) {
      i++;
      continue;
    }
    if (i > plainStart) pieces.push(Buffer.from(raw.slice(plainStart, i), 'utf8'));
    if (i + 1 >= raw.length) return { ok: false, error: `dangling backslash in '${raw}'` };
    const d3 = raw.slice(i + 1, i + 4);
    if (isDigit(d3, 0)) {
      const v = d3.length === 3 && isDigit(d3, 1) && isDigit(d3, 2) ? Number(d3) : 256;
      if (v > 255) return { ok: false, error: `bad escape '\\${d3}' in '${raw}'` };
      pieces.push(Buffer.from([v]));
      i += 4;
    } else {
      const cp = raw.codePointAt(i + 1)!;
      const ch = String.fromCodePoint(cp);
      pieces.push(Buffer.from(ch, 'utf8'));
      i += 1 + ch.length;
    }
    plainStart = i;
  }
  if (plainStart < raw.length) pieces.push(Buffer.from(raw.slice(plainStart), 'utf8'));
  return { ok: true, value: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces) };
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** Strict dotted quad: four 0..255 decimals without leading zeros. */
export function parseIPv4(text: string): Buffer | null {
  const out = Buffer.alloc(4);
  return readIPv4(text, out) ? out : null;
}

/**
 * Checks dotted-quad text from `start` to the end (four decimal octets, no leading zeros), writing the
 * octets to `out` when given. Allocates nothing: a 100,000-name policy checks 400,000 endpoint
 * addresses, and the query path reads resolver addresses with it.
 */
export function readIPv4(text: string, out: Uint8Array | null, start = 0): boolean {
  let part = 0;
  let octet = 0;
  let digits = 0;
  // One step past the end stands for a closing '.'.
  for (let i = start; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      if (out) out[part] = octet;
      part++;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && octet === 0) return false; // a leading zero
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return false;
    } else return false;
  }
  return part === 4;
}

/** Any valid IPv6 text (including '::' and a trailing dotted quad) expanded to 16 octets. */
export function parseIPv6(text: string): Buffer | null {
  if (!isIPv6(text) || text.includes('%')) return null; // no zone ids in a zone file
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) !== -1) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return null;
    s = `${s.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  const groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.writeUInt16BE(parseInt(g, 16), i * 2);
  }
  return out;
}

/** RFC 3597 generic RDATA: tokens after '\#' are a decimal length then hex (whitespace allowed between). */
function parseGeneric(tokens: readonly Token[]): RdataResult {
  const lenTok = tokens[0];
  if (!lenTok) return { ok: false, error: "'\\#' RDATA needs a length" };
  const len = lenTok.quoted ? null : parseUint(lenTok.text, 0xffff);
  if (len === null) return { ok: false, error: `bad RDATA length '${lenTok.text}' in \\# form` };
  const hex = tokens
    .slice(1)
    .map((t) => t.text)
    .join('');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    return { ok: false, error: `bad hex '${hex}' in \\# form` };
  }
  if (hex.length / 2 !== len) {
    return { ok: false, error: `\\# RDATA has ${hex.length / 2} octets but length says ${len}` };
  }
  return { ok: true, rdata: [Buffer.from(hex, 'hex')] };
}

/** Fixed-size wire lengths checked even for \# RDATA, so an A record is never the wrong size. */
const FIXED_LENGTH: ReadonlyMap<number, number> = new Map([
  [QTYPE.A, 4],
  [QTYPE.AAAA, 16],
]);

/** Field-level helpers that bail out of a type parser with a located message. */
class FieldError extends Error {}

class Fields {
  constructor(
    private readonly tokens: readonly Token[],
    private readonly type: string,
    private readonly origin: DnsName,
  ) {}

  /** The record type's mnemonic, for messages. */
  get typeName(): string {
    return this.type;
  }

  /** Requires exactly the named fields (none quoted). */
  expect(names: readonly string[]): void {
    const n = names.length;
    if (this.tokens.length !== n) {
      const s = n === 1 ? '' : 's';
      this.fail(`${this.type} record needs ${n} RDATA field${s} (${names.join(' ')}), got ${this.tokens.length}`);
    }
    for (const t of this.tokens) if (t.quoted) this.fail(`unexpected quoted string "${t.text}" in ${this.type} record`);
  }

  text(i: number): string {
    return this.tokens[i]!.text;
  }

  uint(i: number, max: number, what: string): Buffer {
    const n = parseUint(this.text(i), max);
    if (n === null) this.fail(`bad ${this.type} ${what} '${this.text(i)}'`);
    const b = Buffer.alloc(max === 0xff ? 1 : max === 0xffff ? 2 : 4);
    b.writeUIntBE(n, 0, b.length);
    return b;
  }

  time(i: number, what: string): number {
    const v = parseTime(this.text(i), U32_MAX);
    if (typeof v !== 'number') this.fail(`bad ${this.type} ${what} '${this.text(i)}'`);
    return v;
  }

  name(i: number, what: string): DnsName {
    const r = parseName(this.text(i), this.origin);
    if (!r.ok) this.fail(`bad ${this.type} ${what}: ${r.error}`);
    return r.name;
  }

  fail(message: string): never {
    throw new FieldError(message);
  }
}

type TypeParser = (f: Fields, tokens: readonly Token[]) => RdataPart[];

function oneName(what: string): TypeParser {
  return (f: Fields) => {
    f.expect([what]);
    return [f.name(0, what)];
  };
}

/** DNSSEC algorithm mnemonics (RFC 4034 appendix A.1, IANA), accepted where a number is. */
const ALGORITHM_MNEMONICS: ReadonlyMap<string, number> = new Map([
  ['RSAMD5', 1],
  ['DH', 2],
  ['DSA', 3],
  ['RSASHA1', 5],
  ['DSA-NSEC3-SHA1', 6],
  ['RSASHA1-NSEC3-SHA1', 7],
  ['RSASHA256', 8],
  ['RSASHA512', 10],
  ['ECC-GOST', 12],
  ['ECDSAP256SHA256', 13],
  ['ECDSAP384SHA384', 14],
  ['ED25519', 15],
  ['ED448', 16],
]);

/** A DNSSEC algorithm field: a decimal 0..255 or its mnemonic. */
function algorithmField(f: Fields, i: number, what: string): Buffer {
  const n = ALGORITHM_MNEMONICS.get(f.text(i).toUpperCase()) ?? parseUint(f.text(i), 0xff);
  if (n === null) f.fail(`bad ${what} algorithm '${f.text(i)}'`);
  return Buffer.from([n]);
}

/** Base64 split over any number of fields (RFC 4034 allows white space inside it), strictly decoded. */
export function decodeBase64(text: string): Buffer | null {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const b = Buffer.from(text, 'base64');
  return b.toString('base64') === text ? b : null; // refuses non-zero padding bits
}

/** The fields from `from` on, joined: base64 or hex that a record may write in several pieces. */
function joined(f: Fields, tokens: readonly Token[], from: number, what: string): string {
  if (tokens.length <= from) f.fail(`${f.typeName} record has no ${what}`);
  for (const t of tokens.slice(from))
    if (t.quoted) f.fail(`unexpected quoted string "${t.text}" in ${f.typeName} record`);
  return tokens
    .slice(from)
    .map((t) => t.text)
    .join('');
}

const PARSERS: ReadonlyMap<number, TypeParser> = new Map<number, TypeParser>([
  [
    QTYPE.A,
    (f: Fields) => {
      f.expect(['address']);
      const b = parseIPv4(f.text(0));
      if (!b) f.fail(`bad IPv4 address '${f.text(0)}' for A record`);
      return [b];
    },
  ],
  [
    QTYPE.AAAA,
    (f: Fields) => {
      f.expect(['address']);
      const b = parseIPv6(f.text(0));
      if (!b) f.fail(`bad IPv6 address '${f.text(0)}' for AAAA record`);
      return [b];
    },
  ],
  [QTYPE.NS, oneName('nsdname')],
  [QTYPE.CNAME, oneName('target')],
  [QTYPE.PTR, oneName('ptrdname')],
  [
    QTYPE.MX,
    (f: Fields) => {
      f.expect(['preference', 'exchange']);
      return [f.uint(0, 0xffff, 'preference'), f.name(1, 'exchange')];
    },
  ],
  [
    QTYPE.SRV,
    (f: Fields) => {
      f.expect(['priority', 'weight', 'port', 'target']);
      const fixed = Buffer.concat([
        f.uint(0, 0xffff, 'priority'),
        f.uint(1, 0xffff, 'weight'),
        f.uint(2, 0xffff, 'port'),
      ]);
      return [fixed, f.name(3, 'target')];
    },
  ],
  [
    QTYPE.SOA,
    (f: Fields) => {
      f.expect(['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum']);
      const mname = f.name(0, 'mname');
      const rname = f.name(1, 'rname');
      const timers = Buffer.alloc(20);
      f.uint(2, U32_MAX, 'serial').copy(timers, 0);
      const what = ['refresh', 'retry', 'expire', 'minimum'];
      for (let i = 0; i < 4; i++) timers.writeUInt32BE(f.time(3 + i, what[i]!), 4 + i * 4);
      return [mname, rname, timers];
    },
  ],
  [
    QTYPE.TXT,
    (f: Fields, tokens: readonly Token[]) => {
      if (tokens.length === 0) f.fail('TXT record needs at least one string');
      const parts: Buffer[] = [];
      for (const t of tokens) {
        const s = decodeString(t.text);
        if (!s.ok) f.fail(`bad TXT string: ${s.error}`);
        if (s.value.length > 255) f.fail(`TXT string of ${s.value.length} octets is longer than 255`);
        parts.push(Buffer.from([s.value.length]), s.value);
      }
      return [Buffer.concat(parts)];
    },
  ],
  [
    // RFC 4034 section 5.3: key tag, algorithm, digest type, digest in hex (may be split by spaces).
    QTYPE.DS,
    (f: Fields, tokens: readonly Token[]) => {
      if (tokens.length < 4)
        f.fail(`DS record needs 4 RDATA fields (key-tag algorithm digest-type digest), got ${tokens.length}`);
      const fixed = Buffer.concat([
        f.uint(0, 0xffff, 'key tag'),
        algorithmField(f, 1, 'DS'),
        f.uint(2, 0xff, 'digest type'),
      ]);
      const hex = joined(f, tokens, 3, 'digest');
      if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) f.fail(`bad DS digest '${hex}': not hex`);
      return [Buffer.concat([fixed, Buffer.from(hex, 'hex')])];
    },
  ],
  [
    // RFC 4034 section 2.2: flags, protocol (always 3), algorithm, public key in base64 (may be split).
    QTYPE.DNSKEY,
    (f: Fields, tokens: readonly Token[]) => {
      if (tokens.length < 4)
        f.fail(`DNSKEY record needs 4 RDATA fields (flags protocol algorithm key), got ${tokens.length}`);
      const protocol = parseUint(f.text(1), 0xff);
      if (protocol !== 3) f.fail(`bad DNSKEY protocol '${f.text(1)}': it is always 3 (RFC 4034 section 2.1.2)`);
      const fixed = Buffer.concat([f.uint(0, 0xffff, 'flags'), Buffer.from([3]), algorithmField(f, 2, 'DNSKEY')]);
      const text = joined(f, tokens, 3, 'public key');
      const key = decodeBase64(text);
      if (!key) f.fail(`bad DNSKEY public key: '${text.length > 40 ? text.slice(0, 40) + '...' : text}' is not base64`);
      return [Buffer.concat([fixed, key])];
    },
  ],
  [
    QTYPE.CAA,
    (f: Fields, tokens: readonly Token[]) => {
      if (tokens.length !== 3) f.fail(`CAA record needs 3 RDATA fields (flags tag value), got ${tokens.length}`);
      const flags = f.uint(0, 0xff, 'flags');
      const tag = f.text(1);
      // RFC 8659 section 4.1: tags are non-empty and ASCII letters and digits only.
      if (tokens[1]!.quoted || !/^[a-zA-Z0-9]{1,255}$/.test(tag)) f.fail(`bad CAA tag '${tag}'`);
      const value = decodeString(f.text(2));
      if (!value.ok) f.fail(`bad CAA value: ${value.error}`);
      return [Buffer.concat([flags, Buffer.from([tag.length]), Buffer.from(tag, 'latin1'), value.value])];
    },
  ],
]);

/** Parses the RDATA fields of one record of `type`; relative names complete with `origin`. */
export function parseRdata(type: number, tokens: readonly Token[], origin: DnsName): RdataResult {
  const name = typeName(type);
  const first = tokens[0];
  let result: RdataResult;
  if (first && !first.quoted && first.text === '\\#') {
    result = parseGeneric(tokens.slice(1));
    const want = FIXED_LENGTH.get(type);
    const got = result.ok ? rdataLength(result.rdata) : want;
    if (want !== undefined && got !== want)
      return { ok: false, error: `${name} RDATA must be ${want} octets, \\# form gives ${got}` };
  } else {
    const parser = PARSERS.get(type);
    if (!parser) return { ok: false, error: `${name} RDATA must use the RFC 3597 '\\# length hex' form` };
    try {
      result = { ok: true, rdata: parser(new Fields(tokens, name, origin), tokens) };
    } catch (e) {
      if (e instanceof FieldError) return { ok: false, error: e.message };
      throw e;
    }
  }
  if (result.ok) {
    const len = rdataLength(result.rdata);
    if (len > 0xffff) return { ok: false, error: `${name} RDATA is ${len} octets, more than 65535` };
  }
  return result;
}
