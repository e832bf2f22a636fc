// Steering in depth (#18 items 1-3) as tables, without sockets: split tiers, spread and min_up, every
// name of the fixture zone x health states x clients x families, with the invariants checked on every
// row (never empty while a datacenter serves, never over max_answers, spread never mixes in a down
// datacenter, min_up never serves a datacenter below its threshold, every spread datacenter in every
// answer, the ECS scope never wider than true), then rows with expected datacenters, endpoints, TTL
// and scope; then the policy files that write them, good and bad.
import { expect } from 'chai';
import { openGeoData } from '../geo/geoip.js';
import { isCountryCode } from '../geo/countries.js';
import { StaticHealth } from '../health/static-health.js';
import { formatIp, parseIp } from '../zones/address.js';
import { loadZones } from '../zones/load.js';
import { parseName } from '../zones/name.js';
import { loadPolicy } from '../zones/policy/index.js';
import type { LbName, PolicyConfig } from '../zones/policy-types.js';
import { formatZoneError } from '../zones/records.js';
import { seeded } from '../zones/prng.js';
import { ClassifierCache } from '../server/gslb/classify.js';
import { decide, type Decision, type DecideInput } from '../server/gslb/decide.js';
import { spreadAnswers } from '../server/gslb/spread.js';
import { optionRecords } from '../server/gslb/wire.js';
import { DecisionTally } from '../server/decisions.js';
import { parseClients } from '../server/simulate/clients.js';
import { clientShares, loadBalancedNames, scenariosOf } from '../server/simulate/traffic.js';
import { traffic } from '../server/traffic.js';
import { decideInput, expectScopeHolds, healthState, type HealthState } from './helpers/decide-input.js';
import { cityDatabase, makeRig } from './helpers/gslb.js';

const ZONES = 'test/fixtures/steering-depth';
const NOW = 10_000_000;
const policy: PolicyConfig = loadZones(ZONES).zones[0]!.policy;
const geo = openGeoData([cityDatabase()]);
const classifiers = new ClassifierCache(geo);
const names = [...policy.names.values()];
const nameOf = (label: string): LbName => names.find((n) => n.label === label)!;

/** The fixture's datacenter of an address (every name has the same pools). */
function dcOfAddress(a: string): string {
  if (a.startsWith('198.51.100.') || a.startsWith('2001:db8:1::')) return 'eu-west';
  if (a.startsWith('198.51.101.') || a.startsWith('2001:db8:2::')) return 'eu-central';
  if (a.startsWith('192.0.2.') || a.startsWith('2001:db8:3::')) return 'us-east';
  if (a.startsWith('203.0.113.')) return 'ap-south';
  throw new Error(`not a fixture address: ${a}`);
}

type State = HealthState;

const state = (what: string, setup: (h: StaticHealth) => void, shedShares?: Map<string, { share: number }>) =>
  healthState(what, NOW, setup, shedShares);

const drainAll = (h: StaticHealth, dc: string, addresses: string[]) => addresses.forEach((a) => h.drain(dc, a));

const states = {
  allUp: state('all up', () => {}),
  euWestDown: state('eu-west drained', (h) => h.drain('eu-west')),
  euWestThreeOfFour: state('3 of 4 eu-west IPv4 endpoints drained', (h) =>
    drainAll(h, 'eu-west', ['198.51.100.1', '198.51.100.2', '198.51.100.3']),
  ),
  europeDown: state('eu-west and eu-central drained', (h) => ['eu-west', 'eu-central'].forEach((dc) => h.drain(dc))),
  allDown: state('every datacenter drained', (h) =>
    ['eu-west', 'eu-central', 'us-east', 'ap-south'].forEach((dc) => h.drain(dc)),
  ),
  apSouthDown: state('ap-south drained', (h) => h.drain('ap-south')),
  euCentralOne: state('one eu-central IPv4 endpoint drained', (h) => h.drain('eu-central', '198.51.101.1')),
  euWestV6One: state('one eu-west IPv6 endpoint drained', (h) => h.drain('eu-west', '2001:db8:1::1')),
  oneLeftEach: state('one endpoint left in each datacenter, ap-south drained', (h) => {
    drainAll(h, 'eu-west', ['198.51.100.1', '198.51.100.2', '198.51.100.3', '2001:db8:1::1']);
    drainAll(h, 'eu-central', ['198.51.101.1']);
    drainAll(h, 'us-east', ['192.0.2.1']);
    h.drain('ap-south');
  }),
  euWestSheds: state('eu-west sheds half', () => {}, new Map([['eu-west', { share: 0.5 }]])),
};

