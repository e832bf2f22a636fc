// Prometheus metrics for a DnsNode: every series is read from the node by a collect callback at scrape time.
import { basename } from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { nameToText } from '../zones/name.js';
import type { HealthMatrix } from '../health/source.js';
import { isLoadKey, type TargetHealth } from '../health/view.js';
import { splitDecisionKey, type DecisionTally } from './decisions.js';
import { PACKAGE_VERSION, type DnsNode } from './node.js';
import { monitorOnlyTargets, targetLabels } from './target-labels.js';
import { LATENCY_BUCKETS, signingCounts } from './stats.js';
import { forEachGuardCount, type GuardFamily } from './guard-stats.js';

export interface Metrics {
  readonly registry: Registry;
  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string>;
  /** Decision counts per name, kept across reloads (the admin API shows the same numbers). */
  readonly decisions: DecisionTally;
}

/**
 * The answer-latency histogram from the pipeline's own buckets. prom-client's Histogram can only
 * observe, so this is a small collector of its own producing cumulative buckets, +Inf, _sum and _count.
 */
function latencyHistogram(node: DnsNode): Metric {
  const name = 'gslb_answer_seconds';
  const help =
    'Time spent answering a query inside the server (seconds), from receipt to reply bytes. Sampled: one query in 8 is timed, so _count is the timed queries (gslb_queries_total counts all).';
  const get = async () => {
    const s = node.pipeline.stats;
    const values: Array<{ metricName: string; labels: Record<string, string>; value: number }> = [];
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += s.latency[i] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le: String(le) }, value: cumulative });
    });
    cumulative += s.latency[LATENCY_BUCKETS.length] ?? 0;
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: cumulative });
    values.push({ metricName: `${name}_sum`, labels: {}, value: s.latencySum });
    values.push({ metricName: `${name}_count`, labels: {}, value: cumulative });
    return { name, help, type: 'histogram', aggregator: 'sum', values };
  };
  // The registry only calls get() (and reset() on resetMetrics); the cast is for its class-based type.
  return { name, help, type: 'histogram', aggregator: 'sum', get, reset: () => {} } as unknown as Metric;
}

