#!/usr/bin/env node
// Writes a dnsperf binary query file (-B: 2-byte length + message): NAME A with a distinct random
// public IPv4 /24 as EDNS Client Subnet in every query (fixed seed), like the peers' workload B.
// A '%d' in NAME is replaced by a random number below NAMES in each query (many names, as in a big zone).
// --do sets the DNSSEC OK bit in every query's OPT (dnsperf's -D does that only for text query files).
// --cookie adds a DNS COOKIE option with a client cookie (8 random bytes per query), as BIND, Unbound
// and Knot resolvers send: the server then makes a server cookie for every reply.
// usage: node scripts/make-ecs-queries.mjs [--do] [--cookie] OUT NAME [COUNT=10000] [SEED=42] [NAMES=1]
import { writeFileSync } from 'node:fs';
// The project's seeded PRNG, from the build (the benchmarks build first).
import { seeded } from '../dist/zones/prng.js';

const args = process.argv.slice(2);
const dnssecOk = args.includes('--do');
const cookie = args.includes('--cookie');
const [out, name, countText = '10000', seedText = '42', namesText = '1'] = args.filter(
  (a) => a !== '--do' && a !== '--cookie',
);
if (!out || !name) {
  console.error('usage: make-ecs-queries.mjs [--do] [--cookie] OUT NAME [COUNT] [SEED] [NAMES]');
  process.exit(2);
}
const rnd = seeded(Number(seedText));
const reserved = (a, b) =>
  a === 0 ||
  a === 10 ||
  a === 127 ||
  (a === 100 && b >= 64 && b < 128) ||
  (a === 169 && b === 254) ||
  (a === 172 && b >= 16 && b < 32) ||
  (a === 192 && b === 168) ||
  (a === 198 && (b === 18 || b === 19));
const wireName = (text) =>
  Buffer.concat([
    ...text
      .split('.')
      .filter(Boolean)
      .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
const names = Number(namesText);
const fixedName = name.includes('%d') ? null : wireName(name);
const seen = new Set();
const parts = [];
while (seen.size < Number(countText)) {
  const a = 1 + Math.floor(rnd() * 223);
  const b = Math.floor(rnd() * 256);
  const c = Math.floor(rnd() * 256);
  if (reserved(a, b) || seen.has(`${a}.${b}.${c}`)) continue;
  seen.add(`${a}.${b}.${c}`);
  const header = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  const qname = fixedName ?? wireName(name.replace('%d', String(Math.floor(rnd() * names))));
  const question = Buffer.concat([qname, Buffer.from([0, 1, 0, 1])]);
  const ecs = Buffer.concat([
    Buffer.from([0, 8, 0, 7, 0, 1, 24, 0, a, b, c]),
    cookie ? Buffer.from([0, 10, 0, 8, ...Array.from({ length: 8 }, () => Math.floor(rnd() * 256))]) : Buffer.alloc(0),
  ]);
  // OPT: root owner, type 41, class = UDP size 1232, TTL = extended rcode, version, flags (DO = 0x8000).
  const opt = Buffer.concat([Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, dnssecOk ? 0x80 : 0, 0, 0, ecs.length]), ecs]);
  const msg = Buffer.concat([header, question, opt]);
  parts.push(Buffer.from([msg.length >> 8, msg.length & 255]), msg);
}
writeFileSync(out, Buffer.concat(parts));
