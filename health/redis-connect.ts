// Opens ioredis connections from one URL: redis:// and rediss:// (TLS) with optional password, or
// sentinel://[:password@]host:port,host:port/MASTER for Redis Sentinel. Reconnects with capped backoff.
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

// ioredis is loaded only when a Redis connection is made: a node without --redis never pays its
// ~20 MB of resident memory.
const require = createRequire(import.meta.url);

export interface RedisTarget {
  readonly options: RedisOptions;
  /** URL without the password, for logs. */
  readonly display: string;
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

/** sentinel://[user:password@]host:port,host:port/MASTER (several hosts: not a WHATWG URL). */
function parseSentinel(url: string): RedisTarget {
  const m = /^sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)\/?([^/?#]*)$/.exec(url);
  if (!m) throw new Error(`sentinel URL '${url}' must be sentinel://[:password@]host:port,host:port/MASTER`);
  const sentinels = m[3]!.split(',').map((hp) => {
    const h = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp);
    if (!h || !h[1]) throw new Error(`sentinel address '${hp}' must be HOST:PORT`);
    return { host: h[1], port: Number(h[2] ?? 26379) };
  });
  const name = m[4];
  const display = `sentinel://${m[3]}/${name ?? ''}`;
  if (!name) throw new Error(`sentinel URL '${display}' needs the master name: sentinel://host:port,host:port/MASTER`);
  const password = m[2] ? decodeURIComponent(m[2]) : undefined;
  const username = m[1] ? decodeURIComponent(m[1]) : undefined;
  return {
    options: {
      ...common(password, username),
      sentinels,
      name,
      sentinelRetryStrategy: reconnectDelay,
      ...(password ? { sentinelPassword: password } : {}),
    },
    display,
  };
}

export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith('sentinel://')) return parseSentinel(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `redis URL '${url}' is not a URL (redis://[:password@]host:port[/db], rediss://..., sentinel://host:port,host:port/master)`,
    );
  }
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const display = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`redis URL scheme '${u.protocol}' is not redis:, rediss: or sentinel:`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`redis URL database '${u.pathname.slice(1)}' is not a number`);
  return {
    options: {
      ...common(password, username),
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 6379,
      db,
      ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    },
    display,
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
