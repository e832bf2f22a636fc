// The real `gslb serve` process with a City database: load-balanced answers and ECS scopes over UDP
// and TCP on IPv4 and IPv6, `gslb explain` in text and JSON, and the scope property that a resolver
// caching by scope never serves one region's answer to another.
import { freePort } from '../scripts/e2e-cluster.js';
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { ask, type TestServer, type Transport } from './helpers/dns.js';
import { cityDatabase, dcOf, GSLB_ZONES, makeRig, seeded } from './helpers/gslb.js';

const ecs = (address: number[], prefix: number, family = 1) =>
  ({
    code: 8,
    family,
    sourcePrefixLength: prefix,
    scopePrefixLength: 0,
    ip: family === 1 ? address.join('.') : '',
  }) as never;

describe('gslb serve with load-balanced names (real process)', () => {
  let child: ChildProcess;
  let server: TestServer;
  before(async () => {
    const port = await freePort();
    child = spawn(
      process.execPath,
      [
        'bin/gslb',
        'serve',
        '--zones',
        GSLB_ZONES,
        '--geoip',
        cityDatabase(),
        '--listen',
        `127.0.0.1:${port}`,
        '--listen',
        `[::1]:${port}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('serving')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`gslb exited ${code}`)));
    });
    server = { host: '127.0.0.1', port, host6: '::1', port6: port } as TestServer;
  });
  after(() => {
    child.kill('SIGKILL');
  });

  for (const transport of ['udp', 'tcp'] as Transport[]) {
    for (const v6 of [false, true]) {
      it(`${transport} over IPv${v6 ? 6 : 4}: ECS picks the region's datacenter and returns the scope`, async () => {
        const r = await ask(
          server,
          { name: 'www.lb.test', type: 'A', edns: { options: [ecs([81, 2, 69, 142], 31)] } },
          transport,
          v6,
        );
        const addrs = (r.packet.answers ?? []).map((a) => String((a as { data: unknown }).data));
        expect(dcOf(addrs)).to.equal('eu-west');
        const o = r.opt!.options!.find((x) => x['code'] === 8)!;
        expect(o['scopePrefixLength']).to.equal(31);
        expect(o['sourcePrefixLength']).to.equal(31);
        const west = await ask(
          server,
          { name: 'www.lb.test', type: 'A', edns: { options: [ecs([216, 160, 83, 56], 29)] } },
          transport,
          v6,
        );
        expect(dcOf((west.packet.answers ?? []).map((a) => String((a as { data: unknown }).data)))).to.equal('us-west');
      });
    }
  }

  it('explain prints the decision path', () => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/gslb',
        'explain',
        '--zones',
        GSLB_ZONES,
        '--geoip',
        cityDatabase(),
        'www.lb.test',
        'A',
        '--client',
        '216.160.83.56/29',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/client: +216\.160\.83\.56 \(EDNS Client Subnet \/29\)/);
    expect(r.stdout).to.match(/location: +Milton, US-WA, US, NA \(47\.2513, -122\.3149; database\)/);
    expect(r.stdout).to.match(/region: +us-west: subdivision US-WA/);
    expect(r.stdout).to.match(/1\. us-west/);
    expect(r.stdout).to.match(/outcome: +primary \(us-west\)/);
    expect(r.stdout).to.match(/www\.lb\.test\. 30 IN A 192\.0\.2\.2[01]/);
    expect(r.stdout).to.match(/ecs scope: +\/29/);
  });

  it('explain --json, with a datacenter down', () => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/gslb',
        'explain',
        '--zones',
        GSLB_ZONES,
        '--geoip',
        cityDatabase(),
        'www.lb.test',
        'AAAA',
        '--client',
        '81.2.69.142',
        '--down',
        'eu-west',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    const e = JSON.parse(r.stdout);
    expect(e.client).to.deep.include({ source: 'resolver', used: '81.2.69.142' });
    expect(e.location).to.include({ country: 'GB', continent: 'EU', city: 'London' });
    expect(e.region).to.deep.equal({ name: 'europe', why: 'continent EU' });
    expect(e.candidates.map((c: { datacenter: string }) => c.datacenter)).to.deep.equal([
      'eu-west',
      'us-east',
      'ap-south',
      'us-west',
    ]);
    expect(e.chosen).to.equal('us-east');
    expect(e.outcome).to.equal('failover');
    // Failover: the health-aware TTL is ceil(30 / 4) = 8 s while eu-west is down.
    expect(e.answer).to.deep.equal(['www.lb.test. 8 IN AAAA 2001:db8:10::10']);
    expect(e.scope).to.equal(null);
  });

  it('explain rejects a bad client', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/gslb', 'explain', '--zones', GSLB_ZONES, 'www.lb.test', '--client', 'nope'],
      { encoding: 'utf8' },
    );
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--client 'nope'/);
  });
});

describe('ECS scope is never wider than true', () => {
  it('every address inside the returned scope gets the same datacenter (random sample, seeded)', () => {
    const rig = makeRig();
    const rng = seeded(7);
    const bases = [
      '81.2.69.142',
      '89.160.20.128',
      '216.160.83.56',
      '214.0.1.7',
      '2.3.3.9',
      '100.64.9.9',
      '67.43.156.1',
      '149.101.100.3',
    ];
    for (let i = 0; i < 200; i++) {
      const base =
        i < bases.length
          ? bases[i]!
          : [
              1 + Math.floor(rng() * 223),
              Math.floor(rng() * 256),
              Math.floor(rng() * 256),
              Math.floor(rng() * 256),
            ].join('.');
      const r = rig.ask('www.lb.test', 'A', `${base}/32`);
      const dc = dcOf(r.addresses);
      const scope = r.scope!;
      const n = base.split('.').reduce((a, b) => a * 256 + Number(b), 0);
      const size = 2 ** (32 - scope);
      const start = n - (n % size);
      for (let k = 0; k < 8; k++) {
        const m = start + Math.floor(rng() * size);
        const other = [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join('.');
        expect(dcOf(rig.ask('www.lb.test', 'A', `${other}/32`).addresses), `${other} inside ${base}/${scope}`).to.equal(
          dc,
        );
      }
    }
  });
});
