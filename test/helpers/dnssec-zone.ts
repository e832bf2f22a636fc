// Signed test zones, with keys made at test time by BIND's own tools (dnssec-keygen, dnssec-settime,
// dnssec-dsfromkey from bind9-utils): what an operator does, so the server is tested on files it did
// not write. `validationZones` is the example zone plus every case a validator must see (delegations
// with and without DS, a signed child, a wildcard, a name that can go NODATA); `exampleZoneCopy` is the
// example zone as shipped. Nothing private is committed: every key lives in a temporary folder.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipOrFail } from './skip.js';

export const EXAMPLE_APEX = 'gslb.example.com';
/** A signed zone delegated from the example zone and served by the same server (DS in the parent). */
export const CHILD_APEX = `sub.${EXAMPLE_APEX}`;
/** A delegation with a DS whose child is not served: only the parent's side of the cut is ours. */
export const SIGNED_CUT = `signed.${EXAMPLE_APEX}`;

/** The Debian tools these tests run, with the package that has them (for the skip message). */
export const DNSSEC_TOOLS: Readonly<Record<string, string>> = {
  'dnssec-keygen': 'bind9-utils',
  'dnssec-settime': 'bind9-utils',
  'dnssec-dsfromkey': 'bind9-utils',
  'dnssec-signzone': 'bind9-utils',
  'dnssec-verify': 'bind9-utils',
  'ldns-keygen': 'ldnsutils',
  delv: 'bind9-dnsutils',
  dig: 'bind9-dnsutils',
  unbound: 'unbound',
  'unbound-control': 'unbound',
  named: 'bind9',
  'named-checkconf': 'bind9-utils',
  dnsdist: 'dnsdist',
  kdig: 'knot-dnsutils',
  pdns_server: 'pdns-server',
};

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Skips the suite with a visible reason when one of `tools` is missing, except under CI=true, where a
 * missing tool fails the run (as helpers/redis.ts does for redis-server). Call from a before() hook.
 */
export function toolsOrSkip(ctx: Mocha.Context, tools: readonly string[]): void {
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => DNSSEC_TOOLS[t] ?? t))].join(' ');
  skipOrFail(ctx, `missing ${missing.join(', ')} (apt-get install ${pkgs})`);
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export type TestAlgorithm = 13 | 15;
const ALGORITHM_NAMES: Record<TestAlgorithm, string> = { 13: 'ECDSAP256SHA256', 15: 'ED25519' };

/** BIND timing metadata, as dnssec-keygen and dnssec-settime take it: `now`, `+1d`, `-2h`, YYYYMMDDHHMMSS. */
export interface KeyTimes {
  readonly publish?: string;
  readonly activate?: string;
  readonly inactive?: string;
  readonly delete?: string;
}

function timeFlags(t: KeyTimes): string[] {
  // An offset in the past is written "now-2d" ("-2d" would read as a flag).
  const at = (v: string) => (v.startsWith('-') ? `now${v}` : v);
  return [
    ...(t.publish ? ['-P', at(t.publish)] : []),
    ...(t.activate ? ['-A', at(t.activate)] : []),
    ...(t.inactive ? ['-I', at(t.inactive)] : []),
    ...(t.delete ? ['-D', at(t.delete)] : []),
  ];
}

/** One key pair written by dnssec-keygen. */
export interface TestKey {
  /** The path without `.key` / `.private`. */
  readonly base: string;
  readonly keyFile: string;
  readonly tag: number;
  readonly algorithm: TestAlgorithm;
  /** Made with `-f KSK` (flags 257). */
  readonly ksk: boolean;
}

/** `dnssec-keygen -K DIR -a ALG [-f KSK] [-P/-A/-I/-D ...] -n ZONE APEX`. */
export function dnssecKeygen(
  keysDir: string,
  apex: string,
  algorithm: TestAlgorithm,
  ksk: boolean,
  times: KeyTimes = {},
): TestKey {
  mkdirSync(keysDir, { recursive: true });
  const args = ['-q', '-K', keysDir, '-a', ALGORITHM_NAMES[algorithm], '-n', 'ZONE'];
  if (ksk) args.push('-f', 'KSK');
  const name = run('dnssec-keygen', [...args, ...timeFlags(times), apex]).trim();
  const m = /^K.+\.\+(\d{3})\+(\d{5})$/.exec(name);
  if (!m) throw new Error(`dnssec-keygen printed ${JSON.stringify(name)}`);
  const base = join(keysDir, name);
  return { base, keyFile: `${base}.key`, tag: Number(m[2]), algorithm, ksk };
}

/** `dnssec-settime` on a key's files (both .key and .private are rewritten). */
export function dnssecSettime(key: TestKey, times: KeyTimes): void {
  run('dnssec-settime', ['-K', join(key.base, '..'), ...timeFlags(times), key.base]);
}

