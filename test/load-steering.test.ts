// Load-aware steering with injected figures and time: folding load readings (rates, smoothing, passive
// health, max age), combining agents' figures, the shed controller, and every load-aware policy
// through the real answer path (tier, margin, stale figures, passive health, shed load and its scope).
import { expect } from 'chai';
import { nextLoadState, publishedFigures, smooth } from '../health/load/fold.js';
import { NO_READING, type LoadReading } from '../health/load/types.js';
import type { TargetState } from '../health/hysteresis.js';
import { planFor } from '../server/probe-plan.js';
import { isLoadSpec, loadTargetsFor, type LoadSpec, type LoadTarget, type ProbeResult } from '../health/probe-types.js';
import { decodePlan } from '../health/redis-protocol.js';
import { combine, type AgentReports, type ReportedResult } from '../health/quorum.js';
import { loadKey, targetKey } from '../health/view.js';
import { stepShed, NOT_SHEDDING, type ShedState } from '../server/gslb/shed.js';
import { loadZones } from '../zones/load.js';
import { DEFAULT_SHED, type Endpoint, type LoadSource } from '../zones/policy-types.js';
import { dcOf, GSLB_ZONES, makeRig, type Rig } from './helpers/gslb.js';

const policy = loadZones(GSLB_ZONES).zones[0]!.policy;
const source = policy.loads.get('lb')!;
const webCheck = policy.checks.get('web')!;
const endpoint = (address: string): Endpoint => ({
  address,
  family: address.includes(':') ? 6 : 4,
  weight: 1,
  probe: null,
  loadUrl: null,
  datacenter: '',
});
const lk = (address: string) => loadKey(source, endpoint(address));
const ck = (address: string) => targetKey(webCheck, endpoint(address));

function target(over: Partial<LoadSource> = {}): LoadTarget {
  return loadTargetsFor({ ...source, smoothingMs: 0, ...over }, [endpoint('192.0.2.10')])[0] as LoadTarget;
}

const reading = (r: Partial<LoadReading>): LoadReading => ({ ...NO_READING, ...r });
const read = (at: number, r: Partial<LoadReading>): ProbeResult => ({
  ok: true,
  rttMs: 1,
  reason: 'figures read',
  at,
  reading: reading(r),
});
const failed = (at: number): ProbeResult => ({ ok: false, rttMs: 1, reason: 'connection refused', at });

function fold(t: LoadTarget, results: ProbeResult[]): TargetState[] {
  const out: TargetState[] = [];
  let s: TargetState | undefined;
  for (const r of results) out.push((s = nextLoadState(s, r, t)));
  return out;
}

