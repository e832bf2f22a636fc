// Policy files: the example loads unchanged; every error is located (file:line: path: message) and
// all are reported together; a key defined in two files names both; the JSON Schema and the loader agree.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy, SECTIONS, type PolicySource } from '../zones/policy/index.js';
import { FALLBACKS, POLICIES } from '../zones/policy-types.js';
import { parseName } from '../zones/name.js';
import { isCountryCode } from '../geo/countries.js';
import { loadZones } from '../zones/load.js';
import { formatZoneError } from '../zones/records.js';

const apex = (() => {
  const r = parseName('gslb.example.com.', null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
})();

function load(...files: Array<[string, string]>) {
  const sources: PolicySource[] = files.map(([file, text]) => ({ file, text }));
  // Files a policy names (tls_ca) are read relative to the repository, as if it were the zones directory.
  const r = loadPolicy(sources, apex, isCountryCode, (path) => readFileSync(path, 'utf8'));
  return {
    ...r,
    messages: r.errors.map(formatZoneError),
    /** Where each error is and its code: what the tables match (the wording may change, the code not). */
    at: r.errors.map((e) => `${e.file}:${e.line} ${e.code}`),
  };
}

const DCS = `datacenters:
  us-east: { location: { lat: 39.0, lon: -77.5 } }
  eu-west: { location: { lat: 53.3, lon: -6.3 } }
checks:
  web: { type: http, port: 80, path: /healthz }
`;

describe('policy files', () => {
  it('the shipped examples/ load (PRODUCT.md example plus probe targets for the demo)', () => {
    const r = loadZones('examples');
    expect(r.errors.map(formatZoneError)).to.deep.equal([]);
    const www = [...r.zones[0]!.policy.names.values()].find((n) => n.label === 'www')!;
    expect(www.pools[0]!.endpoints[0]!.probe).to.deep.equal({ host: '127.0.0.1', port: 18081 });
  });

  it('the example zone from PRODUCT.md loads unchanged', () => {
    const r = loadZones('test/fixtures/product-example');
    expect(r.errors.map(formatZoneError)).to.deep.equal([]);
    const p = r.zones[0]!.policy;
    expect([...p.datacenters.keys()]).to.deep.equal(['us-east', 'eu-west', 'ap-south']);
    expect([...p.checks.keys()]).to.deep.equal(['web', 'tls']);
    expect([...p.regions.keys()]).to.include.members(['europe', 'americas', 'default']);
    const www = [...p.names.values()].find((n) => n.label === 'www')!;
    expect(www.policy).to.equal('geo');
    expect(www.maxAnswers).to.equal(2);
    expect(www.pools.map((x) => x.datacenter)).to.deep.equal(['us-east', 'eu-west', 'ap-south']);
    expect(www.pools[0]!.endpoints.map((e) => e.address)).to.deep.equal([
      '192.0.2.10',
      '192.0.2.11',
      '2001:db8:10::10',
    ]);
    const api = [...p.names.values()].find((n) => n.label === 'api')!;
    expect(api.pools[0]!.endpoints[0]!.weight).to.equal(3);
    const web = p.checks.get('web')!;
    expect([web.intervalMs, web.timeoutMs, web.rise, web.fall]).to.deep.equal([5000, 2000, 2, 3]);
  });

  const cases: Array<[string, Array<[string, string]>, string[]]> = [
    [
      'unknown keys, at their line',
      [['names.yaml', `${DCS}names:\n  www:\n    polcy: geo\n    pools: { us-east: [192.0.2.1] }\n`]],
      ['names.yaml:8 E_POLICY_UNKNOWN_KEY'],
    ],
    [
      'bad addresses, with name and pool in the path',
      [
        [
          'names.yaml',
          `${DCS}names:\n  www:\n    pools:\n      us-east: [192.0.2.1]\n      eu-west:\n        - 198.51.100.300\n        - { address: "2001:db8::zz", weight: 2 }\n`,
        ],
      ],
      ['names.yaml:11 E_POLICY_BAD_ADDRESS', 'names.yaml:12 E_POLICY_BAD_ADDRESS'],
    ],
    [
      'unknown datacenters, regions datacenters and checks',
      [
        ['names.yaml', `${DCS}names:\n  www:\n    check: nope\n    pools: { mars: [192.0.2.1] }\n`],
        ['regions/r.yaml', `regions:\n  europe:\n    match: { continents: [EU] }\n    datacenters: [eu-west, moon]\n`],
      ],
      [
        'names.yaml:8 E_POLICY_UNKNOWN_CHECK',
        'names.yaml:9 E_POLICY_UNKNOWN_DATACENTER',
        'regions/r.yaml:4 E_POLICY_UNKNOWN_DATACENTER',
      ],
    ],
    [
      'impossible weights',
      [
        [
          'names.yaml',
          `${DCS}names:\n  api:\n    policy: weighted\n    pools:\n      us-east: [{ address: 192.0.2.1, weight: 0 }]\n`,
        ],
        [
          'more.yaml',
          `names:\n  other:\n    policy: weighted\n    pools:\n      eu-west: [{ address: 192.0.2.2, weight: -1 }]\n`,
        ],
      ],
      ['names.yaml:10 E_POLICY_ALL_WEIGHTS_ZERO', 'more.yaml:5 E_POLICY_OUT_OF_RANGE'],
    ],
    [
      'a key defined in two files names both files',
      [
        ['a.yaml', `${DCS}`],
        [
          'b.yaml',
          `datacenters:\n  ap-south: { location: { lat: 1, lon: 2 } }\n  us-east: { location: { lat: 1, lon: 2 } }\n`,
        ],
      ],
      ['b.yaml:3 E_POLICY_DEFINED_TWICE'],
    ],
    [
      'YAML syntax errors keep their line',
      [['bad.yaml', `names:\n  www: [unclosed\n`]],
      ['bad.yaml:3 E_POLICY_YAML_SYNTAX'],
    ],
    [
      'a duplicate key inside one file',
      [['dup.yaml', `datacenters:\n  a: {}\n  a: {}\n`]],
      ['dup.yaml:3 E_POLICY_YAML_DUPLICATE_KEY'],
    ],
    [
      'unknown sections and wrong types',
      [['x.yaml', `${DCS}nmes: {}\nnames:\n  www:\n    ttl: thirty\n    pools: { us-east: [192.0.2.1] }\n`]],
      ['x.yaml:6 E_POLICY_UNKNOWN_SECTION', 'x.yaml:9 E_POLICY_BAD_TYPE'],
    ],
    [
      'regions: bad CIDR, unknown country, match claimed twice, default with match',
      [
        [
          'regions.yaml',
          `${DCS}regions:\n  europe:\n    match: { cidrs: [10.0.0.1/8], countries: [XX, FR] }\n    datacenters: [eu-west]\n  france:\n    match: { countries: [FR] }\n    datacenters: [eu-west]\n  default:\n    match: { continents: [EU] }\n    datacenters: [us-east]\n`,
        ],
      ],
      [
        'regions.yaml:8 E_POLICY_BAD_CIDR',
        'regions.yaml:8 E_POLICY_UNKNOWN_COUNTRY',
        'regions.yaml:11 E_POLICY_MATCH_CLAIMED_TWICE',
        'regions.yaml:14 E_POLICY_DEFAULT_REGION_MATCH',
      ],
    ],
    [
      'policy needs: nearest without locations, geo without regions',
      [
        [
          'n.yaml',
          `datacenters:\n  a: {}\nnames:\n  near:\n    policy: nearest\n    pools: { a: [192.0.2.1] }\n  g:\n    policy: geo\n    pools: { a: [192.0.2.2] }\n`,
        ],
      ],
      ['n.yaml:6 E_POLICY_NEEDS_LOCATION', 'n.yaml:8 E_POLICY_NEEDS_REGIONS'],
    ],
    [
      'checks: timeout beyond interval, http-only keys on tcp',
      [['c.yaml', `checks:\n  t: { type: tcp, port: 443, path: /x, interval: 1s, timeout: 2s }\n`]],
      ['c.yaml:2 E_POLICY_TIMEOUT_TOO_LONG', 'c.yaml:2 E_POLICY_NOT_APPLICABLE'],
    ],
    [
      'the same address in two pools of one name',
      [
        [
          'd.yaml',
          `${DCS}names:\n  www:\n    policy: failover\n    pools:\n      us-east: [192.0.2.1]\n      eu-west: [192.0.2.1]\n`,
        ],
      ],
      ['d.yaml:11 E_POLICY_ADDRESS_IN_TWO_POOLS'],
    ],
    [
      'load sources: missing proxy and figures, keys of another type, bad url, passive without counters',
      [
        [
          'l.yaml',
          `loads:\n  h: { type: haproxy, url: "http://{address}:8404/;csv" }\n  n: { type: nginx, url: "http://x/", proxy: p, passive: { max_error_rate: 5% } }\n  p: { type: prometheus, url: "http://x/m", passive: { max_error_rate: 0.1 } }\n  j: { type: json, url: "http://x/j", figures: { connections: a.b }, interval: 1s, timeout: 2s }\n`,
        ],
      ],
      [
        'l.yaml:2 E_POLICY_NEEDS_KEY',
        'l.yaml:3 E_POLICY_NOT_APPLICABLE',
        'l.yaml:4 E_POLICY_NEEDS_KEY',
        'l.yaml:4 E_POLICY_NEEDS_KEY',
        'l.yaml:5 E_POLICY_TIMEOUT_TOO_LONG',
      ],
    ],
    [
      'load-aware names: the figures they need, steering keys on other policies, shed bounds',
      [
        [
          's.yaml',
          `${DCS}loads:\n  lb: { type: nginx }\nnames:\n  a:\n    policy: least-loaded\n    pools: { us-east: [192.0.2.1] }\n  b:\n    policy: least-response-time\n    load: nope\n    pools: { us-east: [192.0.2.2] }\n  c:\n    policy: geo\n    tier: 2\n    pools: { us-east: [192.0.2.3] }\n  d:\n    policy: weighted\n    load: lb\n    shed: { high: 50%, low: 60% }\n    pools: { us-east: [192.0.2.4] }\n  e:\n    policy: lowest-latency\n    pools: { us-east: [{ address: 192.0.2.5, load_url: "http://x/s" }] }\n`,
        ],
      ],
      [
        's.yaml:10 E_POLICY_NEEDS_LOAD',
        's.yaml:14 E_POLICY_UNKNOWN_LOAD',
        's.yaml:13 E_POLICY_NEEDS_CHECK',
        's.yaml:18 E_POLICY_NOT_APPLICABLE',
        's.yaml:23 E_POLICY_SHED_BOUNDS',
        's.yaml:23 E_POLICY_NOT_APPLICABLE',
        's.yaml:24 E_POLICY_NEEDS_LOAD_URL',
        's.yaml:26 E_POLICY_NEEDS_CHECK',
        's.yaml:27 E_POLICY_NEEDS_LOAD',
      ],
    ],
  ];
  for (const [title, files, expected] of cases) {
    it(title, () => {
      expect(load(...files).at).to.include.members(expected);
    });
  }

  it('reports every error at once, not just the first', () => {
    const r = load(['n.yaml', `${DCS}names:\n  a:\n    pools: { mars: [x] }\n  b:\n    pools: { venus: [y] }\n`]);
    expect(r.messages.length).to.be.at.least(4);
  });

  it('a load-balanced name may not also have A, AAAA or CNAME in the master file', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'gslb-pol-'));
    mkdirSync(join(dir, 'gslb.example.com'));
    writeFileSync(
      join(dir, 'gslb.example.com', 'records.zone'),
      '$ORIGIN gslb.example.com.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.1\napi CNAME www\n',
    );
    writeFileSync(
      join(dir, 'gslb.example.com', 'names.yaml'),
      `${DCS}names:\n  www:\n    policy: failover\n    pools: { us-east: [192.0.2.9] }\n  api:\n    policy: failover\n    pools: { us-east: [192.0.2.8] }\n`,
    );
    const errors = loadZones(dir).errors;
    expect(errors.map((e) => `${e.file}:${e.line} ${e.code}`)).to.deep.equal([
      'gslb.example.com/records.zone:6 E_ZONE_LB_NAME_HAS_RECORDS',
      'gslb.example.com/records.zone:7 E_ZONE_LB_NAME_HAS_RECORDS',
    ]);
    // The name's line in its policy file, found after loading (located records).
    expect(errors[0]!.message).to.include('(gslb.example.com/names.yaml:7)');
  });

  describe('the JSON Schema and the loader stay in step', () => {
    const schema = JSON.parse(readFileSync('zones/policy.schema.json', 'utf8'));
    it('the validator in dist/ is generated from the current schema (npm run build regenerates it)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gslb-validator-'));
      try {
        const out = join(dir, 'policy-validator.js');
        execFileSync(process.execPath, ['scripts/gen-policy-validator.mjs', out]);
        expect(readFileSync(out, 'utf8')).to.equal(readFileSync('dist/zones/policy-validator.js', 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    it('string lengths are checked (the runtime helper of the generated code loads)', () => {
      const { at } = load(['p.yaml', DCS.replace('path: /healthz', 'path: /healthz, host: ""')]);
      expect(at).to.deep.equal(['p.yaml:5 E_POLICY_EMPTY']);
    });
    it('the same top-level sections', () => {
      expect(Object.keys(schema.properties)).to.deep.equal([...SECTIONS]);
    });
    it('the same policy and fallback names', () => {
      expect(schema.definitions.name.properties.policy.enum).to.deep.equal([...POLICIES]);
      // fallback is one of these, or { cname: HOST }.
      expect(schema.definitions.name.properties.fallback.anyOf[0].enum).to.deep.equal([...FALLBACKS]);
    });
    it('every key the schema allows is read by the loader (a file using them all loads, and they take effect)', () => {
      const all = `datacenters:
  a: { location: { lat: 1, lon: 2 }, bias: 10, description: first, capacity: 5000 }
  b: { location: { lat: 3, lon: 4 } }
loads:
  lb: { type: haproxy, url: "http://{address}:8404/stats;csv", headers: { Authorization: "Basic eDp5" }, proxy: www, server: BACKEND, tls_verify: false, interval: 1s, timeout: 300ms, jitter: 50ms, max_age: 4s, smoothing: 0, capacity: 800, passive: { max_error_rate: 5%, min_requests: 20, rise: 3, fall: 2 } }
  pm: { type: prometheus, url: "https://stats.example/metrics", figures: { connections: 'cx{l="a"}', capacity: cap, bytes: [rx, tx], bandwidth: bw, errors: err, requests: req } }
checks:
  h: { type: https, port: 8443, path: /hc, expect: [200, 204], host: h.example, sni: s.example, tls_verify: false, body: ok, follow_redirects: true, interval: 2s, timeout: 500ms, jitter: 100ms, rise: 3, fall: 4 }
  d: { type: dns, port: 53, query: example.com, qtype: A, expect: [0] }
  t: { type: tls, port: 8443, sni: t.example, tls_ca: examples/gslb.example.com/demo-tls/cert.pem, expiry_warn_days: 30, from: local }
regions:
  r: { match: { cidrs: [10.0.0.0/8], subdivisions: [US-WA], countries: [FR], continents: [EU], asns: [64500] }, datacenters: [{ a: 90, b: 10 }] }
  default: { datacenters: [b, a] }
names:
  n:
    policy: geo
    ttl: 15
    min_ttl: 4
    max_answers: 3
    check: h
    monitor: [t]
    fallback: nodata
    spread: 2
    min_up: { a: 2, b: 50% }
    regions: { own: { match: { continents: [AS] }, datacenters: [b] } }
    pools: { a: [192.0.2.1, { address: 192.0.2.2, weight: 2, probe: "10.0.0.1:8080" }], b: [192.0.2.3] }
  m:
    policy: least-response-time
    check: h
    load: lb
    tier: 2
    margin: 20%
    shed: { high: 80%, low: 0.6, step: 5%, every: 2s, max: 50% }
    pools: { a: [{ address: 192.0.2.9, load_url: "http://10.0.0.9:8404/stats;csv" }], b: [192.0.2.10] }
  c:
    fallback: { cname: sorry.example.org }
    pools: { a: [{ cname: lb-1.example.net., weight: 3 }] }
dnssec: { validity: 240h, refresh: 60h, inception_offset: 30m, dnskey_ttl: 2h }
`;
      const r = load(['all.yaml', all]);
      expect(r.messages).to.deep.equal([]);
      const c = r.config;
      expect(c.datacenters.get('a')!.bias).to.equal(10);
      const h = c.checks.get('h')!;
      expect([
        h.port,
        h.path,
        h.expect,
        h.host,
        h.sni,
        h.tlsVerify,
        h.body,
        h.followRedirects,
        h.intervalMs,
        h.timeoutMs,
        h.jitterMs,
        h.rise,
        h.fall,
      ]).to.deep.equal([8443, '/hc', [200, 204], 'h.example', 's.example', false, 'ok', true, 2000, 500, 100, 3, 4]);
      const d = c.checks.get('d')!;
      expect([d.query, d.qtype]).to.deep.equal(['example.com', 'A']);
      const t = c.checks.get('t')!;
      expect([t.type, t.port, t.sni, t.tlsVerify, t.expiryWarnDays, t.from]).to.deep.equal([
        'tls',
        8443,
        't.example',
        true,
        30,
        'local',
      ]);
      expect(t.tlsCa).to.equal(readFileSync('examples/gslb.example.com/demo-tls/cert.pem', 'utf8'));
      const region = c.regions.get('r')!;
      expect(region.match!.cidrs[0]!.text).to.equal('10.0.0.0/8');
      expect([region.datacenters, region.splits]).to.deep.equal([
        ['a', 'b'],
        [{ datacenters: ['a', 'b'], weights: [90, 10] }],
      ]);
      expect([region.match!.subdivisions, region.match!.countries, region.match!.continents]).to.deep.equal([
        ['US-WA'],
        ['FR'],
        ['EU'],
      ]);
      expect(region.match!.asns).to.deep.equal([64500]);
      expect(c.datacenters.get('a')!.capacity).to.equal(5000);
      const lb = c.loads.get('lb')!;
      expect([
        lb.type,
        lb.url,
        lb.headers,
        lb.proxy,
        lb.server,
        lb.tlsVerify,
        lb.intervalMs,
        lb.timeoutMs,
        lb.jitterMs,
        lb.maxAgeMs,
        lb.smoothingMs,
        lb.capacity,
        lb.passive,
      ]).to.deep.equal([
        'haproxy',
        'http://{address}:8404/stats;csv',
        { Authorization: 'Basic eDp5' },
        'www',
        'BACKEND',
        false,
        1000,
        300,
        50,
        4000,
        0,
        800,
        { maxErrorRate: 0.05, minRequests: 20, rise: 3, fall: 2 },
      ]);
      expect(c.loads.get('pm')!.selectors).to.deep.equal({
        connections: 'cx{l="a"}',
        capacity: 'cap',
        bytes: ['rx', 'tx'],
        bandwidth: 'bw',
        errors: 'err',
        requests: 'req',
      });
      const m = [...c.names.values()][1]!;
      expect([m.load, m.tier, m.margin, m.shed]).to.deep.equal([
        'lb',
        { kind: 'first', n: 2 },
        0.2,
        { high: 0.8, low: 0.6, step: 0.05, everyMs: 2000, max: 0.5 },
      ]);
      expect(m.pools[0]!.endpoints[0]!.loadUrl).to.equal('http://10.0.0.9:8404/stats;csv');
      expect(c.dnssec).to.deep.equal({ validity: 864000, refresh: 216000, inceptionOffset: 1800, dnskeyTtl: 7200 });
      const n = [...c.names.values()][0]!;
      expect([n.ttl, n.minTtl, n.maxAnswers, n.checks, n.monitor, n.fallback, n.spread]).to.deep.equal([
        15,
        4,
        3,
        ['h'],
        ['t'],
        'nodata',
        2,
      ]);
      expect([...n.minUp!]).to.deep.equal([
        ['a', { count: 2, percent: null }],
        ['b', { count: null, percent: 50 }],
      ]);
      expect([...n.regions!.keys()]).to.deep.equal(['own']);
      expect(n.pools[0]!.endpoints[1]).to.include({ weight: 2 });
      expect(n.pools[0]!.endpoints[1]!.probe).to.deep.equal({ host: '10.0.0.1', port: 8080 });
      const cn = [...c.names.values()][2]!;
      expect([cn.cname, cn.fallback, cn.fallbackCname!.address]).to.deep.equal([true, 'cname', 'sorry.example.org']);
      expect(cn.pools[0]!.endpoints[0]).to.include({ address: 'lb-1.example.net', family: 0, weight: 3 });
      // Every property named in the schema appears in this file, so a new schema key without a loader fails here.
      const keys = new Set<string>();
      const walk = (node: unknown): void => {
        if (node && typeof node === 'object') {
          const props = (node as { properties?: Record<string, unknown> }).properties;
          if (props) for (const k of Object.keys(props)) keys.add(k);
          for (const v of Object.values(node)) walk(v);
        }
      };
      walk(schema);
      for (const k of keys)
        expect(all.includes(`${k}:`) || k === 'lat' || k === 'lon', `schema key '${k}' is not exercised`).to.equal(
          true,
        );
    });
  });
});

