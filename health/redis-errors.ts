// Redis connection errors in words an operator can act on (a TLS failure names the certificate
// flag to check), logged once per distinct error rather than on every reconnect attempt.
import type { Redis } from 'ioredis';
import type { HealthLogger } from './log.js';
import type { RedisTarget } from './redis-connect.js';

/** Node's certificate verification codes that mean "Redis's certificate does not chain to a CA we trust". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
]);

/** A hint for a TLS failure, or '' when there is none to give. The code, or (through Sentinel,
 * whose errors only quote the last one) the message, says which. */
function tlsHint(code: string | undefined, message: string, target: RedisTarget): string {
  const is = (codes: readonly string[], text: RegExp) =>
    (code !== undefined && codes.includes(code)) || text.test(message);
  if (
    is([...UNTRUSTED], /self[- ]signed certificate|unable to (get|verify) .*certificate|certificate signature failure/i)
  )
    return "Redis's certificate is not signed by a CA in --redis-tls-ca (GSLB_REDIS_TLS_CA)";
  if (is(['ERR_TLS_CERT_ALTNAME_INVALID'], /Hostname\/IP does not match/i))
    return "Redis's certificate does not name the address in the URL (or, through Sentinel, the one it announces)";
  if (is(['CERT_HAS_EXPIRED'], /certificate has expired/i)) return "Redis's certificate has expired";
  if (is(['CERT_NOT_YET_VALID'], /certificate is not yet valid/i))
    return "Redis's certificate is not valid yet (check the clocks)";
  // A plain Redis port answers a TLS hello with an error line, or waits for the rest of a command.
  if (/wrong version number|packet length too long|socket disconnected before secure TLS/i.test(message))
    return 'is that port plain Redis? use redis:// (sentinel://) for a port without TLS';
  if (is(['ETIMEDOUT'], /ETIMEDOUT/)) return 'no TLS handshake in time: a firewall, or a port without TLS?';
  // Redis drops a TLS client whose certificate it does not accept (or that has none): sometimes with
  // an alert (certificate required, unknown ca), sometimes only a reset, alternately.
  if (is(['ECONNRESET', 'EPIPE'], /ECONNRESET|EPIPE|alert (certificate|unknown ca|bad certificate)/i))
    return target.clientCertificate
      ? 'Redis closed the TLS connection: does it trust the CA that signed --redis-tls-cert?'
      : 'Redis closed the TLS connection: if it asks for client certificates (tls-auth-clients), give --redis-tls-cert and --redis-tls-key';
  return '';
}

/** OpenSSL's `80EC...:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:file:line:...` as its reason. */
const plainMessage = (message: string): string => /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();

/** The error as one line, with what to check when it is a TLS problem; `kind` groups the errors one hint covers. */
export function describeRedisError(err: Error, target: RedisTarget): { text: string; kind: string } {
  const code = (err as NodeJS.ErrnoException).code;
  const message = plainMessage(err.message);
  const hint = target.tls ? tlsHint(code, message, target) : '';
  // Sentinel's message carries its retry delay ("Retrying from scratch after 137ms"): not a new kind.
  return { text: hint ? `${message} (${hint})` : message, kind: hint || message.replace(/[0-9]+/g, 'N') };
}

/**
 * Logs a connection's errors at warn, each kind once until the connection is ready again: with
 * reconnects every 2 s, the same refused connection would otherwise fill the log.
 */
export function logConnectionErrors(redis: Redis, target: RedisTarget, log: HealthLogger): void {
  let last: string | null = null;
  redis.on('ready', () => (last = null));
  redis.on('error', (err: Error) => {
    const { text, kind } = describeRedisError(err, target);
    const line = { redis: target.display, err: text };
    if (kind === last) log.debug(line, 'cannot reach redis; retrying');
    else log.warn(line, 'cannot reach redis; retrying');
    last = kind;
  });
}
