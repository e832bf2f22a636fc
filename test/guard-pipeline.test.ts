// Response rate limiting and DNS cookies in the query pipeline, in process with a fixed clock: which
// bucket each kind of response is counted in (a table), what is never limited (TCP, a genuine cookie,
// an exempt source), slips and drops, log-only, and the cookie echoed or made per RFC 7873.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoData } from '../geo/geoip.js';
import { StaticHealth } from '../health/static-health.js';
import { compileCatalog, type Catalog } from '../server/catalog.js';
import { CidrSet } from '../server/cidr-set.js';
import { ServerCookies } from '../server/cookies/server-cookie.js';
import { cookieSlot, COOKIE_INVALID, COOKIE_NEW, COOKIE_VALID, rrlSlot } from '../server/guard-stats.js';
import { silentLogger } from '../server/log.js';
import { createPipeline, type GuardOptions, type Pipeline } from '../server/pipeline.js';
import { ResponseLimiter } from '../server/rrl/limiter.js';
import { RRL_CLASS } from '../server/rrl/settings.js';
import type { Peer, Transport } from '../server/transport-types.js';
import { loadZones } from '../zones/load.js';
import { cityDatabase } from './helpers/gslb.js';

const TYPES: Record<string, number> = { A: 1, AAAA: 28, TXT: 16 };
const SECRET = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const NOW = 1_800_000_000_000;

