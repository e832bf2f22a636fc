// `gslb simulate`: how a sample of client traffic splits across datacenters now and with some down,
// each client a traced query through the same loader and pipeline as serve; flags datacenters pushed
// past capacity.
import { readFileSync } from 'node:fs';
import type { HealthView } from '../../health/view.js';
import { compileCatalog } from '../catalog.js';
import { formatClientsError, parseClients, type Client, type ClientsError } from '../simulate/clients.js';
import {
  loadBalancedNames,
  nameMatches,
  scenariosOf,
  simulateName,
  sumNames,
  utilisation,
  type Destination,
  type NameResult,
  type Scenario,
  type SimName,
  type Totals,
  type TotalRow,
} from '../simulate/traffic.js';
import { parse, UsageError } from './args.js';
import type { CliErrorCode } from './cli-errors.js';
import { SIMULATE } from './commands.js';
import { geoServesZones, healthWithDown, loadValidZones } from './offline.js';
import { openGeo } from './geo-files.js';

/** Exit code when a datacenter is past its capacity in any scenario, so scripts can gate maintenance on it. */
export const EXIT_OVER_CAPACITY = 3;

interface Run {
  readonly file: string;
  readonly clients: readonly Client[];
  readonly scenarios: readonly Scenario[];
  readonly names: readonly NameResult[];
  readonly totals: Totals;
}

/** The names --name picks (all without it); a NAME that is no load-balanced name is a usage error. */
function selectNames(all: readonly SimName[], wanted: readonly string[]): SimName[] {
  if (all.length === 0)
    throw new UsageError('E_CLI_NOTHING_TO_SIMULATE', 'the zones have no load-balanced names to simulate');
  if (wanted.length === 0) return [...all];
  for (const w of wanted)
    if (!all.some((n) => nameMatches(n, w)))
      throw new UsageError('E_CLI_UNKNOWN_NAME', `--name '${w}': no load-balanced name by that name`);
  return all.filter((n) => wanted.some((w) => nameMatches(n, w)));
}

/** Lines naming a name no zone load-balances: likely a typo, so an error rather than traffic lost. */
function unknownNames(clients: readonly Client[], all: readonly SimName[], file: string): ClientsError[] {
  return clients
    .filter((c) => c.name !== null && !all.some((n) => nameMatches(n, c.name!)))
    .map((c) => ({ file, line: c.line, message: `no load-balanced name '${c.name}' in the zones` }));
}

function isOver(row: TotalRow, scenario: number): boolean {
  return (utilisation(row, scenario) ?? 0) > 1;
}

function anyOver(run: Run): boolean {
  return run.totals.rows.some((r) => run.scenarios.some((_, i) => isOver(r, i)));
}

export function runSimulate(argv: string[]): number {
  const { values } = parse(argv, SIMULATE);
  const file = values.clients;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError('E_CLI_FILE_UNREADABLE', `--clients ${file}: ${(err as Error).message}`);
  }
  const zones = loadValidZones(values.zones);
  if (zones === null) return 1;
  const down = [...new Set(values.down ?? [])];
  const views: Array<{ down: readonly string[]; health: HealthView }> = [
    { down: [], health: healthWithDown(zones, []) },
  ];
  if (down.length > 0) views.push({ down, health: healthWithDown(zones, down) });
  const geo = openGeo(values.geoip);
  if (!geoServesZones(zones, geo)) return 1;
  const catalog = compileCatalog(zones, geo);
  const scenarios = scenariosOf(catalog, views);
  const all = loadBalancedNames(catalog);
  const selected = selectNames(all, values.name ?? []);
  const parsed = parseClients(text, file);
  const { clients } = parsed;
  const errors: Array<ClientsError & { code: CliErrorCode }> = [
    ...parsed.errors.map((e) => ({ ...e, code: 'E_CLI_BAD_CLIENTS_FILE' as const })),
    ...unknownNames(clients, all, file).map((e) => ({ ...e, code: 'E_CLI_UNKNOWN_NAME' as const })),
  ];
  if (errors.length > 0) {
    for (const e of errors.sort((a, b) => a.line - b.line))
      process.stderr.write(`${formatClientsError(e)} [${e.code}]\n`);
    process.stderr.write(`${errors.length} bad line(s) in ${file}; nothing simulated\n`);
    return 2;
  }
  const names = selected.map((n) => simulateName(n, clients, scenarios));
  const run: Run = { file, clients, scenarios, names, totals: sumNames(names, scenarios.length) };
  process.stdout.write(values.json ? JSON.stringify(toJson(run), roundNumbers, 2) + '\n' : formatRun(run));
  return anyOver(run) ? EXIT_OVER_CAPACITY : 0;
}

// ---- JSON: the same figures, keyed by scenario ("now", and "down" when --down is given).

const SCENARIO_KEYS = ['now', 'down'] as const;

