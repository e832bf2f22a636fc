// Opens ioredis connections from one URL: redis:// and rediss:// (TLS) with optional password, or
// sentinel://[:password@]host:port,host:port/MASTER for Redis Sentinel (sentinels:// with TLS to the
// sentinels and the master alike). Certificates come in as PEM bytes read at start (RedisTls).
// Reconnects with capped backoff.
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

// ioredis is loaded only when a Redis connection is made: a node without --redis never pays its
// ~20 MB of resident memory.
const require = createRequire(import.meta.url);

/** TLS material for Redis, PEM as read from the files at start. Verification is always on. */
export interface RedisTls {
  /** CA certificates Redis's certificate must chain to; without, Node's built-in CA list. */
  readonly ca?: Buffer;
  /** A client certificate (and its key), for a Redis with `tls-auth-clients yes`. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Where Redis is: its URL, and the TLS material for a rediss:// or sentinels:// URL. */
export interface RedisEndpoint {
  readonly url: string;
  readonly tls?: RedisTls;
}

export interface RedisTarget {
  readonly options: RedisOptions;
  /** URL without the password, for logs. */
  readonly display: string;
  /** Whether the connection is TLS, and whether it offers a client certificate (for error hints). */
  readonly tls: boolean;
  readonly clientCertificate: boolean;
}

/**
 * The URL with any password replaced by `***`, for error messages. The credentials end at the last '@'
 * before the first '/' after the scheme: a password may hold an '@' (`redis://:p@ss@host`).
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)([^/]*)@/i, (_m, scheme: string, auth: string) =>
    auth.includes(':') ? `${scheme}${auth.slice(0, auth.indexOf(':'))}:***@` : `${scheme}***@`,
  );
}

/** Backoff between reconnect attempts: 100 ms doubling to 2 s, with jitter so nodes do not stampede. */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function common(password: string | undefined, username: string | undefined): RedisOptions {
  return {
    retryStrategy: reconnectDelay,
    maxRetriesPerRequest: null,
    connectTimeout: 2000,
    enableReadyCheck: true,
    ...(password ? { password } : {}),
    ...(username ? { username } : {}),
  };
}

/** Node's TLS options from the PEM material (a servername only for a host name: RFC 6066 forbids IPs). */
function tlsOptions(tls: RedisTls | undefined, host?: string): NonNullable<RedisOptions['tls']> {
  return {
    ...(host !== undefined && isIP(host) === 0 ? { servername: host } : {}),
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert } : {}),
    ...(tls?.key ? { key: tls.key } : {}),
  };
}

/**
 * sentinel://[user:password@]host:port,host:port/MASTER (several hosts: not a WHATWG URL).
 * sentinels:// is the same over TLS, to the sentinels and to the master they name, with one set of
 * certificates: the master's certificate must name the address the sentinels announce.
 */
function parseSentinel(url: string, tls: RedisTls | undefined): RedisTarget {
  const m = /^(sentinels?):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)\/?([^/?#]*)$/.exec(url);
  if (!m)
    throw new Error(
      `sentinel URL '${redactUrl(url)}' must be sentinel://[:password@]host:port,host:port/MASTER (sentinels:// for TLS)`,
    );
  const scheme = m[1]!;
  const sentinels = m[4]!.split(',').map((hp) => {
    const h = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp);
    if (!h || !h[1]) throw new Error(`sentinel address '${hp}' must be HOST:PORT`);
    return { host: h[1], port: Number(h[2] ?? 26379) };
  });
  const name = m[5];
  const display = `${scheme}://${m[4]}/${name ?? ''}`;
  if (!name) throw new Error(`sentinel URL '${display}' needs the master name: ${scheme}://host:port,host:port/MASTER`);
  const secure = scheme === 'sentinels';
  const password = m[3] ? decodeURIComponent(m[3]) : undefined;
  const username = m[2] ? decodeURIComponent(m[2]) : undefined;
  return {
    options: {
      ...common(password, username),
      sentinels,
      name,
      sentinelRetryStrategy: reconnectDelay,
      ...(password ? { sentinelPassword: password } : {}),
      // The sentinels and the master are verified by their own address (each a different host).
      ...(secure ? { sentinelTLS: tlsOptions(tls), tls: tlsOptions(tls), enableTLSForSentinelMode: true } : {}),
    },
    display,
    tls: secure,
    clientCertificate: secure && tls?.cert !== undefined,
  };
}

/**
 * The ioredis options for a URL (and, for rediss:// and sentinels://, its TLS material; a plain URL
 * uses none: the command-line flags refuse TLS files with one, before reading them).
 */
export function parseRedisUrl(url: string, tls?: RedisTls): RedisTarget {
  if (/^sentinels?:\/\//.test(url)) return parseSentinel(url, tls);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `redis URL '${redactUrl(url)}' is not a URL (redis://[:password@]host:port[/db], rediss://..., sentinel://host:port,host:port/master)`,
    );
  }
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const display = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`redis URL scheme '${u.protocol}' is not redis:, rediss:, sentinel: or sentinels:`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`redis URL database '${u.pathname.slice(1)}' is not a number`);
  const secure = u.protocol === 'rediss:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    options: {
      ...common(password, username),
      host,
      port: u.port ? Number(u.port) : 6379,
      db,
      ...(secure ? { tls: tlsOptions(tls, host) } : {}),
    },
    display,
    tls: secure,
    clientCertificate: secure && tls?.cert !== undefined,
  };
}

export function connect(target: RedisTarget, name: string): Redis {
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  return new RedisClient({ ...target.options, connectionName: name });
}

/** Every key matching a pattern, by SCAN (never KEYS, which blocks Redis on a big keyspace). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}
