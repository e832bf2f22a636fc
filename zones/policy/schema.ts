// A parsed policy file against the JSON Schema: every error located, and only what they touch dropped
// (the entry an error is in, or the section when the section itself has the wrong form).
import type { ErrorObject } from 'ajv';
// policy.schema.json compiled at build time (scripts/gen-policy-validator.mjs): ajv's compiler is
// never loaded by the server.
import validateFile from '../policy-validator.js';
import { closestMatch } from '../suggest.js';
import type { Collector } from './collector.js';
import { schemaCode, schemaMessage } from './errors.js';
import { lineOf, type PolicyFile } from './file.js';
import { SECTIONS, type Section } from './sections.js';

/**
 * Validates a parsed file. A schema error loses only the entry it is in (a datacenter, a name) or the
 * section, when the section itself has the wrong form, and makes that section incomplete; the rest of
 * the file is kept (the lost parts deleted from f.value). False when nothing of the file is usable.
 */
export function validatePolicyFile(f: PolicyFile, errs: Collector): boolean {
  const value: unknown = f.value;
  if (validateFile(value)) return true;
  const file = f.file;
  // anyOf reports every branch's errors: keep the ones from the branch that fits the value's shape. A
  // branch whose type does not fit says nothing more (`from: []` is not a wrong enum value).
  const raw = validateFile.errors ?? [];
  const all = raw.filter(
    (e) =>
      e.keyword === 'type' ||
      !raw.some(
        (o) =>
          o.keyword === 'type' &&
          o.instancePath === e.instancePath &&
          o.schemaPath === e.schemaPath.replace(/[^/]+$/, 'type'),
      ),
  );
  const deeperOrOther = (e: ErrorObject) =>
    all.some(
      (o) =>
        o !== e &&
        o.keyword !== 'type' &&
        o.keyword !== 'anyOf' &&
        (o.instancePath === e.instancePath || o.instancePath.startsWith(e.instancePath + '/')),
    );
  const seen = new Set<string>();
  /** Sections lost whole, and entries lost (section -> keys). */
  const lostSections = new Set<string>();
  const lostEntries = new Map<string, Set<string>>();
  let usable = value !== null && typeof value === 'object' && !Array.isArray(value);
  for (const e of all) {
    if ((e.keyword === 'anyOf' || e.keyword === 'type') && deeperOrOther(e)) continue;
    const path = e.instancePath.split('/').slice(1).map(decodeURIComponent);
    const message = schemaMessage(e, path, value);
    // An unknown key is reported at its own line, other errors at the value's.
    const at =
      e.keyword === 'additionalProperties'
        ? [...path, (e.params as { additionalProperty: string }).additionalProperty]
        : path;
    if (!seen.has(message + at.join('/'))) {
      seen.add(message + at.join('/'));
      errs.errors.push({ file, line: lineOf(f, at), message, code: schemaCode(e, path) });
    }
    const [section, key] = path;
    if (section === undefined) {
      if (e.keyword !== 'additionalProperties') usable = false;
      else {
        // A misspelt section: what it meant to define is missing (anything, when it is not like one).
        const meant = closestMatch((e.params as { additionalProperty: string }).additionalProperty, SECTIONS);
        for (const s of meant !== null ? [meant as Section] : SECTIONS) errs.markIncomplete(s, file);
      }
      continue;
    }
    errs.markIncomplete(section as Section, file, key);
    if (key === undefined) lostSections.add(section);
    else {
      const keys = lostEntries.get(section) ?? new Set<string>();
      keys.add(key);
      lostEntries.set(section, keys);
    }
  }
  if (!usable) {
    for (const s of SECTIONS) errs.markIncomplete(s, file);
    return false;
  }
  for (const s of lostSections) delete f.value[s];
  for (const [s, keys] of lostEntries) {
    const entries = f.value[s];
    if (entries) for (const k of keys) delete entries[k];
  }
  return true;
}
