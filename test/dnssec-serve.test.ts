// Signed answers on the query path, over real UDP and TCP sockets: the GSLB fixture zone with extra
// cases (MX with additional data, a wildcard, a delegation with glue, a big TXT, a name that goes
// NODATA) served twice, keyed by BIND's dnssec-keygen and unsigned. DO=0 gets the unsigned zone's
// bytes exactly; DO=1 gets RRSIGs and NSEC proofs that dnspython (test/helpers/dnssec-verify.py)
// validates against the DNSKEY read from the key file; a signed reply too big for the client's buffer
// is TC over UDP and whole over TCP; the signing metrics count one signature per distinct RRset (a
// repeated answer, a failover and back sign nothing new); the ECS scope is the unsigned answer's.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoData } from '../geo/geoip.js';
import type { PlanTarget } from '../health/plan-types.js';
import type { HealthMatrix, HealthSource } from '../health/source.js';
import { StaticHealth } from '../health/static-health.js';
import type { HealthView } from '../health/view.js';
import { explainQuery, formatExplanation } from '../server/explain/explain.js';
import { startListeners, type Listeners } from '../server/listeners.js';
import { silentLogger } from '../server/log.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { buildConfig, DnsNode } from '../server/node.js';
import { buildQuery, decodeReply, ecsOption, tcpExchange, udpExchange, type QueryOptions } from './helpers/dns.js';
import { dnskeyRdataOf, dnssecKeygen, toolsOrSkip, type TestKey } from './helpers/dnssec-zone.js';
import { dnspythonOrSkip, verifyMessage, type Verification } from './helpers/dnssec-verify.js';
import { cityDatabase, GSLB_ZONES, seeded } from './helpers/gslb.js';

const APEX = 'lb.test';

/** Added to the fixture's records: additional data, a wildcard, a delegation with glue, a big TXT. */
const EXTRA_RECORDS = `
mail    MX   10 mx1
mx1     A    192.0.2.25
*.wild  A    192.0.2.99
*.wild  TXT  "from the wildcard"
deleg   NS   ns1.deleg
ns1.deleg A  192.0.2.53
big     TXT  "${'a'.repeat(200)}" "${'b'.repeat(200)}"
`;

/** Added to the fixture's names: one datacenter whose fallback is NODATA (drained: NODATA at a name whose NSEC lists A). */
const EXTRA_NAMES = `  dark:
    policy: failover
    fallback: nodata
    pools:
      ap-south: [203.0.113.99]
`;

/** A health source the test drives (drains on a StaticHealth); no probes, no matrix. */
class DrivenHealth implements HealthSource {
  readonly static = new StaticHealth();
  matrix(): HealthMatrix {
    return { mode: 'embedded', agents: [], targets: [], redis: null, drains: [] };
  }
  async setDrain(): Promise<void> {}
  setPlan(_targets: readonly PlanTarget[]): void {}
  view(): HealthView {
    return this.static.view();
  }
  async start(): Promise<boolean> {
    return true;
  }
  async stop(): Promise<void> {}
}

interface Served {
  readonly node: DnsNode;
  readonly health: DrivenHealth;
  readonly metrics: Metrics;
  readonly listeners: Listeners;
  readonly port: number;
}

/** The fixture zone with the extra cases in `dir`. */
function zoneCopy(dir: string): string {
  cpSync(GSLB_ZONES, dir, { recursive: true });
  appendFileSync(join(dir, APEX, 'records.zone'), EXTRA_RECORDS);
  appendFileSync(join(dir, APEX, 'names.yaml'), EXTRA_NAMES);
  return dir;
}

async function serveZones(zonesDir: string): Promise<Served> {
  const geo = openGeoData([cityDatabase()]);
  const first = buildConfig(zonesDir, geo, silentLogger);
  if (!first.built) throw new Error(first.errors.join('\n'));
  const health = new DrivenHealth();
  const node = new DnsNode(
    {
      zonesDir,
      nodeId: 'dnssec-serve',
      geo,
      health,
      log: silentLogger,
      pipeline: { nsid: null, chaos: { identity: 't', version: null }, rng: seeded(1) },
    },
    first.built,
  );
  const listeners = await startListeners([{ host: '127.0.0.1', port: 0 }], node.pipeline.handleQuery, {
    idleTimeoutMs: 2000,
  });
  return { node, health, metrics: createMetrics(node), listeners, port: listeners.endpoints[0]!.port };
}

