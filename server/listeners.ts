// The DNS listeners: UDP plus TCP on each listen address (listen-address.ts reads them), all or
// nothing; a failure is a ListenError naming the transport, the address and why. Called once for
// the plain addresses and once more, with `proxy`, for the PROXY v2 ones (--proxy-listen).
import { formatListenAddress, type ListenAddress } from './listen-address.js';
import { errnoCode, ListenError } from './listen-error.js';
import { silentLogger, type Logger } from './log.js';
import { startTcp, type TcpListener, type TcpOptions } from './tcp.js';
import type { ProxyOptions, QueryHandler } from './transport-types.js';
import { startUdp, type UdpListener } from './udp.js';

export interface ListenerOptions {
  log?: Logger;
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** Every datagram and connection must carry a PROXY v2 header from an allowed source. */
  proxy?: ProxyOptions;
  /** Per-client TCP admission; not applied with `proxy` (see tcp.ts). */
  gate?: TcpOptions['gate'];
  onRefused?: TcpOptions['onRefused'];
}

export interface Listeners {
  /** The bound addresses, one per requested address, with port 0 resolved to the real port. */
  readonly endpoints: ListenAddress[];
  close(): Promise<void>;
  shutdown(graceMs: number): Promise<void>;
}

/** With port 0 the port UDP got may already be taken for TCP; pick again a few times. */
const EPHEMERAL_ATTEMPTS = 5;

interface Pair {
  udp: UdpListener;
  tcp: TcpListener;
}

export async function startListeners(
  addrs: readonly ListenAddress[],
  handler: QueryHandler,
  opts: ListenerOptions = {},
): Promise<Listeners> {
  const started: Pair[] = [];
  try {
    for (const addr of addrs) started.push(await startPair(addr, handler, opts));
  } catch (err) {
    await closeAll(started);
    throw err;
  }
  const log = opts.log ?? silentLogger;
  const endpoints = started.map((p) => ({ host: p.udp.address().address, port: p.udp.address().port }));
  const what = opts.proxy ? 'listening for PROXY v2 on udp and tcp' : 'listening on udp and tcp';
  log.info({ endpoints: endpoints.map(formatListenAddress) }, what);
  return {
    endpoints,
    close: () => closeAll(started),
    async shutdown(graceMs: number): Promise<void> {
      // UDP has nothing in flight (the handler is synchronous), so only TCP gets the grace period.
      await Promise.all(started.flatMap((p) => [p.udp.close(), p.tcp.shutdown(graceMs)]));
    },
  };
}

/**
 * Binds every address and lets go at once: the quick sure check, before the slow part of a start
 * (health warm-up, forking workers), that serving will be able to bind. Resolves with the addresses
 * bound; with port 0, a port that was free for both UDP and TCP there.
 */
export async function probeListeners(addrs: readonly ListenAddress[]): Promise<ListenAddress[]> {
  const probe = await startListeners(addrs, () => null);
  await probe.close();
  return probe.endpoints;
}

async function closeAll(pairs: readonly Pair[]): Promise<void> {
  await Promise.all(pairs.flatMap((p) => [p.udp.close(), p.tcp.close()]));
}

/** UDP first, then TCP on the same port; with port 0, TCP takes whatever port UDP was given. */
async function startPair(addr: ListenAddress, handler: QueryHandler, opts: ListenerOptions): Promise<Pair> {
  const log = opts.log;
  for (let attempt = 1; ; attempt++) {
    const udp = await startUdp({ host: addr.host, port: addr.port, handler, log, proxy: opts.proxy }).catch(
      (err: unknown) => {
        throw new ListenError('udp', addr, err);
      },
    );
    const port = udp.address().port;
    try {
      const tcp = await startTcp({
        host: addr.host,
        port,
        handler,
        log,
        idleTimeoutMs: opts.idleTimeoutMs,
        maxConnections: opts.maxConnections,
        proxy: opts.proxy,
        gate: opts.gate,
        onRefused: opts.onRefused,
      });
      return { udp, tcp };
    } catch (err) {
      await udp.close();
      const retry = addr.port === 0 && errnoCode(err) === 'EADDRINUSE' && attempt < EPHEMERAL_ATTEMPTS;
      if (!retry) throw new ListenError('tcp', { host: addr.host, port }, err);
    }
  }
}
