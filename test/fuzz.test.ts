// Fuzz in `npm test`: structure-aware and blind mutants straight into the pipeline, a 20,000-packet
// run of scripts/fuzz.ts's run against the real server over UDP, TCP and the PROXY listener, and
// the fuzzer's own pieces (reply checks, PROXY model, generators) against hand-made bytes.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { checkReply, Violations, type CheckResult } from '../scripts/fuzz-check.js';
import { runUdp, TransportTally } from '../scripts/fuzz-drivers.js';
import { FuzzGenerator, frame, tcpMessages } from '../scripts/fuzz-packets.js';
import { PlanMaker } from '../scripts/fuzz-plans.js';
import { modelProxy, PROXY_KINDS, proxyHeader } from '../scripts/fuzz-proxy.js';
import { proxyUnsupported, runFuzz, type FuzzReport } from '../scripts/fuzz-run.js';
import { STRUCTURED_KINDS } from '../scripts/fuzz-structured.js';
import { ednsOption, header, nameWire, opt, query, question, record, viewQuery } from '../scripts/fuzz-wire.js';
import { FUZZ_APEX, makeFuzzZones } from '../scripts/fuzz-zone.js';
import { StaticHealth } from '../health/static-health.js';
import { compileCatalog } from '../server/catalog.js';
import { openGeo } from '../server/cli/geo-files.js';
import { startListeners, type Listeners } from '../server/listeners.js';
import type { Logger } from '../server/log.js';
import { createPipeline, type Pipeline } from '../server/pipeline.js';
import type { Peer, QueryHandler, Transport } from '../server/transport-types.js';
import { loadZones } from '../zones/load.js';

// dist/test/fuzz.test.js -> the project root, whatever the working directory.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = `${ROOT}bin/gslb`;
const PEER: Peer = { address: '127.0.0.1', port: 5300, family: 4 };

/** The pipeline as `gslb serve` wires it (bundled GeoIP database, static health), logging errors into errors. */
function makePipeline(zones: string, errors: unknown[]): Pipeline {
  const loaded = loadZones(zones);
  expect(loaded.errors).to.deep.equal([]);
  const catalog = compileCatalog(loaded.zones, openGeo(undefined));
  const health = new StaticHealth();
  const noop = (): void => {};
  const log: Logger = { debug: noop, info: noop, warn: noop, error: (obj) => errors.push(obj) };
  return createPipeline(() => catalog, {
    health: () => health.view(),
    nsid: Buffer.from('fuzz'),
    chaos: { identity: 'fuzz', version: null },
    log,
  });
}

/** A reply to `q` as the server would make it: QR set, the rest as given. */
function replyTo(q: Buffer, edit: (r: Buffer) => Buffer = (r) => r): Buffer {
  const r = Buffer.from(q);
  r[2] = r[2]! | 0x80;
  return edit(r);
}

const MAIL_Q = query({ id: 7, flags1: 1 }, question(nameWire(`mail.${FUZZ_APEX}`), 1));
const A_RR = record(Buffer.from([0xc0, 0x0c]), 1, 1, 300, Buffer.from([192, 0, 2, 25]));

function withCounts(msg: Buffer, an: number, ns: number, ar: number): Buffer {
  msg.writeUInt16BE(an, 6);
  msg.writeUInt16BE(ns, 8);
  msg.writeUInt16BE(ar, 10);
  return msg;
}

function problem(r: CheckResult): string {
  return r.ok ? 'ok' : r.violation.name;
}

