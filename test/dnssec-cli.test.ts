// gslb keygen and gslb ds through the real bin/gslb (issue 16 items 1 and 5): keygen writes BIND's
// format (BIND's own tools read it, sign a zone with it and verify that zone), ds prints what
// dnssec-dsfromkey -2 prints for the same key, for keys of either tool; gslb check reports a bad key
// with its file:line and code.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsOrSkip } from './helpers/dnssec-zone.js';

const APEX = 'example.test';
const RECORDS = '$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n';

const gslb = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/gslb', ...args], { encoding: 'utf8', timeout: 15_000 });

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('gslb keygen and gslb ds', function () {
  this.timeout(60_000);
  let root: string;
  const keys = () => join(root, APEX, 'keys');
  const keyFile = (base: string) => join(keys(), base + '.key');

  before(function () {
    toolsOrSkip(this, ['dnssec-keygen', 'dnssec-dsfromkey']);
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gslb-keygen-'));
    mkdirSync(join(root, APEX));
    writeFileSync(join(root, APEX, 'records.zone'), RECORDS);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** gslb keygen: exit 0, one base name on stdout. */
  function keygen(...flags: string[]): string {
    const r = gslb('keygen', '--zones', root, ...flags, APEX);
    expect(r.status, r.stderr).to.equal(0);
    const base = r.stdout.trim();
    expect(base).to.match(/^Kexample\.test\.\+01[35]\+[0-9]{5}$/);
    return base;
  }

  it('keygen: one combined ECDSA key (flags 257), .private 0600; ds equals dnssec-dsfromkey -2 on it', () => {
    const base = keygen();
    expect(readdirSync(keys()).sort()).to.deep.equal([base + '.key', base + '.private']);
    expect(statSync(join(keys(), base + '.private')).mode & 0o777).to.equal(0o600);
    expect(readFileSync(keyFile(base), 'utf8')).to.match(/^example\.test\. IN DNSKEY 257 3 13 /m);
    const ds = gslb('ds', '--zones', root, APEX);
    expect(ds.status, ds.stderr).to.equal(0);
    expect(ds.stdout).to.equal(run('dnssec-dsfromkey', ['-2', keyFile(base)]));
    expect(gslb('check', '--zones', root).status).to.equal(0);
  });

  it("keygen's files are BIND's: dnssec-settime reads the timing, dnssec-signzone signs with them, dnssec-verify accepts", function () {
    toolsOrSkip(this, ['dnssec-signzone', 'dnssec-verify', 'dnssec-settime', 'dnssec-dsfromkey']);
    const ksk = keygen('--ksk', '--algorithm', 'ED25519');
    const zsk = keygen('--zsk', '--algorithm', 'ED25519');
    const created = /^Created: ([0-9]{14})$/m.exec(readFileSync(join(keys(), ksk + '.private'), 'utf8'))![1];
    const [y, mo, d, h, mi, sec] = /^(....)(..)(..)(..)(..)(..)$/.exec(created!)!.slice(1).map(Number) as number[];
    const epoch = Date.UTC(y!, mo! - 1, d!, h!, mi!, sec!) / 1000;
    const times = run('dnssec-settime', ['-u', '-p', 'all', '-K', keys(), ksk]); // -u: seconds since the epoch
    for (const field of ['Created', 'Publish', 'Activate'])
      expect(times).to.match(new RegExp(`^${field}: ${epoch}$`, 'm'));
    expect(times).to.match(/^Inactive: UNSET$/m);
    expect(readFileSync(keyFile(zsk), 'utf8')).to.match(/ IN DNSKEY 256 3 15 /);
    const signed = join(root, 'signed.zone');
    // -S: BIND finds the keys in -K by itself, reads their timing and signs with those active;
    // -d: its dsset file goes to the temporary folder, not the working directory.
    run('dnssec-signzone', [
      '-S',
      '-q',
      '-d',
      root,
      '-K',
      keys(),
      '-o',
      APEX,
      '-f',
      signed,
      join(root, APEX, 'records.zone'),
    ]);
    const signedText = readFileSync(signed, 'utf8');
    for (const base of [ksk, zsk])
      expect(signedText).to.match(new RegExp(`[0-9]{14} ${Number(base.slice(-5))} example\\.test\\.`));
    run('dnssec-verify', ['-q', '-o', APEX, signed]);
    // ds prints the KSK only: the key that signs the DNSKEY RRset.
    const ds = gslb('ds', '--zones', root, APEX);
    expect(ds.stdout).to.equal(run('dnssec-dsfromkey', ['-2', keyFile(ksk)]));
  });

  it('keys from dnssec-keygen: ds gives what dnssec-dsfromkey -2 gives, one line per active SEP key', () => {
    mkdirSync(keys());
    const bind = (...args: string[]) => run('dnssec-keygen', ['-q', '-K', keys(), ...args, APEX]).trim();
    const ksk13 = bind('-a', 'ECDSAP256SHA256', '-f', 'KSK');
    const ksk15 = bind('-a', 'ED25519', '-f', 'KSK');
    bind('-a', 'ECDSAP256SHA256'); // a ZSK: no DS
    bind('-a', 'ECDSAP256SHA256', '-f', 'KSK', '-P', 'now', '-A', '+10d'); // published, not active: no DS yet
    const ds = gslb('ds', '--zones', root, APEX);
    expect(ds.status, ds.stderr).to.equal(0);
    const want = [ksk13, ksk15].map((b) => run('dnssec-dsfromkey', ['-2', keyFile(b)]).trim());
    expect(ds.stdout.trim().split('\n')).to.have.members(want);
    expect(ds.stdout.trim().split('\n')).to.have.length(2);
  });

  it('gslb check and gslb ds on a bad key: exit 1, the file:line and the code', () => {
    const base = keygen();
    writeFileSync(keyFile(base), readFileSync(keyFile(base), 'utf8').replace('DNSKEY 257 3 13', 'DNSKEY 257 3 8'));
    const line =
      readFileSync(keyFile(base), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('DNSKEY')) + 1;
    const where = `${APEX}/keys/${base}.key:${line}: `;
    const check = gslb('check', '--zones', root);
    expect(check.status).to.equal(1);
    expect(check.stderr).to.include(where);
    expect(check.stderr).to.match(
      /algorithm 8 \(RSASHA256\) is not supported: .* \[E_DNSSEC_UNSUPPORTED_ALGORITHM\]\n/,
    );
    const ds = gslb('ds', '--zones', root, APEX);
    expect([ds.status, ds.stdout]).to.deep.equal([1, '']);
    expect(ds.stderr).to.include(where).and.include('[E_DNSSEC_UNSUPPORTED_ALGORITHM]');
    rmSync(join(keys(), base + '.private'));
    expect(gslb('check', '--zones', root).stderr).to.include(`${APEX}/keys/${base}.key: `);
  });

  it('usage errors: an unknown zone, an unsigned zone, an unknown algorithm, --ksk with --zsk', () => {
    const cases: Array<[string[], string]> = [
      [['keygen', '--zones', root, 'nope.test'], 'E_CLI_UNKNOWN_ZONE'],
      [['ds', '--zones', root, 'nope.test'], 'E_CLI_UNKNOWN_ZONE'],
      [['ds', '--zones', root, 'bad..name'], 'E_CLI_UNKNOWN_ZONE'],
      [['ds', '--zones', root, APEX], 'E_CLI_ZONE_NOT_SIGNED'],
      [['keygen', '--zones', root, '--algorithm', 'RSASHA256', APEX], 'E_CLI_BAD_VALUE'],
      [['keygen', '--zones', root, '--ksk', '--zsk', APEX], 'E_CLI_CONFLICTING_FLAGS'],
      [['keygen', '--zones', root], 'E_CLI_MISSING_ARGUMENT'],
    ];
    for (const [args, code] of cases) {
      const r = gslb(...args);
      expect(
        [r.status, r.stderr.split('\n')[0]!.endsWith(`[${code}]`)],
        `${args.join(' ')}: ${r.stderr}`,
      ).to.deep.equal([2, true]);
    }
    expect(() => statSync(keys())).to.throw(); // nothing was written
    const unreadable = gslb('ds', '--zones', join(root, 'missing'), APEX);
    expect(unreadable.status).to.equal(1);
    expect(unreadable.stderr).to.match(
      new RegExp(`^${join(root, 'missing')}: zones directory not found.* \\[E_ZONES_UNREADABLE\\]\n$`),
    );
  });

  it('keygen names the zone as its folder does, whatever the case or final dot of APEX', () => {
    const base = keygen();
    const r = gslb('keygen', '--zones', root, '--algorithm', '15', 'EXAMPLE.test.');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Kexample\.test\.\+015\+[0-9]{5}\n$/);
    expect(readdirSync(keys())).to.include(base + '.key');
    expect(gslb('check', '--zones', root).status).to.equal(0);
  });
});
