// `gslb simulate --redis` as an operator runs it (bin/gslb, real Redis): agents' reports written as
// agents write them (the protocol's encoders), a drain through `gslb drain`; the simulation starts
// from that state (a dead endpoint's and a drained datacenter's clients elsewhere, shed load from the
// load figures), says which state it used, and fails fast when Redis cannot be read.
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import { Redis } from 'ioredis';
import { createServer, type Server, type Socket } from 'node:net';
import { isLoadSpec } from '../health/probe-types.js';
import type { ReportedResult } from '../health/quorum.js';
import { parseRedisUrl } from '../health/redis-connect.js';
import { encodeAgent, encodeReports, encodeResult, keys, PROTOCOL_VERSION } from '../health/redis-protocol.js';
import { planFor } from '../server/probe-plan.js';
import { loadZones } from '../zones/load.js';
import { cityDatabase } from './helpers/gslb.js';
import { gslb, stopAll } from './helpers/processes.js';
import { buildQuery, udpExchange } from './helpers/dns.js';
import { cleanup, redisOrSkip, testPrefix } from './helpers/redis.js';
import { startServe } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const ZONES = 'test/fixtures/simulate-live/zones';
const CLIENTS = 'test/fixtures/simulate-live/clients.csv';
const DEAD = '198.51.100.10';
/** Load figures by endpoint: us-east's shop endpoint is past shop's 80% watermark. */
const LOAD: Record<string, { connections: number; capacity: number }> = {
  '192.0.2.20': { connections: 95, capacity: 100 },
  '198.51.100.20': { connections: 10, capacity: 100 },
};

/** The zones' probe plan: what agents probe for a node serving them. */
function plan() {
  const { zones, errors } = loadZones(ZONES);
  expect(errors).to.deep.equal([]);
  return planFor(zones.map((z) => z.policy)).targets;
}

/** What an agent reports for each target of the plan: checks up but the dead endpoint's, load figures. */
function results(now: number): Map<string, ReportedResult> {
  const out = new Map<string, ReportedResult>();
  for (const t of plan()) {
    if (isLoadSpec(t.spec)) {
      const host = new URL(t.spec.url).hostname;
      out.set(t.key, { up: true, rttMs: 2, reason: 'read', since: now - 60_000, ...LOAD[host]! });
    } else {
      const up = t.spec.host !== DEAD;
      out.set(t.key, { up, rttMs: up ? 3 : null, reason: up ? 'HTTP 200' : 'connection refused', since: now - 60_000 });
    }
  }
  return out;
}

/** One agent's heartbeat and results, written as `gslb agent` writes them. */
async function writeAgent(r: Redis, prefix: string, id: string, datacenter: string, at: number, res = results(at)) {
  const k = keys(prefix);
  await r.set(
    k.agent(id),
    encodeAgent({ v: PROTOCOL_VERSION, agent: id, datacenter, at, targets: res.size }),
    'PX',
    60_000,
  );
  await r.hset(k.results(id), Object.fromEntries([...res].map(([key, v]) => [key, encodeResult(v)])));
  await r.pexpire(k.results(id), 60_000);
}

interface Cell {
  weight: number;
}
interface Out {
  health: Record<string, unknown>;
  scenarios: Record<string, { down: string[]; shed: unknown[] }>;
  names: Array<{
    name: string;
    notes: string[];
    rows: Array<{ datacenter: string | null; to: string; now: Cell; down?: Cell }>;
  }>;
}

/** Weight served per datacenter (rows of traffic a datacenter serves; fallback and no-answer rows left out). */
function weights(out: Out, name: string, s: 'now' | 'down' = 'now'): Record<string, number> {
  const n = out.names.find((x) => x.name === name)!;
  return Object.fromEntries(n.rows.filter((r) => r.to === 'served').map((r) => [r.datacenter, r[s]!.weight]));
}

