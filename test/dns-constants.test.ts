// zones/dns.ts, the DNS numbers in one place, checked against an independent table (dns-packet's, which
// follows the IANA registries) and against what the server puts on the wire.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { createRequire } from 'node:module';
import {
  CLASS,
  EDE,
  EDNS_DO,
  EDNS_OPTION,
  FLAGS1,
  FLAGS2,
  HEADER_LENGTH,
  QTYPE,
  RCODE,
  rcodeName,
} from '../zones/dns.js';
import { QTYPE as RECORDS_QTYPE } from '../zones/records.js';
import { chaosAnswer } from '../server/chaos.js';
import { keyOfWire } from '../zones/name.js';

const require = createRequire(import.meta.url);
interface Table {
  toString(n: number): string;
}
const types = require('dns-packet/types.js') as Table;
const rcodes = require('dns-packet/rcodes.js') as Table;
const classes = require('dns-packet/classes.js') as Table;
const options = require('dns-packet/optioncodes.js') as Table;

describe('DNS constants (zones/dns.ts)', () => {
  it('RR types, classes and RCODEs have their registry numbers', () => {
    const meta = new Set(['MAILB', 'MAILA']); // RFC 1035 query types dns-packet has no names for
    for (const [name, n] of Object.entries(QTYPE)) if (!meta.has(name)) expect(types.toString(n), name).to.equal(name);
    expect([QTYPE.MAILB, QTYPE.MAILA]).to.deep.equal([253, 254]);
    for (const [name, n] of Object.entries(CLASS)) {
      if (name === 'NONE')
        expect(n).to.equal(254); // RFC 2136; dns-packet has no name for it
      else expect(classes.toString(n), name).to.equal(name);
    }
    for (const [name, n] of Object.entries(RCODE)) {
      if (name === 'BADVERS')
        expect(n).to.equal(16); // extended: beyond the header's 4 bits
      else expect(rcodes.toString(n), name).to.equal(name);
    }
    expect(options.toString(EDNS_OPTION.NSID)).to.equal('NSID');
    expect(options.toString(EDNS_OPTION.ECS)).to.equal('CLIENT_SUBNET');
    expect(EDNS_OPTION.EDE).to.equal(15); // RFC 8914
    expect(EDE.NOT_AUTHORITATIVE).to.equal(20);
  });

  it('rcodeName: the mnemonic, or RCODEnn', () => {
    expect(rcodeName(0)).to.equal('NOERROR');
    expect(rcodeName(3)).to.equal('NXDOMAIN');
    expect(rcodeName(10)).to.equal('NOTZONE');
    expect(rcodeName(16)).to.equal('BADVERS');
    expect(rcodeName(11)).to.equal('RCODE11');
  });

  it('header bits agree with dns-packet (the 16-bit flags word, high byte first)', () => {
    expect(HEADER_LENGTH).to.equal(12);
    expect(FLAGS1.QR << 8).to.equal(1 << 15);
    expect(FLAGS1.AA << 8).to.equal(dnsPacket.AUTHORITATIVE_ANSWER);
    expect(FLAGS1.TC << 8).to.equal(dnsPacket.TRUNCATED_RESPONSE);
    expect(FLAGS1.RD << 8).to.equal(dnsPacket.RECURSION_DESIRED);
    expect(FLAGS2.RA).to.equal(dnsPacket.RECURSION_AVAILABLE);
    expect(FLAGS2.AD).to.equal(dnsPacket.AUTHENTIC_DATA);
    expect(FLAGS2.CD).to.equal(dnsPacket.CHECKING_DISABLED);
    expect(EDNS_DO << 8).to.equal(dnsPacket.DNSSEC_OK);
    // The opcode field: a query with opcode 5 (UPDATE) reads back as 5.
    const q = dnsPacket.encode({ type: 'query', id: 1, flags: 5 << 11, questions: [] }); // opcode in bits 11-14
    expect((q[2]! >> FLAGS1.OPCODE_SHIFT) & FLAGS1.OPCODE_MASK).to.equal(5);
  });

  it('zones/records.ts re-exports the same QTYPE, and the CHAOS answer uses it', () => {
    expect(RECORDS_QTYPE).to.equal(QTYPE);
    const idServer = keyOfWire(Buffer.from('\x02id\x06server\x00', 'latin1'));
    const s = chaosAnswer(idServer, QTYPE.TXT, { identity: 'x', version: null });
    expect(s?.rcode).to.equal(RCODE.NOERROR);
    expect(s?.answer[0]).to.include({ type: QTYPE.TXT, klass: CLASS.CH });
    expect(chaosAnswer(idServer, QTYPE.A, { identity: 'x', version: null })).to.equal(null);
  });
});
