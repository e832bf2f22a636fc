// PROXY protocol v2: the header parser as a table of hand-made headers (server/proxy/proxy-v2.ts),
// the address text it gives against Node's own, and PROXY listeners over real UDP and TCP sockets.
import { expect } from 'chai';
import net from 'node:net';
import { CidrSet } from '../server/cidr-set.js';
import { startListeners } from '../server/listeners.js';
import { ipv6Text } from '../server/proxy/address-text.js';
import {
  parseProxyV2,
  PROXY_V2_SIGNATURE,
  ProxyV2Reader,
  type ProxyDropReason,
  type ProxyParse,
} from '../server/proxy/proxy-v2.js';
import { localGate } from '../server/tcp-gate.js';
import { startTcp } from '../server/tcp.js';
import type { ProxyOptions, QueryHandler, Transport } from '../server/transport-types.js';
import { startUdp } from '../server/udp.js';
import { seeded } from '../zones/prng.js';
import { parseIp } from '../zones/address.js';
import { peerHasRead } from './helpers/tcp-queues.js';
import { Cleanups, frame, peerEchoHandler, peerOf, query, TcpClient, UdpClient } from './helpers/transport-clients.js';
import { until } from './helpers/until.js';

// ---------- hand-made headers ----------

interface HeaderSpec {
  /** Version and command byte: 0x21 PROXY, 0x20 LOCAL. */
  readonly versionCommand?: number;
  /** Family and transport byte: 0x11 TCP4, 0x12 UDP4, 0x21 TCP6, 0x22 UDP6, ... */
  readonly familyTransport?: number;
  readonly source?: string;
  readonly destination?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  readonly tlvs?: Buffer;
  /** The declared length instead of the true one. */
  readonly declared?: number;
  /** Raw address block instead of one built from the addresses (AF_UNIX, AF_UNSPEC). */
  readonly block?: Buffer;
}

function header(spec: HeaderSpec = {}): Buffer {
  const ft = spec.familyTransport ?? 0x12;
  let block = spec.block;
  if (block === undefined) {
    const src = parseIp(spec.source ?? (ft >> 4 === 2 ? '2001:db8::7' : '203.0.113.7'))!.bytes;
    const dst = parseIp(spec.destination ?? (ft >> 4 === 2 ? '2001:db8::53' : '192.0.2.53'))!.bytes;
    const ports = Buffer.alloc(4);
    ports.writeUInt16BE(spec.sourcePort ?? 40000, 0);
    ports.writeUInt16BE(spec.destinationPort ?? 53, 2);
    block = Buffer.concat([src, dst, ports]);
  }
  const rest = Buffer.concat([block, spec.tlvs ?? Buffer.alloc(0)]);
  const fixed = Buffer.from([spec.versionCommand ?? 0x21, ft, 0, 0]);
  fixed.writeUInt16BE(spec.declared ?? rest.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, rest]);
}

function tlv(type: number, value: Buffer | string): Buffer {
  const v = Buffer.from(value);
  const head = Buffer.from([type, 0, 0]);
  head.writeUInt16BE(v.length, 1);
  return Buffer.concat([head, v]);
}

/** What a parse says, in one comparable line. */
function outcome(r: ProxyParse): string {
  if (r.ok === 'incomplete') return 'incomplete';
  if (r.ok === false) return r.reason;
  return `ok ${r.length} ${r.family} ${r.source}:${r.sourcePort} > ${r.destination}:${r.destinationPort}`;
}

