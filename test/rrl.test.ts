// Response rate limiting through the real `gslb serve`, from several loopback source addresses (any
// 127/8 address is a local source on Linux, so 127.0.1.1 and 127.0.2.1 are clients in two /24s):
// bounded floods counted reply by reply (full, slipped, silent) against --rrl-rate, what is never
// limited (another prefix, TCP, a valid server cookie, an exempt source, log-only), the classes, the
// metrics and the log lines. With the default workers each worker enforces rate/workers (the contract),
// so the node's total lies between rate/workers (one worker saw the whole flood) and rate (every worker
// saw more than its share), never above; with --workers 1 the counts are exact.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply, type QueryOptions } from './helpers/dns.js';
import { cookieOption, replyCookie } from './helpers/dns-cookies.js';
import { TcpClient, udpAskFrom, udpFlood, type Tally } from './helpers/loopback-sources.js';
import { stopAll } from './helpers/processes.js';
import { logLines, metricDeltas, metrics, series, startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const RATE = 10;
const FLOOD = 200;
/** The flood goes out over this long: well under a second, so the allowance is mostly the initial burst. */
const SPREAD_MS = 300;
const WINDOW_S = 2;
const APEX = 'rrl.test';

/** A static name, a load-balanced name (two datacenters, picked by ECS), a delegation; NXDOMAIN and NODATA. */
function writeZone(dir: string): void {
  const zone = join(dir, APEX);
  mkdirSync(zone, { recursive: true });
  writeFileSync(
    join(zone, 'records.zone'),
    [
      `$ORIGIN ${APEX}.`,
      '$TTL 60',
      '@ SOA ns1 host 1 2 3 4 5',
      '@ NS ns1',
      'ns1 A 192.0.2.53',
      'www A 192.0.2.80',
      'sub NS ns.sub',
      'ns.sub A 192.0.2.99',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(zone, 'policy.yaml'),
    [
      'datacenters:',
      '  a: {}',
      '  b: {}',
      'regions:',
      '  ra:',
      '    match: { cidrs: [10.1.0.0/16] }',
      '    datacenters: [a, b]',
      '  rb:',
      '    match: { cidrs: [10.2.0.0/16] }',
      '    datacenters: [b, a]',
      'names:',
      '  lb:',
      '    policy: geo',
      '    ttl: 30',
      '    pools:',
      '      a: [192.0.2.1]',
      '      b: [192.0.2.2]',
      '',
    ].join('\n'),
  );
}

const ecs = (ip: string, prefix: number) =>
  ({ code: 8, family: 1, sourcePrefixLength: prefix, scopePrefixLength: 0, ip }) as never;

/** The flood's query maker: `o` with each query's own ID. */
const asking =
  (o: QueryOptions | ((i: number) => QueryOptions)) =>
  (i: number, id: number): Buffer =>
    buildQuery({ rd: false, ...(typeof o === 'function' ? o(i) : o), id });

const rnd = () => Math.random().toString(36).slice(2, 10);

const rrlSeries = (cls: string, action: string) => series('gslb_rrl_responses_total', { class: cls, action });

const shown = (t: Tally) => JSON.stringify({ sent: t.sent, full: t.full, slipped: t.slipped, silent: t.silent });

/**
 * A flood of one key against rate RATE and slip 2: the full replies are the allowance, the limited ones
 * alternate slipped and dropped per worker (so the slipped total is within workers/2 of half of them),
 * and a slip is TC=1 with the question and no records. With one worker the allowance is exactly RATE
 * (the burst; what it earns during the flood is eaten by the flood's debt). With N workers each allows
 * RATE/N at once and earns RATE/N a second: a worker that sees only a sparse part of the flood may
 * spend what it earns meanwhile, so the node allows at least RATE/N (one worker saw it all) and at most
 * RATE plus RATE x the flood's duration (13 for 300 ms), well short of the N x RATE of a limit that
 * multiplied by the workers.
 */
/** The most full replies a flood of SPREAD_MS may get from `workers` workers (see expectLimited). */
const mostAllowed = (workers: number) => (workers === 1 ? RATE : RATE + Math.floor((RATE * SPREAD_MS) / 1000));

function expectLimited(t: Tally, workers: number, question: string): void {
  expect(t.truncatedWithRecords, `truncated replies with records: ${shown(t)}`).to.equal(0);
  if (workers === 1) expect(t.full, shown(t)).to.equal(RATE);
  else expect(t.full, shown(t)).to.be.within(Math.floor(RATE / workers), mostAllowed(workers));
  const limited = t.sent - t.full;
  expect(Math.abs(t.slipped - limited / 2), `slipped about half of ${limited} limited: ${shown(t)}`).to.be.at.most(
    workers / 2,
  );
  expect(t.silent, shown(t)).to.be.greaterThan(0);
  for (const r of t.replies.filter((x) => x.tc)) {
    expect(r.packet.questions?.[0]?.name.toLowerCase(), 'a slip carries the question').to.equal(question);
    expect((r.raw[2]! & 0x80) !== 0, 'a slip is a response (QR)').to.equal(true);
  }
}

/**
 * Log lines of `msg` about the /24 whose addresses start with `net` (e.g. '127.0.1.'), with `name`
 * read without its trailing dot and the qtype A as its mnemonic (the node may write it as its code, 1).
 */
function episodeLines(node: ServeNode, msg: string, net: string, cls: string): Array<Record<string, unknown>> {
  return logLines(node, msg)
    .filter((l) => String(l['prefix']).startsWith(net) && l['class'] === cls)
    .map((l) => ({ ...l, name: String(l['name']).replace(/\.$/, ''), qtype: l['qtype'] === 1 ? 'A' : l['qtype'] }));
}

describe('rrl: response rate limiting through gslb serve (default workers)', function () {
  this.timeout(60_000);
  let dir: string;
  let node: ServeNode;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-rrl-'));
    writeZone(dir);
    node = await startServe(
      dir,
      ['--rrl-rate', String(RATE), '--rrl-slip', '2', '--rrl-window', String(WINDOW_S), '--rrl-exempt', '127.0.3.0/24'],
      true,
    );
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a flood of one name from 127.0.1.1 while others ask too', () => {
    let flood: Tally;
    let otherPrefix: Tally;
    let tcpReplies: Array<ReturnType<typeof decodeReply>>;
    let sameSlash24: Tally;
    let baseline: Map<string, number>;
    /** Queries 127.0.2.1 sends during the flood: below what one worker allows a key. */
    let otherCount: number;

    before(async () => {
      baseline = await metrics(node);
      otherCount = Math.max(1, Math.floor(RATE / node.workers) - 1);
      const floodDone = udpFlood({
        source: '127.0.1.1',
        port: node.port,
        count: FLOOD,
        spreadMs: SPREAD_MS,
        query: asking({ name: `www.${APEX}` }),
      });
      await new Promise((r) => setTimeout(r, 100));
      const otherDone = udpFlood({
        source: '127.0.2.1',
        port: node.port,
        count: otherCount,
        spreadMs: 300,
        query: asking({ name: `www.${APEX}` }),
      });
      // TCP from the flooding address itself, while its UDP key is limited.
      await new Promise((r) => setTimeout(r, 150));
      const tcp = await TcpClient.connect('127.0.1.1', node.port);
      const tcpQueries = Array.from({ length: 30 }, (_, i) =>
        buildQuery({ id: 5000 + i, name: `www.${APEX}`, rd: false }),
      );
      tcp.send(...tcpQueries);
      tcpReplies = [];
      for (let i = 0; i < tcpQueries.length; i++) {
        const r = await tcp.next(3000);
        if (!r) break;
        tcpReplies.push(decodeReply(r));
      }
      tcp.close();
      [flood, otherPrefix] = await Promise.all([floodDone, otherDone]);
      // Another host of the flooding /24, within the window: the same key, still limited.
      sameSlash24 = await udpFlood({
        source: '127.0.1.2',
        port: node.port,
        count: 10,
        spreadMs: 0,
        query: asking({ name: `www.${APEX}` }),
      });
    });

    it('the flooding address gets about the rate in full, half the rest slipped, the rest nothing', () => {
      expectLimited(flood, node.workers, `www.${APEX}`);
      for (const r of flood.replies.filter((x) => !x.tc))
        expect(r.answer).to.deep.equal([`www.${APEX} 60 A 192.0.2.80`]);
    });

    it('another /24 asking the same name at the same moment is not limited', () => {
      expect(otherPrefix.full, shown(otherPrefix)).to.equal(otherCount);
    });

    it('TCP from the limited address is never limited', () => {
      expect(tcpReplies.length).to.equal(30);
      for (const r of tcpReplies) {
        expect(r.tc).to.equal(false);
        expect(r.answer).to.deep.equal([`www.${APEX} 60 A 192.0.2.80`]);
      }
    });

    it('another host of the same /24 shares the limit', () => {
      expect(sameSlash24.full, shown(sameSlash24)).to.equal(0);
      expect(sameSlash24.slipped, shown(sameSlash24)).to.be.within(4, 6);
    });

    it('the metrics count the dropped and slipped replies seen', async () => {
      const want = {
        [rrlSeries('answer', 'slipped')]: flood.slipped + sameSlash24.slipped,
        [rrlSeries('answer', 'dropped')]: flood.silent + sameSlash24.silent,
        [rrlSeries('answer', 'would-drop')]: 0,
        [rrlSeries('answer', 'would-slip')]: 0,
      };
      expect(await metricDeltas(node, baseline, want)).to.deep.equal(want);
    });

    it('logs "limiting started" once for the episode, not per packet or worker, and "limiting stopped" after the window', async () => {
      const started = episodeLines(node, 'rrl: limiting started', '127.0.1.', 'answer');
      expect(started.length, JSON.stringify(started)).to.equal(1);
      expect(started[0]).to.include({ name: `www.${APEX}`, qtype: 'A', prefix: '127.0.1.0/24' });
      await until(
        'rrl: limiting stopped for 127.0.1.0/24',
        () => episodeLines(node, 'rrl: limiting stopped', '127.0.1.', 'answer').length === 1,
        (WINDOW_S + 8) * 1000,
        100,
      );
      const stopped = episodeLines(node, 'rrl: limiting stopped', '127.0.1.', 'answer');
      expect(stopped[0]).to.include({ name: `www.${APEX}`, qtype: 'A', prefix: '127.0.1.0/24' });
      // Stopped after the window: not before the flood's last query had WINDOW_S seconds to pay back.
      const gap = Number(stopped[0]!['time']) - Number(started[0]!['time']);
      expect(gap, 'ms from started to stopped').to.be.at.least(WINDOW_S * 1000 - 500);
      expect(episodeLines(node, 'rrl: limiting started', '127.0.1.', 'answer').length).to.equal(1);
    });
  });

  it('a query with a valid server cookie is never limited', async () => {
    const clientCookie = Buffer.from('c00c1e5c00c1e501', 'hex');
    const first = await udpAskFrom(
      '127.0.4.1',
      node.port,
      buildQuery({ name: `www.${APEX}`, edns: { options: [cookieOption(clientCookie)] } }),
    );
    expect(first, 'a reply to the cookie query').to.not.equal(null);
    const cookie = replyCookie(decodeReply(first!));
    expect(cookie?.length, 'client + server cookie').to.equal(24);
    const baseline = await metrics(node);
    const t = await udpFlood({
      source: '127.0.4.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}`, edns: { options: [cookieOption(cookie!)] } }),
    });
    expect(t.full, shown(t)).to.equal(FLOOD);
    const want = { [series('gslb_cookies_total', { result: 'valid' })]: FLOOD };
    expect(await metricDeltas(node, baseline, want)).to.deep.equal(want);
  });

  it('a wrong server cookie is answered but loses the exemption', async () => {
    const wrong = Buffer.concat([Buffer.from('0102030405060708', 'hex'), Buffer.alloc(16, 0xab)]);
    wrong[8] = 1; // version 1, a hash that is not ours
    wrong.writeUInt32BE(Math.floor(Date.now() / 1000), 12);
    const t = await udpFlood({
      source: '127.0.5.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}`, edns: { options: [cookieOption(wrong)] } }),
    });
    expectLimited(t, node.workers, `www.${APEX}`);
  });

  it('an --rrl-exempt source is never limited', async () => {
    const t = await udpFlood({
      source: '127.0.3.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}` }),
    });
    expect(t.full, shown(t)).to.equal(FLOOD);
  });

  it('a load-balanced name is one class whatever datacenter answers', async () => {
    const t = await udpFlood({
      source: '127.0.6.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking((i) => ({ name: `lb.${APEX}`, edns: { options: [ecs(i % 2 ? '10.2.0.0' : '10.1.0.0', 24)] } })),
    });
    expectLimited(t, node.workers, `lb.${APEX}`);
  });

  it('NXDOMAIN for different names of one zone shares one bucket', async () => {
    const t = await udpFlood({
      source: '127.0.7.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking(() => ({ name: `nx-${rnd()}.${APEX}` })),
    });
    // Every query asks its own random name: the question of a slip is checked per reply below.
    expectLimited({ ...t, replies: [] }, node.workers, '');
    for (const r of t.replies.filter((x) => !x.tc)) expect(r.rcode).to.equal(3);
  });

  it("NODATA is limited per name and type, apart from the same name's answers", async () => {
    const t = await udpFlood({
      source: '127.0.8.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}`, type: 'TXT' }),
    });
    expectLimited(t, node.workers, `www.${APEX}`);
    for (const r of t.replies.filter((x) => !x.tc)) {
      expect(r.rcode).to.equal(0);
      expect(r.answer).to.deep.equal([]);
    }
    // The same prefix's A query is another key: answered at once.
    const a = await udpAskFrom('127.0.8.1', node.port, buildQuery({ name: `www.${APEX}`, rd: false }));
    expect(decodeReply(a!).tc).to.equal(false);
  });

  it('referrals into one delegation share one bucket per zone', async () => {
    const t = await udpFlood({
      source: '127.0.9.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking(() => ({ name: `h${rnd()}.sub.${APEX}` })),
    });
    expectLimited({ ...t, replies: [] }, node.workers, '');
    for (const r of t.replies.filter((x) => !x.tc))
      expect(r.authority).to.deep.equal([`sub.${APEX} 60 NS ns.sub.${APEX}`]);
  });

  it('IPv6 clients are limited too (::1, keyed by its /56)', async () => {
    const t = await udpFlood({
      source: '::1',
      host: '::1',
      port: node.port6!,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}` }),
    });
    expectLimited(t, node.workers, `www.${APEX}`);
  });

  it('errors (REFUSED for names not ours) are limited per prefix', async () => {
    const t = await udpFlood({
      source: '127.0.10.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking(() => ({ name: `h${rnd()}.example.org` })),
    });
    expectLimited({ ...t, replies: [] }, node.workers, '');
    for (const r of t.replies.filter((x) => !x.tc)) expect(r.rcode).to.equal(5);
  });
});

describe('rrl: --workers 1, exact counts', function () {
  this.timeout(60_000);
  let dir: string;
  let node: ServeNode;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-rrl1-'));
    writeZone(dir);
    node = await startServe(dir, [
      '--workers',
      '1',
      '--rrl-rate',
      String(RATE),
      '--rrl-slip',
      '2',
      '--rrl-window',
      String(WINDOW_S),
    ]);
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`exactly ${RATE} full, half the rest slipped, the rest dropped; the metrics say the same`, async () => {
    const baseline = await metrics(node);
    const t = await udpFlood({
      source: '127.0.1.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}` }),
    });
    expectLimited(t, 1, `www.${APEX}`);
    expect(t.slipped).to.equal((FLOOD - RATE) / 2);
    const want = {
      [rrlSeries('answer', 'slipped')]: t.slipped,
      [rrlSeries('answer', 'dropped')]: t.silent,
    };
    expect(await metricDeltas(node, baseline, want)).to.deep.equal(want);
  });

  it('one "limiting started" per episode, "limiting stopped" after the window, and a new episode after it', async () => {
    // The flood above is the first episode.
    expect(episodeLines(node, 'rrl: limiting started', '127.0.1.', 'answer').length).to.equal(1);
    await until(
      'rrl: limiting stopped for 127.0.1.0/24',
      () => episodeLines(node, 'rrl: limiting stopped', '127.0.1.', 'answer').length === 1,
      (WINDOW_S + 8) * 1000,
      100,
    );
    const stopped = episodeLines(node, 'rrl: limiting stopped', '127.0.1.', 'answer')[0]!;
    expect(stopped).to.include({ name: `www.${APEX}`, qtype: 'A' });
    await new Promise((r) => setTimeout(r, 1200));
    // The debt is paid back when the episode stops (balance 0); a second later the bucket holds its
    // full burst again, and a new flood is a new episode.
    const t = await udpFlood({
      source: '127.0.1.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}` }),
    });
    expect(t.full, shown(t)).to.equal(RATE);
    expect(episodeLines(node, 'rrl: limiting started', '127.0.1.', 'answer').length).to.equal(2);
  });

  it('a load-balanced name is one class: exactly the rate, from both datacenters', async () => {
    const t = await udpFlood({
      source: '127.0.6.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking((i) => ({ name: `lb.${APEX}`, edns: { options: [ecs(i % 2 ? '10.2.0.0' : '10.1.0.0', 24)] } })),
    });
    expectLimited(t, 1, `lb.${APEX}`);
    const addresses = new Set(t.replies.filter((r) => !r.tc).flatMap((r) => r.answer.map((a) => a.split(' ')[3])));
    expect([...addresses].sort()).to.deep.equal(['192.0.2.1', '192.0.2.2']);
  });

  it('NXDOMAIN for random names of one zone: exactly the rate', async () => {
    const t = await udpFlood({
      source: '127.0.7.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking(() => ({ name: `nx-${rnd()}.${APEX}` })),
    });
    expectLimited({ ...t, replies: [] }, 1, '');
  });
});

