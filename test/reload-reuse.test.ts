// What a reload reuses from the configuration it replaces: a zone's built policy while its policy files
// are byte for byte the same, and the compiled GeoIP databases while their files are unchanged.
import { expect } from 'chai';
import fs, {
  appendFileSync,
  copyFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledDatabasePath } from '../geo/bundled.js';
import { geoOpener } from '../server/cli/geo-files.js';
import { loadZones } from '../zones/load.js';
import { formatZoneError } from '../zones/records.js';
import { selfSignedCertificate } from './helpers/tls.js';

/** Runs fn with fs.readFileSync (and every module's ESM binding of it) calling spy after each read. */
function spyingOnReads<T>(spy: (path: string) => void, fn: () => T): T {
  const real = fs.readFileSync;
  fs.readFileSync = function (this: unknown, ...args: Parameters<typeof real>) {
    const out = real.apply(this, args);
    spy(String(args[0]));
    return out;
  } as typeof real;
  syncBuiltinESMExports();
  try {
    return fn();
  } finally {
    fs.readFileSync = real;
    syncBuiltinESMExports();
  }
}

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

  it('a CA file replaced right after the policy read it: the next reload builds with the new one', function () {
    // The check 'tls' pins demo-tls/cert.pem. The reuse digest must be of the bytes the policy was
    // built from: a digest of a later read (the new file) beside the old CA would be reused forever.
    const ca = join(zone(), 'demo-tls', 'cert.pem');
    const before = readFileSync(ca, 'utf8');
    const other = selfSignedCertificate();
    if (typeof other === 'string') return this.skip();
    let reads = 0;
    const first = spyingOnReads(
      (path) => {
        if (path === ca && ++reads === 1) writeFileSync(ca, other.cert);
      },
      () => loadZones(dir),
    );
    expect(first.errors.map(formatZoneError)).to.deep.equal([]);
    expect(reads, 'the CA file is read once per load').to.equal(1);
    expect(first.zones[0]!.policy.checks.get('tls')!.tlsCa).to.equal(before);
    const second = loadZones(dir, first.policies);
    expect(second.zones[0]!.policy.checks.get('tls')!.tlsCa).to.equal(other.cert);
    // Unchanged since: reused.
    expect(loadZones(dir, second.policies).zones[0]!.policy).to.equal(second.zones[0]!.policy);
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
