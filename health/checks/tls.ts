// TLS check: a TCP connect and a full TLS handshake (SNI, certificate verified unless turned off);
// healthy when the handshake completes. A certificate near its end (or past it, unverified) stays up
// with a warning: a TCP check cannot see a backend that accepts and then fails or resets the handshake.
import tls from 'node:tls';
import type { CheckSpec, ProbeResult } from '../probe-types.js';
import { attempt, errorReason } from './common.js';
import { serverName } from './http.js';

const DAY_MS = 86_400_000;

/**
 * What the certificate's end date means for an otherwise passing check: null when it ends warnDays or
 * more from now (or warnDays is 0), else the warning, in days rounded (`certificate expires in 5 days`).
 */
export function expiryWarning(validTo: string, warnDays: number, now: number): string | null {
  const end = Date.parse(validTo);
  if (warnDays <= 0 || Number.isNaN(end) || end - now >= warnDays * DAY_MS) return null;
  const date = new Date(end).toISOString().slice(0, 10);
  const days = (n: number) => (n === 1 ? '1 day' : `${n} days`);
  if (end <= now) {
    const ago = Math.round((now - end) / DAY_MS);
    return `certificate expired ${ago === 0 ? 'today' : `${days(ago)} ago`} (${date})`;
  }
  const left = Math.round((end - now) / DAY_MS);
  return `certificate expires ${left === 0 ? 'within a day' : `in ${days(left)}`} (${date})`;
}

export function tlsProbe(spec: CheckSpec, signal?: AbortSignal): Promise<ProbeResult> {
  let step: 'TCP connect' | 'TLS handshake' = 'TCP connect';
  return attempt(
    spec,
    signal,
    (finish, defer) => {
      const socket = tls.connect({
        host: spec.host,
        port: spec.port,
        servername: serverName(spec.sni, null, spec.host),
        rejectUnauthorized: spec.tlsVerify,
        ...(spec.ca !== null ? { ca: spec.ca } : {}),
      });
      defer(() => socket.destroy());
      socket.once('connect', () => (step = 'TLS handshake'));
      socket.once('secureConnect', () => {
        const protocol = socket.getProtocol() ?? 'TLS';
        const cert = socket.getPeerCertificate();
        const warning = cert.valid_to ? expiryWarning(cert.valid_to, spec.expiryWarnDays, Date.now()) : null;
        // A clean close (close_notify, FIN) rather than a reset for the backend's logs; the deferred
        // destroy stays the backstop for a peer that never closes its side.
        socket.end();
        if (warning === null) finish(true, `${protocol} handshake ok`);
        else finish(true, warning, { text: warning, subject: `certificate ending ${cert.valid_to}` });
      });
      socket.on('error', (err) => {
        const reason = errorReason(err);
        // A reset is the backend failing the handshake, not refusing: the TCP connect was accepted,
        // though a reset right on accept can reach us before our own connect event does.
        const code = (err as { code?: unknown }).code;
        const accepted = step === 'TLS handshake' || code === 'ECONNRESET' || code === 'EPIPE';
        finish(false, accepted && !reason.startsWith('TLS:') ? `${reason} during the TLS handshake` : reason);
      });
    },
    () => `timeout after ${spec.timeoutMs}ms (${step})`,
  );
}