describe('rrl: --rrl-log-only (default workers)', function () {
  this.timeout(30_000);
  let dir: string;
  let node: ServeNode;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-rrl-log-'));
    writeZone(dir);
    node = await startServe(dir, ['--rrl-rate', String(RATE), '--rrl-slip', '2', '--rrl-log-only']);
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never limits, and counts what it would have dropped and slipped', async () => {
    const baseline = await metrics(node);
    const t = await udpFlood({
      source: '127.0.1.1',
      port: node.port,
      count: FLOOD,
      spreadMs: SPREAD_MS,
      query: asking({ name: `www.${APEX}` }),
    });
    expect(t.full, shown(t)).to.equal(FLOOD);
    let would = { slip: 0, drop: 0 };
    await until(
      'the would-* counters',
      async () => {
        const now = await metrics(node);
        const d = (s: string) => (now.get(s) ?? 0) - (baseline.get(s) ?? 0);
        would = { slip: d(rrlSeries('answer', 'would-slip')), drop: d(rrlSeries('answer', 'would-drop')) };
        return would.slip + would.drop >= FLOOD - mostAllowed(node.workers);
      },
      5000,
      200,
    ).catch(() => {});
    const limited = would.slip + would.drop;
    expect(limited, JSON.stringify(would)).to.be.within(
      FLOOD - mostAllowed(node.workers),
      FLOOD - Math.floor(RATE / node.workers),
    );
    expect(Math.abs(would.slip - limited / 2), JSON.stringify(would)).to.be.at.most(node.workers / 2);
    const real = await metrics(node);
    for (const action of ['dropped', 'slipped']) {
      expect((real.get(rrlSeries('answer', action)) ?? 0) - (baseline.get(rrlSeries('answer', action)) ?? 0)).to.equal(
        0,
      );
    }
  });
});
