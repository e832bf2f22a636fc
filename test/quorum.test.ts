// quorum's vote rules as tables, with time injected: majority and fixed quorums, stale agents, cut-off
// agents, every agent cut off, and the stale policy while Redis is unreachable. No Redis, no sockets.
import { expect } from 'chai';
import {
  combine,
  linkVerdict,
  type AgentReports,
  type Link,
  type QuorumConfig,
  type ReportedResult,
  type StalePolicy,
  type TargetDatacenters,
  type TargetProbers,
} from '../health/quorum.js';

const NOW = 1_000_000;
const MAX_AGE = 2000;
const majority: QuorumConfig = { quorum: 'majority', maxAgeMs: MAX_AGE };
const fixed = (n: number): QuorumConfig => ({ quorum: n, maxAgeMs: MAX_AGE });

/** Check targets a1, b1, c1 (and a2) live in datacenters a, b, c; load:a1 is a1's load read. */
const dcs: TargetDatacenters = new Map([
  ['a1', ['a']],
  ['a2', ['a']],
  ['b1', ['b']],
  ['c1', ['c']],
  ['load:a1', ['a']],
]);

/** One agent's reports: 'U' up, 'D' down (rtt 10 when up), heard `ageMs` before NOW. */
function agent(id: string, dc: string, results: Record<string, 'U' | 'D'>, ageMs = 0): AgentReports {
  const map = new Map<string, ReportedResult>();
  for (const [key, v] of Object.entries(results))
    map.set(key, { up: v === 'U', rttMs: v === 'U' ? 10 : null, reason: v === 'U' ? 'ok' : 'refused', since: 0 });
  return { agent: id, datacenter: dc, heardAt: NOW - ageMs, results: map };
}

/** Each target's verdict as "up 2/3" or "down 2/3", agents' as "fresh", "stale" or "discounted". */
function outcome(all: readonly AgentReports[], cfg: QuorumConfig, now = NOW, probers?: TargetProbers) {
  const c = combine(all, dcs, cfg, now, probers);
  const targets: Record<string, string> = {};
  for (const [key, t] of c.targets) {
    const m = t.reason.match(/^(up|down): (\d+\/\d+) agents/);
    expect(m, t.reason).to.not.equal(null);
    expect(t.up).to.equal(m![1] === 'up');
    targets[key] = `${m![1]} ${m![2]}`;
  }
  const agents: Record<string, string> = {};
  for (const v of c.agents) agents[v.agent] = v.discounted ? 'discounted' : v.fresh ? 'fresh' : 'stale';
  return { targets, agents, combined: c };
}

interface Row {
  readonly rule: string;
  readonly cfg: QuorumConfig;
  readonly agents: readonly AgentReports[];
  readonly targets: Record<string, string>;
  /** Agents that are not simply fresh voters. */
  readonly agentsNot?: Record<string, string>;
}

