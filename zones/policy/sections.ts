// The sections of a policy file, and how errors name a place in one: name 'www': pool 'eu-west': entry 2.
// dnssec is a section of settings rather than of named entries: its keys merge across files like entries.
import { closestMatch } from '../suggest.js';

export const SECTIONS = ['datacenters', 'checks', 'loads', 'regions', 'names', 'dnssec'] as const;
export type Section = (typeof SECTIONS)[number];

/** A place in a parsed file: section, key, then keys and sequence indexes. */
export type Path = readonly (string | number)[];

export const SECTION_NOUN: Record<Section, string> = {
  datacenters: 'datacenter',
  checks: 'check',
  loads: 'load source',
  regions: 'region',
  names: 'name',
  dnssec: 'dnssec setting',
};
export const SECTION_PLURAL: Record<Section, string> = {
  datacenters: 'datacenters',
  checks: 'checks',
  loads: 'load sources',
  regions: 'regions',
  names: 'names',
  dnssec: 'dnssec settings',
};

/** Renders a path the way operators read it: name 'www': pool 'eu-west': entry 2: weight. */
export function describePath(path: Path): string {
  const out: string[] = [];
  const [section, key, ...rest] = path;
  if (section === undefined) return '';
  if (key === undefined) return String(section);
  if (section === 'dnssec') return path.join(': '); // dnssec: validity
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