describe('fuzz: reply checks', () => {
  it('accepts a well-formed answer and names each kind of bad reply', () => {
    const good = replyTo(MAIL_Q, (r) => withCounts(Buffer.concat([r, A_RR]), 1, 0, 0));
    expect(problem(checkReply(MAIL_Q, good, 'udp'))).to.equal('ok');
    const cases: Array<[string, Buffer, string]> = [
      ['QR clear', MAIL_Q, 'qr-clear'],
      ['other ID', replyTo(MAIL_Q, (r) => (r.writeUInt16BE(8, 0), r)), 'id'],
      ['trailing octet', replyTo(MAIL_Q, (r) => Buffer.concat([r, Buffer.from([0])])), 'malformed'],
      ['count past the records', replyTo(MAIL_Q, (r) => withCounts(r, 1, 0, 0)), 'malformed'],
      [
        'pointer to itself',
        replyTo(MAIL_Q, (r) =>
          withCounts(Buffer.concat([r, record(Buffer.from([0xc0, 0x24]), 1, 1, 0, Buffer.alloc(4))]), 1, 0, 0),
        ),
        'malformed',
      ],
      [
        'forward pointer',
        replyTo(MAIL_Q, (r) =>
          withCounts(Buffer.concat([r, record(Buffer.from([0xc0, 0x30]), 1, 1, 0, Buffer.alloc(4))]), 1, 0, 0),
        ),
        'malformed',
      ],
      [
        'label loop through a pointer',
        replyTo(MAIL_Q, (r) =>
          withCounts(Buffer.concat([r, record(Buffer.from([1, 0x61, 0xc0, 0x24]), 1, 1, 0, Buffer.alloc(4))]), 1, 0, 0),
        ),
        'malformed',
      ],
      [
        'A of 5 octets',
        replyTo(MAIL_Q, (r) =>
          withCounts(Buffer.concat([r, record(Buffer.from([0xc0, 0x0c]), 1, 1, 0, Buffer.alloc(5))]), 1, 0, 0),
        ),
        'malformed',
      ],
      [
        'OPT in the answer section',
        replyTo(MAIL_Q, (r) => withCounts(Buffer.concat([r, opt()]), 1, 0, 0)),
        'malformed',
      ],
      ['OPT to a query without', replyTo(MAIL_Q, (r) => withCounts(Buffer.concat([r, opt()]), 0, 0, 1)), 'opt-unasked'],
      ['question changed', replyTo(MAIL_Q, (r) => ((r[13] = 0x4d), r)), 'question-echo'],
      [
        'TC with answers',
        replyTo(MAIL_Q, (r) => ((r[2] = r[2]! | 2), withCounts(Buffer.concat([r, A_RR]), 1, 0, 0))),
        'tc-with-answers',
      ],
      [
        '513 octets without EDNS',
        replyTo(MAIL_Q, (r) =>
          withCounts(
            Buffer.concat([r, record(Buffer.from([0xc0, 0x0c]), 16, 1, 0, Buffer.alloc(513 - r.length - 12, 1))]),
            1,
            0,
            0,
          ),
        ),
        'oversize',
      ],
    ];
    for (const [what, reply, name] of cases) expect(problem(checkReply(MAIL_Q, reply, 'udp')), what).to.equal(name);
  });

  it('holds UDP replies to the client size: 512 without EDNS, max(512, its size) with, never over 1232', () => {
    const q = question(nameWire(`mail.${FUZZ_APEX}`), 16);
    const asking = (udpSize: number): Buffer => query({ id: 7 }, q, { ar: [opt({ udpSize })] });
    // A reply of exactly `size` octets: the question, one NULL record padded to fit, and OPT.
    const sized = (size: number): Buffer => {
      const head = header({ id: 7, flags1: 0x80, an: 1, ar: 1 });
      const pad = size - head.length - q.length - 12 - 11;
      return Buffer.concat([head, q, record(Buffer.from([0xc0, 0x0c]), 10, 1, 0, Buffer.alloc(pad, 1)), opt()]);
    };
    const check = (udpSize: number, size: number, t: Transport = 'udp'): string =>
      problem(checkReply(asking(udpSize), sized(size), t));
    expect(check(0, 512)).to.equal('ok');
    expect(check(0, 513)).to.equal('oversize');
    expect(check(1000, 1000)).to.equal('ok');
    expect(check(1000, 1001)).to.equal('oversize');
    expect(check(4096, 1233)).to.equal('over-cap');
    expect(check(4096, 1233, 'tcp')).to.equal('ok');
  });

  it('wants the client cookie and the ECS option echoed, and the rcode a kind requires', () => {
    const cc = Buffer.from('0102030405060708', 'hex');
    const q = query({ id: 9 }, question(nameWire(`mail.${FUZZ_APEX}`), 1), {
      ar: [opt({ options: [ednsOption(10, cc)] })],
    });
    const withCookie = (c: Buffer): Buffer =>
      replyTo(q.subarray(0, q.length - 11 - 12), (r) =>
        withCounts(Buffer.concat([r, opt({ options: [ednsOption(10, c)] })]), 0, 0, 1),
      );
    const sc = Buffer.alloc(16, 0xab);
    expect(problem(checkReply(q, withCookie(Buffer.concat([cc, sc])), 'udp'))).to.equal('ok');
    expect(problem(checkReply(q, withCookie(Buffer.concat([Buffer.alloc(8), sc])), 'udp'))).to.equal('cookie');
    expect(problem(checkReply(q, withCookie(cc), 'udp'))).to.equal('cookie');
    const formerr = replyTo(MAIL_Q, (r) => ((r[3] = 1), r));
    expect(problem(checkReply(MAIL_Q, formerr, 'udp', [1]))).to.equal('ok');
    expect(problem(checkReply(MAIL_Q, formerr, 'udp', [16]))).to.equal('rcode');
    const ecs = (addr: number[]): Buffer => ednsOption(8, Buffer.from([0, 1, 24, 0, ...addr]));
    const qe = query({ id: 9 }, question(nameWire(`mail.${FUZZ_APEX}`), 1), {
      ar: [opt({ options: [ecs([81, 2, 69])] })],
    });
    const bare = qe.subarray(0, 12 + nameWire(`mail.${FUZZ_APEX}`).length + 4);
    const echoed = (addr: number[]): Buffer =>
      replyTo(bare, (r) => withCounts(Buffer.concat([r, opt({ options: [ecs(addr)] })]), 0, 0, 1));
    expect(problem(checkReply(qe, echoed([81, 2, 69]), 'udp'))).to.equal('ok');
    expect(problem(checkReply(qe, echoed([81, 2, 70]), 'udp'))).to.equal('ecs-echo');
  });
});

