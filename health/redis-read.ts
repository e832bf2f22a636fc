// Reading the health state agents and operators keep in Redis: every agent's heartbeat and results,
// and the drains. A DNS node reads it so on every (re)connect (its resync); `gslb simulate --redis`
// reads it once, on a short-lived connection, publishing nothing and subscribing to nothing.
import type { Redis } from 'ioredis';
import { DrainSet, isDrainField } from './drains.js';
import { withRedis } from './drain-store.js';
import {
  combine,
  type AgentVerdict,
  type QuorumConfig,
  type ReportedResult,
  type TargetDatacenters,
  type TargetProbers,
} from './quorum.js';
import { scanKeys, type RedisEndpoint } from './redis-connect.js';
import { RedisConnectionError } from './redis-errors.js';
import {
  decodeAgent,
  decodeDrain,
  decodeResultText,
  keys as keysFor,
  type DrainDoc,
  type Keys,
} from './redis-protocol.js';
import type { ActiveDrain } from './view-builder.js';
import type { TargetHealth } from './view.js';

/** One agent whose heartbeat key exists (it expires when the agent stops), with its latest results. */
export interface AgentRecord {
  readonly agent: string;
  readonly datacenter: string;
  /** Its last heartbeat (the agent's clock, ms). */
  readonly at: number;
  readonly results: Map<string, ReportedResult>;
}

/** Every agent's heartbeat and results; malformed entries are skipped and passed to `bad`. */
export async function readAgents(cmd: Redis, k: Keys, bad: (error: string) => void): Promise<AgentRecord[]> {
  const agentKeys = await scanKeys(cmd, k.agentPattern());
  const docs = agentKeys.length > 0 ? await cmd.mget(...agentKeys) : [];
  const out: AgentRecord[] = [];
  for (let i = 0; i < agentKeys.length; i++) {
    const d = decodeAgent(docs[i] ?? null, agentKeys[i]!);
    if (!d.ok) {
      // A key that expired between SCAN and MGET is an agent that just stopped, not bad data.
      if (docs[i] !== null) bad(d.error);
      continue;
    }
    const raw = await cmd.hgetall(k.results(d.value.agent));
    const results = new Map<string, ReportedResult>();
    for (const [key, text] of Object.entries(raw)) {
      const r = decodeResultText(text, `${k.results(d.value.agent)} ${key}`);
      if (r.ok) results.set(key, r.value);
      else bad(r.error);
    }
    out.push({ agent: d.value.agent, datacenter: d.value.datacenter, at: d.value.at, results });
  }
  return out;
}

/** The drains hash as a DrainSet; malformed entries are skipped and passed to `bad`. */
export async function readDrains(cmd: Redis, k: Keys, bad: (error: string) => void): Promise<DrainSet> {
  const raw = await cmd.hgetall(k.drains);
  const entries = new Map<string, DrainDoc>();
  for (const [field, text] of Object.entries(raw)) {
    const d = decodeDrain(text, field);
    if (d.ok && isDrainField(field)) entries.set(field, d.value);
    else bad(d.ok ? `drain field '${field}' is not dc:NAME or ep:ADDRESS` : d.error);
  }
  return new DrainSet(entries);
}

/** The state in Redis at one moment (`at`, this process's clock). */
export interface HealthRead {
  readonly at: number;
  readonly agents: readonly AgentRecord[];
  readonly drains: DrainSet;
  /** Entries skipped as malformed, with why. */
  readonly bad: readonly string[];
}

/**
 * Reads the state once on a connection of its own that does not retry, within `timeoutMs`: a Redis
 * that cannot be reached, or does not answer in time, is a RedisConnectionError with its code.
 */
export async function readHealthOnce(
  redis: RedisEndpoint,
  prefix: string,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<HealthRead> {
  const k = keysFor(prefix);
  const bad: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let close: (() => void) | null = null;
  const read = withRedis(redis, async (r) => {
    close = () => r.disconnect();
    const agents = await readAgents(r, k, (e) => bad.push(e));
    const drains = await readDrains(r, k, (e) => bad.push(e));
    return { at: now(), agents, drains, bad };
  });
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      close?.();
      reject(new RedisConnectionError('E_REDIS_UNREACHABLE', `no answer from Redis within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
    read.catch(() => {}); // lost the race: its own failure after the timeout is not news
  }
}

/** What a read comes to: each target's verdict by the nodes' quorum, the agents' votes, the drains in force. */
export interface LiveHealth {
  readonly targets: ReadonlyMap<string, TargetHealth>;
  readonly agents: readonly AgentVerdict[];
  readonly drains: readonly ActiveDrain[];
}

/**
 * Combines a read as a serving node does (the same quorum over the agents within max age, and within a
 * target's `from`, cut-off agents discounted). An agent counts as heard at its last heartbeat, which a
 * running node hears as it is sent (capped at the read's time: a clock ahead makes no agent younger
 * than fresh).
 */
export function liveHealth(
  read: HealthRead,
  planDatacenters: TargetDatacenters,
  quorum: QuorumConfig,
  /** Who probes the targets whose check has `from`: only those datacenters' agents count, as on a node. */
  probers?: TargetProbers,
): LiveHealth {
  const reports = read.agents.map((a) => ({
    agent: a.agent,
    datacenter: a.datacenter,
    heardAt: Math.min(a.at, read.at),
    results: a.results,
  }));
  const combined = combine(reports, planDatacenters, quorum, read.at, probers);
  return {
    targets: combined.targets,
    agents: combined.agents,
    drains: read.drains.list(read.at).map((d) => ({ field: d.field, until: d.until })),
  };
}
