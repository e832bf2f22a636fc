// DNSSEC checked by validators we did not write: keys from BIND's dnssec-keygen in the zone's keys/,
// the trust anchor from `gslb ds` (and checked against dnssec-dsfromkey on the key file and on the
// served DNSKEY), `gslb serve` with its default workers, and Debian's unbound (subnetcache validator
// iterator) in front of it. Every answer must come back with AD and never SERVFAIL: static, negative,
// wildcard, delegations, the load-balanced name for clients of three continents before and after a
// failover; for both algorithms, with a combined key and with KSK + ZSK; then a pre-published key
// appearing and an expired one going. delv (bind9-dnsutils) validates a few answers on its own, and
// DO=0 answers must carry nothing of DNSSEC.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { delv, DelvAnchor } from './helpers/delv.js';
import { buildQuery, udpExchange } from './helpers/dns.js';
import {
  CHILD_APEX,
  SIGNED_CUT,
  dnssecKeygen,
  dnssecSettime,
  dsFromDnskeys,
  dsFromKey,
  EXAMPLE_APEX,
  KEY_SETUPS,
  normalizeDs,
  setupName,
  toolsOrSkip,
  validationZones,
  wwwDatacenter,
  type KeySetup,
  type TestKey,
  type ValidationZones,
} from './helpers/dnssec-zone.js';
import { cityDatabase } from './helpers/gslb.js';
import { gslb, type Running } from './helpers/processes.js';
import { askServer, Unbound, type Resolved } from './helpers/unbound.js';
import { until } from './helpers/until.js';

const TOOLS = ['dnssec-keygen', 'dnssec-settime', 'dnssec-dsfromkey', 'unbound', 'unbound-control', 'delv', 'dig'];
const TOKEN = 'dnssec-test-token';
const A = EXAMPLE_APEX;
const n = (rel: string) => (rel === '@' ? A : `${rel}.${A}`);

/** Clients of three continents (test/fixtures/geo/city.csv) as /24 ECS prefixes, and where www sends them. */
const CLIENTS = [
  { continent: 'Europe', subnet: '2.2.3.0/24', dc: 'eu-west', afterEuDrain: 'us-east' },
  { continent: 'North America', subnet: '214.78.120.0/24', dc: 'us-east', afterEuDrain: 'us-east' },
  { continent: 'Asia', subnet: '175.16.199.0/24', dc: 'ap-south', afterEuDrain: 'ap-south' },
] as const;

/** One key setup's running world: zones and keys, the server, unbound in front of it, delv's anchor. */
interface World {
  readonly dir: string;
  readonly zones: ValidationZones;
  readonly node: Running;
  readonly port: number;
  readonly adminPort: number;
  readonly ds: string[];
  readonly unbound: Unbound;
  readonly anchor: DelvAnchor;
}

