// Prometheus metrics of a DnsNode built in-process: query counters, histogram semantics, decisions kept
// across reloads, health and Redis series from the health matrix, config, GeoIP and process metrics.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoData } from '../geo/geoip.js';
import type { PlanTarget } from '../health/plan-types.js';
import type { HealthMatrix, HealthSource } from '../health/source.js';
import { StaticHealth } from '../health/static-health.js';
import { UNKNOWN_UP, loadKey, targetKey, type HealthView } from '../health/view.js';
import { silentLogger } from '../server/log.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { buildConfig, DnsNode, PACKAGE_VERSION } from '../server/node.js';
import { LATENCY_BUCKETS } from '../server/stats.js';
import { cityDatabase, GSLB_ZONES, seeded } from './helpers/gslb.js';

/** A health source the test drives: views from StaticHealth, a matrix set by hand. */
class FakeHealth implements HealthSource {
  readonly static = new StaticHealth();
  plan: readonly PlanTarget[] = [];
  m: HealthMatrix = { mode: 'embedded', agents: [], targets: [], redis: null, drains: [] };
  matrix(): HealthMatrix {
    return this.m;
  }
  async setDrain(target: { datacenter: string } | { endpoint: string }, drained: boolean): Promise<void> {
    const [dc, ep] = 'datacenter' in target ? [target.datacenter, undefined] : ['', target.endpoint];
    if (drained) this.static.drain(dc, ep);
    else this.static.undrain(dc, ep);
  }
  setPlan(targets: readonly PlanTarget[]): void {
    this.plan = targets;
  }
  view(): HealthView {
    return this.static.view();
  }
  async start(): Promise<boolean> {
    return true;
  }
  async stop(): Promise<void> {}
}

function makeNode(zonesDir: string, health: HealthSource): DnsNode {
  const geo = openGeoData([cityDatabase()]);
  const first = buildConfig(zonesDir, geo, silentLogger);
  if (!first.built) throw new Error(first.errors.join('\n'));
  return new DnsNode(
    {
      zonesDir,
      nodeId: 'metrics-node',
      geo,
      health,
      log: silentLogger,
      pipeline: { nsid: null, chaos: { identity: 't', version: null }, rng: seeded(1) },
    },
    first.built,
  );
}

function query(node: DnsNode, name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): Buffer | null {
  const msg = dnsPacket.encode({ type: 'query', id: 9, questions: [{ name, type: type as dnsPacket.RecordType }] });
  return node.pipeline.handleQuery(msg, { address: '127.0.0.1', port: 5300, family: 4 }, transport);
}

