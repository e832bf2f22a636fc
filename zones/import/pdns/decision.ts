// The shape of a LUA record's code that gslb can express: locals, then either one returned value or
// a chain of conditions each giving a value, with an optional value for everyone else. The chain may
// be written `if/elseif/else` with a return in each branch, `c1 and A or c2 and B or C`, or (as in
// PowerDNS's own GSLB examples) branches that reassign locals before one final return. Anything with
// more control flow is untranslatable.
import type { LuaExpr, LuaStmt } from './lua-parse.js';
import { Untranslatable } from './plan.js';

/** The locals a value is read with: name -> value. */
export type Env = ReadonlyMap<string, LuaExpr>;

export interface Branch {
  readonly cond: LuaExpr;
  readonly value: LuaExpr;
  readonly env: Env;
}

export interface Decision {
  readonly branches: readonly Branch[];
  /** The value for clients no condition matches; null: none (PowerDNS fails those queries). */
  readonly otherwise: LuaExpr | null;
  readonly env: Env;
}

function single(values: readonly LuaExpr[]): LuaExpr {
  if (values.length !== 1) throw new Untranslatable(`returns ${values.length} values; a record's code returns one`);
  return values[0]!;
}

/** Runs a local or an assignment to a local into `env`; anything else is refused. */
function bind(s: LuaStmt, env: Map<string, LuaExpr>): void {
  if (s.k === 'local') {
    s.names.forEach((n, i) => env.set(n, s.values[i] ?? { k: 'nil' }));
    return;
  }
  if (s.k === 'assign') {
    if (!env.has(s.name)) throw new Untranslatable(`assigns the global '${s.name}' (only locals are read)`);
    env.set(s.name, single(s.values));
    return;
  }
  if (s.k === 'call') {
    const fn = s.call.k === 'call' ? s.call.fn : '?';
    throw new Untranslatable(
      fn === 'include'
        ? "include() runs another LUA record's code: inline it into this record first"
        : `calls ${fn}() for its effect`,
    );
  }
  throw new Untranslatable('has control flow beyond one if/elseif/else chain');
}

/** A clause body: its locals and assignments, then maybe `return X` (null: it falls through). */
function clause(body: readonly LuaStmt[], env: Map<string, LuaExpr>): LuaExpr | null {
  for (const s of body) {
    if (s.k === 'return') return single(s.values);
    bind(s, env);
  }
  return null;
}

/** Splits `c1 and A or c2 and B or C` into conditions and values, and the default. */
function andOrChain(e: LuaExpr): { pairs: [LuaExpr, LuaExpr][]; otherwise: LuaExpr | null } | null {
  const terms: LuaExpr[] = [];
  const flatten = (x: LuaExpr): void => {
    if (x.k === 'or') {
      flatten(x.a);
      flatten(x.b);
    } else terms.push(x);
  };
  flatten(e);
  if (terms.length < 2 || terms[0]!.k !== 'and') return null;
  const pairs: [LuaExpr, LuaExpr][] = [];
  let otherwise: LuaExpr | null = null;
  terms.forEach((t, i) => {
    if (t.k === 'and') pairs.push([t.a, t.b]);
    else if (i === terms.length - 1) otherwise = t;
    else throw new Untranslatable("an 'or' chain whose terms are not 'condition and value'");
  });
  return { pairs, otherwise };
}

export function decisionOf(body: readonly LuaStmt[]): Decision {
  const env = new Map<string, LuaExpr>();
  // Branches in order; a branch that only reassigned locals gets its value at the final return.
  const branches: { cond: LuaExpr; value: LuaExpr | null; env: Map<string, LuaExpr> }[] = [];
  let seenIf = false;
  for (const [i, s] of body.entries()) {
    if (s.k === 'if') {
      if (seenIf) throw new Untranslatable('has more than one if statement');
      seenIf = true;
      for (const c of s.clauses) {
        const own = new Map(env);
        branches.push({ cond: c.cond, value: clause(c.body, own), env: own });
      }
      if (s.otherwise) {
        const own = new Map(env);
        const value = clause(s.otherwise, own);
        if (value !== null) {
          if (i !== body.length - 1) throw new Untranslatable('has code after the value it returns');
          if (branches.some((b) => b.value === null))
            throw new Untranslatable("an 'else' that returns while a branch falls through");
          return { branches: branches.map((b) => ({ ...b, value: b.value! })), otherwise: value, env: own };
        }
        // An else that only reassigns: its locals are everyone else's.
        env.clear();
        for (const [k, v] of own) env.set(k, v);
      }
    } else if (s.k === 'return') {
      if (i !== body.length - 1) throw new Untranslatable('has code after the value it returns');
      const v = single(s.values);
      const chain = branches.length === 0 ? andOrChain(v) : null;
      if (chain)
        return {
          branches: chain.pairs.map(([cond, value]) => ({ cond, value, env })),
          otherwise: chain.otherwise,
          env,
        };
      return { branches: branches.map((b) => ({ ...b, value: b.value ?? v })), otherwise: v, env };
    } else if (seenIf && (s.k === 'assign' || s.k === 'local')) {
      // After the if, a binding holds for every branch that fell through, and for everyone else.
      for (const b of branches) if (b.value === null) bind(s, b.env);
      bind(s, env);
    } else bind(s, env);
  }
  if (branches.length === 0) throw new Untranslatable('returns nothing');
  if (branches.some((b) => b.value === null))
    throw new Untranslatable('a branch that does not return, and no return after it');
  return { branches: branches.map((b) => ({ ...b, value: b.value! })), otherwise: null, env };
}
