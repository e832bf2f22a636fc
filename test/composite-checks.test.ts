// Composite checks (`check: [web, tls]`), monitor checks (`monitor: [deep]`) and who probes (a check's
// `from`) as tables, without sockets: endpoint states and decisions over injected health, the probe
// plan made from the policy, and the plan as agents read it back from Redis (old plans included); then
// a node on real Redis ignoring an older agent's votes outside `from`. The same through real
// processes: test/e2e-checks.test.ts.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { isCountryCode } from '../geo/countries.js';
import { probedFrom, type PlanTarget } from '../health/plan-types.js';
import { DrainSet } from '../health/drains.js';
import { liveHealth } from '../health/redis-read.js';
import { decodePlan, encodePlan, mergePlans, PROTOCOL_VERSION, type PlanDoc } from '../health/redis-protocol.js';
import { StaticHealth } from '../health/static-health.js';
import { targetKey, type TargetHealth } from '../health/view.js';
import { decide } from '../server/gslb/decide.js';
import { endpointStates } from '../server/gslb/select.js';
import { planFor } from '../server/probe-plan.js';
import { parseName } from '../zones/name.js';
import { loadPolicy } from '../zones/policy/index.js';
import type { Endpoint, LbName, PolicyConfig } from '../zones/policy-types.js';
import { seeded } from '../zones/prng.js';
import { cleanup, redisOrSkip, testNode, testPrefix } from './helpers/redis.js';
import { until } from './helpers/until.js';

