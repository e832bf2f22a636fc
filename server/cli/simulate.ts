// `gslb simulate`: how a sample of client traffic splits across datacenters now and with some down,
// each client a traced query through the same loader and pipeline as serve; flags datacenters pushed
// past capacity. "Now" is every endpoint up, or with --redis the live state (agents' verdicts, drains,
// load figures and the shed load they cause), read once.
import { readFileSync } from 'node:fs';
import type { QuorumConfig } from '../../health/quorum.js';
import { parseRedisUrl } from '../../health/redis-connect.js';
import { RedisConnectionError } from '../../health/redis-errors.js';
import { liveHealth, readHealthOnce, type HealthRead, type LiveHealth } from '../../health/redis-read.js';
import type { Zone } from '../../zones/zone.js';
import { planFor } from '../probe-plan.js';
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
import { checkDown, geoServesZones, loadValidZones, scenarioHealth } from './offline.js';
import { quorumFlags } from './quorum-flags.js';
import { redisFlags, type RedisFlags } from './redis-flags.js';
import { StartupError } from './startup-error.js';
import { openGeo } from './geo-files.js';

/** Exit code when a datacenter is past its capacity in any scenario, so scripts can gate maintenance on it. */
export const EXIT_OVER_CAPACITY = 3;

interface Run {
  readonly file: string;
  readonly clients: readonly Client[];
  readonly source: HealthUsed;
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

/** Longest wait for Redis: simulate reads it once and never hangs on it. */
export const REDIS_READ_TIMEOUT_MS = 5000;

/** The health "now" starts from: every endpoint up, or what was read from Redis. */
type HealthUsed =
  | { readonly source: 'assumed-up' }
  | {
      readonly source: 'redis';
      /** The URL without its password. */
      readonly redis: string;
      readonly prefix: string;
      readonly at: number;
      readonly live: LiveHealth;
      /** Probe targets of the zones, and those no fresh agent reports (read as up, as a node reads them). */
      readonly planned: number;
      readonly unreported: number;
    };

/** Reads the live state once; a Redis that cannot be read ends the command with one line and its code. */
async function readLive(zones: readonly Zone[], redis: RedisFlags, quorum: QuorumConfig): Promise<HealthUsed> {
  const plan = planFor(zones.map((z) => z.policy));
  let read: HealthRead;
  try {
    read = await readHealthOnce(redis, redis.prefix, REDIS_READ_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof RedisConnectionError) throw new StartupError(err.code, `redis: ${err.message}`);
    throw new StartupError('E_REDIS_COMMAND_FAILED', `redis: ${(err as Error).message}`);
  }
  for (const bad of read.bad) process.stderr.write(`gslb simulate: warning: skipped malformed health data: ${bad}\n`);
  const live = liveHealth(
    read,
    new Map(plan.targets.map((t) => [t.key, t.datacenters])),
    quorum,
    new Map(plan.targets.flatMap((t) => (t.from ? [[t.key, t.from] as const] : []))),
  );
  return {
    source: 'redis',
    redis: parseRedisUrl(redis.url).display,
    prefix: redis.prefix,
    at: read.at,
    live,
    planned: plan.targets.length,
    unreported: plan.targets.filter((t) => !live.targets.has(t.key)).length,
  };
}

export async function runSimulate(argv: string[]): Promise<number> {
  const { values, origins, warnings } = parse(argv, SIMULATE);
  const redis = redisFlags(values, origins);
  const quorum = quorumFlags(values);
  for (const warning of [...warnings, ...(redis?.warnings ?? [])])
    process.stderr.write(`gslb simulate: warning: ${warning}\n`);
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
  checkDown(zones, down);
  const geo = openGeo(values.geoip);
  if (!geoServesZones(zones, geo)) return 1;
  const catalog = compileCatalog(zones, geo);
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
  // Redis last: everything the command line and the files can get wrong is said without waiting for it.
  const source: HealthUsed = redis ? await readLive(zones, redis, quorum) : { source: 'assumed-up' };
  const scenarios = scenariosOf(catalog, scenarioHealth(zones, down, source.source === 'redis' ? source.live : null));
  const names = selected.map((n) => simulateName(n, clients, scenarios, source.source === 'redis'));
  const run: Run = { file, clients, source, scenarios, names, totals: sumNames(names, scenarios.length) };
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

function healthJson(h: HealthUsed) {
  if (h.source === 'assumed-up') return { source: h.source };
  return {
    source: h.source,
    redis: h.redis,
    prefix: h.prefix,
    at: new Date(h.at).toISOString(),
    agents: h.live.agents.map((a) => ({
      agent: a.agent,
      datacenter: a.datacenter,
      fresh: a.fresh,
      discounted: a.discounted,
      ageMs: a.ageMs,
      reason: a.reason,
    })),
    drains: h.live.drains.map((d) => ({
      field: d.field,
      until: d.until === null ? null : new Date(d.until).toISOString(),
    })),
    targets: { planned: h.planned, unreported: h.unreported },
  };
}

function toJson(run: Run) {
  const n = run.scenarios.length;
  return {
    clients: { file: run.file, lines: run.clients.length },
    health: healthJson(run.source),
    scenarios: byScenario(n, (i) => ({ down: run.scenarios[i]!.down, shed: run.scenarios[i]!.shed })),
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
    case 'cname':
      return `(fallback CNAME ${datacenter})`;
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

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Which health "now" is: the first line says where it came from; more lines only when something is off. */
function healthLines(h: HealthUsed): string[] {
  if (h.source === 'assumed-up') return ['health: everything assumed up (no --redis)'];
  const { agents, drains } = h.live;
  const fresh = agents.filter((a) => a.fresh).length;
  const stale = agents.length - fresh;
  const discounted = agents.filter((a) => a.discounted).length;
  const at = new Date(h.at).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
  const lines = [
    `health: live from ${h.redis} (prefix ${h.prefix}), ${count(fresh, 'agent')} fresh` +
      (stale > 0 ? ` (${stale} stale, not counted)` : '') +
      (discounted > 0 ? `, ${discounted} discounted as cut off` : '') +
      `, ${count(drains.length, 'drain')}, as of ${at}`,
  ];
  if (h.unreported > 0)
    lines.push(
      `health: ${h.unreported} of ${count(h.planned, 'probe target')} reported by no fresh agent: read as up, as a node reads them`,
    );
  return lines;
}

function formatRun(run: Run): string {
  const { scenarios } = run;
  const out: string[] = [];
  const weight = run.clients.reduce((w, c) => w + c.weight, 0);
  out.push(`${run.file}: ${run.clients.length} client line(s), weight ${weightText(weight)}`);
  out.push(...healthLines(run.source), '');
  for (const r of run.names) {
    const answers = r.name.lb.name.cname ? 'CNAME' : `IPv${r.family}`;
    out.push(`${r.name.name} (${r.policy}, ${answers}, ${r.clients} client line(s))`);
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
