// End to end with real processes: Redis, two `gslb serve --redis` nodes, three `gslb agent`s and HTTP
// backends. A killed datacenter moves every node's answer and comes back; a Redis outage leaves
// answers standing and the nodes resync after it. (scripts/failover.ts measures the times.)
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { keys } from '../health/redis-protocol.js';
import { Cluster, queryA, sleep } from '../scripts/e2e-cluster.js';
import { hasRedisServerBinary } from './helpers/redis.js';
import { until } from './helpers/until.js';

/** The node's health state epoch and each worker's, from its /metrics (what a wrong answer came from). */
async function epochs(adminPort: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => /^gslb_(worker_)?health_state_epoch/.test(l))
    .join(', ');
}

describe('end to end: failover through Redis with agents', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  before(async function () {
    if (!hasRedisServerBinary()) {
      if (process.env['CI'] === 'true') throw new Error('redis-server is needed (CI=true)');
      console.warn('    skipped: redis-server is not on PATH');
      this.skip();
    }
    cluster = new Cluster({
      gslb: 'bin/gslb',
      datacenters: ['dc1', 'dc2', 'dc3'],
      nodes: 2,
      agents: ['dc1', 'dc2', 'dc3'],
      intervalMs: 500,
      // Two misses in a row: what is tested is that health flows, not that one slow probe on a busy
      // machine flips a datacenter (CI once saw dc3 answered after every backend was back).
      fall: 2,
      // For the health state epochs of each node and its workers when an answer is not the one expected.
      admin: true,
    });
    await cluster.start();
    await cluster.waitAll(cluster.addressOf('dc1'), 15_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('a datacenter whose backend dies is left by every node, and taken back when it returns', async () => {
    const dc1 = cluster.backends.get('dc1')!;
    for (let trial = 0; trial < 2; trial++) {
      await dc1.kill();
      await cluster.waitAll(cluster.addressOf('dc2'), 5000);
      await dc1.start();
      await cluster.waitAll(cluster.addressOf('dc1'), 5000);
    }
  });

  it('two datacenters down: the third serves; all down: fail open with the first', async () => {
    await cluster.backends.get('dc1')!.kill();
    await cluster.backends.get('dc2')!.kill();
    await cluster.waitAll(cluster.addressOf('dc3'), 5000);
    await cluster.backends.get('dc3')!.kill();
    await cluster.waitAll(cluster.addressOf('dc1'), 5000);
    // Restore in reverse, so each step shows health really flowing (the fail-open answer is dc1 too).
    await cluster.backends.get('dc3')!.start();
    await cluster.waitAll(cluster.addressOf('dc3'), 5000);
    await cluster.backends.get('dc2')!.start();
    await cluster.waitAll(cluster.addressOf('dc2'), 5000);
    await cluster.backends.get('dc1')!.start();
    await cluster.waitAll(cluster.addressOf('dc1'), 5000);
  });

  /**
   * Waits until every node and agent is back on the restarted (empty) Redis: each node has resynced and
   * published its plan again and listens for reports, each agent has sent its full state again.
   */
  async function everyoneBack(): Promise<void> {
    const redis = new Redis(cluster.redisUrl);
    const k = keys(cluster.prefix);
    const nodes = cluster.nodePorts.map((_, i) => `node${i + 1}`);
    const agents = cluster.opts.agents.map((dc) => `agent-${dc}`);
    const wanted = [...nodes.map(k.plan), ...agents.map(k.agent), ...agents.map(k.results)];
    try {
      await until(
        'every node and agent back on the restarted Redis',
        async () => {
          const clients = String(await redis.client('LIST'));
          return (
            (await redis.exists(...wanted)) === wanted.length &&
            nodes.every((n) => clients.includes(` name=gslb-node-${n}-sub `))
          );
        },
        10_000,
        50,
      );
    } finally {
      redis.disconnect();
    }
  }

  it('Redis down: every node keeps answering; Redis back: the nodes resync and follow changes again', async () => {
    // The state the outage must keep: every worker of every node on dc1 (the last test's waitAll saw
    // one answer per node; CI once saw a node answer an older state a moment later).
    await cluster.waitSteady(cluster.addressOf('dc1'), 10_000);
    cluster.killRedis();
    const killedAt = performance.now();
    // A second of answers while the nodes lose Redis and retry (a stretch of time is what is checked).
    for (let i = 0; i < 10; i++) {
      for (const [n, port] of cluster.nodePorts.entries()) {
        // A generous timeout: what is tested is the answer, not how fast a loaded machine gives it.
        const answer = (await queryA(port, 'www.e2e.test', 2000))?.join() ?? 'nothing';
        const when = `${Math.round(performance.now() - killedAt)} ms after Redis was killed`;
        if (answer !== cluster.addressOf('dc1'))
          expect.fail(`node :${port} answered ${answer} ${when}; ${await epochs(cluster.adminPorts[n]!)}`);
      }
      await sleep(100);
    }
    await cluster.startRedis(cluster.redisPort);
    await everyoneBack();
    await cluster.backends.get('dc1')!.kill();
    await cluster.waitAll(cluster.addressOf('dc2'), 10_000);
    await cluster.backends.get('dc1')!.start();
    await cluster.waitAll(cluster.addressOf('dc1'), 10_000);
  });
});
