// Opens ioredis connections from one URL: redis:// and rediss:// (TLS) with optional password, or
// sentinel://[:password@]host:port,host:port/MASTER for Redis Sentinel. Reconnects with capped backoff.
import { Redis, type RedisOptions } from 'ioredis';

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

export function parseRedisUrl(url: string): RedisTarget {
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
  const common: RedisOptions = {
    retryStrategy: reconnectDelay,
    maxRetriesPerRequest: null,
    connectTimeout: 2000,
    enableReadyCheck: true,
    ...(password ? { password } : {}),
    ...(username ? { username } : {}),
  };
  const display = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  if (u.protocol === 'sentinel:') {
    // URL puts the first host in u.host; the rest sit in the raw string before the path.
    const hostsPart = url
      .slice(url.indexOf('//') + 2)
      .replace(/^[^@]*@/, '')
      .split('/')[0]!;
    const sentinels = hostsPart.split(',').map((hp) => {
      const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp);
      if (!m) throw new Error(`sentinel address '${hp}' must be HOST:PORT`);
      return { host: m[1]!, port: Number(m[2] ?? 26379) };
    });
    const name = u.pathname.replace(/^\//, '');
    if (!name)
      throw new Error(`sentinel URL '${display}' needs the master name: sentinel://host:port,host:port/MASTER`);
    return { options: { ...common, sentinels, name, sentinelRetryStrategy: reconnectDelay }, display };
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`redis URL scheme '${u.protocol}' is not redis:, rediss: or sentinel:`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`redis URL database '${u.pathname.slice(1)}' is not a number`);
  return {
    options: {
      ...common,
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 6379,
      db,
      ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    },
    display,
  };
}

export function connect(target: RedisTarget, name: string): Redis {
  return new Redis({ ...target.options, connectionName: name });
}