const clients = [
  '81.2.69.142', // GB: britain (no split)
  '89.160.20.112', // SE: europe (split 90/10)
  '2a02:d180::1', // DE: europe
  '67.43.156.1', // BT: asia
  '2001:218::1', // JP: asia
  '10.1.2.3', // unknown: default
  '149.101.100.1', // US: default
];

const inputFor = (name: LbName, s: State, family: 4 | 6, bytes: Uint8Array, seed = 1): DecideInput =>
  decideInput({ policy, classifiers, now: NOW }, name, s, family, bytes, seed);

const decideFor = (label: string, s: State, client: string, family: 4 | 6 = 4, seed = 1) =>
  decide(inputFor(nameOf(label), s, family, parseIp(client)!.bytes, seed));

/** The datacenters that serve the name in a decision: usable endpoints, at least min_up of them. */
const servingOf = (d: Decision) =>
  new Set(d.candidates.filter((c) => c.usable > 0 && c.usable >= c.minUp).map((c) => c.datacenter));

function checkInvariants(name: LbName, s: State, family: 4 | 6, client: string, seed: number, sample: () => number) {
  const bytes = parseIp(client)!.bytes;
  const d = decide(inputFor(name, s, family, bytes, seed));
  const where = `${name.label} ${s.what} IPv${family} from ${client}: ${d.steps.join(' | ')}`;
  const serving = servingOf(d);
  // Never empty while a datacenter serves the name; the fallback only when none does.
  if (serving.size > 0) {
    expect(d.endpoints.length, where).to.be.above(0);
    expect(d.outcome, where).to.be.oneOf(['primary', 'failover']);
    // min_up never serves a datacenter below its threshold.
    expect(serving.has(d.chosen!), where).to.equal(true);
  } else if (d.candidates.some((c) => c.endpoints.length > 0) && ['all', 'first'].includes(name.fallback))
    expect(d.outcome, where).to.equal('fallback');
  else expect(d.endpoints, where).to.deep.equal([]);
  for (let slot = 0; slot < 12; slot++) {
    const records = optionRecords(d, family, name, null, slot).map((r) => formatIp(r.rdata[0] as Buffer));
    // Never over max_answers, never empty while there are endpoints, only the asked family.
    expect(records.length, where).to.be.at.most(name.maxAnswers);
    if (d.endpoints.length > 0) expect(records.length, where).to.be.above(0);
    if (d.outcome === 'fallback') continue;
    // Spread never mixes in a down datacenter (nor one below its min_up).
    for (const a of records) expect(serving.has(dcOfAddress(a)), `${where}: slot ${slot} holds ${a}`).to.equal(true);
    if (d.groups) {
      // Every spread datacenter has a place in every answer, the chosen one's addresses first.
      expect(d.groups[0]!.datacenter, where).to.equal(d.chosen);
      expect(new Set(records.map(dcOfAddress)), where).to.deep.equal(new Set(d.groups.map((g) => g.datacenter)));
      expect(dcOfAddress(records[0]!), where).to.equal(d.chosen);
    } else if (records.length > 0) expect(new Set(records.map(dcOfAddress)), where).to.deep.equal(new Set([d.chosen]));
  }
  for (const e of d.endpoints) expect(e.family, where).to.equal(family);
  if (d.outcome !== 'fallback') {
    const ok = new Set(d.candidates.flatMap((c) => c.endpoints.filter((e) => e.usable).map((e) => e.endpoint)));
    for (const e of d.endpoints) expect(ok.has(e), `${where}: ${e.address} is not usable`).to.equal(true);
  }
  expectScopeHolds(d, bytes, (other) => decide(inputFor(name, s, family, other, seed)), sample, where);
}

describe('steering in depth: every name x health x client, with the invariants', () => {
  for (const name of names)
    it(`${name.label} (${name.policy}${name.spread > 1 ? `, spread ${name.spread}` : ''}${name.minUp ? ', min_up' : ''})`, () => {
      const sample = seeded(name.label.length);
      let seed = 1;
      for (const s of Object.values(states))
        for (const client of clients)
          for (const family of [4, 6] as const) checkInvariants(name, s, family, client, seed++, sample);
    });
});

