#!/usr/bin/env node
// compare-peers.mjs: conformance comparison harness for the authoritative server.
//
// Starts Knot DNS (knotd) and NSD on 127.0.0.1 (free ports, configs and state in a temp dir under /tmp, run as
// foreground child processes), loads the given zone into both, reads the zone's owner names back by AXFR from
// Knot, then sends the same query matrix to every server (knot, nsd and, with --ours, the project's server):
// every owner name plus synthesized names (nonexistent, under wildcards, ENTs, under delegations, mixed case,
// out of zone) x many types x transport/EDNS flavours, plus special queries (opcodes, qdcount 0, CHAOS, HS,
// EDNS version 1, ECS valid and malformed, NSID, cookies, ...). Every reply is normalised (rcode incl. extended
// rcode, flags, question echo, sorted sections, OPT) and compared pairwise. Differences are printed grouped by
// kind, the full per-query report and all replies (JSON) go to --out.
//
// Usage:
//   node scripts/compare-peers.mjs --zone FILE --origin NAME [--ours HOST:PORT] [--out DIR] [--strict]
//          [--examples N] [--nsid] [--ecs] [--timeout MS] [--concurrency N] [--keep]
//   --strict    exit 1 if ours differs from BOTH knot and nsd on any query (otherwise always exit 0)
//   --examples  example queries printed per kind of difference (default 3; the full list is in report.txt)
//   --nsid      configure an NSID on knot and nsd (default: knot sends its hostname, nsd nothing)
//   --ecs       turn on knot's edns-client-subnet (RFC 7871 echo/validation; nsd has no ECS support)
//   --keep      keep the temp dir with the peers' configs and logs
//
// Only node builtins and dns-packet are used. Knot and NSD are killed on exit, error and SIGINT/SIGTERM.

import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import dnsPacket from 'dns-packet';
import dnsTypes from 'dns-packet/types.js';

// ---------------------------------------------------------------------------------------------------------------
// Command line

const { values: args } = parseArgs({
  options: {
    zone: { type: 'string' },
    origin: { type: 'string' },
    ours: { type: 'string' },
    out: { type: 'string', default: '/tmp/compare-peers/' },
    strict: { type: 'boolean', default: false },
    examples: { type: 'string', default: '3' },
    nsid: { type: 'boolean', default: false },
    ecs: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '24' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help || !args.zone || !args.origin) {
  console.log('usage: node scripts/compare-peers.mjs --zone FILE --origin NAME [--ours HOST:PORT] [--out DIR]');
  console.log('       [--strict] [--examples N] [--nsid] [--ecs] [--timeout MS] [--concurrency N] [--keep]');
  process.exit(args.help ? 0 : 2);
}

const ORIGIN = fqdn(args.origin).toLowerCase();
const ZONE_FILE = path.resolve(args.zone);
const OUT_DIR = path.resolve(args.out);
const TIMEOUT_MS = Number(args.timeout);
const CONCURRENCY = Number(args.concurrency);
const EXAMPLES = Number(args.examples);

// ---------------------------------------------------------------------------------------------------------------
// Child process bookkeeping: every peer runs in its own process group so that nsd's helper processes die too.

const children = new Set();
let tmpDir = null;

/** Signal each peer: its main process, or with group=true its whole process group (helpers included). */
function killChildren(signal, group = false) {
  for (const child of children) {
    if (!group && (child.exitCode !== null || child.signalCode !== null)) continue;
    try {
      process.kill(group ? -child.pid : child.pid, signal);
    } catch {
      // already gone
    }
  }
}

function removeTmp() {
  if (tmpDir && !args.keep) fs.rmSync(tmpDir, { recursive: true, force: true });
}

// Last resort on any exit path: the main processes stop their own helpers on SIGTERM (signalling the whole group
// at once would leave nsd's helpers as unreaped zombies).
process.on('exit', () => {
  killChildren('SIGTERM');
  removeTmp();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\ncompare-peers: ${sig}, stopping peers`);
    stopChildren().finally(() => process.exit(130));
  });
}
process.on('uncaughtException', (err) => {
  console.error('compare-peers: fatal:', err && err.stack ? err.stack : err);
  process.exit(2);
});
process.on('unhandledRejection', (err) => {
  console.error('compare-peers: fatal:', err && err.stack ? err.stack : err);
  process.exit(2);
});

async function stopChildren() {
  killChildren('SIGTERM');
  const deadline = Date.now() + 5000;
  while ([...children].some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
    await sleep(50);
  }
  await sleep(100); // let nsd's helpers finish
  killChildren('SIGKILL', true);
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fqdn(name) {
  return name.endsWith('.') ? name : name + '.';
}

function parseHostPort(s) {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) || /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad HOST:PORT: ${s}`);
  return { host: m[1], port: Number(m[2]) };
}

/** A port free for both UDP and TCP on 127.0.0.1. */
async function freePort() {
  for (;;) {
    const tcp = net.createServer();
    const port = await new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, '127.0.0.1', () => resolve(tcp.address().port));
    });
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise((resolve) => tcp.close(resolve));
    if (ok) {
      await new Promise((resolve) => udp.close(resolve));
      return port;
    }
    udp.close();
  }
}

async function runPool(items, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}

// ---------------------------------------------------------------------------------------------------------------
// Peers: Knot DNS and NSD

function spawnPeer(name, cmd, argv, logFile) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(cmd, argv, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  children.add(child);
  child.on('error', (err) => {
    console.error(`compare-peers: cannot start ${name} (${cmd}): ${err.message}`);
  });
  return child;
}

