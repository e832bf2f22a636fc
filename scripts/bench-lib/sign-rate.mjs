#!/usr/bin/env node
// Signatures per second of Node's crypto.sign for the two algorithms gslb signs with, on one core, over
// data the size of a small signed RRset (RRSIG RDATA without its signature plus two A records, ~130
// bytes): the price of one RRSIG made when an RRset is first served with DO=1 or re-signed.
// Prints "sign-rate ECDSAP256SHA256 N/s" and "sign-rate ED25519 N/s".
// usage: node scripts/bench-lib/sign-rate.mjs [SECONDS=2]
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const seconds = Number(process.argv[2] ?? '2');
const data = randomBytes(130);
const algorithms = [
  {
    name: 'ECDSAP256SHA256',
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    // DNSSEC's ECDSA signature is r||s (RFC 6605), not DER.
    sign: (key) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }),
  },
  { name: 'ED25519', key: generateKeyPairSync('ed25519').privateKey, sign: (key) => sign(null, data, key) },
];

for (const a of algorithms) {
  for (let i = 0; i < 200; i++) a.sign(a.key); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 100; i++) a.sign(a.key);
    n += 100;
    now = process.hrtime.bigint();
  }
  console.log(`sign-rate ${a.name} ${Math.round(n / (Number(now - t0) / 1e9))}/s`);
}