/** The i-th /56 of Germany (2a02:d180::/29: europe), as an address. */
const de = (i: number) => `2a02:d180:${(i >> 8).toString(16)}:${(i & 255).toString(16)}00::`;
/** The i-th /56 of Japan (2001:218::/32: asia). */
const jp = (i: number) => `2001:218:${(i >> 8).toString(16)}:${(i & 255).toString(16)}00::`;

/** The first of these subnets whose hash sends it to dc when every datacenter is up. */
function firstTo(subnet: (i: number) => string, dc: string, family: 4 | 6 = 4): string {
  for (let i = 0; i < 1000; i++)
    if (decideFor('canary', states.allUp, subnet(i), family).chosen === dc) return subnet(i);
  throw new Error(`no subnet goes to ${dc}`);
}

describe('steering in depth: expected rows', () => {
  const S = states;
  const deWest = firstTo(de, 'eu-west');
  const deCentral = firstTo(de, 'eu-central');
  const jpWest = firstTo(jp, 'eu-west', 6);
  // [name, state, client, family, chosen, outcome, scope, ttl, the answer's datacenters (spread)]
  const rows: Array<[string, State, string, 4 | 6, string | null, string, number, number, string[]]> = [
    // Split tiers: europe's /56 (or /24) hashes 90/10; britain (same order, no split) is its class.
    ['canary', S.allUp, '81.2.69.142', 4, 'eu-west', 'primary', 31, 30, ['eu-west']],
    ['canary', S.allUp, deWest, 4, 'eu-west', 'primary', 56, 30, ['eu-west']],
    ['canary', S.allUp, deCentral, 4, 'eu-central', 'primary', 56, 30, ['eu-central']],
    ['canary', S.allUp, deCentral, 6, 'eu-central', 'primary', 56, 30, ['eu-central']],
    ['canary', S.euWestDown, '2a02:d180::1', 4, 'eu-central', 'primary', 29, 30, ['eu-central']],
    ['canary', S.europeDown, '2a02:d180::1', 4, 'us-east', 'failover', 29, 8, ['us-east']],
    ['canary', S.euWestDown, '81.2.69.142', 4, 'eu-central', 'failover', 31, 8, ['eu-central']],
    // asia: ap-south first; when it is down the split tier serves, a failover.
    ['canary', S.allUp, '67.43.156.1', 4, 'ap-south', 'primary', 24, 30, ['ap-south']],
    ['canary', S.apSouthDown, '67.43.156.1', 4, 'eu-central', 'failover', 24, 8, ['eu-central']],
    // ap-south has no IPv6: the AAAA answer of asia is the split's.
    ['canary', S.allUp, jpWest, 6, 'eu-west', 'primary', 56, 30, ['eu-west']],
    ['canary', S.allUp, '10.1.2.3', 4, 'us-east', 'primary', 5, 30, ['us-east']],
    // Spread 2 over a split option: its own datacenter first, then the next that serves.
    ['spread', S.allUp, deWest, 4, 'eu-west', 'primary', 56, 30, ['eu-west', 'eu-central']],
    ['spread', S.allUp, deCentral, 4, 'eu-central', 'primary', 56, 30, ['eu-central', 'eu-west']],
    ['spread', S.euWestDown, '2a02:d180::1', 4, 'eu-central', 'primary', 29, 30, ['eu-central', 'us-east']],
    ['spread', S.allUp, '10.1.2.3', 4, 'us-east', 'primary', 5, 30, ['us-east', 'eu-west']],
    ['spread', S.allUp, '67.43.156.1', 4, 'ap-south', 'primary', 24, 30, ['ap-south', 'eu-west']],
    // min_up 3: eu-west with 1 of 4 counts as down; its tier-mate takes the tier (primary), britain fails over.
    ['minup', S.euWestThreeOfFour, '2a02:d180::1', 4, 'eu-central', 'primary', 29, 30, ['eu-central']],
    ['minup', S.euWestThreeOfFour, '81.2.69.142', 4, 'eu-central', 'failover', 31, 8, ['eu-central']],
    // IPv6 is judged apart: eu-west's 2 IPv6 endpoints are all it has (3 is capped at 2), so AAAA splits.
    ['minup', S.euWestThreeOfFour, '81.2.69.142', 6, 'eu-west', 'primary', 31, 30, ['eu-west']],
    ['minup', S.euWestV6One, '81.2.69.142', 6, 'eu-central', 'failover', 31, 8, ['eu-central']],
    ['minup', S.euWestV6One, '81.2.69.142', 4, 'eu-west', 'primary', 31, 30, ['eu-west']],
    // 3 of 2 eu-central endpoints is both: one drained leaves it below.
    ['minup', S.euCentralOne, '81.2.69.142', 4, 'eu-west', 'primary', 31, 30, ['eu-west']],
    // Every datacenter below its threshold: the fallback (all: every endpoint of the first).
    ['minup', S.oneLeftEach, '81.2.69.142', 4, 'eu-west', 'fallback', 31, 8, ['eu-west']],
    ['minup-nodata', S.oneLeftEach, '81.2.69.142', 4, null, 'nodata', 0, 30, []],
    // A map: eu-west needs 75% (3 of 4), us-east 2, the others 1.
    ['minup-map', S.euWestThreeOfFour, '81.2.69.142', 4, 'eu-central', 'failover', 31, 8, ['eu-central']],
    ['minup-map', S.oneLeftEach, '81.2.69.142', 4, 'eu-central', 'failover', 31, 8, ['eu-central']],
    ['minup-map', S.oneLeftEach, '10.1.2.3', 4, 'eu-central', 'failover', 5, 8, ['eu-central']],
    // spread 3, max_answers 4, min_up 50%: eu-central with 1 of 2 still serves.
    ['deep', S.euCentralOne, '81.2.69.142', 4, 'eu-west', 'primary', 31, 30, ['eu-west', 'eu-central', 'us-east']],
    [
      'deep',
      S.euWestThreeOfFour,
      '81.2.69.142',
      4,
      'eu-central',
      'failover',
      31,
      8,
      ['eu-central', 'us-east', 'ap-south'],
    ],
    // failover, hashed, weighted, nearest and least-loaded take spread and min_up too.
    ['fo-spread', S.allUp, '67.43.156.1', 4, 'eu-west', 'primary', 0, 30, ['eu-west', 'eu-central']],
    ['fo-spread', S.euWestDown, '67.43.156.1', 4, 'eu-central', 'failover', 0, 8, ['eu-central', 'us-east']],
    ['near', S.allUp, '81.2.69.142', 4, 'eu-west', 'primary', 31, 30, ['eu-west', 'eu-central']],
    ['ll-spread', S.allUp, '81.2.69.142', 4, 'eu-west', 'primary', 31, 30, ['eu-west', 'eu-central']],
    // The name's own regions: a 1:3 split of us-east and eu-central for everyone.
    ['own-tier', S.euWestDown, '81.2.69.142', 4, 'eu-central', 'primary', 24, 30, ['eu-central']],
  ];
  for (const [label, s, client, family, chosen, outcome, scope, ttl, dcs] of rows)
    it(`${label}, ${s.what}, IPv${family} from ${client}: ${chosen ?? '-'} ${outcome} /${scope} ttl ${ttl}, answer from ${dcs.join(' + ') || 'nothing'}`, () => {
      const x = decideFor(label, s, client, family);
      const answer = [
        ...new Set(
          optionRecords(x, family, nameOf(label), null, 0).map((r) => dcOfAddress(formatIp(r.rdata[0] as Buffer))),
        ),
      ];
      expect(
        { chosen: x.chosen, outcome: x.outcome, scope: x.scope, ttl: x.ttl, answer },
        x.steps.join('\n'),
      ).to.deep.equal({
        chosen,
        outcome,
        scope,
        ttl,
        answer: dcs,
      });
    });

  it('a 90/10 split over 2,000 client /56s: within 2 points, each subnet keeps its datacenter, explain names the hash', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const x = decideFor('canary', S.allUp, de(i));
      expect(x.scope).to.equal(56);
      expect(x.split).to.deep.equal([
        { datacenter: 'eu-west', weight: 90 },
        { datacenter: 'eu-central', weight: 10 },
      ]);
      counts[x.chosen!] = (counts[x.chosen!] ?? 0) + 1;
      // The same subnet, another address in it and another seed: the same datacenter.
      expect(decideFor('canary', S.allUp, de(i).replace(/00::$/, 'ff::1'), 4, 7).chosen).to.equal(x.chosen);
      if (i === 0)
        expect(x.steps).to.include(
          `tier split by rendezvous hash of the client /56: eu-west (weight 90), eu-central (weight 10): ${x.chosen}`,
        );
    }
    expect(counts['eu-west']! / 2000).to.be.within(0.88, 0.92);
    expect(counts['eu-central']! / 2000).to.be.within(0.08, 0.12);
  });

  it('a member leaving the split moves only its own subnets; the one left takes the whole tier', () => {
    for (let i = 0; i < 300; i++) {
      const client = de(i);
      const before = decideFor('canary', S.allUp, client).chosen;
      const after = decideFor('canary', S.euWestDown, client);
      expect(after.chosen).to.equal('eu-central');
      expect(after.split).to.equal(undefined);
      if (i === 0)
        expect(after.steps).to.include(
          'tier split (eu-west 90, eu-central 10): eu-central is the only healthy datacenter of the tier: it takes the whole tier',
        );
      if (before === 'eu-central')
        expect(decideFor('canary', S.euWestThreeOfFour, client).chosen).to.equal('eu-central');
    }
  });

  it('min_up: the step says how many endpoints of which family are usable, and the candidates carry the threshold', () => {
    const x = decideFor('minup', S.euWestThreeOfFour, '81.2.69.142');
    expect(x.steps).to.include('eu-west: 1 of 4 IPv4 endpoints usable, below min_up 3: counts as down');
    expect(x.candidates.map((c) => [c.datacenter, c.usable, c.minUp])).to.deep.equal([
      ['eu-west', 1, 3],
      ['eu-central', 2, 2],
      ['us-east', 2, 2],
      ['ap-south', 1, 1],
    ]);
    const pct = decideFor('minup-map', S.allUp, '81.2.69.142');
    expect(pct.candidates.map((c) => c.minUp)).to.deep.equal([3, 1, 2, 1]);
    const v6 = decideFor('minup-map', S.allUp, '81.2.69.142', 6);
    expect(v6.candidates.map((c) => c.minUp)).to.deep.equal([2, 1, 1, 1]); // 75% of 2 IPv6 is 2
  });

  it('spread: places per answer, the chosen datacenter first, each group rotating in its own places', () => {
    expect(spreadAnswers([4, 2], 3)).to.deep.equal([2, 1]);
    expect(spreadAnswers([1, 4], 4)).to.deep.equal([1, 3]);
    expect(spreadAnswers([2, 2, 1], 4)).to.deep.equal([2, 1, 1]);
    expect(spreadAnswers([3, 3], 8)).to.deep.equal([3, 3]);
    const x = decideFor('spread', S.allUp, '10.1.2.3');
    expect(x.groups!.map((g) => [g.datacenter, g.answers])).to.deep.equal([
      ['us-east', 2],
      ['eu-west', 1],
    ]);
    expect(x.steps).to.include('spread over 2 datacenters: us-east (2 per answer) first, then eu-west (1 per answer)');
    const slots = [0, 1, 2, 3].map((s) =>
      optionRecords(x, 4, nameOf('spread'), null, s).map((r) => formatIp(r.rdata[0] as Buffer)),
    );
    // us-east's two rotate in the first two places, eu-west's four each come round in the last.
    for (const s of slots) expect(s.slice(0, 2).sort()).to.deep.equal(['192.0.2.1', '192.0.2.2']);
    expect(new Set(slots.map((s) => s[0]))).to.deep.equal(new Set(['192.0.2.1', '192.0.2.2']));
    expect(new Set(slots.map((s) => s[2]))).to.deep.equal(
      new Set(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']),
    );
    // Fewer healthy datacenters than spread: those there are, and explain says why.
    const lone = decideFor('deep', S.oneLeftEach, '10.1.2.3');
    expect(lone.steps.some((s) => /spread over 2 datacenters \(of 3: no more healthy datacenters\)/.test(s))).to.equal(
      true,
    );
  });

  it('weighted with min_up: a datacenter below it is never drawn', () => {
    const drawn = new Set<string>();
    for (let seed = 0; seed < 200; seed++)
      drawn.add(decideFor('wt-minup', S.euWestThreeOfFour, '81.2.69.142', 4, seed).chosen!);
    expect(drawn).to.deep.equal(new Set(['eu-central', 'us-east', 'ap-south']));
  });

  it('shed load is not applied while a split is in effect, and is where there is none', () => {
    const split = decideFor('shed-split', S.euWestSheds, '2a02:d180::1');
    expect(split.shed).to.equal(null);
    expect(split.steps).to.include(
      "shed load: not applied while the tier's split is in effect (the split already spreads its clients)",
    );
    const britain = decideFor('shed-split', S.euWestSheds, '81.2.69.142');
    expect(britain.shed).to.include({ from: 'eu-west', to: 'eu-central', fraction: 0.5 });
  });
});