/** `dnssec-dsfromkey -2`: the SHA-256 DS of a key file, as one presentation line. */
export function dsFromKey(key: TestKey): string {
  return normalizeDs(run('dnssec-dsfromkey', ['-2', key.keyFile]))[0]!;
}

/** `dnssec-dsfromkey -2 -f - APEX` over DNSKEY lines (what the server served): one DS line per SEP key. */
export function dsFromDnskeys(apex: string, dnskeyLines: readonly string[]): string[] {
  const r = spawnSync('dnssec-dsfromkey', ['-2', '-f', '-', apex], {
    input: dnskeyLines.join('\n') + '\n',
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`dnssec-dsfromkey -f - exited ${r.status}: ${r.stderr}`);
  return normalizeDs(r.stdout);
}

/**
 * DS lines in one spelling, `apex. IN DS TAG ALG 2 HEX` (hex upper case), from any text holding them
 * (dnssec-dsfromkey's output, `gslb ds`'s, a zone file): what the tests compare and give as anchors.
 */
export function normalizeDs(text: string): string[] {
  const out: string[] = [];
  const re = /^\s*(\S+?)\.?\s+(?:\d+\s+)?(?:IN\s+)?DS\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9A-Fa-f\s]+?)\s*$/gm;
  for (const m of text.matchAll(re)) {
    const hex = m[5]!.replace(/\s+/g, '').toUpperCase();
    out.push(`${m[1]!.toLowerCase()}. IN DS ${m[2]} ${m[3]} ${m[4]} ${hex}`);
  }
  return out;
}

/** How a zone is keyed: one combined signing key (SEP, 257) or a KSK (257) plus a ZSK (256). */
export interface KeySetup {
  readonly algorithm: TestAlgorithm;
  readonly split: boolean;
}

export const KEY_SETUPS: readonly KeySetup[] = [
  { algorithm: 13, split: false },
  { algorithm: 13, split: true },
  { algorithm: 15, split: false },
  { algorithm: 15, split: true },
];

export const setupName = (s: KeySetup): string =>
  `${s.algorithm === 13 ? 'ECDSAP256SHA256 (13)' : 'Ed25519 (15)'}, ${s.split ? 'KSK + ZSK' : 'combined key'}`;

/** Keys for a zone per the setup: the SEP key (KSK or combined) first, then the ZSK if any. */
export function keyZone(zonesDir: string, apex: string, setup: KeySetup): { sep: TestKey; zsk: TestKey | null } {
  const keysDir = join(zonesDir, apex, 'keys');
  const sep = dnssecKeygen(keysDir, apex, setup.algorithm, true);
  const zsk = setup.split ? dnssecKeygen(keysDir, apex, setup.algorithm, false) : null;
  return { sep, zsk };
}

/**
 * A copy of the shipped example zone (examples/gslb.example.com) in `zonesDir`, keyed per `setup`;
 * `extraRecords` (master file lines) are appended to its records.zone.
 */
export function exampleZoneCopy(
  zonesDir: string,
  setup: KeySetup,
  extraRecords = '',
): { sep: TestKey; zsk: TestKey | null } {
  const zone = join(zonesDir, EXAMPLE_APEX);
  cpSync(join('examples', EXAMPLE_APEX), zone, { recursive: true });
  if (extraRecords) appendFileSync(join(zone, 'records.zone'), `\n${extraRecords}\n`);
  return keyZone(zonesDir, EXAMPLE_APEX, setup);
}

/** A TXT RRset of about 400 bytes: fits 512 bytes unsigned, not with its RRSIG. */
export const BIG_TXT = `big IN TXT "${'a'.repeat(200)}" "${'b'.repeat(200)}"`;

/**
 * Records added to the example zone's: a delegation whose DS is present (the signed child zone
 * sub.gslb.example.com, served by the same server), two whose name servers are out of reach (glue
 * only; `signed` with a DS, `unsigned` without), a wildcard, and a big TXT (a signed reply that does
 * not fit 512 bytes).
 */
function extraRecords(childDs: string, signedDs: string): string {
  const rdata = (ds: string) => ds.replace(/^\S+\s+IN\s+DS\s+/, '');
  return [
    '',
    '; Added by the DNSSEC tests (test/helpers/dnssec-zone.ts).',
    'sub          IN NS   ns1.sub',
    `sub          IN DS   ${rdata(childDs)}`,
    'ns1.sub      IN A    127.0.0.1',
    'signed       IN NS   ns1.signed',
    `signed       IN DS   ${rdata(signedDs)}`,
    'ns1.signed   IN A    192.0.2.54',
    'unsigned     IN NS   ns1.unsigned',
    'ns1.unsigned IN A    192.0.2.53',
    'ns1.unsigned IN AAAA 2001:db8::53',
    '*.wild       IN A    192.0.2.99',
    '*.wild       IN TXT  "from the wildcard"',
    BIG_TXT,
    '',
  ].join('\n');
}