const table: Row[] = [
  // Majority of the agents that voted on the target.
  {
    rule: 'majority: all up',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'U' }), agent('z', 'c', { b1: 'U' })],
    targets: { b1: 'up 3/3' },
  },
  {
    rule: 'majority: one dissenter of three is outvoted',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'U' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'up 2/3' },
  },
  {
    rule: 'majority: two of three down is down',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'D' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'down 2/3' },
  },
  {
    rule: 'majority: a tie is down (2 of 4 is not more than half)',
    cfg: majority,
    agents: [
      agent('w', 'a', { b1: 'U' }),
      agent('x', 'a', { b1: 'U' }),
      agent('y', 'b', { b1: 'D' }),
      agent('z', 'c', { b1: 'D' }),
    ],
    targets: { b1: 'down 2/4' },
  },
  {
    rule: 'majority: a single agent decides alone',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'U', c1: 'D' })],
    targets: { b1: 'up 1/1', c1: 'down 1/1' },
  },
  {
    rule: 'majority: only the agents that report a target vote on it',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'U', c1: 'U' }), agent('y', 'b', { b1: 'D' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'down 2/3', c1: 'up 1/1' },
  },
  // A fixed number of up votes, capped at the number of voters.
  {
    rule: 'fixed 1: one up vote of three is enough',
    cfg: fixed(1),
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'D' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'up 1/3' },
  },
  {
    rule: 'fixed 2: two of three up',
    cfg: fixed(2),
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'U' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'up 2/3' },
  },
  {
    rule: 'fixed 2: one of three up is down',
    cfg: fixed(2),
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'D' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'down 2/3' },
  },
  {
    rule: 'fixed 5 with three voters: capped at three, all must say up',
    cfg: fixed(5),
    agents: [
      agent('x', 'a', { b1: 'U', c1: 'U' }),
      agent('y', 'b', { b1: 'U', c1: 'U' }),
      agent('z', 'c', { b1: 'U' }),
    ],
    targets: { b1: 'up 3/3', c1: 'up 2/2' },
  },
  {
    rule: 'fixed 5 with three voters: one down is down',
    cfg: fixed(5),
    agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'U' }), agent('z', 'c', { b1: 'D' })],
    targets: { b1: 'down 1/3' },
  },
  // Stale agents: not heard from for longer than maxAgeMs, they do not vote.
  {
    rule: 'stale: heard exactly maxAgeMs ago still votes, 1 ms more does not',
    cfg: majority,
    agents: [
      agent('x', 'a', { b1: 'U' }, MAX_AGE),
      agent('y', 'b', { b1: 'D' }, MAX_AGE + 1),
      agent('z', 'c', { b1: 'D' }, 60_000),
    ],
    targets: { b1: 'up 1/1' },
    agentsNot: { y: 'stale', z: 'stale' },
  },
  {
    rule: 'stale: when every agent is stale there is no verdict (an unknown target reads up)',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'D' }, MAX_AGE + 1), agent('y', 'b', { b1: 'D' }, MAX_AGE + 1)],
    targets: {},
    agentsNot: { x: 'stale', y: 'stale' },
  },
  {
    rule: 'stale: a heartbeat from the future (clock skew) is fresh, age 0',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'D' }, -5000)],
    targets: { b1: 'down 1/1' },
  },
  // Cut-off agents: everything down, its own datacenter included, over two targets or more.
  {
    rule: 'cut off: an agent seeing every target down, its own too, is discounted',
    cfg: majority,
    agents: [
      agent('x', 'a', { a1: 'D', b1: 'D', c1: 'D' }),
      agent('y', 'b', { a1: 'U', b1: 'U', c1: 'D' }),
      agent('z', 'c', { a1: 'U', b1: 'U', c1: 'D' }),
    ],
    targets: { a1: 'up 2/2', b1: 'up 2/2', c1: 'down 2/2' },
    agentsNot: { x: 'discounted' },
  },
  {
    rule: 'cut off: one target alone is too few to judge: counted',
    cfg: majority,
    agents: [agent('x', 'a', { a1: 'D' }), agent('y', 'b', { a1: 'U' })],
    targets: { a1: 'down 1/2' },
  },
  {
    rule: 'cut off: everything down but none in its own datacenter: counted',
    cfg: majority,
    agents: [agent('x', 'a', { b1: 'D', c1: 'D' }), agent('y', 'b', { b1: 'U', c1: 'U' })],
    targets: { b1: 'down 1/2', c1: 'down 1/2' },
  },
  {
    rule: 'cut off: one target up is enough to count',
    cfg: majority,
    agents: [agent('x', 'a', { a1: 'D', a2: 'D', b1: 'U' }), agent('y', 'b', { a1: 'U', a2: 'U', b1: 'U' })],
    targets: { a1: 'down 1/2', a2: 'down 1/2', b1: 'up 2/2' },
  },
  {
    rule: 'cut off: judged by checks only, a load read that is up does not hide it',
    cfg: majority,
    agents: [
      agent('x', 'a', { a1: 'D', b1: 'D', 'load:a1': 'U' }),
      agent('y', 'b', { a1: 'U', b1: 'U', 'load:a1': 'U' }),
    ],
    targets: { a1: 'up 1/1', b1: 'up 1/1', 'load:a1': 'up 1/1' },
    agentsNot: { x: 'discounted' },
  },
  {
    rule: 'cut off: load reads do not count towards the two targets',
    cfg: majority,
    agents: [agent('x', 'a', { a1: 'D', 'load:a1': 'D' }), agent('y', 'b', { a1: 'U', 'load:a1': 'U' })],
    targets: { a1: 'down 1/2', 'load:a1': 'down 1/2' },
  },
  {
    rule: 'cut off: a stale agent is stale, not discounted',
    cfg: majority,
    agents: [agent('x', 'a', { a1: 'D', b1: 'D' }, MAX_AGE + 1), agent('y', 'b', { a1: 'U', b1: 'U' })],
    targets: { a1: 'up 1/1', b1: 'up 1/1' },
    agentsNot: { x: 'stale' },
  },
  // Every fresh agent cut off: an outage, not a partition; all are counted.
  {
    rule: 'all cut off: every agent sees everything down: counted, targets down',
    cfg: majority,
    agents: [agent('x', 'a', { a1: 'D', b1: 'D' }), agent('y', 'b', { a1: 'D', b1: 'D' })],
    targets: { a1: 'down 2/2', b1: 'down 2/2' },
  },
  {
    rule: 'all cut off: a stale agent that saw them up does not make the fresh ones a minority',
    cfg: majority,
    agents: [
      agent('x', 'a', { a1: 'D', b1: 'D' }),
      agent('y', 'b', { a1: 'D', b1: 'D' }),
      agent('z', 'c', { a1: 'U', b1: 'U' }, MAX_AGE + 1),
    ],
    targets: { a1: 'down 2/2', b1: 'down 2/2' },
    agentsNot: { z: 'stale' },
  },
];

