// decide() as tables, without sockets: every policy of the fixture zone x health states x clients x
// families, with the invariants checked on every row (never empty while a pool has usable addresses,
// never over max_answers, only usable endpoints unless falling back, the ECS scope never wider than
// true: any other client inside it gets the same decision), then rows with expected outcomes.
import { expect } from 'chai';
import { openGeoData } from '../geo/geoip.js';
import { loadKey, targetKey } from '../health/view.js';
import { StaticHealth } from '../health/static-health.js';
import { parseIp } from '../zones/address.js';
import { loadZones } from '../zones/load.js';
import type { Endpoint, LbName, PolicyConfig } from '../zones/policy-types.js';
import { ClassifierCache } from '../server/gslb/classify.js';
import { decide, type DecideInput } from '../server/gslb/decide.js';
import { optionRecords } from '../server/gslb/wire.js';
import { seeded } from '../zones/prng.js';
import { decideInput, expectScopeHolds, healthState, type HealthState } from './helpers/decide-input.js';
import { cityDatabase, GSLB_ZONES } from './helpers/gslb.js';

const NOW = 10_000_000;
const policy: PolicyConfig = loadZones(GSLB_ZONES).zones[0]!.policy;
const geo = openGeoData([cityDatabase()]);
const classifiers = new ClassifierCache(geo);
const names = [...policy.names.values()];
const nameOf = (label: string): LbName => names.find((n) => n.label === label)!;
const allEndpoints: Endpoint[] = names.flatMap((n) => n.pools.flatMap((p) => p.endpoints));
const web = policy.checks.get('web')!;
const lb = policy.loads.get('lb')!;

/** Marks every endpoint at these addresses down, by its check and by its load source. */
function down(h: StaticHealth, pred: (e: Endpoint) => boolean): void {
  for (const e of allEndpoints.filter(pred)) {
    h.set(targetKey(web, e), { up: false, reason: 'connection refused', since: NOW - 1000 });
    h.set(loadKey(lb, e), { up: false, reason: 'passive: 5xx', since: NOW - 1000 });
  }
}

/** Sets load figures (connections of capacity 100) for every endpoint of the named datacenters. */
function figures(h: StaticHealth, byDc: Record<string, number>): void {
  for (const e of allEndpoints)
    if (byDc[e.datacenter] !== undefined)
      h.set(loadKey(lb, e), { up: true, connections: byDc[e.datacenter]!, capacity: 100, since: 1 });
  for (const e of allEndpoints)
    if (byDc[e.datacenter] !== undefined) h.set(targetKey(web, e), { up: true, rttMs: byDc[e.datacenter]!, since: 1 });
}

type State = HealthState;

const state = (what: string, setup: (h: StaticHealth) => void, shedShares?: Map<string, { share: number }>) =>
  healthState(what, NOW, setup, shedShares);

const DCS = ['us-east', 'us-west', 'eu-west', 'ap-south'];
const states: State[] = [
  state('all up', () => {}),
  state('eu-west down', (h) => down(h, (e) => e.datacenter === 'eu-west')),
  state('us-east drained', (h) => h.drain('us-east')),
  state('one eu-west endpoint drained', (h) => h.drain('eu-west', '198.51.100.10')),
  state('every datacenter drained', (h) => DCS.forEach((dc) => h.drain(dc))),
  state('every endpoint down', (h) => down(h, () => true)),
  state('figures everywhere', (h) => figures(h, { 'us-east': 10, 'us-west': 5, 'eu-west': 90, 'ap-south': 50 })),
  state('figures, eu-west without', (h) => figures(h, { 'us-east': 10, 'us-west': 5, 'ap-south': 50 })),
  state('eu-west just came back', (h) => {
    for (const e of allEndpoints.filter((x) => x.datacenter === 'eu-west'))
      h.set(targetKey(web, e), { up: true, since: NOW - 2000 });
  }),
  state(
    'eu-west sheds half',
    (h) => figures(h, { 'us-east': 10, 'eu-west': 95, 'ap-south': 50 }),
    new Map([['eu-west', { share: 0.5 }]]),
  ),
];

const clients = [
  '81.2.69.142', // GB: europe
  '216.160.83.56', // US-WA: us-west
  '149.101.100.1', // US: americas
  '67.43.156.1', // BT: asia
  '100.64.7.1', // operator CIDR
  '10.1.2.3', // unknown: default
  '2a02:d180::1', // DE
  '2001:218::1', // JP
  'fd00:64:1::1', // operator IPv6 CIDR
  '2a02:e700::1', // LY: default
];

