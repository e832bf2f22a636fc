// Decision state belongs to the node, checked through a real `gslb serve --workers 2`: the margin
// rule's choice and shed shares are decided once, in the primary, and every worker, the admin API's
// explain and /metrics give the same answer and the same figures. The load figures come from a JSON
// stats document the test serves per datacenter (no Redis, no agent).
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply, tcpExchange, udpExchange } from './helpers/dns.js';
import { gslb, stopAll, type Running } from './helpers/processes.js';
import { until } from './helpers/until.js';

type Explained = {
  chosen: string | null;
  candidates: Array<{ datacenter: string; figure: number | null; load: { connections: number | null } }>;
  shed: { from: string; to: string; share: number } | null;
  steps: string[];
};

describe('gslb serve --workers 2: one steering state per node', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'gslb-steering-'));
  let stats: http.Server;
  let node: Running;
  let port = 0;
  let admin = '';
  const TOKEN = 'steering-workers-test-token';
  /** Active connections per stats document (capacity 100 each). */
  const active: Record<string, number> = { ll1: 0, ll2: 0, shed1: 0, shed2: 0 };

  before(async () => {
    stats = http.createServer((req, res) => {
      const n = active[(req.url ?? '/').slice(1)];
      if (n === undefined) return void res.writeHead(404).end();
      res.end(JSON.stringify({ active: n, max: 100 }));
    });
    await new Promise<void>((r) => stats.listen(0, '127.0.0.1', () => r()));
    const s = `http://127.0.0.1:${(stats.address() as net.AddressInfo).port}`;
    mkdirSync(join(dir, 's.test'));
    writeFileSync(
      join(dir, 's.test', 'records.zone'),
      '$ORIGIN s.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n',
    );
    writeFileSync(
      join(dir, 's.test', 'policy.yaml'),
      `datacenters: { dc1: {}, dc2: {} }
loads:
  app: { type: json, interval: 200ms, timeout: 150ms, smoothing: 0, figures: { connections: active, capacity: max } }
names:
  ll:
    policy: least-loaded
    load: app
    pools:
      dc1: [{ address: 192.0.2.1, load_url: "${s}/ll1" }]
      dc2: [{ address: 192.0.2.2, load_url: "${s}/ll2" }]
  shed:
    policy: failover
    load: app
    shed: { high: 80%, low: 50%, step: 60%, every: 200ms, max: 60% }
    pools:
      dc1: [{ address: 192.0.2.1, load_url: "${s}/shed1" }]
      dc2: [{ address: 192.0.2.2, load_url: "${s}/shed2" }]
`,
    );
    node = gslb(
      [
        'serve',
        '--zones',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--workers',
        '2',
        '--admin',
        '127.0.0.1:0',
        '--no-watch',
        '--log-level',
        'info',
      ],
      { GSLB_ADMIN_TOKEN: TOKEN },
    );
    port = Number((await node.waitFor(/on 127\.0\.0\.1:(\d+) \(udp\+tcp, 2 workers\)/, 20_000))[1]);
    admin = (await node.waitFor(/admin on (http:\/\/\S+)/))[1]!;
  });
  after(async () => {
    await stopAll();
    await new Promise((r) => (stats ? stats.close(r) : r(null)));
    rmSync(dir, { recursive: true, force: true });
  });

  const explain = async (name: string, client = '192.0.2.99'): Promise<Explained> =>
    (await (
      await fetch(`${admin}api/explain?name=${name}&type=A&client=${encodeURIComponent(client)}`)
    ).json()) as Explained;

  /** Polls explain until `ok` holds (the primary has read the figures and decided). */
  async function explainUntil(name: string, ok: (e: Explained) => boolean, what: string): Promise<Explained> {
    let e: Explained | null = null;
    await until(what, async () => ok((e = await explain(name))), 10_000, 100).catch(() => {
      throw new Error(`explain never showed ${what}: ${JSON.stringify(e)}`);
    });
    return e!;
  }

  const DC: Record<string, string> = { '192.0.2.1': 'dc1', '192.0.2.2': 'dc2' };
  /** The datacenter of one answer, over UDP or TCP (each its own socket, so the workers share them). */
  async function answer(name: string, tcp: boolean, ecs?: string): Promise<string> {
    const [ip, prefix] = ecs?.split('/') ?? [];
    const q = buildQuery({
      name,
      ...(ecs
        ? {
            edns: {
              options: [{ code: 8, family: 1, sourcePrefixLength: Number(prefix), scopePrefixLength: 0, ip } as never],
            },
          }
        : {}),
    });
    const raw = tcp ? (await tcpExchange('127.0.0.1', port, [q]))[0] : await udpExchange('127.0.0.1', port, q, 2000);
    if (!raw) throw new Error(`no answer for ${name}`);
    const a = decodeReply(raw).answer[0] ?? '';
    return DC[a.split(' ').pop()!] ?? `? ${a}`;
  }

  it('least-loaded with every figure equal: 30 queries over both workers all answer the datacenter explain names', async () => {
    // dc2 is lower by far: the node chooses it. One query reaches one worker.
    active.ll1 = 20;
    active.ll2 = 0;
    await explainUntil('ll.s.test', (e) => e.chosen === 'dc2', 'dc2 chosen');
    // The primary ships the change to its workers on the poll that made it (20 ms), but a loaded
    // worker may read its IPC after a query already waiting: the answers catch up within moments.
    await until('a worker answering dc2', async () => (await answer('ll.s.test', false)) === 'dc2', 2000, 20);
    // Every figure equal: the margin rule keeps dc2 (the first in order would be dc1 without a choice).
    active.ll1 = 0;
    const e = await explainUntil(
      'll.s.test',
      (x) => x.candidates.every((c) => c.load.connections === 0),
      'every figure at 0',
    );
    expect(e.chosen).to.equal('dc2');
    expect(e.steps.join('\n')).to.match(/not by more than the 10% margin: dc2 keeps serving/);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => answer('ll.s.test', i % 2 === 1)));
    expect(answers.join('')).to.equal('dc2'.repeat(30));
    expect((await explain('ll.s.test')).chosen).to.equal('dc2');
  });

  it("shed load: the primary's /metrics and explain show the share the workers' answers apply", async () => {
    active.shed1 = 90; // above high (80 %): 60 % of dc1's clients go to dc2 at once
    active.shed2 = 10;
    const metric = async (): Promise<number | null> => {
      const text = await (await fetch(`${admin}metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('gslb_shed_share{name="shed.s.test.",datacenter="dc1"}'));
      return line ? Number(line.split(' ').pop()) : null;
    };
    await until('gslb_shed_share 0.6', async () => (await metric()) === 0.6, 10_000, 100);
    // 100 client /24s: each worker answers as explain says, and about 60 % move.
    const subnets = Array.from({ length: 100 }, (_, i) => `10.${i}.${(i * 7) % 256}.0/24`);
    const explained = await Promise.all(subnets.map((s) => explain('shed.s.test', s)));
    for (const [i, e] of explained.entries())
      expect(e.shed, subnets[i]).to.deep.equal({ from: 'dc1', to: 'dc2', share: 0.6 });
    // The workers apply the share with the health message of the poll that made it (as above).
    let served: string[] = [];
    await until(
      'every answer as explain says',
      async () => {
        served = await Promise.all(subnets.map((s, i) => answer('shed.s.test', i % 2 === 1, s)));
        return served.every((d, i) => d === explained[i]!.chosen);
      },
      2000,
      50,
    ).catch(() => expect(served).to.deep.equal(explained.map((e) => e.chosen)));
    expect(served.filter((d) => d === 'dc2').length).to.be.within(40, 80);
    // Below low: the share is given back, in metrics and in answers alike.
    active.shed1 = 10;
    await until('gslb_shed_share 0', async () => (await metric()) === 0, 10_000, 100);
    // The workers apply it with the next health message (every 20 ms at most).
    await until(
      'the first 20 clients answered dc1 again',
      async () =>
        (await Promise.all(subnets.slice(0, 20).map((s, i) => answer('shed.s.test', i % 2 === 1, s)))).every(
          (d) => d === 'dc1',
        ),
      2000,
      50,
    );
    const back = await Promise.all(subnets.map((s, i) => answer('shed.s.test', i % 2 === 1, s)));
    expect(back.filter((d) => d === 'dc2')).to.deep.equal([]);
    expect((await explain('shed.s.test', subnets[0])).shed).to.equal(null);
    // Logged once, by the node (the primary), not once per worker.
    const lines = (node.stderr + node.stdout).split('\n').filter((l) => l.includes('"shedding load"'));
    expect(lines.length).to.equal(1);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { pid: number }).pid))).to.deep.equal(new Set([node.pid]));
  });

  it("the primary's /metrics has each worker's event-loop delay (their reports, once a second)", async () => {
    let values: number[] = [];
    await until(
      'two workers reported',
      async () => {
        const text = await (await fetch(`${admin}metrics`)).text();
        values = text
          .split('\n')
          .filter((l) => l.startsWith('gslb_worker_event_loop_delay_p99_seconds{worker="'))
          .map((l) => Number(l.split(' ').pop()));
        return values.length === 2;
      },
      5000,
      200,
    );
    for (const v of values) expect(v).to.be.within(0, 5);
  });

  it("every worker answers from its node's health state: /metrics shows the primary's epoch for both, after a change too", async () => {
    const epochs = async () => {
      const lines = (await (await fetch(`${admin}metrics`)).text()).split('\n');
      const value = (l: string) => Number(l.split(' ').pop());
      const primary = lines.find((l) => l.startsWith('gslb_health_state_epoch '));
      const workers = lines.filter((l) => l.startsWith('gslb_worker_health_state_epoch{worker="')).map(value);
      return { primary: primary === undefined ? NaN : value(primary), workers };
    };
    let seen = { primary: NaN, workers: [] as number[] };
    const agree = (what: string) =>
      until(
        what,
        async () => {
          seen = await epochs();
          return seen.workers.length === 2 && seen.workers.every((w) => w === seen.primary);
        },
        10_000,
        200,
      ).catch(() => {
        throw new Error(`${what}: ${JSON.stringify(seen)}`);
      });
    await agree('both workers report the primary epoch');
    const before = seen.primary;
    // A drain is a change of state: the primary numbers a new one and ships it to the workers.
    const post = (route: string) =>
      fetch(`${admin}api/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ endpoint: '192.0.2.2' }),
      });
    expect((await post('drain')).status).to.equal(200);
    try {
      await until('a new health state', async () => (await epochs()).primary > before, 10_000, 200);
      await agree('both workers follow the new state');
    } finally {
      expect((await post('undrain')).status).to.equal(200);
    }
  });
});