const CHILD_RECORDS = `$ORIGIN ${CHILD_APEX}.
$TTL 300
@     IN SOA ns1 hostmaster.example.com. 1 3600 600 604800 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
host  IN A   192.0.2.77
`;

/**
 * The example's load-balanced names with no health checks (every endpoint is up until a test drains
 * it through the admin API) and TTL 0, so a validating resolver in front caches none of their answers
 * and shows a failover as soon as the server makes it; plus `dark`, alone in the `standby` datacenter with fallback nodata (drain standby:
 * NODATA at a name whose NSEC lists A).
 */
const NAMES = `names:
  www:
    policy: geo
    ttl: 0
    min_ttl: 0
    max_answers: 2
    pools:
      us-east: [192.0.2.10, 192.0.2.11, "2001:db8:10::10"]
      eu-west: [198.51.100.10, 198.51.100.11, "2001:db8:20::10"]
      ap-south: [203.0.113.10]
  api:
    policy: weighted
    ttl: 0
    min_ttl: 0
    pools:
      us-east: [{ address: 192.0.2.20, weight: 3 }]
      eu-west: [{ address: 198.51.100.20, weight: 1 }]
  dark:
    policy: failover
    ttl: 0
    min_ttl: 0
    fallback: nodata
    pools:
      standby: [192.0.2.66]
`;

/** Addresses of each datacenter of `www` in validationZones. */
export const WWW_POOLS: Readonly<Record<string, readonly string[]>> = {
  'us-east': ['192.0.2.10', '192.0.2.11', '2001:db8:10::10'],
  'eu-west': ['198.51.100.10', '198.51.100.11', '2001:db8:20::10'],
  'ap-south': ['203.0.113.10'],
};

/** The datacenter of www whose addresses these are ('none' when empty, 'mixed' when several). */
export function wwwDatacenter(addresses: readonly string[]): string {
  const dcs = new Set(
    addresses.map((a) => Object.entries(WWW_POOLS).find(([, pool]) => pool.includes(a))?.[0] ?? `unknown(${a})`),
  );
  if (dcs.size === 0) return 'none';
  return dcs.size === 1 ? [...dcs][0]! : `mixed(${[...dcs].sort().join('+')})`;
}

export interface ValidationZones {
  readonly zonesDir: string;
  readonly sep: TestKey;
  readonly zsk: TestKey | null;
  readonly child: TestKey;
  /** The key whose DS is at `signed` (kept outside the zones folder). */
  readonly signedCut: TestKey;
  /** The example zone's keys/ folder. */
  readonly keysDir: string;
}

/**
 * The example zone (records, datacenters, regions copied from examples/) with the extra cases, keyed
 * per `setup`, and its signed child zone (one combined key of the same algorithm) whose DS is in the
 * parent.
 */
export function validationZones(zonesDir: string, setup: KeySetup): ValidationZones {
  const src = join('examples', EXAMPLE_APEX);
  const zone = join(zonesDir, EXAMPLE_APEX);
  mkdirSync(zone, { recursive: true });
  cpSync(join(src, 'regions'), join(zone, 'regions'), { recursive: true });
  writeFileSync(
    join(zone, 'datacenters.yaml'),
    readFileSync(join(src, 'datacenters.yaml'), 'utf8') + '  standby:  { location: { lat: 50.1, lon: 8.7 } }\n',
  );
  writeFileSync(join(zone, 'names.yaml'), NAMES);

  const childDir = join(zonesDir, CHILD_APEX);
  mkdirSync(childDir, { recursive: true });
  writeFileSync(join(childDir, 'records.zone'), CHILD_RECORDS);
  const child = dnssecKeygen(join(childDir, 'keys'), CHILD_APEX, setup.algorithm, true);

  // The DS of `signed`, a delegation to a server that is not there (only the parent side is served).
  const signedKey = dnssecKeygen(join(zonesDir, '..', 'not-served-keys'), SIGNED_CUT, setup.algorithm, true);
  writeFileSync(
    join(zone, 'records.zone'),
    readFileSync(join(src, 'records.zone'), 'utf8') + extraRecords(dsFromKey(child), dsFromKey(signedKey)),
  );
  const { sep, zsk } = keyZone(zonesDir, EXAMPLE_APEX, setup);
  return { zonesDir, sep, zsk, child, signedCut: signedKey, keysDir: join(zone, 'keys') };
}

/** The DNSKEY RDATA written in a key file's text (`apex. IN DNSKEY 257 3 13 BASE64`). */
export function dnskeyRdataOf(keyFileText: string): Buffer {
  const line = keyFileText.split('\n').find((l) => /\sDNSKEY\s/.test(l) && !l.startsWith(';'))!;
  const [flags, protocol, algorithm, ...b64] = line
    .split(/\s+DNSKEY\s+/)[1]!
    .trim()
    .split(/\s+/);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(Number(flags), 0);
  head[2] = Number(protocol);
  head[3] = Number(algorithm);
  return Buffer.concat([head, Buffer.from(b64.join(''), 'base64')]);
}
