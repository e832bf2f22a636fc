// `gslb serve --workers 2`: both processes serve the same UDP and TCP port, every worker follows the
// primary's health and reloads, the primary's metrics add up the workers' counters, SIGTERM stops all.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBackend as Backend, queryA, sleep } from '../scripts/e2e-cluster.js';
import { tcpExchange, buildQuery, decodeReply } from './helpers/dns.js';
import { until } from './helpers/until.js';

describe('gslb serve --workers 2', function () {
  this.timeout(40_000);
  let dir: string;
  let proc: ChildProcess;
  let port = 0;
  let admin = '';
  const backends: Backend[] = [];
  let stderr = '';

  const zone = (www: string) =>
    `$ORIGIN w.test.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\nstatic A ${www}\n`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-workers-'));
    mkdirSync(join(dir, 'w.test'));
    for (let i = 0; i < 2; i++) backends.push(await new Backend().start());
    writeFileSync(join(dir, 'w.test', 'records.zone'), zone('192.0.2.10'));
    writeFileSync(
      join(dir, 'w.test', 'policy.yaml'),
      `datacenters:\n  a: {}\n  b: {}\nchecks:\n  web: { type: http, path: /healthz, interval: 300ms, timeout: 200ms }\nnames:\n  www:\n    policy: failover\n    check: web\n    pools:\n      a: [{ address: 192.0.2.1, probe: "${backends[0]!.probe}" }]\n      b: [{ address: 192.0.2.2, probe: "${backends[1]!.probe}" }]\n  counted:\n    policy: failover\n    check: web\n    pools:\n      a: [{ address: 192.0.2.1, probe: "${backends[0]!.probe}" }]\n      b: [{ address: 192.0.2.2, probe: "${backends[1]!.probe}" }]\n`,
    );
    proc = spawn(
      process.execPath,
      [
        'bin/gslb',
        'serve',
        '--zones',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--workers',
        '2',
        '--admin',
        '127.0.0.1:0',
        '--admin-token',
        'secret',
        // Reloads come from the test only (SIGHUP, the admin API), never from the file watcher.
        '--no-watch',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /on 127\.0\.0\.1:(\d+) \(udp\+tcp, 2 workers\)/.exec(out);
        const a = /admin on (http:\/\/[^\s]+)/.exec(out);
        if (m && a) {
          port = Number(m[1]);
          admin = a[1]!;
          resolve();
        }
      });
      proc.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
  });
  after(async () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    for (const b of backends) await b.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers over UDP and TCP on the one port', async () => {
    expect(await queryA(port, 'www.w.test', 1000)).to.deep.equal(['192.0.2.1']);
    const [r] = await tcpExchange('127.0.0.1', port, [buildQuery({ name: 'static.w.test' })]);
    expect(decodeReply(r!).answer).to.deep.equal(['static.w.test 60 A 192.0.2.10']);
  });

  it('every worker follows the health the primary sees', async () => {
    await backends[0]!.kill();
    let answers: Array<string[] | null> = [];
    await until(
      'every answer to move to 192.0.2.2',
      async () => {
        answers = await Promise.all(Array.from({ length: 20 }, () => queryA(port, 'www.w.test', 500)));
        return answers.every((a) => a?.[0] === '192.0.2.2');
      },
      5000,
      50,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(answers)}`);
    });
    await backends[0]!.start();
  });

  /** The static record as 20 connections (spread over the workers) get it. */
  async function staticAnswers(): Promise<string[]> {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => tcpExchange('127.0.0.1', port, [buildQuery({ name: 'static.w.test' })])),
    );
    return [...new Set(replies.map(([r]) => decodeReply(r!).answer[0]!))];
  }

  /** Waits until 20 connections in a row (spread over the workers) all get the new static record. */
  async function everyWorkerAnswers(address: string): Promise<void> {
    const want = `static.w.test 60 A ${address}`;
    await until(`every worker to answer ${address}`, async () => (await staticAnswers()).join() === want, 5000, 100);
  }

  /** The primary's successful reloads: it reloads last in a round, so one more means the round is over. */
  const reloadsOk = () => total('gslb_config_reloads_total{result="ok"}');

  it('SIGHUP reloads every worker', async () => {
    const before = await reloadsOk();
    writeFileSync(join(dir, 'w.test', 'records.zone'), zone('192.0.2.99'));
    proc.kill('SIGHUP');
    await everyWorkerAnswers('192.0.2.99');
    await until('the reload round to end with the primary', async () => (await reloadsOk()) === before + 1, 5000, 50);
  });

  const reloadByApi = () =>
    fetch(`${admin}api/reload`, { method: 'POST', headers: { authorization: 'Bearer secret' } });

  it('a reload through the admin API answers once every worker has reloaded', async () => {
    writeFileSync(join(dir, 'w.test', 'records.zone'), zone('192.0.2.98'));
    const r = await reloadByApi();
    expect(r.status).to.equal(200);
    // The round is over when the API answers: the workers first, one at a time, then the primary.
    expect(await staticAnswers()).to.deep.equal(['static.w.test 60 A 192.0.2.98']);
  });

  it('a change the first worker refuses ends the round there: one worker and the primary build it, not all', async () => {
    writeFileSync(join(dir, 'w.test', 'records.zone'), zone('192.0.2.98') + 'broken A 999.1.2.3\n');
    stderr = '';
    const r = await reloadByApi();
    expect(r.status).to.equal(422);
    expect(((await r.json()) as { errors: string[] }).errors.join()).to.match(/records\.zone:7/);
    expect(await staticAnswers()).to.deep.equal(['static.w.test 60 A 192.0.2.98']);
    // Complete log lines only (the last piece may still be arriving); the primary logs before it answers.
    const failedIn = () =>
      new Set(
        stderr
          .split('\n')
          .slice(0, -1)
          .filter((l) => l.includes('still serving the last good configuration'))
          .map((l) => (JSON.parse(l) as { pid: number }).pid),
      );
    // The primary reloads last: a worker that (wrongly) built the change too would have logged before it.
    await until("the primary's failed reload in the log", () => failedIn().has(proc.pid!), 2000, 20);
    // Log lines are written asynchronously (pino's sonic-boom): a margin for one issued just before.
    await sleep(100);
    expect(failedIn().size).to.equal(2);
    writeFileSync(join(dir, 'w.test', 'records.zone'), zone('192.0.2.98'));
  });

  it("the primary's metrics add up the workers' queries and decisions", async () => {
    const before = await total('gslb_queries_total{');
    const decidedBefore = await total('gslb_decisions_total{name="www.w.test."');
    for (let i = 0; i < 50; i++) await queryA(port, 'www.w.test', 500);
    // Workers report every second (later on a busy machine).
    await until(
      "the workers' reports of 50 queries and decisions",
      async () =>
        (await total('gslb_queries_total{')) - before >= 50 &&
        (await total('gslb_decisions_total{name="www.w.test."')) - decidedBefore >= 50,
      6000,
      100,
    );
  });

  /** The sum of a metric's series whose line starts with `series`. */
  async function total(series: string): Promise<number> {
    const text = await (await fetch(`${admin}metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(series))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  }
  const decided = () => total('gslb_decisions_total{name="www.w.test."');

  it('every decision is counted once across a reload round, those made just before it too', async () => {
    // A name no other test asks for: nothing counted earlier can still be on its way.
    const counted = () => total('gslb_decisions_total{name="counted.w.test."');
    const before = await counted();
    let answered = 0;
    // A long wait per query: a reply after the wait would be counted by the server and not here.
    for (let i = 0; i < 40; i++) if (await queryA(port, 'counted.w.test', 3000)) answered++;
    // At once, before the workers' next report: each builds new answerers, whose counts start at zero.
    writeFileSync(join(dir, 'w.test', 'records.zone'), zone('192.0.2.97'));
    expect((await reloadByApi()).status).to.equal(200);
    for (let i = 0; i < 40; i++) if (await queryA(port, 'counted.w.test', 3000)) answered++;
    expect(answered).to.equal(80);
    // Workers report every second (later on a busy machine): wait for the sum, then make sure it stays
    // for longer than a report interval (a worker that counted anything twice would have sent it by then).
    await until('the sum of the reports', async () => (await counted()) - before >= answered, 6000, 100);
    await sleep(1200);
    expect((await counted()) - before).to.equal(answered);
  });

  it('counters do not go back when a worker dies and is replaced', async () => {
    // Every count so far has been reported: the previous test ended on more than a report interval
    // without queries.
    const queries = await total('gslb_queries_total{');
    const decisions = await decided();
    expect(queries).to.be.above(0);
    // Both workers in turn, so whichever answered the queries so far has died.
    for (const pid of workerPids()) {
      process.kill(pid, 'SIGKILL');
      await until(`worker ${pid} replaced`, () => !workerPids().includes(pid) && workerPids().length >= 2, 10_000, 100);
    }
    expect(await total('gslb_queries_total{')).to.equal(queries);
    expect(await decided()).to.equal(decisions);
    // The replacements answer once they have built the configuration.
    for (let t0 = Date.now(); (await queryA(port, 'www.w.test', 500)) === null;)
      if (Date.now() - t0 > 10_000) throw new Error('the replacement workers do not answer');
  });

  /** The primary's worker processes. */
  function workerPids(): number[] {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(proc.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((pid) => pid > 0);
  }

  it('SIGTERM stops the primary and the workers', async () => {
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(await queryA(port, 'www.w.test', 300)).to.equal(null);
  });
});
