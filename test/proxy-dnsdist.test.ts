// PROXY protocol v2 on `gslb serve --proxy-listen`: behind Debian's dnsdist (useProxyProtocol=true)
// and with hand-made headers. The zone's regions match client CIDRs, so the answer says which address
// the server took as the client: 127.0.5.0/24 gets datacenter x (192.0.2.5), 127.0.6.0/24 (and ECS
// 10.6.0.0/16) gets y (192.0.2.6), anyone else z (192.0.2.7). What must get nothing gets nothing, and
// is counted by reason in gslb_proxy_dropped_total.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply, type QueryOptions, type Reply } from './helpers/dns.js';
import { cookieOption, cookieTime, ipBytes, replyCookie, rfc9018Cookie } from './helpers/dns-cookies.js';
import { dnsdistVersion, startDnsdist, type Dnsdist } from './helpers/dnsdist.js';
import { toolsOrSkip } from './helpers/dnssec-zone.js';
import { TcpClient, udpAskFrom, udpFlood } from './helpers/loopback-sources.js';
import { stopAll } from './helpers/processes.js';
import { metrics, series, startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const APEX = 'px.test';
const NAME = `www.${APEX}`;
const X = '192.0.2.5';
const Y = '192.0.2.6';
const Z = '192.0.2.7';
const SECRET = '0123456789abcdef0123456789abcdef';
const RATE = 10;

function writeZone(dir: string): void {
  const zone = join(dir, APEX);
  mkdirSync(zone, { recursive: true });
  writeFileSync(
    join(zone, 'records.zone'),
    `$ORIGIN ${APEX}.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n`,
  );
  writeFileSync(
    join(zone, 'policy.yaml'),
    [
      'datacenters:',
      '  x: {}',
      '  y: {}',
      '  z: {}',
      'regions:',
      '  rx:',
      '    match: { cidrs: [127.0.5.0/24] }',
      '    datacenters: [x]',
      '  ry:',
      '    match: { cidrs: [127.0.6.0/24, 10.6.0.0/16] }',
      '    datacenters: [y]',
      '  default:',
      '    datacenters: [z]',
      'names:',
      '  www:',
      '    policy: geo',
      '    ttl: 30',
      '    pools:',
      `      x: [${X}]`,
      `      y: [${Y}]`,
      `      z: [${Z}]`,
      '',
    ].join('\n'),
  );
}

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

interface HeaderOptions {
  readonly command?: 'PROXY' | 'LOCAL';
  readonly transport: 'udp' | 'tcp';
  readonly source: string;
  readonly destination?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  /** Overrides the address family byte's high nibble (1 IPv4, 2 IPv6, 3 UNIX). */
  readonly family?: number;
}

/** A PROXY protocol v2 header (no TLVs). */
function proxyHeader(o: HeaderOptions): Buffer {
  const v6 = o.source.includes(':');
  const ip = ipBytes;
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(o.sourcePort ?? 40000, 0);
  ports.writeUInt16BE(o.destinationPort ?? 53, 2);
  const addresses = Buffer.concat([ip(o.source), ip(o.destination ?? (v6 ? '::1' : '127.0.0.1')), ports]);
  const head = Buffer.alloc(4);
  head[0] = o.command === 'LOCAL' ? 0x20 : 0x21;
  head[1] = ((o.family ?? (v6 ? 2 : 1)) << 4) | (o.transport === 'udp' ? 2 : 1);
  head.writeUInt16BE(addresses.length, 2);
  return Buffer.concat([SIGNATURE, head, addresses]);
}

const query = (o: Partial<QueryOptions> = {}) => buildQuery({ name: NAME, rd: false, ...o });
const ecs = (ip: string, prefix: number) =>
  ({ code: 8, family: 1, sourcePrefixLength: prefix, scopePrefixLength: 0, ip }) as never;
const addresses = (r: Reply) => (r.packet.answers ?? []).map((a) => String((a as { data: unknown }).data));

/** A UDP datagram to `port` from `source`: the decoded reply, or null (none within 800 ms). */
async function udpSend(port: number, bytes: Buffer, source = '127.0.0.1', timeoutMs = 800): Promise<Reply | null> {
  const raw = await udpAskFrom(source, port, bytes, timeoutMs);
  return raw ? decodeReply(raw) : null;
}

const dropped = (reason: string, transport: 'udp' | 'tcp') => series('gslb_proxy_dropped_total', { reason, transport });

describe('proxy protocol v2 through gslb serve', function () {
  this.timeout(60_000);
  let dir: string;
  /** --proxy-from 127.0.0.1/32 (default workers), with a cookie secret and RRL. */
  let node: ServeNode;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-proxy-'));
    writeZone(dir);
    node = await startServe(dir, [
      '--proxy-listen',
      '127.0.0.1:0',
      '--proxy-from',
      '127.0.0.1/32',
      '--cookie-secret',
      SECRET,
      '--rrl-rate',
      String(RATE),
    ]);
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('hand-made headers', () => {
    it("UDP: the header's source decides the answer", async () => {
      for (const [source, want] of [
        ['127.0.5.1', X],
        ['127.0.6.1', Y],
        ['192.0.2.200', Z],
      ] as const) {
        const r = await udpSend(node.proxyPort!, Buffer.concat([proxyHeader({ transport: 'udp', source }), query()]));
        expect(r, `a reply for a header from ${source}`).to.not.equal(null);
        expect(addresses(r!), source).to.deep.equal([want]);
      }
    });

    it('UDP: an IPv6 source in the header is a client too', async () => {
      const r = await udpSend(
        node.proxyPort!,
        Buffer.concat([proxyHeader({ transport: 'udp', source: '2001:db8::1', destination: '2001:db8::53' }), query()]),
      );
      expect(r, 'a reply').to.not.equal(null);
      expect(addresses(r!)).to.deep.equal([Z]);
    });

    it("ECS in the query still wins over the header's source", async () => {
      const r = await udpSend(
        node.proxyPort!,
        Buffer.concat([
          proxyHeader({ transport: 'udp', source: '127.0.5.1' }),
          query({ edns: { options: [ecs('10.6.1.0', 24)] } }),
        ]),
      );
      expect(addresses(r!)).to.deep.equal([Y]);
    });

    it("TCP: one header, then several queries, all answered as the header's source", async () => {
      const tcp = await TcpClient.connect('127.0.0.1', node.proxyPort!);
      tcp.write(proxyHeader({ transport: 'tcp', source: '127.0.6.1' }));
      tcp.send(query({ id: 1 }), query({ id: 2 }), query({ id: 3 }));
      const got: string[][] = [];
      for (let i = 0; i < 3; i++) {
        const raw = await tcp.next();
        if (!raw) break;
        got.push(addresses(decodeReply(raw)));
      }
      tcp.close();
      expect(got).to.deep.equal([[Y], [Y], [Y]]);
    });

    it("cookies are made for the header's source address", async () => {
      const client = Buffer.from('0102030405060708', 'hex');
      const r = await udpSend(
        node.proxyPort!,
        Buffer.concat([
          proxyHeader({ transport: 'udp', source: '127.0.5.1' }),
          query({ edns: { options: [cookieOption(client)] } }),
        ]),
      );
      const c = replyCookie(r!)!;
      const server = c.subarray(8);
      expect(server.toString('hex')).to.equal(
        rfc9018Cookie(Buffer.from(SECRET, 'hex'), client, '127.0.5.1', cookieTime(server)).toString('hex'),
      );
    });

    it("RRL counts the header's source: one flooding header prefix is limited, another is not", async () => {
      const flood = udpFlood({
        source: '127.0.0.1',
        port: node.proxyPort!,
        count: 100,
        spreadMs: 300,
        query: (_i, id) => Buffer.concat([proxyHeader({ transport: 'udp', source: '127.0.7.1' }), query({ id })]),
      });
      await new Promise((r) => setTimeout(r, 50));
      const calm = await udpFlood({
        source: '127.0.0.1',
        port: node.proxyPort!,
        count: Math.max(1, Math.floor(RATE / node.workers) - 1),
        spreadMs: 200,
        query: (_i, id) => Buffer.concat([proxyHeader({ transport: 'udp', source: '127.0.8.1' }), query({ id })]),
      });
      const f = await flood;
      // At most the rate plus what the workers earn during the 300 ms flood (see rrl.test.ts).
      expect(f.full, JSON.stringify({ full: f.full, slipped: f.slipped })).to.be.at.most(RATE + 3);
      expect(f.slipped).to.be.greaterThan(0);
      expect(calm.full).to.equal(calm.sent);
    });

    describe('what gets no reply, counted', () => {
      let baseline: Map<string, number>;
      before(async () => {
        baseline = await metrics(node);
      });

      const header = (o: Partial<HeaderOptions> = {}) => proxyHeader({ transport: 'udp', source: '127.0.5.1', ...o });
      const cases: Array<[string, string, () => Buffer]> = [
        ['no header', 'no-header', () => query()],
        [
          'a bad signature',
          'bad-header',
          () => {
            const h = header();
            h[5] = 0x00;
            return Buffer.concat([h, query()]);
          },
        ],
        [
          'version 1 in the version nibble',
          'bad-header',
          () => {
            const h = header();
            h[12] = 0x11;
            return Buffer.concat([h, query()]);
          },
        ],
        ['a LOCAL command', 'local', () => Buffer.concat([header({ command: 'LOCAL' }), query()])],
        ['a header cut short', 'bad-header', () => header().subarray(0, 20)],
        [
          'a header whose length runs past the datagram',
          'bad-header',
          () => {
            const h = header();
            h.writeUInt16BE(400, 14);
            return Buffer.concat([h, query()]);
          },
        ],
        [
          'an AF_UNIX header',
          'unsupported-family',
          () => {
            const h = header({ family: 3 });
            return Buffer.concat([h, query()]);
          },
        ],
      ];
      for (const [what, , bytes] of cases) {
        it(`UDP: ${what}`, async () => {
          expect(await udpSend(node.proxyPort!, bytes())).to.equal(null);
        });
      }

      it('UDP: a good header from a source --proxy-from does not allow (127.0.0.2)', async () => {
        expect(await udpSend(node.proxyPort!, Buffer.concat([header(), query()]), '127.0.0.2')).to.equal(null);
      });

      it('TCP: no header, or a bad one, closes the connection without a reply', async () => {
        for (const first of [Buffer.alloc(0), Buffer.from('0d0a0d0a000d0a5155495400', 'hex')]) {
          const tcp = await TcpClient.connect('127.0.0.1', node.proxyPort!);
          if (first.length > 0) tcp.write(first);
          tcp.send(query());
          expect(await tcp.next(1500)).to.equal(null);
          expect(await tcp.waitClosed(2000), 'closed by the server').to.equal(true);
          tcp.close();
        }
      });

      it('TCP: a good header from a source not allowed is closed without a reply', async () => {
        const tcp = await TcpClient.connect('127.0.0.2', node.proxyPort!);
        tcp.write(proxyHeader({ transport: 'tcp', source: '127.0.5.1' }));
        tcp.send(query());
        expect(await tcp.next(1500)).to.equal(null);
        tcp.close();
      });

      it('each is counted by reason and transport', async () => {
        // A datagram that does not start with the signature may be counted as no header or as a bad
        // one (the contract does not say which for a damaged signature): those two are summed.
        const reasons = ['no-header|bad-header', 'local', 'unsupported-family', 'source-not-allowed'];
        const want: Record<string, number> = {};
        const key = (reason: string, transport: string) => `${reason} ${transport}`;
        for (const [, reason] of cases) {
          const r = reason === 'no-header' || reason === 'bad-header' ? 'no-header|bad-header' : reason;
          want[key(r, 'udp')] = (want[key(r, 'udp')] ?? 0) + 1;
        }
        want[key('source-not-allowed', 'udp')] = 1;
        want[key('no-header|bad-header', 'tcp')] = 2;
        want[key('source-not-allowed', 'tcp')] = 1;
        let got: Record<string, number> = {};
        const read = async () => {
          const m = await metrics(node);
          const d = (reason: string, transport: 'udp' | 'tcp') =>
            (m.get(dropped(reason, transport)) ?? 0) - (baseline.get(dropped(reason, transport)) ?? 0);
          got = {};
          for (const r of reasons) {
            for (const t of ['udp', 'tcp'] as const) {
              const n = r.split('|').reduce((sum, one) => sum + d(one, t), 0);
              if (n !== 0 || want[key(r, t)] !== undefined) got[key(r, t)] = n;
            }
          }
          return JSON.stringify(got) === JSON.stringify(Object.fromEntries(Object.keys(got).map((k) => [k, want[k]])));
        };
        await until('the drop counters', read, 5000, 200).catch(() => {});
        await new Promise((r) => setTimeout(r, 1100)); // a worker's late report would overshoot
        await read();
        const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort());
        expect(sorted(got)).to.deep.equal(sorted(want));
      });
    });

    it('the plain --listen port never honours a PROXY header', async () => {
      const r = await udpSend(
        node.port,
        Buffer.concat([proxyHeader({ transport: 'udp', source: '127.0.5.1' }), query()]),
      );
      // Read as DNS, the header is garbage: dropped or an error, never the header source's answer.
      if (r) expect(addresses(r)).to.not.include(X);
      const tcp = await TcpClient.connect('127.0.0.1', node.port);
      tcp.write(proxyHeader({ transport: 'tcp', source: '127.0.5.1' }));
      tcp.send(query());
      const raw = await tcp.next(1500);
      tcp.close();
      if (raw) {
        let replied: string[] = [];
        try {
          replied = addresses(decodeReply(raw));
        } catch {
          // not even a DNS message we can read: certainly not an answer for 127.0.5.1
        }
        expect(replied).to.not.include(X);
      }
      // A plain query there is answered as its real source, 127.0.0.1 (default region).
      expect(addresses((await udpSend(node.port, query()))!)).to.deep.equal([Z]);
    });
  });

  describe('behind dnsdist', function () {
    let dd: Dnsdist;
    before(async function () {
      toolsOrSkip(this, ['dnsdist']);
      expect(dnsdistVersion()).to.match(/^dnsdist /);
      dd = await startDnsdist(node.proxyPort!, NAME);
    });
    after(async () => {
      await dd?.stop();
    });

    for (const transport of ['udp', 'tcp'] as const) {
      it(`${transport}: a client at 127.0.5.1 gets x, one at 127.0.6.1 gets y`, async () => {
        for (const [source, want] of [
          ['127.0.5.1', X],
          ['127.0.6.1', Y],
        ] as const) {
          let raw: Buffer | null;
          if (transport === 'udp') raw = await udpAskFrom(source, dd.port, query(), 3000);
          else {
            const tcp = await TcpClient.connect(source, dd.port);
            tcp.send(query());
            raw = await tcp.next(3000);
            tcp.close();
          }
          expect(raw, `a reply through dnsdist for ${source}\n${dd.proc.stdout}`).to.not.equal(null);
          expect(addresses(decodeReply(raw!)), source).to.deep.equal([want]);
        }
      });
    }

    it('ECS in the query still wins through dnsdist', async () => {
      const raw = await udpAskFrom('127.0.5.1', dd.port, query({ edns: { options: [ecs('10.6.1.0', 24)] } }), 3000);
      expect(addresses(decodeReply(raw!))).to.deep.equal([Y]);
    });
  });

  describe('behind dnsdist, with --proxy-from not covering it', function () {
    let strict: ServeNode;
    let dd: Dnsdist;
    before(async function () {
      toolsOrSkip(this, ['dnsdist']);
      strict = await startServe(dir, ['--workers', '1', '--proxy-listen', '127.0.0.1:0', '--proxy-from', '10.0.0.0/8']);
      dd = await startDnsdist(strict.proxyPort!, null);
    });
    after(async () => {
      await dd?.stop();
    });

    it('nothing is answered, and the server counts what it dropped', async () => {
      const baseline = await metrics(strict);
      const raw = await udpAskFrom('127.0.5.1', dd.port, query(), 2500);
      // dnsdist answers nothing, or SERVFAIL on its own once the backend times out; never records.
      if (raw) {
        const r = decodeReply(raw);
        expect(r.rcode).to.equal(2);
        expect(addresses(r)).to.deep.equal([]);
      }
      let n = 0;
      await until(
        'gslb_proxy_dropped_total{reason="source-not-allowed",transport="udp"} to move',
        async () => {
          const m = await metrics(strict);
          n =
            (m.get(dropped('source-not-allowed', 'udp')) ?? 0) -
            (baseline.get(dropped('source-not-allowed', 'udp')) ?? 0);
          return n >= 1;
        },
        3000,
        100,
      ).catch(() => {});
      expect(n).to.be.at.least(1);
    });
  });
});