describe('load figures: folding readings', () => {
  it('bandwidth is the rate of the byte counters; a counter reset gives no rate, not a negative one', () => {
    const s = fold(target(), [
      read(0, { bytesTotal: 1000 }),
      read(2000, { bytesTotal: 5000 }),
      read(4000, { bytesTotal: 100 }),
      read(5000, { bytesTotal: 1100 }),
    ]);
    expect(s.map((x) => x.load!.bandwidthBps)).to.deep.equal([null, 2000, null, 1000]);
  });

  it('a bandwidth gauge from the source is taken as is', () => {
    const s = fold(target(), [read(0, { bandwidthBps: 300, bytesTotal: 1 })]);
    expect(s[0]!.load!.bandwidthBps).to.equal(300);
  });

  it('smoothing has a time constant: the weight of a read depends on the time since the last, not on the interval', () => {
    expect(smooth(null, 100, 1000, 5000)).to.equal(100);
    expect(smooth(0, 100, 5000, 5000)).to.be.closeTo(100 * (1 - Math.exp(-1)), 1e-9);
    // Five reads 1 s apart move as far as one read 5 s later.
    let x = 0;
    for (let i = 0; i < 5; i++) x = smooth(x, 100, 1000, 5000)!;
    expect(x).to.be.closeTo(smooth(0, 100, 5000, 5000)!, 1e-9);
    expect(smooth(10, 100, 1000, 0)).to.equal(100);
    const s = fold(target({ smoothingMs: 5000 }), [read(0, { connections: 0 }), read(5000, { connections: 100 })]);
    expect(s[1]!.load!.connections).to.be.closeTo(63.2, 0.1);
  });

  it('capacity: the configured figure wins over the source', () => {
    expect(fold(target(), [read(0, { capacity: 50 })])[0]!.load!.capacity).to.equal(50);
    expect(fold(target({ capacity: 800 }), [read(0, { capacity: 50 })])[0]!.load!.capacity).to.equal(800);
  });

  it('a failed read keeps health and the last figures; they are published only until max age', () => {
    const t = target({ maxAgeMs: 3000 });
    const s = fold(t, [read(0, { connections: 7 }), failed(1000), failed(2000)]);
    expect(s.map((x) => x.up)).to.deep.equal([true, true, true]);
    expect(s[2]!.lastResult.reason).to.equal('stats read failed: connection refused');
    expect(publishedFigures(s[2]!, 3000, 2500).connections).to.equal(7);
    expect(publishedFigures(s[2]!, 3000, 3001)).to.deep.equal({
      connections: null,
      capacity: null,
      bandwidthBps: null,
      errorRate: null,
    });
  });

  it('passive health: the error rate between reads through rise/fall; too few requests give no verdict', () => {
    const t = target({ passive: { maxErrorRate: 0.05, minRequests: 20, rise: 2, fall: 2 } });
    const states = fold(t, [
      read(0, { errorsTotal: 0, requestsTotal: 0 }),
      read(1000, { errorsTotal: 10, requestsTotal: 100 }), // 10 %: one bad read, fall 2
      read(2000, { errorsTotal: 20, requestsTotal: 200 }), // 10 % again: down
      read(3000, { errorsTotal: 21, requestsTotal: 300 }), // 1 %: one good read, rise 2
      read(4000, { errorsTotal: 22, requestsTotal: 400 }), // up
      read(5000, { errorsTotal: 30, requestsTotal: 410 }), // 10 requests: no verdict
    ]);
    expect(states.map((x) => x.up)).to.deep.equal([true, true, false, false, true, true]);
    expect(states[2]!.lastResult.reason).to.equal('passive: 5xx rate 10% over 100 requests > 5%');
    expect(states[2]!.load!.errorRate).to.equal(0.1);
    expect(states[5]!.failStreak).to.equal(0);
    expect(states[5]!.okStreak).to.equal(states[4]!.okStreak);
  });

  it('passive health: an endpoint it took down comes back on quiet reads (DNS sends it no traffic to judge)', () => {
    const t = target({ passive: { maxErrorRate: 0.05, minRequests: 20, rise: 2, fall: 1 } });
    const states = fold(t, [
      read(0, { errorsTotal: 0, requestsTotal: 0 }),
      read(1000, { errorsTotal: 50, requestsTotal: 100 }),
      read(2000, { errorsTotal: 50, requestsTotal: 101 }),
      read(3000, { errorsTotal: 50, requestsTotal: 102 }),
    ]);
    expect(states.map((x) => x.up)).to.deep.equal([true, false, false, true]);
    expect(states[2]!.lastResult.reason).to.match(/too few to judge: counted as good/);
  });
});

