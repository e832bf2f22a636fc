// Bench baseline: a bare Node UDP responder that answers every query with one precomputed A record (Node's ceiling for a DNS server).
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import process from 'node:process';
import { parseArgs } from 'node:util';

// usage: node scripts/bare-responder.mjs [--host 127.0.0.1] [--port 0]; prints "bare-responder listening on HOST:PORT".
const { values } = parseArgs({
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' } },
});

// The answer record, built once: owner = pointer to the question name, A IN, TTL 300, 192.0.2.25.
const ANSWER = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 25]);

/** Offset just past the question (qname + type + class), or -1 if there is no sane one. */
function questionEnd(msg) {
  let p = 12;
  while (p < msg.length) {
    const len = msg[p];
    if (len === 0) return p + 5 <= msg.length ? p + 5 : -1;
    if (len > 63) return -1;
    p += len + 1;
  }
  return -1;
}

// send() resolves its destination each time; for IP literals skip dns.lookup's extra tick, as the server does,
// so the baseline is the best plain Node can do.
function lookup(host, options, callback) {
  const family = isIP(host);
  if (family !== 0) callback(null, host, family);
  else dns.lookup(host, options, callback);
}

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup });

socket.on('message', (msg, rinfo) => {
  // Same floor of work as any responder: skip responses and headerless junk.
  if (msg.length < 12 || msg[2] & 0x80) return;
  const qEnd = questionEnd(msg);
  if (qEnd < 0) return;
  const out = Buffer.allocUnsafe(qEnd + ANSWER.length);
  // Copying the header and question patches the ID (and keeps the reply a valid answer to this query).
  msg.copy(out, 0, 0, qEnd);
  out[2] = 0x84 | (msg[2] & 0x01); // QR, AA, RD copied
  out[3] = 0;
  out.writeUInt32BE(0x00010001, 4); // QDCOUNT 1, ANCOUNT 1
  out.writeUInt32BE(0, 8); // NSCOUNT 0, ARCOUNT 0
  ANSWER.copy(out, qEnd);
  socket.send(out, rinfo.port, rinfo.address);
});

socket.on('error', (err) => {
  process.stderr.write(`bare-responder: ${err.message}\n`);
  process.exit(1);
});

socket.bind(Number(values.port), values.host, () => {
  const { address, port } = socket.address();
  process.stdout.write(`bare-responder listening on ${address}:${port}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => socket.close(() => process.exit(0)));
