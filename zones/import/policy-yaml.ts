// The policy file an import writes: a header of comments saying where it came from, then the
// sections as YAML, with each map or list that holds only scalars (an endpoint entry, a list of
// countries) in flow style, so a pool reads one endpoint a line as in the hand-written examples.
import { Document, isCollection, isScalar, visit } from 'yaml';

/** `header` lines become `# ` comments; `policy` holds the sections (checks, datacenters, regions, names). */
export function policyYaml(header: readonly string[], policy: Readonly<Record<string, unknown>>): string {
  const doc = new Document(policy);
  visit(doc, {
    Map(_key, node, path) {
      // The top-level sections and their entries stay in block style.
      if (path.length > 3 && node.items.every((p) => isScalar(p.value))) node.flow = true;
    },
    Seq(_key, node) {
      if (node.items.every((i) => isScalar(i) || (isCollection(i) && i.flow === true))) node.flow = true;
    },
  });
  const comments = header.map((l) => `# ${l}`.trimEnd()).join('\n');
  return `${comments}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: true })}`;
}

/**
 * An empty map for sections keyed by the source's names (datacenters, names, checks, regions): no
 * prototype, so a name such as `__proto__` is a key like any other instead of being lost.
 */
export function yamlMap<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
