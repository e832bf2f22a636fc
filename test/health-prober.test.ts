// The prober's schedule on a manual clock (test/helpers/clock.ts), to the millisecond: the pure
// schedule as a table; then immediate first probe, jitter both ways, no drift, no overlap, bounded
// concurrency, update() keeping state, stop() leaving no timer behind, clock jumps. One smoke test on
// real timers and a real socket, and one that a process exits on its own after stop().
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Prober, type ProberOptions } from '../health/prober.js';
import type { TargetState } from '../health/hysteresis.js';
import { delayUntil, firstDue, jitter, nextDue, type Cadence } from '../health/probe-schedule.js';
import {
  probeTargetsFor,
  type ProbeResult,
  type CheckSpec,
  type ProbeSpec,
  type ProbeTarget,
} from '../health/probe-types.js';
import type { Check, Endpoint } from '../zones/policy-types.js';
import { ManualClock } from './helpers/clock.js';
import { until } from './helpers/until.js';

function target(host: string, over: Partial<Omit<ProbeTarget, 'spec'>> & { spec?: Partial<CheckSpec> } = {}) {
  const { spec, ...rest } = over;
  const t: ProbeTarget = {
    key: `web|${host}|80`,
    spec: {
      type: 'tcp',
      host,
      port: 80,
      path: '/',
      expect: [200],
      hostHeader: null,
      sni: null,
      tlsVerify: true,
      ca: null,
      expiryWarnDays: 14,
      body: null,
      followRedirects: false,
      query: null,
      qtype: 'SOA',
      timeoutMs: 1000,
      ...spec,
    },
    intervalMs: 50,
    jitterMs: 0,
    rise: 1,
    fall: 1,
    ...rest,
  };
  return t;
}

describe('probe schedule (pure)', () => {
  const c = (intervalMs: number, jitterMs: number): Cadence => ({ intervalMs, jitterMs });
  it('jitter: +-jitterMs from the draw, capped at half the interval, never negative', () => {
    const table: Array<[Cadence, number, number]> = [
      // [cadence, draw, jitter]
      [c(60, 20), 0, -20],
      [c(60, 20), 0.5, 0],
      [c(60, 20), 0.75, 10],
      [c(60, 1000), 0, -30], // capped at interval / 2
      [c(60, 1000), 0.75, 15],
      [c(60, 0), 0.9, 0],
      [c(60, -5), 0, 0], // a negative jitter is none
    ];
    for (const [cad, draw, want] of table) expect(jitter(cad, draw), JSON.stringify([cad, draw])).to.equal(want);
  });

  it('first turn: at once, spread by the draw over min(jitter, start spread)', () => {
    const table: Array<[Cadence, number, number, number]> = [
      // [cadence, start spread, draw, due - now]
      [c(10_000, 5000), 100, 0.5, 50],
      [c(10_000, 40), 100, 0.5, 20],
      [c(10_000, 0), 100, 0.99, 0],
      [c(10_000, 5000), 0, 0.99, 0],
    ];
    for (const [cad, spread, draw, want] of table) expect(firstDue(1000, cad, spread, draw) - 1000).to.equal(want);
  });

  it('next turn: on the grid of due times whatever the probe took; a stall restarts the grid from now', () => {
    const draws =
      (...xs: number[]) =>
      () =>
        xs.shift()!;
    const table: Array<[string, number, number, Cadence, number[], number]> = [
      // [case, due, now, cadence, draws, next due]
      ['on time', 1000, 1000, c(100, 0), [0.5], 1100],
      ['the timer ran late: still on the grid', 1000, 1090, c(100, 0), [0.5], 1100],
      ['jitter early', 1000, 1000, c(100, 20), [0], 1080],
      ['jitter late', 1000, 1000, c(100, 20), [0.75], 1110],
      ['far behind: from now', 1000, 1100, c(100, 0), [0.5, 0.5], 1200],
      ['far behind, jitter drawn again', 1000, 5000, c(100, 20), [0.5, 0], 5080],
    ];
    for (const [what, due, now, cad, rs, want] of table)
      expect(nextDue(due, now, cad, draws(...rs)), what).to.equal(want);
  });

  it('the wait: never negative, never more than interval + jitter (a clock jump neither parks nor spins)', () => {
    const table: Array<[number, number, Cadence, number]> = [
      // [due, now, cadence, delay]
      [1100, 1000, c(100, 0), 100],
      [1050, 1000, c(100, 20), 50],
      [900, 1000, c(100, 0), 0], // overdue: at once
      [1000 + 3_600_000, 1000, c(100, 20), 120], // the clock went back an hour
    ];
    for (const [due, now, cad, want] of table) expect(delayUntil(due, now, cad)).to.equal(want);
  });
});

