// The signer's parts: canonical name order (checked against dnspython's dns.name.Name order), the
// canonical RDATA and RRset order, the RRSIG fields, and ZoneSigner's cache (content keys, refresh,
// the bound, key roles, counters, earliest expiry). Signatures themselves are validated
// independently in dnssec-answer.test.ts; here crypto.verify checks them over the RFC 4034 3.1.8.1
// data assembled by this test.
import { createPublicKey, verify } from 'node:crypto';
import { expect } from 'chai';
import { CLASS, QTYPE } from '../zones/dns.js';
import {
  canonicalRdata,
  canonicalRdatas,
  canonicalSortKey,
  compareNameKeys,
  lowerBound,
} from '../zones/dnssec/canonical.js';
import { rrsigLabels, serialTime } from '../zones/dnssec/sign.js';
import { ZoneSigner } from '../zones/dnssec/signer.js';
import { ALGORITHM, DEFAULT_DNSSEC, type DnssecSettings, type ZoneKey } from '../zones/dnssec/types.js';
import { nameToText, parseName, type DnsName } from '../zones/name.js';
import type { AnswerRecord, RdataPart } from '../zones/records.js';
import { makeTestKey, testDnssec } from './helpers/dnssec-test-keys.js';
import { dnspythonOrder, dnspythonOrSkip } from './helpers/dnssec-verify.js';

function name(text: string): DnsName {
  const r = parseName(text, null);
  if (!r.ok) throw new Error(r.error);
  return r.name;
}

const rec = (owner: DnsName | null, type: number, ttl: number, ...rdata: RdataPart[]): AnswerRecord => ({
  owner,
  type,
  klass: CLASS.IN,
  ttl,
  rdata,
});
const ip = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

describe('canonical name order (RFC 4034 6.1)', () => {
  // RFC 4034 6.1's own example, in its order.
  const RFC_ORDER = [
    'example.',
    'a.example.',
    'yljkjljk.a.example.',
    'Z.a.example.',
    'zABC.a.EXAMPLE.',
    'z.example.',
    '\\001.z.example.',
    '*.z.example.',
    '\\200.z.example.',
  ];
  // Case, \000 in and as labels, digits, wildcards, labels that are prefixes of others, octets > 127.
  const MORE = [
    '\\000.example.',
    'a\\000.example.',
    '\\000a.example.',
    '0.example.',
    '9.example.',
    '10.example.',
    '-.example.',
    'ab.example.',
    'aB.b.example.',
    'A.b.example.',
    'aa.example.',
    '\\255.example.',
    '\\255\\255.example.',
    '*.example.',
    'b\\046c.example.',
    'example.org.',
    'example.com.',
    'a.example.com.',
    'xn--bcher-kva.example.',
    'www.a.b.c.example.',
    'c.example.',
    '\\000.\\000.example.',
  ];
  const sortedByUs = (names: readonly string[]): string[] =>
    [...names].sort((x, y) => compareNameKeys(name(x).key, name(y).key));
  const shuffled = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    // A fixed permutation (reversal, then odd positions first): no randomness in the test.
    out.reverse();
    return [...out.filter((_, i) => i % 2 === 1), ...out.filter((_, i) => i % 2 === 0)];
  };

  it("sorts RFC 4034 6.1's example into its order", () => {
    expect(sortedByUs(shuffled(RFC_ORDER))).to.deep.equal(RFC_ORDER);
  });

  it("agrees with dnspython's dns.name.Name order on a table of awkward names", function () {
    dnspythonOrSkip(this);
    const all = [...RFC_ORDER, ...MORE];
    const ours = sortedByUs(shuffled(all)).map((n) => nameToText(name(n).wire).toLowerCase());
    const theirs = dnspythonOrder(shuffled(all)).map((n) => n.toLowerCase());
    expect(ours).to.deep.equal(theirs);
  });

  it('gives one sort key per name whatever its case; the root sorts first', () => {
    expect(canonicalSortKey(name('WwW.Example.').key)).to.equal(canonicalSortKey(name('www.example.').key));
    expect(canonicalSortKey('\0')).to.equal('');
    expect(compareNameKeys('\0', name('a.').key)).to.be.lessThan(0);
    expect(compareNameKeys(name('a.').key, name('A.').key)).to.equal(0);
  });

  it('lowerBound: how many sorted keys are below a key', () => {
    const keys = ['b', 'd', 'f'];
    expect([' ', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => lowerBound(keys, k))).to.deep.equal([0, 0, 1, 1, 2, 2, 3]);
    expect(lowerBound([], 'x')).to.equal(0);
  });
});

