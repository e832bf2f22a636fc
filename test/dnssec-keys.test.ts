// DNSSEC keys from files (issue 16 item 1): keys written by BIND's dnssec-keygen and by ldns-keygen
// load with the tag their tool printed and a private key that signs for the public one; BIND's timing
// (dnssec-settime) decides what is published and signs; every broken key/ gives its code at file:line
// and the zone is not built; a signed zone has DNSKEY, CDS and CDNSKEY at its apex, and its master
// files may not give the records keys/ and the signer make; the policy's dnssec: section.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dsRdata, dsText } from '../zones/dnssec/ds.js';
import { formatTimestamp, parseTimestamp } from '../zones/dnssec/keyfile.js';
import { keyStateAt, keyTag, loadKeys } from '../zones/dnssec/keys.js';
import { ALGORITHM, DEFAULT_DNSSEC, type ZoneKey } from '../zones/dnssec/types.js';
import { loadZones } from '../zones/load.js';
import { parseMasterFile } from '../zones/masterfile.js';
import { parseName, type DnsName } from '../zones/name.js';
import { formatZoneError, QTYPE } from '../zones/records.js';
import { toolsOrSkip } from './helpers/dnssec-zone.js';

const APEX = 'example.test';
const apexName = (text = APEX): DnsName => (parseName(text + '.', null) as { ok: true; name: DnsName }).name;
const RECORDS = '$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n';

function run(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A zones folder with one zone (records and optional policy); returns its root. */
function zonesDir(root: string, apex = APEX, extra = '', policy?: string): string {
  mkdirSync(join(root, apex), { recursive: true });
  writeFileSync(join(root, apex, 'records.zone'), RECORDS + extra);
  if (policy !== undefined) writeFileSync(join(root, apex, 'policy.yaml'), policy);
  return root;
}

const keysOf = (root: string, apex = APEX): string => join(root, apex, 'keys');

/** dnssec-keygen into DIR/APEX/keys; the base name it prints and the tag in it. */
function bindKey(root: string, args: readonly string[], apex = APEX): { base: string; tag: number } {
  mkdirSync(keysOf(root, apex), { recursive: true });
  const base = run('dnssec-keygen', ['-q', '-K', keysOf(root, apex), ...args, apex]).trim();
  return { base, tag: Number(/\+([0-9]{5})$/.exec(base)![1]) };
}

/** The public key a DNSKEY holds, as a Node key made independently of the key reader. */
function publicKeyOf(dnskey: Buffer) {
  const key = dnskey.subarray(4);
  if (dnskey[3] === 13)
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: key.subarray(0, 32).toString('base64url'),
        y: key.subarray(32).toString('base64url'),
      },
      format: 'jwk',
    });
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') }, format: 'jwk' });
}

