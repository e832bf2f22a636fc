// Real Redis for tests: REDIS_URL (default redis://127.0.0.1:6379); when none answers, a redis-server
// started here on a free port if one is on PATH; otherwise the suite is skipped with a visible reason,
// except under CI=true, where a missing Redis fails the run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../scripts/e2e-cluster.js';
import { Redis } from 'ioredis';
import { RedisHealthSource, type RedisSourceOptions } from '../../health/redis-source.js';
import type { PlanTarget } from '../../health/plan-types.js';
import { until } from './until.js';
import { skipOrFail } from './skip.js';

let started: ChildProcess | null = null;
let resolved: Promise<string | null> | null = null;

async function answers(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Starts a throwaway redis-server on a free loopback port; the caller stops it. */
export async function startRedisServer(port?: number): Promise<{ url: string; port: number; proc: ChildProcess }> {
  const p = port ?? (await freePort());
  const proc = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${p}`;
  try {
    await until(`redis-server on port ${p} answers`, () => answers(url), 5000, 100);
  } catch (err) {
    proc.kill();
    throw err;
  }
  return { url, port: p, proc };
}

export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function resolve(): Promise<string | null> {
  const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  if (await answers(url)) return url;
  if (hasRedisServerBinary()) {
    const s = await startRedisServer();
    started = s.proc;
    process.once('exit', () => started?.kill());
    return s.url;
  }
  return null;
}

/** The Redis URL to use, or null (after this.skip()) when there is none. Call from a before() hook. */
export async function redisOrSkip(ctx: Mocha.Context): Promise<string> {
  resolved ??= resolve();
  const url = await resolved;
  if (url) return url;
  return skipOrFail(ctx, 'no Redis: REDIS_URL does not answer and redis-server is not on PATH', 'Redis');
}

/** A key prefix unique to this test, so runs never collide and cleanup is easy. */
export function testPrefix(): string {
  return `gslb-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
}

export async function cleanup(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { retryStrategy: () => null, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, batch] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (batch.length > 0) await r.del(...batch);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/**
 * A DNS node's Redis health source with the tests' timings (an agent counts for 2 s, a 2 s grace,
 * failing open) and its probe plan set; `extra` overrides any option.
 */
export function testNode(
  url: string,
  prefix: string,
  plan: { readonly targets: readonly PlanTarget[]; readonly version: string },
  extra: Partial<RedisSourceOptions> = {},
): RedisHealthSource {
  const node = new RedisHealthSource({
    url,
    prefix,
    nodeId: 'node-a',
    quorum: { quorum: 'majority', maxAgeMs: 2000 },
    graceMs: 2000,
    stalePolicy: 'open',
    ...extra,
  });
  node.setPlan(plan.targets, plan.version);
  return node;
}
