// Closest-match suggestions: a table of typos and the names they should (and should not) suggest.
import { expect } from 'chai';
import { closestMatch, didYouMean, editDistance } from '../zones/suggest.js';

describe('did you mean', () => {
  const distances: [string, string, number][] = [
    ['', '', 0],
    ['abc', '', 3],
    ['max_answer', 'max_answers', 1],
    ['datacetners', 'datacenters', 1], // a swap of neighbours is one edit
    ['datacntr', 'datacenters', 3],
    ['datacentres', 'datacenters', 1], // British spelling: 're' and 'er' swapped
    ['Listen', 'listen', 0],
    ['kitten', 'sitting', 3],
  ];
  for (const [a, b, n] of distances)
    it(`distance '${a}' to '${b}' is ${n}`, () => {
      expect(editDistance(a, b)).to.equal(n);
      expect(editDistance(b, a)).to.equal(n);
    });

  const known = ['datacenters', 'checks', 'regions', 'names', 'load_sources'];
  const cases: [string, readonly string[], string | null][] = [
    ['datacentres', known, 'datacenters'],
    ['check', known, 'checks'],
    ['nmaes', known, 'names'],
    ['load', known, 'load_sources'], // a prefix of exactly one name
    ['re', known, null], // too short for a prefix hint, too far for an edit
    ['zzzzzz', known, null],
    ['names', known, null], // an exact name needs no suggestion
    ['eu-wset', ['us-east', 'eu-west', 'ap-south'], 'eu-west'],
    ['us-west', ['us-east', 'eu-west', 'ap-south'], 'us-east'], // the first of two at equal distance
    ['serv', ['serve', 'agent', 'check'], 'serve'],
    ['wrokers', ['workers', 'zones'], 'workers'],
  ];
  for (const [given, names, want] of cases)
    it(`'${given}' suggests ${want === null ? 'nothing' : `'${want}'`}`, () => {
      expect(closestMatch(given, names)).to.equal(want);
    });

  it('formats the hint, or nothing', () => {
    expect(didYouMean('max_answer', ['max_answers', 'ttl'])).to.equal(" (did you mean 'max_answers'?)");
    expect(didYouMean('port', ['listen'])).to.equal('');
  });
});
