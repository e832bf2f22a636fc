#!/usr/bin/env node
// `npm start`: the example zone with live health. Starts demo backends on loopback for the example's
// datacenters (the `probe:` targets in examples/gslb.example.com/names.yaml), a small control page to
// stop and start them, then `gslb serve --zones examples` in-process health mode, and prints dig lines.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import tls from 'node:tls';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Every port the demo uses. GSLB_DEMO_PORT_BASE=N (a test hook: a test's demo must not collide with a
// developer's) moves them to N, N+1, ... in this order, in a copy of the example zone too.
const DEMO_PORTS = [5353, 8053, 18080, 18081, 18082, 18083, 18441, 18442];
const portBase = demoPortBase(process.env.GSLB_DEMO_PORT_BASE);
function demoPort(port) {
  if (portBase === null) return port;
  const i = DEMO_PORTS.indexOf(port);
  if (i < 0) throw new Error(`demo port ${port} is missing from DEMO_PORTS in scripts/demo.mjs`);
  return portBase + i;
}
function demoPortBase(text) {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1024 || n > 65535 - DEMO_PORTS.length) {
    console.error(`demo: GSLB_DEMO_PORT_BASE must be a port from 1024 to ${65535 - DEMO_PORTS.length}, got '${text}'`);
    process.exit(2);
  }
  return n;
}
const DNS_PORT = demoPort(5353);
const ADMIN_PORT = demoPort(8053);
const CONTROL = demoPort(18080);
// datacenter -> [web (HTTP /healthz) port, tls (TLS with the demo certificate) port or null]
const DATACENTERS = { 'us-east': [18081, 18441], 'eu-west': [18082, 18442], 'ap-south': [18083, null] };
for (const ports of Object.values(DATACENTERS)) ports.forEach((p, i) => (ports[i] = p === null ? null : demoPort(p)));
const up = new Map(Object.keys(DATACENTERS).map((dc) => [dc, true]));
// Active connections each datacenter's (pretend) load balancer reports on /nginx_status.
const load = new Map(Object.keys(DATACENTERS).map((dc) => [dc, 10]));
const servers = [];

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE' ? `port ${port} is taken (is another \`npm start\` running?)` : err.message,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

async function startBackends() {
  // The example's tls check pins this self-signed certificate (a public demo key, see its README).
  const demoTls = join(root, 'examples', 'gslb.example.com', 'demo-tls');
  const certificate = { key: readFileSync(join(demoTls, 'key.pem')), cert: readFileSync(join(demoTls, 'cert.pem')) };
  for (const [dc, [web, tlsPort]] of Object.entries(DATACENTERS)) {
    // A down datacenter refuses nothing but answers 503 (web) or accepts and resets before the TLS
    // handshake (tls): like a sick load balancer, which a TCP connect check would still call up.
    const h = http.createServer((req, res) => {
      if (req.url === '/nginx_status') {
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
        const n = load.get(dc);
        res.end(
          `Active connections: ${n} \nserver accepts handled requests\n ${n} ${n} ${n} \nReading: 0 Writing: 1 Waiting: ${n - 1} \n`,
        );
        return;
      }
      const ok = up.get(dc) && req.url === '/healthz';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' });
      res.end(ok ? `ok ${dc}\n` : `${dc} is down\n`);
    });
    servers.push(h);
    await listen(h, web);
    if (tlsPort) {
      const handshakes = tls.createServer(certificate, (s) => {
        s.on('error', () => {}); // the probe hangs up right after its handshake
        s.end();
      });
      const t = net.createServer((s) => (up.get(dc) ? handshakes.emit('connection', s) : s.resetAndDestroy()));
      servers.push(t);
      await listen(t, tlsPort);
    }
  }
  const control = http.createServer((req, res) => {
    const m = /^\/(up|down)\/([a-z-]+)\/?$/.exec(req.url ?? '');
    if (m && up.has(m[2])) {
      up.set(m[2], m[1] === 'up');
      console.log(`demo: datacenter ${m[2]} is now ${m[1]}`);
    }
    const l = /^\/load\/([a-z-]+)\/([0-9]{1,6})\/?$/.exec(req.url ?? '');
    if (l && load.has(l[1])) {
      load.set(l[1], Number(l[2]));
      console.log(`demo: datacenter ${l[1]} now reports ${l[2]} active connections`);
    }
    const bad = (m && !up.has(m[2])) || (l && !load.has(l[1]));
    res.writeHead(bad ? 404 : 200, { 'content-type': 'text/plain' });
    res.end([...up].map(([dc, on]) => `${dc}: ${on ? 'up' : 'down'}, ${load.get(dc)} connections`).join('\n') + '\n');
  });
  servers.push(control);
  await listen(control, CONTROL);
}

