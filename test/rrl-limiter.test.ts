// Response rate limiting core (server/rrl/limiter.ts) on an explicit clock: floods as trace strings
// (S sent, T slipped, D dropped), the bucket over simulated seconds, episodes, keys, the bounded table.
import { expect } from 'chai';
import { parseIp } from '../zones/address.js';
import { QTYPE } from '../zones/dns.js';
import { parseName } from '../zones/name.js';
import {
  ResponseLimiter,
  RRL_CLASS,
  RRL_DROP,
  RRL_SEND,
  RRL_SLIP,
  rrlSettingsError,
  type RrlEpisode,
  type RrlSettings,
  type RrlVerdict,
} from '../server/rrl/limiter.js';

const BASE: RrlSettings = {
  rate: 5,
  slip: 2,
  windowSec: 15,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  tableSize: 1024,
  logOnly: false,
  seed: 42,
};

function key(text: string): string {
  const r = parseName(text, null);
  if (!r.ok) throw new Error(r.error);
  return r.name.key;
}

const WWW = key('www.example.com.');
const ZONE = key('example.com.');

/** A client address: an IPv4 text as its unsigned 32-bit integer, an IPv6 text as its 16 bytes. */
function addr(text: string): number | Uint8Array {
  const ip = parseIp(text);
  if (!ip) throw new Error(`bad address ${text}`);
  return ip.family === 4 ? ip.bytes.readUInt32BE(0) : new Uint8Array(ip.bytes);
}

interface Ask {
  readonly from?: string;
  readonly cls?: number;
  readonly key?: string;
  readonly qtype?: number;
}

function ask(lim: ResponseLimiter, at: number, q: Ask = {}): RrlVerdict {
  const a = addr(q.from ?? '192.0.2.1');
  const cls = q.cls ?? RRL_CLASS.answer;
  const k = q.key ?? WWW;
  const qtype = q.qtype ?? QTYPE.A;
  return typeof a === 'number' ? lim.check4(a, cls, k, qtype, at) : lim.check6(a, cls, k, qtype, at);
}

const LETTER = { [RRL_SEND]: 'S', [RRL_SLIP]: 'T', [RRL_DROP]: 'D' } as const;

/** `count` responses at `at` as a trace string. */
function burst(lim: ResponseLimiter, count: number, at: number, q: Ask = {}): string {
  let out = '';
  for (let i = 0; i < count; i++) out += LETTER[ask(lim, at, q)];
  return out;
}

/** Records episodes as text, stamped with the test's clock. */
class Episodes {
  readonly seen: string[] = [];
  now = 0;
  readonly hooks = {
    onStart: (e: RrlEpisode) => this.seen.push(`${this.now} start ${episodeText(e)}`),
    onStop: (e: RrlEpisode, why: string) => this.seen.push(`${this.now} stop ${why} ${episodeText(e)}`),
  };
}

function episodeText(e: RrlEpisode): string {
  return `${e.prefix} ${e.class} ${e.name} ${e.qtype} limited=${e.limited}`;
}

const count = (trace: string, c: string): number => [...trace].filter((x) => x === c).length;

