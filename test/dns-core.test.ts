// Authoritative DNS behaviour of issue 2, each case over real UDP and TCP sockets on loopback.
import { expect } from 'chai';
import {
  ask,
  buildQuery,
  decodeReply,
  exchange,
  startTestServer,
  tcpExchange,
  type TestServer,
  type Transport,
} from './helpers/dns.js';

const ZONES = 'test/fixtures/zones';
const SOA_NEG = 'core.test 300 SOA';

describe('DNS core over real sockets', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer(ZONES, { nsid: Buffer.from('node-7'), chaos: { identity: 'node-7', version: null } });
  });
  after(async () => {
    await s.close();
  });

  for (const transport of ['udp', 'tcp'] as Transport[]) {
    for (const v6 of [false, true]) {
      const label = `${transport}/${v6 ? 'IPv6' : 'IPv4'}`;
      it(`${label}: positive answer has AA set, RA clear, RD copied`, async () => {
        const r = await ask(s, { name: 'www.core.test', type: 'A' }, transport, v6);
        expect(r.rcode).to.equal(0);
        expect(r.aa).to.equal(true);
        expect(r.ra).to.equal(false);
        expect(r.rd).to.equal(true);
        expect(r.answer).to.deep.equal(['www.core.test 3600 A 192.0.2.3']);
        expect(r.authority).to.deep.equal([]);
      });
    }
  }

  it('copies RD clear when the query had it clear', async () => {
    const r = await ask(s, { name: 'www.core.test', rd: false });
    expect(r.rd).to.equal(false);
  });

  it('NXDOMAIN carries the SOA with the RFC 2308 negative TTL (min of SOA TTL and MINIMUM)', async () => {
    const r = await ask(s, { name: 'nope.core.test', type: 'A' });
    expect(r.rcode).to.equal(3);
    expect(r.aa).to.equal(true);
    expect(r.answer).to.deep.equal([]);
    expect(r.authority).to.have.length(1);
    expect(r.authority[0]).to.match(new RegExp('^' + SOA_NEG));
  });

  it('NODATA: NOERROR, empty answer, SOA in authority', async () => {
    const r = await ask(s, { name: 'www.core.test', type: 'MX' });
    expect(r.rcode).to.equal(0);
    expect(r.answer).to.deep.equal([]);
    expect(r.authority[0]).to.match(new RegExp('^' + SOA_NEG));
  });

  it('empty non-terminals answer NODATA, not NXDOMAIN', async () => {
    for (const name of ['b.ent.core.test', 'ent.core.test']) {
      const r = await ask(s, { name, type: 'A' });
      expect(r.rcode, name).to.equal(0);
      expect(r.answer).to.deep.equal([]);
      expect(r.authority[0]).to.match(new RegExp('^' + SOA_NEG));
    }
  });

  it('REFUSED for names outside every zone, with the question echoed', async () => {
    const r = await ask(s, { name: 'example.org', type: 'A' });
    expect(r.rcode).to.equal(5);
    expect(r.aa).to.equal(false);
    expect(r.packet.questions?.[0]?.name).to.equal('example.org');
  });

  it('NOTIMP for opcodes other than QUERY', async () => {
    for (const opcode of [1, 2, 4, 5]) {
      const q = buildQuery({ name: 'www.core.test' });
      q[2] = (q[2]! & 0x87) | (opcode << 3);
      const r = decodeReply(await exchange(s, q));
      expect(r.rcode, `opcode ${opcode}`).to.equal(4);
      expect((r.raw[2]! >> 3) & 0x0f).to.equal(opcode);
    }
  });

  describe('FORMERR for malformed queries', () => {
    const valid = () => buildQuery({ name: 'www.core.test', id: 4242 });
    const cases: Array<[string, () => Buffer]> = [
      [
        'QDCOUNT 0',
        () => {
          const q = valid().subarray(0, 12);
          q.writeUInt16BE(0, 4);
          return Buffer.from(q);
        },
      ],
      [
        'QDCOUNT 2',
        () => {
          const q = valid();
          q.writeUInt16BE(2, 4);
          return q;
        },
      ],
      [
        'ANCOUNT 1 without records',
        () => {
          const q = valid();
          q.writeUInt16BE(1, 6);
          return q;
        },
      ],
      [
        'ARCOUNT 1 without records',
        () => {
          const q = valid();
          q.writeUInt16BE(1, 10);
          return q;
        },
      ],
      ['truncated name', () => valid().subarray(0, 16)],
      ['question missing type and class', () => valid().subarray(0, valid().length - 3)],
      [
        'compression pointer loop in the question',
        () => Buffer.concat([valid().subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]),
      ],
      [
        'label length over 63',
        () => Buffer.concat([valid().subarray(0, 12), Buffer.from([0x50, 0x61, 0, 0, 1, 0, 1])]),
      ],
      ['trailing garbage', () => Buffer.concat([valid(), Buffer.from([1, 2, 3])])],
    ];
    for (const [name, make] of cases) {
      it(name, async () => {
        const r = await exchange(s, make());
        expect(r.readUInt16BE(0)).to.equal(4242);
        expect(r[2]! & 0x80).to.equal(0x80);
        expect(r[3]! & 0x0f).to.equal(1);
      });
    }
  });

  it('drops responses and packets shorter than a header', async () => {
    const response = buildQuery({ name: 'www.core.test' });
    response[2] = response[2]! | 0x80;
    const { udpExchange } = await import('./helpers/dns.js');
    expect(await udpExchange(s.host, s.port, response, 300)).to.equal(null);
    expect(await udpExchange(s.host, s.port, Buffer.from([1, 2, 3]), 300)).to.equal(null);
  });

  it('echoes the question with its exact case (0x20) and answers case-insensitively', async () => {
    const r = await ask(s, { name: 'wWw.CoRe.TeSt', type: 'A' });
    expect(r.packet.questions?.[0]?.name).to.equal('wWw.CoRe.TeSt');
    expect(r.answer).to.deep.equal(['www.core.test 3600 A 192.0.2.3']);
    const m = await ask(s, { name: 'mixed.case.core.test', type: 'A' });
    expect(m.answer).to.deep.equal(['mixed.case.core.test 3600 A 192.0.2.4']);
  });

  it('answers CHAOS id.server and hostname.bind with the node id; refuses version.bind', async () => {
    for (const name of ['id.server', 'hostname.bind', 'ID.SERVER']) {
      const r = await ask(s, { name, type: 'TXT', class: 'CH' });
      expect(r.rcode, name).to.equal(0);
      expect(r.answer).to.deep.equal([`${name.toLowerCase()} 0 TXT node-7`]);
    }
    expect((await ask(s, { name: 'version.bind', type: 'TXT', class: 'CH' })).rcode).to.equal(5);
    expect((await ask(s, { name: 'www.core.test', type: 'A', class: 'CH' })).rcode).to.equal(5);
  });

  it('refuses classes other than IN and CH', async () => {
    expect((await ask(s, { name: 'www.core.test', type: 'A', class: 'HS' })).rcode).to.equal(5);
  });

  it('chases a CNAME chain inside the zone', async () => {
    const r = await ask(s, { name: 'alias.core.test', type: 'A' });
    expect(r.rcode).to.equal(0);
    expect(r.aa).to.equal(true);
    expect(r.answer).to.deep.equal([
      'alias.core.test 3600 CNAME chain.core.test',
      'chain.core.test 3600 CNAME www.core.test',
      'www.core.test 3600 A 192.0.2.3',
    ]);
  });

  it('a CNAME query returns the CNAME itself, unchased', async () => {
    const r = await ask(s, { name: 'alias.core.test', type: 'CNAME' });
    expect(r.answer).to.deep.equal(['alias.core.test 3600 CNAME chain.core.test']);
  });

  it('a CNAME out of the zone is returned alone; to a missing in-zone name gives NXDOMAIN with the CNAME', async () => {
    const out = await ask(s, { name: 'outside.core.test', type: 'A' });
    expect(out.rcode).to.equal(0);
    expect(out.answer).to.deep.equal(['outside.core.test 3600 CNAME target.elsewhere.example']);
    const dangling = await ask(s, { name: 'dangling.core.test', type: 'A' });
    expect(dangling.rcode).to.equal(3);
    expect(dangling.answer).to.deep.equal(['dangling.core.test 3600 CNAME missing.core.test']);
    expect(dangling.authority[0]).to.match(new RegExp('^' + SOA_NEG));
  });

  it('a CNAME loop terminates', async () => {
    const r = await ask(s, { name: 'loop1.core.test', type: 'A' });
    expect(r.rcode).to.equal(0);
    expect(r.answer).to.deep.equal([
      'loop1.core.test 3600 CNAME loop2.core.test',
      'loop2.core.test 3600 CNAME loop1.core.test',
    ]);
  });

  it('synthesizes wildcard answers with the query name as owner (RFC 4592)', async () => {
    const r = await ask(s, { name: 'Anything.Deep.wild.core.test', type: 'A' });
    expect(r.rcode).to.equal(0);
    expect(r.aa).to.equal(true);
    expect(r.answer).to.deep.equal(['anything.deep.wild.core.test 3600 A 192.0.2.6']);
    expect(r.packet.answers?.[0]?.name).to.equal('Anything.Deep.wild.core.test');
    const nodata = await ask(s, { name: 'x.wild.core.test', type: 'MX' });
    expect(nodata.rcode).to.equal(0);
    expect(nodata.answer).to.deep.equal([]);
    expect(nodata.authority[0]).to.match(new RegExp('^' + SOA_NEG));
  });

  it('a wildcard does not cover existing names or names below them', async () => {
    expect((await ask(s, { name: 'exists.wild.core.test', type: 'A' })).answer).to.deep.equal([
      'exists.wild.core.test 3600 A 192.0.2.7',
    ]);
    expect((await ask(s, { name: 'exists.wild.core.test', type: 'TXT' })).answer).to.deep.equal([]);
    expect((await ask(s, { name: 'below.exists.wild.core.test', type: 'A' })).rcode).to.equal(3);
  });

  it('a wildcard CNAME is synthesized and chased', async () => {
    const r = await ask(s, { name: 'foo.wc.core.test', type: 'A' });
    expect(r.answer).to.deep.equal(['foo.wc.core.test 3600 CNAME www.core.test', 'www.core.test 3600 A 192.0.2.3']);
  });

  it('delegations are referrals: NS in authority, glue in additional, AA clear', async () => {
    for (const name of ['sub.core.test', 'host.sub.core.test', 'ns1.sub.core.test']) {
      const r = await ask(s, { name, type: 'A' });
      expect(r.rcode, name).to.equal(0);
      expect(r.aa, name).to.equal(false);
      expect(r.answer).to.deep.equal([]);
      expect(r.authority.sort()).to.deep.equal([
        'sub.core.test 3600 NS ns.elsewhere.example',
        'sub.core.test 3600 NS ns1.sub.core.test',
      ]);
      expect(r.additional.sort()).to.deep.equal([
        'ns1.sub.core.test 3600 A 192.0.2.8',
        'ns1.sub.core.test 3600 AAAA 2001:db8::8',
      ]);
    }
  });

  it('DS at a delegation point is answered by the parent side (NODATA, AA)', async () => {
    const r = await ask(s, { name: 'sub.core.test', type: 'DS' });
    expect(r.aa).to.equal(true);
    expect(r.rcode).to.equal(0);
    expect(r.authority[0]).to.match(new RegExp('^' + SOA_NEG));
  });

  it('answers every static type', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['core.test', 'NS', ['core.test 3600 NS ns.elsewhere.example', 'core.test 3600 NS ns1.core.test']],
      ['core.test', 'MX', ['core.test 3600 MX {"preference":10,"exchange":"mail.core.test"}']],
      ['txt.core.test', 'TXT', ['txt.core.test 3600 TXT hello world|second string']],
      [
        'srv.core.test',
        'SRV',
        ['srv.core.test 3600 SRV {"priority":1,"weight":2,"port":443,"target":"www.core.test"}'],
      ],
      ['ptr.core.test', 'PTR', ['ptr.core.test 3600 PTR www.core.test']],
      [
        'caa.core.test',
        'CAA',
        ['caa.core.test 3600 CAA {"flags":0,"tag":"issue","value":"ca.example","issuerCritical":false}'],
      ],
      ['www.core.test', 'AAAA', ['www.core.test 3600 AAAA 2001:db8::3']],
      ['mail.core.test', 'A', ['mail.core.test 600 A 192.0.2.2']],
    ];
    for (const [name, type, expected] of cases) {
      const r = await ask(s, { name, type });
      expect(r.answer.sort(), `${name} ${type}`).to.deep.equal(expected.sort());
    }
    const unknown = decodeReply(await exchange(s, buildQuery({ name: 'unknown.core.test', type: 'UNKNOWN_65400' })));
    expect(unknown.answer).to.deep.equal(['unknown.core.test 3600 UNKNOWN_65400 0a000001']);
  });

  it('adds in-zone addresses of MX and SRV targets to the additional section', async () => {
    const r = await ask(s, { name: 'core.test', type: 'MX' });
    expect(r.additional).to.deep.equal(['mail.core.test 600 A 192.0.2.2']);
    const srv = await ask(s, { name: 'srv.core.test', type: 'SRV' });
    expect(srv.additional.sort()).to.deep.equal([
      'www.core.test 3600 A 192.0.2.3',
      'www.core.test 3600 AAAA 2001:db8::3',
    ]);
  });

  it('answers ANY minimally (RFC 8482): one RRset', async () => {
    const r = await ask(s, { name: 'www.core.test', type: 'ANY' });
    expect(r.rcode).to.equal(0);
    expect(r.aa).to.equal(true);
    const types = new Set(r.answer.map((a) => a.split(' ')[2]));
    expect(types.size).to.equal(1);
  });

  describe('EDNS0', () => {
    it('echoes OPT and advertises our payload size', async () => {
      const r = await ask(s, { name: 'www.core.test', edns: { udpSize: 4096 } });
      expect(r.opt).to.not.equal(undefined);
      expect(r.opt!.udpPayloadSize).to.equal(1232);
      expect(r.opt!.ednsVersion).to.equal(0);
    });
    it('no OPT in the reply when the query had none', async () => {
      const r = await ask(s, { name: 'www.core.test' });
      expect(r.opt).to.equal(undefined);
    });
    it('BADVERS for version > 0, with OPT version 0', async () => {
      const r = await ask(s, { name: 'www.core.test', edns: { version: 1 } });
      expect(r.rcode).to.equal(16);
      expect(r.opt!.ednsVersion).to.equal(0);
      expect(r.answer).to.deep.equal([]);
    });
    it('ignores unknown options', async () => {
      const r = await ask(s, {
        name: 'www.core.test',
        edns: { options: [{ code: 65001, data: Buffer.from('abc') } as never] },
      });
      expect(r.rcode).to.equal(0);
      expect(r.answer).to.have.length(1);
    });
    it('copies the DO bit', async () => {
      const off = await ask(s, { name: 'www.core.test', edns: {} });
      expect(((off.opt as unknown as { flags: number }).flags & 0x8000) !== 0).to.equal(false);
      const r = await ask(s, { name: 'www.core.test', edns: { do: true } });
      expect(((r.opt as unknown as { flags: number }).flags & 0x8000) !== 0).to.equal(true);
    });
    it('FORMERR for two OPT records', async () => {
      const q = buildQuery({ name: 'www.core.test', edns: {} });
      const opt = q.subarray(q.length - 11);
      const twice = Buffer.concat([q, opt]);
      twice.writeUInt16BE(2, 10);
      const r = await exchange(s, twice);
      expect(r[3]! & 0x0f).to.equal(1);
    });
    it('NSID when asked', async () => {
      const r = await ask(s, {
        name: 'www.core.test',
        edns: { options: [{ code: 3, data: Buffer.alloc(0) } as never] },
      });
      const nsid = r.opt!.options!.find((o) => o['code'] === 3);
      expect((nsid!['data'] as Buffer).toString()).to.equal('node-7');
      const none = await ask(s, { name: 'www.core.test', edns: {} });
      expect(none.opt!.options ?? []).to.deep.equal([]);
    });
  });

  describe('EDNS Client Subnet (RFC 7871)', () => {
    const ecs = (family: number, source: number, scope: number, addr: number[]) => {
      const data = Buffer.from([family >> 8, family & 0xff, source, scope, ...addr]);
      return { code: 8, data } as never;
    };
    it('echoes a valid option with scope 0 for static answers', async () => {
      const r = await ask(s, { name: 'www.core.test', edns: { options: [ecs(1, 24, 0, [192, 0, 2])] } });
      expect(r.rcode).to.equal(0);
      const o = r.opt!.options!.find((x) => x['code'] === 8)!;
      expect(o['sourcePrefixLength']).to.equal(24);
      expect(o['scopePrefixLength']).to.equal(0);
      expect(o['ip']).to.equal('192.0.2.0');
    });
    it('accepts IPv6 and source prefix 0', async () => {
      expect(
        (await ask(s, { name: 'www.core.test', edns: { options: [ecs(2, 56, 0, [0x20, 1, 0xd, 0xb8, 0, 0, 0])] } }))
          .rcode,
      ).to.equal(0);
      expect((await ask(s, { name: 'www.core.test', edns: { options: [ecs(1, 0, 0, [])] } })).rcode).to.equal(0);
    });
    const bad: Array<[string, number[]]> = [
      ['unknown family', [0, 3, 8, 0, 1]],
      ['IPv4 source prefix over 32', [0, 1, 33, 0, 1, 2, 3, 4, 5]],
      ['non-zero scope in a query', [0, 1, 24, 8, 192, 0, 2]],
      ['address longer than the prefix needs', [0, 1, 8, 0, 192, 0]],
      ['address shorter than the prefix needs', [0, 1, 24, 0, 192]],
      ['bits set beyond the source prefix', [0, 1, 23, 0, 192, 0, 3]],
      ['option shorter than 4 octets', [0, 1]],
    ];
    for (const [name, bytes] of bad) {
      it(`FORMERR: ${name}`, async () => {
        const r = await ask(s, {
          name: 'www.core.test',
          edns: { options: [{ code: 8, data: Buffer.from(bytes) } as never] },
        });
        expect(r.rcode).to.equal(1);
      });
    }
  });

  describe('truncation', () => {
    it('over UDP without EDNS, an answer over 512 bytes gets TC; over TCP it comes whole', async () => {
      const udp = await ask(s, { name: 'big.core.test', type: 'A' });
      expect(udp.tc).to.equal(true);
      expect(udp.raw.length).to.be.at.most(512);
      const tcp = await ask(s, { name: 'big.core.test', type: 'A' }, 'tcp');
      expect(tcp.tc).to.equal(false);
      expect(tcp.answer).to.have.length(40);
    });
    it('with EDNS the client size is honoured, capped at ours (1232)', async () => {
      const fits = await ask(s, { name: 'big.core.test', type: 'A', edns: { udpSize: 1232 } });
      expect(fits.tc).to.equal(false);
      expect(fits.answer).to.have.length(40);
      const small = await ask(s, { name: 'big.core.test', type: 'A', edns: { udpSize: 512 } });
      expect(small.tc).to.equal(true);
      const huge = await ask(s, { name: 'huge.core.test', type: 'TXT', edns: { udpSize: 4096 } });
      expect(huge.tc).to.equal(true);
      expect(huge.raw.length).to.be.at.most(1232);
      const whole = await ask(s, { name: 'huge.core.test', type: 'TXT', edns: { udpSize: 4096 } }, 'tcp');
      expect(whole.answer).to.have.length(8);
    });
    it('the TC reply keeps OPT', async () => {
      const r = await ask(s, { name: 'big.core.test', type: 'A', edns: { udpSize: 512 } });
      expect(r.opt).to.not.equal(undefined);
    });
  });

  it('TCP: pipelined queries on one connection are all answered', async () => {
    const ids = [11, 12, 13, 14, 15];
    const msgs = ids.map((id, i) => buildQuery({ id, name: i % 2 ? 'www.core.test' : 'nope.core.test' }));
    const replies = await tcpExchange(s.host, s.port, msgs);
    expect(replies.map((r) => r.readUInt16BE(0)).sort()).to.deep.equal(ids);
  });
});
