// gdnsd's configuration language (vscf, gdnsd.config(5) "LOW-LEVEL SYNTAX"): ordered hashes `{ k => v }`
// (or `k = v`), arrays `[ ]`, scalars quoted or bare with zone-file escapes, `#` and `;` comments,
// optional commas, and `$include{path}` in value and hash-merge context. Every node keeps the file and
// line it came from, so what cannot be translated is reported where the operator wrote it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ImportError } from '../import-errors.js';
import { readSource } from '../read-source.js';

export interface VPlace {
  readonly file: string;
  readonly line: number;
}

export interface VScalar extends VPlace {
  readonly kind: 'scalar';
  readonly value: string;
}

export interface VEntry {
  readonly key: string;
  readonly at: VPlace;
  readonly value: VNode;
}

export interface VHash extends VPlace {
  readonly kind: 'hash';
  readonly entries: readonly VEntry[];
}

export interface VArray extends VPlace {
  readonly kind: 'array';
  readonly items: readonly VNode[];
}

export type VNode = VScalar | VHash | VArray;

/** Characters a bare scalar may not hold (gdnsd.config(5)): brackets, braces, `;#,"=\` and whitespace. */
const BARE_STOP = /[\][}{;#,"=\\\s]/;
const MAX_INCLUDE_DEPTH = 16;

class Parser {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly depth: number,
  ) {}

  private fail(message: string, line = this.line): never {
    throw new ImportError('E_IMPORT_SOURCE_SYNTAX', this.file, line, message);
  }

  private here(): VPlace {
    return { file: this.file, line: this.line };
  }

  /** Skips whitespace and comments (commas too when `commas`). */
  private skip(commas: boolean): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || (commas && c === ',')) this.pos++;
      else if (c === '#' || c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else break;
    }
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  /** A quoted or bare string, escapes decoded. */
  private scalarText(): string {
    const t = this.text;
    const quoted = t[this.pos] === '"';
    const startLine = this.line;
    if (quoted) this.pos++;
    let out = '';
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) {
        if (quoted) this.fail('unterminated quoted string', startLine);
        break;
      }
      if (quoted && c === '"') {
        this.pos++;
        break;
      }
      if (!quoted && BARE_STOP.test(c) && c !== '\\') break;
      if (c === '\\') {
        const d = t.slice(this.pos + 1, this.pos + 4);
        if (/^[0-9]{3}$/.test(d)) {
          const v = Number(d);
          if (v > 255) this.fail(`escape \\${d} is above 255`);
          out += String.fromCharCode(v);
          this.pos += 4;
        } else if (this.pos + 1 < t.length && !/[0-9]/.test(t[this.pos + 1]!)) {
          out += t[this.pos + 1];
          if (t[this.pos + 1] === '\n') this.line++;
          this.pos += 2;
        } else this.fail('a backslash must be followed by a character or three digits');
        continue;
      }
      if (c === '\n') this.line++;
      out += c;
      this.pos++;
    }
    return out;
  }

  private scalar(): VScalar {
    const at = this.here();
    if (this.peek() === '$') this.fail(`unexpected '$' (only $include{...} may start with it)`);
    const value = this.scalarText();
    if (value === '' && this.text[this.pos - 1] !== '"') this.fail(`unexpected '${this.peek() ?? 'end of file'}'`);
    return { kind: 'scalar', value, ...at };
  }

  /** `$include{path}`: the path (relative to this file's folder). */
  private includePath(): { path: string; at: VPlace } {
    const at = this.here();
    if (!this.text.startsWith('$include{', this.pos))
      this.fail(`unexpected '$' (only $include{...} may start with it)`);
    this.pos += '$include{'.length;
    this.skip(false);
    const raw = this.scalarText();
    this.skip(false);
    if (this.peek() !== '}') this.fail(`$include{ is not closed by '}'`);
    this.pos++;
    return { path: isAbsolute(raw) ? raw : join(dirname(this.file), raw), at };
  }

  value(): VNode {
    this.skip(false);
    const c = this.peek();
    if (c === '{') return this.hash();
    if (c === '[') return this.array();
    if (c === '$') {
      const inc = this.includePath();
      const files = includeFiles(inc.path, inc.at);
      if (files.length !== 1)
        this.fail(`$include in value context must name one file (${files.length} match)`, inc.at.line);
      return parseFile(files[0]!, this.depth + 1, inc.at);
    }
    if (c === undefined) this.fail('a value is missing at the end of the file');
    if (c === '}' || c === ']' || c === ',' || c === '=') this.fail(`a value is missing before '${c}'`);
    return this.scalar();
  }

  private hash(): VHash {
    const at = this.here();
    this.pos++; // {
    const entries = this.hashBody('}');
    return { kind: 'hash', entries, ...at };
  }

  /** Hash entries up to `close` ('}' or the end of the file for the implicit top-level hash). */
  hashBody(close: '}' | null): VEntry[] {
    const entries: VEntry[] = [];
    const seen = new Map<string, number>();
    const add = (e: VEntry) => {
      const prev = seen.get(e.key);
      if (prev !== undefined) this.fail(`key '${e.key}' is defined twice (first at line ${prev})`, e.at.line);
      seen.set(e.key, e.at.line);
      entries.push(e);
    };
    for (;;) {
      this.skip(true);
      const c = this.peek();
      if (c === undefined) {
        if (close !== null) this.fail(`'{' is not closed by '}'`);
        return entries;
      }
      if (c === close) {
        this.pos++;
        return entries;
      }
      if (c === '}' || c === ']') this.fail(`unexpected '${c}'`);
      if (c === '$') {
        const inc = this.includePath();
        for (const f of includeFiles(inc.path, inc.at)) {
          const v = parseFile(f, this.depth + 1, inc.at);
          if (v.kind !== 'hash') this.fail(`$include{${f}} in a hash must hold a hash`, inc.at.line);
          for (const e of v.entries) add(e);
        }
        continue;
      }
      const at = this.here();
      const key = this.scalar().value;
      this.skip(false);
      if (this.text.startsWith('=>', this.pos)) this.pos += 2;
      else if (this.peek() === '=') this.pos++;
      else this.fail(`'=>' or '=' expected after key '${key}'`);
      add({ key, at, value: this.value() });
    }
  }

  private array(): VArray {
    const at = this.here();
    this.pos++; // [
    const items: VNode[] = [];
    for (;;) {
      this.skip(true);
      const c = this.peek();
      if (c === undefined) this.fail(`'[' is not closed by ']'`, at.line);
      if (c === ']') {
        this.pos++;
        return { kind: 'array', items, ...at };
      }
      items.push(this.value());
    }
  }

  /** The whole file: an implicit hash, or an explicit array. */
  top(): VNode {
    this.skip(true);
    if (this.peek() === '[') {
      const a = this.array();
      this.skip(true);
      if (this.peek() !== undefined) this.fail(`unexpected '${this.peek()}' after the top-level array`);
      return a;
    }
    return { kind: 'hash', entries: this.hashBody(null), file: this.file, line: 1 };
  }
}

