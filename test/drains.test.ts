// health/drains.ts: the one place a drain's field is spelled (`dc:NAME`, `ep:ADDRESS`) and read back,
// and DrainSet's view of the drains in force.
import { expect } from 'chai';
import {
  DRAIN_PREFIX,
  DrainSet,
  datacenterDrainField,
  drainField,
  drainTarget,
  endpointDrainField,
  isDrainField,
  MAX_DRAIN_MS,
} from '../health/drains.js';

describe('drain fields (health/drains.ts)', () => {
  it('fields and targets round-trip', () => {
    expect(drainField({ datacenter: 'eu-west' })).to.equal('dc:eu-west');
    expect(drainField({ endpoint: '2001:db8::1' })).to.equal('ep:2001:db8::1');
    expect(datacenterDrainField('x')).to.equal(DRAIN_PREFIX.datacenter + 'x');
    expect(endpointDrainField('192.0.2.1')).to.equal(DRAIN_PREFIX.endpoint + '192.0.2.1');
    for (const t of [{ datacenter: 'eu-west' }, { endpoint: '192.0.2.1' }, { endpoint: '2001:db8::1' }])
      expect(drainTarget(drainField(t))).to.deep.equal(t);
    expect(drainTarget('xx:eu-west')).to.equal(null);
    expect(isDrainField('dc:a')).to.equal(true);
    expect(isDrainField('dca')).to.equal(false);
    expect(MAX_DRAIN_MS).to.equal(30 * 86_400_000);
  });

  it('DrainSet: what is in force at a time, and when that changes', () => {
    const set = new DrainSet(
      new Map([
        [drainField({ datacenter: 'eu-west' }), { until: null, at: 1, by: 'a', reason: '' }],
        [drainField({ endpoint: '192.0.2.1' }), { until: 2000, at: 1, by: 'b', reason: 'disk' }],
      ]),
    );
    expect(set.isDrained('eu-west', '198.51.100.1', 1000)).to.equal(true);
    expect(set.isDrained('us-east', '192.0.2.1', 1000)).to.equal(true);
    expect(set.isDrained('us-east', '192.0.2.1', 2000)).to.equal(false); // expired
    expect(set.nextExpiry(1000)).to.equal(2000);
    expect(set.nextExpiry(2000)).to.equal(null);
    expect(set.list(2000).map((d) => d.field)).to.deep.equal(['dc:eu-west']);
  });
});
