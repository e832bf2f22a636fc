// RFC 1035 master-file parser: text -> ZoneRecords in file order, collecting every error with its line.
import { isAtOrBelow, nameToText, parseName, type DnsName } from './name.js';
import { QTYPE, type ZoneError, type ZoneRecord } from './records.js';
import { parseRdata, parseTime, parseType, typeName, type Token } from './rdata.js';
import type { ZoneErrorCode } from './zone-errors.js';

export interface ParseOptions {
  file: string;
  /** The zone apex, also the initial $ORIGIN. */
  origin: DnsName;
  /** Used like an initial $TTL. */
  defaultTtl?: number;
}

export interface ParseResult {
  records: ZoneRecord[];
  errors: ZoneError[];
}

/** RFC 2181 section 8: TTLs are 0..2^31-1. */
export const MAX_TTL = 2147483647;

/** One logical line: a record or directive, with parentheses already joined. */
export interface Entry {
  /** 1-based line where the entry starts. */
  line: number;
  /** 1-based line where it ends (after a closing parenthesis on a later line). */
  endLine: number;
  /** Line began with whitespace: the owner is the previous record's. */
  blankOwner: boolean;
  tokens: Token[];
  /** First syntax error found while tokenizing, if any. */
  error: string | null;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const SEMI = 0x3b;
const BACKSLASH = 0x5c;

/** Splits text into logical lines; a hand loop over char codes keeps large zones fast. */
function* entries(text: string): Generator<Entry> {
  const n = text.length;
  let i = 0;
  let line = 1;
  let depth = 0;
  let entry: Entry = newEntry(text, 0, 1);
  const fail = (message: string): void => {
    entry.error ??= message;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR) {
      i++;
    } else if (c === LF) {
      i++;
      line++;
      if (depth === 0) {
        entry.endLine = line - 1;
        if (entry.tokens.length > 0 || entry.error) yield entry;
        entry = newEntry(text, i, line);
      }
    } else if (c === SEMI) {
      while (i < n && text.charCodeAt(i) !== LF) i++;
    } else if (c === LPAREN) {
      depth++;
      i++;
    } else if (c === RPAREN) {
      if (depth === 0) fail('unbalanced parentheses');
      else depth--;
      i++;
    } else if (c === QUOTE) {
      const start = ++i;
      while (i < n) {
        const q = text.charCodeAt(i);
        if (q === QUOTE || q === LF) break;
        i += q === BACKSLASH && text.charCodeAt(i + 1) !== LF ? 2 : 1;
      }
      if (i < n && text.charCodeAt(i) === QUOTE) {
        entry.tokens.push({ text: text.slice(start, i), quoted: true });
        i++;
      } else {
        fail('unterminated quoted string'); // the newline is left for the main loop
      }
    } else {
      const start = i;
      while (i < n) {
        const w = text.charCodeAt(i);
        if (w === BACKSLASH) {
          // An escape keeps the next character in the word, even a delimiter.
          i += i + 1 < n && text.charCodeAt(i + 1) !== LF ? 2 : 1;
          continue;
        }
        if (
          w === SPACE ||
          w === TAB ||
          w === CR ||
          w === LF ||
          w === SEMI ||
          w === LPAREN ||
          w === RPAREN ||
          w === QUOTE
        )
          break;
        i++;
      }
      entry.tokens.push({ text: text.slice(start, i), quoted: false });
    }
  }
  if (depth > 0) fail('unbalanced parentheses');
  entry.endLine = line;
  if (entry.tokens.length > 0 || entry.error) yield entry;
}