/** The example zones, or with GSLB_DEMO_PORT_BASE a copy whose backend addresses use the moved ports. */
function demoZones() {
  if (portBase === null) return 'examples';
  const copy = mkdtempSync(join(tmpdir(), 'gslb-demo-'));
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(root, 'examples'), copy, { recursive: true });
  const movePorts = (text) =>
    text.replace(/127\.0\.0\.1:(\d+)/g, (all, port) =>
      DEMO_PORTS.includes(Number(port)) ? `127.0.0.1:${demoPort(Number(port))}` : all,
    );
  const rewrite = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) rewrite(path);
      else if (/\.(ya?ml|zone)$/.test(name)) writeFileSync(path, movePorts(readFileSync(path, 'utf8')));
    }
  };
  rewrite(copy);
  return copy;
}

// Stopping: SIGINT or SIGTERM (npm passes them on), or this process orphaned (its parent, npm or a
// shell, died without passing one on). gslb serve goes first, its workers with it, then the backends.
// gslb serve also stops by itself when this process dies (SIGKILL): it has an IPC channel to it.
let child = null;
let stopping = false;
function closeBackends() {
  for (const s of servers) {
    s.close();
    s.closeAllConnections?.();
  }
}
function stop() {
  if (stopping) return;
  stopping = true;
  if (child === null || child.exitCode !== null || child.signalCode !== null) {
    closeBackends();
    process.exit(0);
  }
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 2500).unref();
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, stop);
process.on('SIGHUP', () => child?.kill('SIGHUP')); // gslb serve reloads
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop(), 250).unref();

try {
  await startBackends();
} catch (err) {
  console.error(`demo: ${err.message}${portBase === null ? '' : ` (GSLB_DEMO_PORT_BASE=${portBase})`}`);
  closeBackends();
  process.exit(1);
}

const dnsListen = portBase === null ? [] : ['--listen', `127.0.0.1:${DNS_PORT}`, '--listen', `[::1]:${DNS_PORT}`];
const args = ['bin/gslb', 'serve', '--zones', demoZones(), '--admin', `127.0.0.1:${ADMIN_PORT}`, ...dnsListen];
// The flags bin/gslb's first line gives node, also when started this way (see server/heap.ts).
const { NODE_FLAGS } = await import('../dist/server/heap.js');
if (!stopping) {
  child = spawn(process.execPath, [...NODE_FLAGS, ...args, ...process.argv.slice(2)], {
    cwd: root,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  child.on('exit', (code) => {
    closeBackends();
    process.exit(stopping ? 0 : (code ?? 1));
  });
}

setTimeout(() => {
  if (child?.exitCode !== null) return;
  console.log(`
Try it (in another terminal):
  dig @127.0.0.1 -p ${DNS_PORT} www.gslb.example.com A +subnet=81.2.69.0/24     # Europe -> eu-west (198.51.100.x)
  dig @127.0.0.1 -p ${DNS_PORT} www.gslb.example.com A +subnet=8.8.8.0/24       # Americas -> us-east (192.0.2.x)
  curl 127.0.0.1:${CONTROL}/down/eu-west                                  # make eu-west fail its health check
  dig @127.0.0.1 -p ${DNS_PORT} www.gslb.example.com A +subnet=81.2.69.0/24     # ~15 s later: us-east (fall 3 x 5 s)
  curl 127.0.0.1:${CONTROL}/up/eu-west                                    # and back (rise 2 x 5 s)
  curl 127.0.0.1:${CONTROL}/load/eu-west/80                               # eu-west's load balancer: 80 connections
  dig @127.0.0.1 -p ${DNS_PORT} shop.gslb.example.com A +subnet=81.2.69.0/24    # a few seconds later: us-east (least-loaded)
  ./bin/gslb explain --zones examples www.gslb.example.com --client 81.2.69.0/24
Status page (where traffic goes, health by datacenter x agent, live): http://127.0.0.1:${ADMIN_PORT}/   metrics: http://127.0.0.1:${ADMIN_PORT}/metrics
Stop with Ctrl-C, or kill the npm process: gslb serve, its workers and these backends all stop.`);
}, 1500).unref();
