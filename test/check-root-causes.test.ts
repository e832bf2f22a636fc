// Loading a zones directory reports root causes, not their follow-ons: --zones given a zone folder is
// one error naming the parent; a master-file line that fails to parse is not reported again as a
// missing SOA or NS; and `gslb check` prints exactly those lines.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadZones } from '../zones/load.js';
import { formatZoneError } from '../zones/records.js';

const GSLB = 'bin/gslb';
const ZONE = '$ORIGIN t.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\n';

describe('zones directory: root causes first', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-roots-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const messages = (zonesDir: string, cwd?: string): string[] => {
    const here = process.cwd();
    if (cwd) process.chdir(cwd);
    try {
      return loadZones(zonesDir).errors.map(formatZoneError);
    } finally {
      process.chdir(here);
    }
  };
  /** Each error as `file:line: CODE`: what most checks match, not the wording. */
  const codes = (zonesDir: string): string[] => loadZones(zonesDir).errors.map((e) => `${e.file}:${e.line}: ${e.code}`);

  it('--zones given a zone folder: one error that names its parent, however the folder is spelt', () => {
    const zone = join(dir, 'zones', 't.test');
    mkdirSync(join(zone, 'regions'), { recursive: true });
    writeFileSync(join(zone, 'records.zone'), ZONE);
    writeFileSync(join(zone, 'regions', 'eu.yaml'), 'regions:\n  default: { datacenters: [a] }\n');
    const cases: Array<[string, string | undefined, string]> = [
      [
        zone,
        undefined,
        `${zone}: is a zone folder (it holds records.zone); give its parent: --zones ${join(dir, 'zones')}`,
      ],
      ['t.test', join(dir, 'zones'), 't.test: is a zone folder (it holds records.zone); give its parent: --zones .'],
      ['t.test/', join(dir, 'zones'), 't.test/: is a zone folder (it holds records.zone); give its parent: --zones .'],
      ['.', zone, '.: is a zone folder (it holds records.zone); give its parent: --zones ..'],
    ];
    // The wording is the feature here (it names the parent to give); the code ends the line.
    for (const [given, cwd, expected] of cases)
      expect(messages(given, cwd), given).to.deep.equal([`${expected} [E_ZONES_IS_A_ZONE_FOLDER]`]);
  });

  it('a folder holding only policy files is a zone folder too; other YAML is not', () => {
    writeFileSync(join(dir, 'names.yaml'), 'names: {}\n');
    expect(messages(dir)).to.deep.equal([
      `${dir}: is a zone folder (it holds names.yaml); give its parent: --zones ${dirname(dir)} [E_ZONES_IS_A_ZONE_FOLDER]`,
    ]);
    rmSync(join(dir, 'names.yaml'));
    // A YAML file of something else beside the zone folders (a CI config, say) is not a policy file.
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  dns: {}\n');
    mkdirSync(join(dir, 't.test'));
    writeFileSync(join(dir, 't.test', 'records.zone'), ZONE);
    expect(messages(dir)).to.deep.equal([]);
  });

  it('a broken SOA or NS line is reported once, not again as a missing SOA or NS', () => {
    mkdirSync(join(dir, 't.test'));
    const broken = ZONE.replace('@ SOA', '@ SOAX').replace('  NS ns1', '  NS');
    writeFileSync(join(dir, 't.test', 'records.zone'), broken);
    expect(codes(dir)).to.deep.equal([
      't.test/records.zone:3: E_ZONE_BAD_TYPE',
      't.test/records.zone:4: E_ZONE_BAD_RDATA',
    ]);
    // Without a parse error, a missing SOA is still reported.
    writeFileSync(join(dir, 't.test', 'records.zone'), '$ORIGIN t.test.\n$TTL 60\n@ NS ns1\nns1 A 192.0.2.1\n');
    expect(codes(dir)).to.deep.equal(['t.test/records.zone:0: E_ZONE_MISSING_SOA']);
  });
});

describe('gslb check: root causes first, through the command', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-check-'));
    cpSync('examples/gslb.example.com', join(dir, 'examples', 'gslb.example.com'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const check = (zones: string) => spawnSync(process.execPath, [GSLB, 'check', '--zones', zones], { encoding: 'utf8' });

  it('a zone folder for --zones: one error naming the parent, then the count', () => {
    const r = check(join(dir, 'examples', 'gslb.example.com'));
    expect(r.status).to.equal(1);
    expect(r.stderr.split('\n').filter(Boolean)).to.deep.equal([
      `${join(dir, 'examples', 'gslb.example.com')}: is a zone folder (it holds records.zone); give its parent: --zones ${join(dir, 'examples')} [E_ZONES_IS_A_ZONE_FOLDER]`,
      '1 error(s); the configuration is not valid',
    ]);
  });

  it("the example with 'datacentres:': the misspelt section, one line for its 31 references, the count", () => {
    const file = join(dir, 'examples', 'gslb.example.com', 'datacenters.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^datacenters:/m, 'datacentres:'));
    const r = check(join(dir, 'examples'));
    expect(r.status).to.equal(1);
    expect(r.stderr.split('\n').filter(Boolean)).to.deep.equal([
      "gslb.example.com/datacenters.yaml:3: unknown section 'datacentres' (did you mean 'datacenters'?) [E_POLICY_UNKNOWN_SECTION]",
      'gslb.example.com/regions/americas.yaml:5: 31 references to datacenters not checked (here and in 4 other files): gslb.example.com/datacenters.yaml has errors [E_POLICY_NOT_CHECKED]',
      '2 error(s); the configuration is not valid',
    ]);
  });
});