const inputFor = (name: LbName, s: State, family: 4 | 6, bytes: Uint8Array, seed: number): DecideInput =>
  decideInput({ policy, classifiers, now: NOW }, name, s, family, bytes, seed);

function checkInvariants(name: LbName, s: State, family: 4 | 6, client: string, seed: number, sample: () => number) {
  const bytes = parseIp(client)!.bytes;
  const d = decide(inputFor(name, s, family, bytes, seed));
  const where = `${name.label} ${s.what} IPv${family} from ${client}: ${d.steps.join(' | ')}`;
  const usable = d.candidates.some((c) => c.usable > 0);
  const withFamily = d.candidates.some((c) => c.endpoints.length > 0);
  // Never empty while a pool has usable addresses of the family (or fails open with some).
  if (usable) {
    expect(d.endpoints.length, where).to.be.above(0);
    expect(d.outcome, where).to.be.oneOf(['primary', 'failover']);
  } else if (withFamily && (name.fallback === 'all' || name.fallback === 'first')) {
    expect(d.endpoints.length, where).to.be.above(0);
    expect(d.outcome, where).to.equal('fallback');
  } else expect(d.endpoints, where).to.deep.equal([]);
  // Every answer (each round-robin slot) holds at most max_answers records, of the asked family.
  for (let slot = 0; slot < 8; slot++) {
    const records = optionRecords(d, family, name, null, slot);
    expect(records.length, where).to.be.at.most(name.maxAnswers);
    if (d.endpoints.length > 0) expect(records.length, where).to.be.above(0);
  }
  for (const e of d.endpoints) expect(e.family, where).to.equal(family);
  // Only usable endpoints, unless falling back.
  if (d.outcome !== 'fallback') {
    const ok = new Set(d.candidates.flatMap((c) => c.endpoints.filter((e) => e.usable).map((e) => e.endpoint)));
    for (const e of d.endpoints) expect(ok.has(e), `${where}: ${e.address} is not usable`).to.equal(true);
  }
  expectScopeHolds(d, bytes, (other) => decide(inputFor(name, s, family, other, seed)), sample, where);
  return d;
}

describe('decide(): every policy x health x client, with the invariants', () => {
  for (const name of names)
    it(`${name.label} (${name.policy})`, () => {
      const sample = seeded(name.label.length);
      let seed = 1;
      for (const s of states)
        for (const client of clients)
          for (const family of [4, 6] as const) checkInvariants(name, s, family, client, seed++, sample);
    });
});

