// What policy errors say: ajv's schema errors in the operators' words, with the closest allowed key or value.
import type { ErrorObject } from 'ajv';
import { didYouMean } from '../suggest.js';
import { allowedKeysAt } from './schema-keys.js';
import { describePath, SECTIONS, type Path } from './sections.js';

function ajvMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    case 'required':
      return `missing key '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'enum':
      return `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
    case 'type':
      return `must be ${(e.params as { type: string }).type}`;
    case 'anyOf':
      return 'has the wrong form';
    case 'pattern':
      return `has the wrong format (${(e.params as { pattern: string }).pattern})`;
    default:
      return e.message ?? e.keyword;
  }
}

/** The value at path in a parsed tree, or undefined. */
function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** The located message of one schema error, with the closest allowed key or value when there is one. */
export function schemaMessage(e: ErrorObject, path: Path, value: unknown): string {
  const where = describePath(path);
  let text = ajvMessage(e);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    if (path.length === 0) {
      const hint = didYouMean(extra, SECTIONS);
      text = `unknown section '${extra}'${hint || ` (expected ${SECTIONS.join(', ')})`}`;
    } else text += didYouMean(extra, allowedKeysAt(path));
  } else if (e.keyword === 'enum') {
    const given = valueAt(value, path);
    if (typeof given === 'string')
      text += didYouMean(given, ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String));
  }
  return where ? `${where}: ${text}` : text;
}