/** The DNSKEY RDATA of a key file written by dnssec-keygen ("lb.test. IN DNSKEY 257 3 13 BASE64"). */
const dnskeyOfFile = (key: TestKey): Buffer => dnskeyRdataOf(readFileSync(key.keyFile, 'utf8'));

const ecs = ecsOption;

/** One query's bytes, with a fixed ID so two servers' replies can be compared byte for byte. */
function query(
  name: string,
  type: string,
  opts: { do?: boolean; edns?: boolean; udpSize?: number; subnet?: string } = {},
): Buffer {
  const o: QueryOptions = { name, type, id: 4242 };
  if (opts.edns !== false && (opts.do || opts.subnet || opts.edns || opts.udpSize))
    o.edns = {
      do: opts.do === true,
      ...(opts.udpSize ? { udpSize: opts.udpSize } : {}),
      options: opts.subnet ? [ecs(opts.subnet)] : [],
    };
  return buildQuery(o);
}

async function udp(s: Served, msg: Buffer): Promise<Buffer> {
  const r = await udpExchange('127.0.0.1', s.port, msg);
  if (r === null) throw new Error('no UDP reply');
  return r;
}

async function tcp(s: Served, msg: Buffer): Promise<Buffer> {
  const [r] = await tcpExchange('127.0.0.1', s.port, [msg]);
  if (r === undefined) throw new Error('no TCP reply');
  return r;
}

