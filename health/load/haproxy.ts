// HAProxy stats CSV (`/stats;csv`, or `show stat` on the socket): one proxy/server row's figures.
// Columns are found by name from the `# pxname,svname,...` header, since each version adds some.
import type { LoadReading } from './types.js';
import { decimal, sumAll } from './numbers.js';

/** Response counters whose sum is the request count (empty on TCP-mode rows). */
const RESPONSE_COLUMNS = ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'];
const LISTED = 5;

/**
 * Splits one CSV line. HAProxy quotes a field (doubling its quotes) when it holds a comma or a quote,
 * as a check description can.
 */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line.startsWith('"', i)) {
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) {
          field += line.slice(i);
          i = line.length;
          break;
        }
        field += line.slice(i, quote);
        i = quote + 1;
        if (!line.startsWith('"', i)) break;
        field += '"';
        i++;
      }
    }
    // Unquoted text (or anything after a closing quote, kept as a lenient reader would) up to the comma.
    const comma = line.indexOf(',', i);
    const end = comma === -1 ? line.length : comma;
    field += line.slice(i, end);
    fields.push(field);
    if (comma === -1) return fields;
    i = comma + 1;
  }
}

/** The row of `proxy`/`server`, or a reason naming what exists instead. */
export function parseHaproxyCsv(text: string, proxy: string, server: string): LoadReading | string {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const header = lines[0] ?? '';
  if (!header.startsWith('#')) return 'not HAProxy stats CSV (no "# pxname,svname,..." header)';
  const columns = new Map<string, number>();
  csvFields(header.slice(1).trimStart()).forEach((name, i) => columns.set(name, i));
  for (const required of ['pxname', 'svname', 'scur']) {
    if (!columns.has(required)) return `HAProxy stats CSV has no "${required}" column`;
  }
  const rows = lines.slice(1).filter((l) => l !== '' && !l.startsWith('#'));
  const at = (row: string[], name: string): string | null => {
    const i = columns.get(name);
    return i === undefined ? null : (row[i] ?? null);
  };
  let row: string[] | undefined;
  const proxies = new Set<string>();
  const servers: string[] = [];
  for (const line of rows) {
    const fields = csvFields(line);
    const px = at(fields, 'pxname') ?? '';
    const sv = at(fields, 'svname') ?? '';
    proxies.add(px);
    if (px !== proxy) continue;
    servers.push(sv);
    if (sv === server) {
      row = fields;
      break;
    }
  }
  if (row === undefined) {
    return servers.length > 0
      ? `HAProxy proxy "${proxy}" has no "${server}" row (has ${listed(servers)})`
      : `HAProxy has no proxy "${proxy}" (has ${listed([...proxies])})`;
  }
  const number = (name: string): number | null => {
    const value = at(row, name);
    return value === null ? null : decimal(value);
  };
  const connections = number('scur');
  if (connections === null) return `HAProxy "${proxy}/${server}" scur is not a number`;
  return {
    connections,
    capacity: number('slim'),
    bytesTotal: sumAll([number('bin'), number('bout')]),
    bandwidthBps: null,
    errorsTotal: number('hrsp_5xx'),
    requestsTotal: sumAll(RESPONSE_COLUMNS.map(number)),
  };
}

function listed(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown}, ...` : shown;
}