describe('canonical RR form (RFC 4034 6.2, 6.3)', () => {
  it('lowercases names in the RDATA of the listed types only, uncompressed', () => {
    const mx = canonicalRdata(QTYPE.MX, [Buffer.from([0, 10]), name('Mail.EXAMPLE.')]);
    expect(mx).to.deep.equal(Buffer.concat([Buffer.from([0, 10]), Buffer.from('\x04mail\x07example\x00', 'latin1')]));
    const soa = canonicalRdata(QTYPE.SOA, [name('NS1.example.'), name('Host.Master.example.'), Buffer.alloc(20)]);
    expect(soa.subarray(0, 4).toString('latin1')).to.equal('\x03ns1');
    expect(
      canonicalRdata(QTYPE.SRV, [Buffer.alloc(6), name('WWW.x.')])
        .subarray(6)
        .toString('latin1'),
    ).to.equal('\x03www\x01x\x00');
    // TXT is octets: its case is data.
    expect(canonicalRdata(QTYPE.TXT, [Buffer.from('\x02Hi', 'latin1')]).toString('latin1')).to.equal('\x02Hi');
    // NSEC's next name is left as written (RFC 6840 5.1).
    expect(canonicalRdata(QTYPE.NSEC, [name('A.example.'), Buffer.from([0, 1, 0x40])])[1]).to.equal(0x41);
  });

  it('orders an RRset by RDATA as octet strings (a prefix first) and drops duplicates', () => {
    const txt = (s: string): RdataPart[] => [Buffer.from(s, 'latin1')];
    const out = canonicalRdatas(QTYPE.TXT, [txt('\x02ab'), txt('\x01a'), txt('\x02ab'), txt('\x01b'), txt('\x02a')]);
    expect(out.map((b) => b.toString('latin1'))).to.deep.equal(['\x01a', '\x01b', '\x02a', '\x02ab']);
    const a = canonicalRdatas(QTYPE.A, [[ip('10.0.0.2')], [ip('10.0.0.10')], [ip('9.0.0.1')]]);
    expect(a.map((b) => [...b].join('.'))).to.deep.equal(['9.0.0.1', '10.0.0.2', '10.0.0.10']);
  });
});

/** The fields of an RRSIG RDATA. */
function readRrsig(r: Buffer) {
  let at = 18;
  while (r[at] !== 0) at += r[at]! + 1;
  at++;
  return {
    typeCovered: r.readUInt16BE(0),
    algorithm: r[2]!,
    labels: r[3]!,
    originalTtl: r.readUInt32BE(4),
    expiration: r.readUInt32BE(8),
    inception: r.readUInt32BE(12),
    keyTag: r.readUInt16BE(16),
    signer: r.subarray(18, at),
    head: r.subarray(0, at),
    signature: r.subarray(at),
  };
}

/** RFC 4034 3.1.8.1 signed data, assembled here from the RRSIG and the records, for crypto.verify. */
function signedData(head: Buffer, ownerLower: string, type: number, ttl: number, rdatas: Buffer[]): Buffer {
  const owner = Buffer.from(ownerLower, 'latin1');
  const rrs = [...rdatas].sort(Buffer.compare).map((rd) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(ttl, 4);
    fixed.writeUInt16BE(rd.length, 8);
    return Buffer.concat([owner, fixed, rd]);
  });
  return Buffer.concat([head, ...rrs]);
}

function verifies(key: ZoneKey, data: Buffer, signature: Buffer): boolean {
  const pub = createPublicKey(key.privateKey);
  return key.algorithm === ALGORITHM.ED25519
    ? verify(null, data, pub, signature)
    : verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, signature);
}

