// Test helpers: start the real server on loopback (port 0) and talk to it over real UDP and TCP sockets.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { loadZones } from '../../zones/load.js';
import { compileCatalog } from '../../server/catalog.js';
import { startListeners, type Listeners } from '../../server/listeners.js';
import { createPipeline, type Pipeline, type PipelineOptions } from '../../server/pipeline.js';
import { silentLogger } from '../../server/log.js';
import { openGeo } from '../../server/cli/geo-files.js';
import { StaticHealth } from '../../health/static-health.js';
import type { GeoData } from '../../geo/geoip.js';

const geoCache = new Map<string, GeoData>();
/** GeoIP data is immutable: tests share one compiled copy per set of files. */
export function testGeo(paths: readonly string[] = []): GeoData {
  const key = paths.join('|');
  let g = geoCache.get(key);
  if (!g) {
    g = openGeo(paths);
    geoCache.set(key, g);
  }
  return g;
}

export interface TestServer {
  readonly host: string;
  readonly port: number;
  readonly host6: string;
  readonly port6: number;
  readonly pipeline: Pipeline;
  readonly health: StaticHealth;
  close(): Promise<void>;
}

export interface TestServerOptions extends Partial<PipelineOptions> {
  geoip?: string[];
}

export async function startTestServer(zonesDir: string, opts: TestServerOptions = {}): Promise<TestServer> {
  const loaded = loadZones(zonesDir);
  if (loaded.errors.length > 0) throw new Error(`fixture zones invalid: ${JSON.stringify(loaded.errors)}`);
  const catalog = compileCatalog(loaded.zones, testGeo(opts.geoip));
  const health = new StaticHealth();
  const pipeline = createPipeline(() => catalog, {
    health: () => health.view(),
    ...(opts.rng ? { rng: opts.rng } : {}),
    nsid: opts.nsid ?? null,
    chaos: opts.chaos ?? { identity: 'test-node', version: null },
    log: silentLogger,
  });
  const listeners: Listeners = await startListeners(
    [
      { host: '127.0.0.1', port: 0 },
      { host: '::1', port: 0 },
    ],
    pipeline.handleQuery,
    { idleTimeoutMs: 2000 },
  );
  const [v4, v6] = listeners.endpoints;
  return {
    host: v4!.host,
    port: v4!.port,
    host6: v6!.host,
    port6: v6!.port,
    pipeline,
    health,
    close: () => listeners.close(),
  };
}

export interface QueryOptions {
  name: string;
  type?: string;
  class?: string;
  id?: number;
  rd?: boolean;
  /** Add an OPT record: udp payload size, version, flags, options. */
  edns?: { udpSize?: number; version?: number; options?: dnsPacket.PacketOpt[]; do?: boolean };
}

/** An EDNS Client Subnet option (RFC 7871) for `ADDRESS/PREFIX`, as a client or resolver sends it (scope 0). */
export function ecsOption(subnet: string): dnsPacket.PacketOpt {
  const [ip, prefix] = subnet.split('/') as [string, string];
  return {
    code: 8,
    family: ip.includes(':') ? 2 : 1,
    sourcePrefixLength: Number(prefix),
    scopePrefixLength: 0,
    ip,
  } as unknown as dnsPacket.PacketOpt;
}

export function buildQuery(o: QueryOptions): Buffer {
  const packet: dnsPacket.Packet = {
    type: 'query',
    id: o.id ?? Math.floor(Math.random() * 65535),
    flags: o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [
      {
        name: o.name,
        type: (o.type ?? 'A') as dnsPacket.RecordType,
        class: (o.class ?? 'IN') as dnsPacket.RecordClass,
      },
    ],
  };
  if (o.edns) {
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: o.edns.udpSize ?? 1232,
        extendedRcode: 0,
        ednsVersion: o.edns.version ?? 0,
        flags: o.edns.do ? dnsPacket.DNSSEC_OK : 0,
        options: o.edns.options ?? [],
      } as unknown as dnsPacket.Answer,
    ];
  }
  return dnsPacket.encode(packet);
}

export function udpExchange(host: string, port: number, msg: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, timeoutMs);
    sock.on('message', (reply) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(msg, port, host);
  });
}

/** Sends several framed messages on one TCP connection and collects `expect` replies. */
export function tcpExchange(
  host: string,
  port: number,
  msgs: Buffer[],
  expect = msgs.length,
  timeoutMs = 2000,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(replies);
    }, timeoutMs);
    sock.on('connect', () => {
      sock.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        replies.push(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        sock.destroy();
        resolve(replies);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export type Transport = 'udp' | 'tcp';

export async function exchange(s: TestServer, msg: Buffer, transport: Transport = 'udp', v6 = false): Promise<Buffer> {
  const host = v6 ? s.host6 : s.host;
  const port = v6 ? s.port6 : s.port;
  if (transport === 'udp') {
    const r = await udpExchange(host, port, msg);
    if (!r) throw new Error('no UDP reply');
    return r;
  }
  const [r] = await tcpExchange(host, port, [msg]);
  if (!r) throw new Error('no TCP reply');
  return r;
}

export interface Reply {
  raw: Buffer;
  packet: dnsPacket.DecodedPacket;
  rcode: number;
  aa: boolean;
  tc: boolean;
  ra: boolean;
  rd: boolean;
  opt:
    | (dnsPacket.Answer & {
        udpPayloadSize?: number;
        ednsVersion?: number;
        extendedRcode?: number;
        options?: Array<Record<string, unknown>>;
      })
    | undefined;
  answer: string[];
  authority: string[];
  additional: string[];
}

function rrText(a: dnsPacket.Answer): string {
  const data = (a as { data?: unknown }).data;
  let d: string;
  if (Buffer.isBuffer(data)) d = data.toString('hex');
  else if (Array.isArray(data)) d = data.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))).join('|');
  else if (typeof data === 'object' && data !== null) d = JSON.stringify(data);
  else d = String(data);
  return `${a.name.toLowerCase()} ${(a as { ttl?: number }).ttl ?? 0} ${a.type} ${d}`;
}

export function decodeReply(raw: Buffer): Reply {
  const packet = dnsPacket.decode(raw);
  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT') as Reply['opt'];
  const flags1 = raw[2]!;
  const flags2 = raw[3]!;
  return {
    raw,
    packet,
    rcode: (flags2 & 0x0f) | ((opt?.extendedRcode ?? 0) << 4),
    aa: (flags1 & 0x04) !== 0,
    tc: (flags1 & 0x02) !== 0,
    rd: (flags1 & 0x01) !== 0,
    ra: (flags2 & 0x80) !== 0,
    opt,
    answer: (packet.answers ?? []).map(rrText),
    authority: (packet.authorities ?? []).map(rrText),
    additional: (packet.additionals ?? []).filter((a) => a.type !== 'OPT').map(rrText),
  };
}

export async function ask(s: TestServer, o: QueryOptions, transport: Transport = 'udp', v6 = false): Promise<Reply> {
  return decodeReply(await exchange(s, buildQuery(o), transport, v6));
}
