// End to end with real processes (Redis, two `gslb serve --redis` nodes, `gslb agent`s in three
// datacenters, HTTP backends on loopback): a check with `from: local` keeps up a VIP that the other
// datacenters' agents cannot reach, and is never probed by them, while its own agent still fails it
// over within 1.5 s; a composite check leaves an endpoint whose second check fails; a monitor check
// that fails moves nothing but shows in /metrics and /api/health.
import { expect } from 'chai';
import type http from 'node:http';
import { Cluster, freePort, HttpBackend, queryA, sleep } from '../scripts/e2e-cluster.js';
import { hasRedisServerBinary } from './helpers/redis.js';
import { until } from './helpers/until.js';

/** Answers 200 only to the agents of `dc` (their User-Agent names it), 503 to anyone else: a VIP only its datacenter reaches. */
function onlyFrom(dc: string) {
  return (req: http.IncomingMessage) => (String(req.headers['user-agent']).includes(`(datacenter ${dc};`) ? 200 : 503);
}

describe('end to end: who probes, composite and monitor checks', function () {
  this.timeout(90_000);
  let cluster: Cluster;
  const vip = new Map<string, HttpBackend>();
  /** Two endpoints of dc1 for the composite name: `second`'s /extra fails. */
  let first: HttpBackend;
  let second: HttpBackend;
  /** dc3's endpoint, always passing but for the monitor. */
  let third: HttpBackend;
  /** What /deep (the monitor) answers on both. */
  let deepStatus = 200;
  const paths = (extra: () => number) => (req: http.IncomingMessage) =>
    req.url === '/extra' ? extra() : req.url === '/deep' ? deepStatus : 200;

  before(async function () {
    if (!hasRedisServerBinary()) {
      if (process.env['CI'] === 'true') throw new Error('redis-server is needed (CI=true)');
      console.warn('    skipped: redis-server is not on PATH');
      this.skip();
    }
    for (const dc of ['dc1', 'dc2']) {
      const b = await new HttpBackend(await freePort()).start();
      b.statusFor = onlyFrom(dc);
      vip.set(dc, b);
    }
    first = await new HttpBackend(await freePort()).start();
    first.statusFor = paths(() => 200);
    second = await new HttpBackend(await freePort()).start();
    second.statusFor = paths(() => 500);
    third = await new HttpBackend(await freePort()).start();
    third.statusFor = paths(() => 200);
    // Fast probes for the failover time (fall 1, as scripts/failover.ts measures); the composite and
    // monitor checks slower with fall 3, so slow probes on a busy machine do not flip them (CI once saw
    // a passing endpoint of 'both' dropped while the monitor test asserted that nothing moved: the
    // backends answer from this test's own process, and two 400 ms timeouts in a row were enough).
    const fast = 'interval: 400ms, timeout: 300ms, jitter: 40ms, rise: 1, fall: 1';
    const steady = 'interval: 1s, timeout: 900ms, jitter: 100ms, rise: 1, fall: 3';
    const policyYaml = `datacenters:
  dc1: {}
  dc2: {}
  dc3: {}
checks:
  vip: { type: http, path: /, ${fast}, from: local }
  web: { type: http, path: /, ${steady} }
  extra: { type: http, path: /extra, ${steady} }
  deep: { type: http, path: /deep, ${steady} }
names:
  vip:
    policy: failover
    check: vip
    ttl: 30
    pools:
      dc1: [{ address: 192.0.2.1, probe: "${vip.get('dc1')!.probe}" }]
      dc2: [{ address: 192.0.2.2, probe: "${vip.get('dc2')!.probe}" }]
  both:
    policy: failover
    check: [web, extra]
    monitor: [deep]
    ttl: 30
    pools:
      dc1: [{ address: 192.0.2.11, probe: "${first.probe}" }, { address: 192.0.2.12, probe: "${second.probe}" }]
      dc3: [{ address: 192.0.2.31, probe: "${third.probe}" }]
`;
    cluster = new Cluster({
      gslb: 'bin/gslb',
      datacenters: ['dc1', 'dc2', 'dc3'],
      nodes: 2,
      agents: ['dc1', 'dc2', 'dc3'],
      intervalMs: 400,
      policyYaml,
      admin: true,
    });
    for (const [dc, b] of vip) cluster.backends.set(`vip-${dc}`, b);
    cluster.backends.set('first', first);
    cluster.backends.set('second', second);
    cluster.backends.set('third', third);
    await cluster.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Every node's answer to NAME A, sorted. */
  const answers = () =>
    Promise.all(cluster.nodePorts.map(async (port) => (await queryA(port, 'both.e2e.test', 300))?.sort() ?? null));

  it('from: local keeps up a VIP the remote agents cannot reach; they never probe it', async () => {
    // Remote agents would get 503 (two of three votes down); only dc1's agent is asked and counted.
    await cluster.waitAll('192.0.2.1', 15_000, 20, 'vip.e2e.test');
    // Steady for two seconds (five probe rounds), not a moment before the remote votes arrive.
    for (let i = 0; i < 10; i++) {
      await cluster.waitAll('192.0.2.1', 1000, 20, 'vip.e2e.test');
      await sleep(200);
    }
    const seen = (dc: string) => [...vip.get(dc)!.userAgents];
    expect(seen('dc1').length).to.be.above(0);
    for (const ua of seen('dc1')) expect(ua).to.match(/^gslb-health-check \(datacenter dc1; agent agent-dc1\)$/);
    for (const ua of seen('dc2')) expect(ua).to.include('(datacenter dc2;');
  });

  it("its own agent still fails it over within 1.5 s of the backend's death", async () => {
    const t0 = performance.now();
    await vip.get('dc1')!.kill();
    await cluster.waitAll('192.0.2.2', 5000, 10, 'vip.e2e.test');
    const ms = performance.now() - t0;
    expect(ms, `failover took ${Math.round(ms)} ms`).to.be.below(1500);
    // Back, and nobody but dc1's agent has knocked on it meanwhile.
    await vip.get('dc1')!.start();
    await cluster.waitAll('192.0.2.1', 5000, 20, 'vip.e2e.test');
    for (const ua of vip.get('dc1')!.userAgents) expect(ua).to.include('(datacenter dc1;');
  });

  it('composite check: the endpoint whose second check fails is left', async () => {
    await until(
      'every node answers both with 192.0.2.11 alone',
      async () => (await answers()).every((a) => a !== null && a.join(',') === '192.0.2.11'),
      15_000,
    );
    // The other way round: the first endpoint's second check fails, the second's passes.
    first.statusFor = paths(() => 500);
    second.statusFor = paths(() => 200);
    await until(
      'every node answers both with 192.0.2.12 alone',
      async () => (await answers()).every((a) => a !== null && a.join(',') === '192.0.2.12'),
      20_000,
    );
    second.statusFor = paths(() => 500);
    await until(
      'both dc1 endpoints left: dc3 serves',
      async () => (await answers()).every((a) => a !== null && a.join(',') === '192.0.2.31'),
      20_000,
    );
    first.statusFor = paths(() => 200);
    second.statusFor = paths(() => 200);
    await until(
      'both back',
      async () => (await answers()).every((a) => a !== null && a.join(',') === '192.0.2.11,192.0.2.12'),
      20_000,
    );
  });

  it('a monitor check that fails moves nothing, and shows in /metrics and /api/health', async () => {
    // Both endpoints on five rounds in a row (each query from a new socket, so every worker has taken
    // the last test's recovery: a worker follows the primary's health a moment after another).
    const both = async () => (await answers()).every((a) => a?.join(',') === '192.0.2.11,192.0.2.12');
    await until(
      'every node answers both endpoints, five rounds in a row',
      async () => {
        for (let i = 0; i < 5; i++) if (!(await both())) return false;
        return true;
      },
      20_000,
    );
    const before = await answers();
    deepStatus = 500;
    const admin = cluster.adminPorts[0]!;
    const deepUp = async () => {
      const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('gslb_endpoint_up{check="deep"'));
    };
    await until(
      '/metrics shows the monitor down on every endpoint',
      async () => {
        const lines = await deepUp();
        return lines.length === 3 && lines.every((l) => l.endsWith(' 0'));
      },
      20_000,
    );
    const health = (await (await fetch(`http://127.0.0.1:${admin}/api/health`)).json()) as {
      monitors: string[];
      targets: Array<{ key: string; verdict: { up: boolean; reason: string } }>;
    };
    const deep = health.targets.filter((t) => t.key.startsWith('deep|'));
    expect(deep.map((t) => t.key).sort()).to.deep.equal([...health.monitors].sort());
    expect(deep.map((t) => t.verdict.up)).to.deep.equal([false, false, false]);
    // Several seconds later, every node still answers with both endpoints.
    for (let i = 0; i < 6; i++) {
      expect((await answers()).map((a) => a?.join(','))).to.deep.equal(before.map((a) => a?.join(',')));
      await sleep(300);
    }
    // explain lists it, saying it does not steer.
    const explain = await (
      await fetch(`http://127.0.0.1:${admin}/api/explain?name=both.e2e.test&client=198.51.100.1&format=text`)
    ).text();
    expect(explain).to.match(/monitor deep: 192\.0\.2\.11 down \(.*\), 192\.0\.2\.12 down \(.*\) — does not steer/);
  });
});
