// The worker half of `gslb serve --workers N`: serve the shared ports, or tell the primary why not.
import { workerAttach, workerFatal } from '../cluster.js';
import type { ListenAddress } from '../listen-address.js';
import { startListeners, type ListenerOptions } from '../listeners.js';
import type { DnsNode } from '../node.js';
import { EXIT_CANNOT_START, StartupError } from './startup-error.js';
import { onStopSignals } from './stop-requests.js';

/**
 * A worker's run. The primary decides when to stop and to reload: a terminal's Ctrl-C or hangup
 * reaches the whole process group, workers included, and must not take them away behind its back.
 * A start that fails is reported to the primary, which prints it once and stops the others; the
 * worker then exits 1 (a bug also leaves its stack trace on stderr).
 */
export async function asWorker(run: () => Promise<number>): Promise<number> {
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  try {
    return await run();
  } catch (err) {
    if (err instanceof StartupError) await workerFatal(err.message, err.details, err.code);
    else {
      process.stderr.write(`gslb serve (worker ${process.pid}): ${(err as Error)?.stack ?? String(err)}\n`);
      await workerFatal(`a worker failed to start: ${(err as Error)?.message ?? String(err)}`);
    }
    process.exit(EXIT_CANNOT_START);
  }
}

export async function runWorker(
  node: DnsNode,
  listen: readonly ListenAddress[],
  opts: ListenerOptions,
  proxyListen: readonly ListenAddress[] = [],
  proxyOpts: ListenerOptions | null = null,
): Promise<number> {
  // A failure here (a port taken since the primary's probe) reaches the primary through the caller.
  const plain = await startListeners([...listen], node.pipeline.handleQuery, opts);
  const proxied =
    proxyOpts && proxyListen.length > 0
      ? await startListeners([...proxyListen], node.pipeline.handleQuery, proxyOpts).catch(async (err: unknown) => {
          await plain.close();
          throw err;
        })
      : null;
  const listeners = {
    shutdown: (ms: number) => Promise.all([plain.shutdown(ms), proxied?.shutdown(ms)]).then(() => undefined),
  };
  workerAttach(node);
  // The primary sends SIGTERM on shutdown, and a supervisor may send its own to the whole group first
  // (systemd's KillMode=control-group): the first starts the drain (in-flight TCP answers finish, up to
  // 5 s), a repeat must not kill the worker mid-drain.
  await new Promise<void>((resolve) => onStopSignals(['SIGTERM'], () => void listeners.shutdown(5000).then(resolve)));
  await node.health.stop();
  // The IPC channel to the primary would keep this process alive: leave explicitly.
  process.exit(0);
}
