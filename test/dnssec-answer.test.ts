// Signed answers checked by an independent validator: each answer is built by lookup() (or as the
// server builds a load-balanced one), signed by signAnswer, encoded to wire by server/encode.ts and
// read back by dnspython (test/helpers/dnssec-verify.py), which validates every RRSIG against the
// DNSKEY RRset on its own, with its time window, and tells which names each NSEC covers in its own
// canonical order. For a combined key and KSK+ZSK, with ECDSA P-256 and Ed25519.
import { expect } from 'chai';
import { encodeSections } from '../server/encode.js';
import { syntheticQuestion } from '../server/query.js';
import { CLASS, QTYPE, RCODE } from '../zones/dns.js';
import { createSignedZone, signAnswer, type SignedZone } from '../zones/dnssec/signed-answer.js';
import { ALGORITHM, DEFAULT_DNSSEC, type Algorithm, type ZoneKey } from '../zones/dnssec/types.js';
import { parseMasterFile } from '../zones/masterfile.js';
import { nameToText, parseName, type DnsName } from '../zones/name.js';
import type { LbName, PolicyConfig } from '../zones/policy-types.js';
import type { AnswerRecord, Sections } from '../zones/records.js';
import { buildZone, EMPTY_POLICY, lookup, type Zone } from '../zones/zone.js';
import { makeTestKey, testDnssec } from './helpers/dnssec-test-keys.js';
import { dnspythonOrSkip, verifyMessages, type Verification, type VerifiedRRset } from './helpers/dnssec-verify.js';

const APEX = 'example.';
const NOW = 1_900_000_000_000; // ms: a fixed clock (2030-03-17), so the windows are known
const NOW_S = NOW / 1000;