describe('PROXY v2 parser', () => {
  const v1Text = Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.53 40000 53\r\n');
  const twoTlvs = Buffer.concat([tlv(0x02, 'dns.example'), tlv(0x03, Buffer.alloc(4))]);
  // [what, bytes, as a datagram, as a stream]
  const cases: Array<[string, Buffer, string, string]> = [
    [
      'IPv4 over UDP',
      header(),
      'ok 28 4 203.0.113.7:40000 > 192.0.2.53:53',
      'ok 28 4 203.0.113.7:40000 > 192.0.2.53:53',
    ],
    [
      'IPv4 over TCP',
      header({ familyTransport: 0x11, source: '198.51.100.200', sourcePort: 1 }),
      'ok 28 4 198.51.100.200:1 > 192.0.2.53:53',
      'ok 28 4 198.51.100.200:1 > 192.0.2.53:53',
    ],
    [
      'IPv6 over UDP',
      header({ familyTransport: 0x22, sourcePort: 65535 }),
      'ok 52 6 2001:db8::7:65535 > 2001:db8::53:53',
      'ok 52 6 2001:db8::7:65535 > 2001:db8::53:53',
    ],
    [
      'IPv6 over TCP, IPv4-mapped source as Node prints it',
      header({ familyTransport: 0x21, source: '::ffff:203.0.113.9' }),
      'ok 52 6 ::ffff:203.0.113.9:40000 > 2001:db8::53:53',
      'ok 52 6 ::ffff:203.0.113.9:40000 > 2001:db8::53:53',
    ],
    [
      'IPv4 with TLVs (skipped, counted in the length)',
      header({ tlvs: twoTlvs }),
      `ok ${28 + twoTlvs.length} 4 203.0.113.7:40000 > 192.0.2.53:53`,
      `ok ${28 + twoTlvs.length} 4 203.0.113.7:40000 > 192.0.2.53:53`,
    ],
    [
      'IPv6 with TLVs and a DNS message after it',
      Buffer.concat([header({ familyTransport: 0x22, tlvs: twoTlvs }), query(0x1234)]),
      `ok ${52 + twoTlvs.length} 6 2001:db8::7:40000 > 2001:db8::53:53`,
      `ok ${52 + twoTlvs.length} 6 2001:db8::7:40000 > 2001:db8::53:53`,
    ],
    [
      'TLV bytes are not validated beyond the length',
      header({ tlvs: Buffer.from([0xff, 0xff, 0xff]) }),
      'ok 31 4 203.0.113.7:40000 > 192.0.2.53:53',
      'ok 31 4 203.0.113.7:40000 > 192.0.2.53:53',
    ],
    [
      'LOCAL without addresses',
      header({ versionCommand: 0x20, familyTransport: 0x00, block: Buffer.alloc(0) }),
      'local',
      'local',
    ],
    ['LOCAL with addresses', header({ versionCommand: 0x20 }), 'local', 'local'],
    ['a DNS query without a header', query(0x1234, 40), 'no-header', 'no-header'],
    ['a framed DNS query without a header', frame(query(0x1234, 40)), 'no-header', 'no-header'],
    ['a version 1 text header', Buffer.concat([v1Text, query(1)]), 'no-header', 'no-header'],
    ['an empty datagram', Buffer.alloc(0), 'no-header', 'incomplete'],
    ['version 1 in a binary header', header({ versionCommand: 0x11 }), 'bad-header', 'bad-header'],
    ['version 3', header({ versionCommand: 0x31 }), 'bad-header', 'bad-header'],
    ['an unknown command', header({ versionCommand: 0x22 }), 'bad-header', 'bad-header'],
    [
      'AF_UNSPEC with PROXY',
      header({ familyTransport: 0x00, block: Buffer.alloc(0) }),
      'unsupported-family',
      'unsupported-family',
    ],
    [
      'AF_UNIX stream',
      header({ familyTransport: 0x31, block: Buffer.alloc(216) }),
      'unsupported-family',
      'unsupported-family',
    ],
    [
      'AF_UNIX datagram',
      header({ familyTransport: 0x32, block: Buffer.alloc(216) }),
      'unsupported-family',
      'unsupported-family',
    ],
    ['AF_INET with an unspecified transport', header({ familyTransport: 0x10 }), 'bad-header', 'bad-header'],
    ['AF_INET with an unknown transport', header({ familyTransport: 0x13 }), 'bad-header', 'bad-header'],
    ['an unknown family', header({ familyTransport: 0x41 }), 'bad-header', 'bad-header'],
    [
      'AF_UNSPEC with a transport',
      header({ familyTransport: 0x01, block: Buffer.alloc(0) }),
      'bad-header',
      'bad-header',
    ],
    ['IPv4 declared shorter than its addresses', header({ declared: 11 }), 'bad-header', 'bad-header'],
    [
      'IPv6 declared shorter than its addresses',
      header({ familyTransport: 0x22, declared: 35 }),
      'bad-header',
      'bad-header',
    ],
    [
      'IPv6 declared with the IPv4 block length',
      header({ familyTransport: 0x22, declared: 12 }),
      'bad-header',
      'bad-header',
    ],
    ['declared running past the end', header({ declared: 40 }), 'bad-header', 'incomplete'],
    ['declared 65535 on 28 bytes', header({ declared: 65535 }), 'bad-header', 'bad-header'],
    [
      'TLVs up to 1024 bytes in all on a stream',
      header({ tlvs: tlv(0x04, Buffer.alloc(1024 - 12 - 3)) }),
      'ok 1040 4 203.0.113.7:40000 > 192.0.2.53:53',
      'ok 1040 4 203.0.113.7:40000 > 192.0.2.53:53',
    ],
    [
      'TLVs past 1024 bytes: a datagram bounds itself, a stream gives up',
      header({ tlvs: tlv(0x04, Buffer.alloc(1025 - 12 - 3)) }),
      'ok 1041 4 203.0.113.7:40000 > 192.0.2.53:53',
      'bad-header',
    ],
  ];

  for (const [what, bytes, datagram, stream] of cases) {
    it(`${what}: ${datagram} / ${stream}`, () => {
      expect(outcome(parseProxyV2(bytes, false)), 'datagram').to.equal(datagram);
      expect(outcome(parseProxyV2(bytes, true)), 'stream').to.equal(stream);
      const reader = new ProxyV2Reader();
      expect(outcome(reader.read(bytes, false)), 'reader, datagram').to.equal(datagram);
      expect(outcome(reader.read(bytes, true)), 'reader, stream').to.equal(stream);
    });
  }

  it('gives the source address bytes, and the DNS message starts at length', () => {
    const bytes = Buffer.concat([header({ familyTransport: 0x22, source: '2001:db8::beef' }), query(0x4242)]);
    const r = parseProxyV2(bytes, false);
    expect(r.ok).to.equal(true);
    if (r.ok !== true) return;
    expect(r.sourceBytes.equals(parseIp('2001:db8::beef')!.bytes)).to.equal(true);
    expect(bytes.readUInt16BE(r.length)).to.equal(0x4242);
    bytes.fill(0); // the result owns its bytes
    expect(r.sourceBytes.equals(parseIp('2001:db8::beef')!.bytes)).to.equal(true);
  });

  it('says no-header as soon as a signature byte differs, at every position', () => {
    for (let i = 0; i < PROXY_V2_SIGNATURE.length; i++) {
      const bytes = header();
      bytes[i] = bytes[i]! ^ 0x40;
      expect(outcome(parseProxyV2(bytes, false)), `byte ${i}`).to.equal('no-header');
      // On a stream, as soon as that byte is in.
      expect(outcome(parseProxyV2(bytes.subarray(0, i + 1), true)), `byte ${i}, stream`).to.equal('no-header');
    }
  });

  it('truncated at every byte offset: incomplete on a stream, bad-header as a datagram', () => {
    const headers = [
      header(),
      header({ familyTransport: 0x21 }),
      header({ familyTransport: 0x22, tlvs: tlv(0x02, 'x') }),
    ];
    for (const h of headers) {
      for (let cut = 0; cut < h.length; cut++) {
        const part = h.subarray(0, cut);
        expect(outcome(parseProxyV2(part, true)), `${cut} of ${h.length}, stream`).to.equal('incomplete');
        expect(outcome(parseProxyV2(part, false)), `${cut} of ${h.length}, datagram`).to.equal(
          cut === 0 ? 'no-header' : 'bad-header',
        );
      }
      expect(outcome(parseProxyV2(h, true))).to.match(/^ok /);
    }
  });

  it('the reader refills one result and follows changing addresses', () => {
    const reader = new ProxyV2Reader();
    const first = reader.read(header({ source: '203.0.113.1' }), false);
    const again = reader.read(header({ source: '203.0.113.1', sourcePort: 7 }), false);
    expect(again).to.equal(first);
    const sequence = ['203.0.113.1', '203.0.113.2', '203.0.113.2', '2001:db8::1', '203.0.113.2', '2001:db8::2'];
    for (const source of sequence) {
      const familyTransport = source.includes(':') ? 0x22 : 0x12;
      const r = reader.read(header({ source, familyTransport }), false);
      expect(outcome(r)).to.equal(outcome(parseProxyV2(header({ source, familyTransport }), false)));
      if (r.ok === true) expect(r.sourceBytes.equals(parseIp(source)!.bytes)).to.equal(true);
    }
  });
});

