// mmdb-build: turns a CSV/JSON list of networks into a City-shaped MaxMind DB (operators' private databases, test fixtures).
import { readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCidr, writeMmdb, type MmdbEntry, type MmdbValue } from '../geo/mmdb-writer.js';

const USAGE = `usage: node dist/scripts/mmdb-build.js --in FILE.csv|FILE.json --out FILE.mmdb [--type NAME]

Builds an IPv6 MaxMind DB (IPv4 at ::/96, aliased from ::ffff:0:0/96 and 2002::/16) with GeoIP2-City
records: { continent: { code }, country: { iso_code }, subdivisions: [{ iso_code }],
location: { latitude, longitude }, city: { names: { en } } }, absent fields omitted.

CSV header: network,continent,country,subdivision,latitude,longitude,city  (any order; only network is
required; empty cells allowed; lines starting with # are comments). JSON: [{ "network": "...", ... }].
Later rows override earlier ones over their range. --type defaults to GSLB-City.
`;

export const CITY_COLUMNS = [
  'network',
  'continent',
  'country',
  'subdivision',
  'latitude',
  'longitude',
  'city',
] as const;
const CONTINENTS = new Set(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);

export interface CityRow {
  network: string;
  continent?: string;
  country?: string;
  subdivision?: string;
  latitude?: number;
  longitude?: number;
  city?: string;
  /** 1-based source line, for messages. */
  line: number;
}

export interface SourceError {
  file: string;
  line: number;
  message: string;
}

export function formatSourceError(e: SourceError): string {
  return `${e.file}:${e.line}: ${e.message}`;
}

/** The GeoIP2-City layout for one row, fields in MaxMind's order, absent ones omitted. */
export function cityRecord(row: CityRow): MmdbValue {
  const rec: Record<string, MmdbValue> = {};
  if (row.city !== undefined) rec['city'] = { names: { en: row.city } };
  if (row.continent !== undefined) rec['continent'] = { code: row.continent };
  if (row.country !== undefined) rec['country'] = { iso_code: row.country };
  // Typed as double: a whole-degree latitude would otherwise encode as uint32, which typed readers reject.
  if (row.latitude !== undefined && row.longitude !== undefined) {
    rec['location'] = {
      latitude: { type: 'double', value: row.latitude },
      longitude: { type: 'double', value: row.longitude },
    };
  }
  if (row.subdivision !== undefined) rec['subdivisions'] = [{ iso_code: row.subdivision }];
  return rec;
}

type RawRow = Partial<Record<(typeof CITY_COLUMNS)[number], unknown>>;

