// The DNS core in process, beside the socket tests: hand-built query bytes straight into
// pipeline.handleQuery over the GSLB fixture zone, checking rcode, answers and the ECS scope; and
// that nothing one query sets (ECS scope, EDE) reaches the next, even when a reply throws mid-way.
import { expect } from 'chai';
import { openGeoData } from '../geo/geoip.js';
import { StaticHealth } from '../health/static-health.js';
import { loadZones } from '../zones/load.js';
import { compileCatalog, type Catalog } from '../server/catalog.js';
import type { Logger } from '../server/log.js';
import { silentLogger } from '../server/log.js';
import { createPipeline, type Pipeline } from '../server/pipeline.js';
import { ClientResolver } from '../server/gslb/client.js';
import { QueryDecoder } from '../server/query.js';
import { parseName } from '../zones/name.js';
import type { Peer } from '../server/transport-types.js';
import { cityDatabase, GSLB_ZONES } from './helpers/gslb.js';

const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, AXFR: 252, ANY: 255 };
const CLASSES: Record<string, number> = { IN: 1, CH: 3, HS: 4 };

interface QuerySpec {
  name: string;
  type?: string;
  klass?: string;
  /** "ADDR/PREFIX": an ECS option. */
  ecs?: string;
  nsid?: boolean;
  /** EDNS without options (implied by ecs and nsid). */
  edns?: boolean;
  ednsVersion?: number;
  opcode?: number;
  qdcount?: number;
  response?: boolean;
}

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

function wireName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.').filter((l) => l !== '')) out.push(label.length, ...Buffer.from(label, 'ascii'));
  out.push(0);
  return out;
}

/** A query message, byte by byte (RFC 1035 section 4.1, RFC 6891 OPT, RFC 7871 ECS, RFC 5001 NSID). */
function query(s: QuerySpec): Buffer {
  const options: number[] = [];
  if (s.ecs) {
    const [addr, prefixText] = s.ecs.split('/');
    const prefix = Number(prefixText);
    const v6 = addr!.includes(':');
    const full = v6 ? ipv6Bytes(addr!) : addr!.split('.').map(Number);
    const bytes = full.slice(0, (prefix + 7) >> 3);
    options.push(...u16(8), ...u16(4 + bytes.length), ...u16(v6 ? 2 : 1), prefix, 0, ...bytes);
  }
  if (s.nsid) options.push(...u16(3), ...u16(0));
  const edns = s.edns || s.ecs !== undefined || s.nsid || s.ednsVersion !== undefined;
  const flags1 = (s.response ? 0x80 : 0) | ((s.opcode ?? 0) << 3);
  const qd = s.qdcount ?? 1;
  const bytes = [...u16(0x1234), flags1, 0, ...u16(qd), ...u16(0), ...u16(0), ...u16(edns ? 1 : 0)];
  for (let i = 0; i < qd; i++)
    bytes.push(...wireName(s.name), ...u16(TYPES[s.type ?? 'A']!), ...u16(CLASSES[s.klass ?? 'IN']!));
  if (edns) bytes.push(0, ...u16(41), ...u16(1232), 0, s.ednsVersion ?? 0, 0, 0, ...u16(options.length), ...options);
  return Buffer.from(bytes);
}

