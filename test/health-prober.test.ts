// Prober scheduling with a fake probe and real short intervals: immediate first probe, jitter bounds, no
// drift, no overlap, bounded concurrency, update() keeping state, stop() leaving nothing behind.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Prober, type ProberOptions } from '../health/prober.js';
import type { TargetState } from '../health/hysteresis.js';
import {
  probeTargetsFor,
  type ProbeResult,
  type CheckSpec,
  type ProbeSpec,
  type ProbeTarget,
} from '../health/probe-types.js';
import type { Check, Endpoint } from '../zones/policy-types.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

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

interface Call {
  host: string;
  t: number;
  end: number | null;
  signal: AbortSignal | undefined;
}

/** A fake probe: records calls, takes `durationMs`, answers `outcome(host, n)` (n counts that host's calls). */
function fakeProbe(durationMs = 0, outcome: (host: string, n: number) => boolean | Error = () => true) {
  const calls: Call[] = [];
  const runProbe = async (probe: ProbeSpec, signal?: AbortSignal): Promise<ProbeResult> => {
    const spec = probe as CheckSpec;
    const call: Call = { host: spec.host, t: performance.now(), end: null, signal };
    calls.push(call);
    const n = calls.filter((c) => c.host === spec.host).length;
    const at = Date.now();
    await new Promise<void>((res) => {
      const timer = setTimeout(res, durationMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        res();
      });
    });
    call.end = performance.now();
    if (signal?.aborted) return { ok: false, rttMs: 0, reason: 'aborted', at };
    const o = outcome(spec.host, n);
    if (o instanceof Error) throw o;
    return { ok: o, rttMs: durationMs, reason: o ? 'ok' : 'down', at };
  };
  const of = (host: string) => calls.filter((c) => c.host === host);
  return { calls, runProbe, of };
}

interface Seen {
  key: string;
  result: ProbeResult;
  state: TargetState;
  changed: boolean;
}

function prober(opts: ProberOptions & { runProbe: NonNullable<ProberOptions['runProbe']> }) {
  const seen: Seen[] = [];
  const p = new Prober({
    onResult: (key, result, state, changed) => seen.push({ key, result, state, changed }),
    ...opts,
  });
  return { p, seen };
}