describe('rate limiter: a flood in one instant', () => {
  // [rate, slip, flood, expected trace]
  const table: Array<[number, number, number, string]> = [
    [3, 2, 8, 'SSSDTDTD'],
    [3, 0, 6, 'SSSDDD'],
    [3, 1, 6, 'SSSTTT'],
    [1, 3, 8, 'SDDTDDTD'],
    [5, 2, 5, 'SSSSS'],
    [2.5, 2, 5, 'SSDTD'],
  ];
  for (const [rate, slip, flood, want] of table) {
    it(`rate ${rate}, slip ${slip}, ${flood} at once: ${want}`, () => {
      const lim = new ResponseLimiter({ ...BASE, rate, slip });
      expect(burst(lim, flood, 1000)).to.equal(want);
    });
  }

  it('rate R, F responses: exactly R sent; slip 2 slips half the rest, and counts them per class', () => {
    const lim = new ResponseLimiter({ ...BASE, rate: 10, slip: 2 });
    const trace = burst(lim, 100, 1000, { cls: RRL_CLASS.nodata });
    expect([count(trace, 'S'), count(trace, 'T'), count(trace, 'D')]).to.deep.equal([10, 45, 45]);
    expect(lim.slipped).to.deep.equal([0, 45, 0, 0, 0]);
    expect(lim.dropped).to.deep.equal([0, 45, 0, 0, 0]);
    expect(lim.wouldDrop).to.deep.equal([0, 0, 0, 0, 0]);
    expect(lim.wouldSlip).to.deep.equal([0, 0, 0, 0, 0]);
  });
});