describe('fuzz: PROXY v2 model', () => {
  const src = { family: 4 as const, address: Buffer.from([81, 2, 69, 1]), port: 4242 };
  const dns = MAIL_Q;

  it('finds the DNS message after a valid header, and silence for every mutant', () => {
    const h = proxyHeader({ source: src });
    expect(modelProxy(Buffer.concat([h, dns]), false)).to.deep.equal({ verdict: 'dns', at: 28 });
    const v6 = proxyHeader({ source: { family: 6, address: Buffer.alloc(16, 1), port: 1 }, tlvs: Buffer.alloc(7) });
    expect(modelProxy(Buffer.concat([v6, dns]), true)).to.deep.equal({ verdict: 'dns', at: 16 + 36 + 7 });
    for (let cut = 0; cut < h.length; cut++)
      expect(modelProxy(h.subarray(0, cut), false).verdict, `cut ${cut}`).to.equal('silence');
    const silent: Array<[string, Buffer]> = [
      ['LOCAL', proxyHeader({ source: src, command: 0x20 })],
      ['version 1 command', proxyHeader({ source: src, command: 0x11 })],
      ['AF_UNIX', proxyHeader({ source: src, familyByte: 0x31 })],
      ['AF_UNSPEC', proxyHeader({ source: src, familyByte: 0x00 })],
      ['INET with transport 0', proxyHeader({ source: src, familyByte: 0x10 })],
      ['length under the address block', proxyHeader({ source: src, length: 11 })],
      ['length past the datagram', proxyHeader({ source: src, length: 12 + dns.length + 1 })],
      ['text header', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n')],
    ];
    for (const [what, hh] of silent)
      expect(modelProxy(Buffer.concat([hh, dns]), false).verdict, what).to.equal('silence');
    // A length lying upwards but inside the datagram moves where the message starts; over TCP, past 1024 is refused.
    expect(modelProxy(Buffer.concat([proxyHeader({ source: src, length: 14 }), dns]), false)).to.deep.equal({
      verdict: 'dns',
      at: 30,
    });
    const long = Buffer.concat([proxyHeader({ source: src, length: 1100 }), Buffer.alloc(1100)]);
    expect(modelProxy(long, false).verdict).to.equal('dns');
    expect(modelProxy(long, true).verdict).to.equal('silence');
  });
});

describe('fuzz: generators', () => {
  it('repeat exactly for a seed', () => {
    const a = new FuzzGenerator(99);
    const b = new FuzzGenerator(99);
    for (let i = 0; i < 2000; i++) expect(a.case().bytes.equals(b.case().bytes)).to.equal(true);
    expect(a.tcpSession().stream.equals(b.tcpSession().stream)).to.equal(true);
  });

  it('deal every structured kind once per round', () => {
    const g = new FuzzGenerator(5);
    const seen = new Set<string>();
    for (let i = 0; i < STRUCTURED_KINDS.length; i++) seen.add(g.structured.next().kind);
    expect([...seen].sort()).to.deep.equal([...STRUCTURED_KINDS].sort());
    expect(PROXY_KINDS).to.include.members([
      'proxy-truncated',
      'proxy-length-up',
      'proxy-length-down',
      'proxy-local',
      'proxy-unix',
      'proxy-none',
    ]);
  });

  it('models TCP framing: stops at a length under 12 and at a message cut short', () => {
    const response = replyTo(MAIL_Q);
    const stream = Buffer.concat([frame(MAIL_Q), frame(response), frame(MAIL_Q), Buffer.from([0, 5]), frame(MAIL_Q)]);
    const { messages, answered } = tcpMessages(stream);
    expect(messages.map((m) => m.at)).to.deep.equal([2, 4 + MAIL_Q.length, 6 + 2 * MAIL_Q.length]);
    expect(answered.length).to.equal(2);
    expect(tcpMessages(frame(MAIL_Q).subarray(0, 10)).messages.length).to.equal(0);
  });

  it('reads what a query asked: question, EDNS size, cookie, ECS', () => {
    const cc = Buffer.alloc(8, 7);
    const q = query({}, question(nameWire('a.b'), 1), {
      ar: [opt({ udpSize: 4096, options: [ednsOption(10, cc), ednsOption(8, Buffer.from([0, 1, 8, 0, 10]))] })],
    });
    const v = viewQuery(q);
    expect(v.question!.equals(question(nameWire('a.b'), 1))).to.equal(true);
    expect(v.edns).to.deep.equal({ udpSize: 4096, version: 0, dnssecOk: false });
    expect(v.clientCookie!.equals(cc)).to.equal(true);
    expect(v.ecs).to.deep.include({ family: 1, source: 8 });
    expect(viewQuery(header({ qd: 2 })).question).to.equal(null);
  });
});

describe('fuzz: drivers against a server that misbehaves', () => {
  let listeners: Listeners;
  after(() => listeners?.close());

  it('count replies to packets that deserve none, oversized replies and lost ones as violations', async () => {
    let n = 0;
    // Answers everything (responses and short packets too) with the query padded to 600 octets; skips every 50th.
    const handler: QueryHandler = (msg) => {
      if (++n % 50 === 0 || msg.length < 2) return null;
      const r = Buffer.alloc(Math.max(600, msg.length));
      msg.copy(r);
      r[2] = r[2]! | 0x80;
      return r;
    };
    listeners = await startListeners([{ host: '127.0.0.1', port: 0 }], handler, { idleTimeoutMs: 2000 });
    const plans = new PlanMaker(new FuzzGenerator(3));
    const tally = new TransportTally();
    const violations = new Violations();
    const target = { host: '127.0.0.1', port: listeners.endpoints[0]!.port };
    await runUdp(target, () => plans.udp(), 500, tally, violations, 'udp', { timeoutMs: 300 });
    expect(tally.sent).to.equal(500);
    expect(violations.counts.get('reply-to-silence') ?? 0).to.be.above(0);
    expect(violations.counts.get('oversize') ?? 0).to.be.above(0);
    expect(tally.lost).to.be.above(0);
  });
});

describe('fuzz: handleQuery in process', function () {
  this.timeout(60_000);
  let zones: { dir: string; rm: () => void };
  before(() => {
    zones = makeFuzzZones(`${ROOT}examples`, BIN);
  });
  after(() => zones?.rm());

  it('never throws on 20,000 cases of the mix (signed zone); every reply passes the checks and its kind rcode rule', () => {
    const errors: unknown[] = [];
    const pipeline = makePipeline(zones.dir, errors);
    const gen = new FuzzGenerator(42, [FUZZ_APEX]);
    // Whether this pipeline speaks cookies decides the COOKIE length rules.
    const probe = query({ id: 1 }, question(nameWire(FUZZ_APEX), 6), {
      ar: [opt({ options: [ednsOption(10, Buffer.alloc(8, 1))] })],
    });
    gen.structured.cookies = viewQuery(pipeline.handleQuery(probe, PEER, 'udp')!).cookie !== null;
    const failures: string[] = [];
    let answered = 0;
    for (let i = 0; i < 20_000 && failures.length < 5; i++) {
      const c = gen.case();
      const transport: Transport = i % 4 === 0 ? 'tcp' : 'udp';
      const reply = pipeline.handleQuery(c.bytes, PEER, transport);
      const wanted = c.bytes.length >= 12 && (c.bytes[2]! & 0x80) === 0;
      if (wanted !== (reply !== null))
        failures.push(`${c.kind}: reply ${reply ? 'sent' : 'missing'} for ${c.bytes.toString('hex')}`);
      if (reply === null) continue;
      answered++;
      const r = checkReply(c.bytes, reply, transport, c.rcodes);
      if (!r.ok)
        failures.push(
          `${c.kind}: ${r.violation.name}: ${r.violation.detail}: query ${c.bytes.toString('hex')} reply ${reply.toString('hex')}`,
        );
    }
    expect(failures).to.deep.equal([]);
    expect(answered).to.be.above(15_000);
    expect(pipeline.stats.errors).to.equal(0);
    expect(errors).to.deep.equal([]);
  });
});

describe('fuzz: the real server, 20,000 packets over UDP, TCP and the PROXY listener', function () {
  this.timeout(120_000);
  let report: FuzzReport;
  const lines: string[] = [];

  before(async () => {
    report = await runFuzz({ count: 20_000, seed: 20261126, root: ROOT, log: (l) => lines.push(l) });
  });

  it('passes: no crash, no violation, nothing lost, no error logged, RSS within its bound, the probe answered as before', () => {
    expect(report.failures, lines.join('\n')).to.deep.equal([]);
    expect(report.violations.total).to.equal(0);
    expect(report.summary).to.match(
      /server RSS \(\d+ processes summed\): [\d.]+ MB after warm-up -> [\d.]+ MB at the end/,
    );
  });

  it('sent every structured kind and checked the replies over UDP and TCP', () => {
    for (const k of STRUCTURED_KINDS) expect(report.caseKinds.get(k) ?? 0, k).to.be.above(0);
    for (const t of ['udp', 'tcp'] as const) {
      expect(report.tallies[t].sent, t).to.be.above(3000);
      expect(report.tallies[t].replies, t).to.be.above(report.tallies[t].sent / 2);
    }
  });

  it('fuzzed the PROXY listener: valid headers answered, every mutant header silent', function () {
    const skip = proxyUnsupported(BIN);
    if (skip !== null) {
      if (process.env['CI'] === 'true') throw new Error(`${skip} (CI=true: the PROXY listener must be fuzzed)`);
      console.warn(`    skipped: ${skip}`);
      this.skip();
    }
    for (const k of PROXY_KINDS) expect(report.proxyKinds.get(k) ?? 0, k).to.be.above(0);
    // TCP sessions vary in size (a pipelined one is 100-500 messages), so the split between answered
    // and silent sessions does too: both must happen, and every expected reply must come.
    for (const t of ['proxy-udp', 'proxy-tcp'] as const) {
      const tally = report.tallies[t];
      expect(tally.sent, t).to.be.above(1500);
      expect(tally.replies, t).to.be.above(0);
      expect(tally.lost, t).to.equal(0);
      expect(tally.expectedSilences, t).to.be.above(0);
    }
  });
});
