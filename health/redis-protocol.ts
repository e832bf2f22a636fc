// The Redis schema shared by DNS nodes, agents and the drain command: key names under a configurable
// prefix, and validated codecs for everything read back (bad Redis contents are reported, never trusted).
import { isLoadSpec, type LoadSpec, type ProbeSpec } from './probe-types.js';
import { LOAD_TYPES, type LoadType } from './load/types.js';
import type { ReportedResult } from './quorum.js';
import type { PlanTarget } from './plan-types.js';
import { DEFAULT_EXPIRY_WARN_DAYS, MAX_EXPIRY_WARN_DAYS } from '../zones/policy-types.js';

export const PROTOCOL_VERSION = 1;

export interface Keys {
  /** One per DNS node: the targets it needs probed (JSON PlanDoc), with a TTL the node refreshes. */
  plan(node: string): string;
  planPattern(): string;
  /** Channel: a node's plan changed. */
  readonly plansChannel: string;
  /** One per agent: its heartbeat (JSON AgentDoc), with a TTL the agent refreshes. */
  agent(id: string): string;
  agentPattern(): string;
  /** One hash per agent: target key -> JSON ReportedResult. */
  results(id: string): string;
  /** Channel: ReportsMessage from agents (state changes at once, figures with each heartbeat). */
  readonly reportsChannel: string;
  /** Hash of operator overrides: "dc:NAME" or "ep:ADDRESS" -> JSON DrainDoc. */
  readonly drains: string;
  /** Channel: drains changed. */
  readonly drainsChannel: string;
}

export function keys(prefix: string): Keys {
  return {
    plan: (node) => `${prefix}plan:${node}`,
    planPattern: () => `${prefix}plan:*`,
    plansChannel: `${prefix}plans`,
    agent: (id) => `${prefix}agent:${id}`,
    agentPattern: () => `${prefix}agent:*`,
    results: (id) => `${prefix}results:${id}`,
    reportsChannel: `${prefix}reports`,
    drains: `${prefix}drains`,
    drainsChannel: `${prefix}drains-changed`,
  };
}

export interface PlanDoc {
  readonly v: number;
  readonly node: string;
  /** The config version (hash) the plan comes from. */
  readonly version: string;
  readonly at: number;
  readonly targets: readonly PlanTarget[];
  /** Targets left out as malformed or of a kind this version does not know (a newer node's), with why. */
  readonly skipped?: readonly string[];
}

export interface AgentDoc {
  readonly v: number;
  readonly agent: string;
  readonly datacenter: string;
  readonly at: number;
  readonly targets: number;
}

export interface ReportsMessage {
  readonly v: number;
  readonly agent: string;
  readonly datacenter: string;
  readonly at: number;
  /** Changed results; may be empty (a pure heartbeat). */
  readonly results: Readonly<Record<string, ReportedResult>>;
  /** True when `results` is the agent's whole state (after a reconnect or restart). */
  readonly full?: boolean;
}

export interface DrainDoc {
  /** ms since the epoch after which the drain no longer applies; null: until undrained. */
  readonly until: number | null;
  readonly at: number;
  readonly by: string;
  readonly reason: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown): boolean => v === null || v === undefined || isNum(v);

function parse(text: string | null | undefined, what: string): Decoded<Record<string, unknown>> {
  if (text === null || text === undefined) return { ok: false, error: `${what}: missing` };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: `${what}: not JSON` };
  }
  if (!isObj(v)) return { ok: false, error: `${what}: not an object` };
  if (v['v'] !== undefined && v['v'] !== PROTOCOL_VERSION)
    return { ok: false, error: `${what}: protocol version ${String(v['v'])}, expected ${PROTOCOL_VERSION}` };
  return { ok: true, value: v };
}