describe('steering in depth through the pipeline (in process)', () => {
  it("the traffic view shows a region's split beside its datacenter; simulate shares a wide subnet by the weights", () => {
    const rig = makeRig({ zones: ZONES });
    const t = traffic(
      {
        catalog: rig.catalog,
        decisions: new DecisionTally({ catalog: rig.catalog, onCatalogReplaced: () => {} }),
        health: rig.health,
      },
      100,
    );
    const canary = t.names.find((n) => n.name === 'canary.sd.test.')!;
    const route = (clients: string) => canary.routes.find((r) => r.clients === clients)!.answers[0]!;
    expect(route('europe')).to.deep.equal({
      datacenter: 'eu-west',
      outcome: 'primary',
      shed: null,
      split: [
        { datacenter: 'eu-west', share: 0.9 },
        { datacenter: 'eu-central', share: 0.1 },
      ],
    });
    expect(route('britain')).to.deep.equal({ datacenter: 'eu-west', outcome: 'primary', shed: null });
    // simulate: a /32 of Germany holds many /56s, shared by the tier's weights; one /56 goes where its hash does.
    const n = loadBalancedNames(rig.catalog).find((x) => x.name === 'canary.sd.test.')!;
    const [now] = scenariosOf(rig.catalog, [{ down: [], health: rig.health.view() }]);
    const { clients } = parseClients('2a02:d180::/32,100\n2a02:d180:0:100::/56,100\n', 'c.csv');
    expect(clientShares(n, clients[0]!, now!)).to.deep.equal([
      { datacenter: 'eu-west', to: 'served', share: 0.9 },
      { datacenter: 'eu-central', to: 'served', share: 0.1 },
    ]);
    const one = clientShares(n, clients[1]!, now!);
    expect(one).to.have.length(1);
    expect(one[0]!.share).to.equal(1);
  });

  it('classes with one order but different splits are planned apart: britain whole, europe split by /56', () => {
    const rig = makeRig({ zones: ZONES });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const uk = rig.ask('canary.sd.test', 'A', `81.2.69.142/32`);
      expect(uk.addresses.map(dcOfAddress)).to.deep.equal(['eu-west', 'eu-west']);
      const r = rig.ask('canary.sd.test', 'A', `${de(i)}/56`);
      expect(r.scope).to.equal(56);
      seen.add(dcOfAddress(r.addresses[0]!));
    }
    expect(seen).to.deep.equal(new Set(['eu-west', 'eu-central']));
  });
});

