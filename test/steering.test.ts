// The node's steering core as tables, without sockets or sleeps: injected health and `now`. The margin
// rule's choice per candidate order (kept, abandoned), shed shares stepping up and down on time, a
// reload keeping the choices of names that remain, the epoch, the snapshot workers get, the driver,
// and a node that owns it (answers, explain and reloads read the one state).
import { expect } from 'chai';
import { compileCatalog } from '../server/catalog.js';
import {
  INITIAL_STEERING,
  SteeringController,
  steer,
  steeringConfig,
  steeringFromSnapshot,
  steeringSnapshot,
  type SteeringConfig,
  type SteeringState,
} from '../server/gslb/steering.js';
import { StaticHealth } from '../health/static-health.js';
import { buildConfig, DnsNode } from '../server/node.js';
import { silentLogger } from '../server/log.js';
import { loadKey } from '../health/view.js';
import type { Logger } from '../server/log.js';
import { loadZones } from '../zones/load.js';
import { nameToText } from '../zones/name.js';
import type { Endpoint } from '../zones/policy-types.js';
import { GSLB_ZONES, makeRig, staticSource } from './helpers/gslb.js';

const rig = makeRig();
const policy = rig.catalog.zones.values().next().value!.zone.policy;
const lb = policy.loads.get('lb')!;
const lk = (address: string) =>
  loadKey(lb, {
    address,
    family: address.includes(':') ? 6 : 4,
    weight: 1,
    probe: null,
    loadUrl: null,
    datacenter: '',
  } satisfies Endpoint);

const config = steeringConfig(rig.catalog);
const keyOf = (cfg: SteeringConfig, text: string): string => {
  const n = cfg.names.find((s) => nameToText(s.name.owner.wire) === text);
  if (!n) throw new Error(`${text} is not steered`);
  return n.key;
};
const LL = keyOf(config, 'll.lb.test.');
const SHED = keyOf(config, 'shed.lb.test.');
// ll's pools are us-east and eu-west: European clients list eu-west first, the rest us-east.
const EU = 'eu-west,us-east';
const US = 'us-east,eu-west';

describe('steering: the configuration', () => {
  it('lists load-aware and shed-load names only, each with its distinct candidate orders and families', () => {
    const names = config.names.map((s) => nameToText(s.name.owner.wire));
    expect(names).to.include.members(['ll.lb.test.', 'llw.lb.test.', 'shed.lb.test.', 'lat.lb.test.']);
    expect(names).to.not.include('www.lb.test.'); // geo without shed: nothing to remember
    const ll = config.names.find((s) => s.key === LL)!;
    expect(ll.orders.map((o) => o.key).sort()).to.deep.equal([EU, US]);
    expect(ll.families).to.deep.equal([4]);
    const shed = config.names.find((s) => s.key === SHED)!;
    expect(shed.orders).to.deep.equal([]); // geo: no margin rule
    expect(shed.families).to.deep.equal([4, 6]);
  });
});

