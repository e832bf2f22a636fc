// CNAME endpoints (#18 item 6) in what operators read: `gslb explain` (the hosts of each candidate, the
// fallback CNAME step, the answer read back), `gslb simulate` (CNAME names, the fallback CNAME row) and
// the traffic view (the fallback CNAME's target where no datacenter answers).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionTally } from '../server/decisions.js';
import { targetLabels } from '../server/target-labels.js';
import { traffic } from '../server/traffic.js';
import { cityDatabase, makeRig } from './helpers/gslb.js';

const ZONES = 'test/fixtures/cname';

function gslb(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['bin/gslb', ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('CNAME endpoints in explain, simulate and the traffic view', () => {
  let dir = '';
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gslb-cname-tools-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('explain lists the hosts, says CNAME endpoints are down, and reads back the one CNAME', () => {
    // A client in Europe (the fixture's 2.2.3.0/24), asked with every datacenter up and with both down.
    const explain = (...rest: string[]) =>
      gslb('explain', '--zones', ZONES, '--geoip', cityDatabase(), '--client', '2.2.3.0/24', ...rest);
    const up = explain('app.cname.test', 'AAAA');
    expect(up.status, up.out).to.equal(0);
    expect(up.out).to.include(
      '1. eu-west      2/2 usable: eu-1.elb.example.net up (not probed), eu-2.elb.example.net up',
    );
    expect(up.out).to.match(/answer:\n {2}app\.cname\.test\. 60 IN CNAME eu-[12]\.elb\.example\.net\n/);
    const down = explain('--down', 'eu-west', '--down', 'us-east', 'app.cname.test');
    expect(down.status, down.out).to.equal(0);
    expect(down.out).to.include(
      '  - eu-west: no usable CNAME endpoint (eu-1.elb.example.net drained; eu-2.elb.example.net drained)',
    );
    expect(down.out).to.include(
      "  - every candidate is down: fallback 'cname'\n  - answer with the fallback CNAME sorry.example.org",
    );
    expect(down.out).to.include('answer:\n  app.cname.test. 15 IN CNAME sorry.example.org\n');
    expect(down.out).to.include('ecs scope:  /0');
  });

  it('simulate names CNAME names as such and counts the fallback CNAME as its own row', () => {
    const clients = join(dir, 'clients.csv');
    writeFileSync(clients, '2.2.3.0/24,100\n214.78.120.0/24,50\n');
    const args = ['simulate', '--zones', ZONES, '--geoip', cityDatabase(), '--clients', clients, '--name', 'app'];
    args.push('--down', 'eu-west', '--down', 'us-east');
    const r = gslb(...args);
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.include('app.cname.test. (geo, CNAME, 2 client line(s))');
    expect(r.out).to.match(/\(fallback CNAME sorry\.example\.org\) +0 +0\.0% +150 +100\.0%/);
    expect(r.out).to.not.include('NODATA');
    const json = JSON.parse(gslb(...args, '--json').out) as {
      names: Array<{ rows: Array<{ datacenter: string; to: string }> }>;
    };
    expect(json.names[0]!.rows.map((x) => `${x.datacenter} ${x.to}`)).to.include('sorry.example.org cname');
  });

  it('gslb drain takes a cname endpoint by its host name; a name that is no host is a usage error', () => {
    const bad = gslb('drain', '--redis', 'redis://127.0.0.1:1', '--endpoint', 'lb 1.example.net');
    expect([bad.status, bad.out]).to.deep.equal([
      2,
      "gslb drain: --endpoint 'lb 1.example.net' is not an IP address or a cname endpoint's host name [E_CLI_BAD_ADDRESS]\nrun 'gslb drain --help' for the flags\n",
    ]);
    // A host name passes the flag check and goes on to Redis (none listens on port 1: exit 1).
    const host = gslb('drain', '--redis', 'redis://127.0.0.1:1', '--endpoint', 'LB-1.example.net.');
    expect(host.status, host.out).to.equal(1);
    expect(host.out).to.not.include('E_CLI_BAD_ADDRESS');
  });

  it('metrics label a cname target by its host name, and by host and address when probe: moves it', () => {
    const labels = [...targetLabels(makeRig({ zones: ZONES }).catalog).values()].filter((l) => l['check'] === 'web');
    expect(labels.map((l) => l['target'])).to.include.members([
      'eu-1.elb.example.net:80',
      'eu-2.elb.example.net:80',
      'us-1.elb.example.net@127.0.0.1:8080',
      '198.51.100.10:80',
    ]);
  });

  it('the traffic view marks CNAME names and shows the fallback CNAME where no datacenter answers', () => {
    const rig = makeRig({ zones: ZONES });
    const tally = new DecisionTally({ catalog: rig.catalog, onCatalogReplaced: () => {} });
    const now = () =>
      traffic({ catalog: rig.catalog, decisions: tally, health: rig.health, steeringState: rig.steering.view });
    const app = () => now().names.find((n) => n.name === 'app.cname.test.')!;
    expect([app().cname, app().family]).to.deep.equal([true, 4]);
    expect(now().names.find((n) => n.name === 'web.cname.test.')!.cname).to.equal(false);
    expect(app().routes.find((r) => r.clients === 'europe')!.answers).to.deep.equal([
      { datacenter: 'eu-west', outcome: 'primary', shed: null },
    ]);
    rig.health.drain('eu-west');
    rig.health.drain('us-east');
    expect(app().routes.find((r) => r.clients === 'europe')!.answers).to.deep.equal([
      { datacenter: null, outcome: 'fallback', cname: 'sorry.example.org', shed: null },
    ]);
  });
});
