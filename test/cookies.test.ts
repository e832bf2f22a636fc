// DNS cookies (RFC 7873, server cookies per RFC 9018) through the real `gslb serve`: the bytes checked
// against our own SipHash-2-4 of the RFC's construction (helpers/dns-cookies.ts, itself checked on the
// RFC's test vectors), so a server cookie is right because the format says so, not because the server
// agrees with itself; then servers sharing a secret, a secret roll, --no-cookies, the default random
// secret shared by the workers, and Knot's kdig as a client.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply, type QueryOptions, type Reply } from './helpers/dns.js';
import { cookieOption, cookieTime, replyCookie, rfc9018Cookie, siphash24 } from './helpers/dns-cookies.js';
import { toolsOrSkip } from './helpers/dnssec-zone.js';
import { TcpClient, udpAskFrom } from './helpers/loopback-sources.js';
import { Named, namedOrSkip } from './helpers/named.js';
import { stopAll } from './helpers/processes.js';
import { metricDeltas, metrics, series, startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const APEX = 'ck.test';
const NAME = `www.${APEX}`;
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const OTHER_SECRET = Buffer.from('fedcba9876543210fedcba9876543210', 'hex');
const NEW_SECRET = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const CLIENT = Buffer.from('2464c4abcf10c957', 'hex');

function writeZone(dir: string): void {
  mkdirSync(join(dir, APEX), { recursive: true });
  writeFileSync(
    join(dir, APEX, 'records.zone'),
    `$ORIGIN ${APEX}.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.80\n`,
  );
}

const now = () => Math.floor(Date.now() / 1000);

/** A query for NAME carrying `cookie` (bytes of the COOKIE option) from `source`, over UDP. */
async function askWithCookie(
  port: number,
  cookie: Buffer | null,
  source = '127.0.0.1',
  o: Partial<QueryOptions> = {},
): Promise<Reply> {
  const msg = buildQuery({ name: NAME, rd: false, edns: { options: cookie ? [cookieOption(cookie)] : [] }, ...o });
  const raw = await udpAskFrom(source, port, msg);
  if (!raw) throw new Error(`no reply from port ${port} to a query with cookie ${cookie?.toString('hex')}`);
  return decodeReply(raw);
}

/**
 * Checks `r` carries a fresh RFC 9018 cookie for CLIENT made with `secret` for `source`: client cookie
 * echoed, version 1, reserved zero, timestamp within a few seconds of now, hash as the RFC computes it.
 */
function expectFreshCookie(r: Reply, secret: Buffer, source: string, client = CLIENT): Buffer {
  const c = replyCookie(r);
  expect(c, 'a COOKIE option in the reply').to.not.equal(null);
  expect(c!.length).to.equal(24);
  expect(c!.subarray(0, 8).toString('hex'), 'client cookie echoed').to.equal(client.toString('hex'));
  const server = c!.subarray(8);
  expect(server[0], 'version').to.equal(1);
  expect(server.subarray(1, 4).toString('hex'), 'reserved').to.equal('000000');
  expect(Math.abs(cookieTime(server) - now()), 'timestamp is now').to.be.at.most(3);
  const want = rfc9018Cookie(secret, client, source, cookieTime(server));
  expect(server.toString('hex'), 'the RFC 9018 hash under the expected secret').to.equal(want.toString('hex'));
  return c!;
}

const answered = (r: Reply) => {
  expect(r.rcode).to.equal(0);
  expect(r.answer).to.deep.equal([`${NAME} 60 A 192.0.2.80`]);
};

describe('cookies: our SipHash-2-4 and RFC 9018 maker (the yardstick)', () => {
  it('SipHash-2-4 gives the reference vector', () => {
    // The SipHash paper's vector: key 00..0f, message 00..0e.
    const key = Buffer.from([...Array(16).keys()]);
    const msg = Buffer.from([...Array(15).keys()]);
    expect(siphash24(key, msg).toString('hex')).to.equal('e545be4961ca29a1');
  });

  it('RFC 9018 appendix A.1 and A.2', () => {
    const secret = Buffer.from('e5e973e5a6b2a43f48e7dc849e37bfcf', 'hex');
    expect(rfc9018Cookie(secret, CLIENT, '198.51.100.100', 1559731985).toString('hex')).to.equal(
      '010000005cf79f111f8130c3eee29480',
    );
    expect(rfc9018Cookie(secret, CLIENT, '198.51.100.100', 1559734385).toString('hex')).to.equal(
      '010000005cf7a871d4a564a1442aca77',
    );
  });
});

describe('cookies through gslb serve', function () {
  this.timeout(60_000);
  let dir: string;
  /** --cookie-secret SECRET, default workers. */
  let a: ServeNode;
  /** --cookie-secret SECRET: shares A's secret. */
  let b: ServeNode;
  /** --cookie-secret OTHER_SECRET. */
  let c: ServeNode;
  /** --cookie-secret NEW_SECRET --cookie-secret SECRET: A's secret, rolled. */
  let rolled: ServeNode;
  let off: ServeNode;
  /** No cookie flag, default workers: one random secret for the node. */
  let plain: ServeNode;
  let secretsDir = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-cookies-'));
    writeZone(dir);
    const hex = (s: Buffer) => s.toString('hex');
    // C takes its secret from the environment, the rolled server its two from a file (one line,
    // separated by a comma and a space): the ways to keep secrets out of ps.
    c = await startServe(dir, ['--workers', '1'], false, { GSLB_COOKIE_SECRET: hex(OTHER_SECRET) });
    secretsDir = mkdtempSync(join(tmpdir(), 'gslb-cookie-secrets-'));
    const secrets = join(secretsDir, 'cookie-secrets');
    writeFileSync(secrets, `${hex(NEW_SECRET)}, ${hex(SECRET)}\n`, { mode: 0o600 });
    [a, b, rolled, off, plain] = await Promise.all([
      startServe(dir, ['--cookie-secret', hex(SECRET)], true),
      startServe(dir, ['--workers', '1', '--cookie-secret', hex(SECRET)]),
      startServe(dir, ['--workers', '1', '--cookie-secret-file', secrets]),
      startServe(dir, ['--workers', '1', '--no-cookies']),
      startServe(dir, []),
    ]);
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    rmSync(secretsDir, { recursive: true, force: true });
  });

  describe('by hand', () => {
    it('a client cookie alone gets a fresh 16-byte RFC 9018 server cookie, the client cookie echoed', async () => {
      const baseline = await metrics(a);
      for (const source of ['127.0.0.1', '127.0.1.1']) {
        const r = await askWithCookie(a.port, CLIENT, source);
        answered(r);
        expectFreshCookie(r, SECRET, source);
      }
      const want = { [series('gslb_cookies_total', { result: 'new' })]: 2 };
      expect(await metricDeltas(a, baseline, want)).to.deep.equal(want);
    });

    it('over TCP and IPv6 too (the hash takes the 16-byte address)', async () => {
      const tcp = await TcpClient.connect('127.0.0.1', a.port);
      tcp.send(buildQuery({ name: NAME, rd: false, edns: { options: [cookieOption(CLIENT)] } }));
      const raw = await tcp.next();
      tcp.close();
      expect(raw, 'a TCP reply').to.not.equal(null);
      expectFreshCookie(decodeReply(raw!), SECRET, '127.0.0.1');
      const raw6 = await udpAskFrom(
        '::1',
        a.port6!,
        buildQuery({ name: NAME, rd: false, edns: { options: [cookieOption(CLIENT)] } }),
        1000,
        '::1',
      );
      expect(raw6, 'an IPv6 reply').to.not.equal(null);
      expectFreshCookie(decodeReply(raw6!), SECRET, '::1');
    });

    it('a valid server cookie is echoed unchanged', async () => {
      const first = replyCookie(await askWithCookie(a.port, CLIENT))!;
      const baseline = await metrics(a);
      for (let i = 0; i < 5; i++) {
        const r = await askWithCookie(a.port, first);
        answered(r);
        expect(replyCookie(r)!.toString('hex')).to.equal(first.toString('hex'));
      }
      const want = { [series('gslb_cookies_total', { result: 'valid' })]: 5 };
      expect(await metricDeltas(a, baseline, want)).to.deep.equal(want);
    });

    it('a cookie made by the RFC 9018 recipe with the secret is valid though the server never made it', async () => {
      const made = Buffer.concat([CLIENT, rfc9018Cookie(SECRET, CLIENT, '127.0.0.1', now() - 60)]);
      const r = await askWithCookie(a.port, made);
      answered(r);
      expect(replyCookie(r)!.toString('hex')).to.equal(made.toString('hex'));
    });

    it('one over half an hour old is refreshed; over an hour old or 5+ minutes ahead is not accepted', async () => {
      const baseline = await metrics(a);
      const stale = Buffer.concat([CLIENT, rfc9018Cookie(SECRET, CLIENT, '127.0.0.1', now() - 40 * 60)]);
      const r1 = await askWithCookie(a.port, stale);
      answered(r1);
      expectFreshCookie(r1, SECRET, '127.0.0.1');
      for (const ts of [now() - 2 * 3600, now() + 10 * 60]) {
        const bad = Buffer.concat([CLIENT, rfc9018Cookie(SECRET, CLIENT, '127.0.0.1', ts)]);
        const r = await askWithCookie(a.port, bad);
        answered(r);
        expectFreshCookie(r, SECRET, '127.0.0.1');
      }
      const want = {
        [series('gslb_cookies_total', { result: 'stale' })]: 1,
        [series('gslb_cookies_total', { result: 'invalid' })]: 2,
      };
      expect(await metricDeltas(a, baseline, want)).to.deep.equal(want);
    });

    it('a server cookie made for another client address is wrong here', async () => {
      const forOther = Buffer.concat([CLIENT, rfc9018Cookie(SECRET, CLIENT, '127.0.9.9', now())]);
      const r = await askWithCookie(a.port, forOther, '127.0.0.1');
      answered(r);
      expectFreshCookie(r, SECRET, '127.0.0.1');
    });

    it('a wrong server cookie gets a normal answer and a fresh cookie (no BADCOOKIE)', async () => {
      const wrong = Buffer.concat([CLIENT, Buffer.from('0100000000000000aaaaaaaaaaaaaaaa', 'hex')]);
      wrong.writeUInt32BE(now(), 12);
      const r = await askWithCookie(a.port, wrong);
      answered(r);
      expectFreshCookie(r, SECRET, '127.0.0.1');
    });

    for (const length of [1, 7, 9, 15, 41]) {
      it(`a COOKIE option of ${length} bytes is FORMERR`, async () => {
        const r = await askWithCookie(a.port, Buffer.alloc(length, 0x5a));
        expect(r.rcode).to.equal(1);
        expect(r.answer).to.deep.equal([]);
      });
    }

    it('a query without a COOKIE option gets none back', async () => {
      const r = await askWithCookie(a.port, null);
      answered(r);
      expect(replyCookie(r)).to.equal(null);
    });
  });

  describe('across servers', () => {
    it('a cookie from A is valid at B, which shares its secret: echoed unchanged', async () => {
      const fromA = replyCookie(await askWithCookie(a.port, CLIENT))!;
      const baseline = await metrics(b);
      const r = await askWithCookie(b.port, fromA);
      answered(r);
      expect(replyCookie(r)!.toString('hex')).to.equal(fromA.toString('hex'));
      const want = { [series('gslb_cookies_total', { result: 'valid' })]: 1 };
      expect(await metricDeltas(b, baseline, want)).to.deep.equal(want);
    });

    it('a server with another secret replaces it with its own', async () => {
      const fromA = replyCookie(await askWithCookie(a.port, CLIENT))!;
      const r = await askWithCookie(c.port, fromA);
      answered(r);
      expect(replyCookie(r)!.toString('hex')).to.not.equal(fromA.toString('hex'));
      expectFreshCookie(r, OTHER_SECRET, '127.0.0.1');
    });

    it("a rolled secret: the old secret's cookie is accepted and answered with one made with the new", async () => {
      const fromA = replyCookie(await askWithCookie(a.port, CLIENT))!;
      const baseline = await metrics(rolled);
      const r = await askWithCookie(rolled.port, fromA);
      answered(r);
      expectFreshCookie(r, NEW_SECRET, '127.0.0.1');
      // Accepted, not judged wrong: the counters say so (valid or stale, the server's word for "ours,
      // replace it"; never invalid, never new).
      let seen: Record<string, number> = {};
      await until(
        'the cookie counted',
        async () => {
          const m = await metrics(rolled);
          seen = Object.fromEntries(
            ['new', 'valid', 'stale', 'invalid'].map((result) => {
              const s = series('gslb_cookies_total', { result });
              return [result, (m.get(s) ?? 0) - (baseline.get(s) ?? 0)];
            }),
          );
          return seen['valid']! + seen['stale']! === 1;
        },
        3000,
        100,
      ).catch(() => {});
      expect(seen).to.include({ new: 0, invalid: 0 });
      expect(seen['valid']! + seen['stale']!, JSON.stringify(seen)).to.equal(1);
      // And the new one is valid there from then on.
      const again = await askWithCookie(rolled.port, replyCookie(r)!);
      expect(replyCookie(again)!.toString('hex')).to.equal(replyCookie(r)!.toString('hex'));
    });

    it('without --cookie-secret, every worker of a node accepts the cookie any of them made', async () => {
      expect(plain.workers, 'this test needs the default workers to be more than one').to.be.greaterThan(1);
      const first = replyCookie(await askWithCookie(plain.port, CLIENT))!;
      expect(first.length).to.equal(24);
      // Each query from its own socket: the kernel hands them to either worker.
      for (let i = 0; i < 20; i++) {
        const r = await askWithCookie(plain.port, first);
        expect(replyCookie(r)!.toString('hex'), `query ${i}`).to.equal(first.toString('hex'));
      }
    });
  });

  describe('--no-cookies', () => {
    it('no COOKIE option in replies, a client cookie is ignored', async () => {
      const r = await askWithCookie(off.port, CLIENT);
      answered(r);
      expect(replyCookie(r)).to.equal(null);
    });

    it('a COOKIE option of a bad length gets no COOKIE option back either', async () => {
      // Answered or FORMERR (the decoder judges the option's length whether cookies are on or not).
      const r = await askWithCookie(off.port, Buffer.alloc(7, 1));
      expect(r.rcode).to.be.oneOf([0, 1]);
      expect(replyCookie(r)).to.equal(null);
    });
  });

  describe('BIND (named) sharing the secret', function () {
    let named: Named;
    before(async function () {
      namedOrSkip(this);
      named = await Named.start({
        zones: {
          [APEX]: `$ORIGIN ${APEX}.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.80\n`,
        },
        // Over UDP named answers a server cookie it does not accept with BADCOOKIE (23): its verdict shows.
        options: [
          `cookie-secret "${SECRET.toString('hex')}"`,
          'cookie-algorithm siphash24',
          'require-server-cookie yes',
        ],
      });
    });
    after(async () => {
      await named?.stop();
    });

    it('a cookie named made is valid at gslb serve: echoed unchanged', async () => {
      const fromNamed = replyCookie(await askWithCookie(named.port, CLIENT));
      expect(fromNamed?.length, named.log).to.equal(24);
      const r = await askWithCookie(a.port, fromNamed);
      answered(r);
      expect(replyCookie(r)!.toString('hex')).to.equal(fromNamed!.toString('hex'));
    });

    it("named accepts gslb serve's cookie (answers, no BADCOOKIE), and refuses one made with another secret", async () => {
      const fromA = replyCookie(await askWithCookie(a.port, CLIENT))!;
      answered(await askWithCookie(named.port, fromA));
      const fromC = replyCookie(await askWithCookie(c.port, CLIENT))!;
      expect((await askWithCookie(named.port, fromC)).rcode, Named.version()).to.equal(23);
    });
  });

  describe('kdig (Knot) as the client', function () {
    before(function () {
      toolsOrSkip(this, ['kdig']);
    });

    const kdig = (port: number, ...opts: string[]) => {
      const r = spawnSync('kdig', [`@127.0.0.1`, '-p', String(port), '+norec', ...opts, NAME, 'A'], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(r.status, r.stderr + r.stdout).to.equal(0);
      return r.stdout;
    };
    const cookieIn = (out: string) => /COOKIE: ([0-9a-fA-F]+)/.exec(out)?.[1]?.toLowerCase() ?? null;

    it('kdig +cookie gets a server cookie; kdig +cookie=<client+server> has it accepted (echoed)', () => {
      const out1 = kdig(a.port, '+cookie');
      const got = cookieIn(out1);
      expect(got, out1).to.match(/^[0-9a-f]{48}$/);
      expect(out1).to.match(/NOERROR/);
      expect(out1).to.include('192.0.2.80');
      // Made by the RFC 9018 recipe for kdig's own client cookie.
      const client = Buffer.from(got!.slice(0, 16), 'hex');
      const server = Buffer.from(got!.slice(16), 'hex');
      expect(server.toString('hex')).to.equal(
        rfc9018Cookie(SECRET, client, '127.0.0.1', cookieTime(server)).toString('hex'),
      );
      const out2 = kdig(a.port, `+cookie=${got}`);
      expect(cookieIn(out2), out2).to.equal(got);
      // And B, sharing the secret, accepts kdig's cookie as it stands.
      const out3 = kdig(b.port, `+cookie=${got}`);
      expect(cookieIn(out3), out3).to.equal(got);
    });
  });
});
