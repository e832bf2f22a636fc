// The soak's result: totals from the load generator's counts, the verdict (what fails the run) and
// the summary table.
import type { ClientClass, LoadStats } from './load-types.js';
import type { LogSummary } from './logs.js';
import { GROUPS, MIX, type Group } from './queries.js';
import type { ScenarioRecord } from './scenario.js';
import { quantileMs, type KindCounts } from './tracker.js';

export interface Totals {
  sent: number;
  /** Answered within the timeout (any reply: the right one, a slip or a wrong one). */
  answered: number;
  /** Answered after the timeout. */
  late: number;
  /** Never answered. */
  lost: number;
  wrong: number;
  slipped: number;
  unsent: number;
}

export function totals(counts: readonly KindCounts[], pick: (i: number) => boolean = () => true): Totals {
  const t: Totals = { sent: 0, answered: 0, late: 0, lost: 0, wrong: 0, slipped: 0, unsent: 0 };
  counts.forEach((c, i) => {
    if (!pick(i)) return;
    t.sent += c.sent;
    t.answered += c.ok + c.slipped + c.wrong - c.late;
    t.late += c.late;
    t.lost += c.timedOut - c.late;
    t.wrong += c.wrong;
    t.slipped += c.slipped;
    t.unsent += c.unsent;
  });
  return t;
}

export interface RssPoint {
  readonly atS: number;
  readonly totalMiB: number;
  readonly processes: number;
}

export interface SoakResult {
  readonly startedAt: string;
  readonly durationS: number;
  readonly quick: boolean;
  readonly node: { readonly workers: number; readonly serveArgs: readonly string[] };
  readonly rate: { readonly measuredMax: number | null; readonly target: number; readonly achieved: number };
  readonly clients: { readonly udp: number; readonly tcp: number; readonly flood: number; readonly tcpEvery: number };
  readonly flood: { readonly qps: number; readonly bursts: number; readonly burstS: number; readonly everyS: number };
  /** The legitimate mix's busiest RRL class, per /24 prefix, at the target rate (queries per second). */
  readonly perPrefixClassQps: number;
  /** What one worker allows a prefix per class: --rrl-rate / workers. */
  readonly rrlPerWorkerQps: number;
  readonly byClass: Record<ClientClass, Totals>;
  readonly byGroup: Record<Group, Totals>;
  readonly latencyMs: Record<'udp' | 'tcp', { p50: number | null; p99: number | null }>;
  readonly load: Pick<
    LoadStats,
    'stray' | 'behind' | 'tcpReconnects' | 'socketErrors' | 'wrongSamples' | 'lostBySecond'
  >;
  /** What the soak did when (seconds from the load's start): file changes, churn, restarts, floods. */
  readonly timeline: readonly { readonly atS: number; readonly what: string }[];
  readonly rss: {
    readonly startMiB: number;
    readonly middleMiB: number;
    readonly endMiB: number;
    readonly growthPct: number;
    readonly boundPct: number;
    readonly endByProcess: readonly { pid: number; MiB: number }[];
    readonly workerPidsChanged: boolean;
    readonly samples: readonly RssPoint[];
  };
  readonly eventLoopP99Ms: {
    readonly primary: { readonly median: number | null; readonly max: number | null };
    /** Per worker label; null when /metrics does not expose them. */
    readonly workers: Record<string, { readonly median: number | null; readonly max: number | null }> | null;
  };
  readonly scenario: ScenarioRecord;
  readonly rrlMetrics: Record<string, number>;
  /** The node's load-balanced answers by reason at the end (failover ones show health churn reached answers). */
  readonly decisions: Record<string, number>;
  readonly logs: LogSummary & { readonly file: string };
  readonly nodeExit: string | null;
  readonly failures: readonly string[];
}

const groupOf = (g: Group) => (i: number) => MIX[i]!.group === g;

export function byGroup(stats: LoadStats): Record<Group, Totals> {
  const out = {} as Record<Group, Totals>;
  for (const g of GROUPS) {
    const u = totals(stats.counts.udp, groupOf(g));
    const t = totals(stats.counts.tcp, groupOf(g));
    const sum = { ...u };
    for (const k of Object.keys(sum) as (keyof Totals)[]) sum[k] += t[k];
    out[g] = sum;
  }
  return out;
}

export function latency(buckets: readonly number[]): { p50: number | null; p99: number | null } {
  return { p50: quantileMs(buckets, 0.5), p99: quantileMs(buckets, 0.99) };
}