/** The private key signs, and the DNSKEY's public key verifies it. */
function expectSigns(k: ZoneKey): void {
  const data = Buffer.from('signed by ' + k.tag);
  const ecdsa = k.algorithm === 13;
  const sig = sign(ecdsa ? 'sha256' : null, data, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  expect(
    verify(ecdsa ? 'sha256' : null, data, { key: publicKeyOf(k.dnskey), dsaEncoding: 'ieee-p1363' }, sig),
  ).to.equal(true);
}

/** Every error of a load as `file:line: [CODE]`. */
const located = (errors: readonly { file: string; line: number; code: string }[]): string[] =>
  errors.map((e) => `${e.file}:${e.line} ${e.code}`);

describe('DNSSEC keys: files written by BIND and ldns', function () {
  let root: string;
  before(function () {
    toolsOrSkip(this, ['dnssec-keygen']);
  });
  beforeEach(() => {
    root = zonesDir(mkdtempSync(join(tmpdir(), 'gslb-keys-')));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('dnssec-keygen -a ECDSAP256SHA256 -f KSK: one combined key, the tag BIND printed, its timing', () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { base, tag } = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
    const { keys, errors } = loadKeys(root, APEX, apexName());
    expect(errors).to.deep.equal([]);
    expect(keys).to.have.length(1);
    const k = keys[0]!;
    expect([k.tag, k.algorithm, k.flags, k.sep, k.file]).to.deep.equal([
      tag,
      13,
      257,
      true,
      `${APEX}/keys/${base}.key`,
    ]);
    expect(k.publish).to.be.within(before, Date.now());
    expect(k.activate).to.equal(k.publish);
    expect([k.inactive, k.delete]).to.deep.equal([null, null]);
    expectSigns(k);
    const state = keyStateAt(keys, Date.now());
    expect([state.zsks, state.ksks, state.sepActive, state.published].map((l) => l.map((x) => x.tag))).to.deep.equal([
      [tag],
      [tag],
      [tag],
      [tag],
    ]);
  });

  it('dnssec-keygen -a ED25519: a zone-signing key', () => {
    const { tag } = bindKey(root, ['-a', 'ED25519']);
    const { keys, errors } = loadKeys(root, APEX, apexName());
    expect(errors).to.deep.equal([]);
    expect([keys[0]!.tag, keys[0]!.algorithm, keys[0]!.flags, keys[0]!.sep]).to.deep.equal([tag, 15, 256, false]);
    expectSigns(keys[0]!);
  });

  it('ldns-keygen keys (ECDSA KSK and Ed25519, no timing: published and active) load with the tag in their name', function () {
    toolsOrSkip(this, ['ldns-keygen']);
    mkdirSync(keysOf(root), { recursive: true });
    const ksk = run('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', APEX], keysOf(root)).trim();
    const zsk = run('ldns-keygen', ['-a', 'ED25519', APEX], keysOf(root)).trim();
    expect(readdirSync(keysOf(root))).to.include(`${ksk}.ds`); // ignored beside the pairs
    const { keys, errors } = loadKeys(root, APEX, apexName());
    expect(errors).to.deep.equal([]);
    const tagOf = (base: string) => Number(base.slice(-5));
    expect(keys.map((k) => [k.tag, k.algorithm, k.flags, k.publish, k.activate])).to.have.deep.members([
      [tagOf(ksk), 13, 257, null, null],
      [tagOf(zsk), 15, 256, null, null],
    ]);
    keys.forEach(expectSigns);
    const state = keyStateAt(keys, Date.now());
    expect(state.zsks.map((k) => k.tag)).to.deep.equal([tagOf(zsk)]);
    expect(state.ksks.map((k) => k.tag)).to.deep.equal([tagOf(ksk)]);
  });

  it('dnssec-settime -P/-A/-I/-D: the timing is read, the .private wins over the .key comments', () => {
    const { base } = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
    run('dnssec-settime', [
      '-K',
      keysOf(root),
      '-P',
      '20300101000000',
      '-A',
      '20300102000000',
      '-I',
      '20300201000000',
      '-D',
      '20300301000000',
      base,
    ]);
    const keyPath = join(keysOf(root), base + '.key');
    expect(readFileSync(keyPath, 'utf8')).to.include('; Activate: 20300102000000');
    const read = () => loadKeys(root, APEX, apexName(), Date.UTC(2030, 0, 3));
    const k = read().keys[0]!;
    expect([k.publish, k.activate, k.inactive, k.delete]).to.deep.equal([
      Date.UTC(2030, 0, 1),
      Date.UTC(2030, 0, 2),
      Date.UTC(2030, 1, 1),
      Date.UTC(2030, 2, 1),
    ]);
    // Comments that disagree with the .private lose; without timing in the .private they count.
    writeFileSync(
      keyPath,
      readFileSync(keyPath, 'utf8').replace('; Activate: 20300102000000', '; Activate: 20290102000000'),
    );
    expect(read().keys[0]!.activate).to.equal(Date.UTC(2030, 0, 2));
    const privatePath = join(keysOf(root), base + '.private');
    const privateText = readFileSync(privatePath, 'utf8');
    writeFileSync(
      privatePath,
      privateText
        .split('\n')
        .filter((l) => !/^(Created|Publish|Activate|Inactive|Delete):/.test(l))
        .join('\n'),
    );
    expect(read().keys[0]!.activate).to.equal(Date.UTC(2029, 0, 2));
    // Before the key is active the zone cannot sign: an error, and the zone is not built.
    writeFileSync(privatePath, privateText);
    const early = loadZones(root, undefined, Date.UTC(2030, 0, 1, 12));
    expect(located(early.errors)).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_NO_ACTIVE_KEY`]);
    expect(early.zones).to.deep.equal([]);
    const built = loadZones(root, undefined, Date.UTC(2030, 0, 2, 12));
    expect(built.errors).to.deep.equal([]);
    expect(built.zones[0]!.dnssec!.state.nextChange).to.equal(Date.UTC(2030, 1, 1));
    expect(located(loadZones(root, undefined, Date.UTC(2030, 1, 2)).errors)).to.deep.equal([
      `${APEX}/keys:0 E_DNSSEC_NO_ACTIVE_KEY`,
    ]);
  });

  it('DS from a key equals dnssec-dsfromkey -2 (and -C for CDS), for both algorithms', () => {
    for (const alg of ['ECDSAP256SHA256', 'ED25519']) {
      const { base, tag } = bindKey(root, ['-a', alg, '-f', 'KSK']);
      const k = loadKeys(root, APEX, apexName()).keys.find((x) => x.tag === tag)!;
      const keyFile = join(keysOf(root), base + '.key');
      expect(dsText(apexName(), k.dnskey)).to.equal(run('dnssec-dsfromkey', ['-2', keyFile]).trim());
      const cds = run('dnssec-dsfromkey', ['-C', '-2', keyFile]).trim().split(' ').slice(3).join(' ');
      const mine = dsRdata(apexName(), k.dnskey);
      expect(
        `${mine.readUInt16BE(0)} ${mine[2]} ${mine[3]} ${mine.subarray(4).toString('hex').toUpperCase()}`,
      ).to.equal(cds);
    }
  });

  describe('errors: code and file:line, the zone not built', () => {
    const rel = (base: string, ext: string) => `${APEX}/keys/${base}.${ext}`;
    const path = (base: string, ext: string) => join(keysOf(root), `${base}.${ext}`);
    const errorsOf = () => {
      const r = loadZones(root);
      expect(r.zones.map((z) => z.apex.key)).to.deep.equal([]);
      return r.errors;
    };

    it('a .key without its .private, and a .private without its .key', () => {
      const a = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
      const b = bindKey(root, ['-a', 'ECDSAP256SHA256']);
      unlinkSync(path(a.base, 'private'));
      unlinkSync(path(b.base, 'key'));
      expect(located(errorsOf())).to.have.members([
        `${rel(a.base, 'key')}:0 E_DNSSEC_MISSING_PRIVATE`,
        `${rel(b.base, 'private')}:0 E_DNSSEC_MISSING_PUBLIC`,
      ]);
    });

    it('a file that cannot be read (here a folder in its place)', () => {
      const a = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
      unlinkSync(path(a.base, 'private'));
      mkdirSync(path(a.base, 'private'));
      const [e] = errorsOf();
      expect(`${e!.file}:${e!.line} ${e!.code}`).to.equal(`${rel(a.base, 'private')}:0 E_DNSSEC_KEY_UNREADABLE`);
    });

    it("another zone's key: by its file name, and by its DNSKEY owner (at its line)", () => {
      const other = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK'], 'other.test');
      renameSync(keysOf(root, 'other.test'), keysOf(root));
      rmSync(join(root, 'other.test'), { recursive: true });
      expect(located(errorsOf())).to.deep.equal([`${rel(other.base, 'key')}:0 E_DNSSEC_OTHER_ZONE`]);
      // The same files renamed as if for this zone: the DNSKEY line (5) names the other zone.
      const renamed = other.base.replace('other.test.', `${APEX}.`);
      for (const ext of ['key', 'private']) renameSync(path(other.base, ext), path(renamed, ext));
      const [e] = errorsOf();
      expect(`${e!.file}:${e!.line} ${e!.code}`).to.equal(`${rel(renamed, 'key')}:5 E_DNSSEC_OTHER_ZONE`);
      expect(e!.message).to.include("a key for 'other.test.'");
    });

    it('an RSA key: the algorithm named, and which are supported', () => {
      const rsa = bindKey(root, ['-a', 'RSASHA256', '-b', '2048', '-f', 'KSK']);
      const [e, more] = errorsOf();
      expect(more).to.equal(undefined);
      expect(`${e!.file}:${e!.line} ${e!.code}`).to.equal(`${rel(rsa.base, 'key')}:5 E_DNSSEC_UNSUPPORTED_ALGORITHM`);
      expect(formatZoneError(e!)).to.include(
        'algorithm 8 (RSASHA256) is not supported: only 13 (ECDSAP256SHA256) and 15 (ED25519)',
      );
    });

    it("a .private that is another key's", () => {
      const a = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
      const b = bindKey(root, ['-a', 'ECDSAP256SHA256']);
      const bPrivate = readFileSync(path(b.base, 'private'));
      writeFileSync(path(a.base, 'private'), bPrivate);
      const [e] = errorsOf();
      expect(`${e!.file}:${e!.line} ${e!.code}`).to.equal(`${rel(a.base, 'private')}:3 E_DNSSEC_KEY_MISMATCH`);
      // An Ed25519 .private under an ECDSA .key: the algorithms differ.
      const c = bindKey(root, ['-a', 'ED25519']);
      writeFileSync(path(a.base, 'private'), readFileSync(path(c.base, 'private')));
      const [f] = errorsOf();
      expect(`${f!.file}:${f!.line} ${f!.code}`).to.equal(`${rel(a.base, 'private')}:3 E_DNSSEC_KEY_MISMATCH`);
    });

    it('garbage lines in the .key and in the .private, a bad date, bad base64', () => {
      const a = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
      const keyText = readFileSync(path(a.base, 'key'), 'utf8');
      const privateText = readFileSync(path(a.base, 'private'), 'utf8');
      const cases: Array<[string, string, string]> = [
        ['key', keyText + 'this is no record\n', `${rel(a.base, 'key')}:6`],
        ['key', keyText.replace('; Publish: ', '; Publish: 2026130'), `${rel(a.base, 'key')}:3`],
        ['key', keyText.replace(/DNSKEY 257 3 13 (\S+)/, 'DNSKEY 257 3 13 $1!'), `${rel(a.base, 'key')}:5`],
        ['private', privateText + 'garbage\n', `${rel(a.base, 'private')}:7`],
        ['private', privateText.replace('PrivateKey: ', 'PrivateKey: *'), `${rel(a.base, 'private')}:3`],
        ['private', privateText.replace(/Activate: [0-9]+/, 'Activate: 20261399000000'), `${rel(a.base, 'private')}:6`],
        ['private', privateText.replace(/PrivateKey: .*\n/, ''), `${rel(a.base, 'private')}:0`],
      ];
      for (const [ext, text, where] of cases) {
        writeFileSync(path(a.base, 'key'), keyText);
        writeFileSync(path(a.base, 'private'), privateText);
        writeFileSync(path(a.base, ext), text);
        expect(located(errorsOf()), text).to.deep.equal([`${where} E_DNSSEC_BAD_KEY_FILE`]);
      }
    });

    it('a file name whose tag is not the key tag; flags other than 256 and 257', () => {
      const a = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
      const wrong = a.base.replace(/[0-9]{5}$/, String((a.tag + 1) % 65536).padStart(5, '0'));
      for (const ext of ['key', 'private']) renameSync(path(a.base, ext), path(wrong, ext));
      const [e] = errorsOf();
      expect(`${e!.file}:${e!.line} ${e!.code}`).to.equal(`${rel(wrong, 'key')}:5 E_DNSSEC_FILE_NAME_MISMATCH`);
      expect(e!.message).to.include(`with tag ${a.tag}`);
      for (const ext of ['key', 'private']) renameSync(path(wrong, ext), path(a.base, ext));
      const keyText = readFileSync(path(a.base, 'key'), 'utf8');
      writeFileSync(path(a.base, 'key'), keyText.replace('DNSKEY 257 3', 'DNSKEY 385 3'));
      expect(located(errorsOf())).to.deep.equal([`${rel(a.base, 'key')}:5 E_DNSSEC_BAD_FLAGS`]);
    });

    it('no key active now: all inactive, or Activate still to come', () => {
      const a = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
      run('dnssec-settime', ['-K', keysOf(root), '-I', 'now', a.base]);
      expect(located(errorsOf())).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_NO_ACTIVE_KEY`]);
      run('dnssec-settime', ['-K', keysOf(root), '-I', 'none', '-A', '+1d', a.base]);
      expect(located(errorsOf())).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_NO_ACTIVE_KEY`]);
    });

    it('keys/ with no key (empty, or only other files), and keys that is not a folder', () => {
      mkdirSync(keysOf(root));
      expect(located(errorsOf())).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_NO_KEYS`]);
      writeFileSync(join(keysOf(root), 'Kexample.test.+013+12345.state'), 'Generated: 20260101000000\n');
      writeFileSync(join(keysOf(root), 'README'), 'keys\n');
      expect(located(errorsOf())).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_NO_KEYS`]);
      rmSync(keysOf(root), { recursive: true });
      writeFileSync(keysOf(root), 'not a folder\n');
      expect(located(errorsOf())).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_KEYS_UNREADABLE`]);
    });

    it('a broken keys/ stops only its own zone; a zone without keys/ is not signed', () => {
      zonesDir(root, 'plain.test');
      mkdirSync(keysOf(root));
      const r = loadZones(root);
      expect(r.zones.map((z) => [z.apex.key, z.dnssec])).to.deep.equal([[apexName('plain.test').key, null]]);
      expect(located(r.errors)).to.deep.equal([`${APEX}/keys:0 E_DNSSEC_NO_KEYS`]);
    });
  });
});

