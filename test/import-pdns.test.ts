// gslb import pdns-lua, without PowerDNS: the Lua subset parser, each function's translation, what
// is untranslatable and why, the zone the importer returns, and the command (exit codes, --partial).
// The comparison with pdns_server itself is import-pdns-compare.test.ts.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { importPdnsLua, zoneOrigin } from '../zones/import/pdns/import-pdns.js';
import { LuaSubsetError, parseLuaSnippet } from '../zones/import/pdns/lua-parse.js';
import { Untranslatable } from '../zones/import/pdns/plan.js';
import { translateRecord } from '../zones/import/pdns/record.js';
import { buildCityFixture } from './helpers/geo-fixtures.js';
import { gslb } from './helpers/processes.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/pdns-lua/example.org.zone', import.meta.url));

describe('gslb import pdns-lua', function () {
  describe('the Lua subset parser', function () {
    const ok: [string, string, unknown][] = [
      ['an expression gets return', "ifportup(443, {'a', \"b\"})", [{ k: 'return', values: [{ k: 'call', fn: 'ifportup', args: [{ k: 'num', v: 443 }, { k: 'table', items: [{ k: 'str', v: 'a' }, { k: 'str', v: 'b' }], fields: new Map() }] }] }]],
      ['option tables with both key forms', "f({selector='all', ['x']=1})", [{ k: 'return', values: [{ k: 'call', fn: 'f', args: [{ k: 'table', items: [], fields: new Map<string, unknown>([['selector', { k: 'str', v: 'all' }], ['x', { k: 'num', v: 1 }]]) }] }] }]],
      ['escapes in strings', "'a\\'b\\65\\n'", [{ k: 'return', values: [{ k: 'str', v: "a'bA\n" }] }]],
      ['call without parentheses', "f{1} ", [{ k: 'return', values: [{ k: 'call', fn: 'f', args: [{ k: 'table', items: [{ k: 'num', v: 1 }], fields: new Map() }] }] }]],
      ['and binds tighter than or', 'a and b or c', [{ k: 'return', values: [{ k: 'or', a: { k: 'and', a: { k: 'name', name: 'a' }, b: { k: 'name', name: 'b' } }, b: { k: 'name', name: 'c' } }] }]],
      ['not and comparisons', "not x == 'y'", [{ k: 'return', values: [{ k: 'eq', a: { k: 'not', a: { k: 'name', name: 'x' } }, b: { k: 'str', v: 'y' } }] }]],
      ['a block with locals and if/elseif/else', ";local a, b = 1 if a then return a elseif b ~= nil then return b else return true end", [
        { k: 'local', names: ['a', 'b'], values: [{ k: 'num', v: 1 }] },
        { k: 'if', clauses: [
          { cond: { k: 'name', name: 'a' }, body: [{ k: 'return', values: [{ k: 'name', name: 'a' }] }] },
          { cond: { k: 'ne', a: { k: 'name', name: 'b' }, b: { k: 'nil' } }, body: [{ k: 'return', values: [{ k: 'name', name: 'b' }] }] },
        ], otherwise: [{ k: 'return', values: [{ k: 'bool', v: true }] }] },
      ]],
      ['comments and semicolons', ";-- a comment\n;x = 1; return x", [{ k: 'assign', name: 'x', values: [{ k: 'num', v: 1 }] }, { k: 'return', values: [{ k: 'name', name: 'x' }] }]],
    ]; // prettier-ignore
    for (const [what, code, tree] of ok)
      it(`parses ${what}`, function () {
        expect(parseLuaSnippet(code)).to.deep.equal(tree);
      });

    const bad: [string, RegExp][] = [
      ['function() return 1 end', /function definitions/],
      [';for i=1,2 do end', /'for' statements/],
      ['a.b', /indexing/],
      ['x:y()', /indexing and methods \(':'\)/],
      ['t[1]', /indexing/],
      ['1 + 2', /operator '\+'/],
      ["'a' .. 'b'", /operator '\.\.'/],
      ['#t', /operator '#'/],
      ["'unfinished", /unfinished string/],
      [';if x then return 1', /expected 'end' but found the end/],
      [';return 1 return 2', /'return' must end its block/],
      ['f(1,', /unexpected the end/],
      ['@', /unexpected character '@'/],
    ];
    for (const [code, why] of bad)
      it(`refuses ${code}`, function () {
        expect(() => parseLuaSnippet(code)).to.throw(LuaSubsetError, why);
      });
  });

  it('never crashes on arbitrary code: every snippet translates or is untranslatable with a reason', function () {
    const atoms = [
      'ifportup',
      'ifurlup',
      'pickwrandom',
      'view',
      'country',
      "'EU'",
      "'192.0.2.1'",
      "'2001:db8::1'",
      '443',
      '{',
      '}',
      '(',
      ')',
      ',',
      '=',
      '==',
      'and',
      'or',
      'not',
      'if',
      'then',
      'else',
      'end',
      'return',
      'local',
      'x',
      ';',
      "selector='all'",
      '[',
      ']',
      '"',
      '\\',
      '..',
      '-1',
      '0',
    ];
    let seed = 42;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    for (let n = 0; n < 2000; n++) {
      const code = Array.from({ length: 1 + (next() % 14) }, () => atoms[next() % atoms.length]).join(' ');
      for (const qtype of ['A', 'AAAA', 'CNAME'])
        try {
          translateRecord(qtype, code);
        } catch (err) {
          if (!(err instanceof Untranslatable)) throw new Error(`${qtype} ${code}: ${(err as Error).stack}`);
          expect((err as Error).message, code).to.match(/\w/);
        }
    }
  });

  describe('translation of one record', function () {
    const t = (code: string, qtype = 'A') => translateRecord(qtype, code);

    it('ifportup: a tcp check, one random address of those up (one datacenter, max_answers 1)', function () {
      const r = t("ifportup(443, {'192.0.2.1', '192.0.2.2'})");
      expect(r.branches).to.deep.equal([]);
      const p = r.otherwise!;
      expect(p).to.include({ policy: 'failover', maxAnswers: 1, fallback: null });
      expect(p.order.map((tier) => tier.map((s) => [s.dc, s.entries]))).to.deep.equal([
        [['192-0-2-1-x2', ['192.0.2.1', '192.0.2.2']]],
      ]);
      expect(p.check!.spec).to.deep.equal({ type: 'tcp', port: 443 });
      expect(r.notes).to.deep.equal([]);
    });

    it('ifportup options: selector all, hashed, pickclosest; backupSelector empty; timeout; minimumFailures', function () {
      expect(t("ifportup(80, {'192.0.2.1', '192.0.2.2'}, {selector='all'})").otherwise).to.include({
        maxAnswers: 2,
        every: true,
      });
      const hashed = t(
        "ifportup(80, {'192.0.2.1', '192.0.2.2'}, {selector='hashed', backupSelector='hashed'})",
      ).otherwise!;
      expect(hashed.policy).to.equal('tiers');
      expect(hashed.order.map((tier) => tier.map((s) => s.dc))).to.deep.equal([['192-0-2-1', '192-0-2-2']]);
      expect(t("ifportup(80, {'192.0.2.1'}, {selector='pickclosest'})").otherwise!.policy).to.equal('nearest');
      expect(t("ifportup(80, {'192.0.2.1'}, {backupSelector='empty'})").otherwise!.fallback).to.equal('nodata');
      expect(t("ifportup(80, {'192.0.2.1'}, {timeout='3', minimumFailures='2'})").otherwise!.check!.spec).to.deep.equal({
        type: 'tcp', port: 80, timeout: '3s', fall: 2,
      }); // prettier-ignore
      expect(t("ifportup(80, {'192.0.2.1'}, {timeout=10})").otherwise!.check!.spec).to.include({
        interval: '10s',
        timeout: '10s',
      });
      const odd = t("ifportup(80, {'192.0.2.1'}, {selector='roundrobin', backupSelector='all', source='10.0.0.1'})");
      expect(odd.notes.join('\n'))
        .to.match(/unknown selector 'roundrobin'/)
        .and.match(/source .* dropped/)
        .and.match(/backupSelector 'all'/);
    });

    it('ifurlup: groups fail over in order; the URL gives type, port, path and Host; stringmatch is the body', function () {
      const r = t(
        "ifurlup('http://www.example.com:8080/health?deep=1', {{'192.0.2.1', '192.0.2.2'}, {'198.51.100.1'}}, {stringmatch='OK'})",
      );
      const p = r.otherwise!;
      expect(p.order.map((tier) => tier.map((s) => s.dc))).to.deep.equal([['192-0-2-1-x2'], ['198-51-100-1']]);
      expect(p.check!.spec).to.deep.equal({
        type: 'http', port: 8080, path: '/health?deep=1', host: 'www.example.com', expect: [200], follow_redirects: true, body: 'OK',
      }); // prettier-ignore
      expect(r.notes.join('\n')).to.match(/backupSelector 'random' over all 3 addresses/);
      expect(t("ifurlup('https://192.0.2.1/', {'192.0.2.1'})").otherwise!.check!.spec).to.deep.equal({
        type: 'https', port: 443, path: '/', expect: [200], follow_redirects: true,
      }); // prettier-ignore
    });

    it('the pickers: weighted, hashed, nearest, random, all, literals', function () {
      const shape = (code: string, qtype = 'A') => {
        const p = t(code, qtype).otherwise!;
        const weights = (w: readonly number[] | undefined) => (w ? `(${w.join(',')})` : '');
        return [
          p.policy,
          p.maxAnswers,
          p.order.map((tier) => tier.map((s) => `${s.dc}:${s.weight}${weights(s.weights)}`)),
        ];
      };
      expect(shape("pickwhashed({{15, '192.0.2.1'}, {100, '198.51.100.5'}})")).to.deep.equal([
        'hashed',
        1,
        [['192-0-2-1:15', '198-51-100-5:100']],
      ]);
      expect(shape("pickwrandom({{1, '192.0.2.1'}, {3, '192.0.2.2'}})")).to.deep.equal([
        'failover',
        1,
        [['192-0-2-1-x2:1(1,3)']],
      ]);
      expect(shape("pickrandom({'192.0.2.1', '192.0.2.2'})")).to.deep.equal(['failover', 1, [['192-0-2-1-x2:1(1,1)']]]);
      expect(shape("pickhashed({'192.0.2.1', '192.0.2.2'})")).to.deep.equal([
        'hashed',
        1,
        [['192-0-2-1:1', '192-0-2-2:1']],
      ]);
      expect(shape("pickclosest({'192.0.2.1', '198.51.100.1'})")).to.deep.equal([
        'nearest',
        1,
        [['192-0-2-1:1', '198-51-100-1:1']],
      ]);
      expect(shape("all({'192.0.2.1', '192.0.2.2'})")).to.deep.equal(['failover', 2, [['192-0-2-1-x2:1']]]);
      expect(shape("{'192.0.2.1', '192.0.2.2', '192.0.2.3'}")).to.deep.equal(['failover', 3, [['192-0-2-1-x3:1']]]);
      expect(shape("'2001:db8::1'", 'AAAA')).to.deep.equal(['failover', 1, [['2001-db8--1:1']]]);
      expect(shape("pickrandomsample(2, {'192.0.2.1', '192.0.2.2', '192.0.2.3'})")).to.deep.equal([
        'failover',
        2,
        [['192-0-2-1-x3:1']],
      ]);
      expect(shape("pickrandom({'a.example.net', 'b.example.net.'})", 'CNAME')).to.deep.equal([
        'failover',
        1,
        [['a-example-net-x2:1(1,1)']],
      ]);
      // One datacenter per pick, so a random pick works under a condition too.
      const cond = t(
        ";if continent('EU') then return pickwrandom({{1, '192.0.2.1'}, {3, '192.0.2.2'}}) end return pickrandom({'192.0.2.9'})",
      );
      expect(cond.branches[0]!.plan.order[0]![0]!.weights).to.deep.equal([1, 3]);
    });

    it('conditions become region matches, in every written form', function () {
      const forms = [
        ";if continent('EU') or country({'us', 'CA'}) then return '192.0.2.1' else return '192.0.2.2' end",
        "(continent('EU') or country('US') or country('CA')) and '192.0.2.1' or '192.0.2.2'",
        ";local c = continentCode() local cc = countryCode() if c == 'eu' or cc == 'us' or 'ca' == cc then return '192.0.2.1' end return '192.0.2.2'",
      ];
      for (const code of forms) {
        const r = t(code);
        expect(
          r.branches.map((b) => b.match),
          code,
        ).to.deep.equal([{ countries: ['US', 'CA'], continents: ['EU'], asns: [], cidrs: [] }]);
        expect(r.otherwise!.order[0]![0]!.dc).to.equal('192-0-2-2');
      }
      const upper = t(";if countryCode() == 'US' or country('CA') then return '192.0.2.1' end return '192.0.2.2'");
      expect(upper.branches[0]!.match.countries).to.deep.equal(['CA']);
      expect(upper.notes.join('\n')).to.match(
        /countryCode\(\) == 'US' never matches: countryCode\(\) answers in lower case/,
      );
      const net = t(";if netmask({'10.0.0.0/8'}) or asnum({64500}) then return '192.0.2.1' end return '192.0.2.2'");
      expect(net.branches[0]!.match).to.deep.equal({
        countries: [],
        continents: [],
        asns: [64500],
        cidrs: ['10.0.0.0/8'],
      });
    });

    it('ifurlextup with branches that reassign a local (the form of PowerDNS GSLB setups): probes at the URLs', function () {
      const r = t(
        ";local na={['192.0.2.11']='http://127.0.0.1:15381/health'} local eu={['198.51.100.21']='http://127.0.0.1:15382/health'} " +
          "local c=continentCode() local o={na,eu} if c=='eu' or c=='af' then o={eu,na} end return ifurlextup(o, {selector='all'})",
      );
      const orders = (p: { order: readonly (readonly { dc: string; probes?: readonly string[] }[])[] }) =>
        p.order.map((tier) => tier.map((s) => `${s.dc}@${s.probes!.join()}`));
      expect(r.branches.map((b) => b.match.continents)).to.deep.equal([['EU', 'AF']]);
      expect(orders(r.branches[0]!.plan)).to.deep.equal([
        ['198-51-100-21@127.0.0.1:15382'],
        ['192-0-2-11@127.0.0.1:15381'],
      ]);
      expect(orders(r.otherwise!)).to.deep.equal([['192-0-2-11@127.0.0.1:15381'], ['198-51-100-21@127.0.0.1:15382']]);
      expect(r.otherwise!.check!.spec).to.deep.equal({
        type: 'http',
        path: '/health',
        expect: [200],
        follow_redirects: true,
      });
    });

    it('view(): a condition per rule matching its netmasks; a netmask inside an earlier rule never wins', function () {
      const r = t(
        "view({{{'192.168.0.0/16'}, {'192.168.1.54'}}, {{'192.168.1.0/24', '10.0.0.0/8'}, {'192.168.1.55'}}, {{'0.0.0.0/0'}, {'192.0.2.1', '192.0.2.2'}}})",
      );
      expect(r.branches.map((b) => b.match.cidrs)).to.deep.equal([['192.168.0.0/16'], ['10.0.0.0/8'], ['0.0.0.0/0']]);
      expect(r.branches.map((b) => b.plan.order[0]![0]!.entries)).to.deep.equal([
        ['192.168.1.54'],
        ['192.168.1.55'],
        ['192.0.2.1', '192.0.2.2'],
      ]);
      expect(r.otherwise).to.equal(null);
      expect(r.notes.join('\n'))
        .to.match(/192\.168\.1\.0\/24 is caught by an earlier condition \(192\.168\.0\.0\/16\)/)
        .and.match(/SERVFAIL/);
    });

    it('the first condition that holds wins, as in PowerDNS: what an earlier one catches leaves later ones', function () {
      const r = t(
        ";if continent('EU') then return '192.0.2.1' elseif country({'FR', 'US'}) then return '192.0.2.2' elseif country('DE') then return '192.0.2.3' else return '192.0.2.4' end",
      );
      expect(r.branches.map((b) => b.match.countries)).to.deep.equal([[], ['US']]);
      expect(r.notes.join('\n'))
        .to.match(/country FR is in continent EU/)
        .and.match(/condition 3 can never be reached/);
      const unknown = t(";if country({'UK', 'GB'}) then return '192.0.2.1' end return '192.0.2.2'");
      expect(unknown.branches[0]!.match.countries).to.deep.equal(['GB']);
      expect(unknown.notes.join('\n')).to.match(/country\('UK'\) never matches/);
      expect(t(";if country('GB') then return '192.0.2.1' end").notes.join('\n')).to.match(
        /PowerDNS fails their queries/,
      );
    });

    const untranslatable: [string, string, RegExp][] = [
      [
        'view() inside a condition',
        ";if country('US') then return view({{{'10.0.0.0/8'}, {'192.0.2.1'}}}) end",
        /view\(\) is read only as the whole value/,
      ],
      ['a view() rule without answers', "view({{{'10.0.0.0/8'}, {}}})", /rule 1 has no answers/],
      [
        'ifurlextup() URLs of different paths',
        "ifurlextup({{['192.0.2.1']='http://h/a', ['192.0.2.2']='http://h/b'}})",
        /differ in scheme, path/,
      ],
      ['createReverse()', "createReverse('%1%.example.com')", /PTR/],
      ['include()', ";include('config') return ifportup(80, USAips)", /include\(\)/],
      [
        'a condition with and',
        ";if country('US') and continent('NA') then return '192.0.2.1' end return '192.0.2.2'",
        /'and'/,
      ],
      ['a negated condition', ";if not country('US') then return '192.0.2.1' end return '192.0.2.2'", /negated/],
      ['region()', ";if region('CA') then return '192.0.2.1' end return '192.0.2.2'", /subdivisions/],
      ['an assignment', ";x = {'192.0.2.1'} return x", /assigns the global 'x'/],
      ["PowerDNS's variables", 'bestwho', /uses 'bestwho'/],
      ['an IPv6 address in an A record', "ifportup(80, {'2001:db8::1'})", /IPv6 address in a LUA A record/],
      ['an empty list', 'ifportup(80, {})', /empty/],
      [
        'check headers',
        "ifurlup('http://h/', {'192.0.2.1'}, {headers={X='y'}})",
        /the options must be a table|headers/,
      ],
      ['an ftp URL', "ifurlup('ftp://h/', {'192.0.2.1'})", /only http and https/],
      [
        'pickclosest over groups',
        "ifurlup('http://h/', {{'192.0.2.1'}, {'192.0.2.2'}}, {selector='pickclosest'})",
        /several groups/,
      ],
      [
        'nested ifs',
        ";if country('US') then if continent('NA') then return '192.0.2.1' end end return '192.0.2.2'",
        /control flow/,
      ],
      ['an unknown function', 'frobnicate()', /frobnicate\(\) is not a PowerDNS LUA record function/],
      ['several values', ";return '192.0.2.1', '192.0.2.2'", /returns 2 values/],
      ['addresses in a CNAME check', "ifportup(80, {'192.0.2.1'})", /LUA CNAME/],
    ];
    for (const [what, code, why] of untranslatable)
      it(`leaves out ${what}, saying why`, function () {
        expect(() => t(code, what.includes('CNAME') ? 'CNAME' : 'A')).to.throw(Untranslatable, why);
      });
  });

  describe('the zone it returns', function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(join(tmpdir(), 'gslb-import-pdns-unit-'));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it('finds the origin: --origin, else $ORIGIN, else the file name', function () {
      expect(zoneOrigin('$ORIGIN Example.ORG.\n@ SOA x y 1 2 3 4 5', 'a.zone', null)).to.equal('example.org');
      expect(zoneOrigin('$TTL 5\n$ORIGIN b.test.\n', 'a.zone', null)).to.equal('b.test');
      expect(zoneOrigin('@ SOA x y 1 2 3 4 5\n$ORIGIN later.test.\n', '/x/c.test.zone', null)).to.equal('c.test');
      expect(zoneOrigin('$ORIGIN b.test.\n', 'a.zone', 'given.test.')).to.equal('given.test');
    });

    it('lists each untranslatable record by line, and translates the rest', async function () {
      const r = await importPdnsLua(FIXTURE, { origin: null });
      expect(r.untranslated.map((u) => [u.line, u.message.slice(0, 40)])).to.deep.equal([
        [18, "LUA A near: pickclosest needs the addres"],
        [30, 'LUA TXT records have no equivalent: gslb'],
        [31, 'a LUA LUA record (code shared through in'],
        [34, "LUA A inc: include() runs another LUA re"],
      ]); // prettier-ignore
      expect(r.untranslated.every((u) => u.file === FIXTURE)).to.equal(true);
      const zone = r.zones[0]!;
      expect(zone.apex).to.equal('example.org');
      const policy = parseYaml(zone.files.get('policy.yaml')!) as { names: Record<string, Record<string, unknown>> };
      expect(Object.keys(policy.names)).to.have.members([
        'www',
        'west',
        'usa',
        'cdn',
        'wh',
        'wr',
        'rnd',
        'geo',
        'view',
      ]);
      // One name serves the A and the AAAA record: one datacenter holds both families.
      expect(policy.names['www']!['pools']).to.deep.equal({
        '192-0-2-1-x2': ['192.0.2.1', '192.0.2.2', '2001:db8::1', '2001:db8::2'],
      });
      expect(policy.names['wr']).to.deep.include({
        policy: 'failover',
        ttl: 60,
        pools: {
          '192-0-2-1-x2-3': [
            { address: '192.0.2.1', weight: 15 },
            { address: '198.51.100.5', weight: 100 },
          ],
        },
      });
      // Groups of the same addresses share a datacenter across names; other groups named alike get a suffix.
      expect(policy.names['west']!['pools']).to.have.keys('192-0-2-1-x2-2', '198-51-100-1');
      expect(policy.names['rnd']!['pools']).to.have.keys('192-0-2-1-x2-2');
      expect(policy.names['cdn']!['pools']).to.deep.equal({
        'usa-example-org': [{ cname: 'usa.example.org' }],
        'west-example-org': [{ cname: 'west.example.org' }],
      });
      const records = zone.files.get('records.zone')!;
      expect(records).to.match(/^www {5}IN TXT {2}"static records stay"$/m);
      expect(records.split('\n').filter((l) => /\bLUA\b/.test(l) && !l.startsWith(';'))).to.deep.equal([]);
    });

    it('places pickclosest addresses with --geoip as PowerDNS does (0,0 when the database has none)', async function () {
      const zonefile = join(dir, 'near.test.zone');
      writeFileSync(
        zonefile,
        [
          '$ORIGIN near.test.',
          '@ 300 IN SOA ns1 h 1 2 3 4 5',
          '@ 300 IN NS ns1',
          'ns1 300 IN A 192.0.2.53',
          "near 30 IN LUA A \"pickclosest({'81.2.69.142', '214.0.0.1', '192.0.2.1'})\"",
          '',
        ].join('\n'),
      );
      const r = await importPdnsLua(zonefile, { origin: null, geoip: buildCityFixture(dir) });
      expect(r.untranslated).to.deep.equal([]);
      const policy = parseYaml(r.zones[0]!.files.get('policy.yaml')!) as Record<
        string,
        Record<string, Record<string, unknown>>
      >;
      expect(policy['names']!['near']).to.include({ policy: 'nearest', max_answers: 1 });
      expect(policy['datacenters']!['81-2-69-142']!['location']).to.deep.equal({ lat: 51.5142, lon: -0.0931 });
      expect(policy['datacenters']!['192-0-2-1']!['location']).to.deep.equal({ lat: 0, lon: 0 });
      expect(r.notes.map((n) => n.message).join('\n')).to.match(/192\.0\.2\.1 has no location .* 0,0/);
    });

    it('an AAAA record that differs from the A record of its name is listed at its line', async function () {
      const zonefile = join(dir, 'mix.test.zone');
      writeFileSync(
        zonefile,
        [
          '$ORIGIN mix.test.',
          '@ 300 IN SOA ns1 h 1 2 3 4 5',
          'www 30 IN LUA A "ifportup(443, {\'192.0.2.1\'})"',
          'www 30 IN LUA AAAA "ifportup(80, {\'2001:db8::1\'})"',
          'www 30 IN LUA A "\'192.0.2.9\'"',
          '',
        ].join('\n'),
      );
      const r = await importPdnsLua(zonefile, { origin: null });
      expect(r.untranslated.map((u) => [u.line, u.message])).to.deep.equal([
        [4, 'LUA AAAA www: differs from the LUA record of the other family in its function, options or groups (one gslb name serves both)'],
        [5, 'LUA A www: another LUA A record of www is at line 3; gslb\'s name has one policy (merge them into one record)'],
      ]); // prettier-ignore
    });
  });

  describe('the command', function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), 'gslb-import-pdns-cli-'));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it('a FORMAT it does not have is a usage error, also one named like an object property', async function () {
      for (const format of ['bind', 'constructor', 'toString']) {
        const p = gslb(['import', format, FIXTURE, join(dir, 'out')]);
        expect(await p.exit(), format).to.equal(2);
        expect(p.stderr).to.include(`FORMAT '${format}' is not one gslb imports (gdnsd, pdns-lua) [E_CLI_BAD_VALUE]`);
        expect(p.stderr).not.to.match(/at .*\.js:\d+/);
      }
    });

    it('an owner named like an object property (__proto__) is a name like any other; constructor() is no function', async function () {
      const zonefile = join(dir, 'p.test.zone');
      writeFileSync(
        zonefile,
        [
          '$ORIGIN p.test.',
          '@ 300 IN SOA ns1 h 1 2 3 4 5',
          '@ 300 IN NS ns1',
          'ns1 300 IN A 192.0.2.1',
          `__proto__ 30 IN LUA A "ifportup(443, {'192.0.2.10', '192.0.2.11'})"`,
          `a 30 IN LUA A "constructor({'192.0.2.2'})"`,
          '',
        ].join('\n'),
      );
      const p = gslb(['import', 'pdns-lua', zonefile, join(dir, 'out'), '--partial']);
      expect(await p.exit(), p.stderr).to.equal(0);
      expect(p.stdout).to.include('(1 load-balanced name(s))');
      expect(p.stderr).to.include(
        `${zonefile}:6: LUA A a: constructor() is not a PowerDNS LUA record function gslb knows`,
      );
      expect(readFileSync(join(dir, 'out', 'p.test', 'policy.yaml'), 'utf8')).to.match(/^ {2}__proto__:$/m);
    });

    it('exits 1 and writes nothing while parts cannot be translated', async function () {
      const p = gslb(['import', 'pdns-lua', FIXTURE, join(dir, 'out')]);
      expect(await p.exit()).to.equal(1);
      expect(p.stderr).to.include(`${FIXTURE}:30: LUA TXT records have no equivalent`);
      expect(p.stderr).to.match(/4 part\(s\) cannot be translated; nothing written/);
      expect(existsSync(join(dir, 'out', 'example.org'))).to.equal(false);
    });

    it('with --partial writes the rest, which gslb check accepts', async function () {
      const p = gslb(['import', 'pdns-lua', FIXTURE, join(dir, 'out'), '--partial']);
      expect(await p.exit(), p.stderr).to.equal(0);
      expect(p.stdout).to.include('(9 load-balanced name(s))');
      expect(readFileSync(join(dir, 'out', 'example.org', 'policy.yaml'), 'utf8')).to.match(
        /^# Translated by gslb import pdns-lua/,
      );
      const check = gslb(['check', '--zones', join(dir, 'out')]);
      expect(await check.exit(), check.stderr + check.stdout).to.equal(0);
    });

    it('writes split tiers, nearest over both families and hashed picks under conditions that gslb check accepts', async function () {
      const zonefile = join(dir, 'h.test.zone');
      writeFileSync(
        zonefile,
        [
          '$ORIGIN h.test.',
          '@ 300 IN SOA ns1 h 1 2 3 4 5',
          '@ 300 IN NS ns1',
          'ns1 300 IN A 192.0.2.53',
          `hs IN LUA A "ifurlup('http://x.h.test/', {{'192.0.2.1','192.0.2.2'},{'198.51.100.1'}}, {selector='hashed', backupSelector='empty'})"`,
          `hs IN LUA AAAA "ifurlup('http://x.h.test/', {{'2001:db8::1','2001:db8::2'},{'2001:db8:1::1'}}, {selector='hashed', backupSelector='empty'})"`,
          `cl IN LUA A "pickclosest({'81.2.69.142','214.0.0.1'})"`,
          `cl IN LUA AAAA "pickclosest({'2a02:d180::1','2001:218::1'})"`,
          `wh IN LUA A ";if continent('EU') then return pickwhashed({{1,'192.0.2.1'},{2,'192.0.2.2'}}) else return pickhashed({'198.51.100.1'}) end"`,
          '',
        ].join('\n'),
      );
      const p = gslb(['import', 'pdns-lua', zonefile, join(dir, 'out'), '--geoip', buildCityFixture(dir)]);
      expect(await p.exit(), p.stderr).to.equal(0);
      const policy = parseYaml(readFileSync(join(dir, 'out', 'h.test', 'policy.yaml'), 'utf8')) as {
        names: Record<string, Record<string, unknown>>;
      };
      expect(policy.names['hs']).to.deep.include({
        policy: 'geo',
        fallback: 'nodata',
        regions: {
          default: {
            datacenters: [
              { '192-0-2-1': 1, '192-0-2-2': 1, '2001-db8--1': 1, '2001-db8--2': 1 },
              { '198-51-100-1': 1, '2001-db8-1--1': 1 },
            ],
          },
        },
      });
      expect(policy.names['cl']).to.include({ policy: 'nearest' });
      const check = gslb(['check', '--zones', join(dir, 'out')]);
      expect(await check.exit(), check.stderr + check.stdout).to.equal(0);
    });

    it('says when the --geoip database cannot be read', async function () {
      const p = gslb(['import', 'pdns-lua', FIXTURE, join(dir, 'out'), '--geoip', join(dir, 'none.mmdb')]);
      expect(await p.exit()).to.equal(1);
      expect(p.stderr.trim()).to.equal(
        `${join(dir, 'none.mmdb')}: GeoIP database not found (ENOENT) [E_IMPORT_SOURCE_UNREADABLE]`,
      );
    });

    it('says which file is missing, without a stack trace', async function () {
      const p = gslb(['import', 'pdns-lua', join(dir, 'nope.zone'), join(dir, 'out')]);
      expect(await p.exit()).to.equal(1);
      expect(p.stderr.trim()).to.equal(
        `${join(dir, 'nope.zone')}: cannot be read: no such file [E_IMPORT_SOURCE_UNREADABLE]`,
      );
    });
  });
});