export function createMetrics(node: DnsNode): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const tally = node.decisions;
  collectDefaultMetrics({ register: registry });
  const stats = () => node.pipeline.stats;

  new Counter({
    name: 'gslb_queries_total',
    help: 'Queries answered, by zone, query type, response code and transport.',
    labelNames: ['zone', 'qtype', 'rcode', 'transport'] as const,
    registers,
    collect() {
      this.reset();
      stats().forEachCount((zone, qtype, rcode, transport, v) => this.inc({ zone, qtype, rcode, transport }, v));
    },
  });
  new Counter({
    name: 'gslb_dropped_total',
    help: 'Packets dropped without an answer (not a DNS query, or too malformed to answer).',
    registers,
    collect() {
      this.reset();
      this.inc(stats().dropped);
    },
  });
  new Counter({
    name: 'gslb_query_errors_total',
    help: 'Queries that hit an internal error (answered SERVFAIL).',
    registers,
    collect() {
      this.reset();
      this.inc(stats().errors);
    },
  });
  registry.registerMetric(latencyHistogram(node));

  // What protects the server on the open internet (docs/security.md); with --workers, summed. Each
  // family reads its own slots of the one guard array (guard-stats.ts) at scrape time.
  const guardCounter = (family: GuardFamily, name: string, help: string, labelNames: readonly string[]) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        forEachGuardCount(stats().guards, (f, labels, value) => {
          if (f === family) this.inc(labels, value);
        });
      },
    });
  guardCounter(
    'rrl',
    'gslb_rrl_responses_total',
    'UDP responses held back by response rate limiting, by response class and action (dropped, slipped = sent truncated; would-drop and would-slip with --rrl-log-only).',
    ['class', 'action'],
  );
  guardCounter(
    'cookies',
    'gslb_cookies_total',
    'Queries with a DNS cookie, by what their server cookie was: none yet (new), ours (valid), ours but old or under an older secret (stale), not ours (invalid).',
    ['result'],
  );
  guardCounter(
    'proxy',
    'gslb_proxy_dropped_total',
    'Datagrams and connections on the PROXY listener dropped without a reply, by reason and transport.',
    ['reason', 'transport'],
  );
  guardCounter(
    'tcp',
    'gslb_tcp_refused_total',
    'TCP connections closed at accept: over --tcp-max-per-client (per-client) or --tcp-max-connections (global).',
    ['reason'],
  );
  guardCounter(
    'dnstap',
    'gslb_dnstap_frames_total',
    'dnstap frames (--dnstap) handed to the collector (sent) or dropped: buffers full, collector slow or gone.',
    ['result'],
  );

  new Gauge({
    name: 'gslb_worker_event_loop_delay_p99_seconds',
    help: "Each worker's event-loop delay, 99th percentile over its last report (about a second); with --workers only.",
    labelNames: ['worker'] as const,
    registers,
    collect() {
      this.reset();
      for (const [worker, p99] of stats().loopDelay) this.set({ worker }, p99);
    },
  });

  new Counter({
    name: 'gslb_dnssec_signatures_total',
    help: 'DNSSEC signing of signed zones: signatures made (source="signed") and RRsets whose signatures came from the signer\'s cache (source="cache"); with --workers, summed over the workers.',
    labelNames: ['zone', 'source'] as const,
    registers,
    collect() {
      this.reset();
      for (const [zone, c] of signingCounts(stats(), node.catalog)) {
        this.inc({ zone, source: 'signed' }, c.made);
        this.inc({ zone, source: 'cache' }, c.cached);
      }
    },
  });

  new Counter({
    name: 'gslb_decisions_total',
    help: 'Load-balancing decisions served, by name, chosen datacenter and outcome (primary, failover, fallback, nodata, servfail).',
    labelNames: ['name', 'datacenter', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const [name, counts] of tally.read())
        for (const [key, n] of counts) {
          const { datacenter, outcome } = splitDecisionKey(key);
          this.inc({ name, datacenter, reason: outcome }, n);
        }
    },
  });

  // Health: one matrix per scrape. prom-client runs every collect callback in one synchronous pass,
  // so a snapshot kept until the next microtask is shared by exactly that scrape's health series.
  let snapshot: HealthMatrix | null = null;
  const matrix = (): HealthMatrix => {
    if (!snapshot) {
      snapshot = node.health.matrix();
      queueMicrotask(() => (snapshot = null));
    }
    return snapshot;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (set: (labels: Record<string, string>, v: number) => void) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        let any = false;
        fill((labels, v) => {
          any = true;
          this.set(labels, v);
        });
        // A series with no labels and no value this scrape is left out rather than shown as 0.
        if (!any && labelNames.length === 0) this.remove({});
      },
    });

  // Target series are labelled check and target (HOST:PORT), or source and url for load reads: labels
  // made once per configuration (target-labels.ts).
  const labelsOf = (key: string) => targetLabels(node.catalog).get(key);
  /** Sets a series per datacenter the target serves, for check targets (load reads with load: true). */
  const perTarget =
    (load: boolean, value: (h: TargetHealth) => number | null) =>
    (set: (labels: Record<string, string>, v: number) => void) => {
      for (const t of matrix().targets) {
        const labels = isLoadKey(t.key) === load ? labelsOf(t.key) : undefined;
        const v = labels ? value(t.verdict) : null;
        if (!labels || v === null) continue;
        const { zone, ...named } = labels; // zone (only where needed to tell series apart) goes last
        for (const dc of t.datacenters)
          set(zone === undefined ? { ...named, datacenter: dc } : { ...named, datacenter: dc, zone }, v);
      }
    };
  const CHECK_LABELS = ['check', 'target', 'datacenter', 'zone'];
  const LOAD_LABELS = ['source', 'url', 'datacenter', 'zone'];

  gauge(
    'gslb_endpoint_up',
    'Combined health verdict of a check target (HOST:PORT probed by a check), per datacenter it serves (1 up, 0 down).',
    CHECK_LABELS,
    perTarget(false, (h) => (h.up ? 1 : 0)),
  );
  gauge(
    'gslb_load_up',
    'Whether a load read (a stats URL of a load source) is up: read recently, and not failed by passive health (1 up, 0 down).',
    LOAD_LABELS,
    perTarget(true, (h) => (h.up ? 1 : 0)),
  );
  gauge(
    'gslb_datacenter_up',
    'Whether any probe target of the datacenter is up (1) or all are down (0).',
    ['datacenter'],
    (set) => {
      const up = new Map<string, boolean>();
      // Load targets are stats reads, not reachability: a datacenter is up by its checks (monitor
      // checks, which never move an answer, left out).
      const monitors = monitorOnlyTargets(node.catalog);
      for (const t of matrix().targets)
        if (!isLoadKey(t.key) && !monitors.has(t.key))
          for (const dc of t.datacenters) up.set(dc, (up.get(dc) ?? false) || t.verdict.up);
      for (const [dc, v] of up) set({ datacenter: dc }, v ? 1 : 0);
    },
  );
  gauge(
    'gslb_endpoint_rtt_seconds',
    'Smoothed probe round-trip time of a check target (median over agents).',
    CHECK_LABELS,
    perTarget(false, (h) => (h.rttMs === null ? null : h.rttMs / 1000)),
  );
  const figure = (name: string, help: string, value: (h: TargetHealth) => number | null) =>
    gauge(name, help, LOAD_LABELS, perTarget(true, value));
  figure(
    'gslb_load_connections',
    'Active connections of a load target, as read from its load balancer (smoothed).',
    (h) => h.connections,
  );
  figure(
    'gslb_load_capacity',
    'Connections a load target can take (its source, or the configured capacity).',
    (h) => h.capacity,
  );
  figure('gslb_load_utilisation', 'Connections / capacity of a load target (0..1 and beyond when overloaded).', (h) =>
    h.connections !== null && h.capacity !== null && h.capacity > 0 ? h.connections / h.capacity : null,
  );
  figure(
    'gslb_load_bandwidth_bytes_per_second',
    'Bytes per second through a load target (smoothed).',
    (h) => h.bandwidthBps,
  );
  figure(
    'gslb_load_error_ratio',
    'Failed / all requests of a load target between its last two reads.',
    (h) => h.errorRate,
  );
  gauge(
    'gslb_shed_share',
    'Shed load: share of its clients a datacenter gives to the next one, per load-balanced name (0..1).',
    ['name', 'datacenter'],
    (set) => {
      // The node's steering state: with --workers, the primary's, which is what its workers apply.
      const steering = node.steeringState;
      for (const zone of node.catalog.zones.values())
        for (const n of zone.nodes.values())
          if (n.lb?.name.shed) {
            const shares = steering.shedShares(n.lb.name.owner.key);
            for (const p of n.lb.name.pools)
              set(
                { name: nameToText(n.lb.name.owner.wire), datacenter: p.datacenter },
                shares.get(p.datacenter)?.share ?? 0,
              );
          }
    },
  );
  gauge(
    'gslb_dnssec_signature_expiry_timestamp_seconds',
    'The earliest expiration among the signatures a signed zone has cached (Unix seconds); with --workers, the earliest of all workers. Absent until a signature is made.',
    ['zone'],
    (set) => {
      for (const [zone, c] of signingCounts(stats(), node.catalog))
        if (c.expiry !== null) set({ zone }, c.expiry / 1000);
    },
  );
  gauge(
    'gslb_agent_report_age_seconds',
    "Seconds since the health agent's latest report reached this node.",
    ['agent', 'datacenter'],
    (set) => {
      for (const a of matrix().agents) set({ agent: a.id, datacenter: a.datacenter }, a.ageMs / 1000);
    },
  );
  gauge('gslb_agent_fresh', 'Whether the agent reported within --max-age (1) or not (0).', ['agent'], (set) => {
    for (const a of matrix().agents) set({ agent: a.id }, a.fresh ? 1 : 0);
  });
  gauge(
    'gslb_agent_discounted',
    "Whether the agent's reports are discounted (it looks cut off: it sees every other datacenter down).",
    ['agent'],
    (set) => {
      for (const a of matrix().agents) set({ agent: a.id }, a.discounted ? 1 : 0);
    },
  );
  gauge('gslb_agent_reports', 'Number of probe targets the agent has reported on.', ['agent'], (set) => {
    const m = matrix();
    for (const a of m.agents) set({ agent: a.id }, m.targets.filter((t) => t.cells[a.id]).length);
  });
  gauge(
    'gslb_health_state_epoch',
    "The number of the health state this node's answers come from: it moves on with every change of a verdict or a drain (not with RTT figures); with --workers, the primary's, which its workers follow.",
    [],
    (set) => set({}, node.health.view().stateEpoch),
  );
  gauge(
    'gslb_worker_health_state_epoch',
    'The health state epoch each worker answered from at its last report (about a second ago); with --workers only. Behind gslb_health_state_epoch for more than a few seconds: that worker answers from an old state.',
    ['worker'],
    (set) => {
      for (const [worker, epoch] of stats().workerStateEpoch) set({ worker }, epoch);
    },
  );
  gauge('gslb_redis_connected', 'Whether this node is connected to Redis (Redis health mode only).', [], (set) => {
    const r = matrix().redis;
    if (r) set({}, r.connected ? 1 : 0);
  });
  gauge(
    'gslb_redis_last_resync_timestamp_seconds',
    'When this node last re-read the whole health state from Redis (Unix seconds).',
    [],
    (set) => {
      const r = matrix().redis;
      if (r?.lastResync != null) set({}, r.lastResync / 1000);
    },
  );
  new Counter({
    name: 'gslb_redis_resyncs_total',
    help: 'Full re-reads of the health state from Redis (after connecting, reconnecting or a missed message).',
    registers,
    collect() {
      this.reset();
      const r = matrix().redis;
      if (r) this.inc(r.resyncs);
      else this.remove({});
    },
  });
  new Counter({
    name: 'gslb_redis_bad_messages_total',
    help: 'Malformed health messages or documents read from Redis and ignored.',
    registers,
    collect() {
      this.reset();
      const r = matrix().redis;
      if (r) this.inc(r.badMessages);
      else this.remove({});
    },
  });

  new Counter({
    name: 'gslb_config_reloads_total',
    help: 'Configuration reloads (SIGHUP or admin API), by result.',
    labelNames: ['result'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ result: 'ok' }, node.reloadsOk);
      this.inc({ result: 'failed' }, node.reloadsFailed);
    },
  });
  gauge('gslb_config_info', 'The configuration version being served (always 1).', ['version'], (set) =>
    set({ version: node.configVersion }, 1),
  );
  gauge(
    'gslb_config_last_reload_timestamp_seconds',
    'When the configuration was last loaded or a reload was last tried (Unix seconds; start time before any reload).',
    [],
    (set) => set({}, (node.lastReload?.at ?? node.startedAt) / 1000),
  );
  gauge(
    'gslb_geoip_build_timestamp_seconds',
    'Build time of each GeoIP database in use (Unix seconds), by file name.',
    ['database'],
    (set) => {
      for (const db of node.geo.databases) set({ database: basename(db.path) }, db.buildEpoch.getTime() / 1000);
    },
  );
  gauge('gslb_info', 'The server version and node id (always 1).', ['version', 'node'], (set) =>
    set({ version: PACKAGE_VERSION, node: node.nodeId }, 1),
  );

  return { registry, text: () => registry.metrics(), decisions: tally };
}