/** The files an $include names: a file, every file of a folder, or a glob's matches (last part only). */
function includeFiles(path: string, at: VPlace): string[] {
  const glob = /[*?[]/.test(path);
  if (!glob) {
    if (existsSync(path) && statSync(path).isDirectory())
      return readdirSync(path)
        .filter((f) => !f.startsWith('.'))
        .sort()
        .map((f) => join(path, f));
    return [path];
  }
  const dir = dirname(path);
  const pattern = new RegExp(
    '^' +
      path
        .slice(dir.length + 1)
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  const found = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => !f.startsWith('.') && pattern.test(f))
        .sort()
    : [];
  if (found.length === 0)
    throw new ImportError('E_IMPORT_SOURCE_UNREADABLE', at.file, at.line, `$include{${path}} matches no file`);
  return found.map((f) => join(dir, f));
}

function parseFile(file: string, depth: number, from: VPlace | null): VNode {
  if (depth > MAX_INCLUDE_DEPTH)
    throw new ImportError('E_IMPORT_SOURCE_SYNTAX', from?.file ?? file, from?.line ?? 0, '$include nests too deep');
  return new Parser(readSource(file), file, depth).top();
}

/** Parses vscf text (the file name is for errors and relative $include paths). */
export function parseVscf(text: string, file: string): VNode {
  return new Parser(text, file, 0).top();
}

/** Reads and parses a vscf file. */
export function readVscf(file: string): VNode {
  return parseFile(file, 0, null);
}

/** The entry of `key` in a hash, or undefined. */
export function entry(h: VHash, key: string): VEntry | undefined {
  return h.entries.find((e) => e.key === key);
}

/** A scalar or array as a list of nodes ("anywhere an array is allowed, a single value will do"). */
export function listOf(v: VNode): readonly VNode[] {
  return v.kind === 'array' ? v.items : [v];
}
