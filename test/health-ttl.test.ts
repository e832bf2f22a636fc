// The health-aware TTL through the real `gslb serve`: a node that has just started answers with the
// name's full TTL (its first verdicts are not health changes); a real flip shortens it, and explain
// says why.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBackend } from '../scripts/e2e-cluster.js';
import { ask, type TestServer } from './helpers/dns.js';
import { serve, stopAll } from './helpers/processes.js';
import { until } from './helpers/until.js';

const RECORDS = `$ORIGIN ttl.test.
$TTL 300
@ SOA ns1 host 1 2 3 4 5
  NS ns1
ns1 A 192.0.2.53
`;

const policy = (a: HttpBackend, b: HttpBackend) => `datacenters:
  one: {}
  two: {}
checks:
  web: { type: http, path: /healthz, interval: 200ms, timeout: 200ms, rise: 1, fall: 1 }
names:
  www:
    policy: failover
    ttl: 40
    check: web
    pools:
      one: [{ address: 192.0.2.1, probe: "${a.probe}" }]
      two: [{ address: 192.0.2.2, probe: "${b.probe}" }]
`;

describe('health-aware TTL only on real changes (real process)', function () {
  this.timeout(30_000);
  let dir: string;
  const backends: HttpBackend[] = [];
  let server: TestServer;
  let admin: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-ttl-'));
    const [a, b] = [await new HttpBackend().start(), await new HttpBackend().start()];
    backends.push(a, b);
    mkdirSync(join(dir, 'ttl.test'));
    writeFileSync(join(dir, 'ttl.test', 'records.zone'), RECORDS);
    writeFileSync(join(dir, 'ttl.test', 'names.yaml'), policy(a, b));
    const { node, port } = await serve(['--zones', dir, '--admin', '127.0.0.1:0']);
    admin = `http://${(await node.waitFor(/admin on http:\/\/(\S+)\//))[1]}`;
    server = { host: '127.0.0.1', port } as TestServer;
  });
  after(async () => {
    await stopAll();
    for (const b of backends) await b.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const answer = async () => {
    const r = await ask(server, { name: 'www.ttl.test', type: 'A' }, 'udp');
    const a = (r.packet.answers ?? [])[0] as { data: string; ttl: number };
    return { address: a.data, ttl: a.ttl };
  };
  const explainSteps = async (): Promise<string[]> => {
    const r = await fetch(`${admin}/api/explain?name=www.ttl.test&client=192.0.2.99`);
    return ((await r.json()) as { steps: string[] }).steps;
  };

  it('just after start: the full TTL, and explain gives no health-aware step', async () => {
    expect(await answer()).to.deep.equal({ address: '192.0.2.1', ttl: 40 });
    expect((await explainSteps()).join('\n')).not.to.match(/health-aware/);
  });

  it('a real flip shortens it (ceil(40 / 4) = 10 s) and explain says why', async () => {
    await backends[0]!.kill();
    await until('failed over to 192.0.2.2', async () => (await answer()).address === '192.0.2.2', 5000, 50);
    expect((await answer()).ttl).to.equal(10);
    expect((await explainSteps()).join('\n')).to.match(
      /health-aware TTL: 10 s while a datacenter in the decision is down/,
    );
    await backends[0]!.start();
    await until('back on 192.0.2.1', async () => (await answer()).address === '192.0.2.1', 10_000, 50);
    // Back on its first datacenter, but it changed state moments ago: still short, and said so.
    expect((await answer()).ttl).to.equal(10);
    expect((await explainSteps()).join('\n')).to.match(
      /health-aware TTL: 10 s, an endpoint in the decision changed state/,
    );
  });
});