/** Validates one raw row (CSV cells or JSON values); pushes errors and returns null when it is unusable. */
function validateRow(raw: RawRow, line: number, file: string, errors: SourceError[]): CityRow | null {
  const before = errors.length;
  const fail = (message: string) => errors.push({ file, line, message });
  const text = (key: keyof RawRow): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      fail(`${key} must be a string`);
      return undefined;
    }
    const t = v.trim();
    return t === '' ? undefined : t;
  };
  const coord = (key: 'latitude' | 'longitude', limit: number): number | undefined => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return undefined;
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'string' && /^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$/.test(v)) n = Number(v);
    else {
      fail(`${key} '${String(v)}' is not a number`);
      return undefined;
    }
    if (!Number.isFinite(n) || Math.abs(n) > limit) {
      fail(`${key} ${n} is out of range (-${limit}..${limit})`);
      return undefined;
    }
    return n;
  };

  const network = text('network');
  if (network === undefined) fail('network is missing');
  else {
    try {
      parseCidr(network);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const continent = text('continent');
  if (continent !== undefined && !CONTINENTS.has(continent)) {
    fail(`continent '${continent}' is not one of ${[...CONTINENTS].join(' ')}`);
  }
  const country = text('country');
  if (country !== undefined && !/^[A-Z]{2}$/.test(country))
    fail(`country '${country}' is not an ISO 3166-1 alpha-2 code`);
  const subdivision = text('subdivision');
  if (subdivision !== undefined) {
    if (!/^[A-Z0-9]{1,3}$/.test(subdivision))
      fail(`subdivision '${subdivision}' is not an ISO 3166-2 code (1-3 letters/digits)`);
    else if (country === undefined) fail('subdivision needs a country');
  }
  const latitude = coord('latitude', 90);
  const longitude = coord('longitude', 180);
  if ((raw.latitude ?? '') !== '' && (raw.longitude ?? '') === '') fail('latitude without longitude');
  if ((raw.longitude ?? '') !== '' && (raw.latitude ?? '') === '') fail('longitude without latitude');
  const city = text('city');
  if (errors.length === before && [continent, country, latitude, city].every((v) => v === undefined)) {
    fail('row has no location data (need at least one of continent, country, latitude/longitude, city)');
  }
  if (errors.length > before || network === undefined) return null;
  const row: CityRow = { network, line };
  if (continent !== undefined) row.continent = continent;
  if (country !== undefined) row.country = country;
  if (subdivision !== undefined) row.subdivision = subdivision;
  if (latitude !== undefined && longitude !== undefined) {
    row.latitude = latitude;
    row.longitude = longitude;
  }
  if (city !== undefined) row.city = city;
  return row;
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside fields); null if a quote is left open. */
function splitCsvLine(line: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(',', i);
      cell += line.slice(i, comma < 0 ? line.length : comma);
      i = comma < 0 ? line.length : comma;
    } else {
      const comma = line.indexOf(',', i);
      cell = line.slice(i, comma < 0 ? line.length : comma);
      i = comma < 0 ? line.length : comma;
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    i++; // past the comma
  }
}

export function parseCityCsv(text: string, file: string): { rows: CityRow[]; errors: SourceError[] } {
  const rows: CityRow[] = [];
  const errors: SourceError[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let columns: string[] | null = null;
  lines.forEach((lineText, idx) => {
    const line = idx + 1;
    if (lineText.trim() === '' || lineText.trimStart().startsWith('#')) return;
    const cells = splitCsvLine(lineText);
    if (cells === null) {
      errors.push({ file, line, message: 'unterminated quoted field' });
      return;
    }
    if (columns === null) {
      columns = cells.map((c) => c.trim());
      const known: readonly string[] = CITY_COLUMNS;
      const seen = new Set<string>();
      for (const c of columns) {
        if (!known.includes(c))
          errors.push({ file, line, message: `unknown column '${c}' (expected ${CITY_COLUMNS.join(',')})` });
        if (seen.has(c)) errors.push({ file, line, message: `duplicate column '${c}'` });
        seen.add(c);
      }
      if (!seen.has('network')) errors.push({ file, line, message: `header has no 'network' column` });
      return;
    }
    if (cells.length !== columns.length) {
      errors.push({ file, line, message: `expected ${columns.length} fields, got ${cells.length}` });
      return;
    }
    const raw: Record<string, string> = {};
    columns.forEach((c, i) => (raw[c] = cells[i]!));
    const row = validateRow(raw, line, file, errors);
    if (row) rows.push(row);
  });
  if (columns === null) errors.push({ file, line: 1, message: `no header line (expected ${CITY_COLUMNS.join(',')})` });
  return { rows, errors };
}

/** 1-based line of each top-level array element, found by a string-aware scan (JSON.parse keeps no positions). */
function elementLines(text: string): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (expectElement && !/\s/.test(ch) && ch !== ']') {
      out.push(line);
      expectElement = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1 && ch === '[') expectElement = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectElement = true;
  }
  return out;
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

