// JSON load pages: each figure is a dot path (`upstreams.www.peers.0.active`; array indices as numbers).
// A key that itself holds a dot cannot be addressed. Numbers and numeric strings count; nothing else does.
import type { LoadReading, LoadSelectors } from './types.js';
import { decimal, readingFrom } from './numbers.js';

/** The number at a dot path; null when the path is missing or leads to something else. */
function numberAt(document: unknown, path: string): number | null {
  let node = document;
  for (const key of path.split('.')) {
    if (Array.isArray(node)) node = /^\d+$/.test(key) ? node[Number(key)] : undefined;
    // Own properties only: `constructor` or `__proto__` in a path must not reach the prototype.
    else if (typeof node === 'object' && node !== null && Object.hasOwn(node, key))
      node = (node as Record<string, unknown>)[key];
    else return null;
  }
  if (typeof node === 'number') return Number.isFinite(node) ? node : null;
  return typeof node === 'string' ? decimal(node.trim()) : null;
}

export function parseJsonReading(text: string, selectors: LoadSelectors): LoadReading | string {
  const paths = [
    selectors.connections,
    selectors.capacity,
    selectors.bandwidth,
    selectors.errors,
    selectors.requests,
    ...selectors.bytes,
  ];
  const bad = paths.find((p) => p !== null && p.split('.').includes(''));
  if (bad !== undefined) return `bad path "${bad}": empty key`;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message may quote the body; the reason stays short.
    return 'body is not valid JSON';
  }
  const figure = (path: string | null): number | null => (path === null ? null : numberAt(document, path));
  const connections = figure(selectors.connections);
  if (selectors.connections !== null && connections === null) return `no number at ${selectors.connections}`;
  return readingFrom(selectors, figure, connections);
}