describe('quorum: combine() vote rules', () => {
  for (const row of table)
    it(row.rule, () => {
      const { targets, agents } = outcome(row.agents, row.cfg);
      expect(targets).to.deep.equal(row.targets);
      const expected: Record<string, string> = {};
      for (const a of row.agents) expected[a.agent] = row.agentsNot?.[a.agent] ?? 'fresh';
      expect(agents).to.deep.equal(expected);
    });

  it('says why: stale age, cut off, counted when all are', () => {
    const stale = combine([agent('x', 'a', { a1: 'U' }, 2500)], dcs, majority, NOW).agents[0]!;
    expect(stale).to.include({ fresh: false, ageMs: 2500, reason: 'stale: last heard 2500 ms ago' });
    const cut = combine(
      [agent('x', 'a', { a1: 'D', b1: 'D' }), agent('y', 'b', { a1: 'U', b1: 'U' })],
      dcs,
      majority,
      NOW,
    ).agents[0]!;
    expect(cut.reason).to.equal('sees all 2 targets down, 1 in its own datacenter: probably cut off; discounted');
    const all = combine([agent('x', 'a', { a1: 'D', b1: 'D' })], dcs, majority, NOW).agents[0]!;
    expect(all).to.include({ discounted: false, reason: 'sees everything down, as every agent does: counted' });
    const down = combine([agent('x', 'a', { b1: 'D' }), agent('y', 'b', { b1: 'D' })], dcs, majority, NOW);
    expect(down.targets.get('b1')!.reason).to.equal('down: 2/2 agents (x: refused; y: refused)');
  });

  it('figures: median RTT of the up votes, per datacenter when there are several; the latest since', () => {
    const rep = (up: boolean, rttMs: number | null, since: number): ReportedResult => ({
      up,
      rttMs,
      reason: up ? 'ok' : 'refused',
      since,
    });
    const of = (id: string, dc: string, r: ReportedResult): AgentReports => ({
      agent: id,
      datacenter: dc,
      heardAt: NOW,
      results: new Map([['b1', r]]),
    });
    const c = combine(
      [of('w', 'a', rep(true, 2, 10)), of('x', 'a', rep(true, 4, 30)), of('y', 'b', rep(true, 80, 20))],
      dcs,
      majority,
      NOW,
    );
    expect(c.targets.get('b1')).to.include({ up: true, rttMs: 4, since: 30 });
    expect(c.targets.get('b1')!.rttByDatacenter).to.deep.equal({ a: 3, b: 80 });
    const one = combine([of('x', 'a', rep(true, 4, 0)), of('y', 'b', rep(false, null, 0))], dcs, fixed(1), NOW);
    expect(one.targets.get('b1')).to.include({ up: true, rttMs: 4, rttByDatacenter: null });
  });
});

