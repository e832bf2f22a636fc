// Active checks against real loopback servers: TCP, HTTP(S) status/body/Host/SNI/TLS/redirects, TLS
// handshakes (SNI, verification, private CA, certificate expiry), DNS, timeouts.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import dnsPacket from 'dns-packet';
import { runProbe } from '../health/checks/index.js';
import type { CheckSpec } from '../health/probe-types.js';
import { selfSignedCertificate, type TestCertificate } from './helpers/tls.js';
import { expiryWarning } from '../health/checks/tls.js';
import { until } from './helpers/until.js';

const HOST = '127.0.0.1';

function spec(over: Partial<CheckSpec> & Pick<CheckSpec, 'type' | 'port'>): CheckSpec {
  return {
    host: HOST,
    path: '/',
    expect: over.type === 'dns' ? [0] : [200],
    hostHeader: null,
    sni: null,
    tlsVerify: true,
    ca: null,
    expiryWarnDays: 14,
    body: null,
    followRedirects: false,
    query: null,
    qtype: 'SOA',
    timeoutMs: 1000,
    ...over,
  };
}

function portOf(server: net.Server | dgram.Socket): number {
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('not listening');
  return a.port;
}

async function listen<S extends net.Server>(server: S): Promise<S> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return server;
}

/** Closes a server and any connections it still holds (never-answering servers hold some). */
async function close(server: net.Server, sockets: Set<net.Socket> = new Set()): Promise<void> {
  for (const s of sockets) s.destroy();
  if (server instanceof http.Server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (bound, then released). */
async function closedTcpPort(): Promise<number> {
  const s = await listen(net.createServer());
  const port = portOf(s);
  await close(s);
  return port;
}

interface Seen {
  path: string;
  host: string | undefined;
  servername: string | false | null | undefined;
}

/** The routes both the HTTP and the HTTPS test servers answer. */
function handler(seen: Seen[]): http.RequestListener {
  return (req, res) => {
    const url = (req.url ?? '/').replace(/\?.*/, '');
    const servername = 'encrypted' in req.socket ? (req.socket as TLSSocket).servername : undefined;
    seen.push({ path: req.url ?? '', host: req.headers.host, servername });
    const port = (req.socket.localPort ?? 0).toString();
    if (url === '/ok') return res.end('all ok here');
    if (url === '/down') return res.writeHead(503).end('down for maintenance');
    if (url === '/redirect') return res.writeHead(302, { location: '/ok' }).end('moved');
    if (url === '/redirect-down') return res.writeHead(302, { location: '/down' }).end();
    if (url === '/redirect-vhost')
      return res.writeHead(301, { location: `http://www.example.test:${port}/ok?from=vhost` }).end();
    if (url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (url === '/big') return res.end('x'.repeat(200 * 1024) + 'needle');
    res.writeHead(404).end('not found');
  };
}

/** Runs a probe in a fresh node process; resolves with its result and how long the process lived. */
function probeInChild(s: CheckSpec): Promise<{ result: { ok: boolean; reason: string }; ms: number }> {
  const mod = new URL('../health/checks/index.js', import.meta.url).href;
  const code = `const { runProbe } = await import(${JSON.stringify(mod)});
    process.stdout.write(JSON.stringify(await runProbe(JSON.parse(process.argv[1]))));`;
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, JSON.stringify(s)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    // A leaked socket or timer would keep the child alive indefinitely.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child still alive after 5s (printed ${out})`));
    }, 5000);
    child.once('exit', () => {
      clearTimeout(guard);
      resolve({ result: JSON.parse(out) as { ok: boolean; reason: string }, ms: Date.now() - t0 });
    });
  });
}