/** What fails the run. */
export function failures(r: Omit<SoakResult, 'failures'>): string[] {
  const f: string[] = [];
  for (const cls of ['udp', 'tcp'] as const) {
    const t = r.byClass[cls];
    if (t.lost > 0) f.push(`${t.lost} ${cls} queries of legitimate clients lost`);
    if (t.wrong > 0) f.push(`${t.wrong} ${cls} replies to legitimate clients wrong`);
    if (t.slipped > 0) f.push(`${t.slipped} ${cls} replies to legitimate clients truncated by RRL`);
    if (t.unsent > 0) f.push(`${t.unsent} ${cls} queries of legitimate clients not sent (connection down)`);
  }
  if (r.nodeExit) f.push(r.nodeExit);
  if (r.rss.workerPidsChanged) f.push('a worker was replaced during the run');
  if (r.rss.growthPct > r.rss.boundPct)
    f.push(`RSS grew ${r.rss.growthPct.toFixed(1)} % from the middle to the end (bound ${r.rss.boundPct} %)`);
  const errors = Object.values(r.logs.errors).reduce((s, c) => s + c.count, 0);
  if (errors > 0) f.push(`${errors} unexpected error line(s) logged`);
  for (const w of r.scenario.rewrites) if (!w.ok) f.push(`file change at ${w.atS} s (${w.change}): ${w.detail}`);
  for (const x of r.scenario.redisRestarts)
    if (x.resyncedMs === null) f.push(`Redis restart at ${x.atS} s: the node did not resync`);
  if (r.scenario.churn.kills > 0 && !r.decisions['failover'])
    f.push('health churn moved no answer (no failover decision): did it reach the node through Redis?');
  const fl = r.byClass.flood;
  if (fl.sent > 0 && fl.slipped + fl.lost < fl.sent / 2)
    f.push(`RRL limited only ${fl.slipped + fl.lost} of ${fl.sent} flood queries`);
  return f;
}