/** A query for NAME TYPE with EDNS and, when given, a COOKIE option's bytes. */
function query(name: string, type = 'A', cookie?: Buffer, id = 0x4242): Buffer {
  const qname = Buffer.concat([
    ...name
      .split('.')
      .filter(Boolean)
      .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
  const header = Buffer.from([id >> 8, id & 255, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  const options = cookie ? Buffer.concat([Buffer.from([0, 10, 0, cookie.length]), cookie]) : Buffer.alloc(0);
  const opt = Buffer.concat([Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, options.length]), options]);
  return Buffer.concat([header, qname, Buffer.from([0, TYPES[type]!, 0, 1]), opt]);
}

interface Reply {
  rcode: number;
  tc: boolean;
  answers: number;
  authority: number;
  cookie: Buffer | null;
}

function read(b: Buffer): Reply {
  const an = b.readUInt16BE(6);
  const ns = b.readUInt16BE(8);
  const ar = b.readUInt16BE(10);
  let at = 12;
  const skip = () => {
    for (;;) {
      const len = b[at]!;
      if (len === 0) return void at++;
      if ((len & 0xc0) === 0xc0) return void (at += 2);
      at += len + 1;
    }
  };
  if (b.readUInt16BE(4) === 1) {
    skip();
    at += 4;
  }
  let cookie: Buffer | null = null;
  for (let i = 0; i < an + ns + ar; i++) {
    skip();
    const type = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 8);
    const rdata = b.subarray(at + 10, at + 10 + len);
    at += 10 + len;
    if (type !== 41) continue;
    for (let o = 0; o + 4 <= rdata.length; o += 4 + rdata.readUInt16BE(o + 2))
      if (rdata.readUInt16BE(o) === 10) cookie = Buffer.from(rdata.subarray(o + 4, o + 4 + rdata.readUInt16BE(o + 2)));
  }
  return { rcode: b[3]! & 15, tc: (b[2]! & 2) !== 0, answers: an, authority: ns, cookie };
}

const peerAt = (address: string): Peer => ({ address, port: 5300, family: address.includes(':') ? 6 : 4 });
const CLIENT = peerAt('192.0.2.77');

describe('rate limiting and cookies in the pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-guard-'));
  let catalog: Catalog;
  let draw = 0;

  before(() => {
    mkdirSync(join(dir, 'g.test'));
    writeFileSync(
      join(dir, 'g.test', 'records.zone'),
      [
        '$ORIGIN g.test.',
        '$TTL 60',
        '@ SOA ns1 host 1 2 3 4 5',
        '@ NS ns1',
        'ns1 A 192.0.2.53',
        'www A 192.0.2.1',
        '*.wild A 192.0.2.2',
        'sub NS ns.sub',
        'ns.sub A 192.0.2.3',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'g.test', 'policy.yaml'),
      `datacenters: { dc1: {}, dc2: {} }
names:
  lb:
    policy: weighted
    pools:
      dc1: [{ address: 192.0.2.10, weight: 1 }]
      dc2: [{ address: 192.0.2.20, weight: 1 }]
`,
    );
    const loaded = loadZones(dir);
    expect(loaded.errors, JSON.stringify(loaded.errors)).to.deep.equal([]);
    catalog = compileCatalog(loaded.zones, openGeoData([cityDatabase()]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  interface Setup {
    rate?: number;
    slip?: number;
    logOnly?: boolean;
    exempt?: string[];
    cookies?: boolean;
    rrl?: boolean;
  }
  function pipelineWith(s: Setup = {}): Pipeline {
    const health = new StaticHealth();
    const guard: GuardOptions = {
      rrl:
        s.rrl === false
          ? null
          : new ResponseLimiter({
              rate: s.rate ?? 1,
              slip: s.slip ?? 1,
              windowSec: 15,
              ipv4Prefix: 24,
              ipv6Prefix: 56,
              tableSize: 1024,
              logOnly: false,
              seed: 7,
            }),
      rrlLogOnly: s.logOnly ?? false,
      rrlExempt: s.exempt ? CidrSet.parse(s.exempt) : null,
      cookies: s.cookies === false ? null : new ServerCookies([SECRET]),
    };
    return createPipeline(() => catalog, {
      nsid: null,
      chaos: { identity: 'guard', version: null },
      log: silentLogger,
      health: () => health.view(),
      // Alternate the weighted draw: the load-balanced name answers dc1, then dc2, ...
      rng: () => (draw++ % 2 === 0 ? 0.1 : 0.9),
      now: () => NOW,
      guard,
    });
  }
  const ask = (p: Pipeline, msg: Buffer, peer = CLIENT, transport: Transport = 'udp'): Reply | null => {
    const out = p.handleQuery(msg, peer, transport);
    return out === null ? null : read(out);
  };

  // [what, first query, second query (same bucket: limited), rcode of the first, class]
  const sameBucket: Array<[string, [string, string], [string, string], number, number]> = [
    ['an answer, per name and type', ['www.g.test', 'A'], ['www.g.test', 'A'], 0, RRL_CLASS.answer],
    ['NODATA, per name and type', ['www.g.test', 'TXT'], ['www.g.test', 'TXT'], 0, RRL_CLASS.nodata],
    ['NXDOMAIN, per zone', ['nx1.g.test', 'A'], ['nx2.g.test', 'A'], 3, RRL_CLASS.nxdomain],
    ['wildcard answers, per wildcard', ['a.wild.g.test', 'A'], ['b.wild.g.test', 'A'], 0, RRL_CLASS.answer],
    ['referrals, per zone', ['x.sub.g.test', 'A'], ['y.sub.g.test', 'A'], 0, RRL_CLASS.referral],
    ['errors (REFUSED), per prefix', ['example.org', 'A'], ['other.example', 'A'], 5, RRL_CLASS.error],
    ['a load-balanced name, whatever datacenter', ['lb.g.test', 'A'], ['lb.g.test', 'A'], 0, RRL_CLASS.answer],
  ];
  for (const [what, [n1, t1], [n2, t2], rcode, cls] of sameBucket)
    it(`${what}: the second response is limited (slipped), the first whole`, () => {
      const p = pipelineWith();
      const first = ask(p, query(n1, t1))!;
      expect(first.rcode).to.equal(rcode);
      expect(first.tc).to.equal(false);
      const second = ask(p, query(n2, t2))!;
      expect(second.tc, 'slipped').to.equal(true);
      expect(second.answers + second.authority).to.equal(0);
      expect(second.rcode).to.equal(rcode);
      expect(p.stats.guards[rrlSlot(cls, 1)]).to.equal(1);
    });

  it('a load-balanced name is one bucket whatever datacenter answers', () => {
    const p = pipelineWith({ rate: 2 });
    const addresses = [0, 1].map((i) => p.handleQuery(query('lb.g.test', 'A', undefined, i), CLIENT, 'udp')!);
    // The A record's last octet: 10 from dc1, 20 from dc2 (the draw alternates).
    const last = addresses.map((b) => b[b.length - 1 - 11]);
    expect(new Set(last).size, 'both datacenters answered').to.equal(2);
    expect(ask(p, query('lb.g.test'))!.tc).to.equal(true);
  });

  it('different names, types, classes and zones are different buckets', () => {
    const p = pipelineWith();
    for (const [n, t] of [
      ['www.g.test', 'A'],
      ['ns1.g.test', 'A'],
      ['www.g.test', 'TXT'],
      ['nx1.g.test', 'A'],
      ['a.wild.g.test', 'A'],
      ['x.sub.g.test', 'A'],
      ['example.org', 'A'],
    ])
      expect(ask(p, query(n!, t))!.tc, `${n} ${t}`).to.equal(false);
  });

  it('counts per /24: another host of the prefix shares the bucket, another prefix has its own', () => {
    const p = pipelineWith();
    expect(ask(p, query('www.g.test'))!.tc).to.equal(false);
    expect(ask(p, query('www.g.test'), peerAt('192.0.2.200'))!.tc).to.equal(true);
    expect(ask(p, query('www.g.test'), peerAt('198.51.100.1'))!.tc).to.equal(false);
    expect(ask(p, query('www.g.test'), peerAt('2001:db8::1'))!.tc).to.equal(false);
    expect(ask(p, query('www.g.test'), peerAt('2001:db8:0:ff::1'))!.tc, 'same /56').to.equal(true);
  });

  it('slip 0 drops every limited response; slip 2 sends every second one truncated', () => {
    const p0 = pipelineWith({ slip: 0 });
    expect(ask(p0, query('www.g.test'))).to.not.equal(null);
    expect(ask(p0, query('www.g.test'))).to.equal(null);
    expect(p0.stats.guards[rrlSlot(RRL_CLASS.answer, 0)]).to.equal(1);
    const p2 = pipelineWith({ slip: 2 });
    ask(p2, query('www.g.test'));
    const limited = Array.from({ length: 6 }, () => ask(p2, query('www.g.test')));
    expect(limited.map((r) => (r === null ? 'drop' : r.tc ? 'slip' : 'full'))).to.deep.equal([
      'drop',
      'slip',
      'drop',
      'slip',
      'drop',
      'slip',
    ]);
  });

  it('never limits TCP, an exempt source, or --rrl-log-only (which counts what it would have done)', () => {
    const p = pipelineWith({ exempt: ['192.0.2.0/24'] });
    for (let i = 0; i < 5; i++) expect(ask(p, query('www.g.test'))!.tc).to.equal(false);
    const t = pipelineWith();
    for (let i = 0; i < 5; i++) expect(ask(t, query('www.g.test'), CLIENT, 'tcp')!.tc).to.equal(false);
    const l = pipelineWith({ logOnly: true });
    for (let i = 0; i < 5; i++) expect(ask(l, query('www.g.test'))!.tc).to.equal(false);
    expect(l.stats.guards[rrlSlot(RRL_CLASS.answer, 3)], 'would-slip').to.equal(4);
    expect(l.stats.guards[rrlSlot(RRL_CLASS.answer, 1)], 'slipped').to.equal(0);
  });

  it('a client cookie gets our server cookie; echoed back it is valid, and its UDP replies are never limited', () => {
    const p = pipelineWith();
    const client = Buffer.from('0123456789abcdef', 'hex');
    const first = ask(p, query('www.g.test', 'A', client))!;
    expect(first.cookie!.length).to.equal(24);
    expect(first.cookie!.subarray(0, 8).equals(client)).to.equal(true);
    expect(first.cookie![8]).to.equal(1); // RFC 9018 version
    for (let i = 0; i < 5; i++) {
      const r = ask(p, query('www.g.test', 'A', first.cookie!))!;
      expect(r.tc, `query ${i}`).to.equal(false);
      expect(r.cookie!.equals(first.cookie!), 'echoed as it came').to.equal(true);
    }
    expect(p.stats.guards[cookieSlot(COOKIE_NEW)]).to.equal(1);
    expect(p.stats.guards[cookieSlot(COOKIE_VALID)]).to.equal(5);
  });

  it('a cookie made for another address, or under another secret, is answered with a fresh cookie and loses the exemption', () => {
    const p = pipelineWith();
    const client = Buffer.from('0123456789abcdef', 'hex');
    const mine = ask(p, query('www.g.test', 'A', client))!.cookie!;
    const elsewhere = ask(p, query('www.g.test', 'A', mine), peerAt('203.0.113.9'))!;
    expect(elsewhere.rcode).to.equal(0);
    expect(elsewhere.cookie!.equals(mine)).to.equal(false);
    expect(elsewhere.cookie!.subarray(0, 8).equals(client)).to.equal(true);
    const forged = Buffer.concat([client, Buffer.from('01000000', 'hex'), Buffer.alloc(12, 7)]);
    const r = ask(p, query('www.g.test', 'A', forged))!;
    expect(r.tc, 'no exemption: the bucket of 192.0.2.0/24 is empty').to.equal(true);
    expect(r.cookie!.length).to.equal(24);
    expect(p.stats.guards[cookieSlot(COOKIE_INVALID)]).to.equal(2);
  });

  it('a COOKIE option of a bad length is FORMERR; --no-cookies ignores the option, whatever its length', () => {
    const p = pipelineWith({ rrl: false });
    for (const len of [7, 9, 41]) expect(ask(p, query('www.g.test', 'A', Buffer.alloc(len, 1)))!.rcode).to.equal(1);
    const off = pipelineWith({ rrl: false, cookies: false });
    for (const len of [8, 24, 7, 41]) {
      const r = ask(off, query('www.g.test', 'A', Buffer.alloc(len, 1)))!;
      expect(r.rcode, `${len}`).to.equal(0);
      expect(r.cookie).to.equal(null);
    }
  });
});
