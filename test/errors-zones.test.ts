// Every code of the zone tables (zones/zone-errors.ts, zones/load-errors.ts) is produced by a real
// zones folder here, through loadZones as check and serve call it: no code in the tables (and in
// docs/errors.md) is dead, and each fixture fails if its error stops being reported or changes code.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ZONES_ERRORS } from '../zones/load-errors.js';
import { loadZones } from '../zones/load.js';
import { ZONE_ERRORS } from '../zones/zone-errors.js';

const HEAD = '$ORIGIN t.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\n';
const POLICY = [
  'datacenters: { dc1: {} }',
  'names:',
  '  lb: { policy: failover, pools: { dc1: [{ address: 192.0.2.20 }] } }',
  '',
].join('\n');

/** A zones folder: path (relative) -> content; a path ending in / is an empty folder. */
type Tree = Readonly<Record<string, string>>;

interface Fixture {
  readonly code: string;
  readonly tree: Tree;
  /** The zones directory to load, relative to the fixture's root ('' for the root itself). */
  readonly zones?: string;
  /** Runs after the tree is written (for a file that must not be readable). */
  readonly after?: (root: string) => void;
  /** Load through `gslb check` as the user nobody when running as root (who reads every file). */
  readonly unprivileged?: boolean;
}

const zone = (records: string): Tree => ({ 't.test/records.zone': HEAD + records });

const FIXTURES: readonly Fixture[] = [
  { code: 'E_ZONE_SYNTAX', tree: zone('x TXT "open\n') },
  { code: 'E_ZONE_SYNTAX', tree: zone('x A ( 192.0.2.9\n') },
  { code: 'E_ZONE_UNSUPPORTED_DIRECTIVE', tree: zone('$INCLUDE other.zone\n') },
  { code: 'E_ZONE_BAD_DIRECTIVE', tree: zone('$ORIGIN\n') },
  { code: 'E_ZONE_BAD_OWNER', tree: zone('a..b A 192.0.2.9\n') },
  { code: 'E_ZONE_NO_OWNER', tree: { 't.test/records.zone': '  A 192.0.2.9\n' + HEAD } },
  { code: 'E_ZONE_OUT_OF_ZONE', tree: zone('www.other.test. A 192.0.2.9\n') },
  { code: 'E_ZONE_BAD_TTL', tree: zone('x 5y A 192.0.2.9\n') },
  { code: 'E_ZONE_NO_TTL', tree: { 't.test/records.zone': 'x A 192.0.2.9\n' + HEAD } },
  { code: 'E_ZONE_BAD_CLASS', tree: zone('x CH A 192.0.2.9\n') },
  { code: 'E_ZONE_BAD_TYPE', tree: zone('x FOO 1\n') },
  { code: 'E_ZONE_BAD_RDATA', tree: zone('x A 192.0.2.300\n') },
  { code: 'E_ZONE_LB_NAME_HAS_RECORDS', tree: { ...zone('lb A 192.0.2.9\n'), 't.test/names.yaml': POLICY } },
  {
    code: 'E_ZONE_LB_BELOW_DELEGATION',
    tree: { ...zone('lb NS ns.elsewhere.test.\n'), 't.test/names.yaml': POLICY },
  },
  { code: 'E_ZONE_MULTIPLE_CNAME', tree: zone('x CNAME a\nx CNAME b\n') },
  { code: 'E_ZONE_CNAME_AND_OTHER_DATA', tree: zone('x CNAME a\nx TXT "b"\n') },
  { code: 'E_ZONE_SOA_NOT_AT_APEX', tree: zone('sub SOA ns1 host 1 2 3 4 5\n') },
  { code: 'E_ZONE_MULTIPLE_SOA', tree: zone('@ SOA ns2 host 2 2 3 4 5\n') },
  { code: 'E_ZONE_MISSING_SOA', tree: { 't.test/records.zone': '$ORIGIN t.test.\n$TTL 60\n@ NS ns1\n' } },
  {
    code: 'E_ZONE_MISSING_NS',
    tree: { 't.test/records.zone': '$ORIGIN t.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n' },
  },
  { code: 'E_ZONES_NOT_A_FOLDER', tree: { 'file.zone': HEAD }, zones: 'file.zone' },
  { code: 'E_ZONES_UNREADABLE', tree: {}, zones: 'nowhere' },
  { code: 'E_ZONES_IS_A_ZONE_FOLDER', tree: zone(''), zones: 't.test' },
  { code: 'E_ZONES_BAD_FOLDER_NAME', tree: { ...zone(''), 'a..b/records.zone': HEAD } },
  { code: 'E_ZONES_DUPLICATE_APEX', tree: { ...zone(''), 'T.test./records.zone': HEAD } },
  { code: 'E_ZONES_NO_MASTER_FILE', tree: { ...zone(''), 'u.test/': '' } },
  {
    code: 'E_ZONES_FILE_UNREADABLE',
    tree: zone(''),
    after: (root) => chmodSync(join(root, 't.test', 'records.zone'), 0o000),
    unprivileged: true,
  },
  { code: 'E_ZONES_NO_ZONES', tree: { 'README.txt': 'zones go here', '.hidden/records.zone': HEAD } },
];

describe('zone error codes: each one from a zones folder', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gslb-codes-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (tree: Tree): void => {
    for (const [path, text] of Object.entries(tree)) {
      if (path.endsWith('/')) mkdirSync(join(root, path), { recursive: true });
      else {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
    }
  };

  for (const f of FIXTURES) {
    it(`${f.code}: ${Object.keys(f.tree).join(', ') || '(nothing)'}`, () => {
      write(f.tree);
      f.after?.(root);
      const zonesDir = join(root, f.zones ?? '');
      if (f.unprivileged && process.getuid?.() === 0) {
        chmodSync(root, 0o755); // nobody may enter it, and read all but the unreadable file
        const r = spawnSync(process.execPath, ['bin/gslb', 'check', '--zones', zonesDir], {
          encoding: 'utf8',
          uid: 65534,
          gid: 65534,
        });
        expect(
          r.stderr.split('\n').filter((l) => / \[E_[A-Z_]+\]$/.test(l)),
          r.stderr,
        ).to.have.length(1);
        expect(r.stderr).to.include(` [${f.code}]\n`);
        return;
      }
      const errors = loadZones(zonesDir).errors;
      expect(
        errors.map((e) => e.code),
        errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'),
      ).to.deep.equal([f.code]);
    });
  }

  it('every code of the two tables has a fixture', () => {
    const covered = new Set(FIXTURES.map((f) => f.code));
    const codes = [...Object.keys(ZONE_ERRORS), ...Object.keys(ZONES_ERRORS)];
    expect(
      codes.filter((c) => !covered.has(c)),
      'codes without a fixture',
    ).to.deep.equal([]);
    expect(
      [...covered].filter((c) => !codes.includes(c)),
      'fixtures of no code',
    ).to.deep.equal([]);
  });

  it('two spellings of one apex: the second folder is refused, naming the first', () => {
    write({ ...zone(''), 'T.test./records.zone': HEAD });
    const errors = loadZones(root).errors;
    expect(errors.map((e) => [e.file, e.code])).to.deep.equal([['t.test', 'E_ZONES_DUPLICATE_APEX']]);
    expect(errors[0]!.message).to.equal("zone 't.test.' is also the folder T.test.: give each zone one folder");
  });
});
