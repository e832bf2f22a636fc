// Prometheus text exposition format and the selectors that pick series from it.
//
// A selector is `name` or `name{label="value",...}`: exact label equality only (no !=, =~ or !~), with
// PromQL's rule that `label=""` also matches a series without that label. Label values take the
// exposition escapes \\, \" and \n. Every series a selector matches is summed.
//
// The parser is hand-written and linear: one pass over each line, no backtracking regexes. A line it
// cannot read is skipped, never fatal; lines of metrics no selector names are skipped after their name.
import type { LoadReading, LoadSelectors } from './types.js';
import { decimal, readingFrom } from './numbers.js';

type Labels = ReadonlyMap<string, string>;

export interface Selector {
  readonly name: string;
  readonly labels: Labels;
}

export interface Sample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

function skipBlanks(s: string, i: number): number {
  while (isBlank(s[i])) i++;
  return i;
}

function isNameChar(c: string | undefined, first: boolean, colon: boolean): boolean {
  if (c === undefined) return false;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_') return true;
  if (c === ':') return colon;
  return !first && c >= '0' && c <= '9';
}

/** End of the metric name (colons allowed) or label name starting at i; i itself when there is none. */
function nameEnd(s: string, i: number, colon: boolean): number {
  let j = i;
  while (isNameChar(s[j], j === i, colon)) j++;
  return j;
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n' };

/** `{a="x",b="y"}` starting at the brace (a trailing comma allowed); a string says what is malformed. */
function readLabels(s: string, i: number): { labels: Map<string, string>; end: number } | string {
  const labels = new Map<string, string>();
  i++;
  for (;;) {
    i = skipBlanks(s, i);
    if (s[i] === '}') return { labels, end: i + 1 };
    const end = nameEnd(s, i, false);
    if (end === i) return 'expected a label name';
    const name = s.slice(i, end);
    if (labels.has(name)) return `label ${name} given twice`;
    i = skipBlanks(s, end);
    if (s[i] !== '=') return `expected = after ${name}`;
    i = skipBlanks(s, i + 1);
    if (s[i] !== '"') return `expected a quoted value for ${name}`;
    let value = '';
    for (i++; s[i] !== '"'; i++) {
      const c = s[i];
      if (c === undefined) return `unterminated value for ${name}`;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const escaped = ESCAPES[s[++i] ?? ''];
      if (escaped === undefined) return `bad escape in the value of ${name}`;
      value += escaped;
    }
    labels.set(name, value);
    i = skipBlanks(s, i + 1);
    if (s[i] === ',') i++;
    else if (s[i] !== '}') return 'expected , or }';
  }
}

/** Parses `name` or `name{label="value",...}`; a string is the reason it is not a selector. */
export function parseSelector(text: string): Selector | string {
  const s = text.trim();
  const end = nameEnd(s, 0, true);
  if (end === 0) return 'expected a metric name';
  const name = s.slice(0, end);
  if (end === s.length) return { name, labels: new Map() };
  if (s[end] !== '{') return 'expected { after the metric name';
  const read = readLabels(s, end);
  if (typeof read === 'string') return read;
  if (read.end !== s.length) return 'unexpected text after }';
  return { name, labels: read.labels };
}

/** A sample value: a decimal, NaN or ±Inf (any case, as Go's ParseFloat takes them). */
function sampleValue(token: string): number | null {
  const n = decimal(token);
  if (n !== null) return n;
  switch (token.toLowerCase()) {
    case 'nan':
      return NaN;
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    default:
      return null;
  }
}

/** One sample line; null for comments, blank lines, bad lines and (when `names` is given) other metrics. */
function sampleLine(line: string, names: ReadonlySet<string> | undefined): Sample | null {
  let i = skipBlanks(line, 0);
  const end = nameEnd(line, i, true);
  if (end === i) return null; // blank, comment (# HELP, # TYPE, ...) or junk
  const name = line.slice(i, end);
  if (names !== undefined && !names.has(name)) return null;
  let labels: Labels = new Map();
  i = skipBlanks(line, end);
  if (line[i] === '{') {
    const read = readLabels(line, i);
    if (typeof read === 'string') return null;
    labels = read.labels;
    i = read.end;
  } else if (i === end) {
    return null; // the name runs into something that is neither a label set nor a blank
  }
  const token = (): string => {
    i = skipBlanks(line, i);
    const start = i;
    while (i < line.length && !isBlank(line[i])) i++;
    return line.slice(start, i);
  };
  const value = sampleValue(token());
  if (value === null) return null;
  // An optional timestamp (integer milliseconds; OpenMetrics gives decimal seconds), then nothing but an
  // OpenMetrics exemplar (`# {...} v`).
  let rest = token();
  if (rest !== '' && !rest.startsWith('#')) {
    if (decimal(rest) === null) return null;
    rest = token();
  }
  if (rest !== '' && !rest.startsWith('#')) return null;
  return { name, labels, value };
}

/** The samples of a text exposition, in order; only metrics named in `names` when it is given. */
export function parseExposition(text: string, names?: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const sample = sampleLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, names);
    if (sample !== null) samples.push(sample);
  }
  return samples;
}

function matches(selector: Selector, sample: Sample): boolean {
  if (sample.name !== selector.name) return false;
  for (const [label, value] of selector.labels) {
    if ((sample.labels.get(label) ?? '') !== value) return false;
  }
  return true;
}

/** The sum of every matching series (NaN or ±Inf when one of them is); null when none matches. */
function total(samples: readonly Sample[], selector: Selector): number | null {
  let matched = false;
  let sum = 0;
  for (const s of samples) {
    if (!matches(selector, s)) continue;
    matched = true;
    sum += s.value;
  }
  return matched ? sum : null;
}

/** The figures the selectors pick from an exposition; the connections selector must match something. */
export function parsePrometheusReading(text: string, selectors: LoadSelectors): LoadReading | string {
  const parsed = new Map<string, Selector>();
  for (const source of [
    selectors.connections,
    selectors.capacity,
    selectors.bandwidth,
    selectors.errors,
    selectors.requests,
    ...selectors.bytes,
  ]) {
    if (source === null || parsed.has(source)) continue;
    const selector = parseSelector(source);
    if (typeof selector === 'string') return `bad selector "${source}": ${selector}`;
    parsed.set(source, selector);
  }
  const samples = parseExposition(text, new Set([...parsed.values()].map((s) => s.name)));
  const sum = (source: string | null): number | null => {
    const selector = source === null ? undefined : parsed.get(source);
    return selector === undefined ? null : total(samples, selector);
  };
  // A figure that is NaN or infinite says nothing usable: null, like a missing one.
  const figure = (source: string | null): number | null => {
    const value = sum(source);
    return value !== null && Number.isFinite(value) ? value : null;
  };
  const connections = sum(selectors.connections);
  if (selectors.connections !== null) {
    if (connections === null) return `no series matches ${selectors.connections}`;
    if (!Number.isFinite(connections)) return `${selectors.connections} is ${connections}`;
  }
  return readingFrom(selectors, figure, connections);
}