export function decodeResult(v: unknown, what: string): Decoded<ReportedResult> {
  if (!isObj(v) || typeof v['up'] !== 'boolean' || !numOrNull(v['rttMs']) || !isStr(v['reason']) || !isNum(v['since']))
    return { ok: false, error: `${what}: malformed result` };
  for (const k of ['connections', 'capacity', 'bandwidthBps', 'errorRate'])
    if (!numOrNull(v[k])) return { ok: false, error: `${what}: malformed ${k}` };
  return {
    ok: true,
    value: {
      up: v['up'],
      rttMs: (v['rttMs'] as number | null | undefined) ?? null,
      reason: v['reason'],
      since: v['since'],
      connections: (v['connections'] as number | null | undefined) ?? null,
      capacity: (v['capacity'] as number | null | undefined) ?? null,
      bandwidthBps: (v['bandwidthBps'] as number | null | undefined) ?? null,
      errorRate: (v['errorRate'] as number | null | undefined) ?? null,
    },
  };
}

export function decodeResultText(text: string, what: string): Decoded<ReportedResult> {
  const p = parse(text, what);
  return p.ok ? decodeResult(p.value, what) : p;
}

export function decodeReports(text: string): Decoded<ReportsMessage> {
  const p = parse(text, 'reports message');
  if (!p.ok) return p;
  const v = p.value;
  if (!isStr(v['agent']) || !isStr(v['datacenter']) || !isNum(v['at']) || !isObj(v['results']))
    return { ok: false, error: 'reports message: missing agent, datacenter, at or results' };
  const results: Record<string, ReportedResult> = {};
  for (const [k, r] of Object.entries(v['results'])) {
    const d = decodeResult(r, `reports message from ${v['agent']}: target ${k}`);
    if (!d.ok) return d;
    results[k] = d.value;
  }
  return {
    ok: true,
    value: {
      v: PROTOCOL_VERSION,
      agent: v['agent'],
      datacenter: v['datacenter'],
      at: v['at'],
      results,
      full: v['full'] === true,
    },
  };
}

/** An agent's heartbeat as stored under its key (`gslb agent` writes it each beat). */
export function encodeAgent(doc: AgentDoc): string {
  return JSON.stringify(doc);
}

/** One result as stored in an agent's results hash (its field is the target key). */
export function encodeResult(r: ReportedResult): string {
  return JSON.stringify(r);
}

/** A reports message as published on the reports channel. */
export function encodeReports(m: ReportsMessage): string {
  return JSON.stringify(m);
}

export function decodeAgent(text: string | null, key: string): Decoded<AgentDoc> {
  const p = parse(text, key);
  if (!p.ok) return p;
  const v = p.value;
  if (!isStr(v['agent']) || !isStr(v['datacenter']) || !isNum(v['at']))
    return { ok: false, error: `${key}: missing agent, datacenter or at` };
  return {
    ok: true,
    value: {
      v: PROTOCOL_VERSION,
      agent: v['agent'],
      datacenter: v['datacenter'],
      at: v['at'],
      targets: isNum(v['targets']) ? v['targets'] : 0,
    },
  };
}

const strOrNull = (v: unknown): string | null => (isStr(v) ? v : null);