async function startKnot(dir, zonePath) {
  const port = await freePort();
  const kdir = path.join(dir, 'knot');
  fs.mkdirSync(path.join(kdir, 'db'), { recursive: true });
  const conf = `# generated by compare-peers.mjs
server:
    rundir: "${kdir}"
    pidfile: "${kdir}/knot.pid"
    listen: 127.0.0.1@${port}
${args.nsid ? '    nsid: "knot-peer"\n' : ''}${args.ecs ? '    edns-client-subnet: on\n' : ''}
database:
    storage: "${kdir}/db"

control:
    listen: "${kdir}/knot.sock"

log:
  - target: stderr
    any: info

acl:
  - id: harness_axfr
    address: 127.0.0.2
    action: transfer

zone:
  - domain: ${ORIGIN}
    file: "${zonePath}"
    storage: "${kdir}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    acl: harness_axfr
`;
  const confPath = path.join(kdir, 'knot.conf');
  fs.writeFileSync(confPath, conf);
  const logFile = path.join(kdir, 'knot.log');
  const child = spawnPeer('knot', '/usr/sbin/knotd', ['-c', confPath], logFile);
  return { name: 'knot', host: '127.0.0.1', port, child, logFile };
}

async function startNsd(dir, zonePath) {
  const port = await freePort();
  const ndir = path.join(dir, 'nsd');
  fs.mkdirSync(ndir, { recursive: true });
  // Response rate limiting would drop or truncate our burst of queries; the options exist only if compiled in.
  const version = spawnSync('/usr/sbin/nsd', ['-v'], { encoding: 'utf8' });
  const rrl = /enable-ratelimit/.test(`${version.stdout}${version.stderr}`)
    ? '    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n'
    : '';
  const conf = `# generated by compare-peers.mjs
server:
    ip-address: 127.0.0.1@${port}
    port: ${port}
    do-ip6: no
    server-count: 1
    zonesdir: "${ndir}"
    pidfile: "${ndir}/nsd.pid"
    database: ""
    zonelistfile: "${ndir}/zone.list"
    xfrdfile: "${ndir}/xfrd.state"
    xfrdir: "${ndir}"
    username: ""
    chroot: ""
    verbosity: 1
${rrl}${args.nsid ? '    nsid: "ascii_nsd-peer"\n' : ''}
remote-control:
    control-enable: no

zone:
    name: "${ORIGIN}"
    zonefile: "${zonePath}"
`;
  const confPath = path.join(ndir, 'nsd.conf');
  fs.writeFileSync(confPath, conf);
  const logFile = path.join(ndir, 'nsd.log');
  const child = spawnPeer('nsd', '/usr/sbin/nsd', ['-d', '-c', confPath], logFile);
  return { name: 'nsd', host: '127.0.0.1', port, child, logFile };
}