describe('keyStateAt: which keys are published and sign', () => {
  const T = 1_000_000_000_000;
  const H = 3_600_000;
  const privateKey = generateKeyPairSync('ed25519').privateKey;
  const key = (
    tag: number,
    flags: 256 | 257,
    t: Partial<Pick<ZoneKey, 'publish' | 'activate' | 'inactive' | 'delete'>> = {},
  ): ZoneKey => ({
    file: `K${tag}.key`,
    tag,
    algorithm: ALGORITHM.ED25519,
    flags,
    sep: flags === 257,
    dnskey: Buffer.from([flags >> 8, flags & 0xff, 3, 15, tag]),
    privateKey,
    publish: null,
    activate: null,
    inactive: null,
    delete: null,
    ...t,
  });
  const tags = (l: readonly ZoneKey[]) => l.map((k) => k.tag);
  const cases: Array<
    [string, ZoneKey[], { published: number[]; zsks: number[]; ksks: number[]; sepActive: number[]; next: number }]
  > = [
    [
      'a combined key without timing',
      [key(1, 257)],
      { published: [1], zsks: [1], ksks: [1], sepActive: [1], next: Infinity },
    ],
    [
      'KSK + ZSK',
      [key(1, 257, { publish: T - H, activate: T - H }), key(2, 256, { publish: T - H, activate: T - H })],
      { published: [1, 2], zsks: [2], ksks: [1], sepActive: [1], next: Infinity },
    ],
    [
      'a pre-published ZSK: in DNSKEY, signs nothing yet',
      [key(1, 257), key(2, 256, { activate: T - H }), key(3, 256, { publish: T - H, activate: T + 2 * H })],
      { published: [1, 2, 3], zsks: [2], ksks: [1], sepActive: [1], next: T + 2 * H },
    ],
    [
      'a ZSK not yet published',
      [key(1, 257), key(2, 256, { publish: T + H, activate: T + 3 * H })],
      { published: [1], zsks: [1], ksks: [1], sepActive: [1], next: T + H },
    ],
    [
      'an inactive ZSK: still published until Delete, the combined key signs',
      [key(1, 257), key(2, 256, { activate: T - 2 * H, inactive: T - H, delete: T + H })],
      { published: [1, 2], zsks: [1], ksks: [1], sepActive: [1], next: T + H },
    ],
    [
      'a deleted key is gone',
      [key(1, 257), key(2, 257, { activate: T - 3 * H, inactive: T - 2 * H, delete: T - H })],
      { published: [1], zsks: [1], ksks: [1], sepActive: [1], next: Infinity },
    ],
    [
      'a ZSK alone signs everything, DNSKEY too; no SEP key for CDS',
      [key(2, 256)],
      { published: [2], zsks: [2], ksks: [2], sepActive: [], next: Infinity },
    ],
    [
      'Activate set without Publish: published now (BIND), signing later',
      [key(1, 257), key(2, 257, { activate: T + H })],
      { published: [1, 2], zsks: [1], ksks: [1], sepActive: [1], next: T + H },
    ],
    [
      'every key inactive: nothing signs',
      [key(1, 257, { inactive: T })],
      { published: [1], zsks: [], ksks: [], sepActive: [], next: Infinity },
    ],
  ];
  for (const [what, keys, want] of cases)
    it(what, () => {
      const s = keyStateAt(keys, T);
      expect({
        published: tags(s.published),
        zsks: tags(s.zsks),
        ksks: tags(s.ksks),
        sepActive: tags(s.sepActive),
        next: s.nextChange,
      }).to.deep.equal(want);
    });

  it('the RFC 4034 appendix B key tag', () => {
    // RFC 4034 section 5.4's example DNSKEY (dskey.example.com.), key tag 60485.
    const dnskey = Buffer.concat([
      Buffer.from([1, 0, 3, 5]),
      Buffer.from(
        'AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==',
        'base64',
      ),
    ]);
    expect(keyTag(dnskey)).to.equal(60485);
  });

  it('BIND timestamps: UTC, and dates that do not exist are refused', () => {
    expect(parseTimestamp('20261207040851')).to.equal(Date.UTC(2026, 11, 7, 4, 8, 51));
    expect(formatTimestamp(Date.UTC(2026, 11, 7, 4, 8, 51, 700))).to.equal('20261207040851');
    for (const bad of ['20260231000000', '20261207240000', '2026120704085', 'x0261207040851'])
      expect(parseTimestamp(bad)).to.equal(null);
  });
});