describe('health checks: tcp', () => {
  it('a listening port is up', async () => {
    const server = await listen(net.createServer((s) => s.destroy()));
    try {
      const r = await runProbe(spec({ type: 'tcp', port: portOf(server) }));
      expect(r.ok, r.reason).to.equal(true);
      expect(r.rttMs).to.be.a('number').within(0, 1000);
      expect(r.at).to.be.closeTo(Date.now(), 2000);
    } finally {
      await close(server);
    }
  });

  it('a closed port is down: connection refused', async () => {
    const r = await runProbe(spec({ type: 'tcp', port: await closedTcpPort() }));
    expect(r).to.include({ ok: false, reason: 'connection refused' });
  });

  it('an aborted probe settles as aborted, and one aborted beforehand never connects', async () => {
    const server = net.createServer();
    let accepted = 0;
    server.on('connection', (s) => {
      accepted++;
      s.destroy();
    });
    await listen(server);
    try {
      const ctl = new AbortController();
      ctl.abort();
      const r = await runProbe(spec({ type: 'tcp', port: portOf(server) }), ctl.signal);
      expect(r).to.include({ ok: false, reason: 'aborted' });
      // A connection of our own, made after the probe: once the server has accepted it, it would have
      // accepted the probe's before it (connections are accepted in order).
      const own = net.connect(portOf(server), HOST);
      own.on('error', () => {});
      await until('our own connection accepted', () => accepted > 0, 2000);
      own.destroy();
      expect(accepted).to.equal(1);
    } finally {
      await close(server);
    }
  });

  it('never rejects, even for a spec node refuses outright', async () => {
    const r = await runProbe(spec({ type: 'tcp', port: 70000 }));
    expect(r.ok).to.equal(false);
    expect(r.reason).to.match(/^probe error: .*70000/);
  });
});

describe('health checks: http', () => {
  const seen: Seen[] = [];
  let server: http.Server;
  let port = 0;
  let silent: net.Server;
  const silentSockets = new Set<net.Socket>();

  before(async () => {
    server = await listen(http.createServer(handler(seen)));
    port = portOf(server);
    // Accepts connections and never answers: the probe must time out.
    silent = await listen(
      net.createServer((s) => {
        s.resume(); // flowing, so the probe's close is seen
        silentSockets.add(s);
        s.on('close', () => silentSockets.delete(s));
      }),
    );
  });
  after(async () => {
    await close(server);
    await close(silent, silentSockets);
  });
  beforeEach(() => (seen.length = 0));

  const http_ = (over: Partial<CheckSpec>) => spec({ type: 'http', port, ...over });

  it('200 in expect is up; the reason names the status', async () => {
    const r = await runProbe(http_({ path: '/ok' }));
    expect(r).to.include({ ok: true, reason: 'HTTP 200' });
  });

  it('503 is down: HTTP 503 not in [200]; an expect list can accept it', async () => {
    expect(await runProbe(http_({ path: '/down' }))).to.include({ ok: false, reason: 'HTTP 503 not in [200]' });
    expect(await runProbe(http_({ path: '/down', expect: [200, 503] }))).to.include({ ok: true });
  });

  it('body substring: present is up, absent is down with the text quoted', async () => {
    expect(await runProbe(http_({ path: '/ok', body: 'ok here' }))).to.include({ ok: true });
    expect(await runProbe(http_({ path: '/ok', body: 'healthy' }))).to.include({
      ok: false,
      reason: 'body does not contain "healthy"',
    });
  });

  it('only the first 64 KiB of the body are searched', async () => {
    expect(await runProbe(http_({ path: '/big', body: 'xxxx' }))).to.include({ ok: true });
    expect(await runProbe(http_({ path: '/big', body: 'needle' }))).to.include({
      ok: false,
      reason: 'body does not contain "needle"',
    });
  });

  it('sends the configured Host header, else host:port', async () => {
    await runProbe(http_({ path: '/ok', hostHeader: 'www.example.test' }));
    await runProbe(http_({ path: '/ok' }));
    expect(seen.map((s) => s.host)).to.deep.equal(['www.example.test', `${HOST}:${port}`]);
  });

  it('a redirect is not followed by default: its status is judged', async () => {
    const r = await runProbe(http_({ path: '/redirect' }));
    expect(r).to.include({ ok: false, reason: 'HTTP 302 not in [200]' });
    expect(seen.map((s) => s.path)).to.deep.equal(['/redirect']);
    expect(await runProbe(http_({ path: '/redirect', expect: [302] }))).to.include({ ok: true });
  });

  it('followRedirects follows to the final response and applies the same checks there', async () => {
    const r = await runProbe(http_({ path: '/redirect', followRedirects: true, body: 'all ok' }));
    expect(r, r.reason).to.include({ ok: true });
    expect(seen.map((s) => s.path)).to.deep.equal(['/redirect', '/ok']);
    expect(await runProbe(http_({ path: '/redirect-down', followRedirects: true }))).to.include({
      ok: false,
      reason: 'HTTP 503 not in [200]',
    });
  });

  it('an absolute redirect to the same virtual host still goes to the probed address', async () => {
    const r = await runProbe(http_({ path: '/redirect-vhost', followRedirects: true, hostHeader: 'www.example.test' }));
    expect(r, r.reason).to.include({ ok: true });
    expect(seen.map((s) => [s.path, s.host])).to.deep.equal([
      ['/redirect-vhost', 'www.example.test'],
      ['/ok?from=vhost', `www.example.test:${port}`],
    ]);
  });

  it('gives up after 5 redirects', async () => {
    const r = await runProbe(http_({ path: '/loop', followRedirects: true }));
    expect(r).to.include({ ok: false, reason: 'too many redirects (5)' });
    expect(seen).to.have.length(6);
  });

  it('a server that never answers times out at timeoutMs', async () => {
    const r = await runProbe(spec({ type: 'http', port: portOf(silent), timeoutMs: 300 }));
    expect(r).to.include({ ok: false, reason: 'timeout after 300ms' });
    expect(r.rttMs).to.be.within(290, 1000);
    // The probe destroyed its socket: the server sees it go.
    await until('the server sees the socket close', () => silentSockets.size === 0, 2000);
  });

  it('a probe to a blackhole does not keep the process alive after its timeout', async () => {
    const { result, ms } = await probeInChild(spec({ type: 'http', port: portOf(silent), timeoutMs: 300 }));
    expect(result).to.include({ ok: false, reason: 'timeout after 300ms' });
    expect(ms).to.be.below(4000);
  });

  it('a closed port is down: connection refused', async () => {
    const r = await runProbe(spec({ type: 'http', port: await closedTcpPort() }));
    expect(r).to.include({ ok: false, reason: 'connection refused' });
  });

  it('a non-HTTP answer is down', async () => {
    const junk = await listen(net.createServer((s) => s.resume().end('SSH-2.0-OpenSSH\r\n\r\n')));
    try {
      const r = await runProbe(spec({ type: 'http', port: portOf(junk) }));
      expect(r.ok).to.equal(false);
      expect(r.reason).to.be.oneOf(['invalid HTTP response', 'connection closed without a response']);
    } finally {
      await close(junk);
    }
  });
});