/** The client lines of the fixture: subnet (as ECS), and where each address of the zones is. */
const SUBNETS = ['81.2.69.160/27', '216.160.83.56/29', '214.0.0.0/24'];
const DC_OF: Record<string, string> = {
  '192.0.2.10': 'us-east',
  '198.51.100.10': 'eu-west',
  '203.0.113.10': 'ap-south',
  '192.0.2.20': 'us-east',
  '198.51.100.20': 'eu-west',
};

/** The datacenter a serving node answers `name` with for a client subnet (sent as ECS). */
async function servedBy(port: number, name: string, subnet: string): Promise<string> {
  const [ip, prefix] = subnet.split('/') as [string, string];
  const ecs = { code: 8, family: 1, sourcePrefixLength: Number(prefix), scopePrefixLength: 0, ip };
  const reply = await udpExchange(
    '127.0.0.1',
    port,
    buildQuery({ name, edns: { options: [ecs as unknown as dnsPacket.PacketOpt] } }),
  );
  const a = dnsPacket.decode(reply!).answers!.filter((x) => x.type === 'A');
  const dcs = [...new Set(a.map((x) => DC_OF[String((x as { data: unknown }).data)]))];
  expect(dcs, `${name} for ${subnet}`).to.have.length(1);
  return dcs[0]!;
}

async function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const p = gslb(['simulate', '--zones', ZONES, '--clients', CLIENTS, '--geoip', cityDatabase(), ...args]);
  const status = await p.finished();
  return { status, stdout: p.stdout, stderr: p.stderr, ms: Date.now() - started };
}

