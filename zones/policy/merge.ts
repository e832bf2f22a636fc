// Merges the sections of a zone's policy files into one map per section: a key defined in two files is
// an error that names both.
import type { Collector } from './collector.js';
import { lineOf, type PolicyFile } from './file.js';
import { SECTIONS, type Section } from './sections.js';

/** One entry of a section as parsed (the schema has checked its form). */
export type Raw = Record<string, unknown>;

/** An entry and the file that defines it (its errors are located there). */
export interface Owned<T> {
  readonly value: T;
  readonly file: PolicyFile;
}

export type Merged = Record<Section, Map<string, Owned<Raw>>>;

/** One empty map per section. */
export function emptySections(): Merged {
  // Maps, not objects: a 100,000-key object is a slow hash table, and enumerating it sorts its keys.
  return {
    datacenters: new Map(),
    checks: new Map(),
    loads: new Map(),
    regions: new Map(),
    names: new Map(),
    dnssec: new Map(),
  };
}

/** Adds one file's entries to merged (files in load order, so errors stay in file order). */
export function mergeFile(merged: Merged, f: PolicyFile, errs: Collector): void {
  for (const section of SECTIONS) {
    const entries = f.value[section];
    if (!entries) continue;
    for (const key in entries) {
      const value = entries[key];
      const prev = merged[section].get(key);
      if (prev) {
        const where = `${prev.file.file}:${lineOf(prev.file, [section, key])}`;
        errs.at(f, [section, key], 'E_POLICY_DEFINED_TWICE', `defined twice: here and in ${where}`);
        continue;
      }
      merged[section].set(key, { value: value as Raw, file: f });
    }
  }
}