/** Samples of the exposition text: "name{labels}" -> value. */
async function samples(m: Metrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await m.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function signing(m: Metrics): Promise<{ signed: number; cache: number; expiry: number | undefined }> {
  const s = await samples(m);
  return {
    signed: s.get(`gslb_dnssec_signatures_total{zone="${APEX}.",source="signed"}`) ?? 0,
    cache: s.get(`gslb_dnssec_signatures_total{zone="${APEX}.",source="cache"}`) ?? 0,
    expiry: s.get(`gslb_dnssec_signature_expiry_timestamp_seconds{zone="${APEX}."}`),
  };
}

const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3', 'DNSKEY', 'CDS', 'CDNSKEY']);

describe('signed answers on the query path (DO=1 over UDP and TCP)', function () {
  this.timeout(60_000);
  let dir: string;
  let signedServer: Served;
  let unsignedServer: Served;
  let key: TestKey;
  let dnskey: Buffer;
  const now = () => Math.floor(Date.now() / 1000);

  before(async function () {
    toolsOrSkip(this, ['dnssec-keygen']);
    dnspythonOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'gslb-dnssec-serve-'));
    const signedDir = zoneCopy(join(dir, 'signed'));
    zoneCopy(join(dir, 'unsigned'));
    mkdirSync(join(signedDir, APEX, 'keys'));
    key = dnssecKeygen(join(signedDir, APEX, 'keys'), APEX, 13, true);
    dnskey = dnskeyOfFile(key);
    signedServer = await serveZones(signedDir);
    unsignedServer = await serveZones(join(dir, 'unsigned'));
  });

  after(async () => {
    for (const s of [signedServer, unsignedServer]) {
      if (s === undefined) continue;
      await s.listeners.close();
      s.node.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** dnspython's verdict on every RRSIG of a reply; `names` are tested against its NSEC records. */
  const verify = (wire: Buffer, names: string[] = []): Verification =>
    verifyMessage(wire, `${APEX}.`, [dnskey], now(), names);

  /** Every RRset of these sections carries a valid signature by the key, and no RRSIG stands alone. */
  function expectSigned(v: Verification, sections: readonly string[] = ['answer', 'authority']): void {
    expect(v.orphans, 'RRSIGs without their RRset').to.deep.equal([]);
    for (const rs of v.rrsets) {
      if (!sections.includes(rs.section)) continue;
      expect(rs.signatures, `${rs.section} ${rs.name} ${rs.type} signed`).to.have.length.greaterThan(0);
      for (const sig of rs.signatures) {
        expect(sig.verdict, `${rs.section} ${rs.name} ${rs.type}`).to.equal('ok');
        expect([sig.keyTag, sig.algorithm, sig.signer]).to.deep.equal([key.tag, 13, `${APEX}.`]);
        expect(sig.originalTtl, `${rs.name} ${rs.type} original TTL`).to.equal(rs.ttl);
        expect(sig.ttl, `${rs.name} ${rs.type} RRSIG TTL`).to.equal(rs.ttl);
      }
    }
  }

  const types = (v: Verification, section: string) =>
    v.rrsets.filter((r) => r.section === section).map((r) => `${r.name} ${r.type}`);

  it('DO=0 and no EDNS: the unsigned zone bytes, exactly, with nothing of DNSSEC', async () => {
    const cases: Array<[string, string, Parameters<typeof query>[2]]> = [
      [APEX, 'SOA', {}],
      [APEX, 'NS', { edns: true }],
      [`mail.${APEX}`, 'MX', { edns: true }],
      [`www.${APEX}`, 'TXT', {}],
      [`www.${APEX}`, 'A', { subnet: '198.51.100.0/24' }],
      [`www.${APEX}`, 'AAAA', { subnet: '2001:db8:77::/48' }],
      [`alias.${APEX}`, 'A', { edns: true }],
      [`nothere.${APEX}`, 'A', { edns: true }],
      [`www.${APEX}`, 'MX', {}],
      [`x.wild.${APEX}`, 'TXT', { edns: true }],
      [`host.deleg.${APEX}`, 'A', { edns: true }],
      [`${APEX}`, 'NSEC', { edns: true }],
      [`www.${APEX}`, 'RRSIG', { edns: true }],
      [`big.${APEX}`, 'TXT', { edns: true, udpSize: 512 }],
    ];
    for (const [name, type, opts] of cases) {
      for (const send of [udp, tcp]) {
        const a = await send(signedServer, query(name, type, opts));
        const b = await send(unsignedServer, query(name, type, opts));
        expect(a.toString('hex'), `${name} ${type} ${JSON.stringify(opts)} over ${send.name}`).to.equal(
          b.toString('hex'),
        );
        const r = decodeReply(a);
        const all = [...(r.packet.answers ?? []), ...(r.packet.authorities ?? []), ...(r.packet.additionals ?? [])];
        expect(
          all.filter((x) => DNSSEC_TYPES.has(x.type)),
          `${name} ${type}`,
        ).to.deep.equal([]);
      }
    }
  });

  it('DO=1: static A, MX (with its additional), TXT, SOA, NS and DNSKEY are signed by the key', async () => {
    for (const [name, type] of [
      [`ns1.${APEX}`, 'A'],
      [`mail.${APEX}`, 'MX'],
      [`www.${APEX}`, 'TXT'],
      [APEX, 'SOA'],
      [APEX, 'NS'],
      [APEX, 'DNSKEY'],
    ] as const) {
      const wire = await udp(signedServer, query(name, type, { do: true }));
      const r = decodeReply(wire);
      expect(r.rcode, `${name} ${type}`).to.equal(0);
      expect((r.opt as { flags?: number } | undefined)?.flags ?? 0, 'DO echoed').to.equal(dnsPacket.DNSSEC_OK);
      const v = verify(wire);
      expect(types(v, 'answer'), `${name} ${type}`).to.deep.equal([`${name}. ${type}`]);
      expectSigned(v, ['answer', 'authority', 'additional']);
      if (type === 'MX') expect(types(v, 'additional')).to.deep.equal([`mx1.${APEX}. A`]);
    }
    // The served DNSKEY RRset is the key file's.
    const keys = decodeReply(await udp(signedServer, query(APEX, 'DNSKEY', { do: true })));
    const served = (keys.packet.answers ?? []).filter((a) => a.type === 'DNSKEY');
    expect(served).to.have.length(1);
    expect((served[0] as unknown as { data: { key: Buffer } }).data.key.equals(dnskey.subarray(4))).to.equal(true);
  });

  it('DO=1: NXDOMAIN and NODATA are proven by signed NSEC records', async () => {
    // NXDOMAIN: an NSEC covers the name, and one covers the wildcard at its closest encloser (the apex).
    const nx = await udp(signedServer, query(`nothere.${APEX}`, 'A', { do: true }));
    expect(decodeReply(nx).rcode).to.equal(3);
    const v = verify(nx, [`nothere.${APEX}.`, `*.${APEX}.`]);
    expectSigned(v);
    const nsecs = v.rrsets.filter((r) => r.type === 'NSEC');
    expect(nsecs.flatMap((n) => n.nsec!.covers).sort()).to.deep.equal([`*.${APEX}.`, `nothere.${APEX}.`].sort());
    expect(types(v, 'authority')).to.include(`${APEX}. SOA`);

    // NODATA at a name with data: its own NSEC, whose bitmap lacks the type.
    const nodata = await udp(signedServer, query(`ns1.${APEX}`, 'MX', { do: true }));
    expect(decodeReply(nodata).rcode).to.equal(0);
    const w = verify(nodata, [`ns1.${APEX}.`]);
    expectSigned(w);
    const own = w.rrsets.find((r) => r.type === 'NSEC')!;
    expect(own.nsec!.matches).to.deep.equal([`ns1.${APEX}.`]);
    expect(own.nsec!.types).to.include('A').and.not.include('MX');

    // NODATA at a load-balanced name (its A are decided; MX is absent).
    const lbNodata = verify(await udp(signedServer, query(`www.${APEX}`, 'MX', { do: true })), [`www.${APEX}.`]);
    expectSigned(lbNodata);
    expect(lbNodata.rrsets.find((r) => r.type === 'NSEC')!.nsec!.types).to.include.members(['A', 'AAAA', 'TXT']);
  });

  it('DO=1: NXDOMAIN for names of any length and case in one NSEC gap is one authority section, made once', async () => {
    // Names between the same two chain names: the first makes the signed authority section, the rest
    // reuse it with their own question (pointers moved to the longer name), and still validate.
    const names = [`nx1.${APEX}`, `deep.Er.NX2.${APEX}`, `a.b.c.d.e.f.nx3.lB.TeSt`];
    await udp(signedServer, query(names[0]!, 'A', { do: true }));
    const before = await signing(signedServer.metrics);
    for (const name of names) {
      const wire = await udp(signedServer, query(name, 'AAAA', { do: true }));
      const r = decodeReply(wire);
      expect(r.rcode, name).to.equal(3);
      expect(r.packet.questions![0]!.name, 'the question as asked').to.equal(name);
      const v = verify(wire, [`${name.toLowerCase()}.`, `*.${APEX}.`]);
      expectSigned(v);
      // The SOA's owner points into the question, so it comes back in the question's case.
      expect(types(v, 'authority').map((t) => t.toLowerCase())).to.include(`${APEX}. soa`);
      const covered = v.rrsets.filter((r) => r.type === 'NSEC').flatMap((n) => n.nsec!.covers);
      expect(covered.map((c) => c.toLowerCase())).to.include.members([`${name.toLowerCase()}.`, `*.${APEX}.`]);
    }
    const after = await signing(signedServer.metrics);
    expect(after.signed - before.signed, 'no signature made for the same gap').to.equal(0);
    expect(after.cache - before.cache, 'nor the signer asked: the section is reused whole').to.equal(0);
  });

  it('DO=1: a wildcard answer is signed under the wildcard, with the NSEC that proves no closer name', async () => {
    const wire = await udp(signedServer, query(`x.wild.${APEX}`, 'TXT', { do: true }));
    const v = verify(wire, [`x.wild.${APEX}.`]);
    expectSigned(v);
    const txt = v.rrsets.find((r) => r.type === 'TXT')!;
    expect(txt.name).to.equal(`x.wild.${APEX}.`);
    expect(txt.signatures[0]!.labels, 'labels of *.wild.lb.test minus the *').to.equal(3);
    expect(v.rrsets.filter((r) => r.type === 'NSEC').flatMap((n) => n.nsec!.covers)).to.include(`x.wild.${APEX}.`);
  });

  it('DO=1: a referral has its NS and glue unsigned and the cut NSEC (no DS) signed', async () => {
    const wire = await udp(signedServer, query(`host.deleg.${APEX}`, 'A', { do: true }));
    const r = decodeReply(wire);
    expect(r.aa).to.equal(false);
    const v = verify(wire, [`deleg.${APEX}.`]);
    expect(v.orphans).to.deep.equal([]);
    const ns = v.rrsets.find((x) => x.type === 'NS')!;
    expect(ns.signatures, 'NS at a cut is not signed').to.deep.equal([]);
    expect(v.rrsets.find((x) => x.section === 'additional' && x.type === 'A')!.signatures, 'glue').to.deep.equal([]);
    const nsec = v.rrsets.find((x) => x.type === 'NSEC')!;
    expect(nsec.nsec!.matches).to.deep.equal([`deleg.${APEX}.`]);
    expect(nsec.nsec!.types).to.include('NS').and.not.include('DS');
    expect(nsec.signatures.map((s) => s.verdict)).to.deep.equal(['ok']);
  });

  it('DO=1: a CNAME into a load-balanced name signs the CNAME and the decided addresses', async () => {
    const wire = await udp(signedServer, query(`alias.${APEX}`, 'A', { do: true, subnet: '198.51.100.0/24' }));
    const v = verify(wire);
    expectSigned(v);
    expect(types(v, 'answer')).to.deep.equal([`alias.${APEX}. CNAME`, `www.${APEX}. A`]);
  });

  it("DO=1: NSEC and RRSIG queries answer the name's NSEC RRset and its RRSIGs", async () => {
    const nsec = verify(await udp(signedServer, query(`ns1.${APEX}`, 'NSEC', { do: true })));
    expectSigned(nsec);
    expect(types(nsec, 'answer')).to.deep.equal([`ns1.${APEX}. NSEC`]);
    const rrsig = decodeReply(await udp(signedServer, query(`www.${APEX}`, 'RRSIG', { do: true })));
    const covered = (rrsig.packet.answers ?? []).map(
      (a) => (a as unknown as { data: { typeCovered: string } }).data.typeCovered,
    );
    expect(covered.sort()).to.deep.equal(['NSEC', 'TXT']);
  });

  it("load-balanced answers for clients of three continents are signed, with the unsigned answer's ECS scope", async () => {
    for (const subnet of ['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/24', '2001:db8:20::/48']) {
      for (const type of ['A', 'AAAA']) {
        const signed = decodeReply(await udp(signedServer, query(`www.${APEX}`, type, { do: true, subnet })));
        const plain = decodeReply(await udp(unsignedServer, query(`www.${APEX}`, type, { subnet })));
        const scope = (r: typeof plain) => r.opt?.options?.find((o) => o['code'] === 8)?.['scopePrefixLength'];
        expect(scope(signed), `${subnet} ${type} scope`).to.equal(scope(plain));
        const addrs = (r: typeof plain) =>
          (r.packet.answers ?? [])
            .filter((a) => a.type === type)
            .map((a) => String((a as { data: unknown }).data))
            .sort();
        expect(addrs(signed), `${subnet} ${type}`).to.have.length.greaterThan(0);
        expectSigned(verify(signed.raw));
        // Same datacenter: every signed address is one the unsigned server gives this client.
        const pool = new Set<string>();
        for (let i = 0; i < 4; i++)
          for (const a of addrs(decodeReply(await udp(unsignedServer, query(`www.${APEX}`, type, { subnet })))))
            pool.add(a);
        for (const a of addrs(signed)) expect(pool, `${subnet} ${type}`).to.include(a);
      }
    }
  });

  it("a signed reply over the client's buffer is TC over UDP and whole over TCP", async () => {
    const msg = query(`big.${APEX}`, 'TXT', { do: true, udpSize: 512 });
    const overUdp = decodeReply(await udp(signedServer, msg));
    expect(overUdp.tc, 'TC').to.equal(true);
    expect(overUdp.raw.length).to.be.at.most(512);
    expect(overUdp.packet.answers ?? []).to.deep.equal([]);
    const overTcp = await tcp(signedServer, msg);
    expect(decodeReply(overTcp).tc).to.equal(false);
    expect(overTcp.length).to.be.greaterThan(512);
    const v = verify(overTcp);
    expectSigned(v);
    expect(types(v, 'answer')).to.deep.equal([`big.${APEX}. TXT`]);
    // The same reply fits the default 1232 bytes over UDP.
    expect(decodeReply(await udp(signedServer, query(`big.${APEX}`, 'TXT', { do: true }))).tc).to.equal(false);
  });

  it('signs each distinct RRset once: a repeated answer and a failover and back sign nothing new', async () => {
    const ask = async (name: string, type = 'A') =>
      decodeReply(await udp(signedServer, query(name, type, { do: true, subnet: '198.51.100.0/24' })));
    // fo fails over from eu-west to us-east.
    const first = await ask(`fo.${APEX}`);
    expect(first.answer.filter((a) => / A /.test(a)).map((a) => a.split(' ').pop())).to.deep.equal(['198.51.100.10']);
    const m0 = await signing(signedServer.metrics);
    expect(m0.signed, 'signatures made').to.be.greaterThan(0);
    await ask(`fo.${APEX}`);
    const m1 = await signing(signedServer.metrics);
    expect(m1.signed, 'the same answer again: no signature').to.equal(m0.signed);
    expect(m1.cache - m0.cache, 'nor a trip to the signer: the signed reply is cached').to.equal(0);

    signedServer.health.static.drain('eu-west');
    const failed = await ask(`fo.${APEX}`);
    expect(failed.answer.filter((a) => / A /.test(a)).map((a) => a.split(' ').pop())).to.deep.equal(['192.0.2.10']);
    expectSigned(verify(failed.raw));
    const m2 = await signing(signedServer.metrics);
    expect(m2.signed - m1.signed, 'the failover answer: one new RRset, one signature').to.equal(1);

    signedServer.health.static.undrain('eu-west');
    const back = await ask(`fo.${APEX}`);
    expectSigned(verify(back.raw));
    const m3 = await signing(signedServer.metrics);
    expect(m3.signed, 'back to eu-west: its RRset was signed before').to.equal(m2.signed);
    expect(m3.cache, 'served from the signer cache').to.be.greaterThan(m2.cache);

    // NODATA at a load-balanced name whose only datacenter is down (fallback nodata): an NSEC at the
    // name with A left out of its bitmap, signed on demand.
    signedServer.health.static.drain('ap-south', '203.0.113.99');
    const dark = await ask(`dark.${APEX}`);
    expect([dark.rcode, dark.packet.answers ?? []]).to.deep.equal([0, []]);
    const v = verify(dark.raw, [`dark.${APEX}.`]);
    expectSigned(v);
    expect(v.rrsets.find((r) => r.type === 'NSEC')!.nsec!.types).to.not.include('A');
    signedServer.health.static.undrain('ap-south', '203.0.113.99');

    // The earliest expiry is a signature's expiration: validity (14 days) after an hour back.
    const m4 = await signing(signedServer.metrics);
    expect(m4.expiry).to.be.a('number');
    expect(m4.expiry! - now()).to.be.within(14 * 86400 - 3600 - 120, 14 * 86400 - 3600 + 120);
  });

  it('explain --dnssec says the answer is signed and by which key; without it, which keys sign the zone', () => {
    const node = signedServer.node;
    const health = signedServer.health.view();
    const signed = explainQuery(node.catalog, node.geo, health, {
      name: `www.${APEX}`,
      type: 'A',
      client: '198.51.100.7/24',
      dnssec: true,
    });
    expect(signed.dnssec).to.deep.include({ signed: true });
    expect(signed.dnssec!.signatures).to.deep.equal([{ tag: key.tag, algorithm: 'ECDSAP256SHA256', covers: 'A' }]);
    expect(signed.answer.some((l) => l.includes(' IN RRSIG A 13 3 '))).to.equal(true);
    expect(formatExplanation(signed)).to.include(`dnssec:     answer signed by key ${key.tag} (ECDSAP256SHA256)`);
    const plain = explainQuery(node.catalog, node.geo, health, {
      name: `www.${APEX}`,
      type: 'A',
      client: '198.51.100.7/24',
    });
    expect(plain.dnssec).to.deep.equal({
      keys: [{ tag: key.tag, algorithm: 'ECDSAP256SHA256', role: 'CSK' }],
      signed: null,
      signatures: [],
    });
    expect(formatExplanation(plain)).to.include(`zone signed with key ${key.tag} (ECDSAP256SHA256) CSK`);
    const unsigned = unsignedServer.node;
    const none = explainQuery(unsigned.catalog, unsigned.geo, health, {
      name: `www.${APEX}`,
      type: 'A',
      client: '198.51.100.7/24',
    });
    expect(none.dnssec).to.equal(null);
    expect(formatExplanation(none)).to.not.include('dnssec');
  });
});