describe('PROXY v2 address text', () => {
  it('is what Node prints for the same IPv6 address', () => {
    const rng = seeded(5);
    const special = [
      '::',
      '::1',
      '::2',
      '1::',
      '::ffff:1.2.3.4',
      '::1.2.3.4',
      '::0.1.0.0',
      '::ffff:0:1.2.3.4',
      '2001:db8::1:0:0:1',
      '2001:0:0:1::1',
      '0:1:0:1:0:1:0:1',
      'fe80::1',
      '64:ff9b::c000:221',
    ];
    const addrs = special.map((t) => parseIp(t)!.bytes);
    for (let i = 0; i < 3000; i++) {
      // Zeros often, so that runs, ties and the embedded IPv4 forms come up.
      addrs.push(Buffer.from(Array.from({ length: 16 }, () => (rng() < 0.6 ? 0 : Math.floor(rng() * 256)))));
      if (i % 10 === 0)
        addrs.push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, Math.floor(rng() * 256)]));
    }
    for (const b of addrs) {
      const full = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
      expect(ipv6Text(b, 0), full).to.equal(new net.SocketAddress({ address: full, family: 'ipv6' }).address);
    }
  });
});

// ---------- PROXY listeners over real sockets ----------

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface Drop {
  readonly reason: ProxyDropReason;
  readonly transport: Transport;
}

