// Measures DNS failover end to end: Redis, two `gslb serve --redis` nodes, three agents (three
// datacenters), HTTP backends. Kills the primary datacenter's backend and times until every node
// answers from the next datacenter, then restores it and times the way back; then shows that a Redis
// outage leaves answers standing and that the nodes resync, and that a cut-off agent moves nothing.
// usage: node dist/scripts/failover.js [--trials N] [--interval MS]
import { fileURLToPath } from 'node:url';
import { Agent } from '../health/agent.js';
import { Cluster, median, queryA, sleep } from './e2e-cluster.js';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const trials = flag('trials', 10);
const intervalMs = flag('interval', 1000);
const gslb = fileURLToPath(new URL('../../bin/gslb', import.meta.url));

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<number> {
  const cluster = new Cluster({
    gslb,
    datacenters: ['dc1', 'dc2', 'dc3'],
    nodes: 2,
    agents: ['dc1', 'dc2', 'dc3'],
    intervalMs,
  });
  let ok = true;
  try {
    await cluster.start();
    console.log(
      `cluster: redis ${cluster.redisUrl}, nodes on ports ${cluster.nodePorts.join(', ')}, 3 agents, check interval ${intervalMs} ms, fall 1, rise 1`,
    );
    await cluster.waitAll(cluster.addressOf('dc1'), 15_000);
    await sleep(2000);
    const fail: number[] = [];
    const back: number[] = [];
    const dc1 = cluster.backends.get('dc1')!;
    for (let t = 1; t <= trials; t++) {
      // Desynchronise from the probe schedule so trials sample its phase.
      await sleep(1000 + Math.random() * intervalMs);
      await dc1.kill();
      fail.push(await cluster.waitAll(cluster.addressOf('dc2'), 10_000));
      await sleep(1000 + Math.random() * intervalMs);
      await dc1.start();
      back.push(await cluster.waitAll(cluster.addressOf('dc1'), 10_000));
      console.log(`trial ${t}: failover ${fmt(fail.at(-1)!)}, recovery ${fmt(back.at(-1)!)}`);
    }
    console.log(
      `failover (backend killed -> every node answers dc2): median ${fmt(median(fail))}, worst ${fmt(Math.max(...fail))}`,
    );
    console.log(
      `recovery (backend back  -> every node answers dc1): median ${fmt(median(back))}, worst ${fmt(Math.max(...back))}`,
    );

    // Redis outage: answers keep coming from the last known state.
    cluster.killRedis();
    let answered = 0;
    let asked = 0;
    for (let i = 0; i < 30; i++) {
      for (const port of cluster.nodePorts) {
        asked++;
        const a = await queryA(port, 'www.e2e.test');
        if (a && a[0] === cluster.addressOf('dc1')) answered++;
      }
      await sleep(100);
    }
    console.log(`redis down for 3 s: ${answered}/${asked} queries answered from the last known state (dc1)`);
    ok &&= answered === asked;
    await cluster.startRedis(cluster.redisPort);
    await sleep(3000);
    await dc1.kill();
    const resync = await cluster.waitAll(cluster.addressOf('dc2'), 15_000);
    console.log(
      `redis restarted: nodes and agents resynced; a failure after that still moved every node in ${fmt(resync)}`,
    );
    await dc1.start();
    await cluster.waitAll(cluster.addressOf('dc1'), 15_000);

    // A cut-off agent: it sees everything down, its own datacenter included.
    const cut = new Agent({
      url: cluster.redisUrl,
      prefix: cluster.prefix,
      datacenter: 'dc1',
      id: 'agent-cut-off',
      runProbe: async () => ({ ok: false, rttMs: 0, reason: 'network unreachable', at: Date.now() }),
    });
    cut.start();
    let moved = 0;
    for (let i = 0; i < 50; i++) {
      for (const port of cluster.nodePorts) {
        const a = await queryA(port, 'www.e2e.test');
        if (!a || a[0] !== cluster.addressOf('dc1')) moved++;
      }
      await sleep(100);
    }
    await cut.stop();
    console.log(`cut-off agent reporting everything down for 5 s: ${moved} answers moved (expected 0)`);
    ok &&= moved === 0;
    const target = { median: 1000, worst: 1500 };
    const within =
      median(fail) <= target.median &&
      Math.max(...fail) <= target.worst &&
      median(back) <= target.median &&
      Math.max(...back) <= target.worst;
    console.log(`targets (median <= 1.0 s, worst <= 1.5 s): ${within ? 'met' : 'NOT met'}`);
  } catch (err) {
    console.error(`failover: ${(err as Error).message}`);
    ok = false;
  } finally {
    await cluster.stop();
  }
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code));
