// Reads one policy file: YAML syntax, then the JSON Schema (schema.ts); the parsed strings copied out
// of the file's text so that nothing kept holds the whole text alive.
import jsYaml from 'js-yaml';
import type { Collector } from './collector.js';
import { PolicyFile } from './file.js';
import { validatePolicyFile } from './schema.js';
import { SECTIONS, sectionsNamedIn } from './sections.js';

/** V8 cuts strings of this length or more as views into their parent (SlicedString::kMinLength). */
const SLICE_MIN = 13;

/**
 * Replaces every longer string in a parsed tree by a copy of its own. js-yaml returns them as slices of
 * its own copy of the file, so a single kept address or URL would keep the whole text alive (13 MB
 * for a file of 100,000 names).
 */
function unslice(node: unknown): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      if (typeof v === 'string') {
        if (v.length >= SLICE_MIN) node[i] = Buffer.from(v, 'utf8').toString('utf8');
      } else if (v !== null && typeof v === 'object') unslice(v);
    }
  } else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    for (const k in o) {
      const v = o[k];
      if (typeof v === 'string') {
        if (v.length >= SLICE_MIN) o[k] = Buffer.from(v, 'utf8').toString('utf8');
      } else if (v !== null && typeof v === 'object') unslice(v);
    }
  }
}

/**
 * Parses and validates one file. A YAML error loses the whole file: the sections it names become
 * incomplete (every section when none can be told). A schema error loses only what it is in (see
 * validatePolicyFile). Null when nothing of the file is usable.
 */
export function readPolicyFile(file: string, text: string, errs: Collector): PolicyFile | null {
  let value: unknown;
  try {
    // YAML 1.2 core schema (no timestamps or other implicit types); duplicate keys are errors.
    value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file }) ?? {};
  } catch (err) {
    const e = err as { mark?: { line: number }; reason?: string; message: string };
    const given = e.reason ?? e.message.split('\n')[0]!;
    const duplicate = given === 'duplicated mapping key';
    const reason = duplicate ? 'duplicate key: a key is defined twice in this map' : given;
    const code = duplicate ? 'E_POLICY_YAML_DUPLICATE_KEY' : 'E_POLICY_YAML_SYNTAX';
    errs.errors.push({ file, line: (e.mark?.line ?? 0) + 1, message: `YAML: ${reason}`, code });
    const named = sectionsNamedIn(text, { likely: true });
    for (const s of named.length > 0 ? named : SECTIONS) errs.markIncomplete(s, file);
    return null;
  }
  unslice(value);
  const f = new PolicyFile(file, text, value as PolicyFile['value']);
  return validatePolicyFile(f, errs) ? f : null;
}