function proxyOptions(from: readonly string[]): ProxyOptions & { drops: Drop[] } {
  const drops: Drop[] = [];
  return { from: CidrSet.parse(from), onDrop: (reason, transport) => drops.push({ reason, transport }), drops };
}

async function proxiedUdp(from = ['127.0.0.1'], handler?: QueryHandler) {
  const echo = peerEchoHandler();
  const proxy = proxyOptions(from);
  const udp = cleanups.track(await startUdp({ host: '127.0.0.1', port: 0, handler: handler ?? echo.handler, proxy }));
  return { port: udp.address().port, seen: echo.seen, drops: proxy.drops };
}

async function proxiedTcp(from = ['127.0.0.1'], idleTimeoutMs = 10_000) {
  const echo = peerEchoHandler();
  const proxy = proxyOptions(from);
  const tcp = cleanups.track(
    await startTcp({ host: '127.0.0.1', port: 0, handler: echo.handler, proxy, idleTimeoutMs }),
  );
  const port = tcp.address().port;
  return { port, seen: echo.seen, drops: proxy.drops, connect: () => TcpClient.connect(cleanups, port) };
}

function idOf(reply: Buffer): number {
  return reply.readUInt16BE(0);
}

describe('PROXY v2 over UDP', () => {
  it("answers for the header's source (IPv4 and IPv6), back to the proxy without a header", async () => {
    const { port, seen, drops } = await proxiedUdp();
    const client = await UdpClient.open(cleanups);
    client.send(Buffer.concat([header({ source: '198.51.100.9', sourcePort: 5555 }), query(0x0a01, 30)]), port);
    const r1 = await client.next();
    expect(idOf(r1)).to.equal(0x0a01);
    expect(peerOf(r1)).to.deep.equal({ address: '198.51.100.9', port: 5555, family: 4 });
    client.send(Buffer.concat([header({ familyTransport: 0x22, source: '2001:db8::99' }), query(0x0a02)]), port);
    expect(peerOf(await client.next())).to.deep.equal({ address: '2001:db8::99', port: 40000, family: 6 });
    // The handler saw the DNS message alone, not the header.
    expect(seen.map((s) => [s.msg.length, s.msg.readUInt16BE(0), s.transport])).to.deep.equal([
      [30, 0x0a01, 'udp'],
      [12, 0x0a02, 'udp'],
    ]);
    expect(drops).to.deep.equal([]);
  });

  // [what, datagram, reason]
  const dropped: Array<[string, Buffer, ProxyDropReason]> = [
    ['no header', query(0x0b01), 'no-header'],
    [
      'a bad signature',
      Buffer.concat([Buffer.from('\r\n\r\n\0\r\nQUIT!'), header().subarray(12), query(1)]),
      'no-header',
    ],
    [
      'a version 1 text header',
      Buffer.concat([Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), query(1)]),
      'no-header',
    ],
    ['LOCAL', Buffer.concat([header({ versionCommand: 0x20 }), query(1)]), 'local'],
    ['a truncated header', header().subarray(0, 20), 'bad-header'],
    ['a length past the datagram', header({ declared: 200 }), 'bad-header'],
    [
      'AF_UNIX',
      Buffer.concat([header({ familyTransport: 0x32, block: Buffer.alloc(216) }), query(1)]),
      'unsupported-family',
    ],
  ];
  for (const [what, datagram, reason] of dropped) {
    it(`drops ${what} without a reply: ${reason}`, async () => {
      const { port, seen, drops } = await proxiedUdp();
      const client = await UdpClient.open(cleanups);
      client.send(datagram, port);
      // Loopback keeps order: the next reply is the good query's, so the bad one got none.
      client.send(Buffer.concat([header(), query(0x0c0c)]), port);
      expect(idOf(await client.next())).to.equal(0x0c0c);
      expect(drops).to.deep.equal([{ reason, transport: 'udp' }]);
      expect(seen).to.have.length(1);
    });
  }

  it('drops datagrams from a source not in from, before reading them', async () => {
    const { port, seen, drops } = await proxiedUdp(['127.0.0.2', '10.0.0.0/8']);
    const foreign = await UdpClient.open(cleanups, '127.0.0.1');
    const proxy = await UdpClient.open(cleanups, '127.0.0.2');
    foreign.send(Buffer.concat([header(), query(0x0d01)]), port);
    foreign.send(query(0x0d02), port);
    await until('two drops', () => drops.length === 2, 2000, 5);
    proxy.send(Buffer.concat([header(), query(0x0d03)]), port);
    expect(idOf(await proxy.next())).to.equal(0x0d03);
    expect(drops).to.deep.equal([
      { reason: 'source-not-allowed', transport: 'udp' },
      { reason: 'source-not-allowed', transport: 'udp' },
    ]);
    expect(seen.map((s) => s.msg.readUInt16BE(0))).to.deep.equal([0x0d03]);
    foreign.send(query(0x0d04), port); // nothing came back to the foreign source meanwhile
    await until('a third drop', () => drops.length === 3, 2000, 5);
    await expectNoUdpReply(foreign);
  });

  it('a plain listener does not honour a header: the handler sees the raw bytes and the real peer', async () => {
    const echo = peerEchoHandler();
    const udp = cleanups.track(await startUdp({ host: '127.0.0.1', port: 0, handler: echo.handler }));
    const client = await UdpClient.open(cleanups);
    const bytes = Buffer.concat([header(), query(1)]);
    client.send(bytes, udp.address().port);
    const reply = await client.next();
    expect(peerOf(reply)).to.include({ address: '127.0.0.1', family: 4 });
    expect(echo.seen[0]!.msg.equals(bytes)).to.equal(true);
  });
});