describe('health prober', () => {
  const running: Prober[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });
  function started(opts: Parameters<typeof prober>[0], targets: ProbeTarget[]) {
    const r = prober(opts);
    r.p.update(targets);
    running.push(r.p);
    const t0 = performance.now();
    r.p.start();
    return { ...r, t0 };
  }

  it('probes a new target at once (within the small start spread), not after an interval', async () => {
    const f = fakeProbe();
    const { t0, seen } = started({ runProbe: f.runProbe, rng: () => 0.99 }, [
      target('a', { intervalMs: 10_000, jitterMs: 5000 }),
    ]);
    await sleep(250);
    expect(f.calls).to.have.length(1);
    expect(f.calls[0]!.t - t0).to.be.below(100 + 60);
    expect(seen[0]).to.include({ key: 'web|a|80', changed: true });
    expect(seen[0]!.state.up).to.equal(true);
  });

  // Due times lie on a grid (first spread, then interval + jitter each); a late timer only delays its own call.
  const onGrid = (calls: Call[], t0: number, first: number, step: number, n: number) => {
    expect(calls.length).to.be.at.least(n);
    calls.slice(0, n).forEach((c, i) => expect(c.t - t0).to.be.within(first + i * step - 3, first + i * step + 50));
  };

  it('waits intervalMs ± jitterMs between turns (jitter drawn from rng, both ways)', async () => {
    const low = fakeProbe();
    const high = fakeProbe();
    const lo = started({ runProbe: low.runProbe, rng: () => 0 }, [target('lo', { intervalMs: 60, jitterMs: 20 })]);
    const hi = started({ runProbe: high.runProbe, rng: () => 0.9999 }, [
      target('hi', { intervalMs: 60, jitterMs: 20 }),
    ]);
    await sleep(500);
    onGrid(low.calls, lo.t0, 0, 40, 10);
    onGrid(high.calls, hi.t0, 20, 80, 5);
  });

  it('caps jitter at half the interval so turns never bunch up', async () => {
    const f = fakeProbe();
    const { t0 } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a', { intervalMs: 60, jitterMs: 1000 })]);
    await sleep(300);
    onGrid(f.calls, t0, 0, 30, 8);
  });

  it('keeps to the grid: the nth probe is due at start + n * interval, not drifting', async () => {
    const f = fakeProbe(15);
    const { t0 } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 50, jitterMs: 0 })]);
    await sleep(620);
    onGrid(f.calls, t0, 0, 50, 11);
  });

  it('never overlaps probes of one target: a turn that comes while it still runs is skipped', async () => {
    const f = fakeProbe(130);
    const { p } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 50 })]);
    await sleep(700);
    const calls = f.calls;
    expect(calls.length).to.be.within(3, 6);
    calls.slice(1).forEach((c, i) => expect(c.t).to.be.at.least(calls[i]!.end!));
    expect(p.skippedTurns).to.be.at.least(4);
  });

  it('bounds probes in flight; waiting ones run in order as slots free up', async () => {
    let active = 0;
    let peak = 0;
    const order: string[] = [];
    const runProbe = async (spec: ProbeSpec): Promise<ProbeResult> => {
      order.push((spec as CheckSpec).host);
      peak = Math.max(peak, ++active);
      await sleep(40);
      active--;
      return { ok: true, rttMs: 40, reason: 'ok', at: Date.now() };
    };
    const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`);
    const { p } = started(
      { runProbe, rng: () => 0, concurrency: 3 },
      hosts.map((h) => target(h, { intervalMs: 10_000 })),
    );
    await sleep(20);
    expect(p.active).to.equal(3);
    await sleep(400);
    expect(peak).to.equal(3);
    expect(order).to.deep.equal(hosts);
    expect(p.states().size).to.equal(10);
  });

  it('reports changed on the first result and on each flip only (rise/fall from the target)', async () => {
    const pattern = [true, false, false, true, true];
    const f = fakeProbe(0, (_h, n) => pattern[n - 1] ?? true);
    const { seen } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [
      target('a', { intervalMs: 30, rise: 1, fall: 2 }),
    ]);
    await sleep(200);
    expect(seen.length).to.be.at.least(5);
    expect(seen.slice(0, 5).map((s) => [s.state.up, s.changed])).to.deep.equal([
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
      onResult: (_k, r) => {
        if (first) {
          first = false;
          expect(r).to.include({ ok: false, reason: 'probe error: boom' });
          throw new Error('listener bug');
        }
      },
      onError: (e) => errors.push(e),
    });
    running.push(p);
    p.update([target('a', { intervalMs: 30 })]);
    p.start();
    await sleep(150);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['listener bug']);
    expect(f.calls.length).to.be.at.least(3);
    expect(p.state('web|a|80')?.up).to.equal(true);
  });

  it('update() keeps unchanged targets (state and schedule), starts new ones, stops removed ones', async () => {
    const f = fakeProbe(0);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [
      target('a', { intervalMs: 100 }),
      target('b', { intervalMs: 100 }),
    ]);
    await sleep(230);
    const aBefore = f.of('a').length;
    const streak = p.state('web|a|80')!.okStreak;
    expect(streak).to.be.at.least(2);
    // Fresh objects, equal spec: 'a' keeps going; new rise/fall apply; 'b' goes; 'c' arrives.
    const tUpdate = performance.now();
    p.update([target('a', { intervalMs: 100, rise: 3 }), target('c', { intervalMs: 100 })]);
    expect(p.state('web|b|80')).to.equal(undefined);
    expect(p.size).to.equal(2);
    await sleep(20);
    expect(f.of('c')).to.have.length(1);
    expect(f.of('a').length).to.equal(aBefore); // not restarted
    const bCount = f.of('b').length;
    await sleep(200);
    expect(f.of('b').length).to.equal(bCount);
    expect(f.of('a').filter((c) => c.t > tUpdate).length).to.be.within(1, 3);
    expect(p.state('web|a|80')!.okStreak).to.be.above(streak);
    expect(seen.filter((s) => s.key === 'web|a|80' && s.changed)).to.have.length(1);
  });

  it('update() with a changed spec restarts that target from scratch', async () => {
    const f = fakeProbe(0);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0.5 }, [target('a', { intervalMs: 100 })]);
    await sleep(150);
    expect(p.state('web|a|80')!.okStreak).to.equal(2);
    p.update([target('a', { intervalMs: 100, spec: { path: '/other' } })]);
    expect(p.state('web|a|80')).to.equal(undefined);
    await sleep(20);
    expect(p.state('web|a|80')!.okStreak).to.equal(1);
    expect(seen.filter((s) => s.changed)).to.have.length(2);
  });

  it('update() aborts the running probe of a removed target and drops its result', async () => {
    const f = fakeProbe(10_000);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a')]);
    await sleep(20);
    expect(p.active).to.equal(1);
    p.update([]);
    await sleep(10);
    expect(f.calls[0]!.signal?.aborted).to.equal(true);
    expect(p.active).to.equal(0);
    expect(seen).to.deep.equal([]);
  });

  it('stop() aborts running probes, waits for them, and schedules nothing more', async () => {
    const f = fakeProbe(10_000);
    const { p, seen } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a'), target('b')]);
    await sleep(20);
    expect(p.active).to.equal(2);
    const t = performance.now();
    await p.stop();
    expect(performance.now() - t).to.be.below(100);
    expect(f.calls.every((c) => c.signal?.aborted && c.end !== null)).to.equal(true);
    expect(p.active).to.equal(0);
    await sleep(150);
    expect(f.calls).to.have.length(2);
    expect(seen).to.deep.equal([]);
  });

  it('start() after stop() resumes with the kept states', async () => {
    const f = fakeProbe(0);
    const { p } = started({ runProbe: f.runProbe, rng: () => 0 }, [target('a', { intervalMs: 40 })]);
    await sleep(100);
    await p.stop();
    const streak = p.state('web|a|80')!.okStreak;
    p.start();
    await sleep(20);
    expect(p.state('web|a|80')!.okStreak).to.equal(streak + 1);
  });

  it('after stop() the process exits on its own (no timers or probes left)', async () => {
    const mod = new URL('../health/prober.js', import.meta.url).href;
    const code = `const { Prober } = await import(${JSON.stringify(mod)});
      let n = 0;
      const runProbe = (spec, signal) => new Promise((res) => {
        const t = setTimeout(() => res({ ok: true, rttMs: 1, reason: 'ok', at: Date.now() }), spec.host === 'slow' ? 60000 : 5);
        signal.addEventListener('abort', () => { clearTimeout(t); res({ ok: false, rttMs: 0, reason: 'aborted', at: Date.now() }); });
      });
      const p = new Prober({ runProbe, onResult: () => n++ });
      p.update(${JSON.stringify([target('fast', { intervalMs: 20, jitterMs: 5 }), target('slow', { intervalMs: 20 })])});
      p.start();
      setTimeout(async () => { await p.stop(); process.stdout.write(String(n)); }, 200);`;
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
    expect(Number(out)).to.be.at.least(4);
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
