// Splits a master file from another server into what gslb reads as is (the static records) and the
// entries it must translate (gdnsd's DYNA/DYNC, PowerDNS's LUA) or leave out ($ADDR_LIMIT_V4...).
// The static text keeps every line where it was, the moved entries commented out, so the errors
// gslb check reports about it point at the same lines as the source.
import { masterFileEntries } from '../masterfile.js';
import { nameToText, parseName, type DnsName } from '../name.js';
import { MAX_TTL } from '../masterfile.js';
import { parseTime, type Token } from '../rdata.js';
import { ImportError } from './import-errors.js';

/** An entry moved out of the static text: a dynamic record to translate. */
export interface DynamicEntry {
  /** Absolute, lower case, without the trailing dot ('' for the root). */
  readonly owner: string;
  /** Its own TTL, or null (the zone's default then applies). */
  readonly ttl: number | null;
  /** The TTL a record without one would get here ($TTL, else the last explicit TTL), or null. */
  readonly defaultTtl: number | null;
  /** The $TTL in effect here, or null (gdnsd ignores earlier explicit TTLs: it falls back to its own default). */
  readonly ttlDirective: number | null;
  /** The record type as written, upper case (DYNA, DYNC, LUA). */
  readonly type: string;
  /** The tokens after the type (quoted strings unquoted, their escapes kept). */
  readonly args: readonly Token[];
  readonly line: number;
  readonly endLine: number;
}

/** A directive left out of the static text. */
export interface DroppedDirective {
  readonly name: string;
  readonly args: readonly Token[];
  readonly line: number;
}

export interface SplitMasterFile {
  /** The text gslb reads: the same lines, moved entries and dropped directives commented out. */
  readonly text: string;
  readonly dynamic: readonly DynamicEntry[];
  readonly dropped: readonly DroppedDirective[];
}

export interface SplitOptions {
  /** The file's name as printed in errors. */
  readonly file: string;
  /** The zone apex (the initial $ORIGIN), without the trailing dot. */
  readonly origin: string;
  /** Record types to move out, upper case. */
  readonly dynamicTypes: ReadonlySet<string>;
  /** Directives to leave out (upper case, with the $), beside $ORIGIN and $TTL which stay. */
  readonly dropDirectives: ReadonlySet<string>;
}

const CLASS = /^(IN|CH|CS|HS|NONE|CLASS[0-9]+)$/i;

function absolute(name: DnsName): string {
  return nameToText(name.wire).replace(/\.$/, '').toLowerCase();
}

export function splitMasterFile(text: string, o: SplitOptions): SplitMasterFile {
  const lines = text.split('\n');
  const originName = parseName(o.origin === '' ? '.' : `${o.origin}.`, null);
  if (!originName.ok) throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, 0, `bad zone name '${o.origin}'`);
  let origin = originName.name;
  let owner: string | null = null;
  let defaultTtl: number | null = null;
  let ttlDirective: number | null = null;
  // A moved entry named its owner: the next kept entry that inherits it must be given the name.
  let ownerMoved = false;
  const dynamic: DynamicEntry[] = [];
  const dropped: DroppedDirective[] = [];
  const commentOut = (from: number, to: number, why: string) => {
    for (let l = from; l <= to; l++) lines[l - 1] = `; ${why}: ${lines[l - 1]}`;
  };
  for (const e of masterFileEntries(text)) {
    if (e.error) throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, e.line, e.error);
    const first = e.tokens[0]!;
    if (!first.quoted && first.text.startsWith('$')) {
      const name = first.text.toUpperCase();
      const arg = e.tokens[1];
      if (name === '$ORIGIN' && arg) {
        const r = parseName(arg.text, origin);
        if (!r.ok) throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, e.line, `bad $ORIGIN: ${r.error}`);
        origin = r.name;
      } else if (name === '$TTL' && arg) {
        const t = parseTime(arg.text, MAX_TTL);
        if (typeof t === 'number') defaultTtl = ttlDirective = t;
      } else if (o.dropDirectives.has(name)) {
        dropped.push({ name, args: e.tokens.slice(1), line: e.line });
        commentOut(e.line, e.endLine, 'left out by gslb import');
      }
      continue;
    }
    let k = 0;
    const explicitOwner = !e.blankOwner;
    if (explicitOwner) {
      const r = parseName(e.tokens[k++]!.text, origin);
      if (!r.ok) throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, e.line, `bad owner name: ${r.error}`);
      owner = absolute(r.name);
    }
    let ttl: number | null = null;
    for (let tok = e.tokens[k]; tok && !tok.quoted; tok = e.tokens[++k]) {
      const c0 = tok.text.charCodeAt(0);
      if (c0 >= 0x30 && c0 <= 0x39) {
        const t = parseTime(tok.text, MAX_TTL);
        if (typeof t !== 'number')
          throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, e.line, `bad TTL '${tok.text}'`);
        ttl = t;
      } else if (!CLASS.test(tok.text)) break;
    }
    const typeTok = e.tokens[k++];
    if (!typeTok) throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, e.line, 'missing record type');
    const type = typeTok.text.toUpperCase();
    if (owner === null) throw new ImportError('E_IMPORT_SOURCE_SYNTAX', o.file, e.line, 'no owner name');
    if (o.dynamicTypes.has(type)) {
      dynamic.push({
        owner,
        ttl,
        defaultTtl,
        ttlDirective,
        type,
        args: e.tokens.slice(k),
        line: e.line,
        endLine: e.endLine,
      });
      commentOut(e.line, e.endLine, 'moved to the policy by gslb import');
      if (explicitOwner) ownerMoved = true;
    } else if (ownerMoved && !explicitOwner) {
      lines[e.line - 1] = `${owner === '' ? '.' : owner + '.'}${lines[e.line - 1]}`;
      ownerMoved = false;
    } else {
      ownerMoved = false;
    }
    if (ttl !== null && ttlDirective === null) defaultTtl = ttl;
  }
  return { text: lines.join('\n'), dynamic, dropped };
}