/** A load-read spec from a plan: only http(s) URLs, bounded numbers, string headers and selectors. */
function decodeLoadSpec(v: Record<string, unknown>): LoadSpec | null {
  const url = v['url'];
  if (!isStr(url) || !/^https?:\/\//.test(url) || !isNum(v['timeoutMs']) || !isObj(v['selectors'])) return null;
  const headers: Record<string, string> = {};
  if (isObj(v['headers'])) for (const [k, h] of Object.entries(v['headers'])) if (isStr(h)) headers[k] = h;
  const sel = v['selectors'];
  const bytes = Array.isArray(sel['bytes']) ? sel['bytes'].filter(isStr) : [];
  const p = v['passive'];
  const passive =
    isObj(p) && isNum(p['maxErrorRate']) && isNum(p['minRequests'])
      ? Object.freeze({ maxErrorRate: p['maxErrorRate'], minRequests: Math.max(1, p['minRequests']) })
      : null;
  return Object.freeze({
    type: v['type'] as LoadType,
    url,
    headers: Object.freeze(headers),
    proxy: strOrNull(v['proxy']),
    server: isStr(v['server']) ? v['server'] : 'FRONTEND',
    selectors: Object.freeze({
      connections: strOrNull(sel['connections']),
      capacity: strOrNull(sel['capacity']),
      bytes: Object.freeze(bytes),
      bandwidth: strOrNull(sel['bandwidth']),
      errors: strOrNull(sel['errors']),
      requests: strOrNull(sel['requests']),
    }),
    timeoutMs: Math.max(10, Math.min(60_000, v['timeoutMs'])),
    tlsVerify: v['tlsVerify'] !== false,
    capacity: isNum(v['capacity']) && v['capacity'] > 0 ? v['capacity'] : null,
    smoothingMs: isNum(v['smoothingMs']) ? Math.max(0, v['smoothingMs']) : 0,
    maxAgeMs: isNum(v['maxAgeMs']) ? Math.max(100, v['maxAgeMs']) : 10_000,
    passive,
  });
}

/**
 * A check spec from a plan. Its CA bundle is inline (`ca`) or, as encodePlan writes it, named by `caRef`
 * in the plan's `cas`; a reference to a CA the plan lacks makes the spec malformed.
 */
function decodeSpec(v: unknown, cas: Record<string, unknown>): ProbeSpec | null {
  if (!isObj(v)) return null;
  const type = v['type'];
  if ((LOAD_TYPES as readonly unknown[]).includes(type)) return decodeLoadSpec(v);
  // An agent before the tls type left its targets out here (reported as skipped in the plan it read).
  if (type !== 'tcp' && type !== 'http' && type !== 'https' && type !== 'dns' && type !== 'tls') return null;
  if (!isStr(v['host']) || !isNum(v['port']) || v['port'] < 1 || v['port'] > 65535 || !isNum(v['timeoutMs']))
    return null;
  const expect = v['expect'];
  if (!Array.isArray(expect) || !expect.every(isNum)) return null;
  const ref = v['caRef'];
  const ca = isStr(ref) ? cas[ref] : v['ca'];
  if (isStr(ref) && !isStr(ca)) return null;
  return Object.freeze({
    type,
    host: v['host'],
    port: v['port'],
    path: isStr(v['path']) ? v['path'] : '/',
    expect: Object.freeze([...expect]),
    hostHeader: isStr(v['hostHeader']) ? v['hostHeader'] : null,
    sni: isStr(v['sni']) ? v['sni'] : null,
    tlsVerify: v['tlsVerify'] !== false,
    ca: isStr(ca) ? ca : null,
    expiryWarnDays: isNum(v['expiryWarnDays'])
      ? Math.max(0, Math.min(MAX_EXPIRY_WARN_DAYS, Math.floor(v['expiryWarnDays'])))
      : DEFAULT_EXPIRY_WARN_DAYS,
    body: isStr(v['body']) ? v['body'] : null,
    followRedirects: v['followRedirects'] === true,
    query: isStr(v['query']) ? v['query'] : null,
    qtype: isStr(v['qtype']) ? v['qtype'] : 'SOA',
    timeoutMs: Math.max(10, Math.min(60_000, v['timeoutMs'])),
  });
}

/**
 * A plan as stored in Redis (JSON). Each distinct CA bundle is written once, in `cas` (by a short id),
 * and the targets that trust it name it by `caRef`: a 220 KB bundle shared by 100 targets would
 * otherwise be 22 MB, written every refresh and read by every agent.
 */
export function encodePlan(plan: PlanDoc): string {
  const ids = new Map<string, string>();
  const cas: Record<string, string> = {};
  const targets = plan.targets.map((t) => {
    if (isLoadSpec(t.spec) || t.spec.ca === null) return t;
    const { ca, ...spec } = t.spec;
    let id = ids.get(ca);
    if (id === undefined) {
      id = String(ids.size);
      ids.set(ca, id);
      cas[id] = ca;
    }
    return { ...t, spec: { ...spec, caRef: id } };
  });
  return JSON.stringify(ids.size > 0 ? { ...plan, targets, cas } : { ...plan, targets });
}

export function decodePlan(text: string | null, key: string): Decoded<PlanDoc> {
  const p = parse(text, key);
  if (!p.ok) return p;
  const v = p.value;
  if (!isStr(v['node']) || !isStr(v['version']) || !isNum(v['at']) || !Array.isArray(v['targets']))
    return { ok: false, error: `${key}: missing node, version, at or targets` };
  // One target this agent cannot probe (malformed, or a kind from a newer version during a rolling
  // upgrade) is left out, not the whole plan: the node's other targets still get probed.
  const targets: PlanTarget[] = [];
  const skipped: string[] = [];
  const cas = isObj(v['cas']) ? v['cas'] : {};
  for (const [i, t] of v['targets'].entries()) {
    const spec = isObj(t) ? decodeSpec(t['spec'], cas) : null;
    // `from` (who probes) is optional: absent, every agent probes the target (plans before it had none).
    const from = isObj(t) ? t['from'] : undefined;
    if (
      !isObj(t) ||
      !spec ||
      (from !== undefined && !(Array.isArray(from) && from.every(isStr))) ||
      !isStr(t['key']) ||
      !isNum(t['intervalMs']) ||
      !isNum(t['rise']) ||
      !isNum(t['fall']) ||
      !Array.isArray(t['datacenters'])
    ) {
      const type = isObj(t) && isObj(t['spec']) ? String(t['spec']['type']) : '?';
      skipped.push(`${key}: target ${i + 1} (type ${type}) is malformed or of an unknown kind`);
      continue;
    }
    targets.push(
      Object.freeze({
        key: t['key'],
        spec,
        intervalMs: Math.max(100, t['intervalMs']),
        jitterMs: isNum(t['jitterMs']) ? Math.max(0, t['jitterMs']) : 0,
        rise: Math.max(1, Math.floor(t['rise'])),
        fall: Math.max(1, Math.floor(t['fall'])),
        datacenters: Object.freeze(t['datacenters'].filter(isStr)),
        ...(Array.isArray(from) ? { from: Object.freeze(from as string[]) } : {}),
      }),
    );
  }
  return {
    ok: true,
    value: { v: PROTOCOL_VERSION, node: v['node'], version: v['version'], at: v['at'], targets, skipped },
  };
}

export function decodeDrain(text: string, field: string): Decoded<DrainDoc> {
  const p = parse(text, `drain ${field}`);
  if (!p.ok) return p;
  const v = p.value;
  if (!(v['until'] === null || isNum(v['until'])) || !isNum(v['at']))
    return { ok: false, error: `drain ${field}: malformed` };
  return {
    ok: true,
    value: {
      until: (v['until'] as number | null) ?? null,
      at: v['at'],
      by: isStr(v['by']) ? v['by'] : '?',
      reason: isStr(v['reason']) ? v['reason'] : '',
    },
  };
}

/** Merges plans from all nodes: each target is kept while any node references it (who probes it: the union). */
export function mergePlans(plans: readonly PlanDoc[]): PlanTarget[] {
  const out = new Map<string, PlanTarget>();
  for (const p of plans)
    for (const t of p.targets) {
      const prev = out.get(t.key);
      if (!prev) out.set(t.key, t);
      else {
        const { from: prevFrom, ...rest } = prev;
        const datacenters = [...new Set([...prev.datacenters, ...t.datacenters])];
        // Who probes: every agent when any plan says so (no from), else every datacenter any plan names.
        if (prevFrom === undefined || t.from === undefined) out.set(t.key, { ...rest, datacenters });
        else out.set(t.key, { ...rest, datacenters, from: [...new Set([...prevFrom, ...t.from])] });
      }
    }
  return [...out.values()];
}
