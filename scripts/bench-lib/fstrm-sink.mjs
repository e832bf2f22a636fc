#!/usr/bin/env node
// The cheapest dnstap collector: a Frame Streams server on a unix socket that does the handshake
// (READY -> ACCEPT, START; STOP -> FINISH) and throws every data frame away, counting them. The bench's
// dnstap stage runs it beside Debian's `dnstap` command to tell what the server pays for dnstap from
// what the collector costs the core it shares with dnsperf (`dnstap` handles each frame in Go).
// Prints "listening on PATH" once ready, and "frames N bytes B" for each connection that ends.
// usage: node scripts/bench-lib/fstrm-sink.mjs PATH
import net from 'node:net';
import { rmSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: fstrm-sink.mjs PATH\n');
  process.exit(2);
}
const CONTENT_TYPE = Buffer.from('protobuf:dnstap.Dnstap', 'latin1');
const ACCEPT = 0x01;
const STOP = 0x03;
const READY = 0x04;
const FINISH = 0x05;

/** A control frame: escape, length, type, with ACCEPT the content type field. */
function control(type) {
  const withType = type === ACCEPT;
  const len = 4 + (withType ? 8 + CONTENT_TYPE.length : 0);
  const b = Buffer.alloc(8 + len);
  b.writeUInt32BE(len, 4);
  b.writeUInt32BE(type, 8);
  if (withType) {
    b.writeUInt32BE(1, 12);
    b.writeUInt32BE(CONTENT_TYPE.length, 16);
    CONTENT_TYPE.copy(b, 20);
  }
  return b;
}

rmSync(path, { force: true });
/** Each connection's counts, printed when it closes or when this process is stopped. */
const open = new Set();
const report = (c) => console.log(`frames ${c.frames} bytes ${c.bytes}`);
const server = net.createServer((s) => {
  const c = { frames: 0, bytes: 0 };
  open.add(c);
  // Bytes of the current data frame still to skip; a frame's header split across reads is kept in `held`.
  let skip = 0;
  let held = Buffer.alloc(0);
  s.on('error', () => {});
  s.on('data', (d) => {
    c.bytes += d.length;
    let buf = d;
    let at = 0;
    if (skip >= buf.length) {
      skip -= buf.length;
      return;
    }
    at = skip;
    skip = 0;
    if (held.length > 0) {
      buf = Buffer.concat([held, buf.subarray(at)]);
      at = 0;
      held = Buffer.alloc(0);
    }
    while (at + 4 <= buf.length) {
      const len = buf.readUInt32BE(at);
      if (len !== 0) {
        c.frames++;
        if (at + 4 + len > buf.length) {
          skip = at + 4 + len - buf.length;
          return;
        }
        at += 4 + len;
        continue;
      }
      // A control frame: escape, length, body; small, so wait until it is whole.
      if (at + 8 > buf.length || at + 8 + buf.readUInt32BE(at + 4) > buf.length) break;
      const type = buf.readUInt32BE(at + 8);
      if (type === READY) s.write(control(ACCEPT));
      if (type === STOP) s.end(control(FINISH));
      at += 8 + buf.readUInt32BE(at + 4);
    }
    if (at < buf.length) held = Buffer.from(buf.subarray(at));
  });
  s.on('close', () => {
    open.delete(c);
    report(c);
  });
});
server.listen(path, () => console.log(`listening on ${path}`));
const stop = () => {
  for (const c of open) report(c);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
