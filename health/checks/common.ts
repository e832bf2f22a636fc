// Shared probe plumbing: one settle-once attempt with a timeout, abort and cleanup, and short error reasons.
import { performance } from 'node:perf_hooks';
import type { ProbeResult, ProbeWarning } from '../probe-types.js';

/** Settles the attempt; `warning`: the probe passed, but something needs the operator (a certificate ending). */
export type Finish = (ok: boolean, reason: string, warning?: ProbeWarning) => void;
/** Registers cleanup (destroy sockets) run once the attempt settles; runs at once if it already has. */
export type Defer = (cleanup: () => void) => void;

/**
 * Runs one probe: `run` opens sockets and calls finish exactly when it knows the answer. The timer and
 * an abort both finish it too; every deferred cleanup then runs, so nothing outlives the attempt.
 * Only the timeout is read from the spec, so other bounded requests (load reads) use it too.
 * `timeoutReason` says what a timeout interrupted, when the probe has more than one step.
 */
export function attempt(
  spec: { readonly timeoutMs: number },
  signal: AbortSignal | undefined,
  run: (finish: Finish, defer: Defer) => void,
  timeoutReason: () => string = () => `timeout after ${spec.timeoutMs}ms`,
): Promise<ProbeResult> {
  const at = Date.now();
  const t0 = performance.now();
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    const cleanups: Array<() => void> = [];
    const runCleanups = (): void => {
      for (const c of cleanups.splice(0)) {
        try {
          c();
        } catch {
          // A failing cleanup must not keep the others from running.
        }
      }
    };
    const onAbort = (): void => finish(false, 'aborted');
    const finish: Finish = (ok, reason, warning) => {
      if (done) return;
      done = true;
      const rttMs = performance.now() - t0;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      runCleanups();
      resolve(Object.freeze(warning === undefined ? { ok, rttMs, reason, at } : { ok, rttMs, reason, at, warning }));
    };
    const defer: Defer = (cleanup) => {
      cleanups.push(cleanup);
      if (done) runCleanups();
    };
    // The timer is the one thing bounding a probe to a blackhole; it destroys the sockets via cleanup.
    const timer = setTimeout(() => finish(false, timeoutReason()), spec.timeoutMs);
    if (signal?.aborted) return finish(false, 'aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      run(finish, defer);
    } catch (err) {
      finish(false, errorReason(err));
    }
  });
}

const CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'connect timeout',
};

/** Certificate and handshake failures: reported as `TLS: ...`. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_|^ERR_SSL_|^ERR_TLS_|^EPROTO$/;

/** A short human reason for a socket, TLS or HTTP parser error. */
export function errorReason(err: unknown): string {
  if (!(err instanceof Error)) return `probe error: ${String(err)}`;
  const e = err as Error & { code?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'ECONNRESET' && e.message === 'socket hang up') return 'connection closed without a response';
  const known = CODES[code];
  if (known) return known;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'TLS: certificate name mismatch';
  // OpenSSL errors carry a short `reason` ('wrong version number'); node's cert errors a short message.
  if (TLS_CODE.test(code)) return `TLS: ${typeof e.reason === 'string' ? e.reason : e.message}`;
  if (code.startsWith('HPE_')) return 'invalid HTTP response';
  return `probe error: ${e.message}`;
}
