// Every E_GEO_* code (geo/geo-errors.ts) from a real file opened as serve opens it (and the one of a
// policy that needs an ASN database none of the files is), and a reload whose GeoIP file went bad
// reports the coded line on the admin API (the last good one serves on).
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GEO_ERRORS, GeoFileError } from '../geo/geo-errors.js';
import { openGeoData } from '../geo/geoip.js';
import { writeMmdb } from '../geo/mmdb-writer.js';
import { buildConfig } from '../server/node.js';
import { silentLogger } from '../server/log.js';
import { ask, type TestServer } from './helpers/dns.js';
import { cityDatabase } from './helpers/gslb.js';
import { serve, stopAll } from './helpers/processes.js';

const META = { ipVersion: 6 as const, languages: ['en'], buildEpoch: 1767225600 };

const countryDb = (): Buffer =>
  writeMmdb([{ network: '192.0.2.0/24', data: { country: { iso_code: 'DE' }, continent: { code: 'EU' } } }], {
    ...META,
    databaseType: 'GeoLite2-Country',
  });

/** Each code, and how to make a file that has it. */
const FIXTURES: ReadonlyArray<[string, (dir: string) => string]> = [
  ['E_GEO_FILE_MISSING', (dir) => join(dir, 'nope.mmdb')],
  [
    'E_GEO_FILE_UNREADABLE',
    (dir) => {
      mkdirSync(join(dir, 'folder.mmdb')); // a folder: unreadable as a file, for root too
      return join(dir, 'folder.mmdb');
    },
  ],
  [
    'E_GEO_NOT_MMDB',
    (dir) => {
      writeFileSync(join(dir, 'notes.txt'), 'network,country\n192.0.2.0/24,DE\n');
      return join(dir, 'notes.txt');
    },
  ],
  [
    'E_GEO_CORRUPT',
    (dir) => {
      // The search tree (first bytes) pointing far past the data section.
      const bytes = countryDb();
      bytes.fill(0xff, 0, 6);
      writeFileSync(join(dir, 'corrupt.mmdb'), bytes);
      return join(dir, 'corrupt.mmdb');
    },
  ],
  [
    'E_GEO_NO_LOCATIONS',
    (dir) => {
      // Neither locations nor ASNs: a connection-type database.
      const conn = writeMmdb([{ network: '192.0.2.0/24', data: { connection_type: 'Corporate' } }], {
        ...META,
        databaseType: 'GeoIP2-Connection-Type',
      });
      writeFileSync(join(dir, 'conn.mmdb'), conn);
      return join(dir, 'conn.mmdb');
    },
  ],
];

describe('GeoIP error codes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-geo-codes-'));
  });
  afterEach(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [code, make] of FIXTURES) {
    it(code, () => {
      const path = make(dir);
      let thrown: unknown = null;
      try {
        openGeoData([path]);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(GeoFileError);
      expect((thrown as GeoFileError).code, (thrown as Error).message).to.equal(code);
      expect((thrown as Error).message.startsWith(path), 'the message names the file').to.equal(true);
    });
  }

  it('E_GEO_NO_ASN_DATABASE: regions match asns, and no database given is an ASN database', () => {
    const r = buildConfig('test/fixtures/asn', openGeoData([cityDatabase()]), silentLogger);
    expect(r.built).to.equal(null);
    expect(r.errors[0]).to.match(/^asn\.test\/policy\.yaml:\d+: region 'isp-x' .* \[E_GEO_NO_ASN_DATABASE\]$/);
  });

  it('every code has a fixture, and a good database opens', () => {
    expect([...FIXTURES.map(([code]) => code), 'E_GEO_NO_ASN_DATABASE']).to.have.members(Object.keys(GEO_ERRORS));
    writeFileSync(join(dir, 'good.mmdb'), countryDb());
    expect(openGeoData([join(dir, 'good.mmdb')]).databases).to.have.length(1);
  });

  it('a reload whose GeoIP file went bad: 422 with the coded line, the last good configuration serves on', async () => {
    const zones = join(dir, 'zones', 'g.test');
    mkdirSync(zones, { recursive: true });
    writeFileSync(
      join(zones, 'records.zone'),
      '$ORIGIN g.test.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\n',
    );
    const geo = join(dir, 'country.mmdb');
    writeFileSync(geo, countryDb());
    const token = 'test-token-0123456789';
    const { node, port } = await serve(['--zones', join(dir, 'zones'), '--geoip', geo, '--admin', '127.0.0.1:0'], {
      GSLB_ADMIN_TOKEN: token,
    });
    const admin = (await node.waitFor(/admin on (http:\/\/127\.0\.0\.1:\d+)\//, 15_000))[1]!;
    writeFileSync(geo, 'not a database any more\n');
    const r = await fetch(`${admin}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).to.equal(422);
    const body = (await r.json()) as { errors: string[] };
    expect(body.errors).to.have.length(1);
    expect(body.errors[0]).to.match(/country\.mmdb: not a MaxMind DB .* \[E_GEO_NOT_MMDB\]$/);
    const answer = await ask({ host: '127.0.0.1', port } as TestServer, { name: 'ns1.g.test' });
    expect(answer.answer).to.deep.equal(['ns1.g.test 60 A 192.0.2.1']);
  });
});