describe('health checks: https', function () {
  const seen: Seen[] = [];
  let server: https.Server | null = null;
  let port = 0;

  before(function () {
    const tls = selfSignedCertificate();
    if (typeof tls === 'string') {
      console.log(`      (skipping https checks: ${tls})`);
      return this.skip();
    }
    server = https.createServer(tls, handler(seen));
  });
  before(async function () {
    if (!server) return this.skip();
    await listen(server);
    port = portOf(server);
  });
  after(async () => {
    if (server?.listening) await close(server);
  });
  beforeEach(() => (seen.length = 0));

  const https_ = (over: Partial<CheckSpec>) => spec({ type: 'https', port, path: '/ok', ...over });

  it('tlsVerify rejects a self-signed certificate with a TLS reason', async () => {
    const r = await runProbe(https_({ hostHeader: 'localhost' }));
    expect(r).to.include({ ok: false, reason: 'TLS: self-signed certificate' });
  });

  it('without tlsVerify the same server is up', async () => {
    const r = await runProbe(https_({ tlsVerify: false, body: 'all ok' }));
    expect(r, r.reason).to.include({ ok: true, reason: 'HTTP 200' });
  });

  it('SNI: the configured name, else the Host header name, never an IP literal', async () => {
    await runProbe(https_({ tlsVerify: false, sni: 'sni.example.test', hostHeader: 'www.example.test' }));
    await runProbe(https_({ tlsVerify: false, hostHeader: 'www.example.test:8443' }));
    await runProbe(https_({ tlsVerify: false }));
    expect(seen.map((s) => [s.host, s.servername])).to.deep.equal([
      ['www.example.test', 'sni.example.test'],
      ['www.example.test:8443', 'www.example.test'],
      [`${HOST}:${port}`, false],
    ]);
  });

  it('a plain-HTTP probe of a TLS port is down', async () => {
    const r = await runProbe(spec({ type: 'http', port, path: '/ok' }));
    expect(r.ok).to.equal(false);
  });

  it('an HTTPS probe of a plain-HTTP port fails with a TLS reason', async () => {
    const plain = await listen(http.createServer(handler([])));
    try {
      const r = await runProbe(spec({ type: 'https', port: portOf(plain), tlsVerify: false }));
      expect(r.ok).to.equal(false);
      expect(r.reason).to.match(/^TLS: /);
    } finally {
      await close(plain);
    }
  });
});