function name(text: string): DnsName {
  const r = parseName(text, null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
}

/** The zone: every case of the table below (buildZone adds the DNSKEY RRset of a signed zone). */
function zoneText(): string {
  return [
    `$ORIGIN ${APEX}`,
    '$TTL 300',
    '@ SOA ns1 hostmaster 1 7200 900 1209600 60',
    '@ NS ns1',
    '@ MX 10 Mail',
    'ns1 A 192.0.2.53',
    'mail A 192.0.2.25',
    'www A 192.0.2.1',
    'www A 192.0.2.2',
    'www AAAA 2001:db8::1',
    'txt TXT "hello" "world"',
    'MiXeD 600 A 192.0.2.5',
    'alias CNAME WWW',
    'lbalias CNAME lb',
    'dangling CNAME missing',
    '*.wild A 192.0.2.99',
    '*.wild TXT "wild"',
    'deep.ent A 192.0.2.7',
    'sub NS ns.sub',
    'ns.sub A 192.0.2.77',
    'secure NS ns.secure',
    'secure DS \\# 36 3039 0d 02 ' + 'ab'.repeat(32),
    'ns.secure A 192.0.2.78',
    'srv.tcp SRV 0 5 443 WWW',
    'caa CAA 0 issue "ca.example"',
  ].join('\n');
}

/** A load-balanced name with IPv4 endpoints only (the fields the zone and the NSEC chain read). */
function fakeLb(owner: DnsName): LbName {
  return {
    label: 'lb',
    owner,
    file: 'names.yaml',
    line: 1,
    ttl: 30,
    pools: [{ datacenter: 'dc1', endpoints: [{ address: '192.0.2.100', family: 4, weight: 1 }] }],
  } as unknown as LbName;
}

function signedZone(keys: readonly ZoneKey[]): { zone: Zone; sz: SignedZone } {
  const apex = name(APEX);
  const parsed = parseMasterFile(zoneText(), { file: 'test.zone', origin: apex });
  expect(parsed.errors).to.deep.equal([]);
  const lbOwner = name('lb.example.');
  const policy: PolicyConfig = { ...EMPTY_POLICY, names: new Map([[lbOwner.key, fakeLb(lbOwner)]]) };
  const built = buildZone(apex, parsed.records, 'test.zone', policy, false, testDnssec(keys));
  expect(built.errors).to.deep.equal([]);
  const zone = built.zone!;
  return { zone, sz: createSignedZone(zone)! };
}

const a = (owner: DnsName | null, ip: string): AnswerRecord => ({
  owner,
  type: QTYPE.A,
  klass: CLASS.IN,
  ttl: 30,
  rdata: [Buffer.from(ip.split('.').map(Number))],
});

interface Case {
  readonly title: string;
  readonly qname: string;
  readonly qtype: number;
  /** Sections as the server would build them (load-balanced names); default lookup(). */
  readonly sections?: (zone: Zone) => Sections;
  /** Names (presentation) whose NSEC coverage to ask dnspython about. */
  readonly names?: readonly string[];
  readonly check: (v: Verification, ctx: CaseContext) => void;
}

interface CaseContext {
  readonly zskTags: readonly number[];
  readonly kskTags: readonly number[];
  readonly signed: Sections;
}

const find = (v: Verification, section: string, owner: string, type: string): VerifiedRRset => {
  const r = v.rrsets.find(
    (x) => x.section === section && x.name.toLowerCase() === owner.toLowerCase() && x.type === type,
  );
  if (!r)
    throw new Error(
      `no ${owner} ${type} in ${section}: ${JSON.stringify(v.rrsets.map((x) => [x.section, x.name, x.type]))}`,
    );
  return r;
};

/** Names (lowercase) whose RRsets this server must not sign: NS at a cut and glue. */
const UNSIGNED = new Set(['sub.example./NS', 'secure.example./NS', 'ns.sub.example./A', 'ns.secure.example./A']);

/** Every RRset carries valid RRSIGs by exactly the expected keys, with the right window and TTLs; cuts and glue none. */
function checkAllSigned(v: Verification, ctx: CaseContext): void {
  expect(v.orphans, 'RRSIGs without their RRset').to.deep.equal([]);
  for (const r of v.rrsets) {
    const what = `${r.section} ${r.name} ${r.type}`;
    if (UNSIGNED.has(`${r.name.toLowerCase()}/${r.type}`)) {
      expect(r.signatures, `${what} is not signed`).to.deep.equal([]);
      continue;
    }
    const tags = r.type === 'DNSKEY' ? ctx.kskTags : ctx.zskTags;
    expect(r.signatures.map((s) => s.keyTag).sort(), `${what}: signing keys`).to.deep.equal([...tags].sort());
    for (const s of r.signatures) {
      expect(s.verdict, `${what} key ${s.keyTag}`).to.equal('ok');
      expect(s.inception, `${what} inception`).to.equal(NOW_S - DEFAULT_DNSSEC.inceptionOffset);
      expect(s.expiration - s.inception, `${what} validity`).to.equal(DEFAULT_DNSSEC.validity);
      expect(s.ttl, `${what} RRSIG TTL`).to.equal(r.ttl);
      expect(s.originalTtl, `${what} original TTL`).to.equal(r.ttl);
      expect(s.signer, `${what} signer`).to.equal(APEX);
    }
  }
}

const nsec = (v: Verification): VerifiedRRset[] => v.rrsets.filter((r) => r.type === 'NSEC');

const CASES: readonly Case[] = [
  {
    title: 'static A (query name in mixed case, owner null)',
    qname: 'WwW.ExAmple.',
    qtype: QTYPE.A,
    check: (v) => {
      expect(find(v, 'answer', 'WwW.ExAmple.', 'A').rdata).to.have.members(['192.0.2.1', '192.0.2.2']);
      expect(nsec(v)).to.deep.equal([]);
    },
  },
  {
    title: 'static AAAA',
    qname: 'www.example.',
    qtype: QTYPE.AAAA,
    check: (v) => find(v, 'answer', 'www.example.', 'AAAA'),
  },
  {
    title: 'MX with its exchange address in additional (name in RDATA lowercased for signing)',
    qname: 'example.',
    qtype: QTYPE.MX,
    check: (v) => {
      find(v, 'answer', 'example.', 'MX');
      find(v, 'additional', 'mail.example.', 'A');
    },
  },
  { title: 'TXT', qname: 'txt.example.', qtype: QTYPE.TXT, check: (v) => find(v, 'answer', 'txt.example.', 'TXT') },
  {
    title: 'SRV (target name lowercased)',
    qname: 'srv.tcp.example.',
    qtype: QTYPE.SRV,
    check: (v) => find(v, 'answer', 'srv.tcp.example.', 'SRV'),
  },
  { title: 'SOA', qname: 'example.', qtype: QTYPE.SOA, check: (v) => find(v, 'answer', 'example.', 'SOA') },
  {
    title: 'DNSKEY, signed by the SEP keys',
    qname: 'example.',
    qtype: QTYPE.DNSKEY,
    check: (v, ctx) =>
      expect(
        find(v, 'answer', 'example.', 'DNSKEY')
          .signatures.map((s) => s.keyTag)
          .sort(),
      ).to.deep.equal([...ctx.kskTags].sort()),
  },
  {
    title: 'an owner in mixed case with its own TTL',
    qname: 'mixed.example.',
    qtype: QTYPE.A,
    check: (v) => expect(find(v, 'answer', 'mixed.example.', 'A').ttl).to.equal(600),
  },
  {
    title: 'CNAME to a static name',
    qname: 'alias.example.',
    qtype: QTYPE.A,
    check: (v) => {
      find(v, 'answer', 'alias.example.', 'CNAME');
      find(v, 'answer', 'www.example.', 'A');
    },
  },
  {
    title: 'wildcard answer: signed as *.wild (labels 2) with the NSEC covering the query name',
    qname: 'host.wild.example.',
    qtype: QTYPE.A,
    names: ['host.wild.example.'],
    check: (v) => {
      const ans = find(v, 'answer', 'host.wild.example.', 'A');
      for (const s of ans.signatures) expect(s.labels).to.equal(2);
      expect(nsec(v).flatMap((r) => r.nsec!.covers)).to.include('host.wild.example.');
    },
  },
  {
    title: 'NXDOMAIN: NSECs covering the name and the wildcard at its closest encloser',
    qname: 'nope.example.',
    qtype: QTYPE.A,
    names: ['nope.example.', '*.example.'],
    check: (v) => {
      expect(v.rcode).to.equal(RCODE.NXDOMAIN);
      find(v, 'authority', 'example.', 'SOA');
      const covered = nsec(v).flatMap((r) => r.nsec!.covers);
      expect(covered).to.include.members(['nope.example.', '*.example.']);
      expect(nsec(v).flatMap((r) => r.nsec!.matches)).to.deep.equal([]);
    },
  },
  {
    title: 'NXDOMAIN below an empty non-terminal (closest encloser ent.example)',
    qname: 'x.ent.example.',
    qtype: QTYPE.A,
    names: ['x.ent.example.', '*.ent.example.'],
    check: (v) => {
      expect(v.rcode).to.equal(RCODE.NXDOMAIN);
      expect(nsec(v).flatMap((r) => r.nsec!.covers)).to.include.members(['x.ent.example.', '*.ent.example.']);
    },
  },
  {
    title: 'NXDOMAIN at the end of a CNAME chain: the target is denied',
    qname: 'dangling.example.',
    qtype: QTYPE.A,
    names: ['missing.example.', '*.example.'],
    check: (v) => {
      expect(v.rcode).to.equal(RCODE.NXDOMAIN);
      find(v, 'answer', 'dangling.example.', 'CNAME');
      expect(nsec(v).flatMap((r) => r.nsec!.covers)).to.include.members(['missing.example.', '*.example.']);
    },
  },
  {
    title: "NODATA: the name's NSEC without the type",
    qname: 'www.example.',
    qtype: QTYPE.TXT,
    names: ['www.example.'],
    check: (v) => {
      expect(v.rcode).to.equal(RCODE.NOERROR);
      const n = nsec(v);
      expect(n).to.have.length(1);
      expect(n[0]!.nsec!.matches).to.deep.equal(['www.example.']);
      expect(n[0]!.nsec!.types).to.have.members(['A', 'AAAA', 'RRSIG', 'NSEC']);
    },
  },
  {
    title: 'NODATA at a name with a type above 255 (CAA: a second bitmap window, read by dnspython)',
    qname: 'caa.example.',
    qtype: QTYPE.A,
    names: ['caa.example.'],
    check: (v) => {
      const n = nsec(v);
      expect(n.map((r) => r.nsec!.matches)).to.deep.equal([['caa.example.']]);
      expect(n[0]!.nsec!.types).to.deep.equal(['RRSIG', 'NSEC', 'CAA']);
    },
  },
  {
    title: 'NODATA at an empty non-terminal: the NSEC covering it',
    qname: 'ent.example.',
    qtype: QTYPE.A,
    names: ['ent.example.'],
    check: (v) => {
      const n = nsec(v);
      expect(n).to.have.length(1);
      expect(n[0]!.nsec!.covers).to.deep.equal(['ent.example.']);
      expect(n[0]!.nsec!.next).to.equal('deep.ent.example.');
    },
  },
  {
    title: "wildcard NODATA: the NSEC covering the name and the wildcard's NSEC without the type",
    qname: 'host.wild.example.',
    qtype: QTYPE.MX,
    names: ['host.wild.example.', '*.wild.example.'],
    check: (v) => {
      const n = nsec(v);
      expect(n.flatMap((r) => r.nsec!.covers)).to.include('host.wild.example.');
      const at = n.find((r) => r.nsec!.matches.includes('*.wild.example.'));
      expect(at, 'the NSEC at *.wild').to.not.equal(undefined);
      expect(at!.nsec!.types).to.have.members(['A', 'TXT', 'RRSIG', 'NSEC']);
    },
  },
  {
    title: "referral without DS: NS and glue unsigned, the cut's signed NSEC (NS, no DS)",
    qname: 'host.sub.example.',
    qtype: QTYPE.A,
    names: ['sub.example.'],
    check: (v, ctx) => {
      find(v, 'authority', 'sub.example.', 'NS');
      find(v, 'additional', 'ns.sub.example.', 'A');
      const n = nsec(v);
      expect(n).to.have.length(1);
      expect(n[0]!.nsec!.matches).to.deep.equal(['sub.example.']);
      expect(n[0]!.nsec!.types).to.have.members(['NS', 'RRSIG', 'NSEC']);
      expect(ctx.signed.requiredAdditional).to.equal(1);
    },
  },
  {
    title: 'referral with DS: the DS RRset signed, NS and glue not',
    qname: 'host.secure.example.',
    qtype: QTYPE.A,
    check: (v, ctx) => {
      find(v, 'authority', 'secure.example.', 'NS');
      find(v, 'authority', 'secure.example.', 'DS');
      find(v, 'additional', 'ns.secure.example.', 'A');
      expect(nsec(v)).to.deep.equal([]);
      expect(ctx.signed.requiredAdditional).to.equal(1);
    },
  },
  {
    title: 'DS asked at a cut without DS: NODATA with the NSEC at the cut',
    qname: 'sub.example.',
    qtype: QTYPE.DS,
    names: ['sub.example.'],
    check: (v) => {
      expect(nsec(v).map((r) => r.nsec!.matches)).to.deep.equal([['sub.example.']]);
      expect(nsec(v)[0]!.nsec!.types).to.not.include('DS');
    },
  },
  {
    title: 'DS asked at a cut with DS: the DS answer signed',
    qname: 'secure.example.',
    qtype: QTYPE.DS,
    check: (v) => find(v, 'answer', 'secure.example.', 'DS'),
  },
  {
    title: 'a load-balanced A RRset with owner null (as the answerer builds it)',
    qname: 'LB.example.',
    qtype: QTYPE.A,
    sections: () => ({
      rcode: 0,
      aa: true,
      answer: [a(null, '192.0.2.100'), a(null, '192.0.2.101')],
      authority: [],
      additional: [],
      requiredAdditional: 0,
    }),
    check: (v) => expect(find(v, 'answer', 'LB.example.', 'A').rdata).to.have.length(2),
  },
  {
    title: 'a load-balanced name answering NODATA (all down, fallback nodata): its NSEC without A',
    qname: 'lb.example.',
    qtype: QTYPE.A,
    names: ['lb.example.'],
    sections: (zone) => ({
      rcode: 0,
      aa: true,
      answer: [],
      authority: [zone.negativeSoa],
      additional: [],
      requiredAdditional: 0,
    }),
    check: (v) => {
      const n = nsec(v);
      expect(n).to.have.length(1);
      expect(n[0]!.nsec!.matches).to.deep.equal(['lb.example.']);
      expect(n[0]!.nsec!.types).to.have.members(['RRSIG', 'NSEC']);
    },
  },
  {
    title: 'a CNAME into a load-balanced name (the chain, then the decided records)',
    qname: 'lbalias.example.',
    qtype: QTYPE.A,
    sections: (zone) => {
      const r = lookup(zone, name('lbalias.example.').key, QTYPE.A);
      expect(r.kind).to.equal('cname');
      const lbName = zone.nodes.get(name('lb.example.').key)!.name;
      return { ...r.sections, answer: [...r.sections.answer, a(lbName, '192.0.2.100')] };
    },
    check: (v) => {
      find(v, 'answer', 'lbalias.example.', 'CNAME');
      find(v, 'answer', 'lb.example.', 'A');
    },
  },
];

/** The reply's wire form for `qname`/`qtype` (the question as asked, case kept). */
function encode(qname: DnsName, qtype: number, s: Sections): Buffer {
  const { qmsg, q } = syntheticQuestion(qname);
  qmsg.writeUInt16BE(qtype, qmsg.length - 4);
  qmsg.writeUInt16BE(CLASS.IN, qmsg.length - 2);
  q.qtype = qtype;
  return encodeSections(qmsg, q, s).wire;
}

function sectionsFor(c: Case, zone: Zone): Sections {
  return c.sections ? c.sections(zone) : lookup(zone, name(c.qname).key, c.qtype).sections;
}

const SETUPS: ReadonlyArray<{ title: string; algorithm: Algorithm; ksk: boolean }> = [
  { title: 'ECDSA P-256, one combined key', algorithm: ALGORITHM.ECDSAP256SHA256, ksk: false },
  { title: 'ECDSA P-256, KSK + ZSK', algorithm: ALGORITHM.ECDSAP256SHA256, ksk: true },
  { title: 'Ed25519, one combined key', algorithm: ALGORITHM.ED25519, ksk: false },
  { title: 'Ed25519, KSK + ZSK', algorithm: ALGORITHM.ED25519, ksk: true },
];

for (const setup of SETUPS) {
  describe(`signed answers validated by dnspython: ${setup.title}`, function () {
    this.timeout(60_000);
    const keys = setup.ksk
      ? [makeTestKey(setup.algorithm, true), makeTestKey(setup.algorithm, false)]
      : [makeTestKey(setup.algorithm, true)];
    const sep = keys.filter((k) => k.sep);
    const zsk = keys.filter((k) => !k.sep);
    const kskTags = sep.map((k) => k.tag);
    const zskTags = (zsk.length > 0 ? zsk : sep).map((k) => k.tag);
    const { zone, sz } = signedZone(keys);
    const signed = CASES.map((c) => signAnswer(sz, name(c.qname), c.qtype, sectionsFor(c, zone), NOW));
    let results: Verification[] = [];

    before(function () {
      dnspythonOrSkip(this);
      results = verifyMessages(
        CASES.map((c, i) => ({ wire: encode(name(c.qname), c.qtype, signed[i]!.sections), names: c.names ?? [] })),
        APEX,
        keys.map((k) => k.dnskey),
        NOW_S,
      );
    });

    CASES.forEach((c, i) => {
      it(c.title, () => {
        const v = results[i]!;
        const ctx = { zskTags, kskTags, signed: signed[i]!.sections };
        checkAllSigned(v, ctx);
        c.check(v, ctx);
        expect(signed[i]!.refreshAt).to.equal(
          (NOW_S - DEFAULT_DNSSEC.inceptionOffset + DEFAULT_DNSSEC.validity - DEFAULT_DNSSEC.refresh) * 1000,
        );
      });
    });

    it('the validator refuses a reply whose signed data was changed (so the checks above can fail)', () => {
      const i = CASES.findIndex((c) => c.title.startsWith('static A'));
      const wire = Buffer.from(encode(name(CASES[i]!.qname), QTYPE.A, signed[i]!.sections));
      // The first answer's last RDATA octet (an A record right after the question): 192.0.2.1 -> .0
      const at = wire.indexOf(Buffer.from([192, 0, 2, 1]));
      wire[at + 3] = 0;
      const v = verifyMessages(
        [{ wire }],
        APEX,
        keys.map((k) => k.dnskey),
        NOW_S,
      )[0]!;
      expect(find(v, 'answer', 'WwW.ExAmple.', 'A').signatures.map((s) => s.verdict)).to.not.include('ok');
      const late = verifyMessages(
        [{ wire: encode(name(CASES[i]!.qname), QTYPE.A, signed[i]!.sections) }],
        APEX,
        keys.map((k) => k.dnskey),
        NOW_S + DEFAULT_DNSSEC.validity,
      )[0]!;
      expect(find(late, 'answer', 'WwW.ExAmple.', 'A').signatures.map((s) => s.verdict)).to.deep.equal(
        zskTags.map(() => 'expired'),
      );
    });
  });
}

describe('signAnswer: what it leaves alone', () => {
  const keys = [makeTestKey(ALGORITHM.ECDSAP256SHA256, true)];
  const { zone, sz } = signedZone(keys);

  it('createSignedZone: null for an unsigned zone; a signed one signs nothing until asked', () => {
    expect(createSignedZone({ ...zone, dnssec: null })).to.equal(null);
    const fresh = createSignedZone(zone)!;
    expect(fresh.signer.stats).to.include({ made: 0, cached: 0 });
    expect(fresh.signer.earliestExpiry()).to.equal(null);
    expect(fresh.chain.size).to.be.greaterThan(0);
  });

  it('returns SERVFAIL (and any rcode but NOERROR/NXDOMAIN) unchanged', () => {
    for (const rcode of [RCODE.SERVFAIL, RCODE.REFUSED]) {
      const s: Sections = { rcode, aa: false, answer: [], authority: [], additional: [], requiredAdditional: 0 };
      const r = signAnswer(sz, name('lb.example.'), QTYPE.A, s, NOW);
      expect(r.sections).to.equal(s);
      expect(r.refreshAt).to.equal(Infinity);
    }
  });

  it('keeps RRSIGs right after their RRset and counts nothing unsigned as signed', () => {
    const r = signAnswer(
      sz,
      name('alias.example.'),
      QTYPE.A,
      lookup(zone, name('alias.example.').key, QTYPE.A).sections,
      NOW,
    );
    expect(r.sections.answer.map((x) => x.type)).to.deep.equal([
      QTYPE.CNAME,
      QTYPE.RRSIG,
      QTYPE.A,
      QTYPE.A,
      QTYPE.RRSIG,
    ]);
    expect(nameToText(r.sections.answer[1]!.owner!.wire)).to.equal('alias.example.');
  });

  it('requiredAdditional counts the RRSIGs inserted among the required records', () => {
    const glue = (n: string, ip: string): AnswerRecord => a(zone.nodes.get(name(n).key)!.name, ip);
    const s: Sections = {
      rcode: 0,
      aa: true,
      answer: [],
      authority: [],
      // Required: an in-zone (signed) address, then glue below a cut (not signed); then an optional one.
      additional: [
        glue('ns1.example.', '192.0.2.53'),
        glue('ns.sub.example.', '192.0.2.77'),
        glue('mail.example.', '192.0.2.25'),
      ],
      requiredAdditional: 2,
    };
    const r = signAnswer(sz, name('example.'), QTYPE.NS, s, NOW);
    expect(r.sections.additional.map((x) => x.type)).to.deep.equal([
      QTYPE.A,
      QTYPE.RRSIG,
      QTYPE.A,
      QTYPE.A,
      QTYPE.RRSIG,
    ]);
    expect(r.sections.requiredAdditional).to.equal(3);
    const none = signAnswer(sz, name('example.'), QTYPE.NS, { ...s, requiredAdditional: 0 }, NOW);
    expect(none.sections.requiredAdditional).to.equal(0);
    const first = signAnswer(sz, name('example.'), QTYPE.NS, { ...s, requiredAdditional: 1 }, NOW);
    expect(first.sections.requiredAdditional).to.equal(2);
  });

  it('a wildcard RRSIG keeps owner null (the query name) and a second query name signs nothing new', () => {
    const before = sz.signer.stats.made;
    const one = signAnswer(
      sz,
      name('one.wild.example.'),
      QTYPE.TXT,
      lookup(zone, name('one.wild.example.').key, QTYPE.TXT).sections,
      NOW,
    );
    const made = sz.signer.stats.made;
    expect(made).to.be.greaterThan(before);
    const two = signAnswer(
      sz,
      name('two.wild.example.'),
      QTYPE.TXT,
      lookup(zone, name('two.wild.example.').key, QTYPE.TXT).sections,
      NOW,
    );
    expect(one.sections.answer[1]!.owner).to.equal(null);
    expect(two.sections.answer[1]!.rdata).to.deep.equal(one.sections.answer[1]!.rdata);
    // The covering NSEC differs only when the names fall in different gaps; here both are after *.wild.
    expect(sz.signer.stats.made).to.equal(made);
  });
});
