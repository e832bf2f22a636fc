// One contract suite run against both health sources (embedded prober, Redis with agents), plus the
// Redis-only behaviours: quorum, a cut-off agent discounted, warm start, resync, Redis outages and
// malformed data. Real Redis, real HTTP backends on loopback.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { Agent } from '../health/agent.js';
import { drain, undrain } from '../health/drain-store.js';
import { EmbeddedHealthSource } from '../health/embedded-source.js';
import { planFor } from '../server/probe-plan.js';
import type { RedisHealthSource, RedisSourceOptions } from '../health/redis-source.js';
import type { HealthSource } from '../health/source.js';
import type { HealthView } from '../health/view.js';
import { runProbe, type RunProbe } from '../health/checks/index.js';
import { isCountryCode } from '../geo/countries.js';
import { parseName } from '../zones/name.js';
import { loadPolicy } from '../zones/policy/index.js';
import { targetKey } from '../health/view.js';
import { describeSpec } from '../health/probe-types.js';
import type { PolicyConfig } from '../zones/policy-types.js';
import { HttpBackend as Backend } from '../scripts/e2e-cluster.js';
import { cleanup, hasRedisServerBinary, redisOrSkip, startRedisServer, testNode, testPrefix } from './helpers/redis.js';
import { until } from './helpers/until.js';

const apex = (parseName('h.test.', null) as { ok: true; name: import('../zones/name.js').DnsName }).name;