describe("quorum: who probes (a check's from)", () => {
  // b1's check says from: [b] (from: local for an endpoint of datacenter b); a1's from: [a, b].
  const probers: TargetProbers = new Map([
    ['b1', ['b']],
    ['a1', ['a', 'b']],
  ]);
  const rows: Array<Omit<Row, 'cfg'> & { cfg?: QuorumConfig }> = [
    {
      rule: "only the from datacenter's agents vote: remote agents that cannot reach it are not counted",
      agents: [agent('x', 'a', { b1: 'D' }), agent('y', 'b', { b1: 'U' }), agent('z', 'c', { b1: 'D' })],
      targets: { b1: 'up 1/1' },
    },
    {
      rule: 'its own agent still fails it: a local down vote is the verdict, whatever remote agents say',
      agents: [agent('x', 'a', { b1: 'U' }), agent('y', 'b', { b1: 'D' }), agent('z', 'c', { b1: 'U' })],
      targets: { b1: 'down 1/1' },
    },
    {
      rule: 'the quorum is a majority of the from agents only',
      agents: [
        agent('w', 'b', { b1: 'U' }),
        agent('x', 'b', { b1: 'D' }),
        agent('y', 'a', { b1: 'U' }),
        agent('z', 'c', { b1: 'U' }),
      ],
      targets: { b1: 'down 1/2' },
    },
    {
      rule: 'a fixed quorum is capped at the from agents',
      cfg: fixed(2),
      agents: [agent('x', 'a', { a1: 'D' }), agent('y', 'b', { a1: 'U' }), agent('z', 'c', { a1: 'U' })],
      targets: { a1: 'down 1/2' },
    },
    {
      rule: 'no agent of the from datacenters reports it: no verdict (it reads as not probed, up)',
      agents: [agent('x', 'a', { b1: 'D', c1: 'U' }), agent('z', 'c', { b1: 'D' })],
      targets: { c1: 'up 1/1' },
    },
    {
      rule: 'the from agent is stale: no verdict from the others',
      agents: [agent('x', 'a', { b1: 'D' }), agent('y', 'b', { b1: 'U' }, MAX_AGE + 1)],
      targets: {},
      agentsNot: { y: 'stale' },
    },
    {
      rule: 'a target it was not asked to probe does not make an agent look cut off',
      agents: [agent('x', 'c', { c1: 'D', b1: 'D' }), agent('y', 'b', { c1: 'U', b1: 'U' })],
      targets: { c1: 'down 1/2', b1: 'up 1/1' },
    },
  ];
  for (const row of rows)
    it(row.rule, () => {
      const { targets, agents } = outcome(row.agents, row.cfg ?? majority, NOW, probers);
      expect(targets).to.deep.equal(row.targets);
      const expected: Record<string, string> = {};
      for (const a of row.agents) expected[a.agent] = row.agentsNot?.[a.agent] ?? 'fresh';
      expect(agents).to.deep.equal(expected);
    });

  it('without from, the same reports are counted as before (the cut-off row discounts x)', () => {
    const { targets, agents } = outcome(
      [agent('x', 'c', { c1: 'D', b1: 'D' }), agent('y', 'b', { c1: 'U', b1: 'U' })],
      majority,
    );
    expect(targets).to.deep.equal({ c1: 'up 1/1', b1: 'up 1/1' });
    expect(agents).to.deep.equal({ x: 'discounted', y: 'fresh' });
  });
});

describe('quorum: the stale policy while Redis is unreachable', () => {
  const GRACE = 1500;
  const up: Link = { connected: true, disconnectedSince: null };
  const wentAt = (t: number): Link => ({ connected: false, disconnectedSince: t });
  const table: Array<[string, Link, StalePolicy, { voteAt: number; stale: boolean; failOpen: boolean }]> = [
    ['connected: votes count now', up, 'open', { voteAt: NOW, stale: false, failOpen: false }],
    [
      'reconnected (the old time not cleared yet) counts as connected',
      { connected: true, disconnectedSince: NOW - 9000 },
      'open',
      { voteAt: NOW, stale: false, failOpen: false },
    ],
    [
      'within the grace period: votes as of the moment it went',
      wentAt(NOW - 1000),
      'open',
      { voteAt: NOW - 1000, stale: false, failOpen: false },
    ],
    [
      'at exactly the grace period: not stale yet',
      wentAt(NOW - GRACE),
      'open',
      { voteAt: NOW - GRACE, stale: false, failOpen: false },
    ],
    [
      "past it, 'open': every target up",
      wentAt(NOW - GRACE - 1),
      'open',
      { voteAt: NOW - GRACE - 1, stale: true, failOpen: true },
    ],
    [
      "past it, 'keep': the last state holds",
      wentAt(NOW - 60_000),
      'keep',
      { voteAt: NOW - 60_000, stale: true, failOpen: false },
    ],
    [
      'disconnected before the first connect: nothing to hold, votes count now',
      { connected: false, disconnectedSince: null },
      'open',
      { voteAt: NOW, stale: false, failOpen: false },
    ],
  ];
  for (const [rule, link, policy, want] of table)
    it(rule, () => expect(linkVerdict(link, GRACE, policy, NOW)).to.deep.equal(want));

  it('agents do not age out while Redis is away: the last verdict holds until the stale policy', () => {
    // Heard 500 ms before Redis went; 10 s later they would be long stale by the wall clock.
    const went = NOW - 10_000;
    const agents = [
      agent('x', 'a', { b1: 'D' }, 10_500),
      agent('y', 'b', { b1: 'D' }, 10_500),
      agent('z', 'c', { b1: 'U' }, 10_500),
    ];
    const keep = linkVerdict(wentAt(went), 60_000, 'keep', NOW);
    expect(outcome(agents, majority, keep.voteAt).targets).to.deep.equal({ b1: 'down 2/3' });
    expect(outcome(agents, majority, NOW).targets).to.deep.equal({});
  });
});
