// The NSEC chain and the denial proofs: which names are in the chain (authoritative names with data,
// delegation points; not empty non-terminals, not names below a cut), their order (checked against
// dnspython's), next names (the last wraps to the apex), type bitmaps (RFC 4034 4.1.2, its 4.3
// example byte for byte), the covering NSEC of names not in the chain, and the records each proof
// is made of.
import { expect } from 'chai';
import { CLASS, QTYPE } from '../zones/dns.js';
import { nodataProof, noDsProof, nxdomainProof, wildcardAnswerProof } from '../zones/dnssec/denial.js';
import { bitmapHas, bitmapTypes, NsecChain, typeBitmap } from '../zones/dnssec/nsec.js';
import { ALGORITHM } from '../zones/dnssec/types.js';
import { parseMasterFile } from '../zones/masterfile.js';
import { nameToText, parseName, type DnsName } from '../zones/name.js';
import type { LbName, PolicyConfig } from '../zones/policy-types.js';
import type { AnswerRecord } from '../zones/records.js';
import { buildZone, EMPTY_POLICY, type Zone } from '../zones/zone.js';
import { makeTestKey, testDnssec } from './helpers/dnssec-test-keys.js';
import { dnspythonOrder, dnspythonOrSkip } from './helpers/dnssec-verify.js';