const n = (x: number) => x.toLocaleString('en-US');
const ms = (x: number | null) => (x === null ? '-' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`);
const pad = (s: string, w: number) => s.padStart(w);

function row(label: string, t: Totals, extra: string[] = []): string {
  const cells = [t.sent, t.answered, t.late, t.lost, t.wrong, t.slipped, t.unsent].map((x) => pad(n(x), 11));
  return `  ${label.padEnd(16)}${cells.join('')}${extra.map((e) => pad(e, 11)).join('')}`;
}

export function summary(r: SoakResult): string {
  const L: string[] = [];
  const rate = r.rate;
  L.push(
    `gslb soak: ${r.durationS} s${r.quick ? ' (quick)' : ''}, started ${r.startedAt}; node: gslb serve ${r.node.workers ? `with ${r.node.workers} workers` : 'in one process'}, ${r.node.serveArgs.join(' ')}`,
  );
  L.push(
    `  rate: ${n(Math.round(rate.target))} q/s${rate.measuredMax !== null ? ` (half of ${n(Math.round(rate.measuredMax))} measured)` : ' (given)'}, achieved ${n(Math.round(rate.achieved))} q/s;` +
      ` ${r.clients.udp} UDP sources in as many /24s, ${r.clients.tcp} TCP connections (1 query in ${r.clients.tcpEvery});` +
      ` busiest RRL class ${r.perPrefixClassQps.toFixed(1)} q/s per prefix (a worker allows ${r.rrlPerWorkerQps.toFixed(1)})`,
  );
  L.push(
    `  flood: ${n(r.flood.qps)} q/s from ${r.clients.flood} sources in 127.66.66.0/24, ${r.flood.bursts} burst(s) of ${r.flood.burstS} s every ${r.flood.everyS} s`,
  );
  L.push('');
  L.push(
    `  ${'queries'.padEnd(16)}${['sent', 'answered', 'late', 'lost', 'wrong', 'slipped', 'unsent', 'p50', 'p99'].map((h) => pad(h, 11)).join('')}`,
  );
  L.push(row('udp', r.byClass.udp, [ms(r.latencyMs.udp.p50), ms(r.latencyMs.udp.p99)]));
  L.push(row('tcp', r.byClass.tcp, [ms(r.latencyMs.tcp.p50), ms(r.latencyMs.tcp.p99)]));
  for (const g of GROUPS) L.push(row(`  ${g}`, r.byGroup[g]));
  const fl = r.byClass.flood;
  const full = fl.answered + fl.late - fl.slipped - fl.wrong;
  const burstSeconds = r.flood.bursts * r.flood.burstS;
  L.push(
    `  flood: sent ${n(fl.sent)}, full ${n(full)}${burstSeconds ? ` (${(full / burstSeconds).toFixed(0)} a second of a burst)` : ''}, slipped (TC=1) ${n(fl.slipped)}, silent ${n(fl.lost)}, wrong ${n(fl.wrong)}`,
  );
  const ld = r.load;
  L.push(
    `  generator: ${n(ld.behind)} queries skipped behind schedule, ${ld.tcpReconnects} TCP reconnects, ${ld.socketErrors} socket errors, ${ld.stray} stray replies`,
  );
  for (const w of ld.wrongSamples) L.push(`    wrong: ${w}`);
  const lostAt = ld.lostBySecond.flatMap((c, i) => (c > 0 ? [`${i} s: ${n(c)}`] : []));
  if (lostAt.length) {
    L.push(
      `  lost queries by the second they were sent: ${lostAt.slice(0, 12).join(', ')}${lostAt.length > 12 ? ', ...' : ''}`,
    );
    const near = (t: number) =>
      r.timeline.filter((e) => e.atS >= t - 5 && e.atS <= t + 1).map((e) => `${e.what} at ${e.atS.toFixed(0)} s`);
    const first = ld.lostBySecond.findIndex((c) => c > 0);
    L.push(`    around the first: ${[...new Set(near(first))].join(', ') || 'nothing the soak did'}`);
  }
  L.push('');
  const s = r.scenario;
  const valid = s.rewrites.filter((w) => w.change === 'valid');
  const invalid = s.rewrites.filter((w) => w.change !== 'valid');
  const worst = (xs: typeof valid) =>
    xs.length ? `, slowest ${(Math.max(...xs.map((w) => w.ms)) / 1000).toFixed(1)} s` : '';
  L.push(
    `  file changes: ${valid.filter((w) => w.ok).length}/${valid.length} valid applied${worst(valid)}; ${invalid.filter((w) => w.ok).length}/${invalid.length} invalid rejected with the last good kept${worst(invalid)}`,
  );
  L.push(
    `  health churn: ${s.churn.kills} backend kills, ${s.churn.revives} revives${s.churn.reviveFailures ? `, ${s.churn.reviveFailures} revives retried (port taken)` : ''}`,
  );
  const dec = Object.entries(r.decisions);
  L.push(`  load-balanced answers by reason: ${dec.map(([k, v]) => `${k || '(none)'} ${n(v)}`).join(', ') || 'none'}`);
  for (const x of s.redisRestarts)
    L.push(
      `  redis restart at ${x.atS} s: down ${(x.downMs / 1000).toFixed(1)} s, node resynced ${x.resyncedMs === null ? 'NOT within 20 s' : `${(x.resyncedMs / 1000).toFixed(1)} s after the start`}`,
    );
  if (s.agentCut)
    L.push(
      `  agent cut off: ${s.agentCut.id} (SIGSTOP) at ${s.agentCut.atS} s; counted out by the node at the end: ${s.agentCut.seenStale === null ? 'unknown' : s.agentCut.seenStale ? 'yes' : 'NO'}`,
    );
  // gslb_rrl_responses_total{class="answer",action="dropped"} 12 -> "responses answer dropped 12"; zeros left out.
  const rr = Object.entries(r.rrlMetrics)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k.replace(/^gslb_rrl_|_total|}|\w+="|"/g, '').replace(/[{,]/g, ' ')} ${n(v)}`);
  L.push(`  RRL (the node's gslb_rrl_* at the end): ${rr.join(', ') || 'nothing limited'}`);
  L.push('');
  const rss = r.rss;
  L.push(
    `  RSS (primary + workers): start ${rss.startMiB.toFixed(0)} MiB, middle ${rss.middleMiB.toFixed(0)} MiB, end ${rss.endMiB.toFixed(0)} MiB` +
      ` (middle to end ${rss.growthPct >= 0 ? '+' : ''}${rss.growthPct.toFixed(1)} %, bound ${rss.boundPct} %); at the end ${rss.endByProcess.map((p) => `${p.MiB.toFixed(0)}`).join(' + ')} MiB`,
  );
  const el = r.eventLoopP99Ms;
  L.push(
    `  event-loop delay p99: primary median ${ms(el.primary.median)}, max ${ms(el.primary.max)}` +
      (r.node.workers === 0
        ? ' (one process, no workers)'
        : el.workers === null
          ? '; workers: not in /metrics'
          : `; ${Object.entries(el.workers)
              .map(([w, v]) => `worker ${w} median ${ms(v.median)}, max ${ms(v.max)}`)
              .join('; ')}`),
  );
  const lg = r.logs;
  const count = (b: Record<string, { count: number }>) => Object.values(b).reduce((a, c) => a + c.count, 0);
  L.push(
    `  logs: ${n(lg.lines)} lines (${lg.file}); expected: ${
      Object.entries(lg.expected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }; unexpected warnings ${count(lg.warnings)}, errors ${count(lg.errors)}`,
  );
  for (const [book, label] of [
    [lg.errors, 'error'],
    [lg.warnings, 'warning'],
  ] as const)
    for (const [k, c] of Object.entries(book).slice(0, 8)) {
      L.push(`    ${label} x${c.count}: ${k}`);
      L.push(`      ${c.samples[0]}`);
    }
  L.push('');
  L.push(r.failures.length === 0 ? 'result: PASS' : `result: FAIL\n${r.failures.map((f) => `  - ${f}`).join('\n')}`);
  return L.join('\n');
}
