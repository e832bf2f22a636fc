// The shape of a LUA record's code that gslb can express: locals, then either one returned value or
// a chain of conditions each returning a value (`if/elseif/else`, or `c1 and A or c2 and B or C`),
// with an optional value for everyone else. Anything with more control flow is untranslatable.
import type { LuaExpr, LuaStmt } from './lua-parse.js';
import { Untranslatable } from './plan.js';

export interface Branch {
  readonly cond: LuaExpr;
  readonly value: LuaExpr;
}

export interface Decision {
  readonly branches: readonly Branch[];
  /** The value for clients no condition matches; null: none (PowerDNS fails those queries). */
  readonly otherwise: LuaExpr | null;
  /** The record's locals by name (the latest binding wins, as in straight-line Lua). */
  readonly locals: ReadonlyMap<string, LuaExpr>;
}

function bind(s: Extract<LuaStmt, { k: 'local' }>, locals: Map<string, LuaExpr>): void {
  s.names.forEach((n, i) => locals.set(n, s.values[i] ?? { k: 'nil' }));
}

function single(values: readonly LuaExpr[]): LuaExpr {
  if (values.length !== 1) throw new Untranslatable(`returns ${values.length} values; a record's code returns one`);
  return values[0]!;
}

function refuse(s: LuaStmt): never {
  if (s.k === 'assign') throw new Untranslatable(`assigns '${s.name}' (only 'local' bindings are read)`);
  if (s.k === 'call') {
    const fn = s.call.k === 'call' ? s.call.fn : '?';
    throw new Untranslatable(
      fn === 'include'
        ? "include() runs another LUA record's code: inline it into this record first"
        : `calls ${fn}() for its effect`,
    );
  }
  throw new Untranslatable('has control flow beyond one if/elseif/else chain of returns');
}

/** The value of a clause body: its locals, then `return X`. */
function clauseValue(body: readonly LuaStmt[], locals: Map<string, LuaExpr>): LuaExpr | null {
  for (const s of body) {
    if (s.k === 'local') bind(s, locals);
    else if (s.k === 'return') return single(s.values);
    else refuse(s);
  }
  return null;
}

/** Splits `c1 and A or c2 and B or C` into branches and a default. */
function andOrChain(e: LuaExpr): { branches: Branch[]; otherwise: LuaExpr | null } | null {
  const terms: LuaExpr[] = [];
  const flatten = (x: LuaExpr): void => {
    if (x.k === 'or') {
      flatten(x.a);
      flatten(x.b);
    } else terms.push(x);
  };
  flatten(e);
  if (terms.length < 2 || terms[0]!.k !== 'and') return null;
  const branches: Branch[] = [];
  let otherwise: LuaExpr | null = null;
  terms.forEach((t, i) => {
    if (t.k === 'and') branches.push({ cond: t.a, value: t.b });
    else if (i === terms.length - 1) otherwise = t;
    else throw new Untranslatable("an 'or' chain whose terms are not 'condition and value'");
  });
  return { branches, otherwise };
}

export function decisionOf(body: readonly LuaStmt[]): Decision {
  const locals = new Map<string, LuaExpr>();
  const branches: Branch[] = [];
  let otherwise: LuaExpr | null = null;
  let done = false;
  for (const s of body) {
    if (done) throw new Untranslatable('has code after the value it returns');
    if (s.k === 'local') bind(s, locals);
    else if (s.k === 'if') {
      for (const c of s.clauses) {
        const value = clauseValue(c.body, locals);
        if (value === null) throw new Untranslatable('a branch that does not return');
        branches.push({ cond: c.cond, value });
      }
      if (s.otherwise) {
        otherwise = clauseValue(s.otherwise, locals);
        if (otherwise === null) throw new Untranslatable("an 'else' that does not return");
        done = true;
      }
    } else if (s.k === 'return') {
      const v = single(s.values);
      const chain = branches.length === 0 ? andOrChain(v) : null;
      if (chain) {
        branches.push(...chain.branches);
        otherwise = chain.otherwise;
      } else otherwise = v;
      done = true;
    } else refuse(s);
  }
  if (branches.length === 0 && otherwise === null) throw new Untranslatable('returns nothing');
  return { branches, otherwise, locals };
}
