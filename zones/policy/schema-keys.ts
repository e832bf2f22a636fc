// The keys the policy schema allows at a place in a policy file: what a mistyped key is compared
// with for "did you mean". Walks the schema's shape that the generated validator exports.
import { schemaShape, type SchemaNode } from '../policy-validator.js';
import type { Path } from './sections.js';

function resolveRef(ref: string): SchemaNode {
  let node: unknown = schemaShape;
  for (const seg of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[seg];
  return node as SchemaNode;
}

/** The node itself, its $ref followed, and each anyOf branch (endpoints are a string or an object). */
function alternatives(node: SchemaNode): SchemaNode[] {
  const n = node.$ref !== undefined ? resolveRef(node.$ref) : node;
  return n.anyOf ? n.anyOf.flatMap(alternatives) : [n];
}

/** Every key any closed object of the schema at `path` allows, in schema order. */
export function allowedKeysAt(path: Path): string[] {
  let nodes: SchemaNode[] = [schemaShape];
  for (const seg of path) {
    const next: SchemaNode[] = [];
    for (const n of nodes.flatMap(alternatives)) {
      const prop = n.properties?.[String(seg)];
      if (prop) next.push(prop);
      else if (typeof n.additionalProperties === 'object') next.push(n.additionalProperties);
      else if (n.items && /^[0-9]+$/.test(String(seg))) next.push(n.items);
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const n of nodes.flatMap(alternatives)) for (const k of Object.keys(n.properties ?? {})) keys.add(k);
  return [...keys];
}
