// The one place health views are numbered: which changes move the epoch, which the stateEpoch, and
// that parts saying the same give the same view back. Drains by field, with and without an end.
import { expect } from 'chai';
import { StaticHealth } from '../health/static-health.js';
import { UNKNOWN_UP, type TargetHealth } from '../health/view.js';
import { ViewBuilder, makeView, type ActiveDrain, type ViewParts } from '../health/view-builder.js';

const t = (over: Partial<TargetHealth> = {}): TargetHealth => ({ ...UNKNOWN_UP, reason: 'up', ...over });
const parts = (
  targets: Record<string, TargetHealth>,
  drains: ActiveDrain[] = [],
  unknown?: TargetHealth,
): ViewParts => ({
  targets: new Map(Object.entries(targets)),
  drains,
  ...(unknown ? { unknown } : {}),
});

describe('health view builder', () => {
  const A = t({ rttMs: 5 });
  const B = t({ up: false, reason: 'refused', since: 100 });
  const X: ActiveDrain = { field: 'dc:x', until: null };
  const base = parts({ a: A, b: B }, [X]);
  const OPEN = Object.freeze(t({ reason: 'failing open' }));
  // [change, the parts after it, epoch moves, stateEpoch moves]
  const table: Array<[string, ViewParts, boolean, boolean]> = [
    ['nothing (new but equal maps)', parts({ a: { ...A }, b: { ...B } }, [{ ...X }]), false, false],
    ['an RTT', parts({ a: { ...A, rttMs: 6 }, b: B }, [X]), true, false],
    ['a load figure', parts({ a: { ...A, connections: 3 }, b: B }, [X]), true, false],
    ['a reason', parts({ a: A, b: { ...B, reason: 'timeout' } }, [X]), true, false],
    ['a verdict', parts({ a: A, b: { ...B, up: true } }, [X]), true, true],
    ['when a verdict last changed', parts({ a: A, b: { ...B, since: 200 } }, [X]), true, true],
    ['a new target', parts({ a: A, b: B, c: t() }, [X]), true, true],
    ['a target gone', parts({ a: A }, [X]), true, true],
    ['a drain more', parts({ a: A, b: B }, [X, { field: 'ep:192.0.2.1', until: null }]), true, true],
    ['a drain fewer', parts({ a: A, b: B }), true, true],
    ['a drain given an end', parts({ a: A, b: B }, [{ ...X, until: 5000 }]), true, true],
    ['failing open', parts({ a: A, b: B }, [X], OPEN), true, true],
  ];
  for (const [change, after, epochMoves, stateMoves] of table)
    it(`${change}: epoch ${epochMoves ? 'moves' : 'stays'}, stateEpoch ${stateMoves ? 'moves' : 'stays'}`, () => {
      const b = new ViewBuilder();
      const first = b.update(base);
      const next = b.update(after);
      expect(next.epoch - first.epoch).to.equal(epochMoves ? 1 : 0);
      expect(next.stateEpoch === first.stateEpoch).to.equal(!stateMoves);
      if (stateMoves) expect(next.stateEpoch).to.equal(next.epoch);
      if (!epochMoves) expect(next).to.equal(first);
      expect(b.view).to.equal(next);
    });

  it('starts at epoch 1 knowing nothing: every target up, not probed; nothing drained', () => {
    const v = new ViewBuilder().view;
    expect([v.epoch, v.stateEpoch]).to.deep.equal([1, 1]);
    expect(v.target('any')).to.equal(UNKNOWN_UP);
    expect(v.isDrained('x', '192.0.2.1')).to.equal(false);
    // Nothing new yet: the same view.
    expect(new ViewBuilder().update(parts({}))).to.deep.include({ epoch: 1 });
  });

  it('drains in another order are the same drains', () => {
    const b = new ViewBuilder();
    const d1: ActiveDrain = { field: 'dc:x', until: null };
    const d2: ActiveDrain = { field: 'ep:192.0.2.1', until: 9 };
    const v = b.update(parts({}, [d1, d2]));
    expect(b.update(parts({}, [d2, d1]))).to.equal(v);
  });

  it('a view reads targets, the unknown fallback, and drains by datacenter or endpoint', () => {
    const OPEN = t({ reason: 'failing open' });
    const v = new ViewBuilder().update(
      parts(
        { a: t({ up: false, reason: 'refused' }) },
        [
          { field: 'dc:x', until: null },
          { field: 'ep:192.0.2.9', until: null },
        ],
        OPEN,
      ),
    );
    expect(v.target('a')).to.include({ up: false, reason: 'refused' });
    expect(v.target('b')).to.equal(OPEN);
    expect(v.isDrained('x', '192.0.2.1')).to.equal(true);
    expect(v.isDrained('y', '192.0.2.9')).to.equal(true);
    expect(v.isDrained('y', '192.0.2.1')).to.equal(false);
  });

  it('a drain with an end is in force until then; the clock is read only for such a drain', () => {
    let now = 1000;
    let reads = 0;
    const clock = () => (reads++, now);
    const v = makeView(
      7,
      7,
      parts({}, [
        { field: 'dc:x', until: 2000 },
        { field: 'dc:y', until: null },
      ]),
      clock,
    );
    expect(v.isDrained('y', '192.0.2.1')).to.equal(true);
    expect(v.isDrained('z', '192.0.2.1')).to.equal(false);
    expect(reads).to.equal(0);
    expect(v.isDrained('x', '192.0.2.1')).to.equal(true);
    now = 2000;
    expect(v.isDrained('x', '192.0.2.1')).to.equal(false);
    expect(reads).to.equal(2);
    const none = makeView(1, 1, parts({}), clock);
    expect(none.isDrained('x', '192.0.2.1')).to.equal(false);
    expect(reads).to.equal(2);
  });
});

describe('static health (fed directly)', () => {
  it('set, drain and undrain make the next view at once; a figure moves only the epoch', () => {
    let now = 5000;
    const h = new StaticHealth(() => now);
    const v0 = h.view();
    h.set('k', { up: true });
    const v1 = h.view();
    expect(v1.stateEpoch).to.be.above(v0.stateEpoch); // a target first seen is a change of the set
    h.set('k', { up: true, rttMs: 3 });
    expect(h.view().epoch).to.be.above(v1.epoch);
    expect(h.view().stateEpoch).to.equal(v1.stateEpoch);
    now = 6000;
    h.set('k', { up: false });
    expect(h.view().target('k')).to.include({ up: false, reason: 'down', since: 6000, rttMs: 3 });
    const v2 = h.view();
    h.set('k', { up: false });
    expect(h.view()).to.equal(v2); // the same state again: the same view
    h.drain('x');
    h.drain('y', '192.0.2.7');
    expect([h.view().isDrained('x', '192.0.2.1'), h.view().isDrained('z', '192.0.2.7')]).to.deep.equal([true, true]);
    expect(h.view().stateEpoch).to.be.above(v2.stateEpoch);
    h.undrain('x');
    h.undrain('y', '192.0.2.7');
    expect([h.view().isDrained('x', '192.0.2.1'), h.view().isDrained('z', '192.0.2.7')]).to.deep.equal([false, false]);
  });
});