describe('steering: the margin rule, once per node', () => {
  it('keeps the current choice until another datacenter is lower by more than the margin (10%)', () => {
    const health = new StaticHealth(() => 0);
    // [us-east connections, eu-west connections, European choice, American choice, epoch moves]
    const table: Array<[number, number, string, string, boolean]> = [
      [100, 95, 'eu-west', 'eu-west', true], // eu-west lowest for everyone
      [90, 95, 'eu-west', 'eu-west', false], // us-east 5% lower: kept
      [80, 95, 'us-east', 'us-east', true], // 16% lower: abandoned
      [80, 75, 'us-east', 'us-east', false], // eu-west 6% lower: kept
      [80, 80, 'us-east', 'us-east', false], // equal: kept
      [80, 50, 'eu-west', 'eu-west', true],
    ];
    let s: SteeringState = INITIAL_STEERING;
    let now = 1000;
    for (const [usEast, euWest, eu, us, moves] of table) {
      health.set(lk('192.0.2.10'), { up: true, connections: usEast });
      health.set(lk('198.51.100.10'), { up: true, connections: euWest });
      const next = steer(config, health.view(), s, (now += 1000)).state;
      const row = `us-east ${usEast}, eu-west ${euWest}`;
      expect(next.previous(LL, EU, 4), row).to.equal(eu);
      expect(next.previous(LL, US, 4), row).to.equal(us);
      expect(next.previous(LL, EU, 6), row).to.equal(null); // no IPv6 endpoints
      expect(next.epoch !== s.epoch, `${row}: epoch moves`).to.equal(moves);
      expect(next.healthEpoch).to.equal(health.view().epoch);
      s = next;
    }
  });

  it('with every figure equal, every candidate order keeps the datacenter it had', () => {
    const health = new StaticHealth(() => 0);
    health.set(lk('192.0.2.10'), { up: true, connections: 10 });
    health.set(lk('198.51.100.10'), { up: true, connections: 0 });
    let s = steer(config, health.view(), INITIAL_STEERING, 0).state;
    expect([s.previous(LL, EU, 4), s.previous(LL, US, 4)]).to.deep.equal(['eu-west', 'eu-west']);
    health.set(lk('192.0.2.10'), { up: true, connections: 0 });
    for (let i = 1; i <= 5; i++) s = steer(config, health.view(), s, i * 1000).state;
    expect([s.previous(LL, EU, 4), s.previous(LL, US, 4)]).to.deep.equal(['eu-west', 'eu-west']);
    // A state that remembers nothing picks the first in each order instead: what an idle worker did.
    const fresh = steer(config, health.view(), INITIAL_STEERING, 0).state;
    expect([fresh.previous(LL, EU, 4), fresh.previous(LL, US, 4)]).to.deep.equal(['eu-west', 'us-east']);
  });
  it('a datacenter that comes back competes afresh: equal figures send clients home after a failover', () => {
    const health = new StaticHealth(() => 0);
    health.set(lk('192.0.2.10'), { up: true, connections: 10 });
    health.set(lk('198.51.100.10'), { up: true, connections: 10 });
    // [eu-west up, European choice]: down -> us-east; back with equal figures -> eu-west again (the
    // margin holds a choice only against datacenters that were healthy when it was made).
    const table: Array<[boolean, string]> = [
      [true, 'eu-west'],
      [false, 'us-east'],
      [false, 'us-east'],
      [true, 'eu-west'],
      [true, 'eu-west'],
    ];
    let s: SteeringState = INITIAL_STEERING;
    table.forEach(([up, eu], i) => {
      health.set(lk('198.51.100.10'), { up, connections: 10 });
      s = steer(config, health.view(), s, (i + 1) * 1000).state;
      expect(s.previous(LL, EU, 4), `row ${i}: eu-west ${up ? 'up' : 'down'}`).to.equal(eu);
    });
    // Both up since the last choice: the margin holds it as before (us-east 5 % lower: kept).
    health.set(lk('192.0.2.10'), { up: true, connections: 9.5 });
    s = steer(config, health.view(), s, 9000).state;
    expect(s.previous(LL, EU, 4)).to.equal('eu-west');
  });
});

describe('steering: shed shares, stepped by time', () => {
  // shed.lb.test: high 80%, low 50%, step 25%, every 400 ms (max 100%); its eu-west endpoints load it.
  it('grows a step per interval above high, holds between the watermarks, shrinks below low', () => {
    const health = new StaticHealth(() => 0);
    const load = (conns: number | null) => {
      health.set(lk('198.51.100.10'), { up: true, connections: conns, capacity: conns === null ? null : 100 });
      health.set(lk('2001:db8:20::10'), { up: true, connections: conns, capacity: conns === null ? null : 100 });
    };
    // [now, eu-west connections (of 100 per endpoint), eu-west share after, next step due]
    const table: Array<[number, number | null, number, number]> = [
      [0, 50, 0, Infinity],
      [100, 95, 0.25, 500], // above high: the first step at once
      [300, 95, 0.25, 500], // not due yet
      [500, 95, 0.5, 900],
      [900, 99, 0.75, 1300],
      [1300, 99, 1, Infinity], // max
      [1700, 65, 1, Infinity], // between the watermarks: hold
      [2100, 40, 0.75, 2500],
      [2300, 40, 0.75, 2500],
      [2500, null, 0.5, 2900], // no fresh figures: given back as below low
      [2900, 10, 0.25, 3300],
      [3300, 10, 0, Infinity],
    ];
    load(50);
    let s = steer(config, health.view(), INITIAL_STEERING, 0).state; // the other names' choices
    const changes: string[] = [];
    for (const [now, conns, share, due] of table) {
      if (conns !== health.view().target(lk('198.51.100.10')).connections) load(conns);
      const r = steer(config, health.view(), s, now);
      const row = `at ${now} ms, ${conns} connections`;
      expect(r.state.shedShares(SHED).get('eu-west')?.share ?? 0, row).to.equal(share);
      expect(r.state.shedShares(SHED).has('us-east'), row).to.equal(false);
      expect(r.state.nextStep, row).to.equal(due);
      expect(r.state.epoch !== s.epoch, row).to.equal(share !== (s.shedShares(SHED).get('eu-west')?.share ?? 0));
      for (const c of r.shedChanges) changes.push(`${c.datacenter} ${c.from}->${c.share}`);
      s = r.state;
    }
    expect(changes).to.deep.equal([
      'eu-west 0->0.25',
      'eu-west 0.25->0.5',
      'eu-west 0.5->0.75',
      'eu-west 0.75->1',
      'eu-west 1->0.75',
      'eu-west 0.75->0.5',
      'eu-west 0.5->0.25',
      'eu-west 0.25->0',
    ]);
  });
});