describe('load figures: many agents', () => {
  const rep = (r: Partial<ReportedResult>): ReportedResult => ({ up: true, rttMs: null, reason: 'ok', since: 0, ...r });
  const agent = (id: string, dc: string, results: Record<string, ReportedResult>): AgentReports => ({
    agent: id,
    datacenter: dc,
    heardAt: 1000,
    results: new Map(Object.entries(results)),
  });
  const cfg = { maxAgeMs: 5000, quorum: 'majority' as const };

  it('RTT per agent datacenter, besides the median, when agents in several datacenters report', () => {
    const k = ck('192.0.2.10');
    const c = combine(
      [
        agent('a1', 'us-east', { [k]: rep({ rttMs: 2 }) }),
        agent('a2', 'us-east', { [k]: rep({ rttMs: 4 }) }),
        agent('b', 'eu-west', { [k]: rep({ rttMs: 80 }) }),
        agent('c', 'ap-south', { [k]: rep({ up: false, rttMs: null }) }),
      ],
      new Map([[k, ['us-east']]]),
      cfg,
      1000,
    );
    expect(c.targets.get(k)).to.include({ rttMs: 4 });
    expect(c.targets.get(k)!.rttByDatacenter).to.deep.equal({ 'us-east': 3, 'eu-west': 80 });
  });

  it("figures are the median of the agents' (one odd reading does not steer), RTT of the up votes", () => {
    const k = lk('192.0.2.10');
    const c = combine(
      [
        agent('a', 'us-east', { [k]: rep({ connections: 10, capacity: 100, bandwidthBps: 5 }) }),
        agent('b', 'eu-west', { [k]: rep({ connections: 12, capacity: 100 }) }),
        agent('c', 'ap-south', { [k]: rep({ connections: 9000, capacity: 100, errorRate: 0.5 }) }),
      ],
      new Map([[k, ['us-east']]]),
      cfg,
      1000,
    );
    expect(c.targets.get(k)).to.include({ connections: 12, capacity: 100, bandwidthBps: 5, errorRate: 0.5, up: true });
  });

  it('an agent is judged cut off by its checks only: its load reads (up, no verdict) do not hide it', () => {
    const own = ck('192.0.2.10');
    const other = ck('198.51.100.10');
    const dcs = new Map([
      [own, ['us-east']],
      [other, ['eu-west']],
      [lk('192.0.2.10'), ['us-east']],
    ]);
    const cutOff = agent('a', 'us-east', {
      [own]: rep({ up: false }),
      [other]: rep({ up: false }),
      [lk('192.0.2.10')]: rep({ up: true }),
    });
    const fine = agent('b', 'eu-west', { [own]: rep({}), [other]: rep({}), [lk('192.0.2.10')]: rep({}) });
    const c = combine([cutOff, fine], dcs, cfg, 1000);
    expect(c.agents.find((a) => a.agent === 'a')!.discounted).to.equal(true);
    expect(c.targets.get(own)!.up).to.equal(true);
  });
});

describe('shed load: the controller', () => {
  const cfg = { ...DEFAULT_SHED, high: 0.8, low: 0.5, step: 0.25, everyMs: 1000, max: 0.75 };
  it('grows a step per interval above high, holds between the watermarks, shrinks below low, capped at max', () => {
    const table: Array<[number, number | null, number]> = [
      // [time, utilisation, share after]
      [0, 0.9, 0.25], // first step at once
      [500, 0.95, 0.25], // not due yet
      [1000, 0.95, 0.5],
      [2000, 0.9, 0.75],
      [3000, 0.99, 0.75], // max
      [4000, 0.7, 0.75], // between: hold
      [5000, 0.4, 0.5],
      [5500, 0.4, 0.5],
      [6000, null, 0.25], // no fresh figures: give back as below low
      [7000, 0.3, 0],
      [8000, 0.3, 0],
    ];
    let s: ShedState = NOT_SHEDDING;
    for (const [now, u, share] of table) {
      s = stepShed(s, u, cfg, now);
      expect(s.share, `at ${now} ms, utilisation ${u}`).to.equal(share);
    }
  });
});

