// Drain and undrain through Redis: stored in one hash and announced on a channel so every DNS node
// applies the change within a second. Used by `gslb drain` / `gslb undrain` and the admin API.
import { connect, parseRedisUrl, type RedisEndpoint } from './redis-connect.js';
import { redisConnectionError } from './redis-errors.js';
import { decodeDrain, keys as keysFor, type DrainDoc } from './redis-protocol.js';
import { drainField, type DrainTarget } from './drains.js';

export type { DrainTarget };

/** Runs one job on a short-lived connection that does not retry; a connection failure is described. */
export async function withRedis<T>(
  redis: RedisEndpoint,
  fn: (r: ReturnType<typeof connect>) => Promise<T>,
): Promise<T> {
  const target = parseRedisUrl(redis.url, redis.tls);
  const r = connect(
    { ...target, options: { ...target.options, retryStrategy: () => null, maxRetriesPerRequest: 1 } },
    'gslb-cli',
  );
  // A failed connection fails the command with "Connection is closed."; the error event says why.
  let connectionError: Error | null = null;
  r.on('error', (err: Error) => (connectionError ??= err));
  try {
    return await fn(r);
  } catch (err) {
    throw connectionError ? redisConnectionError(connectionError, target) : err;
  } finally {
    r.disconnect();
  }
}

export async function drain(
  redis: RedisEndpoint,
  prefix: string,
  target: DrainTarget,
  opts: { forMs: number | null; by: string; reason: string },
): Promise<DrainDoc> {
  const k = keysFor(prefix);
  const doc: DrainDoc = {
    until: opts.forMs === null ? null : Date.now() + opts.forMs,
    at: Date.now(),
    by: opts.by,
    reason: opts.reason,
  };
  await withRedis(redis, async (r) => {
    await r.hset(k.drains, drainField(target), JSON.stringify(doc));
    await r.publish(k.drainsChannel, 'changed');
  });
  return doc;
}

export async function undrain(redis: RedisEndpoint, prefix: string, target: DrainTarget): Promise<boolean> {
  const k = keysFor(prefix);
  return withRedis(redis, async (r) => {
    const n = await r.hdel(k.drains, drainField(target));
    await r.publish(k.drainsChannel, 'changed');
    return n > 0;
  });
}

export async function listDrains(redis: RedisEndpoint, prefix: string): Promise<Array<{ field: string } & DrainDoc>> {
  const k = keysFor(prefix);
  return withRedis(redis, async (r) => {
    const raw = await r.hgetall(k.drains);
    const now = Date.now();
    const out: Array<{ field: string } & DrainDoc> = [];
    const expired: string[] = [];
    for (const [field, text] of Object.entries(raw)) {
      const d = decodeDrain(text, field);
      // A malformed entry is skipped here; serving nodes log and count it (status().badMessages).
      if (!d.ok) continue;
      if (d.value.until !== null && d.value.until <= now) expired.push(field);
      else out.push({ field, ...d.value });
    }
    // Expired entries no longer apply anywhere; tidy them up while we are here.
    if (expired.length > 0) await r.hdel(k.drains, ...expired);
    return out;
  });
}
