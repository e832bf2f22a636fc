// `gslb simulate` as an operator runs it (bin/gslb, the test City database): geo, weighted and hashed
// splits, --down, capacity flags and exit codes, bad client lines, --json and --name; and the split
// agrees with what the server answers each client.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClients } from '../server/simulate/clients.js';
import { cityDatabase, dcOf, makeRig } from './helpers/gslb.js';

const ZONES = 'test/fixtures/simulate/zones';
const CLIENTS = 'test/fixtures/simulate/clients.csv';
const SUBNETS = 'test/fixtures/simulate/subnets.csv';
const DCS = ['us-east', 'eu-west', 'ap-south'];

function simulate(...args: string[]) {
  return spawnSync(process.execPath, ['bin/gslb', 'simulate', '--zones', ZONES, '--geoip', cityDatabase(), ...args], {
    encoding: 'utf8',
  });
}

interface Cell {
  weight: number;
  share: number;
}
interface JsonRow {
  datacenter: string | null;
  to: string;
  now: Cell;
  down?: Cell;
}

function json(...args: string[]) {
  const r = simulate('--json', ...args);
  expect(r.stderr).to.equal('');
  return { status: r.status, out: JSON.parse(r.stdout) };
}

/** Weight per datacenter for one name, in one scenario. */
function weights(out: { names: Array<{ name: string; rows: JsonRow[] }> }, name: string, s: 'now' | 'down') {
  const n = out.names.find((x) => x.name === name)!;
  return Object.fromEntries(n.rows.map((r) => [r.datacenter ?? r.to, r[s]!.weight]));
}

/** What the server answers each client of a file for sim.test's `label` (ECS = the client's subnet), per datacenter. */
function served(file: string, label: string, down: string[] = []) {
  const name = `${label}.sim.test`;
  const rig = makeRig({ zones: ZONES, geoip: [cityDatabase()] });
  for (const dc of down) rig.health.drain(dc);
  const out: Record<string, number> = Object.fromEntries(DCS.map((d) => [d, 0]));
  for (const c of parseClients(readFileSync(file, 'utf8'), file).clients) {
    if (c.name !== null && c.name !== label && c.name !== `${name}.`) continue;
    const subnet = c.subnet.includes('/') ? c.subnet : `${c.subnet}/${c.family === 4 ? 32 : 128}`;
    out[dcOf(rig.ask(name, 'A', subnet).addresses)]! += c.weight;
  }
  return out;
}

