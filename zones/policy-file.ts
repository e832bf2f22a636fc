// One policy file read: YAML syntax, the JSON Schema (the valid parts kept), lines found on demand;
// and the Collector of located errors, which folds references into sections an earlier error left
// incomplete (the root cause is reported, not its follow-ons).
import type { ErrorObject } from 'ajv';
import jsYaml from 'js-yaml';
import { createRequire } from 'node:module';
import type { LineCounter, Pair, YAMLMap, Document, Node as YamlNode } from 'yaml';
import type { ZoneError } from './records.js';
import { allowedKeysAt } from './schema-keys.js';
import { closestMatch, didYouMean } from './suggest.js';

// The position-keeping YAML parser is loaded only when an error needs a line number.
const require = createRequire(import.meta.url);
const yamlLib = (): typeof import('yaml') => require('yaml') as typeof import('yaml');

// policy.schema.json compiled at build time (scripts/gen-policy-validator.mjs): ajv's compiler is
// never loaded by the server.
import validateFile from './policy-validator.js';

export const SECTIONS = ['datacenters', 'checks', 'loads', 'regions', 'names'] as const;
export type Section = (typeof SECTIONS)[number];
const SECTION_NOUN: Record<Section, string> = {
  datacenters: 'datacenter',
  checks: 'check',
  loads: 'load source',
  regions: 'region',
  names: 'name',
};
const SECTION_PLURAL: Record<Section, string> = {
  datacenters: 'datacenters',
  checks: 'checks',
  loads: 'load sources',
  regions: 'regions',
  names: 'names',
};

/**
 * One parsed policy file: its JS value, and the positions of every node, parsed only when an error
 * needs a line (js-yaml reads a 13 MB file in under a second; the position-keeping parser takes 15).
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

export type Path = readonly (string | number)[];

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

const SOURCE = Symbol('policy file');
const PATH = Symbol('path in the file');
type Sourced = { readonly [SOURCE]: PolicyFile; readonly [PATH]: Path; readonly label: string };

// The line getters live on shared prototypes: a frozen object literal with its own getter is a
// ~800-byte dictionary-mode object in V8, and a closure per record costs ~150 bytes (x 100,000 names).
/** Records at a path of their own (regions). */
const AT_PATH = Object.freeze({
  get line(): number {
    const self = this as unknown as Sourced;
    return lineOf(self[SOURCE], self[PATH]);
  },
});
/** Names: the path is ['names', label], not stored. */
const AT_NAME = Object.freeze({
  get line(): number {
    const self = this as unknown as Sourced;
    return lineOf(self[SOURCE], ['names', self.label]);
  },
});

/**
 * A frozen record whose `line` is found on first use (it needs the slow position-keeping parse of its
 * file), until the file is released after loading.
 */
export function located<T extends object>(fields: T, f: PolicyFile, path: Path | null): T & { readonly line: number } {
  const o = Object.create(path === null ? AT_NAME : AT_PATH) as Record<symbol, unknown>;
  Object.assign(o, fields);
  o[SOURCE] = f;
  if (path !== null) o[PATH] = path;
  return Object.freeze(o) as T & { readonly line: number };
}

/** Renders a path the way operators read it: name 'www': pool 'eu-west': entry 2: weight. */
function describePath(path: Path): string {
  const out: string[] = [];
  const [section, key, ...rest] = path;
  if (section === undefined) return '';
  if (key === undefined) return String(section);
  out.push(`${SECTION_NOUN[section as Section] ?? section} '${key}'`);
  for (let i = 0; i < rest.length; i++) {
    const seg = rest[i]!;
    const next = rest[i + 1];
    if ((seg === 'pools' || seg === 'regions') && next !== undefined) {
      out.push(`${seg === 'pools' ? 'pool' : 'region'} '${next}'`);
      i++;
    } else if (typeof seg === 'number' || /^[0-9]+$/.test(String(seg))) out.push(`entry ${Number(seg) + 1}`);
    else out.push(String(seg));
  }
  return out.join(': ');
}

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

/** References into one incomplete section that are not checked one by one: how many, and the first. */
interface Unchecked {
  count: number;
  readonly first: { readonly f: PolicyFile; readonly path: Path };
  readonly files: Set<string>;
}

/** What errors lost of one section: all of it, or only some entries (by key). */
interface Lost {
  /** The first file whose errors lost something of the section. */
  readonly file: string;
  whole: boolean;
  readonly keys: Set<string>;
}

/**
 * Every located error of one load. A section is incomplete when a file that defines (or would define)
 * it failed: YAML syntax or a misspelt section name lose the whole section, a schema error only the
 * entry it is in. A reference to a name the section does not hold is then a likely follow-on of that
 * error when the whole section was lost or the name is one of the lost entries: it is counted, and
 * reported as one line (`finish`) instead of one error per reference. Any other unknown name is an
 * error of its own, with the closest defined name.
 */
