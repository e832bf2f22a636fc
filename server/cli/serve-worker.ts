// The worker half of `gslb serve --workers N`, and choosing port-0 listen ports once in the primary.
import dgram from 'node:dgram';
import net from 'node:net';
import { workerAttach, workerFatal } from '../cluster.js';
import { startListeners, type ListenAddress } from '../listeners.js';
import type { Logger } from '../log.js';
import type { DnsNode } from '../node.js';

/** Replaces port 0 by a port free for both UDP and TCP on that host. */
export async function resolvePorts(addrs: readonly ListenAddress[]): Promise<ListenAddress[]> {
  const out: ListenAddress[] = [];
  for (const a of addrs) {
    if (a.port !== 0) {
      out.push(a);
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      const port = await new Promise<number>((resolve, reject) => {
        const s = net.createServer().listen(0, a.host, () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
        s.on('error', reject);
      });
      const udpFree = await new Promise<boolean>((resolve) => {
        const u = dgram.createSocket(net.isIPv6(a.host) ? 'udp6' : 'udp4');
        u.once('error', () => resolve(false));
        u.bind(port, a.host, () => u.close(() => resolve(true)));
      });
      if (udpFree || attempt > 10) {
        out.push({ host: a.host, port });
        break;
      }
    }
  }
  return out;
}

export async function runWorker(
  node: DnsNode,
  listen: readonly ListenAddress[],
  opts: { log: Logger; idleTimeoutMs: number; maxConnections: number },
): Promise<number> {
  let listeners;
  try {
    listeners = await startListeners([...listen], node.pipeline.handleQuery, opts);
  } catch (err) {
    workerFatal((err as Error).message);
    return 1;
  }
  workerAttach(node);
  // The primary sends SIGTERM on shutdown; finish in-flight TCP answers, then go.
  await new Promise<void>((resolve) => {
    const stop = () => void listeners.shutdown(5000).then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await node.health.stop();
  // The IPC channel to the primary would keep this process alive: leave explicitly.
  process.exit(0);
}
