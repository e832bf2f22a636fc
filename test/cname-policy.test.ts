// CNAME endpoints in policy files (#18 item 6): pool entries { cname: HOST } and fallback { cname: HOST },
// the mixing rule, host name validation, and a CNAME name's master-file records.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCountryCode } from '../geo/countries.js';
import { loadZones } from '../zones/load.js';
import { nameToText, parseName } from '../zones/name.js';
import { loadPolicy } from '../zones/policy/index.js';
import { formatZoneError } from '../zones/records.js';

const apex = (() => {
  const r = parseName('gslb.example.com.', null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
})();

const BASE = `datacenters:
  a: {}
  b: {}
checks:
  web: { type: http }
`;

function load(names: string) {
  const r = loadPolicy([{ file: 'p.yaml', text: `${BASE}names:\n${names}` }], apex, isCountryCode, () => '');
  return { config: r.config, messages: r.errors.map(formatZoneError) };
}

describe('CNAME endpoints in policy files', () => {
  it('cname entries: the target in lower case without its dot (a trailing dot optional), weight and probe as for addresses', () => {
    const { config, messages } = load(`  www:
    policy: failover
    check: web
    pools:
      a: [{ cname: LB-1.elb.Example.NET., weight: 3 }, { cname: lb-2.elb.example.net, probe: "10.0.0.2:8080" }]
      b: [{ cname: backup.example.org }]
`);
    expect(messages).to.deep.equal([]);
    const www = [...config.names.values()][0]!;
    expect(www.cname).to.equal(true);
    expect(www.fallback).to.equal('all');
    expect(www.fallbackCname).to.equal(null);
    const [a1, a2] = www.pools[0]!.endpoints;
    expect(a1).to.include({ address: 'lb-1.elb.example.net', family: 0, weight: 3, datacenter: 'a' });
    expect(nameToText(a1!.cname!.wire)).to.equal('lb-1.elb.example.net.');
    expect(a2!.probe).to.deep.equal({ host: '10.0.0.2', port: 8080 });
    expect(www.pools[1]!.endpoints[0]!.address).to.equal('backup.example.org');
    // A single label is a host name too (localhost), and absolute: never relative to the zone.
    const one = load('  x:\n    policy: failover\n    pools: { a: [{ cname: localhost }] }\n');
    expect(one.messages).to.deep.equal([]);
    expect(nameToText([...one.config.names.values()][0]!.pools[0]!.endpoints[0]!.cname!.wire)).to.equal('localhost.');
  });

  it('address names are unchanged: no cname on their endpoints', () => {
    const { config } = load('  www:\n    policy: failover\n    pools: { a: [192.0.2.1] }\n');
    const www = [...config.names.values()][0]!;
    expect(www.cname).to.equal(false);
    expect(www.pools[0]!.endpoints[0]!.cname ?? null).to.equal(null);
  });

  it('mixing cname and address entries in one name is an error at the first entry of the other kind', () => {
    const { messages } = load(`  www:
    policy: failover
    pools:
      a: [{ cname: lb-1.example.net }]
      b: [192.0.2.1]
  api:
    policy: failover
    pools:
      a: [192.0.2.2, { cname: lb-2.example.net }]
`);
    expect(messages).to.deep.equal([
      "p.yaml:11: name 'www': pool 'b': entry 1: address 192.0.2.1 among CNAME entries: a name's entries are all cname or all addresses [E_POLICY_MIXED_ENDPOINTS]",
      "p.yaml:15: name 'api': pool 'a': entry 2: cname lb-2.example.net among address entries: a name's entries are all cname or all addresses [E_POLICY_MIXED_ENDPOINTS]",
    ]);
  });

  it('an entry with both address and cname, or with neither, is an error', () => {
    const { messages } = load(`  www:
    policy: failover
    pools:
      a: [{ address: 192.0.2.1, cname: lb.example.net }, { weight: 2 }]
`);
    expect(messages).to.deep.equal([
      "p.yaml:10: name 'www': pool 'a': entry 1: an entry has both 'address' and 'cname': give one [E_POLICY_MIXED_ENDPOINTS]",
      "p.yaml:10: name 'www': pool 'a': entry 2: an entry needs 'address' or 'cname' [E_POLICY_MISSING_KEY]",
    ]);
  });

  for (const [bad, why] of [
    ['"lb 1.example.net"', "'lb 1.example.net' is not a host name"],
    ['lb..example.net', "'lb..example.net' is not a host name"],
    ['"-lb.example.net"', "'-lb.example.net' is not a host name"],
    ['"*.example.net"', "'*.example.net' is not a host name"],
    ['"."', "'.' is not a host name"],
    ['""', "'' is not a host name"],
    [`${'a'.repeat(64)}.example.net`, `'${'a'.repeat(64)}.example.net' is not a host name`],
    [`${'abcdefgh.'.repeat(28)}net`, 'is longer than 255 octets'],
    ['www.gslb.example.com', "'www.gslb.example.com' is the name itself"],
  ] as const)
    it(`a bad cname: ${bad}`, () => {
      const { messages } = load(`  www:\n    policy: failover\n    pools: { a: [{ cname: ${bad} }] }\n`);
      expect(messages).to.have.length(1);
      expect(messages[0]).to.match(/^p\.yaml:9: name 'www': pool 'a': entry 1: cname: /);
      expect(messages[0]).to.include(why);
      expect(messages[0]).to.match(/\[E_POLICY_BAD_CNAME\]$/);
    });

  it('max_answers and spread do not apply to cname entries (an answer is one CNAME)', () => {
    const { messages } = load(
      '  www:\n    policy: failover\n    max_answers: 2\n    spread: 2\n    pools: { a: [{ cname: a.example.net }], b: [{ cname: b.example.net }] }\n',
    );
    expect(messages).to.deep.equal([
      "p.yaml:9: name 'www': max_answers: does not apply to cname entries (an answer is one CNAME) [E_POLICY_NOT_APPLICABLE]",
      "p.yaml:10: name 'www': spread: does not apply to cname entries (an answer is one CNAME) [E_POLICY_NOT_APPLICABLE]",
    ]);
    expect(
      load('  www:\n    spread: 1\n    policy: failover\n    pools: { a: [{ cname: a.example.net }] }\n').messages,
    ).to.deep.equal([]);
  });

  it('the same target twice in a name is an error, as the same address is', () => {
    const { messages } = load(
      '  www:\n    policy: failover\n    pools: { a: [{ cname: lb.example.net }], b: [{ cname: LB.example.net. }] }\n',
    );
    expect(messages).to.deep.equal([
      "p.yaml:9: name 'www': pool 'b': entry 1: cname lb.example.net is already in pool 'a' [E_POLICY_ADDRESS_IN_TWO_POOLS]",
    ]);
  });

  it('fallback { cname: HOST }: for address names and CNAME names alike', () => {
    const { config, messages } = load(`  www:
    policy: failover
    fallback: { cname: Sorry.Example.ORG. }
    pools: { a: [192.0.2.1] }
  api:
    policy: failover
    fallback: { cname: sorry.example.org }
    pools: { a: [{ cname: lb.example.net }] }
  old:
    policy: failover
    fallback: first
    pools: { a: [192.0.2.2] }
`);
    expect(messages).to.deep.equal([]);
    const [www, api, old] = [...config.names.values()];
    expect([www!.fallback, www!.fallbackCname!.address, www!.fallbackCname!.family]).to.deep.equal([
      'cname',
      'sorry.example.org',
      0,
    ]);
    expect(nameToText(www!.fallbackCname!.cname!.wire)).to.equal('sorry.example.org.');
    expect([api!.fallback, api!.fallbackCname!.address]).to.deep.equal(['cname', 'sorry.example.org']);
    expect([old!.fallback, old!.fallbackCname]).to.deep.equal(['first', null]);
  });

  it('a bad fallback: not a host name, the name itself, another key, or a misspelt mode', () => {
    const { messages } = load(`  www:
    policy: failover
    fallback: { cname: "sorry site" }
    pools: { a: [192.0.2.1] }
  api:
    policy: failover
    fallback: { cname: api.gslb.example.com. }
    pools: { a: [192.0.2.2] }
  app:
    policy: failover
    fallback: { address: 192.0.2.9 }
    pools: { a: [192.0.2.3] }
  web:
    policy: failover
    fallback: nodta
    pools: { a: [192.0.2.4] }
`);
    // Schema errors come first; an object that is not { cname } hears what the object form needs.
    expect(messages).to.deep.equal([
      "p.yaml:17: name 'app': fallback: missing key 'cname' [E_POLICY_MISSING_KEY]",
      "p.yaml:17: name 'app': fallback: unknown key 'address' [E_POLICY_UNKNOWN_KEY]",
      "p.yaml:21: name 'web': fallback: must be one of all, first, nodata, servfail (did you mean 'nodata'?) [E_POLICY_BAD_VALUE]",
      "p.yaml:9: name 'www': fallback: cname: 'sorry site' is not a host name (labels of letters, digits, '-' and '_', at most 63 each) [E_POLICY_BAD_CNAME]",
      "p.yaml:13: name 'api': fallback: cname: 'api.gslb.example.com.' is the name itself [E_POLICY_BAD_CNAME]",
    ]);
  });

  describe('a CNAME name in the zone files', () => {
    let dir = '';
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const zoneWith = (records: string, names: string): string[] => {
      dir = mkdtempSync(join(tmpdir(), 'gslb-cname-'));
      mkdirSync(join(dir, 'gslb.example.com'));
      writeFileSync(
        join(dir, 'gslb.example.com', 'records.zone'),
        `$ORIGIN gslb.example.com.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.53\n${records}`,
      );
      writeFileSync(join(dir, 'gslb.example.com', 'names.yaml'), `${BASE}names:\n${names}`);
      return loadZones(dir).errors.map((e) => `${e.file}:${e.line} ${e.code} ${e.message}`);
    };

    it('may have no other record at all (RFC 1034 3.6.2); an address name keeps its TXT', () => {
      expect(
        zoneWith(
          'www TXT "hello"\nwww MX 10 mail\napi TXT "kept"\n',
          '  www:\n    policy: failover\n    pools: { a: [{ cname: lb.example.net }] }\n  api:\n    policy: failover\n    pools: { a: [192.0.2.1] }\n',
        ),
      ).to.deep.equal([
        "gslb.example.com/records.zone:6 E_ZONE_LB_NAME_HAS_RECORDS 'www.gslb.example.com.' is load-balanced by CNAME (gslb.example.com/names.yaml:7); a CNAME name has no other records",
        "gslb.example.com/records.zone:7 E_ZONE_LB_NAME_HAS_RECORDS 'www.gslb.example.com.' is load-balanced by CNAME (gslb.example.com/names.yaml:7); a CNAME name has no other records",
      ]);
    });

    it('a zone with a CNAME name and no records at it loads', () => {
      expect(
        zoneWith('', '  www:\n    policy: failover\n    pools: { a: [{ cname: lb.example.net }] }\n'),
      ).to.deep.equal([]);
    });
  });
});