interface Call {
  host: string;
  /** When it started and ended, in ms after the prober started (manual clock). */
  t: number;
  end: number | null;
  signal: AbortSignal | undefined;
}

interface Seen {
  key: string;
  result: ProbeResult;
  state: TargetState;
  changed: boolean;
}

describe('health prober (manual clock)', () => {
  let clock: ManualClock;
  let t0: number;
  const running: Prober[] = [];
  beforeEach(() => {
    clock = new ManualClock();
    t0 = clock.now();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });

  /** A fake probe on the clock: records calls, takes `durationMs`, answers `outcome(host, n)` (n counts that host's calls). */
  function fakeProbe(durationMs = 0, outcome: (host: string, n: number) => boolean | Error = () => true) {
    const calls: Call[] = [];
    const runProbe = async (probe: ProbeSpec, signal?: AbortSignal): Promise<ProbeResult> => {
      const spec = probe as CheckSpec;
      const call: Call = { host: spec.host, t: clock.now() - t0, end: null, signal };
      calls.push(call);
      const n = calls.filter((c) => c.host === spec.host).length;
      const at = clock.now();
      if (durationMs > 0) await clock.sleep(durationMs, signal);
      call.end = clock.now() - t0;
      if (signal?.aborted) return { ok: false, rttMs: 0, reason: 'aborted', at };
      const o = outcome(spec.host, n);
      if (o instanceof Error) throw o;
      return { ok: o, rttMs: durationMs, reason: o ? 'ok' : 'down', at };
    };
    const of = (host: string) => calls.filter((c) => c.host === host);
    const times = (host?: string) => (host ? of(host) : calls).map((c) => c.t);
    return { calls, runProbe, of, times };
  }

  function started(opts: Omit<ProberOptions, 'timers'>, targets: ProbeTarget[]) {
    const seen: Seen[] = [];
    const p = new Prober({
      onResult: (key, result, state, changed) => seen.push({ key, result, state, changed }),
      now: clock.now,
      timers: clock,
      ...opts,
    });
    p.update(targets);
    running.push(p);
    p.start();
    return { p, seen };
  }

  /** n turns from `first`, `step` apart (floating point from the jitter: compared to a microsecond). */
  const grid = (first: number, step: number, n: number) => Array.from({ length: n }, (_, i) => first + i * step);
  const near = (got: number[], want: number[]) => {
    expect(got.length, `${got}`).to.equal(want.length);
    got.forEach((g, i) => expect(g).to.be.closeTo(want[i]!, 1e-6));
  };

  it('probes a new target at once (within the small start spread), not after an interval', async () => {
    const f = fakeProbe();
    const { seen } = started({ runProbe: f.runProbe, rng: () => 0.99 }, [
      target('a', { intervalMs: 10_000, jitterMs: 5000 }),
    ]);
    await clock.advance(98);
    expect(f.calls).to.have.length(0);
    await clock.advance(1);
    near(f.times(), [99]); // 0.99 x min(jitter 5000, start spread 100)
    expect(seen[0]).to.include({ key: 'web|a|80', changed: true });
    expect(seen[0]!.state.up).to.equal(true);
    await clock.advance(10_000 - 5000 - 1);
    expect(f.calls).to.have.length(1);
  });

  it('waits intervalMs +- jitterMs between turns (jitter drawn from rng, both ways)', async () => {
    const low = fakeProbe();
    const high = fakeProbe();
    started({ runProbe: low.runProbe, rng: () => 0 }, [target('lo', { intervalMs: 60, jitterMs: 20 })]);
    started({ runProbe: high.runProbe, rng: () => 0.9999 }, [target('hi', { intervalMs: 60, jitterMs: 20 })]);
    await clock.advance(500);
    near(low.times(), grid(0, 40, 13));
    near(high.times(), grid(0.9999 * 20, 60 + 0.9998 * 20, 7));
  });

  it('caps jitter at half the interval so turns never bunch up', async () => {
    const f = fakeProbe();
    started({ runProbe: f.runProbe, rng: () => 0 }, [target('a', { intervalMs: 60, jitterMs: 1000 })]);
    await clock.advance(300);
    near(f.times(), grid(0, 30, 11));
  });

  it('keeps to the grid: the nth probe is due at start + n * interval, whatever the probes take', async () => {
    const f = fakeProbe(15);
    started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 50, jitterMs: 0 })]);
    await clock.advance(620);
    near(f.times(), grid(0, 50, 13));
    expect(f.calls.slice(0, 12).map((c) => c.end! - c.t)).to.deep.equal(Array(12).fill(15));
  });

  it('never overlaps probes of one target: a turn that comes while it still runs is skipped', async () => {
    const f = fakeProbe(130);
    const { p } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 50 })]);
    await clock.advance(699);
    // Turns at 0, 50, 100, ...: those at 50 and 100 find the first probe (0-130) running, and so on.
    expect(f.times()).to.deep.equal([0, 150, 300, 450, 600]);
    expect(p.skippedTurns).to.equal(9);
  });

  it('bounds probes in flight; waiting ones run in order as slots free up', async () => {
    const f = fakeProbe(40);
    let active = 0;
    let peak = 0;
    const runProbe = async (spec: ProbeSpec, signal?: AbortSignal): Promise<ProbeResult> => {
      peak = Math.max(peak, ++active);
      try {
        return await f.runProbe(spec, signal);
      } finally {
        active--;
      }
    };
    const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`);
    const { p } = started(
      { runProbe, rng: () => 0, concurrency: 3 },
      hosts.map((h) => target(h, { intervalMs: 10_000 })),
    );
    await clock.advance(0);
    expect(p.active).to.equal(3);
    await clock.advance(200);
    expect(peak).to.equal(3);
    expect(f.calls.map((c) => c.host)).to.deep.equal(hosts);
    expect(f.times()).to.deep.equal([0, 0, 0, 40, 40, 40, 80, 80, 80, 120]);
    expect(p.states().size).to.equal(10);
  });

  it('reports changed on the first result and on each flip only (rise/fall from the target)', async () => {
    const pattern = [true, false, false, true, true];
    const f = fakeProbe(0, (_h, n) => pattern[n - 1] ?? true);
    const { seen } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [
      target('a', { intervalMs: 30, rise: 1, fall: 2 }),
    ]);
    await clock.advance(120);
    expect(seen.map((s) => [s.state.up, s.changed])).to.deep.equal([
      [true, true],
      [true, false],
      [false, true],
      [true, true],
      [true, false],
    ]);
  });

  it('a throwing probe is a failed result and the schedule goes on; so is a throwing callback', async () => {
    const f = fakeProbe(0, (_h, n) => (n === 1 ? new Error('boom') : true));
    const errors: unknown[] = [];
    let first = true;
    const p = new Prober({
      runProbe: f.runProbe,
      rng: () => 0.5,
      now: clock.now,
      timers: clock,
      onResult: (_k, r) => {
        if (first) {
          first = false;
          expect(r).to.include({ ok: false, reason: 'probe error: boom', at: clock.now() });
          throw new Error('listener bug');
        }
      },
      onError: (e) => errors.push(e),
    });
    running.push(p);
    p.update([target('a', { intervalMs: 30 })]);
    p.start();
    await clock.advance(60);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['listener bug']);
    expect(f.times()).to.deep.equal([0, 30, 60]);
    expect(p.state('web|a|80')?.up).to.equal(true);
  });

  it('update() keeps unchanged targets (state and schedule), starts new ones, stops removed ones', async () => {
    const f = fakeProbe(0);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [
      target('a', { intervalMs: 100 }),
      target('b', { intervalMs: 100 }),
    ]);
    await clock.advance(230);
    expect(f.times('a')).to.deep.equal([0, 100, 200]);
    const streak = p.state('web|a|80')!.okStreak;
    expect(streak).to.equal(3);
    // Fresh objects, equal spec: 'a' keeps going; new rise/fall apply; 'b' goes; 'c' arrives.
    p.update([target('a', { intervalMs: 100, rise: 3 }), target('c', { intervalMs: 100 })]);
    expect(p.state('web|b|80')).to.equal(undefined);
    expect(p.size).to.equal(2);
    expect(clock.pending).to.equal(2); // a's next turn and c's first: b's timer is gone
    await clock.advance(0);
    expect(f.times('c')).to.deep.equal([230]); // at once
    await clock.advance(200);
    expect(f.times('a')).to.deep.equal([0, 100, 200, 300, 400]); // not restarted: still on its grid
    expect(f.times('b')).to.deep.equal([0, 100, 200]);
    expect(p.state('web|a|80')!.okStreak).to.equal(streak + 2);
    expect(seen.filter((s) => s.key === 'web|a|80' && s.changed)).to.have.length(1);
  });

  it('update() with a new interval moves the next turn to now + the new interval', async () => {
    const f = fakeProbe(0);
    const { p } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 100 })]);
    await clock.advance(130);
    p.update([target('a', { intervalMs: 40 })]);
    await clock.advance(100);
    expect(f.times()).to.deep.equal([0, 100, 170, 210]);
  });

  it('update() with a changed spec restarts that target from scratch', async () => {
    const f = fakeProbe(0);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 100 })]);
    await clock.advance(150);
    expect(p.state('web|a|80')!.okStreak).to.equal(2);
    p.update([target('a', { intervalMs: 100, spec: { path: '/other' } })]);
    expect(p.state('web|a|80')).to.equal(undefined);
    await clock.advance(0);
    expect(p.state('web|a|80')!.okStreak).to.equal(1);
    expect(seen.filter((s) => s.changed)).to.have.length(2);
  });

  it('update() aborts the running probe of a removed target and drops its result', async () => {
    const f = fakeProbe(10_000);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a')]);
    await clock.advance(20);
    expect(p.active).to.equal(1);
    p.update([]);
    await clock.advance(0);
    expect(f.calls[0]!.signal?.aborted).to.equal(true);
    expect(p.active).to.equal(0);
    expect(clock.pending).to.equal(0);
    expect(seen).to.deep.equal([]);
  });

  it('stop() aborts running probes, waits for them, and leaves no timer', async () => {
    const f = fakeProbe(10_000);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a'), target('b')]);
    await clock.advance(20);
    expect(p.active).to.equal(2);
    await p.stop(); // no time passes: it waits only for the aborted probes to settle
    expect(f.calls.every((c) => c.signal?.aborted && c.end === 20)).to.equal(true);
    expect(p.active).to.equal(0);
    expect(clock.pending).to.equal(0);
    await clock.advance(1000);
    expect(f.calls).to.have.length(2);
    expect(seen).to.deep.equal([]);
  });

  it('start() after stop() resumes with the kept states', async () => {
    const f = fakeProbe(0);
    const { p } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a', { intervalMs: 40 })]);
    await clock.advance(100);
    await p.stop();
    const streak = p.state('web|a|80')!.okStreak;
    expect(streak).to.equal(3);
    p.start();
    await clock.advance(0);
    expect(p.state('web|a|80')!.okStreak).to.equal(streak + 1);
  });

  it('a wall clock jump either way keeps one turn per interval: no hour-long pause, no burst', async () => {
    const f = fakeProbe(0);
    let skew = 0;
    const { p } = started({ runProbe: f.runProbe, rng: () => 0.5, now: () => clock.now() + skew }, [
      target('a', { intervalMs: 100 }),
    ]);
    await clock.advance(150);
    skew = -3_600_000; // back an hour
    await clock.advance(300);
    skew = 3_600_000; // forward an hour
    await clock.advance(300);
    expect(f.times()).to.deep.equal([0, 100, 200, 300, 400, 500, 600, 700]);
    expect(p.skippedTurns).to.equal(0);
  });
});

describe('health prober (real timers)', () => {
  it('smoke: probes a real loopback port on its interval, sees it go down when it closes', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const seen: Array<[number, boolean]> = [];
    const p = new Prober({ onResult: (_k, r, state) => seen.push([r.at, state.up]) });
    p.update([target('127.0.0.1', { intervalMs: 50, spec: { port, timeoutMs: 500 } })]);
    try {
      p.start();
      await until('three probes, all up', () => seen.length >= 3, 5000);
      expect(seen.every(([, up]) => up)).to.equal(true);
      await new Promise<void>((r) => server.close(() => r()));
      await until('down once the port is closed', () => p.state('web|127.0.0.1|80')?.up === false, 5000);
      expect(p.state('web|127.0.0.1|80')!.lastResult.reason).to.equal('connection refused');
    } finally {
      await p.stop();
      server.close();
    }
  });

  it('after stop() the process exits on its own (no timers or probes left)', async () => {
    const mod = new URL('../health/prober.js', import.meta.url).href;
    const code = `const { Prober } = await import(${JSON.stringify(mod)});
      let n = 0;
      const runProbe = (spec, signal) => new Promise((res) => {
        const t = setTimeout(() => res({ ok: true, rttMs: 1, reason: 'ok', at: Date.now() }), spec.host === 'slow' ? 60000 : 5);
        signal.addEventListener('abort', () => { clearTimeout(t); res({ ok: false, rttMs: 0, reason: 'aborted', at: Date.now() }); });
      });
      const p = new Prober({ runProbe, onResult: () => { if (++n === 4) void p.stop().then(() => process.stdout.write(String(n))); } });
      p.update(${JSON.stringify([target('fast', { intervalMs: 20, jitterMs: 5 }), target('slow', { intervalMs: 20 })])});
      p.start();`;
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = await new Promise<boolean>((resolve) => {
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(false);
      }, 5000);
      child.once('exit', () => {
        clearTimeout(guard);
        resolve(true);
      });
    });
    expect(exited, 'child still alive 5s after stop()').to.equal(true);
    expect(out).to.equal('4');
    expect(Date.now() - t0).to.be.below(5000);
  });
});

describe('health probe targets', () => {
  const check: Check = {
    name: 'web',
    type: 'https',
    port: 443,
    path: '/healthz',
    expect: [200, 204],
    host: 'www.example.test',
    sni: null,
    tlsVerify: false,
    tlsCa: null,
    tlsCaDigest: null,
    expiryWarnDays: 14,
    body: 'ok',
    followRedirects: true,
    query: null,
    qtype: 'SOA',
    intervalMs: 5000,
    timeoutMs: 2000,
    jitterMs: 500,
    rise: 2,
    fall: 3,
    from: 'all',
  };
  const ep = (address: string, probe: Endpoint['probe'] = null): Endpoint => ({
    address,
    family: 4,
    bytes: Buffer.from(address.split('.').map(Number)),
    weight: 1,
    probe,
    loadUrl: null,
    datacenter: 'dc1',
  });

  it('one target per distinct probe address, keyed like targetKey, carrying the check settings', () => {
    const targets = probeTargetsFor(check, [
      ep('192.0.2.1'),
      ep('192.0.2.2', { host: '10.0.0.9', port: 8443 }),
      ep('192.0.2.3', { host: '10.0.0.9', port: 8443 }), // shares the previous one's target
      ep('192.0.2.4', { host: '10.0.0.7', port: null }),
      ep('192.0.2.1'),
    ]);
    expect(
      targets.map((t) => [t.key.replace(/\|[0-9a-f]{8}$/, ''), (t.spec as CheckSpec).host, (t.spec as CheckSpec).port]),
    ).to.deep.equal([
      ['web|192.0.2.1|443', '192.0.2.1', 443],
      ['web|10.0.0.9|8443', '10.0.0.9', 8443],
      ['web|10.0.0.7|443', '10.0.0.7', 443],
    ]);
    // The check's settings are fingerprinted into the key: a changed check is a different target.
    expect(targets[0]!.key).to.match(/^web\|192\.0\.2\.1\|443\|[0-9a-f]{8}$/);
    const other = probeTargetsFor({ ...check, path: '/other' }, [ep('192.0.2.1')]);
    expect(other[0]!.key).to.not.equal(targets[0]!.key);
    const t = targets[0]!;
    expect(t).to.include({ intervalMs: 5000, jitterMs: 500, rise: 2, fall: 3 });
    expect(t.spec).to.deep.include({
      type: 'https',
      path: '/healthz',
      expect: [200, 204],
      hostHeader: 'www.example.test',
      sni: null,
      tlsVerify: false,
      ca: null,
      expiryWarnDays: 14,
      body: 'ok',
      followRedirects: true,
      timeoutMs: 2000,
    });
  });
});