/** The logical lines of a master file, for tools that rewrite one (gslb import): not the hot path. */
export function masterFileEntries(text: string): Iterable<Entry> {
  return entries(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

function newEntry(text: string, at: number, line: number): Entry {
  const c = text.charCodeAt(at);
  return { line, endLine: line, blankOwner: c === SPACE || c === TAB, tokens: [], error: null };
}

const CLASS_WORDS: ReadonlySet<string> = new Set(['IN', 'CH', 'CS', 'HS', 'NONE']);

function isClassWord(upper: string): boolean {
  return CLASS_WORDS.has(upper) || /^CLASS[0-9]+$/.test(upper);
}

/** What is wrong with an entry: its code (zone-errors.ts) and the message. */
interface Problem {
  readonly code: ZoneErrorCode;
  readonly message: string;
}

const problem = (code: ZoneErrorCode, message: string): Problem => ({ code, message });

/** Parses a TTL token; the message names the token as written. */
function ttlValue(text: string): number | Problem {
  const v = parseTime(text, MAX_TTL);
  if (v === 'syntax') return problem('E_ZONE_BAD_TTL', `TTL '${text}' is not a number`);
  if (v === 'range') return problem('E_ZONE_BAD_TTL', `TTL '${text}' is out of range (0..${MAX_TTL})`);
  return v;
}

/** Parser state carried from one entry to the next. */
class MasterFileParser {
  readonly records: ZoneRecord[] = [];
  readonly errors: ZoneError[] = [];
  private origin: DnsName;
  /** TTL for records without one: from $TTL, else the last explicit TTL (RFC 1035), else SOA minimum. */
  private defaultTtl: number | null;
  /** Once $TTL is seen, explicit TTLs stop changing the default (RFC 2308). */
  private ttlFromDirective: boolean;
  private owner: DnsName | null = null;
  /** The last owner was invalid: its continuation lines are checked but not kept, to avoid cascades. */
  private ownerBad = false;

  constructor(private readonly opts: ParseOptions) {
    this.origin = opts.origin;
    this.defaultTtl = opts.defaultTtl ?? null;
    this.ttlFromDirective = opts.defaultTtl !== undefined;
  }

  run(text: string): ParseResult {
    for (const e of entries(text)) {
      const first = e.tokens[0];
      // A leading '$' can never start valid RDATA, so directives are recognised even after whitespace.
      const error = first && !first.quoted && first.text.startsWith('$') ? this.directive(e) : this.record(e);
      if (error) this.errors.push({ file: this.opts.file, line: e.line, message: error.message, code: error.code });
    }
    return { records: this.records, errors: this.errors };
  }

  private directive(e: Entry): Problem | null {
    if (e.error) return problem('E_ZONE_SYNTAX', e.error);
    const [dir, arg, extra] = e.tokens as [Token, Token | undefined, Token | undefined];
    const name = dir.text.toUpperCase();
    if (name === '$INCLUDE') return problem('E_ZONE_UNSUPPORTED_DIRECTIVE', '$INCLUDE is not supported');
    if (name !== '$ORIGIN' && name !== '$TTL')
      return problem('E_ZONE_UNSUPPORTED_DIRECTIVE', `unknown directive '${dir.text}'`);
    if (!arg || arg.quoted)
      return problem('E_ZONE_BAD_DIRECTIVE', `${name} needs ${name === '$TTL' ? 'a TTL' : 'a domain name'}`);
    if (extra) return problem('E_ZONE_BAD_DIRECTIVE', `unexpected '${extra.text}' after ${name}`);
    if (name === '$ORIGIN') {
      const r = parseName(arg.text, this.origin);
      if (!r.ok) return problem('E_ZONE_BAD_DIRECTIVE', `bad $ORIGIN: ${r.error}`);
      this.origin = r.name;
      return null;
    }
    const ttl = ttlValue(arg.text);
    if (typeof ttl !== 'number') return ttl;
    this.defaultTtl = ttl;
    this.ttlFromDirective = true;
    return null;
  }

  private record(e: Entry): Problem | null {
    let k = 0;
    if (!e.blankOwner) {
      const tok = e.tokens[k++]!;
      this.ownerBad = true; // until proven good
      if (tok.quoted) return problem('E_ZONE_BAD_OWNER', `owner name must not be quoted`);
      const r = parseName(tok.text, this.origin);
      if (!r.ok) return problem('E_ZONE_BAD_OWNER', `bad owner name: ${r.error}`);
      this.owner = r.name;
      if (!isAtOrBelow(r.name.key, this.opts.origin.key)) {
        const message = `owner '${nameToText(r.name.wire)}' is outside the zone '${nameToText(this.opts.origin.wire)}'`;
        return problem('E_ZONE_OUT_OF_ZONE', message);
      }
      this.ownerBad = false;
    } else if (!this.owner && !this.ownerBad) {
      return problem('E_ZONE_NO_OWNER', 'record starts with whitespace but there is no previous owner name');
    }
    if (e.error) return problem('E_ZONE_SYNTAX', e.error);

    // TTL and class may come in either order, each at most once.
    let ttl: number | null = null;
    let sawClass = false;
    for (;;) {
      const tok = e.tokens[k];
      if (!tok || tok.quoted) break;
      const c0 = tok.text.charCodeAt(0);
      if (c0 >= 0x30 && c0 <= 0x39) {
        if (ttl !== null) return problem('E_ZONE_BAD_TTL', `duplicate TTL '${tok.text}'`);
        const v = ttlValue(tok.text);
        if (typeof v !== 'number') return v;
        ttl = v;
      } else {
        const upper = tok.text.toUpperCase();
        if (!isClassWord(upper)) break;
        if (sawClass) return problem('E_ZONE_BAD_CLASS', `duplicate class '${tok.text}'`);
        if (upper !== 'IN' && upper !== 'CLASS1')
          return problem('E_ZONE_BAD_CLASS', `class '${tok.text}' is not supported (only IN)`);
        sawClass = true;
      }
      k++;
    }
    if (ttl !== null && !this.ttlFromDirective) this.defaultTtl = ttl;

    const typeTok = e.tokens[k++];
    if (!typeTok) return problem('E_ZONE_BAD_TYPE', 'missing record type');
    if (typeTok.quoted) return problem('E_ZONE_BAD_TYPE', `unknown record type '"${typeTok.text}"'`);
    const type = parseType(typeTok.text);
    if (!type.ok) return problem('E_ZONE_BAD_TYPE', type.error);

    const rdata = parseRdata(type.value, e.tokens.slice(k), this.origin);
    if (!rdata.ok) return problem('E_ZONE_BAD_RDATA', rdata.error);

    if (ttl === null) ttl = this.defaultTtl;
    if (ttl === null) {
      // BIND behaviour: with no TTL known yet, an SOA takes its own MINIMUM, which then becomes the default.
      if (type.value !== QTYPE.SOA)
        return problem('E_ZONE_NO_TTL', `no TTL specified for ${typeName(type.value)} record (add $TTL)`);
      const last = rdata.rdata[rdata.rdata.length - 1];
      if (!Buffer.isBuffer(last) || last.length < 4)
        return problem('E_ZONE_NO_TTL', 'no TTL specified and SOA has no MINIMUM');
      ttl = Math.min(last.readUInt32BE(last.length - 4), MAX_TTL);
      this.defaultTtl = ttl;
    }

    if (this.ownerBad) return null; // already reported on the owner's own line
    this.records.push({
      owner: this.owner!,
      type: type.value,
      ttl,
      rdata: rdata.rdata,
      file: this.opts.file,
      line: e.line,
    });
    return null;
  }
}

/** Parses a whole master file; never throws on bad input: problems come back in `errors`. */
export function parseMasterFile(text: string, opts: ParseOptions): ParseResult {
  // Editors on Windows may save a UTF-8 byte-order mark; it must not become part of the first owner.
  return new MasterFileParser(opts).run(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
