// A long mixed load on one `gslb serve --redis` node under everything an operator's day throws at it:
// file rewrites every 20 s (valid and invalid alternating), health churn through Redis, two Redis
// restarts, an agent cut off, and an RRL-triggering flood from one prefix in bursts. Reports queries
// sent, answered and lost per class of client, RSS at start, middle and end, event-loop delay, and
// every warning and error logged. See docs/soak.md. Run through scripts/soak (it builds first).
// usage: node dist/scripts/soak.js [--duration 30m] [--quick] [--workers N] [--rate QPS] [--json FILE]
//   [--flood-rate QPS] [--udp-clients N] [--tcp-clients N] [--tcp-every N] [--rss-bound PCT] [--keep]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '../zones/duration.js';
import { median, sleep } from './e2e-cluster.js';
import { Deployment } from './soak-lib/deployment.js';
import { LoadGenerator } from './soak-lib/load.js';
import type { LoadStats } from './soak-lib/load-types.js';
import { LogBook } from './soak-lib/logs.js';
import { decisionsByReason, PRIMARY_LAG_P99, scrape, series, WORKER_LAG_P99 } from './soak-lib/metrics.js';
import { treeRss } from './soak-lib/proc-tree.js';
import { largestClassShare } from './soak-lib/queries.js';
import { byGroup, failures, latency, summary, totals, type RssPoint, type SoakResult } from './soak-lib/report.js';
import { Scenario } from './soak-lib/scenario.js';

const USAGE = `usage: scripts/soak [--duration 30m] [--quick] [--workers N] [--rate QPS] [--json FILE]
                   [--flood-rate QPS] [--udp-clients N] [--tcp-clients N] [--tcp-every N]
                   [--rss-bound PCT] [--keep]
  --duration D     how long the load runs (default 30m; --quick: 60s)
  --quick          a one-minute run
  --workers N      gslb serve --workers N (default: serve's default, the number of cores)
  --rate QPS       the legitimate clients' rate (default: half the maximum measured in a 5 s burst)
  --json FILE      the result as JSON too
  --flood-rate QPS the flood's rate during a burst (default 2000; RRL allows 50 per prefix and class)
  --udp-clients N  legitimate UDP sources, each in its own /24 (default: 512, more if the rate needs)
  --tcp-clients N  legitimate TCP connections (default 8)
  --tcp-every N    one legitimate query in N goes over TCP (default 20)
  --rss-bound PCT  the largest RSS growth from the middle to the end that passes (default 10)
  --keep           keep the work folder (zones, the log of every process) even when the run passes`;