describe('a signed zone: DNSKEY, CDS and CDNSKEY at the apex; what its master files may not hold', function () {
  let root: string;
  before(function () {
    toolsOrSkip(this, ['dnssec-keygen']);
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gslb-signed-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const rdatas = (z: ReturnType<typeof loadZones>['zones'][number], type: number) => {
    const set = z.nodes.get(z.apex.key)!.rrsets.get(type);
    return set ? { ttl: set.ttl, rdata: set.records.map((r) => (r.rdata[0] as Buffer).toString('hex')) } : null;
  };

  it('KSK + ZSK + a pre-published ZSK: DNSKEY has all three, CDS/CDNSKEY the KSK, TTL dnskey_ttl', () => {
    zonesDir(root, APEX, '', 'dnssec: { dnskey_ttl: 2h, validity: 240h }\n');
    const ksk = bindKey(root, ['-a', 'ECDSAP256SHA256', '-f', 'KSK']);
    const zsk = bindKey(root, ['-a', 'ECDSAP256SHA256']);
    const next = bindKey(root, ['-a', 'ECDSAP256SHA256', '-P', 'now', '-A', '+30d']);
    const r = loadZones(root);
    expect(r.errors).to.deep.equal([]);
    const z = r.zones[0]!;
    const byTag = new Map(z.dnssec!.keys.map((k) => [k.tag, k.dnskey.toString('hex')]));
    expect(rdatas(z, QTYPE.DNSKEY)!.ttl).to.equal(7200);
    expect(rdatas(z, QTYPE.DNSKEY)!.rdata).to.have.members([ksk.tag, zsk.tag, next.tag].map((t) => byTag.get(t)));
    expect(rdatas(z, QTYPE.CDNSKEY)).to.deep.equal({ ttl: 7200, rdata: [byTag.get(ksk.tag)] });
    const cds = run('dnssec-dsfromkey', ['-C', '-2', join(keysOf(root), ksk.base + '.key')])
      .trim()
      .split(/\s+/);
    expect(rdatas(z, QTYPE.CDS)).to.deep.equal({
      ttl: 7200,
      rdata: [
        Buffer.concat([Buffer.from([ksk.tag >> 8, ksk.tag & 0xff, 13, 2]), Buffer.from(cds[6]!, 'hex')]).toString(
          'hex',
        ),
      ],
    });
    expect(z.dnssec!.settings).to.deep.equal({
      validity: 864000,
      refresh: 216000,
      inceptionOffset: 3600,
      dnskeyTtl: 7200,
    });
    expect(z.dnssec!.state.zsks.map((k) => k.tag)).to.deep.equal([zsk.tag]);
    expect(z.dnssec!.state.nextChange).to.be.above(Date.now() + 29 * 86400_000);
  });

  it('a zone without keys/ has none of them, and serves DNSKEY, DS and NSEC given as data', () => {
    const data =
      '@ DNSKEY 257 3 13 ' + Buffer.alloc(64, 1).toString('base64') + '\n@ DS 1 13 2 ABCD\nx TYPE47 \\# 3 000000\n';
    zonesDir(root, APEX, data);
    const r = loadZones(root);
    expect(r.errors).to.deep.equal([]);
    expect(r.zones[0]!.dnssec).to.equal(null);
    expect(rdatas(r.zones[0]!, QTYPE.DNSKEY)!.rdata).to.have.length(1);
    expect(rdatas(r.zones[0]!, QTYPE.CDS)).to.equal(null);
  });

  it("a signed zone's master file: DNSKEY, CDS, CDNSKEY, DS at the apex, RRSIG/NSEC/NSEC3/NSEC3PARAM anywhere", () => {
    const lines = [
      '@ DNSKEY 257 3 13 ' + Buffer.alloc(64, 1).toString('base64'), // 5
      '@ TYPE59 \\# 4 00010d02', // 6 CDS
      '@ TYPE60 \\# 4 01010d03', // 7 CDNSKEY
      '@ DS 1 13 2 ABCD', // 8
      'x TYPE46 \\# 1 00', // 9 RRSIG
      'x TYPE47 \\# 1 00', // 10 NSEC
      'y TYPE50 \\# 1 00', // 11 NSEC3
      '@ TYPE51 \\# 1 00', // 12 NSEC3PARAM
      'sub NS ns.elsewhere.test.', // 13
      'sub DS 3 13 2 ABCD', // 14: fine, at the cut
    ];
    zonesDir(root, APEX, lines.join('\n') + '\n');
    bindKey(root, ['-a', 'ED25519', '-f', 'KSK']);
    const r = loadZones(root);
    expect(r.zones).to.deep.equal([]);
    expect(located(r.errors)).to.have.members(
      [5, 6, 7, 8, 9, 10, 11, 12].map((l) => `${APEX}/records.zone:${l} E_DNSSEC_SIGNER_RECORD`),
    );
  });

  it('a signed zone: DS only at a delegation (not at a name without NS, not below a cut)', () => {
    const lines = ['z DS 2 13 2 ABCD', 'sub NS ns.elsewhere.test.', 'sub DS 3 13 2 ABCD', 'deeper.sub DS 4 13 2 ABCD'];
    zonesDir(root, APEX, lines.join('\n') + '\n');
    bindKey(root, ['-a', 'ED25519', '-f', 'KSK']);
    expect(located(loadZones(root).errors)).to.have.members(
      [5, 8].map((l) => `${APEX}/records.zone:${l} E_DNSSEC_SIGNER_RECORD`),
    );
    zonesDir(root, APEX, 'sub NS ns.elsewhere.test.\nsub DS 3 13 2 ABCD\n');
    const r = loadZones(root);
    expect(r.errors).to.deep.equal([]);
    expect(r.zones[0]!.nodes.get(apexName('sub.' + APEX).key)!.rrsets.has(QTYPE.DS)).to.equal(true);
  });
});

describe('master files: DS and DNSKEY presentation', () => {
  const parse = (line: string) => parseMasterFile(`$TTL 60\n${line}\n`, { file: 'f', origin: apexName() });
  it('DS and DNSKEY read into their RDATA (split digest and key, algorithm mnemonics)', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const r = parse(`@ DNSKEY 256 3 ED25519 ${key.slice(0, 20)} ${key.slice(20)}\nsub DS 60485 5 2 ABCD ef01`);
    expect(r.errors).to.deep.equal([]);
    expect((r.records[0]!.rdata[0] as Buffer).toString('hex')).to.equal('0100030f' + '07'.repeat(32));
    expect((r.records[1]!.rdata[0] as Buffer).toString('hex')).to.equal('ec450502abcdef01');
  });
  for (const [line, message] of [
    ['@ DNSKEY 256 2 13 AAAA', "bad DNSKEY protocol '2'"],
    ['@ DNSKEY 256 3 13 AAA', 'is not base64'],
    ['@ DNSKEY 256 3 NOPE AAAA', "bad DNSKEY algorithm 'NOPE'"],
    ['@ DNSKEY 256 3 13', 'DNSKEY record needs 4 RDATA fields'],
    ['@ DS 1 13 2 ABC', 'not hex'],
    ['@ DS 1 13 2', 'DS record needs 4 RDATA fields'],
    ['@ DS 70000 13 2 AB', "bad DS key tag '70000'"],
  ])
    it(`refuses ${line}`, () => {
      const r = parse(line!);
      expect(r.errors.map((e) => [e.code, e.message.includes(message!)])).to.deep.equal([['E_ZONE_BAD_RDATA', true]]);
    });
});

describe('policy dnssec: section', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gslb-dnssec-policy-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const load = (policy: string) => loadZones(zonesDir(root, APEX, '', policy));

  it('defaults, refresh a quarter of validity; a section without keys/ is allowed (the zone is unsigned)', () => {
    const r = load('dnssec: { validity: 100h }\n');
    expect(r.errors).to.deep.equal([]);
    expect(r.zones[0]!.policy.dnssec).to.deep.equal({ ...DEFAULT_DNSSEC, validity: 360000, refresh: 90000 });
    expect(r.zones[0]!.dnssec).to.equal(null);
    expect(load('names: {}\n').zones[0]!.policy.dnssec).to.equal(null);
  });

  it('a setting in two files is an error naming both; settings in different files merge', () => {
    writeFileSync(join(zonesDir(root), APEX, 'more.yaml'), 'dnssec:\n  refresh: 2h\n');
    expect(load('dnssec:\n  validity: 10h\n').zones[0]!.policy.dnssec).to.include({ validity: 36000, refresh: 7200 });
    expect(load('dnssec:\n  validity: 14d\n').zones[0]!.policy.dnssec).to.include({ validity: 14 * 86400 });
    const r = load('dnssec:\n  refresh: 3h\n');
    expect(located(r.errors)).to.deep.equal([`${APEX}/policy.yaml:2 E_POLICY_DEFINED_TWICE`]);
  });

  for (const [yaml, where, code] of [
    ['dnssec:\n  validity: 30m\n', 2, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  validity: 9000h\n', 2, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  validity: 10h\n  refresh: 10h\n', 3, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  refresh: 30s\n', 2, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  inception_offset: 25h\n', 2, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  dnskey_ttl: 0\n', 2, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  dnskey_ttl: 1.5s\n', 2, 'E_POLICY_BAD_FORMAT'],
    ['dnssec:\n  validity: 14w\n', 2, 'E_POLICY_BAD_FORMAT'],
    ['dnssec:\n  validity: 366d\n', 2, 'E_POLICY_OUT_OF_RANGE'],
    ['dnssec:\n  valdity: 10h\n', 2, 'E_POLICY_UNKNOWN_KEY'],
  ] as const)
    it(`refuses ${yaml.replace(/\n/g, ' ')}at its key`, () => {
      const r = load(yaml);
      expect(located(r.errors)).to.deep.equal([`${APEX}/policy.yaml:${where} ${code}`]);
      if (code === 'E_POLICY_UNKNOWN_KEY') expect(r.errors[0]!.message).to.include("did you mean 'validity'");
    });
});