async function startWorld(setup: KeySetup, prepare: (z: ValidationZones) => void = () => {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-dnssec-'));
  let node: Running | undefined;
  try {
    const zones = validationZones(join(dir, 'zones'), setup);
    prepare(zones);
    const dsRun = spawnSync(process.execPath, ['bin/gslb', 'ds', '--zones', zones.zonesDir, A], { encoding: 'utf8' });
    if (dsRun.status !== 0) throw new Error(`gslb ds exited ${dsRun.status}: ${dsRun.stderr}${dsRun.stdout}`);
    const ds = normalizeDs(dsRun.stdout);
    if (ds.length === 0) throw new Error(`gslb ds printed no DS line:\n${dsRun.stdout}`);
    node = gslb([
      'serve',
      '--zones',
      zones.zonesDir,
      '--geoip',
      cityDatabase(),
      '--listen',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      '--admin-token',
      TOKEN,
      '--log-level',
      'info',
    ]);
    const port = Number((await node.waitFor(/gslb serving .* on 127\.0\.0\.1:(\d+)/, 20_000))[1]);
    const adminPort = Number((await node.waitFor(/admin on http:\/\/127\.0\.0\.1:(\d+)\//, 5000))[1]);
    const unbound = await Unbound.start({ stubZones: [A, CHILD_APEX], upstreamPort: port, anchors: ds });
    return { dir, zones, node, port, adminPort, ds, unbound, anchor: new DelvAnchor(A, ds) };
  } catch (err) {
    // A world that did not come up leaves nothing behind: no server, no keys on disk.
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return;
  await w.unbound.stop();
  await w.node.stop();
  w.anchor.remove();
  rmSync(w.dir, { recursive: true, force: true });
}

/** Asserts unbound validated the answer: AD set, rcode as expected (never SERVFAIL); unbound's log on failure. */
function expectValidated(w: World, r: Resolved, what: string, rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR'): void {
  const why = () =>
    `${what}: rcode ${r.rcode}, AD ${r.ad}\nanswer: ${r.answer.join('\n  ')}\nunbound:\n${w.unbound.logAbout(what.split(' ')[0]!)}`;
  expect(r.rcode, why()).to.equal(rcode === 'NOERROR' ? 0 : 3);
  expect(r.ad, why()).to.equal(true);
}

async function validated(
  w: World,
  name: string,
  type: string,
  rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR',
  subnet?: string,
) {
  const r = await w.unbound.ask(name, type, subnet ? { subnet } : {});
  expectValidated(w, r, `${name} ${type}${subnet ? ` from ${subnet}` : ''}`, rcode);
  return r;
}

async function admin(w: World, path: 'drain' | 'undrain', datacenter: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${w.adminPort}/api/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ datacenter }),
  });
  expect(res.status, await res.clone().text()).to.equal(200);
}

/** The RRSIG records of a section, decoded. */
type Sig = {
  typeCovered: string;
  keyTag: number;
  labels: number;
  inception: number;
  expiration: number;
  algorithm: number;
};
const sigsOf = (
  rrs: readonly dnsPacket.Answer[] | undefined,
  owner?: string,
): Array<Sig & { name: string; ttl: number }> =>
  (rrs ?? [])
    .filter((a) => a.type === 'RRSIG' && (!owner || a.name.toLowerCase() === owner))
    .map((a) => ({
      ...(a as unknown as { data: Sig }).data,
      name: a.name.toLowerCase(),
      ttl: (a as { ttl?: number }).ttl ?? 0,
    }));

/** Every record of a reply, all sections. */
const allRecords = (r: Resolved): dnsPacket.Answer[] => [
  ...(r.packet.answers ?? []),
  ...(r.packet.authorities ?? []),
  ...(r.packet.additionals ?? []),
];

/** The DNSKEY lines the server serves, as dig prints them (what dnssec-dsfromkey -f reads). */
function servedDnskeys(port: number): string[] {
  const r = spawnSync('dig', ['@127.0.0.1', '-p', String(port), A, 'DNSKEY', '+norec', '+noall', '+answer'], {
    encoding: 'utf8',
  });
  return r.stdout.split('\n').filter((l) => /\sDNSKEY\s/.test(l));
}

/** Key tags in a DNSKEY (or CDNSKEY) answer, per RFC 4034 appendix B, computed here from the RDATA. */
function keyTags(r: Resolved, type = 'DNSKEY'): number[] {
  return (r.packet.answers ?? [])
    .filter((a) => a.type === type)
    .map((a) => {
      const d = (a as { data: unknown }).data;
      const rdata = Buffer.isBuffer(d)
        ? d
        : Buffer.concat([
            Buffer.from([
              (d as { flags: number }).flags >> 8,
              (d as { flags: number }).flags & 0xff,
              3,
              (d as { algorithm: number }).algorithm,
            ]),
            (d as { key: Buffer }).key,
          ]);
      let ac = 0;
      for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
      return (ac + (ac >> 16)) & 0xffff;
    })
    .sort((x, y) => x - y);
}

const signingTag = (z: ValidationZones): number => (z.zsk ?? z.sep).tag;

/** Waits for `cond`; on a time-out the error carries the server's reload and error log lines. */
async function untilServer(w: World, what: string, cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  try {
    await until(what, cond, timeoutMs, 100);
  } catch (err) {
    const lines = (w.node.stdout + w.node.stderr)
      .split('\n')
      .filter((l) => /reload|refus|error|warn|E_[A-Z_]+/i.test(l))
      .slice(-15);
    throw new Error(`${(err as Error).message}\nserver log:\n${lines.join('\n')}`);
  }
}

/** The DS records of an answer, as normalized presentation lines. */
function dsLines(r: Resolved): string[] {
  const lines = (r.packet.answers ?? [])
    .filter((a) => a.type === 'DS')
    .map((a) => {
      const d = (a as unknown as { data: { keyTag: number; algorithm: number; digestType: number; digest: Buffer } })
        .data;
      return `${a.name} IN DS ${d.keyTag} ${d.algorithm} ${d.digestType} ${d.digest.toString('hex')}`;
    });
  return normalizeDs(lines.join('\n'));
}

/** A referral from the parent (RFC 4035 3.1.4): no AA, the cut's NS unsigned, glue unsigned. */
function expectReferral(r: Resolved, cut: string, glue: string): void {
  expect(r.rcode).to.equal(0);
  expect(r.aa).to.equal(false);
  expect(r.packet.answers ?? []).to.deep.equal([]);
  const auth = r.packet.authorities ?? [];
  expect(auth.filter((a) => a.type === 'NS').map((a) => a.name.toLowerCase())).to.deep.equal([cut]);
  expect(sigsOf(auth).map((s) => s.typeCovered)).to.not.include('NS');
  const additional = (r.packet.additionals ?? []).filter((a) => a.type !== 'OPT');
  expect(additional.filter((a) => a.type !== 'RRSIG').map((a) => a.name.toLowerCase())).to.include(glue);
  expect(sigsOf(additional), 'glue is not signed').to.deep.equal([]);
}

for (const setup of KEY_SETUPS) {
  describe(`DNSSEC validated by unbound and delv: ${setupName(setup)}`, function () {
    this.timeout(30_000);
    let w: World;
    before(async function () {
      toolsOrSkip(this, TOOLS);
      w = await startWorld(setup);
    });
    after(async () => {
      await stopWorld(w);
    });

    it("gslb ds prints the SEP key's DS, as dnssec-dsfromkey computes it from the key file and from the served DNSKEY", () => {
      expect(w.ds).to.deep.equal([dsFromKey(w.zones.sep)]);
      expect(dsFromDnskeys(A, servedDnskeys(w.port)).filter((l) => w.ds.includes(l))).to.deep.equal(w.ds);
    });

    it('static records (SOA, NS, A, AAAA, MX, TXT, CAA, SRV): AD', async () => {
      for (const [name, type] of [
        ['@', 'SOA'],
        ['@', 'NS'],
        ['@', 'MX'],
        ['@', 'TXT'],
        ['@', 'CAA'],
        ['mail', 'A'],
        ['mail', 'AAAA'],
        ['ns1', 'A'],
        ['_sip._udp', 'SRV'],
      ] as const) {
        const r = await validated(w, n(name), type);
        expect(r.rrsets, `${name} ${type}`).to.deep.equal([`${n(name)} ${type}`]);
      }
    });

    it('DNSKEY: AD, every key, the DNSKEY RRset signed by the SEP key and the rest by the ZSK', async () => {
      const r = await validated(w, A, 'DNSKEY');
      expect(keyTags(r)).to.deep.equal(
        [w.zones.sep.tag, ...(w.zones.zsk ? [w.zones.zsk.tag] : [])].sort((x, y) => x - y),
      );
      const direct = await askServer(w.port, A, 'DNSKEY');
      expect(sigsOf(direct.packet.answers).map((s) => s.keyTag)).to.deep.equal([w.zones.sep.tag]);
      const soa = await askServer(w.port, A, 'SOA');
      expect(sigsOf(soa.packet.answers).map((s) => s.keyTag)).to.deep.equal([signingTag(w.zones)]);
    });

    it('CDS and CDNSKEY: AD, for the SEP key only (the same DS as gslb ds)', async () => {
      const cdnskey = await validated(w, A, 'CDNSKEY');
      expect(keyTags(cdnskey, 'CDNSKEY')).to.deep.equal([w.zones.sep.tag]);
      const cds = await validated(w, A, 'CDS');
      const lines = (cds.packet.answers ?? [])
        .filter((a) => a.type === 'CDS')
        .map((a) => {
          const d = (a as unknown as { data: Buffer }).data;
          return `${A}. IN DS ${d.readUInt16BE(0)} ${d[2]} ${d[3]} ${d.subarray(4).toString('hex').toUpperCase()}`;
        });
      expect(lines).to.deep.equal(w.ds);
    });

    it("CNAME into the load-balanced name: AD, the chain and the region's address", async () => {
      const r = await validated(w, n('status'), 'A', 'NOERROR', CLIENTS[0].subnet);
      expect(r.rrsets).to.deep.equal([`${n('status')} CNAME`, `${n('www')} A`]);
      expect(wwwDatacenter(r.addresses)).to.equal('eu-west');
      // A CNAME to a static name in the same zone.
      const docs = await validated(w, n('docs'), 'AAAA');
      expect(docs.rrsets).to.deep.equal([`${n('docs')} CNAME`, `${n('mail')} AAAA`]);
    });

    it('delegation with DS: the DS validates (AD); the referral has NS and glue unsigned, DS signed', async () => {
      const ds = await validated(w, SIGNED_CUT, 'DS');
      expect(dsLines(ds)).to.deep.equal([dsFromKey(w.zones.signedCut)]);
      const r = await askServer(w.port, `www.${SIGNED_CUT}`, 'A');
      expectReferral(r, SIGNED_CUT, `ns1.${SIGNED_CUT}`);
      const auth = r.packet.authorities ?? [];
      expect(auth.filter((a) => a.type === 'DS').length, 'the DS at the cut').to.equal(1);
      expect(sigsOf(auth).map((s) => s.typeCovered)).to.deep.equal(['DS']);
      expect(auth.filter((a) => a.type === 'NSEC')).to.deep.equal([]);
    });

    it('delegation without DS: the denial of its DS validates (AD, NODATA); the referral has NS and glue unsigned, the NSEC signed', async () => {
      const ds = await validated(w, n('unsigned'), 'DS');
      expect(ds.rrsets).to.deep.equal([]);
      const r = await askServer(w.port, `www.${n('unsigned')}`, 'A');
      expectReferral(r, n('unsigned'), `ns1.${n('unsigned')}`);
      const auth = r.packet.authorities ?? [];
      expect(auth.filter((a) => a.type === 'DS')).to.deep.equal([]);
      const nsec = auth.filter((a) => a.type === 'NSEC');
      expect(
        nsec.map((a) => a.name.toLowerCase()),
        'the NSEC at the cut proves there is no DS',
      ).to.deep.equal([n('unsigned')]);
      const bitmap = (nsec[0] as unknown as { data: { rrtypes: string[] } }).data.rrtypes;
      expect(bitmap).to.include('NS').and.not.include('DS');
      expect(sigsOf(auth).map((s) => s.typeCovered)).to.deep.equal(['NSEC']);
    });

    it('a signed child zone on the same server: its DS is answered by the parent and validates (AD), and the child through it', async () => {
      const ds = await validated(w, CHILD_APEX, 'DS');
      expect(dsLines(ds)).to.deep.equal([dsFromKey(w.zones.child)]);
      const host = await validated(w, `host.${CHILD_APEX}`, 'A');
      expect(host.addresses).to.deep.equal(['192.0.2.77']);
      await validated(w, `nope.${CHILD_APEX}`, 'A', 'NXDOMAIN');
      await validated(w, CHILD_APEX, 'DNSKEY');
      // DO=0 too: the DS lives on the parent's side of the cut (AA, the parent's record, no RRSIG).
      const plain = await askServer(w.port, CHILD_APEX, 'DS', { dnssec: false });
      expect(plain.packet.flags! & 0x400, 'AA').to.not.equal(0);
      expect(dsLines(plain)).to.deep.equal([dsFromKey(w.zones.child)]);
      expect(sigsOf(plain.packet.answers)).to.deep.equal([]);
    });

    it('wildcard: synthesized A and TXT validate (AD), at one and two labels below; NODATA at a wildcard name too', async () => {
      const a = await validated(w, n('x.wild'), 'A');
      expect(a.addresses).to.deep.equal(['192.0.2.99']);
      expect(a.rrsets).to.deep.equal([`${n('x.wild')} A`]);
      expect(sigsOf(a.packet.answers).map((s) => s.labels)).to.deep.equal([4]); // *.wild.gslb.example.com: 5 - 1
      await validated(w, n('a.b.wild'), 'TXT');
      const nodata = await validated(w, n('y.wild'), 'MX');
      expect(nodata.rrsets).to.deep.equal([]);
    });

    it('NXDOMAIN: AD, for a name and for a name below one that does not exist', async () => {
      await validated(w, n('nope'), 'A', 'NXDOMAIN');
      await validated(w, n('a.b.nope'), 'AAAA', 'NXDOMAIN');
      await validated(w, n('zzzz'), 'A', 'NXDOMAIN'); // after the last name in the chain
      await validated(w, `0.${A}`, 'A', 'NXDOMAIN'); // before the first after the apex
    });

    it('NODATA: AD, at a static name, an empty non-terminal and a load-balanced name', async () => {
      for (const [name, type] of [
        ['mail', 'TXT'],
        ['_udp', 'A'],
        ['www', 'TXT'],
        ['ns2', 'AAAA'],
      ] as const) {
        const r = await validated(w, n(name), type);
        expect(r.rrsets, `${name} ${type}`).to.deep.equal([]);
      }
    });

    it("the load-balanced www for clients of three continents (ECS): AD, each continent's datacenter", async () => {
      for (const c of CLIENTS) {
        const a = await validated(w, n('www'), 'A', 'NOERROR', c.subnet);
        expect(wwwDatacenter(a.addresses), c.continent).to.equal(c.dc);
        expect(a.addresses.length, c.continent).to.be.within(1, 2);
        const aaaa = await validated(w, n('www'), 'AAAA', 'NOERROR', c.subnet);
        if (c.dc !== 'ap-south') expect(wwwDatacenter(aaaa.addresses), `${c.continent} AAAA`).to.equal(c.dc);
      }
      await validated(w, n('api'), 'A', 'NOERROR', CLIENTS[1].subnet);
      // Asked of the server directly: the signed answer keeps the ECS scope an unsigned one has.
      for (const c of CLIENTS) {
        const signed = await askServer(w.port, n('www'), 'A', { subnet: c.subnet });
        const plain = await askServer(w.port, n('www'), 'A', { subnet: c.subnet, dnssec: false });
        expect(signed.scope, c.continent).to.equal(plain.scope);
        expect(sigsOf(signed.packet.answers).map((s) => s.typeCovered)).to.deep.equal(['A']);
      }
    });

    it('through a failover: eu-west drained, Europe gets us-east, validated; back after undrain', async () => {
      await admin(w, 'drain', 'eu-west');
      try {
        const eu = CLIENTS[0];
        await until(
          'Europe answered from us-east through unbound',
          async () =>
            wwwDatacenter((await w.unbound.ask(n('www'), 'A', { subnet: eu.subnet })).addresses) === 'us-east',
          10_000,
          100,
        );
        for (const c of CLIENTS) {
          const r = await validated(w, n('www'), 'A', 'NOERROR', c.subnet);
          expect(wwwDatacenter(r.addresses), c.continent).to.equal(c.afterEuDrain);
          const v6 = await validated(w, n('www'), 'AAAA', 'NOERROR', c.subnet);
          expect(v6.ad).to.equal(true);
        }
        await validated(w, n('status'), 'A', 'NOERROR', eu.subnet);
      } finally {
        await admin(w, 'undrain', 'eu-west');
      }
      await until(
        'Europe answered from eu-west again through unbound',
        async () =>
          wwwDatacenter((await w.unbound.ask(n('www'), 'A', { subnet: CLIENTS[0].subnet })).addresses) === 'eu-west',
        10_000,
        100,
      );
      await validated(w, n('www'), 'A', 'NOERROR', CLIENTS[0].subnet);
    });

    it('every datacenter of a name down with fallback nodata: NODATA, validated (NSEC without A)', async () => {
      const up = await validated(w, n('dark'), 'A');
      expect(up.addresses).to.deep.equal(['192.0.2.66']);
      await admin(w, 'drain', 'standby');
      try {
        await until(
          'dark answered NODATA through unbound',
          async () => {
            const r = await w.unbound.ask(n('dark'), 'A');
            return r.rcode !== 0 || r.addresses.length === 0;
          },
          10_000,
          100,
        );
        const r = await validated(w, n('dark'), 'A');
        expect(r.rrsets).to.deep.equal([]);
        const direct = await askServer(w.port, n('dark'), 'A');
        const nsec = (direct.packet.authorities ?? []).filter((a) => a.type === 'NSEC');
        expect(nsec.map((a) => a.name.toLowerCase())).to.deep.equal([n('dark')]);
        expect((nsec[0] as unknown as { data: { rrtypes: string[] } }).data.rrtypes).to.not.include('A');
      } finally {
        await admin(w, 'undrain', 'standby');
      }
    });

    it('DO=0 (with EDNS and without): no RRSIG, NSEC, NSEC3 or DS in any section', async () => {
      const questions: Array<[string, string, string?]> = [
        [n('www'), 'A', CLIENTS[0].subnet],
        [A, 'SOA'],
        [A, 'DNSKEY'],
        [A, 'NS'],
        [n('nope'), 'A'],
        [n('mail'), 'TXT'],
        [n('x.wild'), 'A'],
        [n('y.wild'), 'MX'],
        [n('status'), 'A'],
        [`www.${n('unsigned')}`, 'A'],
        [`www.${SIGNED_CUT}`, 'A'],
        [`host.${CHILD_APEX}`, 'A'],
        [n('big'), 'TXT'],
      ];
      for (const [name, type, subnet] of questions) {
        for (const edns of [true, false]) {
          const r = edns
            ? await askServer(w.port, name, type, { dnssec: false, ...(subnet ? { subnet } : {}) })
            : decodePlain(await plainQuery(w.port, name, type));
          const dnssecTypes = allRecords(r).filter((a) => ['RRSIG', 'NSEC', 'NSEC3', 'DS'].includes(a.type));
          expect(
            dnssecTypes.map((a) => `${a.name} ${a.type}`),
            `${name} ${type} ${edns ? 'EDNS DO=0' : 'no EDNS'}`,
          ).to.deep.equal([]);
        }
      }
      // The DNSKEY RRset itself is data: served on request, without its RRSIG.
      const k = await askServer(w.port, A, 'DNSKEY', { dnssec: false });
      expect(keyTags(k).length).to.be.greaterThan(0);
    });

    it("signature windows: inception an hour back, 14 days of validity, RRSIG TTL = the RRset's, NSEC TTL = the negative TTL", async () => {
      const now = Math.floor(Date.now() / 1000);
      const soa = await askServer(w.port, A, 'SOA');
      const [sig] = sigsOf(soa.packet.answers);
      expect(sig, 'an RRSIG over the SOA').to.not.equal(undefined);
      // The signature may have been made a few seconds ago (cached since an earlier test).
      expect(sig!.inception).to.be.within(now - 3600 - 120, now - 3600 + 5);
      expect(sig!.expiration - sig!.inception).to.equal(14 * 86400);
      expect(sig!.ttl).to.equal(300);
      expect(sig!.algorithm).to.equal(setup.algorithm);
      expect(sig!.labels).to.equal(3);
      const www = await askServer(w.port, n('www'), 'A', { subnet: CLIENTS[1].subnet });
      const wwwTtl = (www.packet.answers ?? []).find((a) => a.type === 'A') as { ttl: number };
      expect(sigsOf(www.packet.answers)[0]!.ttl).to.equal(wwwTtl.ttl);
      const nx = await askServer(w.port, n('nope'), 'A');
      const nsecs = (nx.packet.authorities ?? []).filter((a) => a.type === 'NSEC');
      expect(nsecs.length).to.be.within(1, 2);
      for (const x of nsecs) expect((x as { ttl: number }).ttl, `${x.name} NSEC TTL`).to.equal(60); // min(SOA TTL 300, minimum 60)
      expect(
        sigsOf(nx.packet.authorities)
          .map((s) => s.typeCovered)
          .sort(),
      ).to.include.members(['NSEC', 'SOA']);
    });

    it('delv validates them too (positive, negative, wildcard, load-balanced, the child zone)', async () => {
      const questions = [
        [A, 'SOA'],
        [A, 'DNSKEY'],
        [n('www'), 'A'],
        [n('status'), 'A'],
        [n('mail'), 'AAAA'],
        [n('x.wild'), 'A'],
        [n('nope'), 'A'],
        [n('mail'), 'TXT'],
        [`${SIGNED_CUT}`, 'DS'],
        [`${n('unsigned')}`, 'DS'],
        [`host.${CHILD_APEX}`, 'A'],
      ] as const;
      // delv runs are independent processes: all at once, then every verdict checked.
      const results = await Promise.all(questions.map(([name, type]) => delv(w.port, w.anchor, name, type)));
      const failed = results
        .map((r, i) => ({ r, q: questions[i]!.join(' ') }))
        .filter(({ r }) => !r.validated)
        .map(({ r, q }) => `delv ${q}:\n${r.output}`);
      expect(failed.join('\n'), 'questions delv did not validate').to.equal('');
    });
  });
}

/** A query without EDNS at all (RFC 1035). */
async function plainQuery(port: number, name: string, type: string): Promise<Buffer> {
  const raw = await udpExchange('127.0.0.1', port, buildQuery({ name, type }), 5000);
  if (!raw) throw new Error(`no reply to ${name} ${type}`);
  return raw;
}

function decodePlain(raw: Buffer): Resolved {
  const packet = dnsPacket.decode(raw);
  return { raw, packet, ad: (raw[3]! & 0x20) !== 0 } as unknown as Resolved;
}

describe('DNSSEC key events and the dnssec: policy section, validated by unbound (Ed25519, KSK + ZSK)', function () {
  this.timeout(40_000);
  const setup: KeySetup = { algorithm: 15, split: true };
  let w: World;
  let retired: TestKey;
  let deleted: TestKey;
  before(async function () {
    toolsOrSkip(this, TOOLS);
    w = await startWorld(setup, (z) => {
      // Short DNSKEY TTL: unbound's cached DNSKEY answer (its subnet cache, which flush_zone does not
      // reach) is gone a second after a key change. And a signature window that is not the default.
      writeFileSync(
        join(z.zonesDir, A, 'dnssec.yaml'),
        'dnssec:\n  validity: 48h\n  refresh: 12h\n  inception_offset: 30m\n  dnskey_ttl: 1s\n',
      );
      // A ZSK rolled out yesterday (published, inactive: in DNSKEY, signs nothing) and one whose Delete
      // passed (gone from DNSKEY).
      retired = dnssecKeygen(z.keysDir, A, setup.algorithm, false, {
        publish: '-3d',
        activate: '-3d',
        inactive: '-1d',
      });
      deleted = dnssecKeygen(z.keysDir, A, setup.algorithm, false, {
        publish: '-5d',
        activate: '-5d',
        inactive: '-3d',
        delete: '-1d',
      });
    });
  });
  after(async () => {
    await stopWorld(w);
  });

  const servedTags = async () => keyTags(await askServer(w.port, A, 'DNSKEY'));
  const soaSigners = async () => sigsOf((await askServer(w.port, A, 'SOA')).packet.answers).map((s) => s.keyTag);
  /** Waits until unbound's (validated) DNSKEY answer satisfies `ok`, then asserts it was validated. */
  async function unboundKeys(what: string, ok: (tags: number[]) => boolean): Promise<void> {
    w.unbound.flush(A);
    let last: Resolved | null = null;
    await until(
      `unbound's DNSKEY answer: ${what}`,
      async () => ok(keyTags((last = await w.unbound.ask(A, 'DNSKEY')))),
      10_000,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlast: rcode ${last?.rcode} AD ${last?.ad} tags ${last ? keyTags(last) : '-'}`);
    });
    expectValidated(w, last!, `${A} DNSKEY`);
  }

  it('the dnssec: section sets the signature window and the DNSKEY TTL', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [sig] = sigsOf((await askServer(w.port, A, 'SOA')).packet.answers);
    expect(sig!.expiration - sig!.inception).to.equal(48 * 3600);
    expect(sig!.inception).to.be.within(now - 1800 - 120, now - 1800 + 5);
    const keys = await askServer(w.port, A, 'DNSKEY');
    for (const rr of keys.packet.answers ?? []) expect((rr as { ttl: number }).ttl, rr.type).to.equal(1);
  });

  it('at start: the retired key is published and signs nothing; the deleted one is not served', async () => {
    const tags = await servedTags();
    expect(tags).to.include(retired.tag).and.not.include(deleted.tag);
    expect(await soaSigners()).to.deep.equal([w.zones.zsk!.tag]);
    const r = await validated(w, A, 'DNSKEY');
    expect(keyTags(r)).to.deep.equal([w.zones.sep.tag, w.zones.zsk!.tag, retired.tag].sort((x, y) => x - y));
  });

  it('a pre-published key added to keys/ appears after the reload (file watch), signs nothing, and everything still validates', async () => {
    const next = dnssecKeygen(w.zones.keysDir, A, setup.algorithm, false, { publish: 'now', activate: '+30d' });
    await untilServer(w, `key ${next.tag} in the served DNSKEY RRset`, async () =>
      (await servedTags()).includes(next.tag),
    );
    expect(await soaSigners()).to.deep.equal([w.zones.zsk!.tag]);
    await unboundKeys(`has ${next.tag}`, (tags) => tags.includes(next.tag));
    await validated(w, A, 'SOA');
    await validated(w, n('www'), 'A', 'NOERROR', CLIENTS[2].subnet);
    await validated(w, n('nope'), 'A', 'NXDOMAIN');
  });

  it('a key whose Delete is set to now (dnssec-settime) is gone after SIGHUP, and everything still validates', async () => {
    dnssecSettime(retired, { delete: 'now' });
    w.node.proc.kill('SIGHUP');
    await untilServer(
      w,
      `key ${retired.tag} gone from the served DNSKEY RRset`,
      async () => !(await servedTags()).includes(retired.tag),
    );
    await unboundKeys(`without ${retired.tag}`, (tags) => !tags.includes(retired.tag));
    await validated(w, A, 'SOA');
    await validated(w, n('x.wild'), 'A');
  });

  it('a key whose Publish time comes while serving appears then, with no file change (the server reloads at the next key event)', async () => {
    // The file's arrival reloads at once, before the key is published: only the key event can publish it.
    const soon = dnssecKeygen(w.zones.keysDir, A, setup.algorithm, false, { publish: '+4', activate: '+30d' });
    await untilServer(
      w,
      `key ${soon.tag} published by its Publish time`,
      async () => (await servedTags()).includes(soon.tag),
      20_000,
    );
    await unboundKeys(`has ${soon.tag}`, (tags) => tags.includes(soon.tag));
  });
});