describe('policy errors: the root cause, not its follow-ons', () => {
  // Each case lists every message the load gives, exactly: a follow-on that slips through fails it.
  const cases: Array<[string, Array<[string, string]>, string[]]> = [
    [
      'a misspelt section: one error with the section it means, one line for the references into it',
      [
        ['dcs.yaml', 'datacentres:\n  us-east: {}\n  eu-west: {}\n'],
        ['regions.yaml', 'regions:\n  default:\n    datacenters: [us-east, eu-west]\n'],
        [
          'names.yaml',
          'names:\n  www:\n    pools: { us-east: [192.0.2.1], eu-west: [192.0.2.2] }\n  api:\n    policy: failover\n    pools: { us-east: [192.0.2.3] }\n',
        ],
      ],
      ['dcs.yaml:1 E_POLICY_UNKNOWN_SECTION', 'regions.yaml:3 E_POLICY_NOT_CHECKED'],
    ],
    [
      'a YAML syntax error: the sections the file names are not checked against',
      [
        ['checks.yaml', 'checks:\n  web: { type: http, port: 80\n  tls: { type: tcp }\n'],
        [
          'names.yaml',
          'datacenters:\n  a: {}\nnames:\n  www:\n    policy: failover\n    check: web\n    pools: { a: [192.0.2.1] }\n  api:\n    policy: failover\n    check: tls\n    pools: { a: [192.0.2.2] }\n',
        ],
      ],
      ['checks.yaml:3 E_POLICY_YAML_SYNTAX', 'names.yaml:6 E_POLICY_NOT_CHECKED'],
    ],
    [
      "a schema error loses only its entry: the file's other sections and entries still load and are checked; only references to that entry are folded, an independent typo is reported",
      [
        [
          'p.yaml',
          'datacenters:\n  us-east: { lcoation: { lat: 1, lon: 2 } }\n  eu-west: { location: { lat: 3, lon: 4 } }\nchecks:\n  web: { type: tcp }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools: { eu-west: [192.0.2.1], us-east: [192.0.2.2] }\n  api:\n    policy: failover\n    check: wbe\n    pools: { eu-wset: [192.0.2.3] }\n',
        ],
      ],
      [
        'p.yaml:2 E_POLICY_UNKNOWN_KEY',
        'p.yaml:13 E_POLICY_UNKNOWN_CHECK',
        'p.yaml:14 E_POLICY_UNKNOWN_DATACENTER',
        'p.yaml:10 E_POLICY_NOT_CHECKED',
      ],
    ],
    [
      'unknown keys and references get the closest allowed key or defined name',
      [
        [
          'p.yaml',
          `${DCS}loads:\n  edge: { type: nginx, url: "http://x/" }\nregions:\n  europe:\n    match: { continents: [EU] }\n    datacenters: [eu-wset]\nnames:\n  www:\n    policy: least-loaded\n    check: wbe\n    load: egde\n    pools: { eu-wset: [{ address: 192.0.2.1, wieght: 2 }] }\n  api:\n    policy: failover\n    max_answer: 2\n    pools: { us-east: [192.0.2.2] }\n`,
        ],
      ],
      ['p.yaml:17 E_POLICY_UNKNOWN_KEY', 'p.yaml:20 E_POLICY_UNKNOWN_KEY', 'p.yaml:11 E_POLICY_UNKNOWN_DATACENTER'],
    ],
    [
      'references from a schema-valid name: check, pool and load source, each with its closest name',
      [
        [
          'p.yaml',
          `${DCS}loads:\n  edge: { type: nginx, url: "http://x/" }\nnames:\n  www:\n    policy: least-loaded\n    check: wbe\n    load: egde\n    pools: { eu-wset: [192.0.2.1] }\n`,
        ],
      ],
      ['p.yaml:11 E_POLICY_UNKNOWN_CHECK', 'p.yaml:13 E_POLICY_UNKNOWN_DATACENTER', 'p.yaml:12 E_POLICY_UNKNOWN_LOAD'],
    ],
    [
      'a mistyped value of a closed list gets the closest one; references to the lost check are folded',
      [
        [
          'p.yaml',
          'datacenters:\n  a: {}\nchecks:\n  web: { type: tpc }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools: { a: [192.0.2.1] }\n',
        ],
      ],
      ['p.yaml:4 E_POLICY_BAD_VALUE', 'p.yaml:8 E_POLICY_NOT_CHECKED'],
    ],
    [
      'a lost region map: geo names needing regions are folded, not each told it has none',
      [
        ['regions.yaml', 'regions:\n  europe: { match: { continents: [EU] }, datacenters: [a], prio: 1 }\n'],
        [
          'n.yaml',
          'datacenters:\n  a: {}\nnames:\n  www:\n    pools: { a: [192.0.2.1] }\n  api:\n    pools: { a: [192.0.2.2] }\n',
        ],
      ],
      ['regions.yaml:2 E_POLICY_UNKNOWN_KEY', 'n.yaml:4 E_POLICY_NOT_CHECKED'],
    ],
    [
      'an unknown section like no other: it could have been any, so no section is checked against',
      [
        [
          'p.yaml',
          'sites:\n  a: {}\nnames:\n  www:\n    policy: failover\n    check: web\n    pools: { a: [192.0.2.1] }\n',
        ],
      ],
      ['p.yaml:1 E_POLICY_UNKNOWN_SECTION', 'p.yaml:6 E_POLICY_NOT_CHECKED', 'p.yaml:7 E_POLICY_NOT_CHECKED'],
    ],
  ];
  for (const [title, files, expected] of cases)
    it(title, () => {
      expect(load(...files).at).to.deep.equal(expected);
    });

  // The wording is the feature here: the hint names what was meant, the folded line says how many
  // references and which file to fix.
  it('says what was likely meant, and how many references wait on which file', () => {
    const messages = (...files: Array<[string, string]>) => load(...files).errors.map((e) => e.message);
    expect(
      messages(
        ['dcs.yaml', 'datacentres:\n  us-east: {}\n'],
        [
          'names.yaml',
          'names:\n  www:\n    policy: failover\n    pools: { us-east: [192.0.2.1], eu-west: [192.0.2.2] }\n',
        ],
      ),
    ).to.deep.equal([
      "unknown section 'datacentres' (did you mean 'datacenters'?)",
      '2 references to datacenters not checked: dcs.yaml has errors',
    ]);
    expect(
      messages([
        'p.yaml',
        `${DCS}names:\n  www:\n    policy: failover\n    check: wbe\n    pools: { eu-wset: [{ address: 192.0.2.1, wieght: 2 }] }\n`,
      ]),
    ).to.deep.equal(["name 'www': pool 'eu-wset': entry 1: unknown key 'wieght' (did you mean 'weight'?)"]);
    expect(
      messages([
        'p.yaml',
        `${DCS}names:\n  www:\n    policy: failover\n    check: wbe\n    pools: { eu-wset: [192.0.2.1] }\n`,
      ]),
    ).to.deep.equal([
      "name 'www': check: unknown check 'wbe' (did you mean 'web'?)",
      "name 'www': pool 'eu-wset': unknown datacenter 'eu-wset' (did you mean 'eu-west'?)",
    ]);
  });
});

describe('docs/policy.md', () => {
  it('documents every key of the JSON Schema, every policy and every fallback', () => {
    const doc = readFileSync('docs/policy.md', 'utf8');
    const schema = JSON.parse(readFileSync('zones/policy.schema.json', 'utf8'));
    const keys = new Set<string>();
    const walk = (node: unknown): void => {
      if (node && typeof node === 'object') {
        const props = (node as { properties?: Record<string, unknown> }).properties;
        if (props) for (const k of Object.keys(props)) keys.add(k);
        for (const v of Object.values(node)) walk(v);
      }
    };
    walk(schema);
    for (const k of [...keys, ...POLICIES, ...FALLBACKS])
      expect(doc.includes('`' + k + '`'), `docs/policy.md lacks \`${k}\``).to.equal(true);
  });
});