/** Samples of the exposition text: "name{labels}" -> value (labels as printed). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('metrics', function () {
  let dir: string;
  let health: FakeHealth;
  let node: DnsNode;
  let metrics: Metrics;
  const scrape = async () => samples(await metrics.text());

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-metrics-'));
    cpSync(GSLB_ZONES, dir, { recursive: true });
    health = new FakeHealth();
    node = makeNode(dir, health);
    metrics = createMetrics(node);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts queries by zone, type, rcode and transport, plus drops', async () => {
    for (let i = 0; i < 3; i++) query(node, 'www.lb.test');
    query(node, 'www.lb.test', 'A', 'tcp');
    query(node, 'www.lb.test', 'TXT');
    query(node, 'nope.lb.test');
    query(node, 'example.org');
    node.pipeline.handleQuery(Buffer.from([1, 2, 3]), { address: '127.0.0.1', port: 1, family: 4 }, 'udp');
    const s = await scrape();
    expect(s.get('gslb_queries_total{zone="lb.test.",qtype="A",rcode="NOERROR",transport="udp"}')).to.equal(3);
    expect(s.get('gslb_queries_total{zone="lb.test.",qtype="A",rcode="NOERROR",transport="tcp"}')).to.equal(1);
    expect(s.get('gslb_queries_total{zone="lb.test.",qtype="TXT",rcode="NOERROR",transport="udp"}')).to.equal(1);
    expect(s.get('gslb_queries_total{zone="lb.test.",qtype="A",rcode="NXDOMAIN",transport="udp"}')).to.equal(1);
    expect(s.get('gslb_queries_total{zone="(none)",qtype="A",rcode="REFUSED",transport="udp"}')).to.equal(1);
    expect(s.get('gslb_dropped_total')).to.equal(1);
    expect(s.get('gslb_query_errors_total')).to.equal(0);
  });

  it("gslb_shed_share: the share a datacenter sheds, as the node's steering steps it", async () => {
    expect((await scrape()).get('gslb_shed_share{name="shed.lb.test.",datacenter="eu-west"}')).to.equal(0);
    const lb = [...node.catalog.zones.values()][0]!.zone.policy;
    const source = lb.loads.get('lb')!;
    const shed = [...lb.names.values()].find((n) => n.label === 'shed')!;
    // eu-west above the name's high watermark (80 %): its first step (25 %) is taken at the node's next
    // steering update (its timer's, every 20 ms; called here), without any query.
    for (const ep of shed.pools.find((p) => p.datacenter === 'eu-west')!.endpoints)
      health.static.set(loadKey(source, ep), { up: true, connections: 95, capacity: 100 });
    node.steering!.update();
    const s = await scrape();
    expect(s.get('gslb_shed_share{name="shed.lb.test.",datacenter="eu-west"}')).to.equal(0.25);
    expect(s.get('gslb_shed_share{name="shed.lb.test.",datacenter="us-east"}')).to.equal(0);
  });

  it('scraping twice does not double-count', async () => {
    const a = await metrics.text();
    const b = await metrics.text();
    const pick = (t: string) =>
      t.split('\n').filter((l) => l.startsWith('gslb_queries_total') || l.startsWith('gslb_decisions_total'));
    expect(pick(b)).to.deep.equal(pick(a));
  });

  it('exposes the answer-latency histogram with Prometheus semantics', async () => {
    for (let i = 0; i < 64; i++) query(node, 'www.lb.test', 'AAAA');
    const text = await metrics.text();
    expect(text).to.include('# TYPE gslb_answer_seconds histogram');
    const s = samples(text);
    const les = [...LATENCY_BUCKETS.map(String), '+Inf'];
    const buckets = les.map((le) => s.get(`gslb_answer_seconds_bucket{le="${le}"}`));
    expect(buckets.every((b) => typeof b === 'number')).to.equal(true);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).to.be.at.least(buckets[i - 1]!); // cumulative
    const stats = node.pipeline.stats;
    const timed = stats.latency.reduce((a, b) => a + b, 0);
    expect(timed).to.be.above(0);
    expect(s.get('gslb_answer_seconds_bucket{le="+Inf"}')).to.equal(timed);
    expect(s.get('gslb_answer_seconds_count')).to.equal(timed);
    expect(s.get('gslb_answer_seconds_sum')).to.be.closeTo(stats.latencySum, 1e-9);
    expect(s.get('gslb_answer_seconds_sum')).to.be.above(0);
    // Each bucket is the running total of the pipeline's own (non-cumulative) slots.
    let running = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      running += stats.latency[i]!;
      expect(s.get(`gslb_answer_seconds_bucket{le="${le}"}`)).to.equal(running);
    });
  });

  it('counts decisions per name, datacenter and outcome, across reloads', async () => {
    query(node, 'fo.lb.test');
    query(node, 'fo.lb.test');
    await health.setDrain({ datacenter: 'eu-west' }, true);
    query(node, 'fo.lb.test');
    await health.setDrain({ datacenter: 'us-east' }, true);
    query(node, 'fb-servfail.lb.test');
    let s = await scrape();
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="eu-west",reason="primary"}')).to.equal(2);
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="us-east",reason="failover"}')).to.equal(1);
    expect(s.get('gslb_decisions_total{name="fb-servfail.lb.test.",datacenter="",reason="servfail"}')).to.equal(1);
    await health.setDrain({ datacenter: 'eu-west' }, false);
    await health.setDrain({ datacenter: 'us-east' }, false);
    // A query after the last scrape, then a reload: the old answerers' counts are not lost.
    query(node, 'fo.lb.test');
    expect(node.reload('test').ok).to.equal(true);
    query(node, 'fo.lb.test');
    s = await scrape();
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="eu-west",reason="primary"}')).to.equal(4);
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="us-east",reason="failover"}')).to.equal(1);
    // Scrapes with no queries between them add nothing; a name first asked after the reload counts.
    query(node, 'wt.lb.test');
    s = await scrape();
    s = await scrape();
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="eu-west",reason="primary"}')).to.equal(4);
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="us-east",reason="failover"}')).to.equal(1);
    const wt = [...s].filter(([k]) => k.startsWith('gslb_decisions_total{name="wt.lb.test."'));
    expect(wt.map(([, v]) => v)).to.deep.equal([1]);
    // A name first asked after the last scrape, then a reload before the next: still counted.
    query(node, 'hs.lb.test');
    expect(node.reload('test').ok).to.equal(true);
    s = await scrape();
    const hs = [...s].filter(([k]) => k.startsWith('gslb_decisions_total{name="hs.lb.test."'));
    expect(hs.map(([, v]) => v)).to.deep.equal([1]);
    expect(s.get('gslb_decisions_total{name="fo.lb.test.",datacenter="eu-west",reason="primary"}')).to.equal(4);
  });

  it('health series come from the matrix; Redis series only in Redis mode', async () => {
    // Targets of the served configuration: their labels are made from it.
    const planKey = (prefix: string) => health.plan.find((t) => t.key.startsWith(prefix))!.key;
    const cell = (up: boolean, ageMs: number) => ({
      up,
      reason: up ? 'HTTP 200' : 'connection refused',
      rttMs: 1,
      ageMs,
    });
    health.m = {
      mode: 'redis',
      agents: [
        { id: 'agent-a', datacenter: 'us-east', ageMs: 1500, fresh: true, discounted: false, reason: '' },
        { id: 'agent-b', datacenter: 'eu-west', ageMs: 9000, fresh: false, discounted: true, reason: 'cut off' },
      ],
      targets: [
        {
          key: planKey('web|192.0.2.10|'),
          datacenters: ['us-east'],
          verdict: { ...UNKNOWN_UP, up: true, reason: 'up', since: 0, rttMs: 12.5 },
          cells: { 'agent-a': cell(true, 1500), 'agent-b': cell(false, 9000) },
        },
        {
          key: planKey('web|192.0.2.11|'),
          datacenters: ['us-east'],
          verdict: { ...UNKNOWN_UP, up: false, reason: 'down', since: 0 },
          cells: { 'agent-a': cell(false, 1500), 'agent-b': null },
        },
        {
          key: planKey('web|198.51.100.10|'),
          datacenters: ['eu-west'],
          verdict: { ...UNKNOWN_UP, up: false, reason: 'down', since: 0 },
          cells: { 'agent-a': cell(false, 1500), 'agent-b': null },
        },
        {
          key: planKey('load:lb|http://192.0.2.10:'),
          datacenters: ['us-east'],
          verdict: { ...UNKNOWN_UP, connections: 150, capacity: 600, bandwidthBps: 2e6, errorRate: 0.01, reason: 'up' },
          cells: { 'agent-a': cell(true, 1500), 'agent-b': null },
        },
      ],
      redis: {
        connected: true,
        stale: false,
        lastResync: 1_700_000_000_000,
        resyncs: 3,
        disconnectedSince: null,
        badMessages: 2,
      },
      drains: [],
    };
    let s = await scrape();
    expect(s.get('gslb_endpoint_up{check="web",target="192.0.2.10:80",datacenter="us-east"}')).to.equal(1);
    expect(s.get('gslb_endpoint_up{check="web",target="192.0.2.11:80",datacenter="us-east"}')).to.equal(0);
    // A load read is not an endpoint check: its verdict has a series of its own.
    expect(s.get('gslb_load_up{source="lb",url="http://192.0.2.10:8404/stats;csv",datacenter="us-east"}')).to.equal(1);
    expect([...s.keys()].filter((k) => k.startsWith('gslb_endpoint_up{'))).to.have.length(3);
    expect(s.get('gslb_datacenter_up{datacenter="us-east"}')).to.equal(1);
    expect(s.get('gslb_datacenter_up{datacenter="eu-west"}')).to.equal(0);
    expect(s.get('gslb_agent_report_age_seconds{agent="agent-a",datacenter="us-east"}')).to.equal(1.5);
    expect(s.get('gslb_agent_fresh{agent="agent-b"}')).to.equal(0);
    expect(s.get('gslb_agent_discounted{agent="agent-b"}')).to.equal(1);
    expect(s.get('gslb_agent_discounted{agent="agent-a"}')).to.equal(0);
    expect(s.get('gslb_agent_reports{agent="agent-a"}')).to.equal(4);
    expect(s.get('gslb_endpoint_rtt_seconds{check="web",target="192.0.2.10:80",datacenter="us-east"}')).to.equal(
      0.0125,
    );
    const load = (m: string) => s.get(`${m}{source="lb",url="http://192.0.2.10:8404/stats;csv",datacenter="us-east"}`);
    expect(load('gslb_load_connections')).to.equal(150);
    expect(load('gslb_load_capacity')).to.equal(600);
    expect(load('gslb_load_utilisation')).to.equal(0.25);
    expect(load('gslb_load_bandwidth_bytes_per_second')).to.equal(2e6);
    expect(load('gslb_load_error_ratio')).to.equal(0.01);
    expect([...s.keys()].filter((k) => k.startsWith('gslb_load_connections{'))).to.have.length(1);
    expect(s.get('gslb_agent_reports{agent="agent-b"}')).to.equal(1);
    expect(s.get('gslb_redis_connected')).to.equal(1);
    expect(s.get('gslb_redis_last_resync_timestamp_seconds')).to.equal(1_700_000_000);
    expect(s.get('gslb_redis_resyncs_total')).to.equal(3);
    expect(s.get('gslb_redis_bad_messages_total')).to.equal(2);

    health.m = { ...health.m, redis: { ...health.m.redis!, connected: false } };
    expect((await scrape()).get('gslb_redis_connected')).to.equal(0);

    health.m = { mode: 'embedded', agents: [], targets: [], redis: null, drains: [] };
    s = await scrape();
    for (const name of [
      'gslb_redis_connected',
      'gslb_redis_last_resync_timestamp_seconds',
      'gslb_redis_resyncs_total',
      'gslb_redis_bad_messages_total',
    ])
      expect(s.has(name), name).to.equal(false);
    expect([...s.keys()].some((k) => k.startsWith('gslb_datacenter_up'))).to.equal(false);
  });

  it("target series of the served plan: readable labels, no '|' and no fingerprint in any", async () => {
    const verdict = { ...UNKNOWN_UP, rttMs: 2, connections: 5, capacity: 10, bandwidthBps: 100, errorRate: 0 };
    health.m = {
      mode: 'embedded',
      agents: [],
      targets: health.plan.map((t) => ({ key: t.key, datacenters: t.datacenters, verdict, cells: {} })),
      redis: null,
      drains: [],
    };
    const text = await metrics.text();
    const series = text.split('\n').filter((l) => /^gslb_(endpoint|load)_/.test(l));
    expect(series.length).to.be.above(10);
    const fingerprints = health.plan.map((t) => t.key.slice(t.key.lastIndexOf('|') + 1));
    for (const line of series) {
      const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
      expect(labels, line).to.not.include('|');
      for (const fp of fingerprints) expect(labels, line).to.not.include(fp);
      expect(labels, line).to.match(
        /^(check="[^"]+",target="[^"]+"|source="[^"]+",url="https?:\/\/[^"]+"),datacenter="[^"]+"$/,
      );
    }
    const s = samples(text);
    // The fixture's web check on port 80, IPv6 in brackets; its load source reads HAProxy's CSV.
    expect(s.get('gslb_endpoint_up{check="web",target="192.0.2.10:80",datacenter="us-east"}')).to.equal(1);
    expect(s.get('gslb_endpoint_up{check="web",target="[2001:db8:10::10]:80",datacenter="us-east"}')).to.equal(1);
    expect(s.get('gslb_endpoint_rtt_seconds{check="web",target="198.51.100.10:80",datacenter="eu-west"}')).to.equal(
      0.002,
    );
    expect(s.get('gslb_load_up{source="lb",url="http://192.0.2.10:8404/stats;csv",datacenter="us-east"}')).to.equal(1);
    expect(
      s.get('gslb_load_connections{source="lb",url="http://192.0.2.10:8404/stats;csv",datacenter="us-east"}'),
    ).to.equal(5);
    // One series per target and datacenter: the label sets are unique.
    const endpointUp = series.filter((l) => l.startsWith('gslb_endpoint_up{'));
    expect(new Set(endpointUp.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).to.equal(endpointUp.length);
    health.m = { mode: 'embedded', agents: [], targets: [], redis: null, drains: [] };
  });

  it('gslb_answer_seconds says it times one query in 8', async () => {
    expect(await metrics.text()).to.match(
      /# HELP gslb_answer_seconds .*one query in 8 is timed, so _count is the timed queries \(gslb_queries_total counts all\)/,
    );
  });

  it('config, reload, GeoIP, build info and process metrics', async () => {
    let s = await scrape();
    // The decisions test above reloaded this node twice.
    expect(s.get('gslb_config_reloads_total{result="ok"}')).to.equal(2);
    expect(s.get('gslb_config_reloads_total{result="failed"}')).to.equal(0);
    expect(s.get(`gslb_config_info{version="${node.configVersion}"}`)).to.equal(1);
    expect(s.get('gslb_config_last_reload_timestamp_seconds')).to.equal(node.lastReload!.at / 1000);
    expect(s.get('gslb_geoip_build_timestamp_seconds{database="city.mmdb"}')).to.equal(
      node.geo.databases[0]!.buildEpoch.getTime() / 1000,
    );
    expect(s.get(`gslb_info{version="${PACKAGE_VERSION}",node="metrics-node"}`)).to.equal(1);
    expect(s.has('process_cpu_user_seconds_total')).to.equal(true);
    expect(s.has('nodejs_heap_size_total_bytes')).to.equal(true);

    writeFileSync(join(dir, 'lb.test', 'names.yaml'), 'names:\n  www:\n    policy: nonsense\n');
    expect(node.reload('test').ok).to.equal(false);
    s = await scrape();
    expect(s.get('gslb_config_reloads_total{result="failed"}')).to.equal(1);
    expect(s.get('gslb_config_last_reload_timestamp_seconds')).to.equal(node.lastReload!.at / 1000);
  });

  it('every gslb_ metric has HELP and TYPE lines', async () => {
    const text = await metrics.text();
    const names = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE gslb_'))
        .map((l) => l.split(' ')[2]),
    );
    for (const n of [
      'gslb_queries_total',
      'gslb_dropped_total',
      'gslb_query_errors_total',
      'gslb_answer_seconds',
      'gslb_decisions_total',
      'gslb_endpoint_up',
      'gslb_datacenter_up',
      'gslb_agent_report_age_seconds',
      'gslb_agent_fresh',
      'gslb_agent_discounted',
      'gslb_agent_reports',
      'gslb_redis_connected',
      'gslb_config_reloads_total',
      'gslb_config_info',
      'gslb_config_last_reload_timestamp_seconds',
      'gslb_geoip_build_timestamp_seconds',
      'gslb_info',
    ])
      expect(names.has(n), n).to.equal(true);
    expect(text).to.match(/# HELP gslb_queries_total \S/);
  });
});

describe('metrics: target labels when two zones define a check or load source differently', () => {
  let dir: string;
  let node: DnsNode;
  let health: FakeHealth;

  /** A zone with check "web" and load source "lb" probing one backend; settings differ by zone. */
  const zone = (apex: string, interval: string) => ({
    'records.zone': `$ORIGIN ${apex}.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n`,
    'policy.yaml':
      'datacenters:\n  dc1: {}\n' +
      `checks:\n  web: { type: http, port: 80, path: /healthz, interval: ${interval} }\n` +
      `loads:\n  lb: { type: haproxy, url: 'http://127.0.0.1:8404/stats;csv', proxy: www, interval: ${interval} }\n` +
      'names:\n  www:\n    policy: failover\n    check: web\n    load: lb\n' +
      '    pools:\n      dc1: [{ address: 192.0.2.1, probe: "127.0.0.1:8080" }]\n',
  });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-metrics-zones-'));
    for (const [apex, interval] of [
      ['a.test', '1s'],
      ['b.test', '2s'],
    ] as const) {
      mkdirSync(join(dir, apex));
      for (const [file, text] of Object.entries(zone(apex, interval))) writeFileSync(join(dir, apex, file), text);
    }
    health = new FakeHealth();
    node = makeNode(dir, health);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the zone that defines each version tells the series apart (and only they carry it)', async () => {
    expect(health.plan).to.have.length(4); // two checks, two load reads: the same backend, different settings
    health.m = {
      mode: 'embedded',
      agents: [],
      targets: health.plan.map((t, i) => ({
        key: t.key,
        datacenters: t.datacenters,
        verdict: { ...UNKNOWN_UP, up: i % 2 === 0, connections: i },
        cells: {},
      })),
      redis: null,
      drains: [],
    };
    const s = samples(await createMetrics(node).text());
    const up = [...s.keys()].filter((k) => k.startsWith('gslb_endpoint_up{') || k.startsWith('gslb_load_up{'));
    expect(up.sort()).to.deep.equal([
      'gslb_endpoint_up{check="web",target="127.0.0.1:8080",datacenter="dc1",zone="a.test."}',
      'gslb_endpoint_up{check="web",target="127.0.0.1:8080",datacenter="dc1",zone="b.test."}',
      'gslb_load_up{source="lb",url="http://127.0.0.1:8404/stats;csv",datacenter="dc1",zone="a.test."}',
      'gslb_load_up{source="lb",url="http://127.0.0.1:8404/stats;csv",datacenter="dc1",zone="b.test."}',
    ]);
    // Each zone's series has the verdict of the target its own check makes.
    for (const z of node.catalog.zones.values()) {
      const policy = z.zone.policy;
      const ep = [...policy.names.values()][0]!.pools[0]!.endpoints[0]!;
      const verdict = (key: string) => (health.m.targets.find((t) => t.key === key)!.verdict.up ? 1 : 0);
      expect(s.get(`gslb_endpoint_up{check="web",target="127.0.0.1:8080",datacenter="dc1",zone="${z.name}"}`)).to.equal(
        verdict(targetKey(policy.checks.get('web')!, ep)),
      );
      expect(
        s.get(`gslb_load_up{source="lb",url="http://127.0.0.1:8404/stats;csv",datacenter="dc1",zone="${z.name}"}`),
      ).to.equal(verdict(loadKey(policy.loads.get('lb')!, ep)));
    }
  });
});