/** Wait until the server answers SOA for the origin authoritatively. */
async function waitReady(server, seconds = 15) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (server.child && (server.child.exitCode !== null || server.child.signalCode !== null)) break;
    const wire = buildQuery({ qname: ORIGIN, qtype: 6 }, 0x4242);
    const res = await sendUdp(server, wire, 300);
    if (res.buf && res.buf.length >= 12 && (res.buf[2] & 0x04) !== 0 && (res.buf[3] & 0x0f) === 0) return;
    await sleep(100);
  }
  let tail = '';
  try {
    if (server.logFile) tail = fs.readFileSync(server.logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no log
  }
  throw new Error(
    `${server.name} at ${server.host}:${server.port} gives no authoritative SOA answer for ${ORIGIN}\n${tail}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Wire: building queries

// prettier-ignore
const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, DS: 43,
  IXFR: 251, AXFR: 252, MAILB: 253, ANY: 255, CAA: 257 };
const C = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 };
const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'OPCODE3', 'NOTIFY', 'UPDATE', 'DSO'];
// prettier-ignore
const RCODES = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN',
  7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADVERS', 23: 'BADCOOKIE' };
const CLASS_NAMES = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };

function typeToString(n) {
  const s = n === 41 ? 'OPT' : dnsTypes.toString(n);
  return s.startsWith('UNKNOWN_') ? `TYPE${s.slice(8)}` : s;
}
function className(n) {
  return CLASS_NAMES[n] || `CLASS${n}`;
}
function classFromPacket(s) {
  return String(s).startsWith('UNKNOWN_') ? `CLASS${String(s).slice(8)}` : String(s);
}

/**
 * Build a query: header and question with dns-packet, OPT by hand. q: { qname, qtype, qclass (numbers), opcode,
 * aa, tc, rd, ad, cd, qr (header bits), questions (qdcount, default 1), edns: { udp, version, do, zflags, extRcode,
 * options: [{ code, data }] }, extraOpt (send the OPT twice), mutate (buf => buf, for malformed packets) }.
 */
function buildQuery(q, id) {
  const flags =
    ((q.opcode || 0) << 11) |
    (q.aa ? 1 << 10 : 0) |
    (q.tc ? 1 << 9 : 0) |
    (q.rd ? 1 << 8 : 0) |
    (q.ad ? 1 << 5 : 0) |
    (q.cd ? 1 << 4 : 0);
  const question = { name: q.qname, type: `UNKNOWN_${q.qtype}`, class: 'IN' };
  const nq = q.questions === undefined ? 1 : q.questions;
  const packet = {
    id,
    type: q.qr ? 'response' : 'query',
    flags,
    questions: Array.from({ length: nq }, () => question),
    additionals: [],
  };
  let buf = dnsPacket.encode(packet);
  // dns-packet only knows class names; patch the qtype/qclass of every question in place.
  let off = 12;
  for (let i = 0; i < nq; i++) {
    off = skipName(buf, off);
    buf.writeUInt16BE(q.qtype, off);
    buf.writeUInt16BE(q.qclass || C.IN, off + 2);
    off += 4;
  }
  // OPT records are built by hand (dns-packet turns a payload size of 0 into 4096).
  if (q.edns) {
    const opts = q.extraOpt ? [q.edns, q.edns] : [q.edns];
    buf = Buffer.concat([buf, ...opts.map(encodeOpt)]);
    buf.writeUInt16BE(opts.length, 10);
  }
  return q.mutate ? q.mutate(buf) : buf;
}

/** OPT pseudo-RR: root owner, type 41, class = UDP payload size, TTL = ext-rcode|version|DO+Z, options. */
function encodeOpt(e) {
  const options = (e.options || []).map((o) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(o.code, 0);
    h.writeUInt16BE(o.data.length, 2);
    return Buffer.concat([h, o.data]);
  });
  const rdata = Buffer.concat(options);
  const rr = Buffer.alloc(11);
  rr.writeUInt8(0, 0);
  rr.writeUInt16BE(T.OPT, 1);
  rr.writeUInt16BE(e.udp, 3);
  rr.writeUInt8(e.extRcode || 0, 5);
  rr.writeUInt8(e.version || 0, 6);
  rr.writeUInt16BE((e.do ? 0x8000 : 0) | (e.zflags || 0), 7);
  rr.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([rr, rdata]);
}

function skipName(buf, off) {
  for (;;) {
    const len = buf[off];
    if (len === undefined) throw new Error('name runs past end');
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += len + 1;
    if (len === 0) return off;
  }
}

function ecsOption(family, source, scope, addrBytes) {
  return { code: 8, data: Buffer.concat([Buffer.from([family >> 8, family & 0xff, source, scope]), addrBytes]) };
}

// ---------------------------------------------------------------------------------------------------------------
// Wire: transports

function sendUdp(server, wire, timeoutMs = TIMEOUT_MS) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (res) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(res);
    };
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    sock.on('error', (err) => finish({ error: err.code || err.message }));
    sock.on('message', (msg) => {
      if (wire.length >= 2 && (msg.length < 2 || msg.readUInt16BE(0) !== wire.readUInt16BE(0))) return;
      finish({ buf: msg });
    });
    // A connected socket reports ICMP port-unreachable as ECONNREFUSED instead of waiting for the timeout.
    sock.connect(server.port, server.host, () => {
      sock.send(wire, (err) => err && finish({ error: err.code || err.message }));
    });
  });
}

/** Send one message over TCP; collect `count` replies (or until `until(replies)` is true). */
function sendTcp(server, wire, { timeoutMs = TIMEOUT_MS * 2, localAddress, until } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: server.host, port: server.port, localAddress });
    const replies = [];
    let pending = Buffer.alloc(0);
    let done = false;
    const finish = (res) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(res);
    };
    const timer = setTimeout(
      () => finish(replies.length && until ? { bufs: replies, error: 'timeout' } : { error: 'timeout' }),
      timeoutMs,
    );
    sock.on('error', (err) => finish({ error: err.code || err.message, bufs: replies }));
    sock.on('close', () => finish(replies.length ? { buf: replies[0], bufs: replies } : { error: 'closed' }));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(wire.length);
      sock.write(Buffer.concat([len, wire]));
    });
    sock.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const n = pending.readUInt16BE(0);
        replies.push(pending.subarray(2, 2 + n));
        pending = pending.subarray(2 + n);
        let complete = true;
        try {
          complete = !until || until(replies);
        } catch (err) {
          return finish({ error: err.message, bufs: replies });
        }
        if (complete) return finish({ buf: replies[0], bufs: replies });
      }
    });
  });
}

async function send(server, query, wire) {
  if (query.transport === 'tcp') return sendTcp(server, wire);
  let res = await sendUdp(server, wire);
  if (res.error === 'timeout' && !query.expectSilence) res = await sendUdp(server, wire); // one retry
  return res;
}

// ---------------------------------------------------------------------------------------------------------------
// Zone discovery: AXFR from knot (allowed only from 127.0.0.2, so the compared queries from 127.0.0.1 see the
// default "transfer refused" behaviour).

async function axfr(server) {
  const wire = buildQuery({ qname: ORIGIN, qtype: T.AXFR }, 0x2a2a);
  let soaSeen = 0;
  const res = await sendTcp(server, wire, {
    timeoutMs: 10000,
    localAddress: '127.0.0.2',
    until: (replies) => {
      const last = dnsPacket.decode(replies[replies.length - 1]);
      soaSeen += last.answers.filter((a) => a.type === 'SOA').length;
      if ((last.flags & 0x0f) !== 0) throw new Error(`AXFR refused by ${server.name}: rcode ${last.flags & 0xf}`);
      return soaSeen >= 2;
    },
  });
  if (!res.bufs || soaSeen < 2) throw new Error(`AXFR from ${server.name} failed: ${res.error || 'incomplete'}`);
  const records = [];
  for (const b of res.bufs) records.push(...dnsPacket.decode(b).answers);
  return records.slice(0, -1); // drop the closing SOA
}

// ---------------------------------------------------------------------------------------------------------------
// Query matrix

// prettier-ignore
const MATRIX_TYPES = [T.A, T.AAAA, T.NS, T.SOA, T.MX, T.TXT, T.SRV, T.CAA, T.PTR, T.CNAME, T.ANY, 65400, T.DS, 65000];
const EDNS_1232 = { udp: 1232 };
const FLAVOURS = [
  { flavour: 'udp', transport: 'udp', edns: null },
  { flavour: 'udp-edns1232', transport: 'udp', edns: EDNS_1232 },
  { flavour: 'udp-edns512', transport: 'udp', edns: { udp: 512 } },
  { flavour: 'tcp', transport: 'tcp', edns: EDNS_1232 },
];

/** Alternate the case of letters: "www.example." -> "WwW.ExAmPlE." */
function mixCase(name) {
  let up = true;
  return name.replace(/[a-z]/gi, (ch) => {
    const r = up ? ch.toUpperCase() : ch.toLowerCase();
    up = !up;
    return r;
  });
}

function buildMatrix(records) {
  const owners = new Map(); // lowercased name -> Set(types)
  const ownerCase = new Map(); // lowercased name -> name as transferred
  for (const r of records) {
    const n = fqdn(r.name === '.' ? '' : r.name);
    const key = n.toLowerCase();
    if (!owners.has(key)) owners.set(key, new Set());
    owners.get(key).add(r.type);
    ownerCase.set(key, n);
  }
  const inZone = (n) => n === ORIGIN || n.endsWith('.' + ORIGIN);
  const parentOf = (n) => (n === '.' ? null : fqdn(n.split('.').slice(1, -1).join('.') || '.') || '.');

  // Empty non-terminals: ancestors of owners (below the apex) that own nothing.
  const ents = new Set();
  for (const n of owners.keys()) {
    for (let p = parentOf(n); p && p !== ORIGIN && inZone(p); p = parentOf(p)) if (!owners.has(p)) ents.add(p);
  }
  const delegations = [...owners].filter(([n, t]) => n !== ORIGIN && t.has('NS')).map(([n]) => n);
  const wildcards = [...owners.keys()].filter((n) => n.startsWith('*.'));

  const names = [];
  const add = (name, why) => {
    if (!names.some((x) => x.name === name)) names.push({ name, why });
  };
  for (const n of owners.keys()) add(n, 'owner');
  for (const [key, n] of ownerCase) if (n !== key) add(n, 'owner, case as in the zone');
  for (const n of ents) add(n, 'empty non-terminal');
  add('does-not-exist.' + ORIGIN, 'nonexistent');
  add('a.b.does-not-exist.' + ORIGIN, 'nonexistent, deep');
  for (const w of wildcards) {
    const base = w.slice(2);
    add('foo.' + base, 'covered by wildcard');
    add('a.b.' + base, 'covered by wildcard, two labels deep');
  }
  for (const e of ents) add('x.' + e, 'below an ENT');
  for (const d of delegations) {
    add('www.' + d, 'below a delegation');
    add('a.b.' + d, 'below a delegation, deep');
  }
  const leaf = [...owners.keys()].find((n) => /^www\./.test(n)) || [...owners.keys()].find((n) => n !== ORIGIN);
  if (leaf) add('below.' + leaf, 'below an existing leaf');

  // Mixed-case variants of a representative subset.
  const pick = [
    ORIGIN,
    leaf,
    'does-not-exist.' + ORIGIN,
    wildcards[0] && 'foo.' + wildcards[0].slice(2),
    delegations[0],
    delegations[0] && 'www.' + delegations[0],
    [...ents][0],
    [...owners].find(([, t]) => t.has('CNAME'))?.[0],
    [...owners].find(([, t]) => t.has('MX'))?.[0],
  ].filter(Boolean);
  for (const n of pick) add(mixCase(n), 'mixed case');
  // Every other owner in mixed case too, but with one flavour only (see below).
  const mixedOnce = [...owners.keys()].map(mixCase).filter((n) => !names.some((x) => x.name === n));

  add('outside.test.', 'out of zone');
  add(parentOf(ORIGIN), 'out of zone: parent of the apex');

  const queries = [];
  for (const { name, why } of names) {
    for (const qtype of MATRIX_TYPES) {
      for (const f of FLAVOURS) {
        queries.push({
          key: `${name} ${typeToString(qtype)} ${f.flavour}`,
          why,
          qname: name,
          qtype,
          qclass: C.IN,
          transport: f.transport,
          edns: f.edns,
        });
      }
    }
  }
  for (const name of mixedOnce) {
    for (const qtype of MATRIX_TYPES) {
      queries.push({
        key: `${name} ${typeToString(qtype)} udp-edns1232`,
        why: 'owner in mixed case',
        qname: name,
        qtype,
        qclass: C.IN,
        transport: 'udp',
        edns: EDNS_1232,
      });
    }
  }
  queries.push(...specialQueries(leaf || ORIGIN, wildcards, delegations, owners));
  return { queries, names, owners };
}

function specialQueries(leaf, wildcards, delegations, owners) {
  const apex = ORIGIN;
  const big = [...owners].find(([n, t]) => t.has('A') && n.startsWith('many.'))?.[0] || apex;
  const huge = [...owners].find(([n, t]) => t.has('TXT') && n.startsWith('hugetxt.'))?.[0] || apex;
  const s = (key, q) => ({ key: `special: ${key}`, why: 'special', qclass: C.IN, transport: 'udp', edns: null, ...q });
  const list = [
    s('opcode IQUERY (1)', { qname: apex, qtype: T.SOA, opcode: 1 }),
    s('opcode STATUS (2)', { qname: apex, qtype: T.SOA, opcode: 2 }),
    s('opcode 3 (unassigned)', { qname: apex, qtype: T.SOA, opcode: 3 }),
    s('opcode NOTIFY (4) from an unauthorised source', { qname: apex, qtype: T.SOA, opcode: 4, aa: true }),
    s('opcode UPDATE (5) from an unauthorised source', { qname: apex, qtype: T.SOA, opcode: 5 }),
    s('opcode 15', { qname: apex, qtype: T.SOA, opcode: 15 }),
    s('qdcount 0, no EDNS', { qname: apex, qtype: T.SOA, questions: 0 }),
    s('qdcount 0, with EDNS', { qname: apex, qtype: T.SOA, questions: 0, edns: EDNS_1232 }),
    s('qdcount 2 (same question twice)', { qname: apex, qtype: T.SOA, questions: 2 }),
    s('opcode STATUS, qdcount 0', { qname: apex, qtype: T.SOA, opcode: 2, questions: 0 }),
    s('CH TXT version.bind', { qname: 'version.bind.', qtype: T.TXT, qclass: C.CH }),
    s('CH TXT version.server', { qname: 'version.server.', qtype: T.TXT, qclass: C.CH }),
    s('CH TXT id.server', { qname: 'id.server.', qtype: T.TXT, qclass: C.CH }),
    s('CH TXT hostname.bind', { qname: 'hostname.bind.', qtype: T.TXT, qclass: C.CH }),
    s('CH TXT version.bind, EDNS', { qname: 'version.bind.', qtype: T.TXT, qclass: C.CH, edns: EDNS_1232 }),
    s('CH A version.bind', { qname: 'version.bind.', qtype: T.A, qclass: C.CH }),
    s('CH TXT for the zone apex', { qname: apex, qtype: T.TXT, qclass: C.CH }),
    s('HS A apex', { qname: apex, qtype: T.A, qclass: C.HS }),
    s('class ANY, A apex', { qname: apex, qtype: T.A, qclass: C.ANY }),
    s('class NONE, A apex', { qname: apex, qtype: T.A, qclass: C.NONE }),
    s('EDNS version 1', { qname: apex, qtype: T.SOA, edns: { udp: 1232, version: 1 } }),
    s('EDNS version 1, nonexistent name', {
      qname: 'does-not-exist.' + apex,
      qtype: T.A,
      edns: { udp: 1232, version: 1 },
    }),
    s('EDNS version 1 over TCP', { qname: apex, qtype: T.SOA, transport: 'tcp', edns: { udp: 1232, version: 1 } }),
    s('EDNS unknown flag bits (Z) set', { qname: apex, qtype: T.SOA, edns: { udp: 1232, zflags: 0x4001 } }),
    s('EDNS DO bit', { qname: leaf, qtype: T.A, edns: { udp: 1232, do: true } }),
    s('EDNS DO bit, nonexistent', { qname: 'does-not-exist.' + apex, qtype: T.A, edns: { udp: 1232, do: true } }),
    s('EDNS two OPT records', { qname: apex, qtype: T.SOA, edns: EDNS_1232, extraOpt: true }),
    s('EDNS bufsize 0', { qname: big, qtype: T.A, edns: { udp: 0 } }),
    s('EDNS bufsize 100', { qname: big, qtype: T.A, edns: { udp: 100 } }),
    s('EDNS bufsize 4096', { qname: big, qtype: T.A, edns: { udp: 4096 } }),
    s('EDNS bufsize 4096, > 1232 byte answer', { qname: huge, qtype: T.TXT, edns: { udp: 4096 } }),
    s('EDNS bufsize 65535, > 1232 byte answer', { qname: huge, qtype: T.TXT, edns: { udp: 65535 } }),
    s('EDNS NSID request', {
      qname: apex,
      qtype: T.SOA,
      edns: { udp: 1232, options: [{ code: 3, data: Buffer.alloc(0) }] },
    }),
    s('EDNS unknown option 65001', {
      qname: apex,
      qtype: T.SOA,
      edns: { udp: 1232, options: [{ code: 65001, data: Buffer.from('abcd', 'hex') }] },
    }),
    s('EDNS client COOKIE', {
      qname: apex,
      qtype: T.SOA,
      edns: { udp: 1232, options: [{ code: 10, data: Buffer.from('0102030405060708', 'hex') }] },
    }),
    s('EDNS malformed COOKIE (5 bytes)', {
      qname: apex,
      qtype: T.SOA,
      edns: { udp: 1232, options: [{ code: 10, data: Buffer.from('0102030405', 'hex') }] },
    }),
    s('EDNS padding option', {
      qname: apex,
      qtype: T.SOA,
      edns: { udp: 1232, options: [{ code: 12, data: Buffer.alloc(16) }] },
    }),
    s('EDNS keepalive over TCP', {
      qname: apex,
      qtype: T.SOA,
      transport: 'tcp',
      edns: { udp: 1232, options: [{ code: 11, data: Buffer.alloc(0) }] },
    }),
    s('ECS 192.0.2.0/24 scope 0', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(1, 24, 0, Buffer.from([192, 0, 2]))] },
    }),
    s('ECS 192.0.2.0/24 over TCP', {
      qname: leaf,
      qtype: T.A,
      transport: 'tcp',
      edns: { udp: 1232, options: [ecsOption(1, 24, 0, Buffer.from([192, 0, 2]))] },
    }),
    s('ECS 2001:db8:1200::/40 scope 0', {
      qname: leaf,
      qtype: T.AAAA,
      edns: { udp: 1232, options: [ecsOption(2, 40, 0, Buffer.from('20010db812', 'hex'))] },
    }),
    s('ECS family 1 /0 (no address)', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(1, 0, 0, Buffer.alloc(0))] },
    }),
    s('ECS malformed: scope 8 (must be 0 in queries)', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(1, 24, 8, Buffer.from([192, 0, 2]))] },
    }),
    s('ECS malformed: /24 with 4 address bytes', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(1, 24, 0, Buffer.from([192, 0, 2, 0]))] },
    }),
    s('ECS malformed: bits set beyond /20', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(1, 20, 0, Buffer.from([192, 0, 0xff]))] },
    }),
    s('ECS malformed: family 3', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(3, 8, 0, Buffer.from([1]))] },
    }),
    s('ECS malformed: /33 for IPv4', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [ecsOption(1, 33, 0, Buffer.from([192, 0, 2, 1, 0]))] },
    }),
    s('ECS malformed: 2 bytes only', {
      qname: leaf,
      qtype: T.A,
      edns: { udp: 1232, options: [{ code: 8, data: Buffer.from([0, 1]) }] },
    }),
    s('flags RD+CD+AD set', { qname: leaf, qtype: T.A, rd: true, cd: true, ad: true }),
    s('flags RD set, out of zone', { qname: 'outside.test.', qtype: T.A, rd: true }),
    s('flag TC set in query', { qname: leaf, qtype: T.A, tc: true }),
    s('QR set (a response sent as query)', { qname: leaf, qtype: T.A, qr: true, expectSilence: true }),
    s('short packet (7 bytes)', { qname: leaf, qtype: T.A, mutate: (b) => b.subarray(0, 7), expectSilence: true }),
    s('question truncated (no qtype/qclass)', { qname: leaf, qtype: T.A, mutate: (b) => b.subarray(0, b.length - 4) }),
    s('trailing garbage after question', {
      qname: leaf,
      qtype: T.A,
      mutate: (b) => Buffer.concat([b, Buffer.from('deadbeef', 'hex')]),
    }),
    s('ancount 1 in query with no answer data', {
      qname: leaf,
      qtype: T.A,
      mutate: (b) => {
        b.writeUInt16BE(1, 6);
        return b;
      },
    }),
    s('AXFR over UDP', { qname: apex, qtype: T.AXFR }),
    s('IXFR over UDP', { qname: apex, qtype: T.IXFR }),
    s('AXFR over TCP (unauthorised source)', { qname: apex, qtype: T.AXFR, transport: 'tcp' }),
    s('MAILB', { qname: apex, qtype: T.MAILB }),
    s('qtype 0', { qname: apex, qtype: 0 }),
    s('qtype RRSIG (46) on unsigned zone', { qname: apex, qtype: 46, edns: { udp: 1232, do: true } }),
    s('qtype NSEC (47) on unsigned zone', { qname: apex, qtype: 47, edns: { udp: 1232, do: true } }),
    s('qtype DNSKEY (48) on unsigned zone', { qname: apex, qtype: 48, edns: { udp: 1232, do: true } }),
    s('qtype OPT (41)', { qname: apex, qtype: T.OPT }),
    s('root name, SOA', { qname: '.', qtype: T.SOA }),
    s('out of zone name with EDNS', { qname: 'outside.test.', qtype: T.A, edns: EDNS_1232 }),
    s('sibling name (conformance.example.x.)', { qname: ORIGIN.replace(/\.$/, '.x.'), qtype: T.A }),
  ];
  for (const w of wildcards) {
    list.push(s(`wildcard owner queried literally (${w}) TXT`, { qname: w, qtype: T.TXT }));
    list.push(
      s(`wildcard, mixed case label (${mixCase('Foo.' + w.slice(2))}) TXT`, {
        qname: mixCase('Foo.' + w.slice(2)),
        qtype: T.TXT,
      }),
    );
  }
  for (const d of delegations) {
    list.push(s(`DS at delegation ${d}, DO bit`, { qname: d, qtype: T.DS, edns: { udp: 1232, do: true } }));
    list.push(s(`delegation ${d} NS with RD set`, { qname: d, qtype: T.NS, rd: true }));
  }
  return list;
}

// ---------------------------------------------------------------------------------------------------------------
// Normalisation

function presName(n, lower = true) {
  if (n === '' || n === '.') return '.';
  const escaped = n.replace(/[^\x21-\x7e]|[()";\\]/g, (ch) => `\\${String(ch.charCodeAt(0)).padStart(3, '0')}`);
  return fqdn(lower ? escaped.toLowerCase() : escaped);
}

function txtString(b) {
  let s = '';
  for (const byte of b) {
    if (byte === 0x22 || byte === 0x5c) s += '\\' + String.fromCharCode(byte);
    else if (byte < 0x20 || byte > 0x7e) s += '\\' + String(byte).padStart(3, '0');
    else s += String.fromCharCode(byte);
  }
  return `"${s}"`;
}

function rdataText(rr) {
  const d = rr.data;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return String(d);
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'DNAME':
      return presName(d);
    case 'MX':
      return `${d.preference} ${presName(d.exchange)}`;
    case 'SOA':
      return `${presName(d.mname)} ${presName(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'TXT':
      return (Array.isArray(d) ? d : [d])
        .map((x) => txtString(Buffer.isBuffer(x) ? x : Buffer.from(String(x))))
        .join(' ');
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${presName(d.target)}`;
    case 'CAA':
      return `${d.flags} ${d.tag} ${txtString(Buffer.from(d.value))}`;
    case 'DS':
      return `${d.keyTag} ${d.algorithm} ${d.digestType} ${Buffer.from(d.digest).toString('hex')}`;
    case 'HINFO':
      return `${txtString(Buffer.from(d.cpu))} ${txtString(Buffer.from(d.os))}`;
    default:
      if (Buffer.isBuffer(d)) return `\\# ${d.length}${d.length ? ' ' + d.toString('hex') : ''}`;
      return JSON.stringify(d, (k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v));
  }
}

function rrText(rr) {
  const type = rr.type.startsWith('UNKNOWN_') ? `TYPE${rr.type.slice(8)}` : rr.type;
  return `${presName(rr.name)} ${type} ${classFromPacket(rr.class)} ${rr.ttl} ${rdataText({ ...rr, type })}`;
}

function optionText(o) {
  const data = Buffer.from(o.data || []);
  switch (o.code) {
    case 3:
      return `NSID ${data.toString('hex')} ("${data.toString('latin1').replace(/[^\x20-\x7e]/g, '.')}")`;
    case 8: {
      if (data.length < 4) return `ECS malformed ${data.toString('hex')}`;
      return `ECS family=${data.readUInt16BE(0)} source=${data[2]} scope=${data[3]} addr=${data.subarray(4).toString('hex')}`;
    }
    case 10:
      return `COOKIE client=${data.subarray(0, 8).toString('hex')} server=${data.length > 8 ? '<' + (data.length - 8) + ' bytes>' : 'none'}`;
    case 11:
      return `KEEPALIVE ${data.length >= 2 ? data.readUInt16BE(0) : 'empty'}`;
    case 12:
      return `PADDING ${data.length}`;
    case 15:
      return `EDE ${data.length >= 2 ? data.readUInt16BE(0) : '?'} "${data.subarray(2).toString('utf8')}"`;
    default:
      return `OPTION${o.code} ${data.toString('hex')}`;
  }
}

/** The question section bytes, parsed by hand (qdcount, bytes, printable entries with case). */
function rawQuestions(buf) {
  if (!buf || buf.length < 12) return null;
  const qd = buf.readUInt16BE(4);
  const list = [];
  let off = 12;
  try {
    for (let i = 0; i < qd; i++) {
      const start = off;
      const labels = [];
      for (;;) {
        const len = buf[off];
        if (len === undefined) throw new Error('short');
        if ((len & 0xc0) !== 0) {
          labels.push('<pointer>');
          off += 2;
          break;
        }
        off += 1;
        if (len === 0) break;
        labels.push(buf.subarray(off, off + len).toString('latin1'));
        off += len;
      }
      if (off + 4 > buf.length) throw new Error('short');
      const qtype = buf.readUInt16BE(off);
      const qclass = buf.readUInt16BE(off + 2);
      off += 4;
      list.push({
        text: `${presName(labels.join('.'), false)} ${typeToString(qtype)} ${className(qclass)}`,
        bytes: buf.subarray(start, off),
      });
    }
  } catch {
    return { qd, list, bytes: buf.subarray(12, off), broken: true };
  }
  return { qd, list, bytes: buf.subarray(12, off), broken: false };
}

function normalise(wire, res) {
  if (!res.buf) return { status: res.error || 'no reply' };
  const buf = res.buf;
  if (buf.length < 12) return { status: 'short reply', info: { hex: buf.toString('hex') } };
  const hflags = buf.readUInt16BE(2);
  const flags = [
    [15, 'qr'],
    [10, 'aa'],
    [9, 'tc'],
    [8, 'rd'],
    [7, 'ra'],
    [6, 'z'],
    [5, 'ad'],
    [4, 'cd'],
  ]
    .filter(([bit]) => hflags & (1 << bit))
    .map(([, n]) => n)
    .join(' ');
  const out = {
    status: 'ok',
    rcode: null,
    opcode: OPCODES[(hflags >> 11) & 0xf] || `OPCODE${(hflags >> 11) & 0xf}`,
    flags,
    question: null,
    answer: [],
    authority: [],
    additional: [],
    opt: null,
    info: { size: buf.length, idMatch: wire.length < 2 || buf.readUInt16BE(0) === wire.readUInt16BE(0) },
  };

  // Question echo: compare the bytes with what we sent (case included).
  const sent = rawQuestions(wire);
  const got = rawQuestions(buf);
  let echo;
  if (!got || got.broken) echo = 'unparsable';
  else if (got.qd === 0 && sent && sent.qd > 0) echo = 'omitted';
  else if (sent && Buffer.compare(got.bytes, sent.bytes) === 0) echo = 'exact';
  else if (sent && got.bytes.toString('latin1').toLowerCase() === sent.bytes.toString('latin1').toLowerCase())
    echo = 'case changed';
  else echo = 'different';
  out.question = { echo, list: got ? got.list.map((q) => q.text) : [] };

  let msg;
  try {
    msg = dnsPacket.decode(buf);
  } catch (err) {
    out.status = `decode error: ${err.message}`;
    out.rcode = RCODES[hflags & 0xf] || `RCODE${hflags & 0xf}`;
    out.info.hex = buf.toString('hex');
    return out;
  }
  let rcode = hflags & 0xf;
  const opts = msg.additionals.filter((a) => a.type === 'OPT');
  if (opts.length) {
    const o = opts[0];
    rcode |= (o.extendedRcode || 0) << 4;
    out.opt = {
      count: opts.length,
      owner: presName(o.name),
      udp: o.udpPayloadSize,
      version: o.ednsVersion,
      do: !!(o.flags & 0x8000),
      zflags: o.flags & 0x7fff,
      extRcode: o.extendedRcode,
      options: (o.options || []).map(optionText),
    };
  }
  out.rcode = RCODES[rcode] || `RCODE${rcode}`;
  out.answer = msg.answers.map(rrText).sort();
  out.authority = msg.authorities.map(rrText).sort();
  out.additional = msg.additionals
    .filter((a) => a.type !== 'OPT')
    .map(rrText)
    .sort();
  out.info.answerOwnersAsSent = msg.answers.map((a) => presName(a.name, false));
  return out;
}

const COMPARED = ['status', 'rcode', 'opcode', 'flags', 'question', 'answer', 'authority', 'additional', 'opt'];

function diffFields(a, b) {
  return COMPARED.filter((f) => JSON.stringify(a[f] ?? null) !== JSON.stringify(b[f] ?? null));
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function describe(n) {
  if (n.status !== 'ok') {
    return [`${n.status}${n.rcode ? ' ' + n.rcode : ''}${n.info && n.info.hex ? ' ' + n.info.hex : ''}`];
  }
  const opt = n.opt
    ? `OPT(udp=${n.opt.udp} v${n.opt.version}${n.opt.do ? ' do' : ''}${n.opt.zflags ? ' z=' + n.opt.zflags : ''}` +
      `${n.opt.count > 1 ? ' x' + n.opt.count : ''}${n.opt.options.length ? ' ' + n.opt.options.join(', ') : ''})`
    : 'no OPT';
  const head = `${n.rcode} ${n.opcode !== 'QUERY' ? n.opcode + ' ' : ''}[${n.flags}] q=${n.question.echo}${
    n.question.echo !== 'exact' || n.question.list.length !== 1 ? ' ' + JSON.stringify(n.question.list) : ''
  } ${opt} size=${n.info.size}`;
  const lines = [head];
  for (const [sec, tag] of [
    ['answer', 'an'],
    ['authority', 'ns'],
    ['additional', 'ar'],
  ]) {
    for (const r of n[sec]) lines.push(`${tag}: ${r}`);
  }
  return lines;
}

function block(q, results, names, fieldsByPair) {
  const lines = [`### ${q.key}   (${q.why})`];
  for (const [pair, fields] of fieldsByPair) lines.push(`    ${pair}: ${fields.join(', ')}`);
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const d = describe(results[name]);
    lines.push(`  ${name.padEnd(width)} ${d[0]}`);
    for (const l of d.slice(1)) lines.push(`  ${' '.repeat(width)}   ${l}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main() {
  if (!fs.existsSync(ZONE_FILE)) throw new Error(`zone file not found: ${ZONE_FILE}`);
  tmpDir = fs.mkdtempSync('/tmp/compare-peers-run-');
  const zonePath = path.join(tmpDir, ORIGIN + 'zone');
  fs.copyFileSync(ZONE_FILE, zonePath);

  const knot = await startKnot(tmpDir, zonePath);
  const nsd = await startNsd(tmpDir, zonePath);
  await Promise.all([waitReady(knot), waitReady(nsd)]);
  const servers = [knot, nsd];
  if (args.ours) {
    const ours = { name: 'ours', ...parseHostPort(args.ours), logFile: null };
    await waitReady(ours, 5);
    servers.push(ours);
  }
  console.log(`compare-peers: ${servers.map((s) => `${s.name}@${s.host}:${s.port}`).join(', ')}  (tmp ${tmpDir})`);

  const records = await axfr(knot);
  const { queries, names, owners } = buildMatrix(records);
  console.log(
    `compare-peers: zone ${ORIGIN} ${records.length} RRs, ${owners.size} owners; ${names.length} names x ` +
      `${MATRIX_TYPES.length} types x ${FLAVOURS.length} flavours + mixed-case owners + specials = ${queries.length} queries per server`,
  );

  // Send everything.
  const results = queries.map(() => ({}));
  const wires = queries.map((q, i) => buildQuery(q, (i * 7919 + 1) & 0xffff));
  const jobs = [];
  for (let i = 0; i < queries.length; i++) for (const s of servers) jobs.push([i, s]);
  const started = Date.now();
  await runPool(jobs, CONCURRENCY, async ([i, s]) => {
    const res = await send(s, queries[i], wires[i]);
    results[i][s.name] = { norm: normalise(wires[i], res), hex: res.buf ? res.buf.toString('hex') : null };
  });
  console.log(`compare-peers: ${jobs.length} exchanges in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  // Compare.
  const names2 = servers.map((s) => s.name);
  const pairs = [['knot', 'nsd']];
  if (args.ours) pairs.push(['ours', 'knot'], ['ours', 'nsd']);
  const kinds = new Map(); // signature -> { count, examples: [index] }
  const pairCounts = Object.fromEntries(pairs.map((p) => [p.join('≠'), 0]));
  const fieldCounts = {};
  const fullReport = [];
  const json = [];
  let oursDiffersFromBoth = 0;
  const oursBothKeys = [];
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i];
    const norms = Object.fromEntries(names2.map((n) => [n, results[i][n].norm]));
    const fieldsByPair = [];
    for (const [a, b] of pairs) {
      const f = diffFields(norms[a], norms[b]);
      if (f.length) {
        fieldsByPair.push([`${a}≠${b}`, f]);
        pairCounts[`${a}≠${b}`]++;
        for (const x of f) fieldCounts[`${a}≠${b} ${x}`] = (fieldCounts[`${a}≠${b} ${x}`] || 0) + 1;
      }
    }
    const oursBoth =
      args.ours && fieldsByPair.some(([p]) => p === 'ours≠knot') && fieldsByPair.some(([p]) => p === 'ours≠nsd');
    if (oursBoth) {
      oursDiffersFromBoth++;
      oursBothKeys.push(q.key);
    }
    json.push({
      key: q.key,
      why: q.why,
      query: wires[i].toString('hex'),
      transport: q.transport,
      differences: Object.fromEntries(fieldsByPair),
      replies: Object.fromEntries(names2.map((n) => [n, results[i][n]])),
    });
    if (!fieldsByPair.length) continue;
    fullReport.push(block(q, norms, names2, fieldsByPair));
    const sig = fieldsByPair.map(([p, f]) => `${p} [${f.join(',')}]`).join('; ');
    if (!kinds.has(sig)) kinds.set(sig, { count: 0, examples: [] });
    const k = kinds.get(sig);
    k.count++;
    // Prefer examples with different qtypes / flavours.
    if (k.examples.length < EXAMPLES) {
      const seen = k.examples.map((j) => queries[j].qtype + queries[j].why);
      if (!seen.includes(q.qtype + q.why) || q.why === 'special') k.examples.push(i);
    }
  }

  // Print grouped report.
  const sorted = [...kinds].sort((a, b) => b[1].count - a[1].count);
  const out = [];
  for (const [sig, k] of sorted) {
    out.push(`=============== ${k.count} quer${k.count === 1 ? 'y' : 'ies'}: ${sig}`);
    for (const i of k.examples) {
      const norms = Object.fromEntries(names2.map((n) => [n, results[i][n].norm]));
      out.push(block(queries[i], norms, names2, []));
    }
    out.push('');
  }
  const summary = [
    '--------------- summary',
    `queries per server: ${queries.length}`,
    ...Object.entries(pairCounts).map(([p, c]) => `${p}: ${c} queries differ`),
    ...Object.entries(fieldCounts)
      .sort()
      .map(([f, c]) => `  ${f}: ${c}`),
  ];
  if (args.ours) summary.push(`ours differs from BOTH knot and nsd: ${oursDiffersFromBoth}`);
  console.log(out.join('\n'));
  console.log(summary.join('\n'));

  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(OUT_DIR, 'replies.json'),
    JSON.stringify(
      {
        generated: new Date().toISOString(),
        zone: ZONE_FILE,
        origin: ORIGIN,
        servers: servers.map((s) => ({ name: s.name, host: s.host, port: s.port })),
        compared: COMPARED,
        queries: json,
      },
      null,
      1,
    ),
  );
  fs.writeFileSync(path.join(OUT_DIR, 'report.txt'), fullReport.join('\n\n') + '\n\n' + summary.join('\n') + '\n');
  const bothFile = path.join(OUT_DIR, 'ours-differs-from-both.txt');
  if (oursBothKeys.length) fs.writeFileSync(bothFile, oursBothKeys.join('\n') + '\n');
  else fs.rmSync(bothFile, { force: true });
  console.log(`\nfull report: ${path.join(OUT_DIR, 'report.txt')}, replies: ${path.join(OUT_DIR, 'replies.json')}`);

  await stopChildren();
  return args.strict && oursDiffersFromBoth > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('compare-peers: error:', err && err.stack ? err.stack : err);
    stopChildren().finally(() => process.exit(2));
  },
);
