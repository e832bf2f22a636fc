// Combining many agents' reports into one verdict per target: only fresh agents vote, an agent that
// sees everything down (its own datacenter included) is discounted as cut off, and a target is up
// when at least a quorum of the votes say so; while Redis is unreachable the votes are counted as of
// the moment it went, and past the grace period the stale policy applies. Pure: time and inputs are
// parameters.
import { isLoadKey, type TargetHealth } from './view.js';

/** One agent's latest result for one target, as published. */
export interface ReportedResult {
  readonly up: boolean;
  readonly rttMs: number | null;
  readonly reason: string;
  /** When the agent's state for the target last changed (agent clock, ms). */
  readonly since: number;
  readonly connections?: number | null;
  readonly capacity?: number | null;
  readonly bandwidthBps?: number | null;
  readonly errorRate?: number | null;
}

export interface AgentReports {
  readonly agent: string;
  readonly datacenter: string;
  /** When this node last heard from the agent (this node's clock, ms). */
  readonly heardAt: number;
  readonly results: ReadonlyMap<string, ReportedResult>;
}

export interface QuorumConfig {
  /** Reports from agents not heard from for longer than this are ignored. */
  readonly maxAgeMs: number;
  /** Votes needed for "up": 'majority' of the fresh voters, or a fixed count (capped at the voters). */
  readonly quorum: 'majority' | number;
}

export interface AgentVerdict {
  readonly agent: string;
  readonly datacenter: string;
  readonly ageMs: number;
  readonly fresh: boolean;
  readonly discounted: boolean;
  readonly reason: string;
}

export interface Combined {
  readonly targets: ReadonlyMap<string, TargetHealth>;
  readonly agents: readonly AgentVerdict[];
}

/** Which datacenters a target serves (from the probe plan), to recognise an agent's own targets. */
export type TargetDatacenters = ReadonlyMap<string, readonly string[]>;

/**
 * The datacenters whose agents vote on a target (its plan's `from`), for the targets that say; a target
 * not in the map is voted on by every agent.
 */
export type TargetProbers = ReadonlyMap<string, readonly string[]>;

const EVERY_AGENT: TargetProbers = new Map();

/** Whether the agent's result on the target counts: an agent outside the target's `from` is not asked. */
const counts = (probers: TargetProbers, key: string, a: AgentReports): boolean =>
  probers.get(key)?.includes(a.datacenter) ?? true;

function cutOff(a: AgentReports, dcs: TargetDatacenters, probers: TargetProbers): string | null {
  let own = 0;
  let probed = 0;
  for (const [key, r] of a.results) {
    // Load reads say nothing about reachability: a cut-off agent's stats reads fail without a verdict.
    if (isLoadKey(key)) continue;
    // Nor does a target it was not asked to probe (an older agent that ignores `from`).
    if (!counts(probers, key, a)) continue;
    probed++;
    if (r.up) return null;
    if (dcs.get(key)?.includes(a.datacenter)) own++;
  }
  if (probed < 2 || own === 0) return null;
  return `sees all ${probed} targets down, ${own} in its own datacenter: probably cut off; discounted`;
}

