// What a reload reuses from the configuration it replaces: a zone's built policy while its policy files
// are byte for byte the same, and the compiled GeoIP databases while their files are unchanged.
import { expect } from 'chai';
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledDatabasePath } from '../geo/bundled.js';
import { geoOpener } from '../server/cli/serve.js';
import { loadZones } from '../zones/load.js';
import { formatZoneError } from '../zones/records.js';

describe('reload reuse', () => {
  let dir: string;
  const zone = () => join(dir, 'gslb.example.com');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-reuse-'));
    cpSync('examples', dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a master-file change keeps the built policy; the new records are served', () => {
    const first = loadZones(dir);
    expect(first.errors).to.deep.equal([]);
    appendFileSync(join(zone(), 'records.zone'), 'reuse-probe A 192.0.2.77\n');
    const second = loadZones(dir, first.policies);
    expect(second.errors).to.deep.equal([]);
    expect(second.zones[0]!.policy).to.equal(first.zones[0]!.policy);
    expect([...second.zones[0]!.nodes.keys()].some((k) => k.startsWith('\x0breuse-probe\x04gslb'))).to.equal(true);
  });

  it('a policy-file change builds the policy again', () => {
    const first = loadZones(dir);
    appendFileSync(
      join(zone(), 'names.yaml'),
      '  reuse-new:\n    policy: failover\n    pools:\n      us-east: [192.0.2.200]\n',
    );
    const second = loadZones(dir, first.policies);
    expect(second.errors).to.deep.equal([]);
    expect(second.zones[0]!.policy).to.not.equal(first.zones[0]!.policy);
    expect([...second.zones[0]!.policy.names.values()].map((n) => n.label)).to.include('reuse-new');
  });

  it('errors that point into a reused policy still carry its line', () => {
    const first = loadZones(dir);
    appendFileSync(join(zone(), 'records.zone'), 'www A 192.0.2.1\n');
    const fresh = loadZones(dir).errors.map(formatZoneError);
    const reused = loadZones(dir, first.policies).errors.map(formatZoneError);
    expect(fresh.join('\n')).to.match(/is load-balanced \(gslb\.example\.com\/names\.yaml:4\)/);
    expect(reused).to.deep.equal(fresh);
  });

  it('the GeoIP databases are compiled again only when a file changes', () => {
    const db = join(dir, 'country.mmdb');
    copyFileSync(bundledDatabasePath(), db);
    const open = geoOpener([db]);
    const first = open();
    expect(open()).to.equal(first);
    utimesSync(db, new Date(), new Date(Date.now() + 5000));
    const second = open();
    expect(second).to.not.equal(first);
    expect(open()).to.equal(second);
    rmSync(db);
    expect(() => open()).to.throw(/ENOENT/);
  });
});