describe('gslb simulate --redis (the live state)', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let r: Redis;

  before(async function () {
    url = await redisOrSkip(this);
    r = new Redis(url, { maxRetriesPerRequest: 1 });
  });
  beforeEach(() => (prefix = testPrefix()));
  afterEach(async () => {
    await stopAll();
    await cleanup(url, prefix);
  });
  after(() => r?.disconnect());

  const redisArgs = () => ['--redis', url, '--redis-prefix', prefix];

  it("moves the dead endpoint's and the drained datacenter's clients, sheds from the load figures, and says so", async () => {
    const now = Date.now();
    for (const [id, dc] of [
      ['agent-us', 'us-east'],
      ['agent-eu', 'eu-west'],
      ['agent-ap', 'ap-south'],
    ] as const)
      await writeAgent(r, prefix, id, dc, now);
    const drained = gslb(['drain', '--datacenter', 'ap-south', '--reason', 'maintenance', ...redisArgs()]);
    expect(await drained.finished(), drained.stderr).to.equal(0);

    const text = await run(redisArgs());
    expect(text.status, text.stderr).to.equal(0);
    const display = parseRedisUrl(url).display.replace(/[.]/g, '\\.');
    expect(text.stdout).to.match(
      new RegExp(
        `^health: live from ${display} \\(prefix ${prefix}\\), 3 agents fresh, 1 drain, as of \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`,
        'm',
      ),
    );
    // Every target has a verdict: no line about unreported ones.
    expect(text.stdout).not.to.match(/reported by no fresh agent/);
    expect(text.stdout).to.match(
      /^ {2}note: shed load: us-east gives away 100% of its clients \(utilisation 95\.0%\)$/m,
    );

    const live = JSON.parse((await run(['--json', ...redisArgs()])).stdout) as Out;
    const offline = JSON.parse((await run(['--json'])).stdout) as Out;
    // Without --redis everything is up: London to eu-west, Singapore to ap-south, Washington to us-east.
    expect(offline.health).to.deep.equal({ source: 'assumed-up' });
    expect(weights(offline, 'www.live.test.')).to.deep.equal({ 'us-east': 800, 'eu-west': 1200, 'ap-south': 400 });
    expect(weights(offline, 'shop.live.test.')).to.deep.equal({ 'us-east': 800, 'eu-west': 1600 });
    // Live: eu-west's endpoint is down by every agent, ap-south drained: all of www to us-east.
    expect(weights(live, 'www.live.test.')).to.deep.equal({ 'us-east': 2400, 'eu-west': 0, 'ap-south': 0 });
    // us-east at 95% sheds step by step up to its max: its clients go to eu-west (10% busy).
    expect(weights(live, 'shop.live.test.')).to.deep.equal({ 'us-east': 0, 'eu-west': 2400 });
    expect(live.scenarios['now']!.shed).to.deep.equal([
      { name: 'shop.live.test.', datacenter: 'us-east', share: 1, utilisation: 0.95 },
    ]);
    const h = live.health as {
      source: string;
      redis: string;
      prefix: string;
      at: string;
      agents: Array<{ agent: string; fresh: boolean }>;
      drains: Array<{ field: string; until: string | null }>;
      targets: { planned: number; unreported: number };
    };
    expect(h.source).to.equal('redis');
    expect(h.redis).to.equal(parseRedisUrl(url).display);
    expect(h.prefix).to.equal(prefix);
    expect(Math.abs(Date.parse(h.at) - Date.now())).to.be.below(20_000);
    expect(h.agents.map((a) => [a.agent, a.fresh]).sort()).to.deep.equal([
      ['agent-ap', true],
      ['agent-eu', true],
      ['agent-us', true],
    ]);
    expect(h.drains).to.deep.equal([{ field: 'dc:ap-south', until: null }]);
    expect(h.targets).to.deep.equal({ planned: plan().length, unreported: 0 });

    // --down on top of the live state: us-east down too leaves www nothing (fallback to a down datacenter).
    const down = JSON.parse((await run(['--json', '--down', 'us-east', ...redisArgs()])).stdout) as Out;
    expect(down.scenarios['down']!.down).to.deep.equal(['us-east']);
    expect(weights(down, 'www.live.test.', 'down')['us-east']).to.equal(0);
    // us-east down: it sheds nothing (it has no usable endpoint to read), eu-west takes its clients.
    expect(down.scenarios['down']!.shed).to.deep.equal([]);
    expect(weights(down, 'shop.live.test.', 'down')).to.deep.equal({ 'us-east': 0, 'eu-west': 2400 });
  });

  it('agrees with what a node serving from the same Redis answers each client', async () => {
    const agents = [
      ['agent-us', 'us-east'],
      ['agent-eu', 'eu-west'],
      ['agent-ap', 'ap-south'],
    ] as const;
    for (const [id, dc] of agents) await writeAgent(r, prefix, id, dc, Date.now());
    const drained = gslb(['drain', '--datacenter', 'ap-south', ...redisArgs()]);
    expect(await drained.finished(), drained.stderr).to.equal(0);
    // The agents' heartbeats, as `gslb agent` sends them every second: the node keeps them fresh.
    const beat = setInterval(() => {
      for (const [id, dc] of agents) {
        const message = { v: PROTOCOL_VERSION, agent: id, datacenter: dc, at: Date.now(), results: {} };
        void r.publish(keys(prefix).reportsChannel, encodeReports(message));
      }
    }, 500);
    try {
      const node = await startServe(ZONES, ['--geoip', cityDatabase(), '--workers', '1', ...redisArgs()]);
      // The node steps shop's shed share every second: 50%, then 100%. Simulate shows where it settles.
      await until(
        "the node's shed share at its max",
        async () => (await servedBy(node.port, 'shop.live.test', SUBNETS[1]!)) === 'eu-west',
        10_000,
        100,
      );
      const out = JSON.parse((await run(['--json', ...redisArgs()])).stdout) as Out;
      for (const name of ['www.live.test.', 'shop.live.test.']) {
        const served: Record<string, number> = {};
        for (const [i, subnet] of SUBNETS.entries()) {
          const dc = await servedBy(node.port, name, subnet);
          served[dc] = (served[dc] ?? 0) + [1200, 800, 400][i]!;
        }
        const simulated = Object.fromEntries(Object.entries(weights(out, name)).filter(([, w]) => w > 0));
        expect(simulated, name).to.deep.equal(served);
      }
    } finally {
      clearInterval(beat);
    }
  });

  it('counts agents within --max-age and by --quorum, as serve does', async () => {
    const now = Date.now();
    await writeAgent(r, prefix, 'agent-us', 'us-east', now);
    await writeAgent(r, prefix, 'agent-eu', 'eu-west', now);
    // A third agent, last heard 60 s ago, that sees the dead endpoint up.
    const old = results(now - 60_000);
    for (const [key, v] of old) if (!v.up) old.set(key, { ...v, up: true, rttMs: 4, reason: 'HTTP 200' });
    await writeAgent(r, prefix, 'agent-old', 'ap-south', now - 60_000, old);

    const dflt = await run(redisArgs());
    expect(dflt.status, dflt.stderr).to.equal(0);
    expect(dflt.stdout).to.match(/^health: live from .*, 2 agents fresh \(1 stale, not counted\), 0 drains, as of /m);
    expect(dflt.stdout).to.match(/^ {2}eu-west +0 +0\.0%$/m); // www: London's datacenter is down

    // Within --max-age 2m all three vote: 1 of 3 says up, short of a majority; --quorum 1 is enough.
    const majority = JSON.parse((await run(['--json', '--max-age', '2m', ...redisArgs()])).stdout) as Out;
    expect((majority.health['agents'] as unknown[]).length).to.equal(3);
    expect(weights(majority, 'www.live.test.')['eu-west']).to.equal(0);
    const one = JSON.parse((await run(['--json', '--max-age', '2m', '--quorum', '1', ...redisArgs()])).stdout) as Out;
    expect(weights(one, 'www.live.test.')).to.deep.equal({ 'us-east': 800, 'eu-west': 1200, 'ap-south': 400 });

    const bad = await run(['--quorum', 'most', ...redisArgs()]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/--quorum must be 'majority' or a number of agents \[E_CLI_BAD_VALUE\]/);
  });

  it('reads targets no agent reports as a node does (up), and says how many', async () => {
    const res = await run(redisArgs());
    expect(res.status, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^health: live from .*, 0 agents fresh, 0 drains, as of /m);
    const n = plan().length;
    expect(res.stdout).to.include(
      `health: ${n} of ${n} probe targets reported by no fresh agent: read as up, as a node reads them\n`,
    );
    expect(res.stdout).to.match(/^ {2}eu-west +1200 +50\.0%$/m);
    expect(res.stdout).to.match(/^ {2}note: shed load: no datacenter sheds at the live figures$/m);
  });

  describe('when Redis cannot be read', () => {
    let silent: Server | null = null;
    const sockets = new Set<Socket>();
    afterEach(async () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((done) => (silent ? silent.close(() => done()) : done()));
      silent = null;
    });

    async function listen(server: Server): Promise<number> {
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
      return (server.address() as { port: number }).port;
    }

    it('refused: one line with the code, exit 1, at once', async () => {
      // A port just freed: nothing listens there.
      const probe = createServer();
      const port = await listen(probe);
      await new Promise<void>((done) => probe.close(() => done()));
      const res = await run(['--redis', `redis://127.0.0.1:${port}`]);
      expect(res.status).to.equal(1);
      expect(res.stdout).to.equal('');
      expect(res.stderr.trim().split('\n')).to.have.length(1);
      expect(res.stderr).to.match(/^gslb simulate: redis: .*ECONNREFUSED.* \[E_REDIS_UNREACHABLE\]\n$/);
      expect(res.ms).to.be.below(4000);
      // What the command line gets wrong is said first, without Redis.
      const usage = await run(['--down', 'nowhere', '--redis', `redis://127.0.0.1:${port}`]);
      expect(usage.status).to.equal(2);
      expect(usage.stderr).to.match(/--down 'nowhere': no such datacenter .*\[E_CLI_UNKNOWN_DATACENTER\]/);
    });

    it('connected but silent: gives up after its timeout with the code, never hangs', async () => {
      silent = createServer((s) => sockets.add(s)); // accepts, never answers
      const port = await listen(silent);
      const res = await run(['--redis', `redis://127.0.0.1:${port}`]);
      expect(res.status).to.equal(1);
      expect(res.stderr).to.match(
        /^gslb simulate: redis: no answer from Redis within 5000 ms \[E_REDIS_UNREACHABLE\]\n$/,
      );
      expect(res.ms).to.be.below(12_000);
    });
  });
});
