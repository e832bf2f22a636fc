// Split tiers, spread and min_up end to end: a real `gslb serve` (default workers) asked over UDP on
// loopback with EDNS Client Subnet. A 90/10 tier split measured over 2,000 client /24s with scope /24
// in every reply; spread: the answer already holds the second datacenter's address before the first
// dies, and no longer holds the dead one after; min_up: 3 of 4 endpoints gone moves the clients on.
// The spread and min_up endpoints are probed by serve's own prober, each at an HTTP backend of its
// own that the test kills (an endpoint dies as in production); one min_up step drains instead.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBackend } from '../scripts/e2e-cluster.js';
import { buildQuery, decodeReply, udpExchange } from './helpers/dns.js';
import { stopAll } from './helpers/processes.js';
import { startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const ZONE = 'sdx.test';
const TOKEN = 'steering-depth-test-token-0123456789';
/** The policy; `probe(address)` is where that endpoint's check connects (its own backend). */
const policy = (probe: (address: string) => string) => {
  const ep = (address: string) => `{ address: ${address}, probe: "${probe(address)}" }`;
  return `datacenters:
  a: {}
  b: {}
  c: {}
checks:
  # Fast probes; two misses in a row, so one slow probe on a busy machine flips nothing.
  web: { type: http, interval: 200ms, timeout: 150ms, jitter: 20ms, rise: 1, fall: 2 }
regions:
  default:
    datacenters: [{ a: 90, b: 10 }, c]
names:
  split:
    pools:
      a: [192.0.2.1]
      b: [192.0.2.2]
      c: [192.0.2.3]
  spread:
    policy: failover
    spread: 2
    max_answers: 3
    check: web
    pools:
      a: [${ep('198.51.100.1')}, ${ep('198.51.100.2')}]
      b: [${ep('198.51.100.3')}, ${ep('198.51.100.4')}]
      c: [${ep('198.51.100.5')}]
  minup:
    min_up: 3
    check: web
    regions: { default: { datacenters: [a, b] } }
    pools:
      a: [${ep('203.0.113.1')}, ${ep('203.0.113.2')}, ${ep('203.0.113.3')}, ${ep('203.0.113.4')}]
      b: [${ep('203.0.113.5')}, ${ep('203.0.113.6')}]
`;
};
const RECORDS = `$ORIGIN ${ZONE}.
$TTL 3600
@ SOA ns1 hostmaster 1 7200 900 1209600 300
  NS ns1
ns1 A 192.0.2.250
`;

interface Answer {
  readonly addresses: string[];
  readonly scope: number | null;
}

/** Asks name A over UDP with ECS subnet/prefix (IPv4). */
async function ask(node: ServeNode, name: string, subnet: string, prefix = 24): Promise<Answer> {
  const msg = buildQuery({
    name: `${name}.${ZONE}`,
    type: 'A',
    edns: {
      options: [{ code: 8, family: 1, sourcePrefixLength: prefix, scopePrefixLength: 0, ip: subnet } as never],
    },
  });
  // A busy machine may drop a datagram: ask again rather than fail the measurement.
  for (let attempt = 0; attempt < 5; attempt++) {
    const raw = await udpExchange('127.0.0.1', node.port, msg, 2000);
    if (raw === null) continue;
    const r = decodeReply(raw);
    const ecs = r.opt?.options?.find((o) => o['code'] === 8);
    return {
      addresses: (r.packet.answers ?? [])
        .filter((a) => a.type === 'A')
        .map((a) => String((a as { data: unknown }).data)),
      scope: ecs ? Number(ecs['scopePrefixLength']) : null,
    };
  }
  throw new Error(`no reply for ${name} from ${subnet}`);
}

async function drain(node: ServeNode, endpoint: string): Promise<void> {
  const res = await fetch(`${node.admin}api/drain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ endpoint, reason: 'test' }),
  });
  expect(res.status, await res.text()).to.equal(200);
}

describe('gslb serve: split tiers, spread and min_up (real process, UDP, ECS)', function () {
  this.timeout(60_000);
  let dir: string;
  let node: ServeNode;
  /** Each probed endpoint's own backend, by its address. */
  const backends = new Map<string, HttpBackend>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-steering-depth-'));
    mkdirSync(join(dir, ZONE));
    const probed = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
    probed.push('203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6');
    for (const address of probed) backends.set(address, await new HttpBackend().start());
    writeFileSync(
      join(dir, ZONE, 'policy.yaml'),
      policy((address) => `127.0.0.1:${backends.get(address)!.port}`),
    );
    writeFileSync(join(dir, ZONE, 'records.zone'), RECORDS);
    node = await startServe(dir, [], false, { GSLB_ADMIN_TOKEN: TOKEN });
  });
  after(async () => {
    await stopAll();
    for (const b of backends.values()) await b.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 90/10 tier splits 2,000 client /24s within 2 points, each reply scoped /24, each subnet sticky', async () => {
    const subnets = Array.from({ length: 2000 }, (_, i) => `10.${i >> 8}.${i & 255}.0`);
    const got = new Map<string, string>();
    for (let i = 0; i < subnets.length; i += 50)
      await Promise.all(
        subnets.slice(i, i + 50).map(async (s) => {
          const r = await ask(node, 'split', s);
          expect(r.scope, s).to.equal(24);
          expect(r.addresses, s).to.have.length(1);
          got.set(s, r.addresses[0]!);
        }),
      );
    const a = [...got.values()].filter((x) => x === '192.0.2.1').length / 2000;
    const b = [...got.values()].filter((x) => x === '192.0.2.2').length / 2000;
    expect(a, `a ${a}, b ${b}`).to.be.within(0.88, 0.92);
    expect(a + b).to.equal(1);
    // Another address inside a /24 gets that /24's datacenter.
    for (const s of subnets.slice(0, 50)) {
      const other = s.replace(/\.0$/, '.77');
      expect((await ask(node, 'split', other, 32)).addresses).to.deep.equal([got.get(s)]);
    }
  });

  it('spread: the answer holds the second datacenter before the first dies, and not the dead one after', async () => {
    const before = await ask(node, 'spread', '10.9.9.0');
    // a's two addresses first, then one of b's.
    expect(before.addresses.slice(0, 2).sort()).to.deep.equal(['198.51.100.1', '198.51.100.2']);
    expect(['198.51.100.3', '198.51.100.4']).to.include(before.addresses[2]);
    // Round robin rotates within each datacenter's places: a's first, b's last, every time.
    for (let i = 0; i < 6; i++) {
      const r = await ask(node, 'spread', '10.9.9.0');
      expect(r.addresses.slice(0, 2).sort()).to.deep.equal(['198.51.100.1', '198.51.100.2']);
      expect(['198.51.100.3', '198.51.100.4']).to.include(r.addresses[2]);
    }
    // a dies: both of its backends stop, and serve's prober finds them down.
    await backends.get('198.51.100.1')!.kill();
    await backends.get('198.51.100.2')!.kill();
    let after: Answer = before;
    await until(
      'the spread answer to leave a',
      async () => {
        after = await ask(node, 'spread', '10.9.9.0');
        return !after.addresses.some((x) => x === '198.51.100.1' || x === '198.51.100.2');
      },
      10_000,
      100,
    );
    // b serves (its two first), c is spread into; the dead datacenter is nowhere.
    expect(after.addresses.slice(0, 2).sort()).to.deep.equal(['198.51.100.3', '198.51.100.4']);
    expect(after.addresses[2]).to.equal('198.51.100.5');
  });

  it('min_up 3: a serves down to 3 of its 4 endpoints; below that its clients move to the next datacenter', async () => {
    const answerOf = async () => (await ask(node, 'minup', '10.20.0.0')).addresses.sort();
    expect(await answerOf()).to.deep.equal(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']);
    await drain(node, '203.0.113.1');
    // 3 of 4 usable: at the threshold, a still serves (the drained one left out).
    await until(
      'a to answer without 203.0.113.1',
      async () => (await answerOf()).join() === '203.0.113.2,203.0.113.3,203.0.113.4',
      10_000,
      100,
    );
    // Two more die: a has 1 of 4 left, below min_up 3.
    await backends.get('203.0.113.2')!.kill();
    await backends.get('203.0.113.3')!.kill();
    await until(
      'clients to move to b',
      async () => (await answerOf()).join() === '203.0.113.5,203.0.113.6',
      10_000,
      100,
    );
    // a's last endpoint is up, but a counts as down: every client is on b (asked until every worker
    // has taken the last drain: a worker follows the primary's health a moment after another).
    await until(
      'twenty client subnets in a row answered by b',
      async () => {
        for (let i = 0; i < 20; i++)
          if ((await ask(node, 'minup', `10.21.${i}.0`)).addresses.sort().join() !== '203.0.113.5,203.0.113.6')
            return false;
        return true;
      },
      10_000,
      100,
    );
  });
});