function name(text: string): DnsName {
  const r = parseName(text, null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
}

const ZONE = `$ORIGIN example.
$TTL 300
@ SOA ns1 hostmaster 1 7200 900 1209600 60
@ NS ns1
ns1 A 192.0.2.53
WWW A 192.0.2.1
www AAAA 2001:db8::1
caa CAA 0 issue "ca.example"
x.y.ent A 192.0.2.2
*.wild TXT "wild"
sub NS ns.sub
sub A 192.0.2.80
ns.sub A 192.0.2.77
deep.below.sub A 192.0.2.79
secure NS ns1
secure DS \\# 36 3039 0d 02 ${'ab'.repeat(32)}
`;

function lb(label: string, families: ReadonlyArray<4 | 6>): LbName {
  const owner = name(`${label}.example.`);
  return {
    label,
    owner,
    file: 'names.yaml',
    line: 1,
    pools: [
      {
        datacenter: 'dc1',
        endpoints: families.map((family) => ({
          address: family === 4 ? '192.0.2.9' : '2001:db8::9',
          family,
          weight: 1,
        })),
      },
    ],
  } as unknown as LbName;
}

function testZone(): Zone {
  const apex = name('example.');
  const parsed = parseMasterFile(ZONE, { file: 'test.zone', origin: apex });
  expect(parsed.errors).to.deep.equal([]);
  const names = new Map([lb('lb', [4, 6]), lb('lb6', [6])].map((n) => [n.owner.key, n]));
  const policy: PolicyConfig = { ...EMPTY_POLICY, names };
  const keys = [makeTestKey(ALGORITHM.ED25519, true)];
  const built = buildZone(apex, parsed.records, 'test.zone', policy, false, testDnssec(keys));
  expect(built.errors).to.deep.equal([]);
  return built.zone!;
}

const text = (n: DnsName): string => nameToText(n.wire).toLowerCase();
const typeNames = (b: Buffer): number[] => bitmapTypes(b);
const nextOf = (r: AnswerRecord): string => nameToText(r.rdata[0] as Buffer);

describe('NSEC type bitmaps (RFC 4034 4.1.2)', () => {
  it("encodes RFC 4034 4.3's example (A MX RRSIG NSEC TYPE1234) byte for byte", () => {
    const expected = Buffer.from('0006400100000003' + '041b' + '00'.repeat(26) + '20', 'hex');
    expect(typeBitmap([QTYPE.NSEC, 1234, QTYPE.A, QTYPE.MX, QTYPE.RRSIG, QTYPE.A])).to.deep.equal(expected);
    expect(bitmapTypes(expected)).to.deep.equal([QTYPE.A, QTYPE.MX, QTYPE.RRSIG, QTYPE.NSEC, 1234]);
    for (const t of [QTYPE.A, QTYPE.MX, QTYPE.RRSIG, QTYPE.NSEC, 1234])
      expect(bitmapHas(expected, t), `${t}`).to.equal(true);
    for (const t of [QTYPE.NS, QTYPE.AAAA, 1233, 1235, 257, 65535])
      expect(bitmapHas(expected, t), `${t}`).to.equal(false);
  });

  it('cuts each window after its last non-zero octet; an empty set is empty', () => {
    expect(typeBitmap([QTYPE.A])).to.deep.equal(Buffer.from([0, 1, 0x40]));
    expect(typeBitmap([QTYPE.CAA])).to.deep.equal(Buffer.from([1, 1, 0x40]));
    expect(typeBitmap([255])).to.deep.equal(Buffer.from([0, 32, ...Buffer.alloc(31), 0x01]));
    expect(typeBitmap([])).to.deep.equal(Buffer.alloc(0));
  });
});

describe('the NSEC chain of a zone', () => {
  const zone = testZone();
  const chain = new NsecChain(zone);
  const ORDER = [
    'example.',
    'caa.example.',
    'x.y.ent.example.',
    'lb.example.',
    'lb6.example.',
    'ns1.example.',
    'secure.example.',
    'sub.example.',
    '*.wild.example.',
    'www.example.',
  ];
  const chainNames = (): string[] => Array.from({ length: chain.size }, (_, i) => text(chain.name(i)));
  const at = (n: string): number => chain.indexOf(name(n).key);

  it('holds the authoritative names with data and the delegation points, in canonical order', () => {
    expect(chainNames()).to.deep.equal(ORDER);
    // Not in it: empty non-terminals, glue and names below a cut.
    for (const n of [
      'ent.example.',
      'y.ent.example.',
      'ns.sub.example.',
      'deep.below.sub.example.',
      'below.sub.example.',
    ])
      expect(at(n), n).to.equal(-1);
  });

  it("agrees with dnspython's order", function () {
    dnspythonOrSkip(this);
    expect(dnspythonOrder([...ORDER].reverse()).map((n) => n.toLowerCase())).to.deep.equal(ORDER);
  });

  it('links each name to the next (lowercased), the last to the apex, with the negative TTL', () => {
    for (let i = 0; i < chain.size; i++) {
      const r = chain.record(i);
      expect(r.type).to.equal(QTYPE.NSEC);
      expect(r.klass).to.equal(CLASS.IN);
      expect(r.ttl).to.equal(60);
      expect(r.owner).to.equal(chain.name(i));
      expect(nextOf(r)).to.equal(ORDER[(i + 1) % ORDER.length]);
      expect(chain.record(i), 'made once').to.equal(r);
    }
  });

  it('lists the types present, RRSIG and NSEC; at a cut NS and DS only; load-balanced names their families', () => {
    const types = (n: string): number[] => typeNames(chain.bitmap(at(n)));
    const { A, AAAA, NS, SOA, DS, RRSIG, NSEC, DNSKEY, CAA, TXT } = QTYPE;
    expect(types('example.')).to.include.members([NS, SOA, RRSIG, NSEC, DNSKEY]);
    expect(types('example.')).to.not.include(A);
    expect(types('www.example.')).to.deep.equal([A, AAAA, RRSIG, NSEC]);
    expect(types('caa.example.')).to.deep.equal([RRSIG, NSEC, CAA]);
    expect(types('*.wild.example.')).to.deep.equal([TXT, RRSIG, NSEC]);
    expect(types('sub.example.')).to.deep.equal([NS, RRSIG, NSEC]);
    expect(types('secure.example.')).to.deep.equal([NS, DS, RRSIG, NSEC]);
    expect(types('lb.example.')).to.deep.equal([A, AAAA, RRSIG, NSEC]);
    expect(types('lb6.example.')).to.deep.equal([AAAA, RRSIG, NSEC]);
  });

  // Names not in the chain and the chain name whose NSEC covers them.
  const COVERING: ReadonlyArray<[string, string]> = [
    ['a.example.', 'example.'],
    ['*.example.', 'example.'],
    ['zzz.example.', 'www.example.'],
    ['ent.example.', 'caa.example.'],
    ['y.ent.example.', 'caa.example.'],
    ['z.y.ent.example.', 'x.y.ent.example.'],
    ['a.x.y.ent.example.', 'x.y.ent.example.'],
    ['lb5.example.', 'lb.example.'],
    ['a.lb.example.', 'lb.example.'],
    ['wild.example.', 'sub.example.'],
    ['host.wild.example.', '*.wild.example.'],
    ['\\000.www.example.', 'www.example.'],
    ['WWW2.example.', 'www.example.'],
  ];

  it('finds the NSEC covering a name that is not in the chain (the last one wraps)', () => {
    for (const [n, owner] of COVERING) {
      expect(at(n), n).to.equal(-1);
      expect(text(chain.name(chain.coveringIndex(name(n).key))), n).to.equal(owner);
    }
  });

  it("agrees with dnspython on those covering NSECs (each name's predecessor in its order)", function () {
    dnspythonOrSkip(this);
    // All names in one sort: a name's covering NSEC is the last chain name before it.
    const sorted = dnspythonOrder([...ORDER, ...COVERING.map(([n]) => n)]).map((x) => x.toLowerCase());
    for (const [n] of COVERING) {
      const i = sorted.indexOf(nameToText(name(n).wire).toLowerCase());
      const before = sorted.slice(0, i).filter((x) => ORDER.includes(x));
      expect(i, n).to.be.greaterThan(0);
      expect(text(chain.name(chain.coveringIndex(name(n).key))), n).to.equal(before[before.length - 1]);
    }
  });

  it('makes the NSEC with a type left out once per (name, type); a type not listed gives the plain NSEC', () => {
    const i = at('lb.example.');
    const noA = chain.recordWithout(i, QTYPE.A);
    expect(typeNames(noA.rdata[1] as Buffer)).to.deep.equal([QTYPE.AAAA, QTYPE.RRSIG, QTYPE.NSEC]);
    expect(nextOf(noA)).to.equal('lb6.example.');
    expect(chain.recordWithout(i, QTYPE.A)).to.equal(noA);
    expect(chain.recordWithout(i, QTYPE.MX)).to.equal(chain.record(i));
    // The chain's own bitmap is untouched.
    expect(typeNames(chain.bitmap(i))).to.include(QTYPE.A);
  });
});

describe('denial proofs', () => {
  const zone = testZone();
  const chain = new NsecChain(zone);
  const owners = (rs: readonly AnswerRecord[]): string[] => rs.map((r) => text(r.owner!));
  const key = (n: string): string => name(n).key;

  it('NXDOMAIN: the NSEC covering the name and the one covering *.<closest encloser>, one record when the same', () => {
    expect(owners(nxdomainProof(zone, chain, key('zzz.example.')))).to.deep.equal(['www.example.', 'example.']);
    expect(owners(nxdomainProof(zone, chain, key('a.example.')))).to.deep.equal(['example.']);
    // The closest encloser is an empty non-terminal: *.y.ent.example is covered by caa (ent < x.y.ent).
    expect(owners(nxdomainProof(zone, chain, key('q.y.ent.example.')))).to.deep.equal(['caa.example.']);
    // Below a name with data: *.www.example is covered by www's NSEC too.
    expect(owners(nxdomainProof(zone, chain, key('a.b.www.example.')))).to.deep.equal(['www.example.']);
    expect(owners(nxdomainProof(zone, chain, key('a.b.lb.example.')))).to.deep.equal(['lb.example.']);
  });

  it("NODATA: the name's NSEC (the asked type left out when listed), an ENT's covering NSEC, a wildcard's pair", () => {
    expect(nodataProof(zone, chain, key('www.example.'), QTYPE.TXT)).to.deep.equal([
      chain.record(chain.indexOf(key('www.example.'))),
    ]);
    const lbNodata = nodataProof(zone, chain, key('lb.example.'), QTYPE.AAAA);
    expect(lbNodata).to.have.length(1);
    expect(typeNames(lbNodata[0]!.rdata[1] as Buffer)).to.deep.equal([QTYPE.A, QTYPE.RRSIG, QTYPE.NSEC]);
    expect(owners(nodataProof(zone, chain, key('y.ent.example.'), QTYPE.A))).to.deep.equal(['caa.example.']);
    // host.wild is covered by *.wild's own NSEC, which also shows *.wild has no MX: one record.
    expect(owners(nodataProof(zone, chain, key('host.wild.example.'), QTYPE.MX))).to.deep.equal(['*.wild.example.']);
    // A name covered by another NSEC than the wildcard's: both, the wildcard's without the asked type.
    const zone2 = testZoneWith('zz.wild TXT "after the wildcard"\n');
    const chain2 = new NsecChain(zone2);
    const pair = nodataProof(zone2, chain2, key('zzz.wild.example.'), QTYPE.TXT);
    expect(owners(pair)).to.deep.equal(['zz.wild.example.', '*.wild.example.']);
    expect(typeNames(pair[1]!.rdata[1] as Buffer)).to.deep.equal([QTYPE.RRSIG, QTYPE.NSEC]);
  });

  it("wildcard answers: the NSEC covering the query name; no DS at a cut: the cut's NSEC", () => {
    expect(text(wildcardAnswerProof(chain, key('a.b.wild.example.')).owner!)).to.equal('*.wild.example.');
    const sub = noDsProof(chain, key('sub.example.'))!;
    expect(text(sub.owner!)).to.equal('sub.example.');
    expect(typeNames(sub.rdata[1] as Buffer)).to.not.include(QTYPE.DS);
    expect(noDsProof(chain, key('ns.sub.example.'))).to.equal(null);
  });
});

function testZoneWith(extra: string): Zone {
  const apex = name('example.');
  const parsed = parseMasterFile(ZONE + extra, { file: 'test.zone', origin: apex });
  const built = buildZone(
    apex,
    parsed.records,
    'test.zone',
    EMPTY_POLICY,
    false,
    testDnssec([makeTestKey(ALGORITHM.ED25519, true)]),
  );
  expect(built.errors).to.deep.equal([]);
  return built.zone!;
}