describe('steering: a reload', () => {
  it('keeps the choices and shares of names that remain, forgets the others', () => {
    const health = new StaticHealth(() => 0);
    health.set(lk('192.0.2.10'), { up: true, connections: 100 });
    health.set(lk('198.51.100.10'), { up: true, connections: 95, capacity: 100 });
    health.set(lk('2001:db8:20::10'), { up: true, connections: 95, capacity: 100 });
    const before = steer(config, health.view(), INITIAL_STEERING, 0).state;
    expect(before.previous(LL, US, 4)).to.equal('eu-west');
    expect(before.shedShares(SHED).get('eu-west')?.share).to.equal(0.25);
    health.set(lk('192.0.2.10'), { up: true, connections: 90 }); // within the margin: eu-west holds

    // The same files compiled again (new objects, same owner keys), without shed.lb.test.
    const again = compileCatalog(loadZones(GSLB_ZONES).zones, rig.geo);
    const full = steeringConfig(again);
    const reloaded: SteeringConfig = { names: full.names.filter((n) => n.key !== SHED) };
    expect(reloaded.names.find((n) => n.key === LL)!.name).to.not.equal(config.names.find((n) => n.key === LL)!.name);
    const after = steer(reloaded, health.view(), before, 100).state;
    expect(after.previous(LL, US, 4)).to.equal('eu-west'); // kept: a fresh state would pick us-east
    expect(steer(reloaded, health.view(), INITIAL_STEERING, 100).state.previous(LL, US, 4)).to.equal('us-east');
    expect(after.shedShares(SHED).size).to.equal(0);
    expect(after.epoch).to.equal(before.epoch + 1); // the forgotten share is a change

    // Reloaded with the name back: its share starts again from nothing (it was forgotten).
    const back = steer(full, health.view(), after, 200).state;
    expect(back.shedShares(SHED).get('eu-west')?.share).to.equal(0.25);
    expect(back.previous(LL, US, 4)).to.equal('eu-west');
  });
});

describe('steering: what workers get', () => {
  it('a snapshot is plain JSON and gives the same answers', () => {
    const health = new StaticHealth(() => 0);
    health.set(lk('192.0.2.10'), { up: true, connections: 100 });
    health.set(lk('198.51.100.10'), { up: true, connections: 95, capacity: 100 });
    const s = steer(config, health.view(), INITIAL_STEERING, 5).state;
    const shipped = steeringFromSnapshot(JSON.parse(JSON.stringify(steeringSnapshot(s))) as never);
    expect(shipped.epoch).to.equal(s.epoch);
    for (const order of [EU, US]) expect(shipped.previous(LL, order, 4)).to.equal(s.previous(LL, order, 4));
    expect([...shipped.shedShares(SHED)]).to.deep.equal([...s.shedShares(SHED)]);
    // Small: only load-aware names' choices, and only datacenters that shed.
    const snap = steeringSnapshot(s);
    const loadAware = config.names.filter((n) => n.orders.length > 0).map((n) => n.key);
    expect(snap.choices.map(([k]) => k)).to.have.members(loadAware);
    expect(snap.shed).to.deep.equal([[SHED, [['eu-west', 0.25, 5]]]]);
  });
});

