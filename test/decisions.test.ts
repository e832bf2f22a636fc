// The decision tally's worker reports: what a --workers worker sends its primary every second (flat
// arrays; a name's text once in the worker's life), and the primary's sums of them, across reloads.
import { expect } from 'chai';
import { makeRig, type Rig } from './helpers/gslb.js';
import type { Catalog } from '../server/catalog.js';
import { DecisionTally, type DecisionReport } from '../server/decisions.js';

/** A node's served catalog as the tally follows it: replace() is a reload. */
class Catalogs {
  private readonly replaced: ((old: Catalog) => void)[] = [];
  constructor(public catalog: Catalog) {}
  onCatalogReplaced(fn: (old: Catalog) => void): void {
    this.replaced.push(fn);
  }
  replace(next: Catalog): void {
    const old = this.catalog;
    this.catalog = next;
    for (const fn of this.replaced) fn(old);
  }
}

/** Through the IPC channel's JSON, as cluster messages go. */
const sent = (r: DecisionReport): DecisionReport => JSON.parse(JSON.stringify(r)) as DecisionReport;

const countsOf = (tally: DecisionTally): Record<string, Record<string, number>> =>
  Object.fromEntries([...tally.read()].map(([name, counts]) => [name, Object.fromEntries(counts)]));

/** The window's counts by name and key; each name's total checked against its keys' sum. */
const recentOf = (tally: DecisionTally): Record<string, Record<string, number>> => {
  const r = tally.recent();
  return Object.fromEntries(
    [...r.totals()].map(([name, total]) => {
      const byKey = r.byKey(name);
      expect(
        [...byKey.values()].reduce((a, b) => a + b, 0),
        name,
      ).to.equal(total);
      return [name, Object.fromEntries(byKey)];
    }),
  );
};

describe('decision reports from workers', () => {
  let first: Rig;
  let worker: Catalogs;
  let workerTally: DecisionTally;
  let primary: DecisionTally;
  beforeEach(() => {
    first = makeRig();
    worker = new Catalogs(first.catalog);
    workerTally = new DecisionTally(worker);
    // The primary answers nothing itself: its own catalog's answerers never count.
    primary = new DecisionTally(new Catalogs(makeRig().catalog));
  });

  it('sends a name once, then its number; the primary adds every report', () => {
    const names: string[] = [];
    first.ask('fo.lb.test');
    first.ask('fo.lb.test');
    first.ask('wt.lb.test');
    const r1 = sent(workerTally.report());
    expect(r1.names).to.have.members(['fo.lb.test.', 'wt.lb.test.']);
    expect(r1.rows).to.have.length(6); // fo's count and wt's, one key each
    primary.addReport(names, r1);
    const counts = countsOf(primary);
    expect(Object.keys(counts)).to.have.members(['fo.lb.test.', 'wt.lb.test.']);
    expect(counts['fo.lb.test.']).to.deep.equal({ 'eu-west|primary': 2 });
    expect(Object.values(counts['wt.lb.test.']!)).to.deep.equal([1]); // one weighted draw

    first.ask('fo.lb.test');
    const r2 = sent(workerTally.report());
    expect(r2.names).to.deep.equal([]); // fo's number stands for it now
    expect(r2.keys).to.deep.equal(['eu-west|primary']);
    expect(r2.rows).to.deep.equal([names.indexOf('fo.lb.test.'), 0, 1]);
    primary.addReport(names, r2);
    expect(countsOf(primary)['fo.lb.test.']).to.deep.equal({ 'eu-west|primary': 3 });

    // Nothing asked since: an empty report, and nothing added.
    const r3 = sent(workerTally.report());
    expect(r3).to.deep.equal({ names: [], keys: [], rows: [] });
  });

  it('counts made before a reload and after it reach the primary under the same name', () => {
    const names: string[] = [];
    first.ask('fo.lb.test');
    primary.addReport(names, sent(workerTally.report()));
    first.ask('fo.lb.test'); // counted by the old catalog's answerer, not yet reported
    const second = makeRig();
    worker.replace(second.catalog);
    second.ask('fo.lb.test');
    second.ask('near.lb.test');
    const r = sent(workerTally.report());
    expect(r.names).to.deep.equal(['near.lb.test.']); // fo was sent before the reload
    primary.addReport(names, r);
    const counts = countsOf(primary);
    expect(counts['fo.lb.test.']).to.deep.equal({ 'eu-west|primary': 3 });
    expect(Object.values(counts['near.lb.test.']!)).to.deep.equal([1]);
  });

  it('a report naming numbers the primary never got adds nothing and throws nothing', () => {
    primary.addReport([], { names: [], keys: ['x|primary'], rows: [5, 0, 1, 0, 3, 1] });
    expect(countsOf(primary)).to.deep.equal({});
  });
});

