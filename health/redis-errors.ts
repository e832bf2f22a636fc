// Redis connection errors in words an operator can act on (a TLS failure names the certificate
// flag to check), logged once per distinct error rather than on every reconnect attempt.
import type { Redis } from 'ioredis';
import { errorCodes } from '../zones/error-codes.js';
import type { Logger } from './log.js';
import type { RedisTarget } from './redis-connect.js';

/** What a Redis failure is, for the log lines (`code`) and gslb drain's error line. */
export const REDIS_ERRORS = errorCodes({
  E_REDIS_UNREACHABLE: {
    summary: 'Redis cannot be reached: connection refused, timed out, the host unknown, or the connection lost.',
    fix: 'Check that Redis runs and listens at the URL, and the firewall; serve keeps answering from the last health it had.',
  },
  E_REDIS_COMMAND_FAILED: {
    summary: 'Redis was reached but refused the command (authentication, a read-only replica, out of memory).',
    fix: "Read Redis's reply in the message: the password in the URL, the master's address, Redis's memory.",
  },
  E_REDIS_TLS_UNTRUSTED: {
    summary: "Redis's certificate is not signed by a CA in --redis-tls-ca (or the system's CAs without it).",
    fix: 'Give the CA that signed the Redis certificate with --redis-tls-ca.',
  },
  E_REDIS_TLS_NAME_MISMATCH: {
    summary: "Redis's certificate does not name the address in the URL (or, through Sentinel, the one it announces).",
    fix: 'Connect by a name or address the certificate lists, or reissue it with that name.',
  },
  E_REDIS_TLS_EXPIRED: {
    summary: "Redis's certificate has expired.",
    fix: 'Renew the certificate on the Redis side.',
  },
  E_REDIS_TLS_NOT_YET_VALID: {
    summary: "Redis's certificate is not valid yet.",
    fix: "Check the clocks of this machine and Redis's (chrony, NTP).",
  },
  E_REDIS_NOT_TLS: {
    summary: 'A rediss:// (or sentinels://) URL points at a port that does not speak TLS.',
    fix: 'Use redis:// (sentinel://) for a port without TLS, or the TLS port of Redis.',
  },
  E_REDIS_TLS_TIMEOUT: {
    summary: 'The TLS handshake with Redis did not finish in time.',
    fix: 'Check the firewall, and that the port speaks TLS.',
  },
  E_REDIS_TLS_CLIENT_REFUSED: {
    summary: 'Redis closed the TLS connection: it wants a client certificate, or does not trust the one given.',
    fix: 'Give --redis-tls-cert and --redis-tls-key, signed by a CA Redis trusts (tls-ca-cert-file).',
  },
});

export type RedisErrorCode = keyof typeof REDIS_ERRORS;

/** A connection to Redis that failed, as one line with its code (gslb drain prints it). */
export class RedisConnectionError extends Error {
  constructor(
    readonly code: RedisErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Node's certificate verification codes that mean "Redis's certificate does not chain to a CA we trust". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
]);

type Hint = { readonly hint: string; readonly code: RedisErrorCode };

/** A hint for a TLS failure, or null when there is none to give. The code, or (through Sentinel,
 * whose errors only quote the last one) the message, says which. */
function tlsHint(code: string | undefined, message: string, target: RedisTarget): Hint | null {
  const is = (codes: readonly string[], text: RegExp) =>
    (code !== undefined && codes.includes(code)) || text.test(message);
  if (
    is([...UNTRUSTED], /self[- ]signed certificate|unable to (get|verify) .*certificate|certificate signature failure/i)
  )
    return {
      hint: "Redis's certificate is not signed by a CA in --redis-tls-ca (GSLB_REDIS_TLS_CA)",
      code: 'E_REDIS_TLS_UNTRUSTED',
    };
  if (is(['ERR_TLS_CERT_ALTNAME_INVALID'], /Hostname\/IP does not match/i))
    return {
      hint: "Redis's certificate does not name the address in the URL (or, through Sentinel, the one it announces)",
      code: 'E_REDIS_TLS_NAME_MISMATCH',
    };
  if (is(['CERT_HAS_EXPIRED'], /certificate has expired/i))
    return { hint: "Redis's certificate has expired", code: 'E_REDIS_TLS_EXPIRED' };
  if (is(['CERT_NOT_YET_VALID'], /certificate is not yet valid/i))
    return { hint: "Redis's certificate is not valid yet (check the clocks)", code: 'E_REDIS_TLS_NOT_YET_VALID' };
  // A plain Redis port answers a TLS hello with an error line, or waits for the rest of a command.
  if (/wrong version number|packet length too long|socket disconnected before secure TLS/i.test(message))
    return {
      hint: 'is that port plain Redis? use redis:// (sentinel://) for a port without TLS',
      code: 'E_REDIS_NOT_TLS',
    };
  if (is(['ETIMEDOUT'], /ETIMEDOUT/))
    return { hint: 'no TLS handshake in time: a firewall, or a port without TLS?', code: 'E_REDIS_TLS_TIMEOUT' };
  // Redis drops a TLS client whose certificate it does not accept (or that has none): sometimes with
  // an alert (certificate required, unknown ca), sometimes only a reset, alternately.
  if (is(['ECONNRESET', 'EPIPE'], /ECONNRESET|EPIPE|alert (certificate|unknown ca|bad certificate)/i))
    return {
      hint: target.clientCertificate
        ? 'Redis closed the TLS connection: does it trust the CA that signed --redis-tls-cert?'
        : 'Redis closed the TLS connection: if it asks for client certificates (tls-auth-clients), give --redis-tls-cert and --redis-tls-key',
      code: 'E_REDIS_TLS_CLIENT_REFUSED',
    };
  return null;
}

/** OpenSSL's `80EC...:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:file:line:...` as its reason. */
const plainMessage = (message: string): string => /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();

/**
 * A connection error as one line, with what to check when it is a TLS problem; `kind` groups the
 * errors one hint covers; `code` is from REDIS_ERRORS.
 */
export function describeRedisError(
  err: Error,
  target: RedisTarget,
): { text: string; kind: string; code: RedisErrorCode } {
  const errno = (err as NodeJS.ErrnoException).code;
  const message = plainMessage(err.message);
  const tls = target.tls ? tlsHint(errno, message, target) : null;
  if (tls) return { text: `${message} (${tls.hint})`, kind: tls.hint, code: tls.code };
  // Sentinel's message carries its retry delay ("Retrying from scratch after 137ms"): not a new kind.
  return { text: message, kind: message.replace(/[0-9]+/g, 'N'), code: 'E_REDIS_UNREACHABLE' };
}

/** The coded error for a connection that failed (what a one-off command such as gslb drain throws). */
export function redisConnectionError(err: Error, target: RedisTarget): RedisConnectionError {
  const { text, code } = describeRedisError(err, target);
  return new RedisConnectionError(code, text);
}

/**
 * Logs a connection's errors at warn, each kind once until the connection is ready again: with
 * reconnects every 2 s, the same refused connection would otherwise fill the log.
 */
export function logConnectionErrors(redis: Redis, target: RedisTarget, log: Logger): void {
  let last: string | null = null;
  redis.on('ready', () => (last = null));
  redis.on('error', (err: Error) => {
    const { text, kind, code } = describeRedisError(err, target);
    const line = { redis: target.display, err: text, code };
    if (kind === last) log.debug(line, 'cannot reach redis; retrying');
    else log.warn(line, 'cannot reach redis; retrying');
    last = kind;
  });
}