describe('rate limiter: the bucket over time', () => {
  it('R per second, at the start of each second or spread evenly, is all sent', () => {
    const atStart = new ResponseLimiter(BASE);
    const even = new ResponseLimiter(BASE);
    let a = '';
    let b = '';
    for (let s = 0; s < 10; s++) {
      a += burst(atStart, 5, s * 1000);
      for (let i = 0; i < 5; i++) b += burst(even, 1, s * 1000 + i * 200);
    }
    expect(a).to.equal('S'.repeat(50));
    expect(b).to.equal('S'.repeat(50));
  });

  it('R + 1 a second: limited responses cost too, so the debt grows until nothing is sent', () => {
    const lim = new ResponseLimiter({ ...BASE, slip: 0 });
    const seconds: string[] = [];
    for (let s = 0; s < 7; s++) seconds.push(burst(lim, 6, s * 1000));
    // Each second ends one lower: 5 -> -1, 4 -> -2, 3 -> -3, ... 0 -> -6, -1 -> -7.
    expect(seconds).to.deep.equal(['SSSSSD', 'SSSSDD', 'SSSDDD', 'SSDDDD', 'SDDDDD', 'DDDDDD', 'DDDDDD']);
  });

  /** 20 a second (every 50 ms) for 30 s at rate 5, window 15: the floor is reached and held. */
  function flooded(ep?: Episodes): { lim: ResponseLimiter; trace: string; last: number } {
    const lim = new ResponseLimiter({ ...BASE, slip: 0 }, ep?.hooks);
    let trace = '';
    let t = 0;
    for (; t < 30_000; t += 50) {
      if (ep) ep.now = t;
      trace += burst(lim, 1, t);
      if (ep && t % 1000 === 0) lim.sweep(t);
    }
    return { lim, trace, last: t - 50 };
  }

  it('a flood above the rate stays limited: the burst and its earnings, then nothing while it lasts', () => {
    const { trace } = flooded();
    // Balance 5, +0.25 and -1 per response: 5, 4.25, 3.5, 2.75, 2, 1.25 sent, then 0.5 limited.
    expect(trace.slice(0, 7)).to.equal('SSSSSSD');
    expect(count(trace, 'S')).to.equal(6);
  });

  it('after a flood: limited until the debt is repaid (window), then sent again', () => {
    // The balance sits at the floor, -rate * window = -75, at the last flood response; it is back to
    // 0 after the window (15 s) and to 1 (a response's cost) 200 ms later.
    const cases: Array<[number, string]> = [
      [1000, 'D'],
      [14_999, 'D'],
      [15_199, 'D'],
      [15_200, 'S'],
      [60_000, 'S'],
    ];
    for (const [after, want] of cases) {
      const { lim, last } = flooded();
      expect(burst(lim, 1, last + after), `${after} ms after`).to.equal(want);
    }
  });

  it('episodes: start once at the first limited response, stop once when sweep sees the debt repaid', () => {
    const ep = new Episodes();
    const { lim, trace, last } = flooded(ep);
    expect(trace.length).to.equal(600);
    expect(ep.seen).to.deep.equal(['300 start 192.0.2.0/24 answer www.example.com. 1 limited=1']);
    expect(lim.limitedNow).to.equal(1);
    ep.now = last + 14_999;
    lim.sweep(ep.now);
    expect(lim.limitedNow).to.equal(1);
    ep.now = last + 15_000;
    lim.sweep(ep.now);
    ep.now = last + 16_000;
    lim.sweep(ep.now);
    expect(lim.limitedNow).to.equal(0);
    expect(ep.seen).to.deep.equal([
      '300 start 192.0.2.0/24 answer www.example.com. 1 limited=1',
      `${last + 15_000} stop recovered 192.0.2.0/24 answer www.example.com. 1 limited=594`,
    ]);
    // A response after the episode ended by sweep, with the balance at 0..1, starts a new one.
    ep.now = last + 15_100;
    expect(burst(lim, 1, ep.now)).to.equal('D');
    expect(ep.seen[2]).to.equal(`${last + 15_100} start 192.0.2.0/24 answer www.example.com. 1 limited=1`);
  });

  it('episodes: without a sweep, the next response sent ends it', () => {
    const ep = new Episodes();
    const { lim, last } = flooded(ep);
    ep.now = last + 15_199;
    expect(burst(lim, 1, ep.now)).to.equal('D'); // still limited: the episode goes on
    expect(lim.limitedNow).to.equal(1);
    ep.now = last + 20_000;
    expect(burst(lim, 1, ep.now)).to.equal('S');
    expect(lim.limitedNow).to.equal(0);
    expect(ep.seen.slice(1)).to.deep.equal([
      `${last + 20_000} stop recovered 192.0.2.0/24 answer www.example.com. 1 limited=595`,
    ]);
  });

  it('slip counts within an episode: a new episode starts the count again', () => {
    const lim = new ResponseLimiter({ ...BASE, rate: 1, slip: 2, windowSec: 1 });
    expect(burst(lim, 4, 0)).to.equal('SDTD'); // balance 1 -> 0 -> -1 (floor)
    lim.sweep(1000); // -1 + 1 = 0: recovered
    expect(lim.limitedNow).to.equal(0);
    expect(burst(lim, 3, 1000)).to.equal('DTD');
  });

  it('fractional rate 2.5/s: every 400 ms is all sent; every 300 ms runs out', () => {
    const even = new ResponseLimiter({ ...BASE, rate: 2.5 });
    const fast = new ResponseLimiter({ ...BASE, rate: 2.5, slip: 0 });
    let a = '';
    let b = '';
    for (let t = 0; t < 20_000; t += 400) a += burst(even, 1, t);
    for (let t = 0; t < 6000; t += 300) b += burst(fast, 1, t);
    expect(a).to.equal('S'.repeat(50));
    // 2.5, +0.75 a step, -1 a response: sent while >= 1, then 2.5/s in a 3.3/s stream is mostly dropped.
    expect(b.slice(0, 8)).to.equal('SSSSSSSD');
    expect(count(b, 'S')).to.be.lessThan(b.length);
  });

  it('a rate below 1 (a worker share) still answers one now and then: the bucket holds at least 1', () => {
    const lim = new ResponseLimiter({ ...BASE, rate: 0.5, slip: 0 });
    const got = [0, 0, 4000, 8000, 8000, 10_000].map((t) => burst(lim, 1, t)).join('');
    // 1 -> 0; -1; +2 capped at 1 -> 0; 1 -> 0; -1; 0 -> -1.
    expect(got).to.equal('SDSSDD');
  });

  it('time going backwards earns nothing and breaks nothing', () => {
    const lim = new ResponseLimiter({ ...BASE, rate: 2, slip: 0 });
    expect(burst(lim, 2, 10_000)).to.equal('SS');
    expect(burst(lim, 1, 5_000)).to.equal('D');
    expect(burst(lim, 1, 10_500)).to.equal('D'); // -1 + 1 = 0
    expect(burst(lim, 1, 11_500)).to.equal('S'); // -1 + 2 = 1
  });
});

