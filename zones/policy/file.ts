// One parsed policy file: its text, its value, and the line of any place in it, found on demand.
import { createRequire } from 'node:module';
import type { LineCounter, Pair, YAMLMap, Document, Node as YamlNode } from 'yaml';
import type { Path } from './sections.js';

// The position-keeping YAML parser is loaded only when an error needs a line number.
const require = createRequire(import.meta.url);
const yamlLib = (): typeof import('yaml') => require('yaml') as typeof import('yaml');

/**
 * One parsed policy file: its JS value, and the positions of every node, parsed only when an error
 * needs a line: the position-keeping parser is 8x slower and 5x larger than js-yaml on a 13 MB file
 * (zones/README.md has the measurement).
 */
export class PolicyFile {
  private located: { doc: Document; lines: LineCounter } | null = null;
  /** Set once loading is over: the text is let go of and lines are no longer looked up. */
  released = false;
  constructor(
    readonly file: string,
    public text: string,
    /** The parsed tree: dropped once merged (the names' entries go as each name is built). */
    public value: Record<string, Record<string, unknown>>,
  ) {}
  get doc(): Document {
    return this.locate().doc;
  }
  get lines(): LineCounter {
    return this.locate().lines;
  }
  release(): void {
    this.released = true;
    this.text = '';
    this.located = null;
  }
  private locate(): { doc: Document; lines: LineCounter } {
    if (!this.located) {
      const { LineCounter: Lines, parseDocument } = yamlLib();
      const lines = new Lines();
      this.located = { doc: parseDocument(this.text, { lineCounter: lines, uniqueKeys: false }), lines };
    }
    return this.located;
  }
}

/** Each map's pairs by key, built on first use: locating 100,000 names stays linear. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
function pairsOf(map: YAMLMap): Map<string, Pair> {
  let m = pairIndex.get(map);
  if (!m) {
    m = new Map();
    const { isPair, isScalar } = yamlLib();
    for (const p of map.items)
      if (isPair(p) && isScalar(p.key) && !m.has(String(p.key.value))) m.set(String(p.key.value), p);
    pairIndex.set(map, m);
  }
  return m;
}

/** Line of the key (in maps) or item (in sequences) that path ends at; the deepest that exists. */
export function lineOf(f: PolicyFile, path: Path): number {
  if (f.released) return 0;
  const { isMap, isSeq } = yamlLib();
  let node: unknown = f.doc.contents;
  let line = 1;
  const at = (n: unknown) => {
    const r = (n as YamlNode | undefined)?.range;
    if (r) line = f.lines.linePos(r[0]).line;
  };
  at(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = pairsOf(node).get(String(seg));
      if (!pair) break;
      at(pair.key);
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      at(item);
      node = item;
    } else break;
  }
  return line;
}