describe('load-aware policies (injected figures)', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = makeRig();
  });
  const figures = (address: string, f: Parameters<Rig['health']['set']>[1]) => rig.health.set(lk(address), f);
  const eu = '81.2.69.142/31'; // region europe: eu-west, us-east, ap-south

  it('least-loaded is weighted least connections: connections / weight', () => {
    figures('192.0.2.10', { up: true, connections: 100 }); // weight 4: 25 per unit
    figures('198.51.100.10', { up: true, connections: 30 });
    figures('203.0.113.10', { up: true, connections: 40 });
    expect(dcOf(rig.ask('llw.lb.test', 'A', eu).addresses)).to.equal('us-east');
    figures('192.0.2.10', { up: true, connections: 200 });
    expect(dcOf(rig.ask('llw.lb.test', 'A', eu).addresses)).to.equal('eu-west');
  });

  it('a datacenter without fresh figures keeps the plain order for its tier (a dead stats page drains nobody)', () => {
    expect(dcOf(rig.ask('llw.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    figures('192.0.2.10', { up: true, connections: 1000 });
    figures('203.0.113.10', { up: true, connections: 1 });
    // eu-west, first in Europe's order, has no figure: the tier falls back to the plain order.
    expect(dcOf(rig.ask('llw.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    figures('198.51.100.10', { up: true, connections: 50 });
    expect(dcOf(rig.ask('llw.lb.test', 'A', eu).addresses)).to.equal('ap-south');
  });

  it('least-bandwidth: bytes per second per unit of weight, over every usable endpoint', () => {
    figures('192.0.2.10', { up: true, bandwidthBps: 4e6 });
    figures('192.0.2.11', { up: true, bandwidthBps: 4e6 }); // 8 MB/s over weight 2
    figures('198.51.100.10', { up: true, bandwidthBps: 5e6 });
    expect(dcOf(rig.ask('bw.lb.test', 'A', eu).addresses)).to.equal('us-east');
    figures('192.0.2.11', { up: true, bandwidthBps: 8e6 });
    expect(dcOf(rig.ask('bw.lb.test', 'A', eu).addresses)).to.equal('eu-west');
  });

  it('least-response-time: RTT x (connections per weight + 1)', () => {
    rig.health.set(ck('192.0.2.10'), { up: true, rttMs: 10 });
    rig.health.set(ck('198.51.100.10'), { up: true, rttMs: 40 });
    figures('192.0.2.10', { up: true, connections: 9 }); // 10 x 10 = 100
    figures('198.51.100.10', { up: true, connections: 1 }); // 40 x 2 = 80
    expect(dcOf(rig.ask('lrt.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    figures('192.0.2.10', { up: true, connections: 6 }); // 70
    expect(dcOf(rig.ask('lrt.lb.test', 'A', eu).addresses)).to.equal('us-east');
  });

  it('tier N: only the first N healthy datacenters of the client order compete', () => {
    figures('192.0.2.10', { up: true, connections: 1 });
    figures('198.51.100.10', { up: true, connections: 500 });
    expect(dcOf(rig.ask('tier1.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    rig.health.set(lk('198.51.100.10'), { up: false, connections: 500 });
    expect(dcOf(rig.ask('tier1.lb.test', 'A', eu).addresses)).to.equal('us-east');
  });

  it('tier by distance: datacenters within the distance of the client first datacenter', () => {
    // Europe's order is eu-west, us-east, ap-south (then us-west); within 6000 km of eu-west: us-east only.
    figures('192.0.2.10', { up: true, connections: 50 });
    figures('192.0.2.20', { up: true, connections: 1 });
    figures('198.51.100.10', { up: true, connections: 100 });
    figures('203.0.113.10', { up: true, connections: 0 });
    const r = rig.ask('near-tier.lb.test', 'A', eu);
    expect(dcOf(r.addresses)).to.equal('us-east');
  });

  it('margin: the current choice holds until another is lower by more than the margin (10%)', () => {
    figures('192.0.2.10', { up: true, connections: 100 });
    figures('198.51.100.10', { up: true, connections: 95 });
    expect(dcOf(rig.ask('ll.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    figures('192.0.2.10', { up: true, connections: 90 }); // 5 % lower: eu-west keeps it
    expect(dcOf(rig.ask('ll.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    figures('192.0.2.10', { up: true, connections: 80 }); // 16 % lower: switch
    expect(dcOf(rig.ask('ll.lb.test', 'A', eu).addresses)).to.equal('us-east');
    figures('198.51.100.10', { up: true, connections: 75 }); // 6 % lower: us-east keeps it
    expect(dcOf(rig.ask('ll.lb.test', 'A', eu).addresses)).to.equal('us-east');
  });

  it("lowest-latency ranks by the RTT the agents in the client's first datacenter measure, else the median", () => {
    const america = '149.101.100.0/28'; // region americas: us-east first
    rig.health.set(ck('192.0.2.10'), { up: true, rttMs: 20, rttByDatacenter: { 'eu-west': 80, 'ap-south': 150 } });
    rig.health.set(ck('198.51.100.10'), { up: true, rttMs: 30, rttByDatacenter: { 'eu-west': 3, 'ap-south': 160 } });
    expect(dcOf(rig.ask('lat.lb.test', 'A', eu).addresses)).to.equal('eu-west');
    // No agent in us-east reports: the median over all agents decides for American clients.
    expect(dcOf(rig.ask('lat.lb.test', 'A', america).addresses)).to.equal('us-east');
  });

  it('passive health down on the load target takes the endpoint out like a failed check, with its reason', () => {
    rig.health.set(lk('198.51.100.10'), { up: false, reason: 'passive: 5xx rate 40% over 50 requests > 5%' });
    expect(dcOf(rig.ask('ll.lb.test', 'A', eu).addresses)).to.equal('us-east');
    expect(dcOf(rig.ask('www.lb.test', 'A', eu).addresses)).to.equal('eu-west'); // no load source: unaffected
  });

  describe('shed load', () => {
    // The steering's own clock: shed steps (every 400 ms in the fixture) come when time is moved, to
    // the millisecond, however long a split() takes on a busy machine.
    let t = 1_000_000;
    beforeEach(() => {
      rig = makeRig({ now: () => t });
    });
    // 256 European /56s (2a02:d180::/29 is Germany in the fixture database): one client class, many subnets.
    const subnets = [...Array(256).keys()].map((i) => `2a02:d180:0:${i.toString(16)}00::/56`);
    const split = () => {
      const by = new Map<string, number>();
      for (const s of subnets) {
        const dc = dcOf(rig.ask('shed.lb.test', 'A', s).addresses);
        by.set(dc, (by.get(dc) ?? 0) + 1);
      }
      return by;
    };

    it('an overloaded datacenter gives a growing share of its clients to the next, then takes them back', () => {
      const load = (conns: number) => {
        figures('198.51.100.10', { up: true, connections: conns, capacity: 100 });
        figures('2001:db8:20::10', { up: true, connections: conns, capacity: 100 });
      };
      load(50);
      expect(split().get('eu-west')).to.equal(256);
      load(95); // above high (80 %): 25 % at once, then a step per 400 ms
      const first = split().get('us-east') ?? 0;
      expect(first).to.be.within(40, 90);
      const moved = subnets.filter((s) => dcOf(rig.ask('shed.lb.test', 'A', s).addresses) === 'us-east');
      t += 399;
      expect(split().get('us-east') ?? 0, 'before the step is due').to.equal(first);
      t += 1;
      const second = split().get('us-east') ?? 0;
      expect(second).to.be.within(100, 160);
      // The clients moved first are still moved: a growing share only adds clients.
      for (const s of moved) expect(dcOf(rig.ask('shed.lb.test', 'A', s).addresses)).to.equal('us-east');
      const r = rig.ask('shed.lb.test', 'A', moved[0]!);
      expect(r.scope).to.equal(56);
      load(65); // between the watermarks: hold
      t += 1000;
      expect(split().get('us-east')).to.equal(second);
      load(10); // below low: a step back per interval (the first at once: the last change is 1 s old)
      expect(split().get('us-east') ?? 0).to.equal(first);
      t += 399;
      expect(split().get('us-east') ?? 0, 'before the next step back is due').to.equal(first);
      t += 1;
      expect(split().get('us-east') ?? 0).to.equal(0);
    });

    it('nobody moves when the next datacenter is itself above high', async () => {
      figures('198.51.100.10', { up: true, connections: 95, capacity: 100 });
      figures('192.0.2.10', { up: true, connections: 99, capacity: 100 });
      expect(split().get('eu-west')).to.equal(256);
    });
  });
});

describe('load targets in the probe plan', () => {
  it('round-trip through the plan codec agents read; a target of an unknown kind is left out, not the plan', () => {
    const plan = planFor([policy]);
    const loads = plan.targets.filter((t) => isLoadSpec(t.spec));
    expect(loads.map((t) => (t.spec as LoadSpec).url)).to.include('http://192.0.2.10:8404/stats;csv');
    const doc = { v: 1, node: 'n1', version: plan.version, at: 1, targets: plan.targets };
    const decoded = decodePlan(JSON.stringify(doc), 'plan:n1');
    expect(decoded.ok && decoded.value.targets).to.deep.equal(plan.targets);
    const future = { ...doc, targets: [...plan.targets, { ...plan.targets[0], key: 'x', spec: { type: 'quic' } }] };
    const d2 = decodePlan(JSON.stringify(future), 'plan:n1');
    expect(d2.ok && d2.value.targets.length).to.equal(plan.targets.length);
    expect(d2.ok && d2.value.skipped).to.deep.equal([
      `plan:n1: target ${plan.targets.length + 1} (type quic) is malformed or of an unknown kind`,
    ]);
  });
});