const OPTIONS = {
  duration: { type: 'string' },
  quick: { type: 'boolean', default: false },
  workers: { type: 'string' },
  rate: { type: 'string' },
  json: { type: 'string' },
  'flood-rate': { type: 'string', default: '2000' },
  'udp-clients': { type: 'string' },
  'tcp-clients': { type: 'string', default: '8' },
  'tcp-every': { type: 'string', default: '20' },
  'rss-bound': { type: 'string', default: '10' },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
try {
  values = parseArgs({ options: OPTIONS }).values;
} catch (err) {
  console.error(`soak: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
function whole(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) {
    console.error(`soak: --${name} must be a whole number >= ${min}\n${USAGE}`);
    process.exit(2);
  }
  return x;
}
let durationMs: number;
try {
  durationMs = values.quick ? 60_000 : parseDuration(values.duration ?? '30m', '--duration');
} catch (err) {
  console.error(`soak: ${(err as Error).message}`);
  process.exit(2);
}
if (durationMs < 60_000) {
  console.error('soak: --duration must be 1m or more (the timeline needs two Redis restarts and a few file changes)');
  process.exit(2);
}
const givenRate = whole('rate', values.rate, 1);
const workers = whole('workers', values.workers, 1);
const floodQps = whole('flood-rate', values['flood-rate'], 0)!;
const tcpClients = whole('tcp-clients', values['tcp-clients'], 0)!;
const tcpEvery = whole('tcp-every', values['tcp-every'], 2)!;
const rssBound = whole('rss-bound', values['rss-bound'], 0)!;

const RRL_RATE = 50;
const TIMEOUT_MS = 2000;
const REWRITE_EVERY_MS = 20_000;
const CHURN_EVERY_MS = 3000;
const FLOOD_ON_MS = 5000;
const FLOOD_EVERY_MS = 20_000;
const RSS_EVERY_MS = 2000;
const METRICS_EVERY_MS = 5000;
/**
 * A legitimate prefix's busiest RRL class stays at half of what one worker allows (each enforces
 * --rrl-rate / workers): safe even if one worker happens to read all of a prefix's queries.
 */
const PREFIX_HEADROOM = 2;
/** The soak rate the prefixes are planned for when it is measured (a measured maximum up to twice this). */
const PLANNED_QPS = 60_000;

const gslb = fileURLToPath(new URL('../../bin/gslb', import.meta.url));
const serveArgs = [
  ...(workers !== undefined ? ['--workers', String(workers)] : []),
  ...['--rrl-rate', String(RRL_RATE), '--rrl-slip', '2'],
];

const work = mkdtempSync(join(tmpdir(), 'gslb-soak-'));
const logs = new LogBook(join(work, 'soak.log'));
const deployment = new Deployment({ gslb, work, logs, serveArgs });
let load: LoadGenerator | null = null;

const mib = (b: number) => b / 1048576;
const say = (s: string) => console.log(s);

/** Source addresses: legitimate UDP clients from 127.100.0.0 up, one /24 each; TCP in 127.250/16. */
function sources(udpClients: number) {
  return {
    udpSources: Array.from({ length: udpClients }, (_, i) => `127.${100 + (i >> 8)}.${i & 255}.1`),
    tcpSources: Array.from({ length: tcpClients }, (_, i) => `127.250.${i}.1`),
    floodSources: Array.from({ length: 8 }, (_, i) => `127.66.66.${i + 1}`),
  };
}

async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  say(`soak: work folder ${work}`);
  await deployment.start();
  say(
    `soak: redis ${deployment.redisUrl}, gslb serve on 127.0.0.1:${deployment.dnsPort}, admin ${deployment.adminUrl}`,
  );

  const share = largestClassShare();
  const perWorker = RRL_RATE / (workers ?? availableParallelism());
  const udpClients =
    whole('udp-clients', values['udp-clients'], 1) ??
    Math.max(512, Math.ceil(((givenRate ?? PLANNED_QPS) * share * PREFIX_HEADROOM) / perWorker));
  if (udpClients > 25_600) throw new Error('more than 25,600 UDP clients: lower --rate or --udp-clients');
  const src = sources(udpClients);
  load = await LoadGenerator.start({ port: deployment.dnsPort, ...src, tcpEvery, timeoutMs: TIMEOUT_MS, seed: 17 });

  let measuredMax: number | null = null;
  let rate = givenRate ?? 0;
  if (givenRate === undefined) {
    const m = await load.measure(5);
    measuredMax = m.qps;
    rate = Math.round(m.qps / 2);
    say(
      `soak: measured ${Math.round(m.qps)} q/s in a 5 s closed-loop burst (${m.timedOut} timed out); running at ${rate} q/s`,
    );
    // The burst came from the legitimate clients' prefixes at full speed, which may have run some of
    // them into RRL debt: the run starts once any such debt is paid back (--rrl-window, 15 s).
    say('soak: waiting 16 s for the burst to leave no rate-limiting debt');
    await new Promise((r) => setTimeout(r, 16_000));
  }
  if ((rate * share) / udpClients > perWorker / PREFIX_HEADROOM)
    say(
      `soak: warning: ${udpClients} prefixes are few for ${rate} q/s: RRL may limit legitimate clients (--udp-clients)`,
    );

  const t0 = Date.now();
  const scenario = new Scenario(deployment, logs, t0);
  await load.run(rate);
  const nodePid = deployment.node!.pid!;
  const rss: (RssPoint & { byPid: (readonly [number, number])[] })[] = [];
  const primaryLag: number[] = [];
  const workerLag = new Map<string, number[]>();
  const workerPids = new Set<number>();
  let firstWorkers: number[] | null = null;
  const atS = () => (Date.now() - t0) / 1000;

  const sampleRss = () => {
    const r = treeRss(nodePid, atS());
    if (r.byPid.length === 0) return;
    const workers = r.byPid.slice(1).map(([p]) => p);
    firstWorkers ??= workers;
    for (const p of workers) workerPids.add(p);
    rss.push({ atS: r.at, totalMiB: mib(r.total), processes: r.byPid.length, byPid: [...r.byPid] });
  };
  let lastMetrics = new Map<string, number>();
  const sampleMetrics = async () => {
    const m = await scrape(deployment.adminUrl).catch(() => null);
    if (!m) return;
    lastMetrics = m;
    for (const v of series(m, PRIMARY_LAG_P99).values()) primaryLag.push(v * 1000);
    for (const [label, v] of series(m, WORKER_LAG_P99)) {
      const w = /worker="([^"]*)"/.exec(label)?.[1] ?? label;
      workerLag.set(w, [...(workerLag.get(w) ?? []), v * 1000]);
    }
  };

  // The timeline: everything at a fixed time from the start, fired by one loop.
  const events: { at: number; what: string; run: () => unknown }[] = [];
  for (let t = REWRITE_EVERY_MS / 2; t <= durationMs - 10_000; t += REWRITE_EVERY_MS)
    events.push({ at: t, what: 'file change', run: () => scenario.rewrite() });
  for (let t = CHURN_EVERY_MS; t < durationMs - CHURN_EVERY_MS; t += CHURN_EVERY_MS)
    events.push({ at: t, what: 'health churn', run: () => scenario.churn() });
  for (const f of [1 / 3, 2 / 3])
    events.push({ at: durationMs * f, what: 'redis restart', run: () => scenario.restartRedis() });
  events.push({ at: durationMs * 0.4, what: 'agent cut', run: () => scenario.cutAgent() });
  for (let t = FLOOD_ON_MS; t + FLOOD_ON_MS <= durationMs - 5000; t += FLOOD_EVERY_MS) {
    events.push({
      at: t,
      what: 'flood on',
      run: () => {
        // Its RRL episode's start, and its stop once the prefix has paid back (--rrl-window, 15 s).
        logs.expect('flood', Date.now() + FLOOD_ON_MS + 30_000);
        load!.flood(floodQps);
        scenario.record.floodBursts++;
      },
    });
    events.push({ at: t + FLOOD_ON_MS, what: 'flood off', run: () => load!.flood(0) });
  }
  for (let t = 0; t < durationMs; t += RSS_EVERY_MS) events.push({ at: t + 500, what: 'rss', run: sampleRss });
  for (let t = 0; t < durationMs; t += METRICS_EVERY_MS)
    events.push({ at: t + 1000, what: 'metrics', run: sampleMetrics });
  const progressEvery = durationMs <= 120_000 ? 10_000 : 60_000;
  for (let t = progressEvery; t < durationMs; t += progressEvery)
    events.push({ at: t, what: 'progress', run: async () => say(progress(await load!.snapshot(), atS())) });
  events.sort((a, b) => a.at - b.at);

  const running: Promise<unknown>[] = [];
  const eventErrors: string[] = [];
  const timeline: { atS: number; what: string }[] = [];
  const quiet = new Set(['rss', 'metrics', 'progress']);
  let next = 0;
  while (Date.now() - t0 < durationMs && !deployment.nodeExit) {
    const now = Date.now() - t0;
    while (next < events.length && events[next]!.at <= now) {
      const e = events[next++]!;
      if (!quiet.has(e.what)) timeline.push({ atS: Math.round(now / 100) / 10, what: e.what });
      running.push(
        Promise.resolve()
          .then(e.run)
          .catch((err: Error) => eventErrors.push(`${e.what} at ${(e.at / 1000).toFixed(0)} s: ${err.message}`)),
      );
    }
    await sleep(100);
  }
  const ranS = atS();
  await Promise.all(running);
  await scenario.checkAgentCut().catch((err: Error) => eventErrors.push(`agent check: ${err.message}`));
  await sampleMetrics();
  const stats = await load.stop();
  load = null;
  if (eventErrors.length) for (const e of eventErrors) say(`soak: event failed: ${e}`);

  const window = (from: number, to: number) => {
    const xs = rss.filter((p) => p.atS >= from && p.atS <= to).map((p) => p.totalMiB);
    return xs.length ? median(xs) : 0;
  };
  const durS = durationMs / 1000;
  const middle = window(durS / 2 - 10, durS / 2 + 10);
  const end = window(ranS - 20, ranS);
  const last = rss.at(-1);
  const lagStats = (xs: number[]) => ({
    median: xs.length ? median(xs) : null,
    max: xs.length ? Math.max(...xs) : null,
  });
  const rrlMetrics: Record<string, number> = {};
  for (const [k, v] of lastMetrics) if (k.startsWith('gslb_rrl_')) rrlMetrics[k] = v;
  const partial: Omit<SoakResult, 'failures'> = {
    startedAt,
    durationS: Math.round(ranS),
    quick: values.quick!,
    node: { workers: (firstWorkers as number[] | null)?.length ?? 0, serveArgs },
    rate: {
      measuredMax,
      target: rate,
      achieved: (totals(stats.counts.udp).sent + totals(stats.counts.tcp).sent) / (stats.runningMs / 1000),
    },
    clients: { udp: udpClients, tcp: tcpClients, flood: src.floodSources.length, tcpEvery },
    flood: {
      qps: floodQps,
      bursts: scenario.record.floodBursts,
      burstS: FLOOD_ON_MS / 1000,
      everyS: FLOOD_EVERY_MS / 1000,
    },
    perPrefixClassQps: (rate * share) / udpClients,
    rrlPerWorkerQps: perWorker,
    byClass: { udp: totals(stats.counts.udp), tcp: totals(stats.counts.tcp), flood: totals(stats.counts.flood) },
    byGroup: byGroup(stats),
    latencyMs: { udp: latency(stats.latency.udp), tcp: latency(stats.latency.tcp) },
    load: {
      stray: stats.stray,
      behind: stats.behind,
      tcpReconnects: stats.tcpReconnects,
      socketErrors: stats.socketErrors,
      wrongSamples: stats.wrongSamples,
      lostBySecond: stats.lostBySecond,
    },
    timeline,
    rss: {
      startMiB: window(0, 10),
      middleMiB: middle,
      endMiB: end,
      growthPct: middle > 0 ? ((end - middle) / middle) * 100 : 0,
      boundPct: rssBound,
      endByProcess: (last?.byPid ?? []).map(([pid, b]) => ({ pid, MiB: mib(b) })),
      workerPidsChanged: firstWorkers !== null && workerPids.size !== (firstWorkers as number[]).length,
      samples: rss.map(({ atS, totalMiB, processes }) => ({ atS, totalMiB, processes })),
    },
    eventLoopP99Ms: {
      primary: lagStats(primaryLag),
      workers: workerLag.size ? Object.fromEntries([...workerLag].map(([w, xs]) => [w, lagStats(xs)])) : null,
    },
    scenario: scenario.record,
    rrlMetrics,
    decisions: decisionsByReason(lastMetrics),
    logs: { ...logs.summary(), file: join(work, 'soak.log') },
    nodeExit: deployment.nodeExit,
  };
  const result: SoakResult = { ...partial, failures: [...failures(partial), ...eventErrors] };
  say('');
  say(summary(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  return result.failures.length === 0 ? 0 : 1;
}

function progress(s: LoadStats, at: number): string {
  const u = totals(s.counts.udp);
  const t = totals(s.counts.tcp);
  const f = totals(s.counts.flood);
  return (
    `soak: ${at.toFixed(0)} s: legitimate sent ${u.sent + t.sent}, answered ${u.answered + t.answered}, late ${u.late + t.late},` +
    ` lost so far ${u.lost + t.lost}, wrong ${u.wrong + t.wrong}; flood sent ${f.sent}, slipped ${f.slipped}`
  );
}

let code = 1;
let finished = false;
async function cleanup(): Promise<void> {
  await load?.kill().catch(() => {});
  await deployment.stop();
  await logs.close();
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    if (finished) return;
    finished = true;
    say(`soak: ${sig}, stopping (work folder kept: ${work})`);
    void cleanup().finally(() => process.exit(130));
  });
try {
  code = await main();
} catch (err) {
  console.error(`soak: ${(err as Error).message}`);
  code = 1;
}
if (!finished) {
  finished = true;
  await cleanup();
  if (code === 0 && !values.keep) rmSync(work, { recursive: true, force: true });
  else say(`soak: work folder kept: ${work}`);
  process.exit(code);
}