describe('health checks: tls', function () {
  /** Certificates for localhost and 127.0.0.1: valid a year, ending in 3 days, ended a day ago. */
  let year: TestCertificate;
  let soon: TestCertificate;
  let expired: TestCertificate;
  const servers: net.Server[] = [];
  const names: string[] = [];
  /** Handshakes the servers saw fail (a client that resets instead of closing shows up here). */
  const handshakeErrors: string[] = [];

  before(function () {
    const made = [selfSignedCertificate(365), selfSignedCertificate(3), selfSignedCertificate(-1)];
    const failed = made.find((c): c is string => typeof c === 'string');
    if (failed !== undefined) {
      console.log(`      (skipping tls checks: ${failed})`);
      return this.skip();
    }
    [year, soon, expired] = made as [TestCertificate, TestCertificate, TestCertificate];
  });
  after(async () => {
    for (const s of servers.splice(0)) await close(s);
  });

  /** A TLS server on loopback with this certificate; it notes the server names clients send (SNI). */
  async function tlsServer(c: TestCertificate): Promise<number> {
    const options: tls.TlsOptions = {
      key: c.key,
      cert: c.cert,
      // Called during the handshake only for a client that sends a name: undefined keeps these key and cert.
      SNICallback: (name, done) => {
        names.push(name);
        done(null, undefined);
      },
    };
    const server = tls.createServer(options, (socket) => socket.end());
    server.on('tlsClientError', (err: NodeJS.ErrnoException) => handshakeErrors.push(err.code ?? err.message));
    servers.push(await listen(server));
    return portOf(server);
  }

  /** A plain TCP server doing this with each connection. */
  async function tcpServer(
    onConnection: (s: net.Socket) => void,
  ): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      onConnection(s);
    });
    await listen(server);
    return { port: portOf(server), close: () => close(server, sockets) };
  }

  const tls_ = (port: number, over: Partial<CheckSpec> = {}) => spec({ type: 'tls', port, ...over });

  it('a completed handshake is up: verified against the certificate as CA, and unverified', async () => {
    const port = await tlsServer(year);
    const verified = await runProbe(tls_(port, { ca: year.cert }));
    expect(verified, verified.reason).to.include({ ok: true, reason: 'TLSv1.3 handshake ok' });
    expect(verified.warning).to.equal(undefined);
    const unverified = await runProbe(tls_(port, { tlsVerify: false }));
    expect(unverified, unverified.reason).to.include({ ok: true, reason: 'TLSv1.3 handshake ok' });
  });

  it('a passing probe closes cleanly: the server sees its handshake complete, not a reset', async () => {
    const port = await tlsServer(year);
    handshakeErrors.length = 0;
    for (let i = 0; i < 5; i++) expect((await runProbe(tls_(port, { ca: year.cert }))).ok).to.equal(true);
    // A failed handshake is reported before its socket closes: once the server holds none, all are in.
    const server = servers.at(-1)!;
    const open = () => new Promise<number>((res, rej) => server.getConnections((e, n) => (e ? rej(e) : res(n))));
    await until('the server holds no connection', async () => (await open()) === 0, 2000);
    expect(handshakeErrors).to.deep.equal([]);
  });

  it('verification on: a certificate no trusted CA signed is down', async () => {
    const port = await tlsServer(year);
    const r = await runProbe(tls_(port));
    expect(r).to.include({ ok: false, reason: 'TLS: self-signed certificate' });
  });

  it('a server that accepts and then resets is down (a TCP check calls it up)', async () => {
    // As the demo's failed backend does: the TCP connect succeeds, the handshake never does.
    const reset = await tcpServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
    const atOnce = await tcpServer((s) => s.resetAndDestroy());
    try {
      const r = await runProbe(tls_(reset.port, { tlsVerify: false }));
      expect(r).to.include({ ok: false, reason: 'connection reset during the TLS handshake' });
      expect((await runProbe(spec({ type: 'tcp', port: reset.port }))).ok).to.equal(true);
      // A reset on accept may beat the client's own connect event: the same reason all the same.
      for (let i = 0; i < 5; i++) {
        const early = await runProbe(tls_(atOnce.port, { tlsVerify: false }));
        expect(early).to.include({ ok: false, reason: 'connection reset during the TLS handshake' });
      }
    } finally {
      await reset.close();
      await atOnce.close();
    }
  });

  it('plain TCP is down: a server that speaks first fails the handshake, a silent one times out', async () => {
    const banner = await tcpServer((s) => s.write('SSH-2.0-OpenSSH_9.6\r\n'));
    const silent = await tcpServer(() => {});
    try {
      const spoken = await runProbe(tls_(banner.port, { tlsVerify: false }));
      expect(spoken.ok).to.equal(false);
      expect(spoken.reason).to.match(/^TLS: /);
      const quiet = await runProbe(tls_(silent.port, { tlsVerify: false, timeoutMs: 300 }));
      expect(quiet).to.include({ ok: false, reason: 'timeout after 300ms (TLS handshake)' });
    } finally {
      await banner.close();
      await silent.close();
    }
  });

  it('a closed port is refused, not a handshake failure', async () => {
    const r = await runProbe(tls_(await closedTcpPort()));
    expect(r).to.include({ ok: false, reason: 'connection refused' });
  });

  it('SNI: the configured name, else the probed host when it is a name, never an IP literal', async () => {
    const port = await tlsServer(year);
    names.length = 0;
    for (const over of [{ sni: 'api.example.test' }, { host: 'localhost' }, {}])
      expect((await runProbe(tls_(port, { tlsVerify: false, ...over }))).ok).to.equal(true);
    expect(names).to.deep.equal(['api.example.test', 'localhost']);
  });

  it('a name the certificate does not hold: down with verification, up without', async () => {
    const port = await tlsServer(year);
    const on = await runProbe(tls_(port, { ca: year.cert, sni: 'api.example.test' }));
    expect(on).to.include({ ok: false, reason: 'TLS: certificate name mismatch' });
    const off = await runProbe(tls_(port, { tlsVerify: false, sni: 'api.example.test' }));
    expect(off, off.reason).to.include({ ok: true });
    // The probed host is what is verified without SNI: 127.0.0.1 and localhost are in the certificate.
    expect((await runProbe(tls_(port, { ca: year.cert, host: 'localhost' }))).ok).to.equal(true);
  });

  it('a certificate ending in 3 days is up with the warning as its reason; expiry_warn_days 0 says nothing', async () => {
    const port = await tlsServer(soon);
    const r = await runProbe(tls_(port, { ca: soon.cert }));
    expect(r.ok, r.reason).to.equal(true);
    expect(r.reason).to.match(/^certificate expires in 3 days \(\d{4}-\d\d-\d\d\)$/);
    // Logged once a day per target and certificate: the warning names the certificate by its end.
    const ends = new X509Certificate(soon.cert).validTo;
    expect(r.warning).to.deep.equal({ text: r.reason, subject: `certificate ending ${ends}` });
    expect(await runProbe(tls_(port, { ca: soon.cert, expiryWarnDays: 3 }))).to.include({ ok: true });
    const quiet = await runProbe(tls_(port, { ca: soon.cert, expiryWarnDays: 0 }));
    expect(quiet).to.include({ ok: true, reason: 'TLSv1.3 handshake ok' });
  });

  it('an expired certificate: down with verification, up without (the reason says it expired)', async () => {
    const port = await tlsServer(expired);
    const on = await runProbe(tls_(port, { ca: expired.cert }));
    expect(on).to.include({ ok: false, reason: 'TLS: certificate has expired' });
    const off = await runProbe(tls_(port, { tlsVerify: false }));
    expect(off.ok, off.reason).to.equal(true);
    expect(off.reason).to.match(/^certificate expired 1 day ago \(\d{4}-\d\d-\d\d\)$/);
    expect(off.warning?.text).to.equal(off.reason);
  });

  it('https trusts a private CA given as ca', async () => {
    const server = https.createServer({ key: year.key, cert: year.cert }, (_req, res) => res.end('ok'));
    servers.push(await listen(server));
    const port = portOf(server);
    expect(await runProbe(spec({ type: 'https', port }))).to.include({
      ok: false,
      reason: 'TLS: self-signed certificate',
    });
    expect(await runProbe(spec({ type: 'https', port, ca: year.cert }))).to.include({ ok: true, reason: 'HTTP 200' });
  });

  it('expiryWarning: days rounded, today and within a day, off at 0', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const cases: Array<[string, number, string | null]> = [
      ['Dec 20 12:00:00 2026 GMT', 14, null],
      ['Dec 15 12:00:00 2026 GMT', 14, null],
      ['Dec 15 11:59:59 2026 GMT', 14, 'certificate expires in 14 days (2026-12-15)'],
      ['Dec  6 12:00:00 2026 GMT', 14, 'certificate expires in 5 days (2026-12-06)'],
      ['Dec  2 12:00:00 2026 GMT', 14, 'certificate expires in 1 day (2026-12-02)'],
      ['Dec  1 20:00:00 2026 GMT', 14, 'certificate expires within a day (2026-12-01)'],
      ['Dec  1 08:00:00 2026 GMT', 14, 'certificate expired today (2026-12-01)'],
      ['Nov 28 12:00:00 2026 GMT', 14, 'certificate expired 3 days ago (2026-11-28)'],
      ['Dec  2 12:00:00 2026 GMT', 0, null],
      ['not a date', 14, null],
    ];
    for (const [validTo, days, expected] of cases)
      expect(expiryWarning(validTo, days, now), validTo).to.equal(expected);
  });
});