describe('the last minute of decisions', () => {
  /** A clock the test moves (ms). */
  let t: number;
  const clock = () => t;
  // The monotonic clock starts near 0 with the process: so do the tests' clocks.
  beforeEach(() => (t = 2000));

  it('counts land in 5-second buckets; the last 12 make the window, older ones drop out', () => {
    const rig = makeRig();
    const tally = new DecisionTally(new Catalogs(rig.catalog), clock);
    const at = (s: number) => (t = 2000 + s * 1000);
    rig.ask('fo.lb.test');
    rig.ask('fo.lb.test');
    expect(recentOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 2 } });
    at(30);
    rig.ask('fo.lb.test');
    expect(recentOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 3 } });
    // The first bucket, [0 s, 5 s), leaves the window once 12 newer buckets have begun (at 60 s).
    at(57);
    expect(recentOf(tally)['fo.lb.test.']).to.deep.equal({ 'eu-west|primary': 3 });
    at(58);
    expect(recentOf(tally)['fo.lb.test.']).to.deep.equal({ 'eu-west|primary': 1 });
    at(95);
    expect(recentOf(tally)).to.deep.equal({});
    // The totals keep everything.
    expect(countsOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 3 } });
    // And a series that was quiet for long starts again from a clean ring.
    at(200);
    rig.ask('fo.lb.test');
    expect(recentOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 1 } });
  });

  // Without tick() the counts would be taken at the read, into the read's bucket: both tests fail.
  it('tick() takes the counts into the bucket of their second: read a minute later, they are gone', () => {
    const rig = makeRig();
    const tally = new DecisionTally(new Catalogs(rig.catalog), clock);
    rig.ask('fo.lb.test'); // at 2 s: bucket [0 s, 5 s)
    tally.tick();
    t = 61_000; // [0 s, 5 s) has left the window
    expect(recentOf(tally)).to.deep.equal({});
    expect(countsOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 1 } });
  });

  it('a count ticked at 2 s and first read at 32 s is in the [0 s, 5 s) bucket: it leaves the window at 60 s', () => {
    const rig = makeRig();
    const tally = new DecisionTally(new Catalogs(rig.catalog), clock);
    rig.ask('fo.lb.test');
    tally.tick();
    t = 32_000;
    expect(recentOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 1 } });
    t = 59_999;
    expect(recentOf(tally)).to.deep.equal({ 'fo.lb.test.': { 'eu-west|primary': 1 } });
    t = 60_000; // taken at 32 s, it would stay until 90 s
    expect(recentOf(tally)).to.deep.equal({});
  });

  it('says how long the window covers: 55-60 s, or the time since start', () => {
    const tally = new DecisionTally(new Catalogs(makeRig().catalog), clock);
    t += 12_300;
    expect(tally.recent().seconds).to.equal(12.3);
    t += 200_000; // 214 300 ms: bucket 42 began at 210 000; the window starts 11 buckets earlier
    expect(tally.recent().seconds).to.equal(59.3);
  });

  it("a primary's window is the sum of its workers' reports, as they arrive", () => {
    const a = makeRig();
    const b = makeRig();
    const workerA = new DecisionTally(new Catalogs(a.catalog), clock);
    const workerB = new DecisionTally(new Catalogs(b.catalog), clock);
    const primary = new DecisionTally(new Catalogs(makeRig().catalog), clock);
    const namesA: string[] = [];
    const namesB: string[] = [];
    for (let i = 0; i < 3; i++) a.ask('fo.lb.test');
    for (let i = 0; i < 4; i++) b.ask('fo.lb.test');
    b.ask('near.lb.test', 'A', '81.2.69.142/32');
    primary.addReport(namesA, sent(workerA.report()));
    primary.addReport(namesB, sent(workerB.report()));
    expect(recentOf(primary)).to.deep.equal({
      'fo.lb.test.': { 'eu-west|primary': 7 },
      'near.lb.test.': { 'eu-west|primary': 1 },
    });
    // The workers keep nothing once reported: the primary holds the window.
    expect(recentOf(workerA)).to.deep.equal({});
    t += 61_000;
    expect(recentOf(primary)).to.deep.equal({});
    expect(countsOf(primary)['fo.lb.test.']).to.deep.equal({ 'eu-west|primary': 7 });
  });
});
