#!/usr/bin/env node
// Copies a dnsperf binary query file (-B: 2-byte length + message, as make-ecs-queries.mjs and the
// peers' make-queries.py write them) setting the DNSSEC OK bit in every query's OPT record, so the
// peers' own workload B (../shared/bench) can be sent with DO=1 to a signed zone. A query without
// an OPT record is an error (DO lives in the OPT; dnsperf -D does this only for text files).
// usage: node scripts/bench-lib/set-do.mjs IN OUT
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: set-do.mjs IN OUT');
  process.exit(2);
}
const buf = Buffer.from(readFileSync(input));

/** Offset just past the (uncompressed: these are queries) name at `at`. */
function skipName(msg, at) {
  while (msg[at] !== 0) {
    if ((msg[at] & 0xc0) !== 0) return at + 2; // a pointer ends the name
    at += 1 + msg[at];
  }
  return at + 1;
}

let queries = 0;
for (let at = 0; at + 2 <= buf.length;) {
  const len = buf.readUInt16BE(at);
  const msg = buf.subarray(at + 2, at + 2 + len);
  const qd = msg.readUInt16BE(4);
  const records = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  let p = 12;
  for (let i = 0; i < qd; i++) p = skipName(msg, p) + 4;
  let found = false;
  for (let i = 0; i < records; i++) {
    p = skipName(msg, p);
    const type = msg.readUInt16BE(p);
    // TYPE(2) CLASS(2) TTL(4) RDLENGTH(2); an OPT's TTL is extended rcode, version, flags (DO = top bit).
    if (type === 41) {
      msg[p + 6] |= 0x80;
      found = true;
    }
    p += 10 + msg.readUInt16BE(p + 8);
  }
  if (!found) {
    console.error(`set-do: query ${queries + 1} (byte ${at}) has no OPT record`);
    process.exit(1);
  }
  queries++;
  at += 2 + len;
}
writeFileSync(output, buf);
console.log(`set-do: ${queries} queries with DO=1 written to ${output}`);
