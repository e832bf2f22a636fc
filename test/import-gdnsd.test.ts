// gslb import gdnsd as tables: the vscf parser (values, escapes, includes, errors with their lines),
// plugin resources and geoip maps translated into policy, what cannot be translated listed with
// file:line, and the command's contract (exit 1 and nothing written unless --partial; an existing
// zone folder is never replaced).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { translateGdnsd } from '../zones/import/gdnsd/translate.js';
import { ImportError } from '../zones/import/import-errors.js';
import { formatPlace, type ImportResult } from '../zones/import/result.js';
import { parseVscf, readVscf, type VNode } from '../zones/import/gdnsd/vscf.js';

/** A vscf node as plain data (scalars as strings), for comparing. */
function plain(v: VNode): unknown {
  if (v.kind === 'scalar') return v.value;
  if (v.kind === 'array') return v.items.map(plain);
  return Object.fromEntries(v.entries.map((e) => [e.key, plain(e.value)]));
}

function syntaxError(text: string): string {
  try {
    parseVscf(text, 'cfg');
  } catch (err) {
    if (err instanceof ImportError) return err.format();
    throw err;
  }
  return 'parsed';
}

describe('gslb import gdnsd: the vscf parser', () => {
  const cases: ReadonlyArray<readonly [string, string, unknown]> = [
    [
      'fat arrows, no commas, quoting',
      `"options" => {\n listen => [ 192.0.2.1 192.0.2.2 ]\n}`,
      { options: { listen: ['192.0.2.1', '192.0.2.2'] } },
    ],
    [
      'equals and commas',
      'options = { listen = [ 192.0.2.1, 192.0.2.2, ], }',
      { options: { listen: ['192.0.2.1', '192.0.2.2'] } },
    ],
    ['compressed', 'options={listen=[192.0.2.1 192.0.2.2]}', { options: { listen: ['192.0.2.1', '192.0.2.2'] } }],
    ['both comment styles', 'a => 1 # shell\nb => 2 ; zone file\n', { a: '1', b: '2' }],
    [
      'escapes (gdnsd.config(5) examples)',
      'a => ex\\097mpl\\e\nb => "internal\\"doublequote"\nc => white\\ space\nd => "\\092==="',
      { a: 'example', b: 'internal"doublequote', c: 'white space', d: '\\===' },
    ],
    ['quoted braces', 'a => "braces{every[where]oh}my"', { a: 'braces{every[where]oh}my' }],
    ['nested arrays and hashes', 'x => { y => [ [1, 2], { z => 3 } ] }', { x: { y: [['1', '2'], { z: '3' }] } }],
    ['empty hash and array', 'a => {}, b => []', { a: {}, b: [] }],
  ];
  for (const [what, text, want] of cases)
    it(`parses ${what}`, () => expect(plain(parseVscf(text, 'cfg'))).to.deep.equal(want));

  it('keeps the line of every key and value', () => {
    const v = parseVscf('a => {\n  b => [\n    1,\n    2\n  ]\n}\n', 'cfg');
    if (v.kind !== 'hash') throw new Error('not a hash');
    const a = v.entries[0]!;
    expect(a.at.line).to.equal(1);
    if (a.value.kind !== 'hash') throw new Error('not a hash');
    const b = a.value.entries[0]!;
    expect(b.at.line).to.equal(2);
    expect(b.value.kind === 'array' && b.value.items.map((i) => i.line)).to.deep.equal([3, 4]);
  });

  const errors: ReadonlyArray<readonly [string, string, string]> = [
    ['an unclosed hash', 'a => {\n b => 1\n', `cfg:3: '{' is not closed by '}' [E_IMPORT_SOURCE_SYNTAX]`],
    ['a missing arrow', 'a => 1\nb 2\n', `cfg:2: '=>' or '=' expected after key 'b' [E_IMPORT_SOURCE_SYNTAX]`],
    ['a missing value', 'a => 1\nb =>\n}', `cfg:3: a value is missing before '}' [E_IMPORT_SOURCE_SYNTAX]`],
    ['an unterminated string', 'a => 1\nb => "x\n\n', `cfg:2: unterminated quoted string [E_IMPORT_SOURCE_SYNTAX]`],
    [
      'a duplicate key',
      'a => 1\n\na => 2',
      `cfg:3: key 'a' is defined twice (first at line 1) [E_IMPORT_SOURCE_SYNTAX]`,
    ],
    ['a stray $', 'a => $x', `cfg:1: unexpected '$' (only $include{...} may start with it) [E_IMPORT_SOURCE_SYNTAX]`],
    ['an unclosed array', 'a => [1,\n2', `cfg:1: '[' is not closed by ']' [E_IMPORT_SOURCE_SYNTAX]`],
  ];
  for (const [what, text, want] of errors)
    it(`reports ${what} with its line`, () => expect(syntaxError(text)).to.equal(want));

  it('merges $include files into a hash and takes one as a value, with their own file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-vscf-'));
    try {
      mkdirSync(join(dir, 'plugins.d'));
      writeFileSync(join(dir, 'plugins.d', 'a'), 'multifo => { r => { x => 192.0.2.1 } }\n');
      writeFileSync(join(dir, 'plugins.d', 'b'), '\nsimplefo => {}\n');
      writeFileSync(join(dir, 'listen'), '[ 127.0.0.1, 127.0.0.2 ]');
      writeFileSync(
        join(dir, 'config'),
        'options => { listen => $include{listen} }\nplugins => {\n  $include{plugins.d}\n}\n',
      );
      const v = readVscf(join(dir, 'config'));
      expect(plain(v)).to.deep.equal({
        options: { listen: ['127.0.0.1', '127.0.0.2'] },
        plugins: { multifo: { r: { x: '192.0.2.1' } }, simplefo: {} },
      });
      if (v.kind !== 'hash' || v.entries[1]!.value.kind !== 'hash') throw new Error('shape');
      expect(v.entries[1]!.value.entries[1]!.at).to.deep.equal({ file: join(dir, 'plugins.d', 'b'), line: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A gdnsd folder with `config` and one zone; returns the dir. */
function gdnsdDir(config: string, zone: string, apex = 'example.test'): string {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-gdnsd-unit-'));
  mkdirSync(join(dir, 'zones'));
  writeFileSync(join(dir, 'config'), config);
  writeFileSync(join(dir, 'zones', apex), zone);
  return dir;
}

const SOA = '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n';

/** The sections of a written policy.yaml, as the tests read them. */
interface Policy {
  readonly checks?: unknown;
  readonly datacenters?: unknown;
  readonly regions?: unknown;
  readonly names: Record<string, Record<string, unknown>>;
}

async function translate(config: string, dyn: string): Promise<{ r: ImportResult; policy: Policy; dir: string }> {
  const dir = gdnsdDir(config, SOA + dyn);
  const r = await translateGdnsd(dir, { origin: null });
  const text = r.zones[0]?.files.get('policy.yaml');
  return { r, policy: text ? (parseYaml(text) as Policy) : { names: {} }, dir };
}

describe('gslb import gdnsd: plugin resources as policy', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const cases: ReadonlyArray<readonly [string, string, string, Record<string, unknown>]> = [
    [
      'multifo: one datacenter, every address, up_thresh as min_up',
      'plugins => { multifo => { up_thresh => 0.6, web => { lb1 => 192.0.2.1, lb2 => 192.0.2.2, lb3 => 192.0.2.3 } } }',
      'www 60 DYNA multifo!web\n',
      {
        policy: 'failover',
        ttl: 60,
        min_ttl: 30,
        max_answers: 3,
        min_up: { web: '60%' },
        pools: { web: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] },
      },
    ],
    [
      'multifo with addrs_v4 and addrs_v6 arrays: max_answers counts one family',
      'plugins => { multifo => { m => { addrs_v4 => [192.0.2.1], addrs_v6 => [ "2001:db8::1" ] } } }',
      'www 60/20 DYNA multifo!m\n',
      { policy: 'failover', ttl: 60, min_ttl: 20, max_answers: 1, pools: { m: ['192.0.2.1', '2001:db8::1'] } },
    ],
    [
      'simplefo: primary then secondary',
      'plugins => { simplefo => { s => { primary => 192.0.2.1, secondary => 192.0.2.2 } } }',
      'www 30 DYNA simplefo!s\n',
      {
        policy: 'failover',
        ttl: 30,
        min_ttl: 15,
        max_answers: 1,
        pools: { primary: ['192.0.2.1'], secondary: ['192.0.2.2'] },
      },
    ],
    [
      'weighted ungrouped: one answer by weight',
      'plugins => { weighted => { w => { a => [ 192.0.2.1, 3 ], b => [ 192.0.2.2, 3 ] } } }',
      'www 30 DYNA weighted!w\n',
      {
        policy: 'failover',
        ttl: 30,
        min_ttl: 15,
        max_answers: 1,
        pools: {
          w: [
            { address: '192.0.2.1', weight: 3 },
            { address: '192.0.2.2', weight: 3 },
          ],
        },
      },
    ],
    [
      'weighted grouped: a datacenter per group, weighted policy',
      'plugins => { weighted => { w => { g1 => { a => [ 192.0.2.1, 1 ], b => [ 192.0.2.2, 1 ] }, g2 => { c => [ 192.0.2.3, 2 ] } } } }',
      'www 30 DYNA weighted!w\n',
      {
        policy: 'weighted',
        ttl: 30,
        min_ttl: 15,
        max_answers: 2,
        pools: { g1: ['192.0.2.1', '192.0.2.2'], g2: [{ address: '192.0.2.3', weight: 2 }] },
      },
    ],
    [
      'weighted CNAMEs in a DYNC',
      'plugins => { weighted => { cn => { a => [ a.example.net., 2 ], b => [ b.example.net., 1 ] } } }',
      'cdn 30 DYNC weighted!cn\n',
      {
        policy: 'failover',
        ttl: 30,
        min_ttl: 15,
        pools: { cn: [{ cname: 'a.example.net', weight: 2 }, { cname: 'b.example.net' }] },
      },
    ],
    [
      'metafo: failover in datacenter order, a %multifo reference and shortcuts',
      'plugins => { metafo => { resources => { r => { datacenters => [ b, a, c ], dcmap => { a => 192.0.2.1, b => %multifo!m, c => [ 192.0.2.5, 192.0.2.6 ] } } } }, multifo => { m => { x => 192.0.2.3, y => 192.0.2.4 } } }',
      'api 30 DYNA metafo!r\n',
      {
        policy: 'failover',
        ttl: 30,
        min_ttl: 15,
        max_answers: 2,
        pools: { b: ['192.0.2.3', '192.0.2.4'], a: ['192.0.2.1'], c: ['192.0.2.5', '192.0.2.6'] },
      },
    ],
    [
      "metafo's last-resort CNAME datacenter: the name's fallback CNAME",
      'plugins => { metafo => { resources => { r => { datacenters => [ a, bk ], dcmap => { a => [ 192.0.2.1, 192.0.2.2 ], bk => sorry.example.org. } } } } }',
      'api 30 DYNC metafo!r\n',
      {
        policy: 'failover',
        ttl: 30,
        min_ttl: 15,
        max_answers: 2,
        fallback: { cname: 'sorry.example.org' },
        pools: { a: ['192.0.2.1', '192.0.2.2'] },
      },
    ],
    [
      'a synthetic res/dc resource: that datacenter only',
      'plugins => { metafo => { resources => { r => { datacenters => [ a, b ], dcmap => { a => 192.0.2.1, b => 192.0.2.2 } } } } }',
      'www-b 30 DYNA metafo!r/b\n',
      { policy: 'failover', ttl: 30, min_ttl: 15, max_answers: 1, pools: { b: ['192.0.2.2'] } },
    ],
    [
      'static: a fixed address',
      'plugins => { static => { foo => 192.0.2.9 } }',
      'x 42 DYNA static!foo\n',
      { policy: 'failover', ttl: 42, min_ttl: 21, max_answers: 1, pools: { foo: ['192.0.2.9'] } },
    ],
  ];
  for (const [what, config, dyn, want] of cases)
    it(what, async () => {
      const { r, policy, dir } = await translate(config, dyn);
      dirs.push(dir);
      expect(r.untranslated.map(formatPlace)).to.deep.equal([]);
      expect(Object.values(policy.names)[0]).to.deep.equal(want);
    });

  it('geoip: map levels become regions by datacenter order, nets become cidrs, the top default the default region', async () => {
    const { r, policy, dir } = await translate(
      `plugins => { geoip => {
        maps => { m => { datacenters => [us, eu, ap], map => {
          default => [us, eu, ap]
          EU => { default => [eu, us, ap], SE => [ap, eu, us] }
          AS => [ap, eu, us]
          NA => { US => { WA => [ap, us, eu] }, CA => { default => [eu, us, ap] } }
        }, nets => { 10.0.0.0/8 => [eu, ap, us] } } }
        resources => { www => { map => m, dcmap => { us => 192.0.2.1, eu => 192.0.2.2, ap => 192.0.2.3 } } }
      } }`,
      'www 30 DYNA geoip!www\n',
    );
    dirs.push(dir);
    expect(r.untranslated).to.deep.equal([]);
    expect(policy.regions).to.deep.equal({
      eu_us_ap: { match: { continents: ['EU'], countries: ['CA'] }, datacenters: ['eu', 'us', 'ap'] },
      ap_eu_us: { match: { continents: ['AS'], countries: ['SE'] }, datacenters: ['ap', 'eu', 'us'] },
      ap_us_eu: { match: { subdivisions: ['US-WA'] }, datacenters: ['ap', 'us', 'eu'] },
      eu_ap_us: { match: { cidrs: ['10.0.0.0/8'] }, datacenters: ['eu', 'ap', 'us'] },
      default: { datacenters: ['us', 'eu', 'ap'] },
    });
    expect(policy.names['www']!['policy']).to.equal('geo');
  });

  it('geoip nets: read as the policy loader reads cidrs (written normalised; host bits set listed with the fix)', async () => {
    const config = (nets: string) =>
      `plugins => { geoip => {
        maps => { m => { datacenters => [us, eu], map => { default => [us, eu] }, nets => { ${nets} => [eu, us] } } }
        resources => { www => { map => m, dcmap => { us => 192.0.2.1, eu => 192.0.2.2 } } }
      } }`;
    const good = await translate(config('2001:DB8::/32'), 'www 30 DYNA geoip!www\n');
    const bad = await translate(config('10.1.2.3/8'), 'www 30 DYNA geoip!www\n');
    dirs.push(good.dir, bad.dir);
    expect(good.r.untranslated).to.deep.equal([]);
    expect((good.policy.regions as Record<string, unknown>)['eu_us']).to.deep.equal({
      match: { cidrs: ['2001:db8::/32'] },
      datacenters: ['eu', 'us'],
    });
    expect(bad.r.untranslated.map((u) => u.message)[0]).to.equal(
      "nets: '10.1.2.3/8' has host bits set; did you mean 10.0.0.0/8?",
    );
  });

  it('geoip auto_dc_coords: the nearest policy with datacenter locations', async () => {
    const { r, policy, dir } = await translate(
      `plugins => { geoip => {
        maps => { m => { datacenters => [us, de], auto_dc_coords => { us => [ 38.9, -77 ], de => [ 50.1, 8.7 ] } } }
        resources => { www => { map => m, dcmap => { us => 192.0.2.1, de => 192.0.2.2 } } }
      } }`,
      'www 30 DYNA geoip!www\n',
    );
    dirs.push(dir);
    expect(r.untranslated).to.deep.equal([]);
    expect(policy.names['www']!['policy']).to.equal('nearest');
    expect(policy.datacenters).to.deep.equal({
      us: { location: { lat: 38.9, lon: -77 } },
      de: { location: { lat: 50.1, lon: 8.7 } },
    });
  });

  it('service types: http_status and tcp_connect as checks, gdnsd defaults made explicit, a list as composite check', async () => {
    const { r, policy, dir } = await translate(
      `service_types => {
        web => { plugin => http_status, vhost => www.example.com, url_path => /hc, ok_codes => [200, 301] }
        db => { plugin => tcp_connect, port => 5432, interval => 4, up_thresh => 2, down_thresh => 3, ok_thresh => 1 }
      }
      plugins => { multifo => { m => { service_types => [web, db, up], a => 192.0.2.1 } } }`,
      'www 30 DYNA multifo!m\n',
    );
    dirs.push(dir);
    expect(r.untranslated).to.deep.equal([]);
    expect(policy.checks).to.deep.equal({
      web: {
        type: 'http',
        port: 80,
        path: '/hc',
        host: 'www.example.com',
        expect: [200, 301],
        interval: '10s',
        timeout: '5s',
        rise: 20,
        fall: 10,
      },
      db: { type: 'tcp', port: 5432, interval: '4s', timeout: '2s', rise: 2, fall: 3 },
    });
    expect(policy.names['www']!['check']).to.deep.equal(['web', 'db']);
    expect(r.notes.map((n) => n.message).join('\n')).to.include('down_thresh 10 counts failures until 10 successes');
  });

  it("takes a DYNA's TTL as gdnsd does: its own, else $TTL, else zones_default_ttl (not the last TTL written)", async () => {
    const dir = gdnsdDir(
      'options => { zones_default_ttl => 120 }\nplugins => { multifo => { m => { a => 192.0.2.1 } } }',
      '@ 3600 SOA ns1 hostmaster 1 3600 600 86400 60\n@ 3600 NS ns1\nns1 3600 A 192.0.2.1\na DYNA multifo!m\n$TTL 600\nb DYNA multifo!m\n',
    );
    dirs.push(dir);
    const r = await translateGdnsd(dir, { origin: null });
    const names = (parseYaml(r.zones[0]!.files.get('policy.yaml')!) as Policy).names;
    expect([names['a']!['ttl'], names['b']!['ttl']]).to.deep.equal([120, 600]);
  });

  it('lists the same address in two datacenters and the @Z/@F shorthands as untranslatable, $ADDR_LIMIT as a note', async () => {
    const { r, dir } = await translate(
      'plugins => { metafo => { resources => { r => {\n datacenters => [a, b]\n dcmap => { a => 192.0.2.1, b => [192.0.2.2, 192.0.2.1] } } } } }',
      'x 30 DYNA metafo!r\ny.@Z 30 A 192.0.2.7\n$ADDR_LIMIT_V4 2\n',
    );
    dirs.push(dir);
    expect(r.untranslated.map((u) => `${u.line}: ${u.message}`)).to.deep.equal([
      "3: metafo resource 'r': 192.0.2.1 is in datacenters 'a' and 'b': a gslb endpoint belongs to one datacenter of a name (give one of them another address, or merge the datacenters)",
      "6: gdnsd's @Z/@F name shorthand: write the name out (relative to the zone, or absolute)",
    ]);
    expect(r.notes.map((u) => `${u.line}: ${u.message}`)).to.include(
      "7: $ADDR_LIMIT_V4 (gdnsd 2; gdnsd 3 refuses it) left out: a load-balanced name's max_answers limits its answers",
    );
  });

  it('lists every untranslatable part with its file:line and why', async () => {
    const { r, policy, dir } = await translate(
      `options => {
        edns_client_subnet => false
      }
      service_types => {
        ext => { plugin => extmon, cmd => [ /bin/true ] }
      }
      plugins => {
        geoip => {
          maps => { m => { datacenters => [a, b], map => { EU => { FR => { Paris => [b, a] } }, AS => [] } } }
          resources => { g => { map => m, dcmap => { a => 192.0.2.1, b => 192.0.2.2 } } }
        }
        metafo => { resources => { r => { datacenters => [a, b], skip_first => true, dcmap => { a => 192.0.2.1, b => 192.0.2.2 } } } }
        multifo => { m => { service_types => ext, a => 192.0.2.1 } }
        weighted => { w => { multi => true, g1 => { a => [192.0.2.1, 1] }, g2 => { b => [192.0.2.2, 1] } } }
      }`,
      'g 30 DYNA geoip!g\nr 30 DYNA metafo!r\nm 30 DYNA multifo!m\nw 30 DYNA weighted!w\nx 30 DYNA reflect\n$INCLUDE other\n',
    );
    dirs.push(dir);
    const cfg = join(dir, 'config');
    const zone = join(dir, 'zones', 'example.test');
    const got = r.untranslated.map(formatPlace).map((l) => l.replace(dir, 'DIR'));
    expect(got, got.join('\n')).to.have.length(9);
    const want: ReadonlyArray<readonly [string, number, string]> = [
      [cfg, 2, 'edns_client_subnet => false'],
      [cfg, 9, "'Paris' is not an ISO 3166-2 subdivision code"],
      [cfg, 9, 'an empty datacenter list'],
      [cfg, 12, 'skip_first'],
      [cfg, 13, 'extmon runs a command'],
      [cfg, 14, 'grouped with multi => true'],
      [cfg, 10, "its map 'm' cannot be translated"],
      [zone, 9, 'reflect'],
      [zone, 10, '$INCLUDE'],
    ];
    // A service type without an equivalent is left out of a name that --partial still writes.
    expect(policy.names['m']).to.deep.equal({
      policy: 'failover',
      ttl: 30,
      min_ttl: 15,
      max_answers: 1,
      pools: { m: ['192.0.2.1'] },
    });
    expect(Object.keys(policy.names)).to.deep.equal(['m']);
    for (const [file, line, text] of want)
      expect(
        r.untranslated.some((u) => u.file === file && u.line === line && u.message.includes(text)),
        `${file}:${line} ${text} in\n${got.join('\n')}`,
      ).to.equal(true);
  });
});

describe('gslb import gdnsd: the command', () => {
  let dir = '';
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/gslb', 'import', 'gdnsd', ...args], { encoding: 'utf8' });
  beforeEach(() => {
    dir = gdnsdDir(
      'plugins => { multifo => { m => { a => 192.0.2.1 } } }',
      `${SOA}www 30 DYNA multifo!m\nzero 30 DYNA null\nstatic A 192.0.2.80\n`,
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 and writes nothing while a part is untranslatable', () => {
    const r = run(dir, join(dir, 'out'));
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(
      `${join(dir, 'zones', 'example.test')}:6: null (answers 0.0.0.0 and ::) has no equivalent`,
    );
    expect(r.stderr).to.include('[E_IMPORT_UNTRANSLATABLE]');
    expect(existsSync(join(dir, 'out'))).to.equal(false);
  });

  it('--partial writes the rest: the static records on the same lines and the policy', () => {
    const r = run(dir, join(dir, 'out'), '--partial');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include('(1 load-balanced name(s))');
    const zone = readFileSync(join(dir, 'out', 'example.test', 'records.zone'), 'utf8').split('\n');
    expect(zone[6]).to.equal('static A 192.0.2.80');
    expect(zone[4]).to.match(/^; moved to the policy by gslb import: www 30 DYNA multifo!m/);
    const check = spawnSync(process.execPath, ['bin/gslb', 'check', '--zones', join(dir, 'out')], { encoding: 'utf8' });
    expect(check.status, check.stderr).to.equal(0);
  });

  it('--origin imports one zone of DIR/zones/; files starting with a dot are skipped', () => {
    writeFileSync(join(dir, 'zones', 'other.test'), SOA);
    writeFileSync(join(dir, 'zones', '.example.test.swp'), 'not a zone');
    const r = run(dir, join(dir, 'out'), '--partial', '--origin', 'other.test');
    expect(r.status, r.stderr).to.equal(0);
    expect(existsSync(join(dir, 'out', 'other.test', 'records.zone'))).to.equal(true);
    expect(existsSync(join(dir, 'out', 'example.test'))).to.equal(false);
    const all = run(dir, join(dir, 'all'), '--partial');
    expect(all.status, all.stderr).to.equal(0);
    expect(all.stdout.trim().split('\n')).to.have.length(2);
  });

  it('never replaces an existing zone folder (E_IMPORT_OUT_EXISTS)', () => {
    mkdirSync(join(dir, 'out', 'example.test'), { recursive: true });
    const r = run(dir, join(dir, 'out'), '--partial');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include('[E_IMPORT_OUT_EXISTS]');
  });

  it('reports a vscf syntax error with file:line and writes nothing', () => {
    writeFileSync(join(dir, 'config'), 'plugins => {\n  multifo => { m => { a => 192.0.2.1 }\n');
    const r = run(dir, join(dir, 'out'));
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`${join(dir, 'config')}:3: '{' is not closed by '}' [E_IMPORT_SOURCE_SYNTAX]`);
    expect(r.stderr).not.to.match(/at .*\.js:\d+/);
  });

  it('a resource named like an object property (__proto__) keeps its datacenter; a plugin named constructor is unknown', () => {
    const d = gdnsdDir(
      'service_types => { x => { plugin => constructor } }\nplugins => { multifo => { __proto__ => { a => 192.0.2.1, service_types => x } } }',
      `${SOA}www 30 DYNA multifo!__proto__\n`,
    );
    try {
      const r = run(d, join(d, 'out'), '--partial');
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.include("service type 'x': unknown monitoring plugin 'constructor'");
      const policy = readFileSync(join(d, 'out', 'example.test', 'policy.yaml'), 'utf8');
      expect(policy).to.match(/^ {2}__proto__: \{\}$/m);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('names a DIR that is missing or a file, not the zones/ folder inside it', () => {
    const missing = run(join(dir, 'nope'), join(dir, 'out'));
    expect(missing.status).to.equal(1);
    expect(missing.stderr.trim()).to.equal(
      `${join(dir, 'nope')}: no such folder (gdnsd's config folder: gdnsd -c DIR) [E_IMPORT_SOURCE_UNREADABLE]`,
    );
    const file = run(join(dir, 'config'), join(dir, 'out'));
    expect(file.status).to.equal(1);
    expect(file.stderr).to.include(`${join(dir, 'config')}: is a file; give gdnsd's config folder`);
  });
});
