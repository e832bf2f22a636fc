#!/usr/bin/env node
// One query at a time over UDP to a server on 127.0.0.1, each timed from send to reply: what scripts/bench's
// DNSSEC figures need beyond dnsperf (is the answer signed at all; what the first DO=1 query of a name
// costs, i.e. lazy signing). A '%d' in NAME is replaced by FROM, FROM+1, ... (one name per query).
// Prints one line per query, then "summary median_us=M min_us=A max_us=B count=N signed=S answered=R"
// (signed: replies with at least one RRSIG; answered: replies with rcode NOERROR and an answer).
// --warm W first asks W (another name) 20 times, unrecorded: the first queries of a fresh process
// cost far more than a signature, on both sides of the socket.
// usage: node scripts/bench-lib/dns-probe.mjs --port P --name NAME [--type A] [--do] [--count 1]
//          [--from 0] [--warm NAME] [--timeout-ms 2000] [--quiet]
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import dnsPacket from 'dns-packet';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', default: 'A' },
    do: { type: 'boolean', default: false },
    count: { type: 'string', default: '1' },
    from: { type: 'string', default: '0' },
    'timeout-ms': { type: 'string', default: '2000' },
    quiet: { type: 'boolean', default: false },
    warm: { type: 'string' },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const from = Number(values.from);
const timeoutMs = Number(values['timeout-ms']);
if (!values.name || !(port > 0) || !(count > 0) || !(from >= 0)) {
  console.error('usage: dns-probe.mjs --port P --name NAME [--type A] [--do] [--count N] [--from K] [--quiet]');
  process.exit(2);
}

const sock = dgram.createSocket('udp4');
await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve));

/** Sends one query and resolves with the reply and the microseconds it took, or null on timeout. */
function ask(name, id) {
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: 0,
    questions: [{ name, type: values.type }],
    // EDNS in both cases so DO is the only difference between a DO=0 and a DO=1 probe.
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: values.do ? dnsPacket.DNSSEC_OK : 0 }],
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      resolve(null);
    }, timeoutMs);
    const onMessage = (msg) => {
      if (msg.length < 2 || msg.readUInt16BE(0) !== id) return; // a late reply to an earlier query
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve({ us, reply: dnsPacket.decode(msg), bytes: msg.length });
    };
    sock.on('message', onMessage);
    const t0 = process.hrtime.bigint();
    sock.send(query, port, '127.0.0.1');
  });
}

if (values.warm !== undefined) for (let i = 0; i < 20; i++) await ask(values.warm, 65535 - i);

const times = [];
let signed = 0;
let answered = 0;
for (let i = 0; i < count; i++) {
  const name = values.name.replace('%d', String(from + i));
  const got = await ask(name, (i % 65535) + 1);
  if (got === null) {
    if (!values.quiet) console.log(`${name} ${values.type}: no reply in ${timeoutMs} ms`);
    continue;
  }
  const all = [...(got.reply.answers ?? []), ...(got.reply.authorities ?? [])];
  const rrsigs = all.filter((r) => r.type === 'RRSIG').length;
  const nsecs = all.filter((r) => r.type === 'NSEC').length;
  const answers = (got.reply.answers ?? []).filter((r) => r.type !== 'RRSIG').length;
  times.push(got.us);
  if (rrsigs > 0) signed++;
  if (got.reply.rcode === 'NOERROR' && answers > 0) answered++;
  if (!values.quiet)
    console.log(
      `${name} ${values.type} do=${values.do ? 1 : 0}: ${got.us.toFixed(0)} us, ${got.reply.rcode}, ${answers} answers,` +
        ` ${rrsigs} RRSIG, ${nsecs} NSEC, ${got.bytes} bytes`,
    );
}
sock.close();
times.sort((a, b) => a - b);
const median = times.length === 0 ? NaN : times[Math.floor((times.length - 1) / 2)];
console.log(
  `summary median_us=${median.toFixed(0)} min_us=${(times[0] ?? NaN).toFixed(0)}` +
    ` max_us=${(times[times.length - 1] ?? NaN).toFixed(0)} count=${times.length} signed=${signed} answered=${answered}`,
);
