// Health churn generator: publishes N endpoint state changes per second into Redis as three agents
// would (flipping synthetic targets up and down, and moving the RTT of the node's real targets), to
// measure what churn costs the query path. With --dns-port and --name it also measures staleness:
// meanwhile it turns one real target that NAME's answer depends on down and up again through all three
// agents, each second, and times how long the server's answer takes to follow. With --dnssec it asks
// with DO=1 and counts only signed answers (an answer without an RRSIG over its A records is an error).
// usage: node dist/scripts/churn.js --redis URL --prefix P [--rate 1000] [--seconds 10]
//   [--dns-port PORT --name NAME [--dnssec]]
import { Redis } from 'ioredis';
import { keys as keysFor, decodePlan, PROTOCOL_VERSION } from '../health/redis-protocol.js';
import { queryA, sleep } from './e2e-cluster.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const url = arg('redis', 'redis://127.0.0.1:6379');
const prefix = arg('prefix', 'gslb:');
const rate = Number(arg('rate', '1000'));
const seconds = Number(arg('seconds', '10'));
const dnsPort = Number(arg('dns-port', '0'));
const probeName = arg('name', '');
const dnssec = process.argv.includes('--dnssec');
const k = keysFor(prefix);
const r = new Redis(url);

const planKeys: string[] = [];
for (const key of await r.keys(k.planPattern())) {
  const d = decodePlan(await r.get(key), key);
  if (d.ok) for (const t of d.value.targets) planKeys.push(t.key);
}
const agents = ['churn-a', 'churn-b', 'churn-c'];

/** One report from an agent, with its heartbeat (a quorum counts only agents heard from lately). */
async function report(agent: string, results: Record<string, unknown>): Promise<void> {
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
}

/** Every agent reports `key` up or down. */
async function setTarget(key: string, up: boolean): Promise<void> {
  for (const agent of agents)
    await report(agent, { [key]: { up, rttMs: 5, reason: up ? 'churn' : 'churn: probe down', since: Date.now() } });
}

const answerOf = async (): Promise<string> =>
  ((await queryA(dnsPort, probeName, 500, dnssec)) ?? ['(none)']).sort().join(',');

/** Polls the answer every 5 ms until `done` says yes; ms since t0, or null after 3 s. */
async function follow(t0: number, done: (answer: string) => boolean): Promise<number | null> {
  while (Date.now() - t0 < 3000) {
    if (done(await answerOf())) return Date.now() - t0;
    await sleep(5);
  }
  return null;
}

/** A real target whose verdict changes NAME's answer: each is tried down for up to 1 s before the churn. */
async function findProbeTarget(): Promise<{ key: string; baseline: string } | null> {
  for (const key of planKeys) {
    await setTarget(key, true);
    await sleep(200);
    const baseline = await answerOf();
    await setTarget(key, false);
    const moved = await follow(Date.now(), (a) => a !== baseline && !a.startsWith('(none)'));
    await setTarget(key, true);
    if (moved !== null && moved < 1000 && (await follow(Date.now(), (a) => a === baseline)) !== null)
      return { key, baseline };
  }
  return null;
}

const probe = dnsPort > 0 && probeName !== '' ? await findProbeTarget() : null;
if (dnsPort > 0 && probeName !== '' && !probe) {
  console.error(`churn: no planned target changes the answer for ${probeName}; cannot measure staleness`);
  process.exit(1);
}
// The churn leaves the probe's target to the staleness loop.
if (probe) planKeys.splice(planKeys.indexOf(probe.key), 1);
const synthetic = Array.from({ length: 1000 }, (_, i) => `web|10.${i >> 8}.${i & 255}.1|80|churn`);
const batch = Math.max(1, Math.round(rate / 100));
const t0 = Date.now();
console.log(
  `churn: ${rate} changes/s for ${seconds} s (${planKeys.length} real targets, ${synthetic.length} synthetic)`,
);

/** The churn itself: `batch` changes every 10 ms, agents taking turns. */
async function churn(): Promise<void> {
  let sent = 0;
  let n = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const agent = agents[n % agents.length]!;
    const results: Record<string, unknown> = {};
    for (let i = 0; i < batch; i++, n++) {
      const real = planKeys.length > 0 && n % 10 === 0;
      const key = real ? planKeys[n % planKeys.length]! : synthetic[n % synthetic.length]!;
      results[key] = { up: real ? true : n % 2 === 0, rttMs: 5 + (n % 50), reason: 'churn', since: Date.now() };
    }
    await report(agent, results);
    sent += batch;
    const due = t0 + (sent / rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
  }
  console.log(`churn: published ${sent} changes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Meanwhile: the probe's target down, then up, once a second; how long the answer takes to follow. */
async function staleness(p: { key: string; baseline: string }): Promise<void> {
  const behind: number[] = [];
  let missed = 0;
  for (let up = false; Date.now() - t0 < seconds * 1000 - 1000; up = !up) {
    const t = Date.now();
    await setTarget(p.key, up);
    const ms = await follow(t, (a) => (a === p.baseline) === up);
    if (ms === null) missed++;
    else behind.push(ms);
    await sleep(Math.max(0, 1000 - (Date.now() - t)));
  }
  await setTarget(p.key, true);
  behind.sort((x, y) => x - y);
  const median = behind.length > 0 ? behind[Math.floor(behind.length / 2)]! : NaN;
  console.log(
    `staleness: ${behind.length + missed} health changes of ${p.key}; the answer for ${probeName} followed in` +
      ` median ${median} ms, max ${behind.length > 0 ? behind[behind.length - 1] : NaN} ms` +
      `${missed > 0 ? `; ${missed} not within 3 s` : ''} (from the first agent's report to the answer)`,
  );
}

await Promise.all([churn(), probe ? staleness(probe) : Promise.resolve()]);
for (const a of agents) await r.del(k.agent(a));
r.disconnect();