function ipv6Bytes(text: string): number[] {
  // A dotted IPv4 tail (::ffff:a.b.c.d) is two groups.
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [, head, a, b, c, d] = dotted.map(String) as [string, string, string, string, string, string];
    const hex = (x: string, y: string) => ((Number(x) << 8) | Number(y)).toString(16);
    text = `${head}${hex(a, b)}:${hex(c, d)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (t: string | undefined) => (t ? t.split(':').filter((g) => g !== '') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return all.flatMap((g) => u16(parseInt(g, 16)));
}

interface Parsed {
  rcode: number;
  aa: boolean;
  tc: boolean;
  answers: Array<{ type: number; ttl: number; data: string }>;
  authority: number[];
  /** OPT options by code, as raw bytes; null without OPT. */
  opt: Map<number, Buffer> | null;
  extendedRcode: number;
}

/** Skips a (possibly compressed) name. */
function skipName(b: Buffer, at: number): number {
  for (;;) {
    const len = b[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}

function parse(b: Buffer): Parsed {
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  const ns = b.readUInt16BE(8);
  const ar = b.readUInt16BE(10);
  let at = 12;
  for (let i = 0; i < qd; i++) at = skipName(b, at) + 4;
  const rr = () => {
    at = skipName(b, at);
    const type = b.readUInt16BE(at);
    const ttl = b.readUInt32BE(at + 4);
    const len = b.readUInt16BE(at + 8);
    const rdata = b.subarray(at + 10, at + 10 + len);
    const ext = b[at + 4]!;
    at += 10 + len;
    return { type, ttl, rdata, ext };
  };
  const answers: Parsed['answers'] = [];
  for (let i = 0; i < an; i++) {
    const r = rr();
    const data =
      r.type === 1
        ? [...r.rdata].join('.')
        : r.type === 28
          ? [...Array(8).keys()].map((k) => r.rdata.readUInt16BE(2 * k).toString(16)).join(':')
          : r.rdata.toString('hex');
    answers.push({ type: r.type, ttl: r.ttl, data });
  }
  const authority: number[] = [];
  for (let i = 0; i < ns; i++) authority.push(rr().type);
  let opt: Map<number, Buffer> | null = null;
  let extendedRcode = 0;
  for (let i = 0; i < ar; i++) {
    const r = rr();
    if (r.type !== 41) continue;
    extendedRcode = r.ext;
    opt = new Map();
    for (let o = 0; o + 4 <= r.rdata.length;) {
      const code = r.rdata.readUInt16BE(o);
      const len = r.rdata.readUInt16BE(o + 2);
      opt.set(code, r.rdata.subarray(o + 4, o + 4 + len));
      o += 4 + len;
    }
  }
  return {
    rcode: b[3]! & 0x0f,
    aa: (b[2]! & 0x04) !== 0,
    tc: (b[2]! & 0x02) !== 0,
    answers,
    authority,
    opt,
    extendedRcode,
  };
}

/** The ECS scope in a reply, or null without ECS. */
const scopeOf = (p: Parsed): number | null => {
  const ecs = p.opt?.get(8);
  return ecs ? ecs[3]! : null;
};
const edeOf = (p: Parsed): number | null => {
  const ede = p.opt?.get(15);
  return ede ? ede.readUInt16BE(0) : null;
};

const peer: Peer = { address: '192.0.2.99', port: 5300, family: 4 };
let catalog: Catalog;
function pipelineWith(nsid: Buffer | null = null, log: Logger = silentLogger): Pipeline {
  const health = new StaticHealth();
  return createPipeline(() => catalog, {
    nsid,
    chaos: { identity: 'core', version: null },
    log,
    health: () => health.view(),
    rng: () => 0.5,
  });
}

before(() => {
  const loaded = loadZones(GSLB_ZONES);
  catalog = compileCatalog(loaded.zones, openGeoData([cityDatabase()]));
});

describe('the pipeline in process: handleQuery on hand-built bytes', () => {
  // [what, query, rcode, answer types, addresses (prefixes of), ECS scope (null: no ECS echoed)]
  const rows: Array<[string, QuerySpec, number, number[], string[], number | null]> = [
    ['geo A by ECS: two of eu-west', { name: 'www.lb.test', ecs: '81.2.69.142/32' }, 0, [1, 1], ['198.51.100.'], 31],
    [
      'geo AAAA by ECS /29',
      { name: 'www.lb.test', type: 'AAAA', ecs: '2a02:d180::/29' },
      0,
      [28],
      ['2001:db8:20:'],
      29,
    ],
    [
      'IPv4-mapped ECS: the IPv4 scope + 96',
      { name: 'www.lb.test', ecs: '::ffff:81.2.69.142/128' },
      0,
      [1, 1],
      ['198.51.100.'],
      127,
    ],
    [
      'ANY at a load-balanced name: its IPv4 answer',
      { name: 'www.lb.test', type: 'ANY', ecs: '81.2.69.142/32' },
      0,
      [1, 1],
      ['198.51.100.'],
      31,
    ],
    [
      'static TXT beside a load-balanced name: scope 0',
      { name: 'www.lb.test', type: 'TXT', ecs: '81.2.69.142/32' },
      0,
      [16],
      [],
      0,
    ],
    [
      'CNAME into a load-balanced name: the chain, then the decision',
      { name: 'alias.lb.test', ecs: '81.2.69.142/32' },
      0,
      [5, 1, 1],
      ['198.51.100.'],
      31,
    ],
    [
      'CNAME chain, AAAA',
      { name: 'alias.lb.test', type: 'AAAA', ecs: '2a02:d180::/29' },
      0,
      [5, 28],
      ['2001:db8:20:'],
      29,
    ],
    ['ANY at a CNAME: the CNAME alone', { name: 'alias.lb.test', type: 'ANY' }, 0, [5], [], null],
    [
      'failover: client-independent, scope 0',
      { name: 'fo.lb.test', ecs: '81.2.69.142/32' },
      0,
      [1],
      ['198.51.100.10'],
      0,
    ],
    ['hashed: the /24', { name: 'hs.lb.test', ecs: '10.1.2.0/24' }, 0, [1], [''], 24],
    ['hashed, IPv6 client: the /56', { name: 'hs.lb.test', ecs: '2a02:d180:0:100::/56' }, 0, [1], [''], 56],
    ['weighted: scope 0', { name: 'wt.lb.test', ecs: '81.2.69.142/32' }, 0, [1], [''], 0],
    [
      'no IPv6 endpoints: NODATA with the SOA, scope 0',
      { name: 'fo.lb.test', type: 'AAAA', ecs: '81.2.69.142/32' },
      0,
      [],
      [],
      0,
    ],
    ['resolver address, no ECS', { name: 'www.lb.test' }, 0, [1, 1], ['192.0.2.1'], null],
    ['static A', { name: 'ns1.lb.test' }, 0, [1], ['192.0.2.1'], null],
    ['NXDOMAIN with the SOA', { name: 'nothing.lb.test', ecs: '81.2.69.142/32' }, 3, [], [], 0],
    ['outside every zone: REFUSED', { name: 'example.org' }, 5, [], [], null],
    ['CHAOS id.server', { name: 'id.server', type: 'TXT', klass: 'CH' }, 0, [16], [], null],
    ['class HS: REFUSED', { name: 'www.lb.test', klass: 'HS' }, 5, [], [], null],
    ['AXFR over UDP: NOTIMP', { name: 'lb.test', type: 'AXFR' }, 4, [], [], null],
    ['opcode STATUS: NOTIMP', { name: 'www.lb.test', opcode: 2 }, 4, [], [], null],
    ['two questions: FORMERR', { name: 'www.lb.test', qdcount: 2 }, 1, [], [], null],
  ];
  for (const [what, spec, rcode, types, addresses, scope] of rows)
    it(what, () => {
      const raw = pipelineWith().handleQuery(query(spec), peer, 'udp');
      expect(raw).to.not.equal(null);
      const r = parse(raw!);
      expect(r.rcode).to.equal(rcode);
      expect(r.answers.map((a) => a.type)).to.deep.equal(types);
      const ips = r.answers.filter((a) => a.type === 1 || a.type === 28).map((a) => a.data);
      if (addresses.length > 0) expect(ips.length).to.be.above(0);
      for (const prefix of addresses) for (const ip of ips) expect(ip.startsWith(prefix), ip).to.equal(true);
      if (types.length === 0 && rcode === 0) expect(r.authority).to.deep.equal([6]);
      expect(scopeOf(r)).to.equal(scope);
    });

  it('EDNS version 1: BADVERS in the extended rcode', () => {
    const r = parse(pipelineWith().handleQuery(query({ name: 'www.lb.test', ednsVersion: 1 }), peer, 'udp')!);
    expect([r.rcode, r.extendedRcode]).to.deep.equal([0, 1]);
  });

  it('a response is dropped', () => {
    expect(pipelineWith().handleQuery(query({ name: 'www.lb.test', response: true }), peer, 'udp')).to.equal(null);
  });

  it('REFUSED carries EDE 20 with EDNS; the next answer carries none', () => {
    const p = pipelineWith();
    expect(edeOf(parse(p.handleQuery(query({ name: 'example.org', edns: true }), peer, 'udp')!))).to.equal(20);
    expect(edeOf(parse(p.handleQuery(query({ name: 'ns1.lb.test', edns: true }), peer, 'udp')!))).to.equal(null);
  });

  it('a CNAME into a load-balanced name is counted as that name decision', () => {
    const p = pipelineWith();
    p.handleQuery(query({ name: 'alias.lb.test', ecs: '81.2.69.142/32' }), peer, 'udp');
    const lb = catalog.exact.get('\x03www\x02lb\x04test\x00')!.node.lb!;
    const counts: Record<string, number> = {};
    lb.takeDecisions((k, n) => (counts[k] = (counts[k] ?? 0) + n));
    expect(counts['eu-west|primary']).to.be.at.least(1);
  });
});

describe('the per-query context: nothing a failed reply set reaches the next one', () => {
  /** An NSID payload whose copy throws while armed: a reply that fails at its very end, in OPT. */
  function trap(): { nsid: Buffer; armed: { on: boolean } } {
    const armed = { on: false };
    const nsid = Buffer.from('node');
    const copy = nsid.copy.bind(nsid);
    nsid.copy = (...args: Parameters<Buffer['copy']>) => {
      if (armed.on) throw new Error('injected failure while writing OPT');
      return copy(...args);
    };
    return { nsid, armed };
  }
  const errors: unknown[] = [];
  const log: Logger = { ...silentLogger, error: (o: unknown) => void errors.push(o) } as Logger;

  it('a throw after the ECS scope is set: SERVFAIL, then a static reply with ECS has scope 0', () => {
    const { nsid, armed } = trap();
    const p = pipelineWith(nsid, log);
    armed.on = true;
    const failed = parse(
      p.handleQuery(query({ name: 'www.lb.test', ecs: '81.2.69.142/32', nsid: true }), peer, 'udp')!,
    );
    expect(failed.rcode).to.equal(2);
    expect(failed.opt).to.equal(null);
    expect(p.stats.errors).to.equal(1);
    armed.on = false;
    const next = parse(p.handleQuery(query({ name: 'ns1.lb.test', ecs: '81.2.69.142/32', nsid: true }), peer, 'udp')!);
    expect(next.rcode).to.equal(0);
    expect(scopeOf(next)).to.equal(0);
    expect(edeOf(next)).to.equal(null);
    expect(next.opt!.get(3)!.toString()).to.equal('node');
  });

  it('a throw after the EDE is set: SERVFAIL, then a static reply with EDNS has no EDE', () => {
    const { nsid, armed } = trap();
    const p = pipelineWith(nsid, log);
    armed.on = true;
    expect(parse(p.handleQuery(query({ name: 'example.org', nsid: true }), peer, 'udp')!).rcode).to.equal(2);
    armed.on = false;
    const next = parse(p.handleQuery(query({ name: 'ns1.lb.test', ecs: '81.2.69.142/32' }), peer, 'udp')!);
    expect([next.rcode, edeOf(next), scopeOf(next)]).to.deep.equal([0, null, 0]);
  });

  it('two pipelines in one process keep their own query state (no module singletons)', () => {
    // What each pipeline decodes into and resolves into is its own: a second decoder or resolver
    // working between two reads of the first leaves the first's objects as they were.
    const da = new QueryDecoder();
    const db = new QueryDecoder();
    const a = da.decode(query({ name: 'www.lb.test', ecs: '81.2.69.142/32' }));
    const b = db.decode(query({ name: 'example.org', ecs: '2a02:d180::/29' }));
    if (a.kind !== 'ok' || b.kind !== 'ok') throw new Error('both queries decode');
    expect(a.query).to.not.equal(b.query);
    const www = parseName('www.lb.test.', null);
    if (!www.ok) throw new Error(www.error);
    expect([a.query.qkey, a.query.ecs!.family]).to.deep.equal([www.name.key, 1]);
    const ra = new ClientResolver();
    const rb = new ClientResolver();
    const ca = ra.resolve(a.query, peer);
    rb.resolve(b.query, peer);
    expect([ca.family, [...ca.bytes]]).to.deep.equal([4, [81, 2, 69, 142]]);
    // And whole pipelines answer alike whatever the other one did in between.
    const pa = pipelineWith();
    const pb = pipelineWith();
    const qa = query({ name: 'www.lb.test', ecs: '81.2.69.142/32' });
    const first = parse(pa.handleQuery(qa, peer, 'udp')!);
    parse(pb.handleQuery(query({ name: 'www.lb.test', ecs: '2a02:d180::/29' }), peer, 'udp')!);
    const again = parse(pa.handleQuery(qa, peer, 'udp')!);
    expect(scopeOf(again)).to.equal(scopeOf(first));
  });
});

describe('trace: the query path with a record of what it did', () => {
  it('a CNAME into a weighted name: the chain, the client, the class and the decision served, from one draw', () => {
    let draws = 0;
    const health = new StaticHealth();
    const p = createPipeline(() => catalog, {
      nsid: null,
      chaos: { identity: 'core', version: null },
      log: silentLogger,
      health: () => health.view(),
      rng: () => (draws++, 0.9),
    });
    const { reply, trace } = p.trace(query({ name: 'www.lb.test', ecs: '81.2.69.142/32' }), peer, 'udp');
    const r = parse(reply!);
    expect(trace.zone).to.equal('lb.test.');
    expect(trace.client).to.deep.include({ family: 4, fromEcs: true, sourcePrefix: 32, scopeOffset: 0 });
    expect([...trace.client!.bytes]).to.deep.equal([81, 2, 69, 142]);
    expect(trace.lb!.name).to.equal('www.lb.test.');
    expect(trace.lb!.depth).to.equal(31);
    const d = trace.lb!.decision;
    expect([d.chosen, d.outcome, d.scope]).to.deep.equal(['eu-west', 'primary', 31]);
    // The reply is made of the decision's endpoints.
    const addresses = new Set(d.endpoints.map((e) => e.address));
    for (const a of r.answers) expect(addresses.has(a.data)).to.equal(true);

    const wt = p.trace(query({ name: 'wt.lb.test', ecs: '81.2.69.142/32' }), peer, 'udp');
    expect(draws).to.equal(1);
    expect(wt.trace.lb!.decision.chosen).to.equal('eu-west'); // 0.9 of weights 3:1 falls on eu-west
    expect(parse(wt.reply!).answers.map((a) => a.data)).to.deep.equal(['198.51.100.10']);
    expect(wt.trace.lb!.decision.steps.at(-1)).to.match(
      /weighted pick among us-east \(weight 3\), eu-west \(weight 1\): eu-west/,
    );

    const chain = p.trace(query({ name: 'alias.lb.test', ecs: '81.2.69.142/32' }), peer, 'udp').trace;
    expect(chain.cnames).to.deep.equal(['alias.lb.test. -> www.lb.test.']);
    expect(chain.lb!.name).to.equal('www.lb.test.');
    // Tracing is off again afterwards: a plain query of another load-balanced name writes into no trace.
    expect(p.handleQuery(query({ name: 'wt.lb.test', ecs: '81.2.69.142/32' }), peer, 'udp')).to.not.equal(null);
    expect([chain.lb!.name, chain.cnames]).to.deep.equal(['www.lb.test.', ['alias.lb.test. -> www.lb.test.']]);
  });
});
