// Measures what DNSSEC signing costs on this machine: Node's crypto.sign per second for ECDSA P-256
// (RFC 6605, r||s) and Ed25519 over RRSIG-sized data, and ZoneSigner.sign per second for a fresh
// and a cached A RRset; with a zones directory, the NSEC chain build time of each zone.
// usage: node dist/scripts/sign-speed.js [--seconds S] [--zones DIR]
import { generateKeyPairSync, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CLASS, QTYPE } from '../zones/dns.js';
import { NsecChain } from '../zones/dnssec/nsec.js';
import { ZoneSigner } from '../zones/dnssec/signer.js';
import { ALGORITHM, DEFAULT_DNSSEC, type Algorithm, type ZoneDnssec, type ZoneKey } from '../zones/dnssec/types.js';
import { loadZones } from '../zones/load.js';
import { nameToText, parseName } from '../zones/name.js';

function arg(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seconds = Number(arg('--seconds') ?? 2);
const zonesDir = arg('--zones');

/** Calls fn until `seconds` have passed; returns calls per second. */
function rate(fn: () => void): number {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let t = t0;
  while (t < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

function key(algorithm: Algorithm): ZoneKey {
  const pair =
    algorithm === ALGORITHM.ED25519
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    file: 'bench',
    tag: 12345,
    algorithm,
    flags: 257,
    sep: true,
    dnskey: Buffer.alloc(0),
    privateKey: pair.privateKey,
    publish: null,
    activate: null,
    inactive: null,
    delete: null,
  };
}

const apex = parseName('bench.example.', null);
if (!apex.ok) throw new Error(apex.error);
// About what an A RRset's signed data is: the RRSIG fields (18 + signer) and two A records.
const data = Buffer.alloc(18 + 15 + 2 * (21 + 10 + 4), 7);

for (const [label, algorithm] of [
  ['ECDSA P-256 (13)', ALGORITHM.ECDSAP256SHA256],
  ['Ed25519 (15)', ALGORITHM.ED25519],
] as const) {
  const k = key(algorithm);
  const raw =
    algorithm === ALGORITHM.ED25519
      ? rate(() => sign(null, data, k.privateKey))
      : rate(() => sign('sha256', data, { key: k.privateKey, dsaEncoding: 'ieee-p1363' }));
  const dnssec: ZoneDnssec = {
    keys: [k],
    settings: DEFAULT_DNSSEC,
    state: { published: [k], zsks: [k], ksks: [k], sepActive: [k], nextChange: Infinity },
  };
  const signer = new ZoneSigner(apex.name, dnssec);
  let i = 0;
  const owner = apex.name;
  const fresh = rate(() => {
    i++;
    const rdata = [Buffer.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])];
    signer.sign(owner, QTYPE.A, 30, [{ owner: null, type: QTYPE.A, klass: CLASS.IN, ttl: 30, rdata }], 1e12);
  });
  const same = [{ owner: null, type: QTYPE.A, klass: CLASS.IN, ttl: 30, rdata: [Buffer.from([10, 0, 0, 1])] }];
  const cachedSameObjects = rate(() => signer.sign(owner, QTYPE.A, 30, same, 1e12));
  const cachedNewObjects = rate(() =>
    signer.sign(owner, QTYPE.A, 30, [{ ...same[0]!, rdata: [Buffer.from([10, 0, 0, 1])] }], 1e12),
  );
  console.log(
    `${label}: crypto.sign ${Math.round(raw)}/s; ZoneSigner.sign: new RRset ${Math.round(fresh)}/s, ` +
      `cached (same record objects) ${Math.round(cachedSameObjects)}/s, cached (equal new records) ${Math.round(cachedNewObjects)}/s`,
  );
}

if (zonesDir !== undefined) {
  const t0 = performance.now();
  const loaded = loadZones(zonesDir);
  console.log(`load: ${Math.round(performance.now() - t0)} ms, ${loaded.errors.length} errors`);
  for (const zone of loaded.zones) {
    const runs: number[] = [];
    let size = 0;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      size = new NsecChain(zone).size;
      runs.push(performance.now() - t);
    }
    runs.sort((x, y) => x - y);
    console.log(
      `${nameToText(zone.apex.wire)}: NSEC chain of ${size} names (of ${zone.nodes.size} nodes) built in ` +
        `${runs.map((x) => Math.round(x)).join(', ')} ms (median ${Math.round(runs[1]!)} ms)`,
    );
  }
}