const NOW = 10_000_000;
const apex = (() => {
  const r = parseName('c.test.', null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
})();

function policyOf(yaml: string): PolicyConfig {
  const r = loadPolicy([{ file: 'p.yaml', text: yaml }], apex, isCountryCode, () => '');
  expect(r.errors.map((e) => e.message)).to.deep.equal([]);
  return r.config;
}

const POLICY = policyOf(`datacenters:
  a: {}
  b: {}
  c: {}
checks:
  web: { type: http, path: /healthz }
  tls: { type: tls, port: 8443 }
  deep: { type: http, path: /deep }
  vip: { type: http, port: 8080, from: local }
  pair: { type: tcp, from: [a, c] }
names:
  www:
    policy: failover
    ttl: 40
    check: [web, tls]
    monitor: [deep]
    pools:
      a: [192.0.2.1, 192.0.2.2]
      b: [192.0.2.11]
  api:
    policy: failover
    check: vip
    monitor: pair
    pools:
      a: [192.0.2.21]
      b: [192.0.2.31]
  plain:
    policy: failover
    check: web
    pools:
      c: [192.0.2.41]
`);
const nameOf = (label: string): LbName => [...POLICY.names.values()].find((n) => n.label === label)!;
const www = nameOf('www');
const endpoint = (address: string): Endpoint =>
  www.pools.flatMap((p) => p.endpoints).find((e) => e.address === address)!;
const key = (check: string, address: string) => targetKey(POLICY.checks.get(check)!, endpoint(address));

type Verdict = Partial<TargetHealth> & { up: boolean };

/** A health view where each (check, address) has the verdict given; the rest are unknown (up). */
function healthOf(states: Record<string, Verdict>) {
  const h = new StaticHealth(() => NOW);
  for (const [at, v] of Object.entries(states)) {
    const [check, address] = at.split(' ') as [string, string];
    h.set(key(check, address), { since: 1, ...v });
  }
  return h.view();
}

describe('composite and monitor checks: endpoint states', () => {
  const rows: Array<{
    rule: string;
    states: Record<string, Verdict>;
    /** Per endpoint of pool a: "usable (reason)" or "down (reason)", then its monitors. */
    want: Record<string, string>;
  }> = [
    {
      rule: 'every check passes: usable, with the first check reason',
      states: { 'web 192.0.2.1': { up: true, reason: 'HTTP 200' }, 'tls 192.0.2.1': { up: true, reason: 'TLS ok' } },
      want: { '192.0.2.1': 'usable (HTTP 200) deep:up', '192.0.2.2': 'usable (not probed) deep:up' },
    },
    {
      rule: 'the second check fails: the endpoint is down, the reason is that check, named',
      states: {
        'web 192.0.2.1': { up: true, reason: 'HTTP 200' },
        'tls 192.0.2.1': { up: false, reason: 'connection refused' },
      },
      want: { '192.0.2.1': 'down (tls: connection refused) deep:up', '192.0.2.2': 'usable (not probed) deep:up' },
    },
    {
      rule: 'both fail: the first failing check is named',
      states: {
        'web 192.0.2.2': { up: false, reason: 'HTTP 503 not in [200]' },
        'tls 192.0.2.2': { up: false, reason: 'connection refused' },
      },
      want: { '192.0.2.1': 'usable (not probed) deep:up', '192.0.2.2': 'down (web: HTTP 503 not in [200]) deep:up' },
    },
    {
      rule: 'a monitor that fails leaves the endpoint usable, and says so beside it',
      states: {
        'deep 192.0.2.1': { up: false, reason: 'HTTP 500 not in [200]' },
        'deep 192.0.2.2': { up: false, reason: 'connection refused' },
      },
      want: {
        '192.0.2.1': 'usable (not probed) deep:down (HTTP 500 not in [200])',
        '192.0.2.2': 'usable (not probed) deep:down (connection refused)',
      },
    },
  ];
  for (const row of rows)
    it(row.rule, () => {
      const got: Record<string, string> = {};
      for (const s of endpointStates(www, 'a', 0, healthOf(row.states), POLICY.checks)) {
        const monitors = s.monitors
          .map((m) => `${m.check}:${m.health.up ? 'up' : `down (${m.health.reason})`}`)
          .join(' ');
        got[s.endpoint.address] = `${s.usable ? 'usable' : 'down'} (${s.health.reason}) ${monitors}`;
      }
      expect(got).to.deep.equal(row.want);
    });

  it('round-trip time from the first check; changed when any check last changed (not a monitor)', () => {
    const [one] = endpointStates(
      www,
      'a',
      4,
      healthOf({
        'web 192.0.2.1': { up: true, rttMs: 5, since: 100 },
        'tls 192.0.2.1': { up: true, rttMs: 9, since: 300 },
        'deep 192.0.2.1': { up: false, since: 900 },
      }),
      POLICY.checks,
    );
    expect(one!.health).to.include({ up: true, rttMs: 5, since: 300 });
  });

  it('a name with one check, and one without: as before', () => {
    const plain = nameOf('plain');
    const h = new StaticHealth(() => NOW);
    h.set(targetKey(POLICY.checks.get('web')!, plain.pools[0]!.endpoints[0]!), { up: false, reason: 'refused' });
    expect(endpointStates(plain, 'c', 4, h.view(), POLICY.checks)[0]).to.deep.include({ usable: false, monitors: [] });
    expect(endpointStates(plain, 'c', 4, h.view(), POLICY.checks)[0]!.health.reason).to.equal('refused');
    const bare = { ...plain, checks: [] } as unknown as LbName;
    expect(endpointStates(bare, 'c', 4, h.view(), POLICY.checks)[0]!.health.reason).to.equal('no check configured');
  });
});

describe('composite and monitor checks: the decision', () => {
  const decideWith = (states: Record<string, Verdict>) =>
    decide({
      name: www,
      family: 4,
      cls: null,
      subnet: new Uint8Array([198, 51, 100, 1]),
      health: healthOf(states),
      checks: POLICY.checks,
      rng: seeded(1),
      now: NOW,
    });

  it("an endpoint whose second check fails is left; both of a's: b serves", () => {
    const one = decideWith({ 'tls 192.0.2.1': { up: false, reason: 'refused' } });
    expect([one.chosen, one.endpoints.map((e) => e.address)]).to.deep.equal(['a', ['192.0.2.2']]);
    const both = decideWith({
      'tls 192.0.2.1': { up: false, reason: 'refused' },
      'tls 192.0.2.2': { up: false, reason: 'refused' },
    });
    expect([both.chosen, both.outcome]).to.deep.equal(['b', 'failover']);
    expect(both.steps.join('\n')).to.include('192.0.2.1 tls: refused');
  });

  it('monitors that fail (or just changed) move nothing: same answer, full TTL', () => {
    const calm = decideWith({});
    const failing = decideWith({
      'deep 192.0.2.1': { up: false, reason: 'HTTP 500', since: NOW - 1000 },
      'deep 192.0.2.2': { up: false, reason: 'HTTP 500', since: NOW - 1000 },
    });
    expect([failing.chosen, failing.outcome, failing.ttl, failing.endpoints]).to.deep.equal([
      calm.chosen,
      calm.outcome,
      40,
      calm.endpoints,
    ]);
    // A steering check that changed as recently does shorten it.
    expect(decideWith({ 'web 192.0.2.1': { up: true, since: NOW - 1000 } }).ttl).to.be.below(40);
  });
});

describe('who probes: the probe plan', () => {
  const plan = planFor([POLICY]);
  const target = (check: string, address: string): PlanTarget => {
    const ep = [...POLICY.names.values()]
      .flatMap((n) => n.pools.flatMap((p) => p.endpoints))
      .find((e) => e.address === address)!;
    return plan.targets.find((t) => t.key === targetKey(POLICY.checks.get(check)!, ep))!;
  };

  it('monitor checks are probed like steering ones', () => {
    expect(target('deep', '192.0.2.1')).to.not.equal(undefined);
    expect(target('pair', '192.0.2.31')).to.not.equal(undefined);
    // www: web, tls, deep on 3 endpoints; api: vip, pair on 2; plain: web on 1.
    expect(plan.targets.length).to.equal(9 + 4 + 1);
  });

  it('from: all says nothing (every agent), local the datacenters the target serves, a list itself', () => {
    expect(target('web', '192.0.2.1').from).to.equal(undefined);
    expect([target('vip', '192.0.2.21').from, target('vip', '192.0.2.31').from]).to.deep.equal([['a'], ['b']]);
    expect(target('pair', '192.0.2.21').from).to.deep.equal(['a', 'c']);
  });

  it('the plan version moves when only who probes does', () => {
    const other = policyOf(
      `datacenters:\n  a: {}\n  b: {}\nchecks:\n  web: { type: tcp }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools: { a: [192.0.2.1] }\n`,
    );
    const local = policyOf(
      `datacenters:\n  a: {}\n  b: {}\nchecks:\n  web: { type: tcp, from: local }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools: { a: [192.0.2.1] }\n`,
    );
    expect(planFor([other]).version).to.not.equal(planFor([local]).version);
  });

  it('an agent probes a target when from is absent or names its datacenter', () => {
    const rows: Array<[readonly string[] | undefined, string, boolean]> = [
      [undefined, 'b', true],
      [['a'], 'a', true],
      [['a'], 'b', false],
      [['a', 'c'], 'c', true],
      [[], 'a', false],
    ];
    for (const [from, dc, want] of rows)
      expect(probedFrom(from === undefined ? {} : { from }, dc), `${String(from)} ${dc}`).to.equal(want);
  });
});

describe('who probes: the plan in Redis', () => {
  const targets = planFor([POLICY]).targets;
  const doc = (node: string, ts: readonly PlanTarget[]): PlanDoc => ({
    v: PROTOCOL_VERSION,
    node,
    version: 'v1',
    at: 1,
    targets: ts,
  });

  it("from survives the document an agent reads; a plan from before from reads as every agent's", () => {
    const decoded = decodePlan(encodePlan(doc('n', targets)), 'plan:n');
    expect(decoded.ok && decoded.value.targets.map((t) => t.from)).to.deep.equal(targets.map((t) => t.from));
    const old = JSON.parse(encodePlan(doc('n', targets))) as { targets: Array<Record<string, unknown>> };
    for (const t of old.targets) delete t['from'];
    const fromOld = decodePlan(JSON.stringify(old), 'plan:n');
    expect(fromOld.ok && fromOld.value.targets.every((t) => t.from === undefined)).to.equal(true);
  });

  it('a malformed from leaves that target out (reported), not the plan', () => {
    const bad = JSON.parse(encodePlan(doc('n', targets))) as { targets: Array<Record<string, unknown>> };
    bad.targets[0]!['from'] = 'local';
    const d = decodePlan(JSON.stringify(bad), 'plan:n');
    expect(d.ok && [d.value.targets.length, d.value.skipped?.length]).to.deep.equal([targets.length - 1, 1]);
  });

  it('merging nodes: every agent when any node says so, else the union of the datacenters', () => {
    const t = targets.find((x) => x.from !== undefined)!;
    const { from: _from, ...all } = t;
    const merged = (a: PlanTarget, b: PlanTarget) => mergePlans([doc('n1', [a]), doc('n2', [b])])[0]!.from;
    expect(merged({ ...t, from: ['a'] }, { ...t, from: ['b'] })).to.deep.equal(['a', 'b']);
    expect(merged({ ...t, from: ['a'] }, all)).to.equal(undefined);
    expect(merged(all, { ...t, from: ['a'] })).to.equal(undefined);
  });
});

describe('who probes: simulate --redis combines a read as a node does', () => {
  it('only the from agents count for a target with from', () => {
    const plan = planFor([POLICY]);
    const vipA = plan.targets.find((t) => t.from?.join() === 'a' && t.key.startsWith('vip|192.0.2.21|'))!;
    const at = NOW;
    const agent = (id: string, datacenter: string, up: boolean) => ({
      agent: id,
      datacenter,
      at,
      results: new Map([[vipA.key, { up, rttMs: null, reason: up ? 'HTTP 200' : 'HTTP 503', since: 1 }]]),
    });
    const read = {
      at,
      agents: [agent('a1', 'a', true), agent('b1', 'b', false), agent('c1', 'c', false)],
      drains: new DrainSet(new Map()),
      bad: [],
    };
    const dcs = new Map(plan.targets.map((t) => [t.key, t.datacenters]));
    const probers = new Map(plan.targets.flatMap((t) => (t.from ? [[t.key, t.from] as const] : [])));
    const quorum = { quorum: 'majority', maxAgeMs: 5000 } as const;
    expect(liveHealth(read, dcs, quorum, probers).targets.get(vipA.key)).to.include({
      up: true,
      reason: 'up: 1/1 agents',
    });
    // Without from, the remote agents' 503s would outvote it.
    expect(liveHealth(read, dcs, quorum).targets.get(vipA.key)!.up).to.equal(false);
  });
});

describe('who probes: a node on real Redis counts only the from agents', function () {
  this.timeout(20_000);
  let url = '';
  before(async function () {
    url = await redisOrSkip(this);
  });

  it('an older agent outside from that probes anyway is ignored; without a from agent, no verdict', async () => {
    const prefix = testPrefix();
    const plan = planFor([POLICY]);
    // api's vip check on 192.0.2.21 (pool a): from local, so only datacenter a's agents count.
    const vipA = plan.targets.find((t) => t.from?.join() === 'a' && t.key.startsWith('vip|192.0.2.21|'))!;
    const node = testNode(url, prefix, plan, { nodeId: 'from-node' });
    const r = new Redis(url);
    try {
      await node.start(3000);
      const report = (agent: string, dc: string, up: boolean) =>
        r.publish(
          `${prefix}reports`,
          JSON.stringify({
            v: PROTOCOL_VERSION,
            agent,
            datacenter: dc,
            at: Date.now(),
            results: { [vipA.key]: { up, rttMs: null, reason: up ? 'HTTP 200' : 'HTTP 503', since: 1 } },
          }),
        );
      // Two older agents of b and c that ignore from: both say down. Nobody of a reports yet.
      await report('old-b', 'b', false);
      await report('old-c', 'c', false);
      await until('both heard', () => node.status().agents.length === 2);
      await sleep(150); // past a rebuild: their votes would show by now
      expect(node.view().target(vipA.key)).to.include({ up: true, reason: 'not probed' });
      // a's agent says up: the verdict is its alone.
      await report('new-a', 'a', true);
      await until('a heard', () => node.view().target(vipA.key).reason === 'up: 1/1 agents');
      expect(node.view().target(vipA.key).up).to.equal(true);
      // The health matrix shows no cell for the agents outside from.
      const row = node.matrix().targets.find((t) => t.key === vipA.key)!;
      expect(row.cells).to.deep.equal({ 'old-b': null, 'old-c': null, 'new-a': row.cells['new-a'] });
      expect(row.cells['new-a']).to.include({ up: true });
    } finally {
      r.disconnect();
      await node.stop();
      await cleanup(url, prefix);
    }
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
