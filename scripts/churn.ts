// Health churn generator: publishes N endpoint state changes per second into Redis as three agents
// would (flipping synthetic targets up and down, and moving the RTT of the node's real targets), to
// measure what churn costs the query path. usage: node dist/scripts/churn.js --redis URL --prefix P
//   [--rate 1000] [--seconds 10]
import { Redis } from 'ioredis';
import { keys as keysFor, decodePlan, PROTOCOL_VERSION } from '../health/redis-protocol.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const url = arg('redis', 'redis://127.0.0.1:6379');
const prefix = arg('prefix', 'gslb:');
const rate = Number(arg('rate', '1000'));
const seconds = Number(arg('seconds', '10'));
const k = keysFor(prefix);
const r = new Redis(url);

const planKeys: string[] = [];
for (const key of await r.keys(k.planPattern())) {
  const d = decodePlan(await r.get(key), key);
  if (d.ok) for (const t of d.value.targets) planKeys.push(t.key);
}
const agents = ['churn-a', 'churn-b', 'churn-c'];
const synthetic = Array.from({ length: 1000 }, (_, i) => `web|10.${i >> 8}.${i & 255}.1|80|churn`);
const batch = Math.max(1, Math.round(rate / 100));
let sent = 0;
let n = 0;
const t0 = Date.now();
console.log(
  `churn: ${rate} changes/s for ${seconds} s (${planKeys.length} real targets, ${synthetic.length} synthetic)`,
);
while (Date.now() - t0 < seconds * 1000) {
  const agent = agents[n % agents.length]!;
  const results: Record<string, unknown> = {};
  for (let i = 0; i < batch; i++, n++) {
    const real = planKeys.length > 0 && n % 10 === 0;
    const key = real ? planKeys[n % planKeys.length]! : synthetic[n % synthetic.length]!;
    results[key] = { up: real ? true : n % 2 === 0, rttMs: 5 + (n % 50), reason: 'churn', since: Date.now() };
  }
  await r.publish(
    k.reportsChannel,
    JSON.stringify({ v: PROTOCOL_VERSION, agent, datacenter: 'dc-churn', at: Date.now(), results }),
  );
  await r.set(
    k.agent(agent),
    JSON.stringify({ v: PROTOCOL_VERSION, agent, datacenter: 'dc-churn', at: Date.now(), targets: 1 }),
    'PX',
    5000,
  );
  sent += batch;
  const due = t0 + (sent / rate) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((res) => setTimeout(res, wait));
}
console.log(`churn: published ${sent} changes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (const a of agents) await r.del(k.agent(a));
r.disconnect();