function byScenario<T>(n: number, f: (i: number) => T): Partial<Record<(typeof SCENARIO_KEYS)[number], T>> {
  const out: Partial<Record<(typeof SCENARIO_KEYS)[number], T>> = {};
  for (let i = 0; i < n; i++) out[SCENARIO_KEYS[i]!] = f(i);
  return out;
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

function toJson(run: Run) {
  const n = run.scenarios.length;
  return {
    clients: { file: run.file, lines: run.clients.length },
    scenarios: byScenario(n, (i) => ({ down: run.scenarios[i]!.down })),
    names: run.names.map((r) => ({
      name: r.name.name,
      zone: r.name.zone.name,
      policy: r.policy,
      family: r.family,
      clients: r.clients,
      notes: r.notes,
      total: byScenario(n, (i) => r.totals[i]!),
      rows: r.rows.map((x) => ({
        datacenter: x.datacenter,
        to: x.to,
        ...byScenario(n, (i) => ({ weight: x.weights[i]!, share: share(x.weights[i]!, r.totals[i]!) })),
      })),
    })),
    total: {
      notes: run.totals.notes,
      total: byScenario(n, (i) => run.totals.totals[i]!),
      rows: run.totals.rows.map((x) => ({
        datacenter: x.datacenter,
        to: x.to,
        capacity: x.capacity,
        ...byScenario(n, (i) => ({
          weight: x.weights[i]!,
          share: share(x.weights[i]!, run.totals.totals[i]!),
          utilisation: utilisation(x, i),
          over: isOver(x, i),
        })),
      })),
    },
    overCapacity: anyOver(run),
  };
}

/** Weighted splits give fractions: four decimals are plenty and keep 0.1 + 0.2 out of the output. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e4) / 1e4 : value;
}

// ---- Text: one table per name, then the totals with capacity.

function weightText(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function rowLabel(datacenter: string | null, to: Destination): string {
  switch (to) {
    case 'served':
      return datacenter!;
    case 'fallback':
      return `${datacenter} (fallback, down)`;
    case 'nodata':
      return '(no answer: NODATA)';
    case 'servfail':
      return '(no answer: SERVFAIL)';
  }
}

function scenarioLabel(s: Scenario): string {
  return s.down.length === 0 ? 'now' : `with ${s.down.join(', ')} down`;
}

/** Cells padded per column: 'l' or 'r' alignment; trailing blanks trimmed. */
function table(rows: readonly string[][], align: string): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    (
      '  ' + r.map((cell, c) => (align[c] === 'l' ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
    ).trimEnd(),
  );
}

function capacityNote(row: TotalRow, i: number): string {
  const u = utilisation(row, i);
  if (u === null) return '';
  return u > 1 ? `OVER CAPACITY (${percent(u)})` : `${percent(u)} of capacity`;
}

function formatRun(run: Run): string {
  const { scenarios } = run;
  const out: string[] = [];
  const weight = run.clients.reduce((w, c) => w + c.weight, 0);
  out.push(
    `${run.file}: ${run.clients.length} client line(s), weight ${weightText(weight)}; ` +
      `now = every datacenter up (no probes offline)`,
    '',
  );
  for (const r of run.names) {
    out.push(`${r.name.name} (${r.policy}, IPv${r.family}, ${r.clients} client line(s))`);
    for (const note of r.notes) out.push(`  note: ${note}`);
    const head = ['datacenter', ...scenarios.flatMap((s) => [scenarioLabel(s), '%'])];
    const body = r.rows.map((x) => [
      rowLabel(x.datacenter, x.to),
      ...scenarios.flatMap((_, i) => [weightText(x.weights[i]!), percent(share(x.weights[i]!, r.totals[i]!))]),
    ]);
    out.push(...table([head, ...body], 'l' + 'rr'.repeat(scenarios.length)), '');
  }
  const t = run.totals;
  out.push(`TOTAL (${run.names.length} name(s))`);
  for (const note of t.notes) out.push(`  note: ${note}`);
  const head = ['datacenter', 'capacity', ...scenarios.flatMap((s) => [scenarioLabel(s), '%', ''])];
  const body = t.rows.map((x) => [
    rowLabel(x.datacenter, x.to),
    x.capacity === null ? '-' : weightText(x.capacity),
    ...scenarios.flatMap((_, i) => [
      weightText(x.weights[i]!),
      percent(share(x.weights[i]!, t.totals[i]!)),
      capacityNote(x, i),
    ]),
  ]);
  body.push(['all', '', ...scenarios.flatMap((_, i) => [weightText(t.totals[i]!), percent(1), ''])]);
  out.push(...table([head, ...body], 'lr' + 'rrl'.repeat(scenarios.length)), '');
  const over = t.rows.flatMap((x) =>
    scenarios.flatMap((s, i) => (isOver(x, i) ? [`${x.datacenter} ${scenarioLabel(s)}`] : [])),
  );
  if (over.length > 0) out.push(`over capacity: ${over.join('; ')} (exit code ${EXIT_OVER_CAPACITY})`);
  else if (t.rows.every((x) => x.capacity === null)) out.push('no datacenter states a capacity: nothing to flag');
  else out.push('no datacenter over capacity');
  return out.join('\n') + '\n';
}