describe('decide(): expected rows', () => {
  const [allUp, euDown, , , drained, , figs, figsNoEu, justBack, shedding] = states as [
    State,
    State,
    State,
    State,
    State,
    State,
    State,
    State,
    State,
    State,
  ];
  const d = (label: string, s: State, client: string, family: 4 | 6 = 4, seed = 1) =>
    decide(inputFor(nameOf(label), s, family, parseIp(client)!.bytes, seed));

  // [name, state, client, family, chosen, outcome, scope]
  const rows: Array<[string, State, string, 4 | 6, string | null, string, number]> = [
    ['www', allUp, '81.2.69.142', 4, 'eu-west', 'primary', 31],
    ['www', euDown, '81.2.69.142', 4, 'us-east', 'failover', 31],
    ['www', allUp, '2a02:d180::1', 6, 'eu-west', 'primary', 29],
    ['www', allUp, '216.160.83.56', 6, 'us-east', 'primary', 29], // us-west has no IPv6: next in order
    ['near', allUp, '81.2.69.142', 4, 'eu-west', 'primary', 31],
    ['fo', allUp, '67.43.156.1', 4, 'eu-west', 'primary', 0],
    ['fo', euDown, '67.43.156.1', 4, 'us-east', 'failover', 0],
    ['fo', allUp, '67.43.156.1', 6, null, 'nodata', 0],
    ['single', allUp, '81.2.69.142', 4, 'us-east', 'primary', 0],
    ['hs', allUp, '81.2.69.142', 4, 'ap-south', 'primary', 24],
    ['hs', drained, '81.2.69.142', 4, 'us-east', 'fallback', 0],
    ['wt', euDown, '81.2.69.142', 4, 'us-east', 'primary', 0],
    ['ll', figs, '81.2.69.142', 4, 'us-east', 'primary', 31],
    ['ll', figsNoEu, '81.2.69.142', 4, 'eu-west', 'primary', 31], // a tier member without figures: plain order
    ['llw', figsNoEu, '67.43.156.1', 4, 'ap-south', 'primary', 24],
    ['tier1', figs, '81.2.69.142', 4, 'eu-west', 'primary', 31],
    ['fb-first', euDown, '81.2.69.142', 4, 'us-east', 'failover', 31],
    ['fb-nodata', drained, '81.2.69.142', 4, null, 'nodata', 0],
    ['fb-servfail', drained, '81.2.69.142', 4, null, 'servfail', 0],
    ['fb-first', drained, '81.2.69.142', 4, 'eu-west', 'fallback', 31],
    ['www', drained, '81.2.69.142', 4, 'eu-west', 'fallback', 31],
    ['own', allUp, '81.2.69.142', 4, 'ap-south', 'primary', 31],
  ];
  for (const [label, s, client, family, chosen, outcome, scope] of rows)
    it(`${label}, ${s.what}, IPv${family} from ${client}: ${chosen ?? '-'} ${outcome} scope ${scope}`, () => {
      const x = d(label, s, client, family);
      expect({ chosen: x.chosen, outcome: x.outcome, scope: x.scope }, x.steps.join('\n')).to.deep.equal({
        chosen,
        outcome,
        scope,
      });
    });

  it('a tier member without fresh figures makes the tier fall back to the plain order, and the steps say so', () => {
    const x = d('ll', figsNoEu, '81.2.69.142');
    expect(x.steps.join('\n')).to.match(/least-loaded: no fresh figures for eu-west: the plain order decides/);
  });

  it('fallback: all answers every endpoint of the first datacenter, first only its first one', () => {
    expect(d('www', drained, '81.2.69.142').endpoints.map((e) => e.address)).to.deep.equal([
      '198.51.100.10',
      '198.51.100.11',
    ]);
    expect(d('fb-first', drained, '81.2.69.142').endpoints.map((e) => e.address)).to.deep.equal(['198.51.100.10']);
  });

  it('hashed keys on the /24 (/56) whatever its class: scope 24 or 56, never the class depth', () => {
    const subnets = ['81.2.69.142', '216.160.83.56', '10.1.2.3', '100.64.7.1'];
    for (const c of subnets) expect(d('hs', allUp, c).scope).to.equal(24);
    // An IPv6 client asking A: its /56.
    expect(d('hs', allUp, '2a02:d180::1', 4).scope).to.equal(56);
    expect(d('hs', allUp, '81.2.69.142', 6).scope).to.equal(0); // hs has no IPv6: NODATA for everyone
  });

  it('weighted draws per query among the healthy datacenters by weight, scope 0', () => {
    const counts: Record<string, number> = {};
    for (let seed = 0; seed < 2000; seed++) {
      const x = d('wt', allUp, '81.2.69.142', 4, seed);
      expect(x.scope).to.equal(0);
      counts[x.chosen!] = (counts[x.chosen!] ?? 0) + 1;
    }
    expect(counts['us-east']! / counts['eu-west']!).to.be.within(2.5, 3.6);
  });

  it('shed load: about the shed share of a class moves, by /24, each mover told so; scope at least /24', () => {
    let moved = 0;
    // 200 German /56s: one client class (europe: eu-west first), many subnets.
    for (let i = 0; i < 200; i++) {
      const x = d('shed', shedding, `2a02:d180:0:${i.toString(16)}00::`, 6);
      expect(x.scope).to.equal(56);
      expect(x.shed).to.include({ from: 'eu-west', to: 'us-east', fraction: 0.5 });
      if (x.chosen === 'us-east') {
        moved++;
        expect(x.steps.at(-1)).to.match(/this client's subnet is among the 50% moved: us-east/);
      } else expect(x.chosen).to.equal('eu-west');
    }
    expect(moved).to.be.within(70, 130);
  });

  it('health-aware TTL: a quarter of the TTL (rounded up) just after a change, until the change is a TTL old', () => {
    const x = d('www', justBack, '81.2.69.142');
    expect([x.ttl, x.ttlUntil]).to.deep.equal([8, NOW - 2000 + 30_000]);
    expect(x.steps.at(-1)).to.match(/health-aware TTL: 8 s, an endpoint in the decision changed state 2 s ago/);
    expect(d('www', euDown, '81.2.69.142').ttl).to.equal(8);
    expect(d('www', allUp, '81.2.69.142').ttl).to.equal(30);
  });
});