function policyFor(backends: Record<string, Backend>): PolicyConfig {
  const pools = Object.entries(backends)
    .map(([dc, b], i) => `      ${dc}: [{ address: 192.0.2.${i + 1}, probe: "${b.probe}" }]`)
    .join('\n');
  const text = `datacenters:\n${Object.keys(backends)
    .map((dc) => `  ${dc}: {}`)
    .join(
      '\n',
    )}\nchecks:\n  web: { type: http, path: /healthz, interval: 300ms, timeout: 250ms, jitter: 50ms }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools:\n${pools}\n`;
  const r = loadPolicy([{ file: 'p.yaml', text }], apex, isCountryCode, (path) => readFileSync(path, 'utf8'));
  if (r.errors.length) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function keyOf(config: PolicyConfig, dc: string): string {
  const name = [...config.names.values()][0]!;
  const ep = name.pools.find((p) => p.datacenter === dc)!.endpoints[0]!;
  return targetKey(config.checks.get('web')!, ep);
}

interface Rig {
  source: HealthSource;
  /** Probes finished so far, by this node or its agents; and how many vantage points probe each target. */
  probes(): number;
  readonly vantages: number;
  drain(dc: string): Promise<void>;
  undrain(dc: string): Promise<void>;
  stop(): Promise<void>;
}

type Factory = (config: PolicyConfig) => Promise<Rig>;

/** The real probe, counted. */
function counted(): { runProbe: RunProbe; probes(): number } {
  let n = 0;
  return {
    runProbe: async (spec, signal) => {
      const r = await runProbe(spec, signal);
      n++;
      return r;
    },
    probes: () => n,
  };
}

const embedded: Factory = async (config) => {
  const { runProbe, probes } = counted();
  const source = new EmbeddedHealthSource({ runProbe });
  const plan = planFor([config]);
  source.setPlan(plan.targets, plan.version);
  await source.start(3000);
  return {
    source,
    probes,
    vantages: 1,
    drain: async (dc) => source.drain(dc),
    undrain: async (dc) => source.undrain(dc),
    stop: () => source.stop(),
  };
};

function redisFactory(getUrl: () => string): Factory {
  return async (config) => {
    const url = getUrl();
    const prefix = testPrefix();
    const source = testNode(url, prefix, planFor([config]));
    const { runProbe, probes } = counted();
    const agents = ['a', 'b', 'c'].map(
      (dc) =>
        new Agent({ url, prefix, datacenter: dc, id: `agent-${dc}`, heartbeatMs: 200, planRefreshMs: 500, runProbe }),
    );
    await source.start(3000);
    for (const a of agents) a.start();
    return {
      source,
      probes,
      vantages: agents.length,
      drain: async (dc) =>
        void (await drain({ url }, prefix, { datacenter: dc }, { forMs: null, by: 'test', reason: '' })),
      undrain: async (dc) => void (await undrain({ url }, prefix, { datacenter: dc })),
      stop: async () => {
        await Promise.all(agents.map((a) => a.stop()));
        await source.stop();
        await cleanup(url, prefix);
      },
    };
  };
}

let redisUrl = '';
const suites: Array<[string, Factory, boolean]> = [
  ['embedded', embedded, false],
  ['redis', redisFactory(() => redisUrl), true],
];

for (const [label, factory, needsRedis] of suites) {
  describe(`health source contract: ${label}`, function () {
    this.timeout(20_000);
    const backends: Record<string, Backend> = {};
    let config: PolicyConfig;
    let rig: Rig;
    before(async function () {
      if (needsRedis) redisUrl = await redisOrSkip(this);
      for (const dc of ['a', 'b', 'c']) backends[dc] = await new Backend().start();
      config = policyFor(backends);
      rig = await factory(config);
    });
    after(async () => {
      await rig?.stop();
      for (const b of Object.values(backends)) await b.kill();
    });
    const up = (dc: string) => rig.source.view().target(keyOf(config, dc)).up;
    const known = (dc: string) => rig.source.view().target(keyOf(config, dc)).reason !== 'not probed';

    it('learns every target is up', async () => {
      await until('all known', () => ['a', 'b', 'c'].every(known));
      expect(['a', 'b', 'c'].map(up)).to.deep.equal([true, true, true]);
    });
    it('figures alone (RTT) give a new epoch but keep the stateEpoch', async () => {
      const verdicts = () =>
        ['a', 'b', 'c'].map((dc) => {
          const t = rig.source.view().target(keyOf(config, dc));
          return `${t.up}@${t.since}`;
        });
      // On a loaded machine a slow probe may flip a verdict meanwhile: then look again.
      for (let attempt = 1; ; attempt++) {
        await until('all up', () => ['a', 'b', 'c'].every(up));
        const before = rig.source.view();
        const was = verdicts().join();
        // Probes every 300 ms measure new round-trip times: a view with new figures follows.
        await until('new figures', () => rig.source.view().epoch > before.epoch);
        if (verdicts().join() === was) {
          expect(rig.source.view().stateEpoch).to.equal(before.stateEpoch);
          return;
        }
        if (attempt === 3) throw new Error(`verdicts kept changing: ${verdicts().join()}`);
      }
    });
    it('a killed backend goes down, the others stay up', async () => {
      await backends['b']!.kill();
      await until('b down', () => !up('b'));
      expect(up('a') && up('c')).to.equal(true);
      expect(rig.source.view().target(keyOf(config, 'b')).reason).to.match(/refused|down/);
    });
    it('a revived backend comes back up', async () => {
      await backends['b']!.start();
      await until('b up', () => up('b'));
    });
    it('each change gives a new epoch and stateEpoch', async () => {
      const { epoch, stateEpoch } = rig.source.view();
      await backends['c']!.kill();
      await until('c down', () => !up('c'));
      expect(rig.source.view().epoch).to.be.above(epoch);
      expect(rig.source.view().stateEpoch).to.be.above(stateEpoch);
      await backends['c']!.start();
      await until('c up', () => up('c'));
    });
    it('nothing new, no new view: every target failing the same way keeps the epoch', async () => {
      for (const dc of ['a', 'b', 'c']) await backends[dc]!.kill();
      await until('all down', () => ['a', 'b', 'c'].every((dc) => !up(dc)));
      // Once the flip settles (the last probes and agents agree), no new view through six more probe
      // rounds of every target (every 300 ms: past a second, the figures' publishing interval). The
      // old sources never went quiet that long: a new view every second (embedded) or on every report
      // (Redis).
      const rounds = 6 * 3 * rig.vantages;
      let { epoch } = rig.source.view();
      let since = rig.probes();
      await until(
        `no new view for ${rounds} probes`,
        () => {
          const now = rig.source.view().epoch;
          if (now !== epoch) [epoch, since] = [now, rig.probes()];
          return rig.probes() - since >= rounds;
        },
        10_000,
      );
      for (const dc of ['a', 'b', 'c']) await backends[dc]!.start();
      await until('all up', () => ['a', 'b', 'c'].every(up));
    });
    it('drain and undrain a datacenter', async () => {
      const { stateEpoch } = rig.source.view();
      await rig.drain('a');
      await until('a drained', () => rig.source.view().isDrained('a', '192.0.2.1'), 1000);
      expect(rig.source.view().stateEpoch).to.be.above(stateEpoch);
      expect(rig.source.view().isDrained('b', '192.0.2.2')).to.equal(false);
      await rig.undrain('a');
      await until('a undrained', () => !rig.source.view().isDrained('a', '192.0.2.1'), 1000);
    });
  });
}

describe('redis health source', function () {
  this.timeout(30_000);
  let url = '';
  const backends: Record<string, Backend> = {};
  let config: PolicyConfig;
  const stops: Array<() => Promise<unknown>> = [];
  before(async function () {
    url = await redisOrSkip(this);
    for (const dc of ['a', 'b']) backends[dc] = await new Backend().start();
    config = policyFor(backends);
  });
  afterEach(async () => {
    while (stops.length) await stops.pop()!();
  });
  after(async () => {
    for (const b of Object.values(backends)) await b.kill();
  });

  function node(u: string, prefix: string, extra: Partial<RedisSourceOptions> = {}) {
    const s = testNode(u, prefix, planFor([config]), { nodeId: `n-${Math.random()}`, graceMs: 1500, ...extra });
    stops.push(() => s.stop());
    return s;
  }
  function agent(u: string, prefix: string, dc: string, runProbe?: RunProbe) {
    const a = new Agent({
      url: u,
      prefix,
      datacenter: dc,
      id: `agent-${dc}-${Math.random().toString(36).slice(2, 6)}`,
      heartbeatMs: 200,
      planRefreshMs: 300,
      ...(runProbe ? { runProbe } : {}),
    });
    a.start();
    stops.push(() => a.stop());
    return a;
  }
  const cutOff: RunProbe = async () => ({ ok: false, rttMs: 0, reason: 'network unreachable', at: Date.now() });

  it('an agent that sees everything down (its own datacenter too) is discounted: nothing moves', async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const s = node(url, prefix);
    await s.start(3000);
    agent(url, prefix, 'a');
    agent(url, prefix, 'b', cutOff);
    // Both agents' reports of both targets in: the cut-off agent is discounted, the other one decides.
    const decided = (dc: string) => s.view().target(keyOf(config, dc)).reason;
    await until(
      'the cut-off agent discounted, both targets up by the other one alone',
      () =>
        s.status().agents.some((a) => a.discounted) &&
        decided('a') === 'up: 1/1 agents' &&
        decided('b') === 'up: 1/1 agents',
    );
    expect(s.view().target(keyOf(config, 'a')).up).to.equal(true);
    expect(s.view().target(keyOf(config, 'b')).up).to.equal(true);
    const cut = s.status().agents.find((a) => a.datacenter === 'b')!;
    expect(cut.discounted).to.equal(true);
    expect(cut.reason).to.match(/probably cut off/);
  });

  it('majority quorum: one dissenting agent out of three does not move a target', async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const s = node(url, prefix);
    await s.start(3000);
    agent(url, prefix, 'a');
    agent(url, prefix, 'b');
    // This one sees only 'a' down: not everything, so it is not discounted, but it is outvoted.
    const keyA = keyOf(config, 'a');
    agent(url, prefix, 'c', async (spec) => ({
      ok: describeSpec(spec) !== backends['a']!.probe,
      rttMs: 1,
      reason: 'partial view',
      at: Date.now(),
    }));
    await until('three agents', () => s.status().agents.filter((a) => a.fresh).length === 3);
    // Every agent's vote on a counted: the dissenter is outvoted (a broken quorum reads 'down: ...').
    await until('three votes on a', () => /^(up|down): \d\/3 /.test(s.view().target(keyA).reason));
    expect(s.view().target(keyA).up).to.equal(true);
    expect(s.view().target(keyA).reason).to.match(/up: 2\/3/);
  });

  it("view() only reads: views are rebuilt on the source's own timer, never inside a query", async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const s = node(url, prefix);
    await s.start(3000);
    // Count rebuilds, and those made while view() runs (as a DNS query calls it).
    const inside = s as unknown as { rebuild(): void; view(): HealthView };
    const rebuild = inside.rebuild.bind(s);
    const view = inside.view.bind(s);
    let querying = false;
    let rebuilt = 0;
    let inQuery = 0;
    inside.rebuild = () => {
      rebuilt++;
      if (querying) inQuery++;
      rebuild();
    };
    const query = () => {
      querying = true;
      try {
        return view();
      } finally {
        querying = false;
      }
    };
    agent(url, prefix, 'a');
    agent(url, prefix, 'b');
    // Asked every 20 ms while reports arrive, as busy DNS would.
    await until('both targets up by both agents', () =>
      ['a', 'b'].every((dc) => query().target(keyOf(config, dc)).reason === 'up: 2/2 agents'),
    );
    expect(rebuilt).to.be.above(0);
    expect(inQuery).to.equal(0);
  });

  it('warm start: a node started later knows the current state before it answers', async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const first = node(url, prefix);
    await first.start(3000);
    agent(url, prefix, 'a', async (spec) => ({
      ok: describeSpec(spec) !== backends['b']!.probe,
      rttMs: 1,
      reason: 'b is down',
      at: Date.now(),
    }));
    await until('b down on the first node', () => !first.view().target(keyOf(config, 'b')).up);
    const second = node(url, prefix);
    expect(await second.start(3000)).to.equal(true);
    expect(second.view().target(keyOf(config, 'b')).up).to.equal(false);
    expect(second.view().target(keyOf(config, 'a')).up).to.equal(true);
  });

  it('resync judges an agent by its last heartbeat, not by its key still existing', async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const r = new Redis(url);
    stops.push(async () => r.disconnect());
    // Two agents that said b is down: one beat 8 s ago (stopped; its key has not expired yet; max age here is 2 s), one now.
    const write = async (id: string, at: number) => {
      const doc = { v: 1, agent: id, datacenter: 'a', at, targets: 2 };
      await r.set(`${prefix}agent:${id}`, JSON.stringify(doc), 'PX', 10_000);
      const down = { up: false, rttMs: null, reason: 'refused', since: at - 1000 };
      await r.hset(`${prefix}results:${id}`, keyOf(config, 'b'), JSON.stringify(down));
    };
    await write('stopped', Date.now() - 8000);
    const lone = node(url, prefix);
    expect(await lone.start(3000)).to.equal(true);
    expect(lone.view().target(keyOf(config, 'b')).up, 'a stale agent alone gives no verdict').to.equal(true);
    await write('fresh', Date.now());
    const later = node(url, prefix);
    expect(await later.start(3000)).to.equal(true);
    expect(later.view().target(keyOf(config, 'b')).up, 'the fresh agent votes').to.equal(false);
  });

  it('ignores malformed data in Redis and keeps working', async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const r = new Redis(url);
    stops.push(async () => r.disconnect());
    await r.set(`${prefix}agent:bogus`, '{not json');
    await r.hset(`${prefix}drains`, 'dc:a', 'garbage');
    const s = node(url, prefix);
    await s.start(3000);
    agent(url, prefix, 'a');
    await r.publish(`${prefix}reports`, 'nonsense');
    await r.publish(
      `${prefix}reports`,
      JSON.stringify({ v: 1, agent: 'x', datacenter: 'a', at: 1, results: { k: { up: 'yes' } } }),
    );
    await until('real agent heard', () => s.view().target(keyOf(config, 'a')).reason.startsWith('up'));
    expect(s.status().badMessages).to.be.at.least(4);
    expect(s.view().isDrained('a', '192.0.2.1')).to.equal(false);
  });

  it('Redis outage: last known state through the grace period, then fail open; resync after restart', async function () {
    if (!hasRedisServerBinary()) this.skip();
    const own = await startRedisServer();
    const prefix = testPrefix();
    const s = node(own.url, prefix);
    await s.start(3000);
    agent(own.url, prefix, 'a', async (spec) => ({
      ok: describeSpec(spec) !== backends['b']!.probe,
      rttMs: 1,
      reason: 'b is down',
      at: Date.now(),
    }));
    await until('b down', () => !s.view().target(keyOf(config, 'b')).up);
    own.proc.kill('SIGKILL');
    await until('disconnect seen', () => !s.status().connected);
    const lost = s.status().disconnectedSince!;
    // The last state holds through the grace period (1.5 s), although no heartbeat arrives: b reads
    // down until the stale policy fails open, and that is no sooner than the grace period ends.
    await until('stale: fail open', () => s.view().target(keyOf(config, 'b')).up, 4000);
    expect(Date.now() - lost).to.be.at.least(1500);
    expect(s.view().target(keyOf(config, 'b')).reason).to.match(/failing open/);
    const again = await startRedisServer(own.port);
    stops.push(async () => again.proc.kill('SIGKILL'));
    await until(
      'resynced, b down again',
      () => s.status().connected && !s.view().target(keyOf(config, 'b')).up,
      10_000,
    );
    expect(s.status().resyncs).to.be.at.least(2);
  });

  it("a start is not a change: since 0 for first verdicts; a restarted node takes the agents' flip time", async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const bUp = { now: true };
    const scripted: RunProbe = async (spec) => ({
      ok: describeSpec(spec) !== backends['b']!.probe || bUp.now,
      rttMs: 1,
      reason: 'scripted',
      at: Date.now(),
    });
    for (const dc of ['a', 'b', 'c']) agent(url, prefix, dc, scripted);
    const first = node(url, prefix);
    await first.start(3000);
    const since = (s: RedisHealthSource, dc: string) => s.view().target(keyOf(config, dc)).since;
    await until('three agents', () => first.status().agents.filter((a) => a.fresh).length === 3);
    await until('both known', () =>
      ['a', 'b'].every((dc) => first.view().target(keyOf(config, dc)).reason !== 'not probed'),
    );
    expect([since(first, 'a'), since(first, 'b')]).to.deep.equal([0, 0]);
    const flippedAfter = Date.now();
    bUp.now = false;
    await until('b down', () => !first.view().target(keyOf(config, 'b')).up);
    expect(since(first, 'b')).to.be.within(flippedAfter, Date.now());
    // A node that starts now has seen no flip itself, but the agents have: b's change is recent.
    const restarted = node(url, prefix);
    await restarted.start(3000);
    expect(restarted.view().target(keyOf(config, 'b')).up).to.equal(false);
    expect(since(restarted, 'b')).to.be.within(flippedAfter - 1000, Date.now());
    expect(since(restarted, 'a')).to.equal(0);
  });

  it('drain with an expiry ends by itself', async () => {
    const prefix = testPrefix();
    stops.push(() => cleanup(url, prefix));
    const s = node(url, prefix);
    await s.start(3000);
    await drain({ url }, prefix, { endpoint: '192.0.2.2' }, { forMs: 600, by: 'test', reason: 'maintenance' });
    await until('drained', () => s.view().isDrained('b', '192.0.2.2'), 1000);
    const e = s.view().epoch;
    await until('expired', () => !s.view().isDrained('b', '192.0.2.2') && s.view().epoch > e, 2000);
  });
});