async function expectNoUdpReply(client: UdpClient): Promise<void> {
  // A negative check: a reply would have crossed loopback in well under this.
  let got: Buffer | null = null;
  await client.next(150).then(
    (r) => (got = r),
    () => {},
  );
  expect(got, 'no reply').to.equal(null);
}

describe('PROXY v2 over TCP', () => {
  it("header and query in one write: the header's source is the connection's peer", async () => {
    const { connect, seen, drops } = await proxiedTcp();
    const c = await connect();
    c.socket.write(
      Buffer.concat([
        header({ familyTransport: 0x11, source: '198.51.100.4', sourcePort: 1234 }),
        frame(query(1)),
        frame(query(2)),
      ]),
    );
    const replies = await c.waitFrames(2);
    expect(replies.map((r) => [idOf(r), peerOf(r)])).to.deep.equal([
      [1, { address: '198.51.100.4', port: 1234, family: 4 }],
      [2, { address: '198.51.100.4', port: 1234, family: 4 }],
    ]);
    c.send(query(3)); // later messages too
    expect(peerOf((await c.waitFrames(3))[2]!).address).to.equal('198.51.100.4');
    expect(seen.every((s) => s.transport === 'tcp')).to.equal(true);
    expect(drops).to.deep.equal([]);
  });

  it('a header split across writes, byte by byte into the first message, IPv6', async () => {
    const { connect } = await proxiedTcp();
    const c = await connect();
    const bytes = Buffer.concat([
      header({ familyTransport: 0x21, source: '2001:db8::abcd', tlvs: tlv(0x02, 'x') }),
      frame(query(7, 20)),
    ]);
    for (let i = 0; i < 60; i++) {
      c.socket.write(bytes.subarray(i, i + 1));
      await peerHasRead(c.socket); // each byte its own read
    }
    c.socket.write(bytes.subarray(60));
    const [reply] = await c.waitFrames(1);
    expect(peerOf(reply!)).to.deep.equal({ address: '2001:db8::abcd', port: 40000, family: 6 });
  });

  it('the header alone first, the queries later', async () => {
    const { connect } = await proxiedTcp();
    const c = await connect();
    c.socket.write(header({ familyTransport: 0x11 }));
    await peerHasRead(c.socket);
    c.send(query(9));
    expect(peerOf((await c.waitFrames(1))[0]!).address).to.equal('203.0.113.7');
  });

  // [what, bytes, reason]
  const dropped: Array<[string, Buffer, ProxyDropReason]> = [
    ['no header', frame(query(1)), 'no-header'],
    [
      'a bad signature',
      Buffer.concat([Buffer.from('\r\n\r\n\0\r\nQUIT\r'), header().subarray(12), frame(query(1))]),
      'no-header',
    ],
    ['a version 1 text header', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'no-header'],
    [
      'LOCAL',
      Buffer.concat([header({ versionCommand: 0x20, familyTransport: 0, block: Buffer.alloc(0) }), frame(query(1))]),
      'local',
    ],
    ['a declared length over 1024', header({ familyTransport: 0x11, declared: 1025 }), 'bad-header'],
    [
      'AF_UNSPEC',
      Buffer.concat([header({ familyTransport: 0x00, block: Buffer.alloc(0) }), frame(query(1))]),
      'unsupported-family',
    ],
  ];
  for (const [what, bytes, reason] of dropped) {
    it(`closes a connection with ${what}, no reply: ${reason}`, async () => {
      const { connect, seen, drops } = await proxiedTcp();
      const c = await connect();
      c.socket.write(bytes);
      await c.waitClosed();
      expect(c.frames).to.have.length(0);
      expect(seen).to.have.length(0);
      expect(drops).to.deep.equal([{ reason, transport: 'tcp' }]);
    });
  }

  it('a truncated header: counted once when the client gives up, or when the idle timeout ends it', async () => {
    const { connect, drops } = await proxiedTcp(['127.0.0.1'], 300);
    const quitter = await connect();
    quitter.socket.write(header().subarray(0, 20));
    await peerHasRead(quitter.socket);
    quitter.socket.end();
    await quitter.waitClosed();
    await until('the drop of the quitter', () => drops.length === 1, 2000, 5);
    expect(drops).to.deep.equal([{ reason: 'bad-header', transport: 'tcp' }]);

    const staller = await connect();
    const silent = await connect();
    staller.socket.write(header().subarray(0, 15));
    const started = Date.now();
    await staller.waitClosed();
    await silent.waitClosed();
    expect(Date.now() - started).to.be.within(150, 1500);
    await until('two more drops', () => drops.length === 3, 2000, 5);
    expect(
      drops
        .slice(1)
        .map((d) => d.reason)
        .sort(),
    ).to.deep.equal(['bad-header', 'no-header']);
  });

  it('destroys a connection from a source not in from at accept, counted once', async () => {
    const { port, drops, seen } = await proxiedTcp(['127.0.0.2']);
    const foreign = await TcpClient.connect(cleanups, port, '127.0.0.1', '127.0.0.1');
    foreign.socket.write(Buffer.concat([header({ familyTransport: 0x11 }), frame(query(1))]));
    await foreign.waitClosed();
    const allowed = await TcpClient.connect(cleanups, port, '127.0.0.1', '127.0.0.2');
    allowed.socket.write(Buffer.concat([header({ familyTransport: 0x11 }), frame(query(2))]));
    expect(idOf((await allowed.waitFrames(1))[0]!)).to.equal(2);
    expect(drops).to.deep.equal([{ reason: 'source-not-allowed', transport: 'tcp' }]);
    expect(seen).to.have.length(1);
  });

  it('a plain listener does not honour a header: the handler sees the raw bytes and the real peer', async () => {
    const echo = peerEchoHandler();
    const tcp = cleanups.track(await startTcp({ host: '127.0.0.1', port: 0, handler: echo.handler }));
    const c = await TcpClient.connect(cleanups, tcp.address().port);
    const bytes = Buffer.concat([header({ familyTransport: 0x11 }), query(1)]);
    c.send(bytes);
    const [reply] = await c.waitFrames(1);
    expect(peerOf(reply!)).to.include({ address: '127.0.0.1', family: 4 });
    expect(echo.seen[0]!.msg.equals(bytes)).to.equal(true);
  });
});

