// What the soak does to the deployment while the load runs, and whether each thing it did landed:
// file rewrites (valid ones applied, invalid ones rejected with the last good configuration still
// served), health churn (backends killed and revived, so agents report changes through Redis), Redis
// restarts (the node reconnects and resyncs), one agent cut off (SIGSTOP, left so).
import { queryA, sleep } from '../e2e-cluster.js';
import type { Deployment } from './deployment.js';
import type { LogBook } from './logs.js';
import { DATACENTERS, versionAddress, type Datacenter } from './zone-files.js';
import { seeded } from '../../zones/prng.js';

export interface RewriteResult {
  readonly atS: number;
  readonly change: 'valid' | 'invalid policy' | 'invalid records';
  /** The version served after it: the new one for a valid change, the last good one for an invalid one. */
  readonly version: number;
  readonly ok: boolean;
  /** From the write until the node had dealt with it (applied, or rejected). */
  readonly ms: number;
  readonly detail: string;
}

export interface RedisRestartResult {
  readonly atS: number;
  readonly downMs: number;
  /** From redis-server's start until the node was connected and had resynced; null: not within 30 s. */
  readonly resyncedMs: number | null;
}

export interface ScenarioRecord {
  readonly rewrites: RewriteResult[];
  readonly redisRestarts: RedisRestartResult[];
  readonly churn: { kills: number; revives: number; reviveFailures: number };
  agentCut: { id: string; atS: number; seenStale: boolean | null } | null;
  floodBursts: number;
}

interface Status {
  reloads: { ok: number; failed: number };
  redis: { connected: boolean; resyncs: number } | null;
}

/** How long a change may take to be applied or rejected, and a restarted Redis to be resynced. */
const SETTLE_MS = 20_000;
const REDIS_DOWN_MS = 3000;

export class Scenario {
  readonly record: ScenarioRecord = {
    rewrites: [],
    redisRestarts: [],
    churn: { kills: 0, revives: 0, reviveFailures: 0 },
    agentCut: null,
    floodBursts: 0,
  };
  private version = 0;
  private rewriteStep = 0;
  /** Backends down now, as "dc:index"; all in one datacenter, so every name keeps a healthy one. */
  private readonly down = new Set<string>();
  private readonly rng = seeded(17);

  constructor(
    private readonly d: Deployment,
    private readonly logs: LogBook,
    private readonly t0: number,
  ) {}

  private get atS(): number {
    return Math.round((Date.now() - this.t0) / 100) / 10;
  }

  private status(): Promise<Status> {
    return this.d.admin('/api/status') as Promise<Status>;
  }

  private async served(): Promise<string | undefined> {
    return (await queryA(this.d.dnsPort, 'version.soak.test', 500))?.[0];
  }

  /** Polls `done` every 100 ms for SETTLE_MS; the ms it took, or null. */
  private async until(done: () => Promise<boolean>): Promise<number | null> {
    const t = Date.now();
    while (Date.now() - t < SETTLE_MS) {
      if (await done().catch(() => false)) return Date.now() - t;
      await sleep(100);
    }
    return null;
  }

  /** The next file change: valid, invalid policy, valid, invalid records, ... */
  async rewrite(): Promise<void> {
    const step = this.rewriteStep++;
    const atS = this.atS;
    const before = await this.status();
    if (step % 2 === 0) {
      const v = ++this.version;
      this.d.zones.writeValid(v);
      const ms = await this.until(
        async () => (await this.served()) === versionAddress(v) && (await this.status()).reloads.ok > before.reloads.ok,
      );
      this.record.rewrites.push({
        atS,
        change: 'valid',
        version: v,
        ok: ms !== null,
        ms: ms ?? SETTLE_MS,
        detail: ms !== null ? 'applied' : `not applied within ${SETTLE_MS / 1000} s`,
      });
      return;
    }
    const file = step % 4 === 1 ? 'policy' : 'records';
    this.logs.expect('invalid-reload', Date.now() + SETTLE_MS);
    this.d.zones.writeInvalid(this.version, file);
    const ms = await this.until(async () => (await this.status()).reloads.failed > before.reloads.failed);
    const still = await this.served();
    const kept = still === versionAddress(this.version);
    this.record.rewrites.push({
      atS,
      change: `invalid ${file}`,
      version: this.version,
      ok: ms !== null && kept,
      ms: ms ?? SETTLE_MS,
      detail:
        ms === null
          ? `not rejected within ${SETTLE_MS / 1000} s`
          : kept
            ? 'rejected, last good kept'
            : `rejected, but version.soak.test answered ${still ?? 'nothing'}`,
    });
  }

  /** Kills or revives one backend: the agents see it fail or pass its checks. */
  async churn(): Promise<void> {
    const all = DATACENTERS.flatMap((dc) => this.d.backends.get(dc)!.map((_, i) => `${dc}:${i}`));
    const downDc = [...this.down][0]?.split(':')[0];
    const killable = all.filter((k) => !this.down.has(k) && (downDc === undefined || k.startsWith(`${downDc}:`)));
    const revive = this.down.size > 0 && (killable.length === 0 || this.rng() < 0.5);
    const pick = (xs: string[]) => xs[Math.floor(this.rng() * xs.length)]!;
    const key = revive ? pick([...this.down]) : pick(killable);
    const [dc, i] = key.split(':') as [Datacenter, string];
    const backend = this.d.backends.get(dc)![Number(i)]!;
    if (!revive) {
      await backend.kill();
      this.down.add(key);
      this.record.churn.kills++;
      return;
    }
    try {
      await backend.start();
      this.down.delete(key);
      this.record.churn.revives++;
    } catch {
      // Its port taken meanwhile (an ephemeral port of some connection): tried again at a later step.
      this.record.churn.reviveFailures++;
    }
  }

  /** Stops redis-server (SIGTERM), leaves it down a few seconds, starts it on the same port. */
  async restartRedis(): Promise<void> {
    const atS = this.atS;
    this.logs.expect('redis-restart', Date.now() + REDIS_DOWN_MS + SETTLE_MS + 10_000);
    const before = await this.status();
    const t = Date.now();
    await this.d.stopRedis();
    await sleep(REDIS_DOWN_MS);
    await this.d.startRedis();
    const downMs = Date.now() - t;
    const resyncedMs = await this.until(async () => {
      const s = await this.status();
      return s.redis !== null && s.redis.connected && s.redis.resyncs > (before.redis?.resyncs ?? 0);
    });
    this.record.redisRestarts.push({ atS, downMs, resyncedMs });
  }

  /** SIGSTOPs the last datacenter's agent: it holds its Redis connection but says nothing more. */
  cutAgent(): void {
    const id = `agent-${DATACENTERS[DATACENTERS.length - 1]}`;
    this.d.agents.get(id)!.kill('SIGSTOP');
    this.record.agentCut = { id, atS: this.atS, seenStale: null };
  }

  /** Whether the node counts the cut-off agent out (no longer fresh). */
  async checkAgentCut(): Promise<void> {
    const cut = this.record.agentCut;
    if (!cut) return;
    const h = (await this.d.admin('/api/health')) as { agents: { id: string; fresh: boolean }[] };
    cut.seenStale = !h.agents.some((a) => a.id === cut.id && a.fresh);
  }
}