describe('gslb simulate', () => {
  it('splits a geo name by the clients region; without --down only "now"; exit 0 under capacity', () => {
    const r = simulate('--clients', CLIENTS, '--name', 'www');
    expect(r.status, r.stderr).to.equal(0);
    // Europe (London, Sweden, Germany over IPv6) -> eu-west; Americas -> us-east; Singapore, Melbourne -> ap-south.
    expect(r.stdout).to.match(/^ {2}us-east +1300 +37\.1%$/m);
    expect(r.stdout).to.match(/^ {2}eu-west +1600 +45\.7%$/m);
    expect(r.stdout).to.match(/^ {2}ap-south +600 +17\.1%$/m);
    expect(r.stdout).to.match(/^ {2}us-east +2500 +1300 +37\.1% +52\.0% of capacity$/m);
    expect(r.stdout).not.to.match(/down/);
    expect(r.stdout).to.match(/no datacenter over capacity/);
  });

  it('--down moves a region to its next datacenter and flags capacity with exit 3', () => {
    const r = simulate('--clients', CLIENTS, '--name', 'www', '--down', 'eu-west');
    expect(r.status, r.stderr).to.equal(3);
    expect(r.stdout).to.match(/^ {2}us-east +1300 +37\.1% +2900 +82\.9%$/m);
    expect(r.stdout).to.match(/^ {2}eu-west +1600 +45\.7% +0 +0\.0%$/m);
    expect(r.stdout).to.match(
      /^ {2}us-east +2500 +1300 +37\.1% +52\.0% of capacity +2900 +82\.9% +OVER CAPACITY \(116\.0%\)$/m,
    );
    expect(r.stdout).to.match(/over capacity: us-east with eu-west down \(exit code 3\)/);
  });

  it('agrees with what the server answers each client (geo, IPv4 and IPv6 clients)', () => {
    const { out } = json('--clients', CLIENTS, '--name', 'www', '--down', 'ap-south');
    expect(weights(out, 'www.sim.test.', 'now')).to.deep.equal(served(CLIENTS, 'www'));
    expect(weights(out, 'www.sim.test.', 'down')).to.deep.equal(served(CLIENTS, 'www', ['ap-south']));
  });

  it('weighted: the expected split by the healthy datacenters weights', () => {
    const { status, out } = json('--clients', CLIENTS, '--name', 'api.sim.test', '--down', 'eu-west');
    expect(status).to.equal(3);
    const rows: JsonRow[] = out.names[0].rows;
    expect(rows).to.deep.equal([
      { datacenter: 'us-east', to: 'served', now: { weight: 2475, share: 0.75 }, down: { weight: 3300, share: 1 } },
      { datacenter: 'eu-west', to: 'served', now: { weight: 825, share: 0.25 }, down: { weight: 0, share: 0 } },
    ]);
  });

  it('hashed: each /24 sticks to the same datacenter as serve; a --down moves only the down datacenter clients', () => {
    // Weights are powers of two: a datacenter's weight is the set of subnets it serves.
    for (const down of DCS) {
      const { out } = json('--clients', SUBNETS, '--name', 'sticky', '--down', down);
      const now = weights(out, 'sticky.sim.test.', 'now');
      const after = weights(out, 'sticky.sim.test.', 'down');
      expect(now).to.deep.equal(served(SUBNETS, 'sticky'));
      expect(after).to.deep.equal(served(SUBNETS, 'sticky', [down]));
      expect(now[down], `${down} serves some subnets`).to.be.above(0);
      expect(after[down]).to.equal(0);
      let moved = 0;
      for (const dc of DCS.filter((d) => d !== down)) {
        expect(after[dc]! & now[dc]!, `${dc} keeps its own subnets`).to.equal(now[dc]);
        moved |= after[dc]! & ~now[dc]!;
      }
      expect(moved, `only ${down}'s subnets move`).to.equal(now[down]);
    }
  });

  it('reports every bad client line as file:line and exits 2 without simulating', () => {
    const file = 'test/fixtures/simulate/bad-clients.csv';
    const r = simulate('--clients', file);
    expect(r.status).to.equal(2);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1).map((l) => l.slice(0, l.indexOf(': ')))).to.deep.equal(
      [3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => `${file}:${n}`),
    );
    expect(lines).to.include(
      `${file}:3: '81.2.69.161/27' has host bits set; did you mean 81.2.69.160/27? [E_CLI_BAD_CLIENTS_FILE]`,
    );
    expect(lines).to.include(`${file}:6: weight must be a number >= 0, got '-5' [E_CLI_BAD_CLIENTS_FILE]`);
    expect(lines).to.include(`${file}:11: no load-balanced name 'nosuchname' in the zones [E_CLI_UNKNOWN_NAME]`);
    expect(lines.at(-1)).to.equal(`9 bad line(s) in ${file}; nothing simulated`);
  });

  it('--json: scenarios, names with their rows, totals with capacity, and traffic no datacenter takes', () => {
    const { status, out } = json('--clients', CLIENTS, '--name', 'www', '--name', 'only-eu', '--down', 'eu-west');
    expect(status).to.equal(3);
    expect(out.clients).to.deep.equal({ file: CLIENTS, lines: 8 });
    expect(out.health).to.deep.equal({ source: 'assumed-up' });
    expect(out.scenarios).to.deep.equal({ now: { down: [], shed: [] }, down: { down: ['eu-west'], shed: [] } });
    expect(out.names.map((n: { name: string }) => n.name)).to.deep.equal(['www.sim.test.', 'only-eu.sim.test.']);
    expect(out.names[1]).to.deep.include({ zone: 'sim.test.', policy: 'geo', family: 4, clients: 6, notes: [] });
    expect(out.names[1].total).to.deep.equal({ now: 3300, down: 3300 });
    expect(out.names[1].rows).to.deep.equal([
      { datacenter: 'eu-west', to: 'served', now: { weight: 3300, share: 1 }, down: { weight: 0, share: 0 } },
      { datacenter: null, to: 'nodata', now: { weight: 0, share: 0 }, down: { weight: 3300, share: 1 } },
    ]);
    expect(out.total.total).to.deep.equal({ now: 6800, down: 6800 });
    const us = out.total.rows.find((r: JsonRow) => r.datacenter === 'us-east');
    expect(us).to.deep.equal({
      datacenter: 'us-east',
      to: 'served',
      capacity: 2500,
      now: { weight: 1300, share: 0.1912, utilisation: 0.52, over: false },
      down: { weight: 2900, share: 0.4265, utilisation: 1.16, over: true },
    });
    expect(out.total.rows.at(-1)).to.deep.include({ datacenter: null, to: 'nodata', capacity: null });
    expect(out.overCapacity).to.equal(true);
  });

  it('--name picks names (relative or fully qualified); an unknown one is a usage error', () => {
    const { out } = json('--clients', CLIENTS, '--name', 'busy', '--name', 'sticky.sim.test.');
    expect(out.names.map((n: { name: string }) => n.name)).to.deep.equal(['sticky.sim.test.', 'busy.sim.test.']);
    expect(out.scenarios).to.deep.equal({ now: { down: [], shed: [] } });
    // The Sao Paulo line names busy only; the Melbourne line, www only.
    expect(out.names.map((n: { clients: number }) => n.clients)).to.deep.equal([6, 7]);
    expect(out.names[1].notes[0]).to.match(/least-loaded has no live load figures offline: the plain order decides/);
    const r = simulate('--clients', CLIENTS, '--name', 'nope');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--name 'nope': no load-balanced name/);
  });

  it('prints what docs/operations.md shows for the example zone', () => {
    const doc = readFileSync('docs/operations.md', 'utf8');
    const m = /## Capacity simulation[\s\S]*?```sh\ngslb (simulate .*)\n```\n\n```text\n([\s\S]*?)```/.exec(doc);
    expect(m, 'the example run and its output').to.not.equal(null);
    const r = spawnSync(process.execPath, ['bin/gslb', ...m![1]!.split(' ')], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(3);
    expect(r.stdout).to.equal(m![2]);
  });

  it('exits 1 with the zone errors when the configuration is invalid; 2 on an unknown --down', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-sim-'));
    try {
      cpSync(ZONES, dir, { recursive: true });
      writeFileSync(join(dir, 'sim.test', 'names.yaml'), 'names:\n  www:\n    pools: { nowhere: [192.0.2.1] }\n');
      const bad = spawnSync(process.execPath, ['bin/gslb', 'simulate', '--zones', dir, '--clients', CLIENTS], {
        encoding: 'utf8',
      });
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.match(/^sim\.test\/names\.yaml:\d+: .*nowhere/m);
      expect(bad.stderr).to.match(/error\(s\); the configuration is not valid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = simulate('--clients', CLIENTS, '--down', 'mars');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--down 'mars': no such datacenter/);
  });
});
