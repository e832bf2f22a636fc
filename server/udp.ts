// DNS over UDP: one socket per listen address, each datagram handed to the QueryHandler and answered.
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP, type AddressInfo } from 'node:net';
import { silentLogger, type Logger } from './log.js';
import { ProxyV2Reader } from './proxy/proxy-v2.js';
import type { Peer, ProxyOptions, QueryHandler } from './transport-types.js';

export interface UdpOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  log?: Logger;
  /** Every datagram must come from `proxy.from` and start with a PROXY v2 header naming the client. */
  proxy?: ProxyOptions;
}

export interface UdpListener {
  address(): AddressInfo;
  close(): Promise<void>;
}

/** Socket buffers big enough to absorb bursts while the event loop is busy; the kernel may cap them. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the destination of every send(); for IP literals (every client address) answer
 * synchronously instead of paying dns.lookup's nextTick round per reply.
 */
function literalLookup(hostname: string, options: dns.LookupOneOptions, callback: LookupCallback): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
}

export function startUdp(opts: UdpOptions): Promise<UdpListener> {
  const log = opts.log ?? silentLogger;
  const type = isIP(opts.host) === 6 ? 'udp6' : 'udp4';
  // ipv6Only lets 0.0.0.0:N and [::]:N bind side by side as separate sockets.
  const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6', lookup: literalLookup });
  const handler = opts.handler;
  // One peer object per socket, refilled per datagram: the handler answers synchronously and keeps none.
  const peer: { -readonly [K in keyof Peer]: Peer[K] } = { address: '', port: 0, family: type === 'udp6' ? 6 : 4 };

  function onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      peer.address = rinfo.address;
      peer.port = rinfo.port;
      peer.family = rinfo.family === 'IPv6' ? 6 : 4;
      const reply = handler(msg, peer, 'udp');
      // No callback: send failures surface as 'error' events, which are logged below.
      if (reply !== null) socket.send(reply, rinfo.port, rinfo.address);
    } catch (err) {
      log.error({ err, peer: `${rinfo.address}:${rinfo.port}` }, 'udp query failed');
    }
  }

  /** A PROXY listener's handler: separate, so a plain socket never looks for a header. */
  function proxied(proxy: ProxyOptions): (msg: Buffer, rinfo: dgram.RemoteInfo) => void {
    const reader = new ProxyV2Reader();
    return (msg, rinfo) => {
      try {
        if (!proxy.from.hasText(rinfo.address)) {
          proxy.onDrop('source-not-allowed', 'udp');
          return;
        }
        const header = reader.read(msg, false);
        if (header.ok !== true) {
          // A datagram is whole: 'incomplete' never comes back for one.
          proxy.onDrop(header.ok === false ? header.reason : 'bad-header', 'udp');
          return;
        }
        peer.address = header.source;
        peer.port = header.sourcePort;
        peer.family = header.family;
        const reply = handler(msg.subarray(header.length), peer, 'udp');
        // Back to the proxy, without a header: dnsdist matches the reply to its query by the ID.
        if (reply !== null) socket.send(reply, rinfo.port, rinfo.address);
      } catch (err) {
        log.error({ err, peer: `${rinfo.address}:${rinfo.port}` }, 'udp query failed');
      }
    };
  }

  return new Promise((resolve, reject) => {
    const onBindError = (err: Error): void => {
      closeQuietly(socket);
      reject(err);
    };
    socket.once('error', onBindError);
    // In --workers mode every worker shares the primary's socket (cluster hands out one handle).
    socket.bind({ address: opts.host, port: opts.port, exclusive: !cluster.isWorker }, () => {
      socket.off('error', onBindError);
      socket.on('error', (err) => log.warn({ err }, 'udp socket error'));
      socket.on('message', opts.proxy ? proxied(opts.proxy) : onMessage);
      setBufferSizes(socket, log);
      resolve(makeListener(socket));
    });
  });
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed: nothing to release
  }
}

function setBufferSizes(socket: dgram.Socket, log: Logger): void {
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch (err) {
    log.debug({ err }, 'could not enlarge udp socket buffers');
  }
}

function makeListener(socket: dgram.Socket): UdpListener {
  const bound = socket.address();
  let closing: Promise<void> | null = null;
  return {
    address: () => bound,
    close(): Promise<void> {
      closing ??= new Promise((resolve) => socket.close(() => resolve()));
      return closing;
    },
  };
}