export class Collector {
  readonly errors: ZoneError[] = [];
  private readonly lost = new Map<Section, Lost>();
  private readonly unchecked = new Map<Section, Unchecked>();

  at(f: PolicyFile, path: Path, message: string): void {
    const where = describePath(path);
    this.errors.push({
      file: f.file,
      line: lineOf(f, path),
      message: where ? `${where}: ${message}` : message,
    });
  }

  /** Records that file's errors lost the entry `key` of a section, or (without a key) all of it. */
  markIncomplete(section: Section, file: string, key?: string): void {
    let lost = this.lost.get(section);
    if (!lost) this.lost.set(section, (lost = { file, whole: false, keys: new Set() }));
    if (key === undefined) lost.whole = true;
    else lost.keys.add(key);
  }

  /** Whether errors lost anything of the section. */
  isIncomplete(section: Section): boolean {
    return this.lost.has(section);
  }

  /**
   * A reference at path to a name its section does not define: one more unchecked reference when
   * errors lost the whole section or the entry of that name, else an error with the closest defined name.
   */
  unknown(f: PolicyFile, path: Path, section: Section, name: string, defined: Iterable<string>): void {
    const lost = this.lost.get(section);
    if (lost && (lost.whole || lost.keys.has(name))) this.notChecked(f, path, section);
    else this.at(f, path, `unknown ${SECTION_NOUN[section]} '${name}'${didYouMean(name, defined)}`);
  }

  /** Counts a reference (or a need, such as a geo name's regions) into an incomplete section. */
  notChecked(f: PolicyFile, path: Path, section: Section): void {
    const u = this.unchecked.get(section);
    if (u) {
      u.count++;
      u.files.add(f.file);
    } else this.unchecked.set(section, { count: 1, first: { f, path }, files: new Set([f.file]) });
  }

  /** One line per incomplete section with unchecked references, at the first of them. */
  finish(): void {
    for (const [section, u] of this.unchecked) {
      const others = u.files.size - 1;
      const where = others > 0 ? ` (here and in ${others} other file${others === 1 ? '' : 's'})` : '';
      const refs = u.count === 1 ? 'reference' : 'references';
      this.errors.push({
        file: u.first.f.file,
        line: lineOf(u.first.f, u.first.path),
        message: `${u.count} ${refs} to ${SECTION_PLURAL[section]} not checked${where}: ${this.lost.get(section)!.file} has errors`,
      });
    }
    this.unchecked.clear();
  }
}

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
 * The sections a file's text names by its top-level keys (found without parsing it, so it works on text
 * YAML cannot read), in the order they come; with `likely`, also the sections misspelt keys most
 * likely mean (`datacentres:`).
 */
export function sectionsNamedIn(text: string, { likely = false } = {}): Section[] {
  const out = new Set<Section>();
  for (const m of text.matchAll(/^([A-Za-z_][\w-]*)[ \t]*:/gm)) {
    const key = m[1]!;
    const section = (SECTIONS as readonly string[]).includes(key) ? key : likely ? closestMatch(key, SECTIONS) : null;
    if (section !== null) out.add(section as Section);
  }
  return [...out];
}

/** The value at path in a parsed tree, or undefined. */
function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** The located message of one schema error, with the closest allowed key or value when there is one. */
function schemaMessage(e: ErrorObject, path: Path, value: unknown): string {
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

/**
 * Parses and validates one file. A YAML error loses the whole file: the sections it names become
 * incomplete (every section when none can be told). A schema error loses only the entry it is in (a
 * datacenter, a name) or the section, when the section itself has the wrong form, and makes that
 * section incomplete; the rest of the file is kept and checked. Null when nothing of the file is usable.
 */
export function readPolicyFile(file: string, text: string, errs: Collector): PolicyFile | null {
  let value: unknown;
  try {
    // YAML 1.2 core schema (no timestamps or other implicit types); duplicate keys are errors.
    value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file }) ?? {};
  } catch (err) {
    const e = err as { mark?: { line: number }; reason?: string; message: string };
    const reason = (e.reason ?? e.message.split('\n')[0]!).replace(
      /^duplicated mapping key$/,
      'duplicate key: a key is defined twice in this map',
    );
    errs.errors.push({ file, line: (e.mark?.line ?? 0) + 1, message: `YAML: ${reason}` });
    const named = sectionsNamedIn(text, { likely: true });
    for (const s of named.length > 0 ? named : SECTIONS) errs.markIncomplete(s, file);
    return null;
  }
  unslice(value);
  const f = new PolicyFile(file, text, value as PolicyFile['value']);
  if (validateFile(value)) return f;
  // anyOf reports every branch's errors: keep the ones from the branch that fits the value's shape.
  const all = validateFile.errors ?? [];
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
      errs.errors.push({ file, line: lineOf(f, at), message });
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
    return null;
  }
  for (const s of lostSections) delete f.value[s];
  for (const [s, keys] of lostEntries) {
    const entries = f.value[s];
    if (entries) for (const k of keys) delete entries[k];
  }
  return f;
}
