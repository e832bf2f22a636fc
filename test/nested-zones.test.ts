// Names that do not exist, where a parent zone and a zone delegated from it are both served: the
// answer comes from the most specific zone, its closest encloser decides NXDOMAIN, wildcard or
// referral. Over real UDP; plus the one-walk lookup checked against the two walks it replaced.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { closestExisting, compileCatalog, findZone } from '../server/catalog.js';
import { loadZones } from '../zones/load.js';
import { parseName, ROOT } from '../zones/name.js';
import { closestEncloser } from '../zones/zone.js';
import { ask, startTestServer, testGeo, type TestServer } from './helpers/dns.js';

const PARENT = `$ORIGIN nest.test.
$TTL 3600
@ SOA ns1 hostmaster 1 7200 900 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.2
a.b.ent A 192.0.2.3
*.w A 192.0.2.4
child NS ns1.child
ns1.child A 192.0.2.5
other NS ns.other
ns.other A 192.0.2.6
`;
const CHILD = `$ORIGIN child.nest.test.
$TTL 3600
@ SOA ns1 hostmaster 1 7200 900 1209600 60
@ NS ns1
ns1 A 192.0.2.5
host A 192.0.2.7
`;

describe('names that do not exist, with a parent zone and a delegated child zone both served', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-nest-'));
  let s: TestServer;
  before(async () => {
    mkdirSync(join(dir, 'nest.test'));
    writeFileSync(join(dir, 'nest.test', 'records.zone'), PARENT);
    mkdirSync(join(dir, 'child.nest.test'));
    writeFileSync(join(dir, 'child.nest.test', 'records.zone'), CHILD);
    s = await startTestServer(dir);
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('NXDOMAIN in the parent carries the parent SOA', async () => {
    const r = await ask(s, { name: 'nope.nest.test' });
    expect(r.rcode).to.equal(3);
    expect(r.aa).to.equal(true);
    expect(r.authority[0]).to.match(/^nest\.test 300 SOA/);
  });

  it('NXDOMAIN below the child apex comes from the child zone, with its SOA', async () => {
    const r = await ask(s, { name: 'a.b.nope.child.nest.test' });
    expect(r.rcode).to.equal(3);
    expect(r.aa).to.equal(true);
    expect(r.authority[0]).to.match(/^child\.nest\.test 60 SOA/);
  });

  it('below an empty non-terminal: NXDOMAIN; the empty non-terminal itself: NODATA', async () => {
    expect((await ask(s, { name: 'x.b.ent.nest.test' })).rcode).to.equal(3);
    const ent = await ask(s, { name: 'b.ent.nest.test' });
    expect(ent.rcode).to.equal(0);
    expect(ent.answer).to.deep.equal([]);
  });

  it('a wildcard covers missing names below its parent, at any depth', async () => {
    for (const name of ['x.w.nest.test', 'deep.x.w.nest.test']) {
      const r = await ask(s, { name });
      expect(r.rcode, name).to.equal(0);
      expect(r.answer, name).to.deep.equal([`${name} 3600 A 192.0.2.4`]);
    }
  });

  it('below a delegation not served here: a referral, not NXDOMAIN', async () => {
    const r = await ask(s, { name: 'x.y.other.nest.test' });
    expect(r.rcode).to.equal(0);
    expect(r.aa).to.equal(false);
    expect(r.authority).to.deep.equal(['other.nest.test 3600 NS ns.other.nest.test']);
  });

  it('outside every zone: REFUSED', async () => {
    expect((await ask(s, { name: 'x.nest.example' })).rcode).to.equal(5);
    expect((await ask(s, { name: 'test' })).rcode).to.equal(5);
  });

  it('one walk up the name finds the same zone and closest encloser as the two walks it replaced', () => {
    const loaded = loadZones(dir);
    const catalog = compileCatalog(loaded.zones, testGeo());
    const names = [
      'nope.nest.test',
      'a.b.nope.child.nest.test',
      'nope.child.nest.test',
      'x.b.ent.nest.test',
      'x.w.nest.test',
      'deep.x.w.nest.test',
      'x.y.other.nest.test',
      'x.ns1.child.nest.test',
      'x.nest.example',
    ];
    for (const name of names) {
      const parsed = parseName(name + '.', ROOT);
      if (!parsed.ok) throw new Error(parsed.error);
      const key = parsed.name.key;
      const zone = findZone(catalog, key);
      const found = closestExisting(catalog, key);
      if (zone === null) {
        expect(found, name).to.equal(null);
        continue;
      }
      expect(catalog.exact.get(found!)?.zone.name, name).to.equal(zone.name);
      expect(found, name).to.equal(closestEncloser(zone.zone, key).name.key);
    }
  });
});