describe('RRSIG fields and signatures', () => {
  const apex = name('Example.');
  const now = 1_900_000_000_000;

  it('labels: not counting the root nor a leading *', () => {
    expect(rrsigLabels(name('www.example.').wire)).to.equal(2);
    expect(rrsigLabels(name('*.wild.example.').wire)).to.equal(2);
    expect(rrsigLabels(name('a.*.example.').wire)).to.equal(3);
    expect(rrsigLabels(name('.').wire)).to.equal(0);
    expect(serialTime(1_000_999)).to.equal(1000);
  });

  for (const algorithm of [ALGORITHM.ECDSAP256SHA256, ALGORITHM.ED25519]) {
    it(`algorithm ${algorithm}: every field, and a signature over the RFC 4034 3.1.8.1 data`, () => {
      const key = makeTestKey(algorithm, true);
      const signer = new ZoneSigner(apex, testDnssec([key]));
      const owner = name('WWW.example.');
      const records = [rec(owner, QTYPE.MX, 300, Buffer.from([0, 10]), name('Mail.Example.'))];
      const sigs = signer.sign(owner, QTYPE.MX, 300, records, now);
      expect(sigs.rdatas).to.have.length(1);
      const f = readRrsig(sigs.rdatas[0] as Buffer);
      const inception = Math.floor(now / 1000) - DEFAULT_DNSSEC.inceptionOffset;
      expect(f).to.include({
        typeCovered: QTYPE.MX,
        algorithm,
        labels: 2,
        originalTtl: 300,
        inception,
        expiration: inception + DEFAULT_DNSSEC.validity,
        keyTag: key.tag,
      });
      expect(f.signer.toString('latin1')).to.equal('\x07example\x00');
      expect(f.signature).to.have.length(64);
      const data = signedData(f.head, '\x03www\x07example\x00', QTYPE.MX, 300, [
        Buffer.concat([Buffer.from([0, 10]), Buffer.from('\x04mail\x07example\x00', 'latin1')]),
      ]);
      expect(verifies(key, data, f.signature)).to.equal(true);
      // The same data with the exchange's original case does not verify: the lowercasing is signed.
      const wrong = signedData(f.head, '\x03www\x07example\x00', QTYPE.MX, 300, [
        Buffer.concat([Buffer.from([0, 10]), Buffer.from('\x04Mail\x07Example\x00', 'latin1')]),
      ]);
      expect(verifies(key, wrong, f.signature)).to.equal(false);
    });
  }

  it('a wildcard answer is signed under the wildcard: owner *.wild, labels one less', () => {
    const key = makeTestKey(ALGORITHM.ED25519, true);
    const signer = new ZoneSigner(apex, testDnssec([key]));
    const wildcard = name('*.wild.example.');
    const records = [{ ...rec(null, QTYPE.A, 60, ip('192.0.2.9')), wildcard }];
    const f = readRrsig(
      signer.sign(name('a.b.wild.example.'), QTYPE.A, 60, records, now, wildcard).rdatas[0] as Buffer,
    );
    expect(f.labels).to.equal(2);
    const data = signedData(f.head, '\x01*\x04wild\x07example\x00', QTYPE.A, 60, [ip('192.0.2.9')]);
    expect(verifies(key, data, f.signature)).to.equal(true);
  });
});

