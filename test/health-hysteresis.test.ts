// nextState tables: first result decides, then rise/fall streaks flip the state; since and the RTT EWMA.
import { expect } from 'chai';
import { nextState, RTT_ALPHA, type TargetState } from '../health/hysteresis.js';
import type { ProbeResult } from '../health/probe-types.js';

/** Folds a run of results written as 'u' (ok) and 'd' (failure), one per second, into the states seen. */
function run(seq: string, rise: number, fall: number): TargetState[] {
  const out: TargetState[] = [];
  let s: TargetState | undefined;
  [...seq].forEach((c, i) => {
    const r: ProbeResult = { ok: c === 'u', rttMs: 10, reason: c === 'u' ? 'ok' : 'down', at: (i + 1) * 1000 };
    s = nextState(s, r, { rise, fall });
    out.push(s);
  });
  return out;
}

/** The up/down trace of a run as a string of 'U' and 'D'. */
const trace = (seq: string, rise: number, fall: number): string =>
  run(seq, rise, fall)
    .map((s) => (s.up ? 'U' : 'D'))
    .join('');

describe('health hysteresis: nextState', () => {
  const table: Array<[string, number, number, string, string]> = [
    // [why, rise, fall, results, expected trace]
    ['first ok: up at once', 3, 3, 'u', 'U'],
    ['first failure: down at once', 3, 3, 'd', 'D'],
    ['rise=fall=1 follows every result', 1, 1, 'ududdu', 'UDUDDU'],
    ['fall=3: two failures are tolerated', 1, 3, 'uddudd', 'UUUUUU'],
    ['fall=3: the third consecutive failure takes it down', 1, 3, 'udddu', 'UUUDU'],
    ['rise=2 after a cold-start failure', 2, 1, 'duudu', 'DDUDD'],
    ['rise=3: an interrupted streak starts over', 3, 1, 'duuduuu', 'DDDDDDU'],
    ['rise=2, fall=2: flapping never flips', 2, 2, 'ududududu', 'UUUUUUUUU'],
    ['rise=2, fall=2: down then up again', 2, 2, 'uddduu', 'UUDDDU'],
    ['rise/fall below 1 act as 1', 0, 0, 'udu', 'UDU'],
  ];
  for (const [why, rise, fall, seq, want] of table) {
    it(`${why} (rise ${rise}, fall ${fall}: ${seq} -> ${want})`, () => {
      expect(trace(seq, rise, fall)).to.equal(want);
    });
  }

  it('counts streaks of the raw results, independent of the state', () => {
    const states = run('uudddu', 1, 5);
    expect(states.map((s) => [s.okStreak, s.failStreak])).to.deep.equal([
      [1, 0],
      [2, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 0],
    ]);
  });

  it('since: 0 for the first verdict (a start is not a change), then the time of each flip only', () => {
    // at = 1000 * position; rise 2 fall 2
    expect(run('uuddduuu', 2, 2).map((s) => s.since)).to.deep.equal([0, 0, 0, 4000, 4000, 4000, 7000, 7000]);
    expect(run('dddu', 2, 2).map((s) => s.since)).to.deep.equal([0, 0, 0, 0]);
    expect(run('dduu', 2, 2).map((s) => s.since)).to.deep.equal([0, 0, 0, 4000]);
  });

  it('keeps the last result', () => {
    const r: ProbeResult = { ok: false, rttMs: 3, reason: 'connection refused', at: 5 };
    expect(nextState(undefined, r, { rise: 1, fall: 1 }).lastResult).to.equal(r);
  });

  it('smooths the RTT over ok results only (EWMA, alpha 0.3); null until one succeeds', () => {
    const cfg = { rise: 1, fall: 1 };
    const ok = (rttMs: number): ProbeResult => ({ ok: true, rttMs, reason: 'ok', at: 1 });
    const fail: ProbeResult = { ok: false, rttMs: 999, reason: 'timeout after 999ms', at: 1 };
    let s = nextState(undefined, fail, cfg);
    expect(s.rttMs).to.equal(null);
    s = nextState(s, ok(100), cfg);
    expect(s.rttMs).to.equal(100);
    s = nextState(s, ok(200), cfg);
    expect(s.rttMs).to.be.closeTo(100 + RTT_ALPHA * 100, 1e-9);
    s = nextState(s, fail, cfg);
    expect(s.rttMs).to.be.closeTo(130, 1e-9);
    s = nextState(s, ok(30), cfg);
    expect(s.rttMs).to.be.closeTo(130 + 0.3 * (30 - 130), 1e-9);
  });

  it('is pure: the previous state is untouched and results are frozen', () => {
    const cfg = { rise: 1, fall: 2 };
    const a = nextState(undefined, { ok: true, rttMs: 1, reason: 'ok', at: 1 }, cfg);
    const copy = { ...a };
    const b = nextState(a, { ok: false, rttMs: 1, reason: 'x', at: 2 }, cfg);
    expect(a).to.deep.equal(copy);
    expect(b).to.not.equal(a);
    expect(Object.isFrozen(b)).to.equal(true);
  });
});
