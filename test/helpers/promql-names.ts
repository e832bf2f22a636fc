// The metric names a PromQL expression (or a Grafana label_values() query) reads, and the names a
// Prometheus exposition offers, so a dashboard or alert rule can be checked against a running node.

/** Metric families the server exports: its own and prom-client's default process metrics. */
const EXPORTED_PREFIXES = ['gslb_', 'nodejs_', 'process_'];
/** Series Prometheus makes itself for every scrape target: never in /metrics. */
export const PROMETHEUS_OWN: ReadonlySet<string> = new Set(['up']);

/**
 * Metric names in `expr`: identifiers starting with an exported prefix, or one of Prometheus's own
 * series. String literals go first (a label value such as "gslb_x" is not a metric), and so do
 * identifiers after `$` (Grafana variables), before `(` (functions) or before a label matcher's
 * operator (a label named like a metric). Sorted, each once.
 */
export function metricNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const out = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w:$.])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()(?!\s*(?:=~|!~|!=|=)\s*"")/g)) {
    const id = m[0];
    if (PROMETHEUS_OWN.has(id) || EXPORTED_PREFIXES.some((p) => id.startsWith(p))) out.add(id);
  }
  return [...out].sort();
}

export interface Exposition {
  /** Names that have at least one sample (histogram series as printed: _bucket, _sum, _count). */
  readonly samples: ReadonlySet<string>;
  /** `# TYPE` of each family. */
  readonly types: ReadonlyMap<string, string>;
}

/** Reads the Prometheus text format: which names have samples, and each family's type. */
export function readExposition(text: string): Exposition {
  const samples = new Set<string>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    else if (line !== '' && !line.startsWith('#')) samples.add(/^[^{\s]+/.exec(line)![0]);
  }
  return { samples, types };
}

const SUFFIXES = ['_bucket', '_sum', '_count'];

/**
 * Why `name` cannot be queried from this exposition, or null when it can: it has samples and, for a
 * histogram's _bucket/_sum/_count, its base family is a histogram (or a summary, for _sum/_count).
 */
export function missingReason(name: string, e: Exposition): string | null {
  const suffix = SUFFIXES.find((s) => name.endsWith(s));
  const base = suffix ? name.slice(0, -suffix.length) : null;
  const baseType = base === null ? undefined : e.types.get(base);
  if (base !== null && (baseType === 'histogram' || baseType === 'summary')) {
    if (suffix === '_bucket' && baseType !== 'histogram') return `${base} is a ${baseType}: it has no buckets`;
    return e.samples.has(name) ? null : `${base} (${baseType}) has no ${suffix} samples`;
  }
  if (e.samples.has(name)) return null;
  return e.types.has(name) ? 'declared but without samples' : 'not exported';
}