export function parseCityJson(text: string, file: string): { rows: CityRow[]; errors: SourceError[] } {
  const rows: CityRow[] = [];
  const errors: SourceError[] = [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    errors.push({ file, line: pos ? lineAt(text, Number(pos[1])) : 1, message: `invalid JSON: ${msg}` });
    return { rows, errors };
  }
  if (!Array.isArray(data)) {
    errors.push({ file, line: 1, message: 'expected a JSON array of { "network": ..., ... } objects' });
    return { rows, errors };
  }
  const lines = elementLines(text);
  data.forEach((item: unknown, i) => {
    const line = lines[i] ?? 1;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ file, line, message: `element ${i} is not an object` });
      return;
    }
    const known: readonly string[] = CITY_COLUMNS;
    const unknownKeys = Object.keys(item).filter((k) => !known.includes(k));
    if (unknownKeys.length > 0) {
      errors.push({
        file,
        line,
        message: `unknown field(s) ${unknownKeys.join(', ')} (expected ${CITY_COLUMNS.join(', ')})`,
      });
      return;
    }
    const row = validateRow(item as RawRow, line, file, errors);
    if (row) rows.push(row);
  });
  return { rows, errors };
}

/** Parses by extension: .json as JSON, anything else as CSV. Also reports networks listed twice. */
export function parseCitySource(text: string, file: string): { rows: CityRow[]; errors: SourceError[] } {
  const result = extname(file).toLowerCase() === '.json' ? parseCityJson(text, file) : parseCityCsv(text, file);
  const firstLine = new Map<string, number>();
  for (const row of result.rows) {
    const c = parseCidr(row.network);
    const key = `${Buffer.from(c.bytes).toString('hex')}/${c.prefix}`;
    const first = firstLine.get(key);
    if (first !== undefined) {
      result.errors.push({
        file,
        line: row.line,
        message: `duplicate network ${row.network} (first on line ${first})`,
      });
    } else firstLine.set(key, row.line);
  }
  result.errors.sort((a, b) => a.line - b.line);
  return result;
}

export interface BuildOptions {
  databaseType?: string;
  buildEpoch?: number;
  description?: string;
}

/** City-shaped IPv6 database (with MaxMind's IPv4 aliases) from validated rows. */
export function buildCityDatabase(rows: CityRow[], opts: BuildOptions = {}): Buffer {
  const entries: MmdbEntry[] = rows.map((row) => ({ network: row.network, data: cityRecord(row) }));
  return writeMmdb(entries, {
    databaseType: opts.databaseType ?? 'GSLB-City',
    ipVersion: 6,
    languages: ['en'],
    description: { en: opts.description ?? 'GSLB City-style database built by mmdb-build' },
    ...(opts.buildEpoch !== undefined ? { buildEpoch: opts.buildEpoch } : {}),
  });
}

/** CLI entry: returns the exit code (0 ok, 1 bad input, 2 usage). */
export function main(argv: string[]): number {
  let values: { in?: string; out?: string; type?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { in: { type: 'string' }, out: { type: 'string' }, type: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`mmdb-build: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.in || !values.out) {
    process.stderr.write(`mmdb-build: --in and --out are required\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(values.in, 'utf8');
  } catch (err) {
    process.stderr.write(`mmdb-build: cannot read ${values.in}: ${(err as Error).message}\n`);
    return 1;
  }
  const { rows, errors } = parseCitySource(text, values.in);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(formatSourceError(e) + '\n');
    process.stderr.write(`${errors.length} error(s); ${values.out} not written\n`);
    return 1;
  }
  if (rows.length === 0) {
    process.stderr.write(`${values.in}:1: no networks; ${values.out} not written\n`);
    return 1;
  }
  let db: Buffer;
  try {
    db = buildCityDatabase(rows, values.type ? { databaseType: values.type } : {});
  } catch (err) {
    process.stderr.write(`${values.in}: ${(err as Error).message}\n`);
    return 1;
  }
  // Write then rename, so a server watching the path never loads a half-written file.
  const tmp = `${values.out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, db);
    renameSync(tmp, values.out);
  } catch (err) {
    process.stderr.write(`mmdb-build: cannot write ${values.out}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`wrote ${values.out}: ${rows.length} network(s), ${db.length} bytes\n`);
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exitCode = main(process.argv.slice(2));