describe('steering: the driver', () => {
  it('recomputes on a health change or when a shed step falls due, and logs each share change once', () => {
    const health = new StaticHealth(() => 0);
    let now = 0;
    const lines: string[] = [];
    const log: Logger = {
      debug: () => {},
      warn: () => {},
      error: () => {},
      info: (o, msg) =>
        lines.push(`${msg}: ${(o as { datacenter: string }).datacenter} ${(o as { share: number }).share}`),
    };
    const c = new SteeringController({ config, health: () => health.view(), now: () => now, log });
    const first = c.view;
    expect(c.update()).to.equal(false); // nothing changed, nothing due
    expect(c.view).to.equal(first);
    health.set(lk('198.51.100.10'), { up: true, connections: 95, capacity: 100 });
    expect(c.update()).to.equal(true);
    expect(lines).to.deep.equal(['shedding load: eu-west 0.25']);
    now = 399;
    expect(c.update()).to.equal(false);
    now = 400;
    expect(c.update()).to.equal(true); // the step fell due without new figures
    expect(c.view.shedShares(SHED).get('eu-west')?.share).to.equal(0.5);
    health.set(lk('198.51.100.10'), { up: true, connections: 10, capacity: 100 });
    now = 800;
    c.update();
    expect(lines).to.deep.equal([
      'shedding load: eu-west 0.25',
      'shedding load: eu-west 0.5',
      'taking load back: eu-west 0.25',
    ]);
    // A reload recomputes at once, even with the same health.
    const before = c.view;
    c.reconfigure({ names: [] });
    expect(c.view).to.not.equal(before);
    expect(c.view.shedShares(SHED).size).to.equal(0);
  });
});

describe('steering: the warm start', () => {
  it('restart() forgets choices made before health was known, so they do not hold the margin', () => {
    const health = new StaticHealth(() => 0);
    const c = new SteeringController({ config, health: () => health.view(), now: () => 0 });
    expect(c.view.previous(LL, US, 4)).to.equal('us-east'); // no figures: the plain order
    health.set(lk('192.0.2.10'), { up: true, connections: 100 });
    health.set(lk('198.51.100.10'), { up: true, connections: 95 });
    c.update();
    expect(c.view.previous(LL, US, 4)).to.equal('us-east'); // eu-west lower, within the margin
    const epoch = c.view.epoch;
    c.restart();
    expect(c.view.previous(LL, US, 4)).to.equal('eu-west');
    expect(c.view.epoch).to.be.above(epoch);
  });
});

describe('steering: the node owns it', () => {
  it("answers and explain follow the node's choice, and a reload keeps it", () => {
    const health = new StaticHealth();
    const source = staticSource(health);
    const first = buildConfig(GSLB_ZONES, rig.geo, silentLogger);
    if (!first.built) throw new Error(first.errors.join('\n'));
    const node = new DnsNode(
      {
        zonesDir: GSLB_ZONES,
        nodeId: 'steering-node',
        geo: rig.geo,
        health: source,
        log: silentLogger,
        pipeline: { nsid: null, chaos: { identity: 't', version: null } },
      },
      first.built,
    );
    try {
      // What explain says was chosen, and the address its pipeline (the node's own) answered.
      const explained = () => {
        const e = node.explain({ name: 'll.lb.test', type: 'A', client: '192.0.2.99' });
        return `${e.chosen} ${e.answer.map((a) => a.split(' ').pop()).join()}`;
      };
      // It chose when it started (no figures yet: the plain order); eu-west far lower moves everyone.
      expect(node.steeringState.previous(LL, US, 4)).to.equal('us-east');
      health.set(lk('192.0.2.10'), { up: true, connections: 100 });
      health.set(lk('198.51.100.10'), { up: true, connections: 50 });
      node.steering!.update(); // what its timer does every 20 ms
      expect(node.steeringState.previous(LL, US, 4)).to.equal('eu-west');
      expect(explained()).to.equal('eu-west 198.51.100.10');
      health.set(lk('192.0.2.10'), { up: true, connections: 90 });
      health.set(lk('198.51.100.10'), { up: true, connections: 95 }); // us-east lower, within the margin
      node.steering!.update();
      expect(explained()).to.equal('eu-west 198.51.100.10');
      expect(node.reload('test').ok).to.equal(true); // a new catalog, new names, the same owners
      expect(node.steeringState.previous(LL, US, 4)).to.equal('eu-west');
      expect(explained()).to.equal('eu-west 198.51.100.10');
      health.set(lk('192.0.2.10'), { up: true, connections: 80 }); // lower by more than the margin
      node.steering!.update();
      expect(explained()).to.equal('us-east 192.0.2.10');
    } finally {
      node.close();
    }
  });
});