describe('embedded health source: a start is not a change', () => {
  it('first verdicts have since 0 (answers keep their full TTL); a flip has its time', async () => {
    // Started only for distinct probe addresses; the scripted probe answers for them.
    const backends = { a: await new Backend().start(), b: await new Backend().start() };
    const config = policyFor(backends);
    const bUp = { now: true };
    const source = new EmbeddedHealthSource({
      runProbe: async (spec) => ({
        ok: describeSpec(spec) !== backends.b.probe || bUp.now,
        rttMs: 1,
        reason: 'scripted',
        at: Date.now(),
      }),
    });
    const plan = planFor([config]);
    source.setPlan(plan.targets, plan.version);
    try {
      await source.start(3000);
      const t = (dc: string) => source.view().target(keyOf(config, dc));
      await until('both known', () => ['a', 'b'].every((dc) => t(dc).reason !== 'not probed'));
      expect([t('a').since, t('b').since]).to.deep.equal([0, 0]);
      const flippedAfter = Date.now();
      bUp.now = false;
      await until('b down', () => !t('b').up);
      expect(t('b').since).to.be.within(flippedAfter, Date.now());
      expect(t('a').since).to.equal(0);
    } finally {
      await source.stop();
      await backends.a.kill();
      await backends.b.kill();
    }
  });
});

describe('embedded health source: drains', () => {
  it('a drain without an end replaces a timed one: the old end does not lift it', async () => {
    const source = new EmbeddedHealthSource();
    await source.setDrain({ datacenter: 'a' }, true, { forMs: 40 });
    source.drain('a'); // no end now
    expect(source.matrix().drains).to.deep.equal([{ field: 'dc:a', until: null, by: 'admin', reason: '' }]);
    // A negative check: the old 40 ms timer has fired by then and must not have undrained it.
    await new Promise((r) => setTimeout(r, 120));
    expect(source.view().isDrained('a', '192.0.2.1')).to.equal(true);
    source.undrain('a');
    expect(source.view().isDrained('a', '192.0.2.1')).to.equal(false);
    await source.stop();
  });
});
