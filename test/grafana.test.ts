// The Grafana dashboard (docs/grafana/gslb.json) and the example alert rules (docs/grafana/alerts.yaml,
// the same block in docs/metrics.md) against a real `gslb serve`: every metric name of every panel,
// variable and rule is in the /metrics of a node serving a signed zone with rate limiting, cookies,
// load-balanced names (checks, a load source, shed) and workers, answered over UDP and TCP; the Redis
// series from a second node with --redis. The dashboard's shape is what an import needs (the data
// source an input, every panel with PromQL targets); promtool checks the rules when installed.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply, tcpExchange, udpExchange } from './helpers/dns.js';
import { cookieOption } from './helpers/dns-cookies.js';
import { dnssecKeygen, toolsOrSkip } from './helpers/dnssec-zone.js';
import { cityDatabase, GSLB_ZONES } from './helpers/gslb.js';
import { stopAll } from './helpers/processes.js';
import { metricNames, missingReason, PROMETHEUS_OWN, readExposition, type Exposition } from './helpers/promql-names.js';
import { cleanup, redisOrSkip, testPrefix } from './helpers/redis.js';
import { startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const DASHBOARD = 'docs/grafana/gslb.json';
const ALERTS = 'docs/grafana/alerts.yaml';
const APEX = 'lb.test';
const DS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

interface Target {
  readonly expr?: unknown;
  readonly refId?: unknown;
  readonly datasource?: unknown;
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: unknown;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly datasource?: unknown;
  readonly query: { query: string } | string;
}
interface Dashboard {
  readonly __inputs: ReadonlyArray<Record<string, unknown>>;
  readonly schemaVersion: number;
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { list: readonly Variable[] };
}
interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const dashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
/** Every panel, those inside collapsed rows too. */
const allPanels = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const variableQuery = (v: Variable): string => (typeof v.query === 'string' ? v.query : v.query.query);
const rules = (text: string): Rule[] =>
  (yaml.load(text) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

/** Each PromQL expression of the dashboard (panel targets and query variables) and of the alert rules. */
function expressions(): Array<{ where: string; expr: string }> {
  const d = dashboard();
  return [
    ...allPanels(d).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${String(t.refId)}`, expr: String(t.expr) })),
    ),
    ...d.templating.list.map((v) => ({ where: `variable $${v.name}`, expr: variableQuery(v) })),
    ...rules(readFileSync(ALERTS, 'utf8')).map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ];
}

/** A dashboard query as Grafana sends it: its interval variables durations, the others `.*` (All). */
const grafanaFilled = (expr: string): string =>
  expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\$\{?[a-zA-Z_]\w*\}?/g, '.*');

/** The ```yaml block of docs/metrics.md's Alerts section. */
function alertsBlockOfDocs(): string {
  const doc = readFileSync('docs/metrics.md', 'utf8');
  const section = doc.slice(doc.indexOf('\n## Alerts\n'));
  const m = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('docs/metrics.md: no ```yaml block under "## Alerts"');
  return m[1]!;
}

describe('grafana: metric names out of PromQL', () => {
  const table: Array<[string, string[]]> = [
    ['sum by (rcode) (rate(gslb_queries_total{zone=~"$zone"}[$__rate_interval]))', ['gslb_queries_total']],
    ['histogram_quantile(0.99, sum by (le) (rate(gslb_answer_seconds_bucket[5m])))', ['gslb_answer_seconds_bucket']],
    ['up{job="gslb"} == 0', ['up']],
    [
      'gslb_dnssec_signature_expiry_timestamp_seconds - time() < 2 * 86400',
      ['gslb_dnssec_signature_expiry_timestamp_seconds'],
    ],
    ['gslb_a>0 and on(instance) gslb_b', ['gslb_a', 'gslb_b']],
    ['up * on (instance) group_left (node, version) gslb_info', ['gslb_info', 'up']],
    ['label_values(gslb_info{node=~"$node"}, instance)', ['gslb_info']],
    ['max by (instance) (nodejs_eventloop_lag_p99_seconds)', ['nodejs_eventloop_lag_p99_seconds']],
    // A label value, a Grafana variable and a label that look like metrics are not metrics.
    ['count(gslb_x{name="gslb_not_a_metric", gslb_label="y"}[$gslb_var])', ['gslb_x']],
    ['sum(rate(gslb_a[5m]))\n  / sum(rate(gslb_b[5m]))', ['gslb_a', 'gslb_b']],
  ];
  for (const [expr, want] of table) it(expr.replace(/\s+/g, ' '), () => expect(metricNames(expr)).to.deep.equal(want));

  it('a name is there only with samples; _bucket only of a histogram', () => {
    const e = readExposition(
      [
        '# TYPE a_seconds histogram',
        'a_seconds_bucket{le="1"} 1',
        'a_seconds_sum 0.1',
        'a_seconds_count 1',
        '# TYPE b_total counter',
        '# TYPE c_total counter',
        'c_total{x="1"} 0',
        '# TYPE d summary',
        'd_count 1',
      ].join('\n'),
    );
    expect(missingReason('a_seconds_bucket', e)).to.equal(null);
    expect(missingReason('a_seconds_count', e)).to.equal(null);
    expect(missingReason('c_total', e)).to.equal(null);
    expect(missingReason('b_total', e)).to.equal('declared but without samples');
    expect(missingReason('e_total', e)).to.equal('not exported');
    expect(missingReason('d_bucket', e)).to.equal('d is a summary: it has no buckets');
    expect(missingReason('d_sum', e)).to.equal('d (summary) has no _sum samples');
  });
});

describe('grafana: the dashboard file', () => {
  it('imports anywhere: schema 36+, the Prometheus data source an input used by every panel, target and variable', () => {
    const d = dashboard();
    expect(d.schemaVersion).to.be.at.least(36);
    expect(d.uid).to.be.a('string').and.not.equal('');
    expect(d.__inputs).to.deep.equal([
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        description: 'The Prometheus that scrapes the gslb nodes (/metrics of --admin).',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ]);
    const panels = allPanels(d).filter((p) => p.type !== 'row');
    expect(panels.length).to.be.at.least(20);
    for (const p of panels) {
      expect(p.datasource, p.title).to.deep.equal(DS);
      expect(p.targets, p.title).to.be.an('array').with.length.above(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, `${p.title}: refIds`).to.equal(refIds.length);
      for (const t of p.targets!) {
        expect(t.expr, p.title).to.be.a('string').and.not.equal('');
        expect(t.datasource, p.title).to.deep.equal(DS);
      }
      const g = p.gridPos;
      expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${p.title}: gridPos`).to.equal(true);
    }
    const ids = allPanels(d).map((p) => p.id);
    expect(new Set(ids).size, 'panel ids').to.equal(ids.length);
    for (const v of d.templating.list) {
      expect(v.type, v.name).to.equal('query');
      expect(v.datasource, v.name).to.deep.equal(DS);
      expect(variableQuery(v), v.name).to.match(/^label_values\(gslb_\w+(\{[^}]*\})?, \w+\)$/);
    }
    // Nothing else names a data source: no uid of the author's Grafana left in.
    const uids = [...readFileSync(DASHBOARD, 'utf8').matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(uids)).to.deep.equal(new Set([d.uid, '${DS_PROMETHEUS}', '-- Grafana --']));
  });

  it('uses only variables it defines (and Grafana built-ins)', () => {
    const d = dashboard();
    const defined = new Set(d.templating.list.map((v) => v.name));
    for (const { where, expr } of expressions().filter((e) => !e.where.startsWith('alert')))
      for (const m of expr.matchAll(/\$\{?([a-zA-Z_]\w*)/g))
        expect(m[1]!.startsWith('__') || defined.has(m[1]!), `${where}: $${m[1]} is not a variable`).to.equal(true);
    expect([...defined].sort()).to.deep.equal(['datacenter', 'instance', 'name', 'node', 'zone']);
  });

  it('has the panels issue #19 asks for', () => {
    const used = new Set(
      allPanels(dashboard()).flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(String(t.expr)))),
    );
    for (const name of [
      'gslb_queries_total',
      'gslb_answer_seconds_bucket',
      'gslb_decisions_total',
      'gslb_endpoint_up',
      'gslb_datacenter_up',
      'gslb_agent_report_age_seconds',
      'gslb_config_reloads_total',
      'gslb_rrl_responses_total',
      'gslb_cookies_total',
      'gslb_proxy_dropped_total',
      'gslb_tcp_refused_total',
      'gslb_dnssec_signatures_total',
      'gslb_dnssec_signature_expiry_timestamp_seconds',
      'gslb_worker_event_loop_delay_p99_seconds',
    ])
      expect(used.has(name), name).to.equal(true);
  });
});

describe('grafana: the alert rules', function () {
  this.timeout(30_000);

  it('docs/metrics.md shows exactly docs/grafana/alerts.yaml', () => {
    expect(alertsBlockOfDocs()).to.equal(readFileSync(ALERTS, 'utf8'));
  });

  it('cover what issue #19 asks for, each with a severity and a summary', () => {
    const all = rules(readFileSync(ALERTS, 'utf8'));
    const names = all.map((r) => r.alert);
    expect(new Set(names).size, 'alert names').to.equal(names.length);
    for (const r of all) {
      expect(r.labels?.['severity'], r.alert).to.be.oneOf(['page', 'ticket', 'warn']);
      expect(r.annotations?.['summary'], r.alert).to.be.a('string');
    }
    const exprOf = (alert: string) => all.find((r) => r.alert === alert)?.expr ?? '';
    expect(exprOf('GslbNodeDown')).to.match(/^up\{.*\} == 0$/);
    expect(metricNames(exprOf('GslbDatacenterDown'))).to.deep.equal(['gslb_datacenter_up']);
    expect(exprOf('GslbFallbackAnswers')).to.include('gslb_decisions_total{reason=~"fallback|nodata|servfail"}');
    expect(metricNames(exprOf('GslbAgentStale'))).to.deep.equal(['gslb_agent_fresh']);
    expect(exprOf('GslbReloadFailed')).to.include('gslb_config_reloads_total{result="failed"}');
    expect(exprOf('GslbServfailRate')).to.include('gslb_queries_total{rcode="SERVFAIL"}');
    expect(exprOf('GslbRrlDropping')).to.include('gslb_rrl_responses_total{action="dropped"}');
    expect(metricNames(exprOf('GslbDnssecSignaturesExpiring'))).to.deep.equal([
      'gslb_dnssec_signature_expiry_timestamp_seconds',
    ]);
  });

  it('pass promtool check rules (and a broken copy does not)', function () {
    if (spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status !== 0) {
      const reason = 'promtool is not on PATH (apt-get install prometheus)';
      if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: a missing tool fails the run)`);
      console.warn(`    skipped: ${reason}`);
      this.skip();
    }
    const ok = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(ok.status, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.include(`SUCCESS: ${rules(readFileSync(ALERTS, 'utf8')).length} rules found`);
    const dir = mkdtempSync(join(tmpdir(), 'gslb-alerts-'));
    try {
      const broken = join(dir, 'alerts.yaml');
      writeFileSync(broken, readFileSync(ALERTS, 'utf8').replace('gslb_datacenter_up == 0', 'gslb_datacenter_up =='));
      const bad = spawnSync('promtool', ['check', 'rules', broken], { encoding: 'utf8' });
      expect(bad.status, bad.stdout + bad.stderr).to.not.equal(0);
      // The dashboard's queries parse as PromQL too, as recording rules with Grafana's variables filled
      // in the way it does ($__rate_interval a duration, a multi-value variable a regex).
      const panelExprs = expressions().filter((e) => e.where.startsWith('panel'));
      const recorded = {
        groups: [
          {
            name: 'gslb-dashboard',
            rules: panelExprs.map((e, i) => ({ record: `gslb:dashboard:${i}`, expr: grafanaFilled(e.expr) })),
          },
        ],
      };
      const panelsFile = join(dir, 'dashboard-rules.yaml');
      writeFileSync(panelsFile, yaml.dump(recorded));
      const panels = spawnSync('promtool', ['check', 'rules', panelsFile], { encoding: 'utf8' });
      expect(panels.status, panels.stdout + panels.stderr).to.equal(0);
      expect(panels.stdout).to.include(`SUCCESS: ${panelExprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A backend on loopback for one load-balanced name (so probe RTTs and load figures exist): the `web`
 * check's /healthz answers 200, /load a JSON document the `app` load source reads.
 */
async function startBackend(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/load')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"stats":{"active":10,"limit":100}}');
    else res.writeHead(req.url === '/healthz' ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The fixture zone plus `local`, whose one endpoint is probed and load-read on the backend. */
function addLocalName(zoneDir: string, backendPort: number): void {
  appendFileSync(
    join(zoneDir, 'loads.yaml'),
    '  app: { type: json, figures: { connections: stats.active, capacity: stats.limit } }\n',
  );
  const endpoint = `{ address: 192.0.2.30, probe: "127.0.0.1:${backendPort}", load_url: "http://127.0.0.1:${backendPort}/load" }`;
  appendFileSync(
    join(zoneDir, 'names.yaml'),
    [
      '  local:',
      '    policy: least-loaded',
      '    check: web',
      '    load: app',
      '    pools:',
      `      us-east: [${endpoint}]`,
      '',
    ].join('\n'),
  );
}

/** Asks the node enough to fill every series: signed (DO=1) and unsigned, with a cookie, UDP and TCP. */
async function traffic(port: number): Promise<void> {
  const names = ['www', 'fo', 'wt', 'shed', 'near', 'hs', 'local'].map((n) => `${n}.${APEX}`);
  const cookie = cookieOption(Buffer.from('0102030405060708', 'hex'));
  for (let round = 0; round < 3; round++)
    for (const name of [...names, `nope.${APEX}`, APEX, 'example.org']) {
      const q = buildQuery({ name, type: 'A', edns: { do: round > 0, options: round === 2 ? [cookie] : [] } });
      await udpExchange('127.0.0.1', port, q);
    }
  await tcpExchange('127.0.0.1', port, [buildQuery({ name: `www.${APEX}`, type: 'AAAA', edns: { do: true } })], 1);
  const soa = await udpExchange('127.0.0.1', port, buildQuery({ name: APEX, type: 'SOA' }));
  expect(soa && decodeReply(soa).rcode).to.equal(0);
}

/** The used names `e` lacks, with why: waits up to `ms` for them (workers report once a second). */
async function missingFrom(node: ServeNode, used: readonly string[], ms: number): Promise<string[]> {
  let missing: string[] = [];
  const read = async (): Promise<Exposition> => readExposition(await (await fetch(`${node.admin}metrics`)).text());
  await until(
    'every metric name to be served',
    async () => {
      const e = await read();
      missing = used.flatMap((n) => {
        const why = missingReason(n, e);
        return why === null ? [] : [`${n}: ${why}`];
      });
      return missing.length === 0;
    },
    ms,
    250,
  ).catch(() => {});
  return missing;
}

describe('grafana: every metric name is served by gslb serve', function () {
  this.timeout(90_000);
  let dir = '';
  let redisUrl = '';
  let backend: Server | null = null;
  const prefix = testPrefix();
  const used = () => [...new Set(expressions().flatMap((e) => metricNames(e.expr)))].sort();

  before(async function () {
    toolsOrSkip(this, ['dnssec-keygen']);
    dir = mkdtempSync(join(tmpdir(), 'gslb-grafana-'));
    cpSync(GSLB_ZONES, dir, { recursive: true });
    const b = await startBackend();
    backend = b.server;
    addLocalName(join(dir, APEX), b.port);
    dnssecKeygen(join(dir, APEX, 'keys'), APEX, 13, true);
  });
  after(async () => {
    await stopAll();
    backend?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (redisUrl) await cleanup(redisUrl, prefix);
  });

  it('uses gslb_ names and Prometheus own series only', () => {
    expect(used().filter((n) => PROMETHEUS_OWN.has(n))).to.deep.equal(['up']);
    expect(used().filter((n) => n.startsWith('gslb_')).length).to.be.at.least(25);
  });

  it('an embedded node: signed zone, --rrl-rate, cookies, health checks, load source, shed, 2 workers', async () => {
    const node = await startServe(dir, ['--workers', '2', '--rrl-rate', '1000', '--geoip', cityDatabase()]);
    expect(node.workers).to.equal(2);
    await traffic(node.port);
    const redisOnly = used().filter((n) => n.startsWith('gslb_redis_'));
    const wanted = used().filter((n) => !PROMETHEUS_OWN.has(n) && !redisOnly.includes(n));
    expect(await missingFrom(node, wanted, 15_000)).to.deep.equal([]);
  });

  it('a node with --redis: the Redis series', async function () {
    redisUrl = await redisOrSkip(this);
    const node = await startServe(dir, [
      '--workers',
      '1',
      '--geoip',
      cityDatabase(),
      '--redis',
      redisUrl,
      '--redis-prefix',
      prefix,
    ]);
    const redisOnly = used().filter((n) => n.startsWith('gslb_redis_'));
    expect(redisOnly).to.include('gslb_redis_connected');
    expect(await missingFrom(node, redisOnly, 10_000)).to.deep.equal([]);
  });
});