describe('rate limiter: keys', () => {
  /** Whether `second` is limited after `first` spent the bucket (rate 2: two responses). */
  function sharesBucket(settings: Partial<RrlSettings>, first: Ask, second: Ask): boolean {
    const lim = new ResponseLimiter({ ...BASE, rate: 2, ...settings });
    expect(burst(lim, 2, 0, first)).to.equal('SS');
    return ask(lim, 0, second) !== RRL_SEND;
  }

  const A = QTYPE.A;
  const AAAA = QTYPE.AAAA;
  const OTHER = key('mail.example.com.');
  const ZONE2 = key('example.org.');
  // [why, settings, first, second, same bucket]
  const table: Array<[string, Partial<RrlSettings>, Ask, Ask, boolean]> = [
    ['same /24, other host', {}, { from: '192.0.2.1' }, { from: '192.0.2.200' }, true],
    ['another /24', {}, { from: '192.0.2.1' }, { from: '192.0.3.1' }, false],
    ['/0: every IPv4 address is one', { ipv4Prefix: 0 }, { from: '10.0.0.1' }, { from: '203.0.113.9' }, true],
    ['/32: hosts apart', { ipv4Prefix: 32 }, { from: '192.0.2.1' }, { from: '192.0.2.2' }, false],
    ['/32: the same host', { ipv4Prefix: 32 }, { from: '192.0.2.1' }, { from: '192.0.2.1' }, true],
    ['/31 boundary', { ipv4Prefix: 31 }, { from: '192.0.2.2' }, { from: '192.0.2.3' }, true],
    ['same /56', {}, { from: '2001:db8:0:1200::1' }, { from: '2001:db8:0:12ff:ffff::9' }, true],
    ['another /56', {}, { from: '2001:db8:0:1200::1' }, { from: '2001:db8:0:1300::1' }, false],
    ['v6 /0: every address is one', { ipv6Prefix: 0 }, { from: '2001:db8::1' }, { from: 'fe80::1' }, true],
    ['v6 /128: hosts apart', { ipv6Prefix: 128 }, { from: '2001:db8::1' }, { from: '2001:db8::2' }, false],
    ['v6 /128: the same host', { ipv6Prefix: 128 }, { from: '2001:db8::1' }, { from: '2001:db8::1' }, true],
    [
      'v6 /57 in the second word',
      { ipv6Prefix: 57 },
      { from: '2001:db8:0:1200::' },
      { from: '2001:db8:0:1280::' },
      false,
    ],
    ['v4 and v6 apart at /0', { ipv4Prefix: 0, ipv6Prefix: 0 }, { from: '0.0.0.0' }, { from: '::' }, false],
    ['answer: other qtype', {}, { qtype: A }, { qtype: AAAA }, false],
    ['answer: other name', {}, { key: WWW }, { key: OTHER }, false],
    ['answer vs nodata, same name and type', {}, { cls: 0 }, { cls: 1 }, false],
    ['nodata: other qtype', {}, { cls: 1, qtype: A }, { cls: 1, qtype: AAAA }, false],
    ['nxdomain: qtype ignored', {}, { cls: 2, key: ZONE, qtype: A }, { cls: 2, key: ZONE, qtype: AAAA }, true],
    ['nxdomain: other zone', {}, { cls: 2, key: ZONE }, { cls: 2, key: ZONE2 }, false],
    ['referral: qtype ignored', {}, { cls: 3, key: ZONE, qtype: A }, { cls: 3, key: ZONE, qtype: 99 }, true],
    ['nxdomain vs referral', {}, { cls: 2, key: ZONE }, { cls: 3, key: ZONE }, false],
    ['error: key and qtype ignored', {}, { cls: 4, key: WWW, qtype: A }, { cls: 4, key: ZONE2, qtype: 16 }, true],
    ['error: another /24', {}, { cls: 4 }, { cls: 4, from: '192.0.3.1' }, false],
  ];
  for (const [why, settings, first, second, same] of table) {
    it(`${why}: ${same ? 'one bucket' : 'two buckets'}`, () => {
      expect(sharesBucket(settings, first, second)).to.equal(same);
    });
  }

  // [settings, asked, expected episode text]
  const episodes: Array<[Partial<RrlSettings>, Ask, string]> = [
    [{}, { from: '192.0.2.77' }, '192.0.2.0/24 answer www.example.com. 1'],
    [{ ipv4Prefix: 0 }, { from: '192.0.2.77' }, '0.0.0.0/0 answer www.example.com. 1'],
    [{ ipv4Prefix: 32 }, { from: '192.0.2.77', cls: 1, qtype: 28 }, '192.0.2.77/32 nodata www.example.com. 28'],
    [{}, { from: '2001:db8:0:12ab::1', cls: 2, key: ZONE }, '2001:db8:0:1200::/56 nxdomain example.com. null'],
    [{ ipv6Prefix: 0 }, { from: '2001:db8::1', cls: 3, key: ZONE }, '::/0 referral example.com. null'],
    [{ ipv6Prefix: 128 }, { from: '2001:db8::1:0:0:1', cls: 4 }, '2001:db8::1:0:0:1/128 error null null'],
    [{ ipv6Prefix: 64 }, { from: '2001:0:0:1::5' }, '2001:0:0:1::/64 answer www.example.com. 1'],
  ];
  for (const [settings, q, want] of episodes) {
    it(`the episode names its key: ${want}`, () => {
      const ep = new Episodes();
      const lim = new ResponseLimiter({ ...BASE, rate: 1, ...settings }, ep.hooks);
      burst(lim, 2, 0, q);
      expect(ep.seen).to.deep.equal([`0 start ${want} limited=1`]);
    });
  }

  it('a response class outside 0..4 is an error, not a write past the counters', () => {
    const lim = new ResponseLimiter(BASE);
    expect(() => lim.check4(1, 5, WWW, 1, 0)).to.throw(RangeError, /class 5/);
    expect(() => lim.check4(1, -1, WWW, 1, 0)).to.throw(RangeError);
    expect(() => lim.check4(1, 1.5, WWW, 1, 0)).to.throw(RangeError);
    expect(() => lim.check4(1, Number.NaN, WWW, 1, 0)).to.throw(RangeError);
    expect(lim.dropped).to.have.length(5);
  });
});

