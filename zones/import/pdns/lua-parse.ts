// A parser for the part of Lua that PowerDNS LUA records use in practice: literals, tables, calls,
// `and`/`or`/`not`, `==`/`~=`, locals, if/elseif/else and return. It only builds a tree for the
// translator to read; nothing is run. Anything outside the subset is a LuaSubsetError saying what,
// so the record is listed as untranslated instead of the import failing.

export type LuaExpr =
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'bool'; readonly v: boolean }
  | { readonly k: 'nil' }
  | { readonly k: 'name'; readonly name: string }
  | { readonly k: 'table'; readonly items: readonly LuaExpr[]; readonly fields: ReadonlyMap<string, LuaExpr> }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly LuaExpr[] }
  | { readonly k: 'and' | 'or' | 'eq' | 'ne'; readonly a: LuaExpr; readonly b: LuaExpr }
  | { readonly k: 'not'; readonly a: LuaExpr };

export type LuaStmt =
  | { readonly k: 'local'; readonly names: readonly string[]; readonly values: readonly LuaExpr[] }
  | { readonly k: 'assign'; readonly name: string; readonly values: readonly LuaExpr[] }
  | { readonly k: 'if'; readonly clauses: readonly LuaClause[]; readonly otherwise: readonly LuaStmt[] | null }
  | { readonly k: 'return'; readonly values: readonly LuaExpr[] }
  | { readonly k: 'call'; readonly call: LuaExpr };

export interface LuaClause {
  readonly cond: LuaExpr;
  readonly body: readonly LuaStmt[];
}

/** Code outside the subset gslb reads (or not Lua at all). */
export class LuaSubsetError extends Error {}

type Tok =
  | { readonly t: 'name'; readonly v: string }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'op'; readonly v: string }
  | { readonly t: 'eof'; readonly v: '' };

const KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]); // prettier-ignore
const OPS = ['==', '~=', '<=', '>=', '..', '{', '}', '(', ')', '[', ']', ',', ';', '=', '<', '>', '+', '-', '*', '/', '%', '#', '.', ':', '^']; // prettier-ignore

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('--', i)) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      out.push({ t: 'name', v: m });
      i += m.length;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?)/.exec(src.slice(i))![0];
      out.push({ t: 'num', v: Number(m) });
      i += m.length;
    } else if (c === '"' || c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        const d = src[j];
        if (d === undefined || d === '\n') throw new LuaSubsetError('unfinished string');
        if (d === c) break;
        if (d === '\\') {
          const e = src[j + 1] ?? '';
          const digits = /^[0-9]{1,3}/.exec(src.slice(j + 1));
          if (digits) {
            v += String.fromCharCode(Number(digits[0]));
            j += 1 + digits[0].length;
            continue;
          }
          v += ESCAPES[e] ?? e;
          j += 2;
          continue;
        }
        v += d;
        j++;
      }
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (src.startsWith('[[', i)) {
      const end = src.indexOf(']]', i + 2);
      if (end < 0) throw new LuaSubsetError('unfinished long string');
      out.push({ t: 'str', v: src.slice(i + 2, end) });
      i = end + 2;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new LuaSubsetError(`unexpected character '${c}'`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  out.push({ t: 'eof', v: '' });
  return out;
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: readonly Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }
  private next(): Tok {
    return this.toks[this.pos++]!;
  }
  private is(v: string): boolean {
    const t = this.peek();
    return (t.t === 'op' || t.t === 'name') && t.v === v;
  }
  private accept(v: string): boolean {
    if (!this.is(v)) return false;
    this.pos++;
    return true;
  }
  private expect(v: string): void {
    if (!this.accept(v)) throw new LuaSubsetError(`expected '${v}' but found ${describe(this.peek())}`);
  }
  private ident(): string {
    const t = this.next();
    if (t.t !== 'name' || KEYWORDS.has(t.v)) throw new LuaSubsetError(`expected a name but found ${describe(t)}`);
    return t.v;
  }

  block(terminators: readonly string[]): LuaStmt[] {
    const body: LuaStmt[] = [];
    for (;;) {
      while (this.accept(';'));
      const t = this.peek();
      if (t.t === 'eof' || terminators.some((x) => this.is(x))) return body;
      body.push(this.statement());
      if (body[body.length - 1]!.k === 'return') {
        while (this.accept(';'));
        const after = this.peek();
        if (after.t !== 'eof' && !terminators.some((x) => this.is(x)))
          throw new LuaSubsetError(`'return' must end its block (found ${describe(after)})`);
        return body;
      }
    }
  }

  private statement(): LuaStmt {
    if (this.accept('local')) {
      if (this.is('function')) throw new LuaSubsetError('function definitions are not supported');
      const names = [this.ident()];
      while (this.accept(',')) names.push(this.ident());
      const values = this.accept('=') ? this.exprList() : [];
      return { k: 'local', names, values };
    }
    if (this.accept('if')) {
      const clauses: LuaClause[] = [];
      let otherwise: LuaStmt[] | null = null;
      const cond = this.expr();
      this.expect('then');
      clauses.push({ cond, body: this.block(['elseif', 'else', 'end']) });
      for (;;) {
        if (this.accept('elseif')) {
          const c = this.expr();
          this.expect('then');
          clauses.push({ cond: c, body: this.block(['elseif', 'else', 'end']) });
        } else if (this.accept('else')) {
          otherwise = this.block(['end']);
          this.expect('end');
          break;
        } else {
          this.expect('end');
          break;
        }
      }
      return { k: 'if', clauses, otherwise };
    }
    if (this.accept('return')) {
      const t = this.peek();
      const empty = t.t === 'eof' || this.is(';') || this.is('end') || this.is('else') || this.is('elseif');
      return { k: 'return', values: empty ? [] : this.exprList() };
    }
    const t = this.peek();
    if (t.t === 'name' && KEYWORDS.has(t.v)) throw new LuaSubsetError(`'${t.v}' statements are not supported`);
    const start = this.pos;
    const target = this.ident();
    if (this.accept('=')) return { k: 'assign', name: target, values: this.exprList() };
    this.pos = start;
    const call = this.primary();
    if (call.k !== 'call') throw new LuaSubsetError(`a statement must be a call or an assignment (found ${target})`);
    return { k: 'call', call };
  }

  private exprList(): LuaExpr[] {
    const list = [this.expr()];
    while (this.accept(',')) list.push(this.expr());
    return list;
  }

  expr(): LuaExpr {
    let a = this.andExpr();
    while (this.accept('or')) a = { k: 'or', a, b: this.andExpr() };
    return a;
  }
  private andExpr(): LuaExpr {
    let a = this.cmpExpr();
    while (this.accept('and')) a = { k: 'and', a, b: this.cmpExpr() };
    return a;
  }
  private cmpExpr(): LuaExpr {
    const a = this.unary();
    if (this.accept('==')) return { k: 'eq', a, b: this.unary() };
    if (this.accept('~=')) return { k: 'ne', a, b: this.unary() };
    for (const op of ['<', '>', '<=', '>=', '..', '+', '-', '*', '/', '%', '^'])
      if (this.is(op)) throw new LuaSubsetError(`the operator '${op}' is not supported`);
    return a;
  }
  private unary(): LuaExpr {
    if (this.accept('not')) return { k: 'not', a: this.unary() };
    if (this.is('-') || this.is('#')) throw new LuaSubsetError(`the operator '${this.peek().v}' is not supported`);
    return this.primary();
  }
  private primary(): LuaExpr {
    const t = this.next();
    let e: LuaExpr;
    if (t.t === 'str') e = { k: 'str', v: t.v };
    else if (t.t === 'num') e = { k: 'num', v: t.v };
    else if (t.t === 'op' && t.v === '(') {
      e = this.expr();
      this.expect(')');
    } else if (t.t === 'op' && t.v === '{') e = this.table();
    else if (t.t === 'name' && t.v === 'nil') e = { k: 'nil' };
    else if (t.t === 'name' && (t.v === 'true' || t.v === 'false')) e = { k: 'bool', v: t.v === 'true' };
    else if (t.t === 'name' && t.v === 'function') throw new LuaSubsetError('function definitions are not supported');
    else if (t.t === 'name' && !KEYWORDS.has(t.v)) e = { k: 'name', name: t.v };
    else throw new LuaSubsetError(`unexpected ${describe(t)}`);
    for (;;) {
      if (this.is('(') || this.is('{') || this.peek().t === 'str') {
        if (e.k !== 'name') throw new LuaSubsetError('only named functions can be called');
        let args: LuaExpr[];
        if (this.accept('(')) {
          args = this.is(')') ? [] : this.exprList();
          this.expect(')');
        } else args = [this.primary()]; // f{...} and f'...'
        e = { k: 'call', fn: e.name, args };
      } else if (this.is('.') || this.is(':') || this.is('[')) {
        throw new LuaSubsetError(`indexing and methods ('${this.peek().v}') are not supported`);
      } else return e;
    }
  }
  private table(): LuaExpr {
    const items: LuaExpr[] = [];
    const fields = new Map<string, LuaExpr>();
    while (!this.accept('}')) {
      if (this.accept('[')) {
        const key = this.expr();
        if (key.k !== 'str') throw new LuaSubsetError('table keys in [...] must be strings');
        this.expect(']');
        this.expect('=');
        fields.set(key.v, this.expr());
      } else if (
        this.peek().t === 'name' &&
        this.toks[this.pos + 1]?.v === '=' &&
        this.toks[this.pos + 1]?.t === 'op'
      ) {
        const key = this.ident();
        this.expect('=');
        fields.set(key, this.expr());
      } else items.push(this.expr());
      if (!this.accept(',') && !this.accept(';')) {
        this.expect('}');
        break;
      }
    }
    return { k: 'table', items, fields };
  }
}

function describe(t: Tok): string {
  if (t.t === 'eof') return 'the end';
  if (t.t === 'str') return `the string '${t.v}'`;
  return `'${t.v}'`;
}

/**
 * Parses a LUA record's snippet as PowerDNS runs it: a snippet starting with ';' is a block of
 * statements, any other an expression (PowerDNS prefixes 'return ').
 */
export function parseLuaSnippet(code: string): LuaStmt[] {
  const block = code.startsWith(';');
  return new Parser(tokenize(block ? code.slice(1) : `return ${code}`)).block([]);
}
