// Frozen config records (regions, names) that know their line in the policy file, found only when asked.
import { lineOf, type PolicyFile } from './file.js';
import type { Path } from './sections.js';

const SOURCE = Symbol('policy file');
const PATH = Symbol('path in the file');
type Sourced = { readonly [SOURCE]: PolicyFile; readonly [PATH]: Path; readonly label: string };

// The line getters live on shared prototypes: a frozen object literal with its own getter is a
// ~800-byte dictionary-mode object in V8, and a closure per record costs ~150 bytes (x 100,000 names).
/** Records at a path of their own (regions). */
const AT_PATH = Object.freeze({
  get line(): number {
    const self = this as unknown as Sourced;
    return lineOf(self[SOURCE], self[PATH]);
  },
});
/** Names: the path is ['names', label], not stored. */
const AT_NAME = Object.freeze({
  get line(): number {
    const self = this as unknown as Sourced;
    return lineOf(self[SOURCE], ['names', self.label]);
  },
});

/**
 * A frozen record whose `line` is found on first use (it needs the slow position-keeping parse of its
 * file), until the file is released after loading. A null path: a name, at ['names', fields.label].
 */
export function located<T extends object>(fields: T, f: PolicyFile, path: Path | null): T & { readonly line: number } {
  const o = Object.create(path === null ? AT_NAME : AT_PATH) as Record<symbol, unknown>;
  Object.assign(o, fields);
  o[SOURCE] = f;
  if (path !== null) o[PATH] = path;
  return Object.freeze(o) as T & { readonly line: number };
}