describe('ZoneSigner: the cache, key roles, counters', () => {
  const apex = name('example.');
  const owner = name('lb.example.');
  const t0 = 1_900_000_000_000;
  const settings: DnssecSettings = { validity: 1000, refresh: 250, inceptionOffset: 100, dnskeyTtl: 3600 };
  const aSet = (...ips: string[]): AnswerRecord[] => ips.map((x) => rec(null, QTYPE.A, 30, ip(x)));

  it('serves an RRset again from the cache whatever its order or record objects; TTL and owner are content', () => {
    const signer = new ZoneSigner(apex, testDnssec([makeTestKey(ALGORITHM.ECDSAP256SHA256, true)], settings));
    const first = signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1', '192.0.2.2'), t0);
    expect(signer.stats).to.include({ made: 1, cached: 0 });
    const again = signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.2', '192.0.2.1'), t0 + 1000);
    expect(again.rdatas).to.equal(first.rdatas);
    expect(signer.stats).to.include({ made: 1, cached: 1 });
    signer.sign(owner, QTYPE.A, 20, aSet('192.0.2.1', '192.0.2.2'), t0);
    signer.sign(name('other.example.'), QTYPE.A, 30, aSet('192.0.2.1', '192.0.2.2'), t0);
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0);
    expect(signer.stats).to.include({ made: 4, cached: 1 });
    expect(signer.size).to.equal(4);
  });

  it('re-signs once now reaches refreshAt (expiration - refresh), or before the inception (a clock gone back)', () => {
    const signer = new ZoneSigner(apex, testDnssec([makeTestKey(ALGORITHM.ED25519, true)], settings));
    const s1 = signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0);
    const expiration = (t0 / 1000 - 100 + 1000) * 1000;
    expect(s1.refreshAt).to.equal(expiration - 250_000);
    expect(signer.earliestExpiry(t0)).to.equal(expiration);
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), s1.refreshAt - 1);
    expect(signer.stats.made).to.equal(1);
    const s2 = signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), s1.refreshAt);
    expect(signer.stats.made).to.equal(2);
    expect(s2.refreshAt).to.be.greaterThan(s1.refreshAt);
    expect(readRrsig(s2.rdatas[0] as Buffer).inception).to.equal(s1.refreshAt / 1000 - 100);
    // The clock back before the new signatures' inception: they are not valid yet, sign again.
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0);
    expect(signer.stats.made).to.equal(3);
  });

  it('signs DNSKEY, CDS and CDNSKEY with the KSKs, everything else with the ZSKs', () => {
    const ksk = makeTestKey(ALGORITHM.ECDSAP256SHA256, true);
    const zsk = makeTestKey(ALGORITHM.ECDSAP256SHA256, false);
    const signer = new ZoneSigner(apex, testDnssec([ksk, zsk]));
    const tagsOf = (type: number): number[] =>
      signer
        .sign(apex, type, 3600, [rec(apex, type, 3600, Buffer.from([type]))], t0)
        .rdatas.map((r) => readRrsig(r as Buffer).keyTag);
    expect(tagsOf(QTYPE.DNSKEY)).to.deep.equal([ksk.tag]);
    expect(tagsOf(59)).to.deep.equal([ksk.tag]);
    expect(tagsOf(60)).to.deep.equal([ksk.tag]);
    expect(tagsOf(QTYPE.SOA)).to.deep.equal([zsk.tag]);
    expect(tagsOf(QTYPE.NSEC)).to.deep.equal([zsk.tag]);
    // Two ZSKs (a rollover): two RRSIGs each.
    const zsk2 = makeTestKey(ALGORITHM.ED25519, false);
    const two = new ZoneSigner(apex, testDnssec([ksk, zsk, zsk2]));
    expect(two.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0).rdatas).to.have.length(2);
    expect(two.stats.made).to.equal(2);
  });

  it('signs nothing without an active key for the type', () => {
    const key = makeTestKey(ALGORITHM.ED25519, true);
    const d = testDnssec([key]);
    const signer = new ZoneSigner(apex, { ...d, state: { ...d.state, zsks: [] } });
    const s = signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0);
    expect(s.rdatas).to.deep.equal([]);
    expect(s.refreshAt).to.equal(Infinity);
    expect(signer.stats.made).to.equal(0);
  });

  it('holds at most its bound: the oldest goes first and is counted; stale entries go without counting', () => {
    const signer = new ZoneSigner(apex, testDnssec([makeTestKey(ALGORITHM.ED25519, true)], settings), 3);
    for (let i = 1; i <= 5; i++) signer.sign(owner, QTYPE.A, 30, aSet(`192.0.2.${i}`), t0 + i);
    expect(signer.size).to.equal(3);
    expect(signer.stats.evicted).to.equal(2);
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.5'), t0 + 6);
    expect(signer.stats).to.include({ made: 5, cached: 1 });
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0 + 7);
    expect(signer.stats.made).to.equal(6);
    // Much later: every cached entry is past refresh; a new one drops them all, none counted as evicted.
    const later = t0 + 900_000;
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.9'), later);
    expect(signer.size).to.equal(1);
    expect(signer.stats.evicted).to.equal(3);
  });

  it('earliestExpiry: null when empty; the oldest signature still served; ignores those past refresh', () => {
    const signer = new ZoneSigner(apex, testDnssec([makeTestKey(ALGORITHM.ED25519, true)], settings));
    expect(signer.earliestExpiry(t0)).to.equal(null);
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.1'), t0);
    signer.sign(owner, QTYPE.A, 30, aSet('192.0.2.2'), t0 + 100_000);
    const first = (t0 / 1000 - 100 + 1000) * 1000;
    expect(signer.earliestExpiry(t0 + 100_000)).to.equal(first);
    expect(signer.earliestExpiry(first - 250_000)).to.equal(first + 100_000);
    expect(signer.earliestExpiry(first + 100_000)).to.equal(null);
  });
});