describe('rate limiter: log-only', () => {
  it('sends everything, counts what it would have done and reports the episode', () => {
    const ep = new Episodes();
    const lim = new ResponseLimiter({ ...BASE, rate: 10, slip: 2, logOnly: true }, ep.hooks);
    expect(burst(lim, 100, 0, { cls: RRL_CLASS.error })).to.equal('S'.repeat(100));
    expect(lim.wouldDrop).to.deep.equal([0, 0, 0, 0, 45]);
    expect(lim.wouldSlip).to.deep.equal([0, 0, 0, 0, 45]);
    expect(lim.dropped).to.deep.equal([0, 0, 0, 0, 0]);
    expect(lim.slipped).to.deep.equal([0, 0, 0, 0, 0]);
    expect(lim.limitedNow).to.equal(1);
    ep.now = 20_000;
    lim.sweep(ep.now);
    expect(ep.seen).to.deep.equal([
      '0 start 192.0.2.0/24 error null null limited=1',
      '20000 stop recovered 192.0.2.0/24 error null null limited=90',
    ]);
  });
});

describe('rate limiter: the table is bounded', () => {
  it('capacity is tableSize rounded up to whole sets of 4', () => {
    expect(new ResponseLimiter({ ...BASE, tableSize: 1024 }).capacity).to.equal(1024);
    expect(new ResponseLimiter({ ...BASE, tableSize: 5 }).capacity).to.equal(8);
    expect(new ResponseLimiter({ ...BASE, tableSize: 4 }).inUse()).to.equal(0);
  });

  it('1,000,000 prefixes through 1,024 entries: inUse <= capacity; a limited flood survives the churn', () => {
    const ep = new Episodes();
    const lim = new ResponseLimiter({ ...BASE, tableSize: 1024, slip: 0 }, ep.hooks);
    const flooder = addr('198.51.100.7') as number;
    // Limited first: a key not yet limited has nothing to protect it from a churn this heavy (100 new
    // keys a second per entry), and evicting it costs only what its bucket had spent.
    let floodTrace = burst(lim, 6, 0, { from: '198.51.100.7' });
    let churnLimited = 0;
    let maxInUse = 0;
    // 10 us apart (10 s in all); the flooder asks every 1,000th time: 100/s against a rate of 5.
    for (let i = 0; i < 1_000_000; i++) {
      const t = 1 + i / 100;
      ep.now = t;
      if (i % 1000 === 0) floodTrace += LETTER[lim.check4(flooder, RRL_CLASS.answer, WWW, QTYPE.A, t)];
      // Distinct /24s from 1.0.0.0 up (198.51.100.0/24 is far beyond them).
      if (lim.check4((0x01000000 + i * 256) >>> 0, RRL_CLASS.answer, WWW, QTYPE.A, t) !== RRL_SEND) churnLimited++;
      if (i % 100_000 === 0) maxInUse = Math.max(maxInUse, lim.inUse());
    }
    maxInUse = Math.max(maxInUse, lim.inUse());
    expect(lim.capacity).to.equal(1024);
    expect(maxInUse).to.be.at.most(1024);
    expect(maxInUse).to.be.at.least(1000); // the churn does fill it
    expect(churnLimited).to.equal(0);
    // Dropped throughout: had the entry been evicted, its next response would have been sent.
    expect(floodTrace).to.equal('SSSSSD' + 'D'.repeat(1000));
    expect(ep.seen).to.deep.equal(['0 start 198.51.100.0/24 answer www.example.com. 1 limited=1']);
    expect(lim.limitedNow).to.equal(1);
  });

  it('a full set evicts a calm entry before one in an episode', () => {
    const ep = new Episodes();
    const lim = new ResponseLimiter({ ...BASE, rate: 1, slip: 0, tableSize: 4 }, ep.hooks); // one set
    burst(lim, 1, 0, { from: '10.0.0.1' }); // calm, and the least recently used
    for (const from of ['10.0.1.1', '10.0.2.1', '10.0.3.1']) burst(lim, 2, 10, { from });
    expect(lim.limitedNow).to.equal(3);
    expect(burst(lim, 1, 20, { from: '10.0.4.1' })).to.equal('S'); // takes 10.0.0.1's slot
    expect(lim.inUse()).to.equal(4);
    expect(ep.seen.filter((s) => s.includes(' stop '))).to.deep.equal([]);
    for (const from of ['10.0.1.1', '10.0.2.1', '10.0.3.1']) expect(burst(lim, 1, 30, { from })).to.equal('D');
  });

  it('a set full of episodes evicts the least recently used one and reports it evicted', () => {
    const ep = new Episodes();
    const lim = new ResponseLimiter({ ...BASE, rate: 1, slip: 0, tableSize: 4 }, ep.hooks);
    ['10.0.0.1', '10.0.1.1', '10.0.2.1', '10.0.3.1'].forEach((from, i) => burst(lim, 3, i * 10, { from }));
    expect(lim.limitedNow).to.equal(4);
    ep.now = 100;
    expect(burst(lim, 1, 100, { from: '10.0.9.1' })).to.equal('S');
    expect(lim.limitedNow).to.equal(3);
    expect(ep.seen.filter((s) => s.includes(' stop '))).to.deep.equal([
      '100 stop evicted 10.0.0.0/24 answer www.example.com. 1 limited=2',
    ]);
    // Its key starts over as a new entry (a full bucket): eviction forgets debt, never adds memory.
    expect(burst(lim, 1, 100, { from: '10.0.0.1' })).to.equal('S');
    expect(lim.inUse()).to.equal(4);
  });

  it('an entry unused for window + 1 s is free; an episode left in it had recovered', () => {
    const ep = new Episodes();
    const lim = new ResponseLimiter({ ...BASE, rate: 1, slip: 0, windowSec: 15, tableSize: 4 }, ep.hooks);
    ['10.0.0.1', '10.0.1.1', '10.0.2.1', '10.0.3.1'].forEach((from) => burst(lim, 3, 0, { from }));
    expect(lim.inUse()).to.equal(4);
    lim.sweep(15_999); // each balance -2 + 15.999: recovered, still in use
    expect(ep.seen.filter((s) => s.includes(' stop recovered '))).to.have.length(4);
    expect(lim.inUse()).to.equal(4);
    lim.sweep(16_001);
    expect(lim.inUse()).to.equal(0);
    expect(burst(lim, 2, 16_001, { from: '10.0.9.1' })).to.equal('SD');
    expect(lim.inUse()).to.equal(1);
  });

  it('a stale slot still marked limited (no sweep) is reported recovered when reused', () => {
    const ep = new Episodes();
    const lim = new ResponseLimiter({ ...BASE, rate: 1, slip: 0, tableSize: 4 }, ep.hooks);
    ['10.0.0.1', '10.0.1.1', '10.0.2.1', '10.0.3.1'].forEach((from) => burst(lim, 2, 0, { from }));
    ep.now = 17_000;
    burst(lim, 1, ep.now, { from: '10.0.9.1' });
    expect(ep.seen.filter((s) => s.includes(' stop '))).to.deep.equal([
      '17000 stop recovered 10.0.0.0/24 answer www.example.com. 1 limited=1',
    ]);
  });
});