describe('PROXY v2 listeners (startListeners)', () => {
  it('serves UDP and TCP with the header, beside a plain listener, and applies no per-client gate', async () => {
    const echo = peerEchoHandler();
    const proxy = proxyOptions(['127.0.0.1', '::1']);
    const gate = localGate(1);
    const refused: string[] = [];
    const opts = { gate, onRefused: (why: string) => refused.push(why) };
    const plain = cleanups.track(await startListeners([{ host: '127.0.0.1', port: 0 }], echo.handler, opts));
    const proxied = cleanups.track(
      await startListeners(
        [
          { host: '127.0.0.1', port: 0 },
          { host: '::1', port: 0 },
        ],
        echo.handler,
        { ...opts, proxy },
      ),
    );
    for (const { host, port } of proxied.endpoints) {
      const u = await UdpClient.open(cleanups, host);
      u.send(Buffer.concat([header({ source: '198.51.100.1' }), query(1)]), port, host);
      expect(peerOf(await u.next()).address).to.equal('198.51.100.1');
      // Two connections at once from the one proxy address, with a gate of one per client.
      const a = await TcpClient.connect(cleanups, port, host);
      const b = await TcpClient.connect(cleanups, port, host);
      for (const [c, source] of [
        [a, '198.51.100.2'],
        [b, '198.51.100.3'],
      ] as const) {
        c.socket.write(Buffer.concat([header({ familyTransport: 0x11, source }), frame(query(2))]));
        expect(peerOf((await c.waitFrames(1))[0]!).address).to.equal(source);
      }
    }
    expect(gate.tracked).to.equal(0);
    // The plain listener keeps its gate and never reads a header.
    const port = plain.endpoints[0]!.port;
    const first = await TcpClient.connect(cleanups, port);
    first.send(query(3));
    await first.waitFrames(1);
    const second = await TcpClient.connect(cleanups, port);
    await second.waitClosed();
    expect(refused).to.deep.equal(['per-client']);
    expect(proxy.drops).to.deep.equal([]);
  });
});