const FIGURES = ['connections', 'capacity', 'bandwidthBps', 'errorRate'] as const;
type Figure = (typeof FIGURES)[number];

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function combine(
  all: readonly AgentReports[],
  dcs: TargetDatacenters,
  cfg: QuorumConfig,
  now: number,
  probers: TargetProbers = EVERY_AGENT,
): Combined {
  const verdicts: AgentVerdict[] = [];
  const fresh: AgentReports[] = [];
  const cut = new Set<AgentReports>();
  for (const a of all) {
    const ageMs = Math.max(0, now - a.heardAt);
    const isFresh = ageMs <= cfg.maxAgeMs;
    const why = isFresh ? cutOff(a, dcs, probers) : null;
    if (isFresh) fresh.push(a);
    if (why) cut.add(a);
    verdicts.push({
      agent: a.agent,
      datacenter: a.datacenter,
      ageMs,
      fresh: isFresh,
      discounted: why !== null,
      reason: isFresh ? (why ?? 'ok') : `stale: last heard ${ageMs} ms ago`,
    });
  }
  // If every fresh agent looks cut off, nobody is discounted: that is an outage, not a partition.
  const voters = cut.size === fresh.length ? fresh : fresh.filter((a) => !cut.has(a));
  if (cut.size === fresh.length && cut.size > 0)
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i]!;
      if (v.discounted)
        verdicts[i] = { ...v, discounted: false, reason: 'sees everything down, as every agent does: counted' };
    }

  const keys = new Set<string>();
  for (const a of voters) for (const k of a.results.keys()) keys.add(k);
  const targets = new Map<string, TargetHealth>();
  for (const key of keys) {
    let upVotes = 0;
    let votes = 0;
    const rtts: number[] = [];
    const rttsByDc = new Map<string, number[]>();
    const downReasons: string[] = [];
    let since = 0;
    const figures: Record<Figure, number[]> = { connections: [], capacity: [], bandwidthBps: [], errorRate: [] };
    for (const a of voters) {
      const r = a.results.get(key);
      if (!r || !counts(probers, key, a)) continue;
      votes++;
      since = Math.max(since, r.since);
      if (r.up) {
        upVotes++;
        if (r.rttMs !== null) {
          rtts.push(r.rttMs);
          const at = rttsByDc.get(a.datacenter);
          if (at) at.push(r.rttMs);
          else rttsByDc.set(a.datacenter, [r.rttMs]);
        }
      } else downReasons.push(`${a.agent}: ${r.reason}`);
      // Load figures describe the endpoint, not the vantage point: agents reading the same stats
      // agree up to timing, and the median keeps one agent's odd reading out.
      for (const f of FIGURES) {
        const x = r[f];
        if (x != null) figures[f].push(x);
      }
    }
    // Only agents outside its `from` report it: no verdict, as for a target nobody reports.
    if (votes === 0) continue;
    const need = cfg.quorum === 'majority' ? Math.floor(votes / 2) + 1 : Math.min(cfg.quorum, votes);
    const up = upVotes >= need;
    const reason = up
      ? `up: ${upVotes}/${votes} agents`
      : `down: ${votes - upVotes}/${votes} agents (${downReasons.slice(0, 3).join('; ')})`;
    targets.set(key, {
      up,
      rttMs: median(rtts),
      rttByDatacenter:
        rttsByDc.size > 1 ? Object.fromEntries([...rttsByDc].map(([dc, xs]) => [dc, median(xs)!])) : null,
      connections: median(figures.connections),
      capacity: median(figures.capacity),
      bandwidthBps: median(figures.bandwidthBps),
      errorRate: median(figures.errorRate),
      reason,
      since,
    });
  }
  return { targets, agents: verdicts };
}

/** After the grace period without Redis: 'open' treats every target as up, 'keep' keeps the last state. */
export type StalePolicy = 'open' | 'keep';

/** This node's link to Redis, where the agents' reports come from. */
export interface Link {
  readonly connected: boolean;
  /** When the link went (this node's clock, ms); null while connected. */
  readonly disconnectedSince: number | null;
}

export interface LinkVerdict {
  /**
   * The time to count votes at (combine's `now`): while Redis is unreachable no report can arrive, so
   * agents' ages stand still at the moment it went and the last known state holds.
   */
  readonly voteAt: number;
  /** Unreachable for longer than the grace period. */
  readonly stale: boolean;
  /** Stale under the 'open' policy: every target reads up. */
  readonly failOpen: boolean;
}

export function linkVerdict(link: Link, graceMs: number, policy: StalePolicy, now: number): LinkVerdict {
  const since = link.connected ? null : link.disconnectedSince;
  if (since === null) return { voteAt: now, stale: false, failOpen: false };
  const stale = now - since > graceMs;
  return { voteAt: since, stale, failOpen: stale && policy === 'open' };
}