describe('rate limiter: settings', () => {
  it('valid settings pass', () => {
    expect(rrlSettingsError(BASE)).to.equal(null);
    const { seed: _seed, ...unseeded } = BASE;
    expect(rrlSettingsError(unseeded)).to.equal(null);
    expect(rrlSettingsError({ ...BASE, rate: 0.25, slip: 0, windowSec: 1, ipv4Prefix: 0, ipv6Prefix: 128 })).to.equal(
      null,
    );
  });

  // [field, bad value]
  const bad: Array<[keyof RrlSettings, unknown]> = [
    ['rate', 0],
    ['rate', -1],
    ['rate', Number.NaN],
    ['rate', Infinity],
    ['rate', 2_000_000],
    ['slip', -1],
    ['slip', 11],
    ['slip', 1.5],
    ['windowSec', 0],
    ['windowSec', 3601],
    ['windowSec', 2.5],
    ['ipv4Prefix', -1],
    ['ipv4Prefix', 33],
    ['ipv6Prefix', 129],
    ['ipv6Prefix', 56.5],
    ['tableSize', 3],
    ['tableSize', 16_777_217],
    ['tableSize', 100.5],
    ['logOnly', 'yes'],
    ['seed', -1],
    ['seed', 2 ** 32],
    ['seed', 1.5],
  ];
  for (const [field, value] of bad) {
    it(`${field} ${String(value)} is refused, naming the field`, () => {
      const s = { ...BASE, [field]: value } as unknown as RrlSettings;
      const message = rrlSettingsError(s);
      expect(message).to.match(new RegExp(`^${field} must be .*got ${String(value)}$`));
      expect(() => new ResponseLimiter(s)).to.throw(RangeError, `rate limiting: ${message}`);
    });
  }
});
