// Policy error codes: every code in POLICY_ERRORS is produced by at least one bad snippet below (so no
// code is dead and none is given to the wrong error), and each snippet gives exactly the codes listed.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { isCountryCode } from '../geo/countries.js';
import { parseName } from '../zones/name.js';
import { loadPolicy, POLICY_ERRORS, type PolicyErrorCode } from '../zones/policy/index.js';

const apex = (() => {
  const r = parseName('gslb.example.com.', null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
})();

/** The codes a load of these files gives, in order; files a policy names are read relative to the repository. */
function codesOf(files: ReadonlyArray<readonly [string, string]>): string[] {
  const sources = files.map(([file, text]) => ({ file, text }));
  const r = loadPolicy(sources, apex, isCountryCode, (path) => readFileSync(path, 'utf8'));
  return r.errors.map((e) => e.code);
}

/** A valid zone policy the snippets add to: datacenter a has a location, b has none. */
const BASE = `datacenters:
  a: { location: { lat: 1, lon: 2 } }
  b: {}
checks:
  web: { type: http }
loads:
  lb: { type: nginx, url: "http://x/" }
regions:
  default: { datacenters: [a] }
`;
/** BASE with names (YAML under `names:`). */
const named = (names: string): Array<[string, string]> => [['p.yaml', `${BASE}names:\n${names}`]];
/** BASE with more checks. */
const checks = (more: string): Array<[string, string]> => [['p.yaml', BASE.replace('checks:\n', `checks:\n${more}`)]];

const CASES: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, string]>, readonly PolicyErrorCode[]]> = [
  ['YAML syntax', [['p.yaml', 'names:\n  www: [unclosed\n']], ['E_POLICY_YAML_SYNTAX']],
  ['a key twice in one map', [['p.yaml', 'datacenters:\n  a: {}\n  a: {}\n']], ['E_POLICY_YAML_DUPLICATE_KEY']],
  ['a misspelt section', [['p.yaml', `${BASE}nmes: {}\n`]], ['E_POLICY_UNKNOWN_SECTION']],
  ['a misspelt key', named('  www:\n    polcy: geo\n    pools: { a: [192.0.2.1] }\n'), ['E_POLICY_UNKNOWN_KEY']],
  ['a check without type', checks('  c: { port: 80 }\n'), ['E_POLICY_MISSING_KEY']],
  ['text for a number', named('  www:\n    ttl: thirty\n    pools: { a: [192.0.2.1] }\n'), ['E_POLICY_BAD_TYPE']],
  ['a value not in the list', checks('  c: { type: tpc }\n'), ['E_POLICY_BAD_VALUE']],
  // Each form's own complaint comes first (neither text nor a map), then that none fits.
  [
    'an endpoint of no allowed form',
    named('  www:\n    pools: { a: [[192.0.2.1]] }\n'),
    ['E_POLICY_BAD_TYPE', 'E_POLICY_BAD_TYPE', 'E_POLICY_BAD_FORM'],
  ],
  ['a duration in no known unit', checks('  c: { type: tcp, interval: 5x }\n'), ['E_POLICY_BAD_FORMAT']],
  // Too long to hold in milliseconds: an error at its key, never a crash of the loader.
  ['a duration of 1e300 seconds', checks('  c: { type: tcp, interval: 1e300 }\n'), ['E_POLICY_OUT_OF_RANGE']],
  [
    'a duration of twenty digits',
    checks('  c: { type: tcp, timeout: "99999999999999999999h" }\n'),
    ['E_POLICY_BAD_FORMAT'],
  ],
  [
    'a negative weight',
    named('  www:\n    pools: { a: [{ address: 192.0.2.1, weight: -1 }] }\n'),
    ['E_POLICY_OUT_OF_RANGE'],
  ],
  ['an empty host', checks('  c: { type: http, host: "" }\n'), ['E_POLICY_EMPTY']],
  [
    'a datacenter in two files',
    [
      ['p.yaml', BASE],
      ['q.yaml', 'datacenters:\n  a: {}\n'],
    ],
    ['E_POLICY_DEFINED_TWICE'],
  ],
  [
    'one name in two spellings',
    named('  www:\n    pools: { a: [192.0.2.1] }\n  WWW:\n    pools: { a: [192.0.2.2] }\n'),
    ['E_POLICY_NAME_DEFINED_TWICE'],
  ],
  ['an unknown datacenter', named('  www:\n    pools: { mars: [192.0.2.1] }\n'), ['E_POLICY_UNKNOWN_DATACENTER']],
  ['an unknown check', named('  www:\n    check: nope\n    pools: { a: [192.0.2.1] }\n'), ['E_POLICY_UNKNOWN_CHECK']],
  [
    'an unknown check in a list, and in monitor',
    named('  www:\n    check: [web, nope]\n    monitor: [deep]\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_UNKNOWN_CHECK', 'E_POLICY_UNKNOWN_CHECK'],
  ],
  [
    'a check listed twice in check',
    named('  www:\n    check: [web, web]\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_CHECK_LISTED_TWICE'],
  ],
  [
    'a check in both check and monitor',
    named('  www:\n    check: web\n    monitor: [web]\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_CHECK_LISTED_TWICE'],
  ],
  // Each form's own complaint comes first (neither text nor a list), then that none fits.
  [
    'check of no allowed form',
    named('  www:\n    check: { web: 1 }\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_BAD_TYPE', 'E_POLICY_BAD_TYPE', 'E_POLICY_BAD_FORM'],
  ],
  [
    "a check's from naming an unknown datacenter",
    checks('  c: { type: tcp, from: [a, mars] }\n'),
    ['E_POLICY_UNKNOWN_DATACENTER'],
  ],
  ["a check's from: an empty list", checks('  c: { type: tcp, from: [] }\n'), ['E_POLICY_EMPTY']],
  [
    "a check's from: neither all, local nor a list",
    checks('  c: { type: tcp, from: everywhere }\n'),
    ['E_POLICY_BAD_VALUE'],
  ],
  [
    'an unknown load source',
    named('  www:\n    policy: failover\n    load: nope\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_UNKNOWN_LOAD'],
  ],
  [
    'references into a lost section',
    [['p.yaml', 'datacentres:\n  a: {}\nnames:\n  www:\n    policy: failover\n    pools: { a: [192.0.2.1] }\n']],
    ['E_POLICY_UNKNOWN_SECTION', 'E_POLICY_NOT_CHECKED'],
  ],
  [
    'an interval below 100ms',
    checks('  c: { type: tcp, interval: 50ms, timeout: 10ms }\n'),
    ['E_POLICY_INTERVAL_TOO_SHORT'],
  ],
  [
    'a timeout over the interval',
    checks('  c: { type: tcp, interval: 1s, timeout: 2s }\n'),
    ['E_POLICY_TIMEOUT_TOO_LONG'],
  ],
  ['an http key on a tcp check', checks('  c: { type: tcp, path: /x }\n'), ['E_POLICY_NOT_APPLICABLE']],
  ['a dns check without query', checks('  c: { type: dns }\n'), ['E_POLICY_NEEDS_KEY']],
  [
    'a tls_ca that cannot be read',
    checks('  c: { type: tls, tls_ca: test/fixtures/no-such-ca.pem }\n'),
    ['E_POLICY_FILE_UNREADABLE'],
  ],
  ['a tls_ca that is not PEM', checks('  c: { type: tls, tls_ca: package.json }\n'), ['E_POLICY_BAD_CERTIFICATE']],
  [
    'a load source url that cannot be parsed',
    [['p.yaml', BASE.replace('url: "http://x/"', 'url: "http://[x/"')]],
    ['E_POLICY_BAD_URL'],
  ],
  ['a region without match', [['p.yaml', `${BASE}  europe: { datacenters: [a] }\n`]], ['E_POLICY_REGION_NEEDS_MATCH']],
  [
    'a default region with match',
    [
      [
        'p.yaml',
        BASE.replace('default: { datacenters: [a] }', 'default: { match: { continents: [EU] }, datacenters: [a] }'),
      ],
    ],
    ['E_POLICY_DEFAULT_REGION_MATCH'],
  ],
  [
    'a datacenter twice in a region',
    [['p.yaml', BASE.replace('datacenters: [a] }', 'datacenters: [a, a] }')]],
    ['E_POLICY_DATACENTER_LISTED_TWICE'],
  ],
  [
    'a datacenter twice in a region, once inside a split tier',
    [['p.yaml', BASE.replace('datacenters: [a] }', 'datacenters: [{ a: 90, b: 10 }, a] }')]],
    ['E_POLICY_DATACENTER_LISTED_TWICE'],
  ],
  [
    'a split tier whose weights are all 0',
    [['p.yaml', BASE.replace('datacenters: [a] }', 'datacenters: [{ a: 0, b: 0 }] }')]],
    ['E_POLICY_TIER_WEIGHTS_ZERO'],
  ],
  [
    'min_up naming a datacenter that is not a pool',
    named('  www:\n    min_up: { b: 2 }\n    pools: { a: [192.0.2.1, 192.0.2.2] }\n'),
    ['E_POLICY_MIN_UP_NOT_A_POOL'],
  ],
  [
    'one country in two regions',
    [
      [
        'p.yaml',
        `${BASE}  r1: { match: { countries: [FR] }, datacenters: [a] }\n  r2: { match: { countries: [FR] }, datacenters: [a] }\n`,
      ],
    ],
    ['E_POLICY_MATCH_CLAIMED_TWICE'],
  ],
  [
    'a CIDR with host bits',
    [['p.yaml', `${BASE}  r1: { match: { cidrs: [10.0.0.1/8] }, datacenters: [a] }\n`]],
    ['E_POLICY_BAD_CIDR'],
  ],
  [
    'an unknown country',
    [['p.yaml', `${BASE}  r1: { match: { countries: [XX] }, datacenters: [a] }\n`]],
    ['E_POLICY_UNKNOWN_COUNTRY'],
  ],
  ['a name with a trailing dot', named('  "www.":\n    pools: { a: [192.0.2.1] }\n'), ['E_POLICY_BAD_NAME']],
  ['a pool entry that is not an address', named('  www:\n    pools: { a: [192.0.2.300] }\n'), ['E_POLICY_BAD_ADDRESS']],
  [
    'a probe that is not HOST:PORT',
    named('  www:\n    pools: { a: [{ address: 192.0.2.1, probe: "10.0.0.1:99999" }] }\n'),
    ['E_POLICY_BAD_PROBE'],
  ],
  [
    'one address in two pools',
    named('  www:\n    policy: failover\n    pools: { a: [192.0.2.1], b: [192.0.2.1] }\n'),
    ['E_POLICY_ADDRESS_IN_TWO_POOLS'],
  ],
  [
    'every weight 0',
    named('  www:\n    policy: weighted\n    pools: { a: [{ address: 192.0.2.1, weight: 0 }] }\n'),
    ['E_POLICY_ALL_WEIGHTS_ZERO'],
  ],
  [
    'a geo name and no regions',
    [['p.yaml', 'datacenters:\n  a: {}\nnames:\n  www:\n    pools: { a: [192.0.2.1] }\n']],
    ['E_POLICY_NEEDS_REGIONS'],
  ],
  [
    'nearest and a datacenter without location',
    named('  www:\n    policy: nearest\n    pools: { b: [192.0.2.1] }\n'),
    ['E_POLICY_NEEDS_LOCATION'],
  ],
  [
    'least-loaded without load',
    named('  www:\n    policy: least-loaded\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_NEEDS_LOAD'],
  ],
  [
    'lowest-latency without check',
    named('  www:\n    policy: lowest-latency\n    pools: { a: [192.0.2.1] }\n'),
    ['E_POLICY_NEEDS_CHECK'],
  ],
  [
    'a load source without url and an endpoint without load_url',
    [
      [
        'p.yaml',
        `${BASE.replace(', url: "http://x/"', '')}names:\n  www:\n    policy: least-loaded\n    load: lb\n    pools: { a: [192.0.2.1] }\n`,
      ],
    ],
    ['E_POLICY_NEEDS_LOAD_URL'],
  ],
  [
    'cname entries mixed with addresses',
    named('  www:\n    pools: { a: [{ cname: lb-1.example.net }], b: [192.0.2.1] }\n'),
    ['E_POLICY_MIXED_ENDPOINTS'],
  ],
  [
    'a cname that is not a host name',
    named('  www:\n    pools: { a: [{ cname: "lb 1.example.net" }] }\n'),
    ['E_POLICY_BAD_CNAME'],
  ],
  [
    'shed load with low above high',
    named(
      '  www:\n    policy: least-loaded\n    load: lb\n    shed: { high: 50%, low: 60% }\n    pools: { a: [192.0.2.1] }\n',
    ),
    ['E_POLICY_SHED_BOUNDS'],
  ],
];

describe('policy error codes', () => {
  it('the snippets without their fault load without errors', () => {
    expect(codesOf([['p.yaml', `${BASE}names:\n  www:\n    pools: { a: [192.0.2.1] }\n`]])).to.deep.equal([]);
  });

  for (const [title, files, expected] of CASES)
    it(`${title}: ${expected.join(', ')}`, () => {
      expect(codesOf(files)).to.deep.equal(expected);
    });

  it('every code in POLICY_ERRORS is produced by a snippet above (none is dead)', () => {
    const produced = new Set(CASES.flatMap(([, , codes]) => codes));
    const dead = Object.keys(POLICY_ERRORS).filter((c) => !produced.has(c as PolicyErrorCode));
    expect(dead, 'codes no snippet produces: add a snippet, or drop the code').to.deep.equal([]);
  });

  it('every code has a one-line summary and fix', () => {
    for (const [code, { summary, fix }] of Object.entries(POLICY_ERRORS)) {
      expect(summary, code).to.match(/^\S.*\S$/);
      expect(fix, code).to.match(/^\S.*\S$/);
      expect(`${summary}${fix}`, code).not.to.include('\n');
    }
  });
});