describe('health checks: dns', () => {
  let responder: dgram.Socket;
  let port = 0;
  const questions: Array<{ name: string; type: string }> = [];

  before(async () => {
    responder = dgram.createSocket('udp4');
    responder.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const question = q.questions?.[0];
      if (!question) return;
      questions.push({ name: question.name, type: question.type });
      const reply = (id: number, rcode: number) =>
        responder.send(
          dnsPacket.encode({
            type: 'response',
            id,
            flags: dnsPacket.AUTHORITATIVE_ANSWER | rcode,
            questions: [question],
          }),
          rinfo.port,
          rinfo.address,
        );
      const id = q.id ?? 0;
      if (question.name === 'ok.test') reply(id, 0);
      else if (question.name === 'fail.test') reply(id, 2);
      else if (question.name === 'noisy.test') {
        // A stray reply with another ID (and a short runt) must be ignored.
        reply((id + 1) & 0xffff, 0);
        responder.send(Buffer.from([1, 2, 3]), rinfo.port, rinfo.address);
        setTimeout(() => reply(id, 2), 20);
      }
      // silent.test: no answer.
    });
    await new Promise<void>((resolve) => responder.bind(0, HOST, resolve));
    port = portOf(responder);
  });
  after(() => responder.close());
  beforeEach(() => (questions.length = 0));

  const dns_ = (over: Partial<CheckSpec>) => spec({ type: 'dns', port, qtype: 'SOA', ...over });

  it('NOERROR is up; the query carries the configured name and type', async () => {
    const r = await runProbe(dns_({ query: 'ok.test', qtype: 'A' }));
    expect(r).to.include({ ok: true, reason: 'DNS NOERROR' });
    expect(questions).to.deep.equal([{ name: 'ok.test', type: 'A' }]);
  });

  it('SERVFAIL is down with both rcodes named; expect can accept it', async () => {
    expect(await runProbe(dns_({ query: 'fail.test' }))).to.include({
      ok: false,
      reason: 'DNS rcode SERVFAIL not in [NOERROR]',
    });
    expect(await runProbe(dns_({ query: 'fail.test', expect: [0, 2] }))).to.include({ ok: true });
  });

  it('ignores replies whose ID does not match', async () => {
    const r = await runProbe(dns_({ query: 'noisy.test' }));
    expect(r).to.include({ ok: false, reason: 'DNS rcode SERVFAIL not in [NOERROR]' });
  });

  it('no answer is a timeout; the probe does not keep the process alive', async () => {
    expect(await runProbe(dns_({ query: 'silent.test', timeoutMs: 200 }))).to.include({
      ok: false,
      reason: 'timeout after 200ms',
    });
    const { result, ms } = await probeInChild(dns_({ query: 'silent.test', timeoutMs: 300 }));
    expect(result).to.include({ ok: false, reason: 'timeout after 300ms' });
    expect(ms).to.be.below(4000);
  });

  it('a closed UDP port is refused (ICMP), and a bad qtype fails without sending', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, HOST, resolve));
    const closed = portOf(s);
    await new Promise<void>((resolve) => s.close(resolve));
    expect(await runProbe(dns_({ port: closed, query: 'ok.test' }))).to.include({
      ok: false,
      reason: 'connection refused',
    });
    expect(await runProbe(dns_({ query: 'ok.test', qtype: 'BOGUS' }))).to.include({
      ok: false,
      reason: 'unknown qtype BOGUS',
    });
    expect(await runProbe(dns_({ query: null }))).to.include({ ok: false, reason: 'no query configured' });
    expect(questions).to.deep.equal([]);
  });

  it('TYPEnnn qtypes are sent as numbers', async () => {
    const r = await runProbe(dns_({ query: 'ok.test', qtype: 'TYPE65' }));
    expect(r).to.include({ ok: true });
    expect(questions).to.deep.equal([{ name: 'ok.test', type: 'UNKNOWN_65' }]);
  });
});