describe('policy files: split tiers, spread and min_up', () => {
  const apex = (() => {
    const r = parseName('sd.test.', null);
    if (!r.ok) throw new Error(r.error);
    return r.name;
  })();
  const DCS = 'datacenters:\n  a: {}\n  b: {}\n  c: {}\n';
  const load = (text: string) => {
    const r = loadPolicy([{ file: 'p.yaml', text: DCS + text }], apex, isCountryCode, () => '');
    return { config: r.config, errors: r.errors.map((e) => `${formatZoneError(e)}`) };
  };

  it("loads tiers (the zone's and a name's own), spread and every form of min_up", () => {
    const r = load(
      'regions:\n  default:\n    datacenters: [{ a: 90, b: 10 }, c]\nnames:\n' +
        '  one:\n    spread: 3\n    min_up: 2\n    pools: { a: [192.0.2.1], b: [192.0.2.2] }\n' +
        '  pct:\n    min_up: 50%\n    pools: { a: [192.0.2.3] }\n' +
        '  map:\n    min_up: { b: 2, c: 33.3% }\n    regions: { default: { datacenters: [c, { b: 1, a: 0 }] } }\n    pools: { a: [192.0.2.4], b: [192.0.2.5], c: [192.0.2.6] }\n' +
        '  plain:\n    pools: { a: [192.0.2.7] }\n',
    );
    expect(r.errors).to.deep.equal([]);
    const d = r.config.regions.get('default')!;
    expect([d.datacenters, d.splits]).to.deep.equal([
      ['a', 'b', 'c'],
      [{ datacenters: ['a', 'b'], weights: [90, 10] }],
    ]);
    const [one, pct, map, plain] = [...r.config.names.values()];
    expect([one!.spread, [...one!.minUp!]]).to.deep.equal([
      3,
      [
        ['a', { count: 2, percent: null }],
        ['b', { count: 2, percent: null }],
      ],
    ]);
    expect([...pct!.minUp!]).to.deep.equal([['a', { count: null, percent: 50 }]]);
    expect([...map!.minUp!]).to.deep.equal([
      ['b', { count: 2, percent: null }],
      ['c', { count: null, percent: 33.3 }],
    ]);
    expect(map!.regions!.get('default')!.splits).to.deep.equal([{ datacenters: ['b', 'a'], weights: [1, 0] }]);
    expect([plain!.spread, plain!.minUp]).to.deep.equal([1, null]);
  });

  // [what, YAML after the datacenters, every error as file:line: message [code]]
  const bad: Array<[string, string, string[]]> = [
    [
      'a tier whose weights are all 0',
      'regions:\n  default:\n    datacenters:\n      - { a: 0, b: 0 }\n',
      [
        "p.yaml:8: region 'default': datacenters: entry 1: every datacenter of this tier has weight 0: its clients would have nowhere to go [E_POLICY_TIER_WEIGHTS_ZERO]",
      ],
    ],
    [
      'a datacenter in a tier and again after it',
      'regions:\n  default:\n    datacenters: [{ a: 1, b: 1 }, b]\n',
      [
        "p.yaml:7: region 'default': datacenters: entry 2: datacenter 'b' listed twice [E_POLICY_DATACENTER_LISTED_TWICE]",
      ],
    ],
    [
      'an unknown datacenter in a tier',
      'regions:\n  default:\n    datacenters:\n      - { a: 1, bb: 1 }\n',
      [
        "p.yaml:8: region 'default': datacenters: entry 1: bb: unknown datacenter 'bb' (did you mean 'b'?) [E_POLICY_UNKNOWN_DATACENTER]",
      ],
    ],
    [
      'a negative weight in a tier',
      'regions:\n  default:\n    datacenters:\n      - { a: -1, b: 1 }\n',
      ["p.yaml:8: region 'default': datacenters: entry 1: a: must be >= 0 [E_POLICY_OUT_OF_RANGE]"],
    ],
    [
      'spread 0',
      'names:\n  www:\n    policy: failover\n    spread: 0\n    pools: { a: [192.0.2.1] }\n',
      ["p.yaml:8: name 'www': spread: must be >= 1 [E_POLICY_OUT_OF_RANGE]"],
    ],
    [
      'spread 17',
      'names:\n  www:\n    policy: failover\n    spread: 17\n    pools: { a: [192.0.2.1] }\n',
      ["p.yaml:8: name 'www': spread: must be <= 16 [E_POLICY_OUT_OF_RANGE]"],
    ],
    [
      'min_up above 100%',
      'names:\n  www:\n    policy: failover\n    min_up: 150%\n    pools: { a: [192.0.2.1] }\n',
      ["p.yaml:8: name 'www': min_up: 150% is more than 100% [E_POLICY_OUT_OF_RANGE]"],
    ],
    [
      'min_up naming a datacenter that is not a pool',
      'names:\n  www:\n    policy: failover\n    min_up:\n      c: 2\n      aa: 1\n    pools: { a: [192.0.2.1], b: [192.0.2.2] }\n',
      [
        "p.yaml:9: name 'www': min_up: c: 'c' is not one of the name's pools (a, b) (did you mean 'a'?) [E_POLICY_MIN_UP_NOT_A_POOL]",
        "p.yaml:10: name 'www': min_up: aa: 'aa' is not one of the name's pools (a, b) (did you mean 'a'?) [E_POLICY_MIN_UP_NOT_A_POOL]",
      ],
    ],
  ];
  for (const [what, text, errors] of bad)
    it(`rejects ${what}`, () => {
      expect(load(text).errors).to.deep.equal(errors);
    });
});
