// `gslb serve` as the hardening tests run it: on a free loopback port, with the admin server (for
// /metrics) and, unless the test says otherwise, the default number of workers, so what is checked is
// what an operator gets without --workers. Its JSON log lines (stderr) are read back by message.
import { gslb, type Running } from './processes.js';
import { until } from './until.js';

export interface ServeNode {
  readonly proc: Running;
  /** The DNS port on 127.0.0.1 (UDP and TCP). */
  readonly port: number;
  /** The DNS port on ::1, when startServe was asked for IPv6. */
  readonly port6: number | null;
  /** The admin base URL, ending in '/'. */
  readonly admin: string;
  /** Worker processes serving DNS, as the node printed it (1 when it runs everything in one process). */
  readonly workers: number;
  /** The --proxy-listen port on 127.0.0.1, when one was asked for. */
  readonly proxyPort: number | null;
}

/**
 * Starts `gslb serve --zones DIR ARGS` with --listen 127.0.0.1:0 (and [::1]:0 with `ipv6`) and
 * --admin 127.0.0.1:0 added; `env` is added to the clean environment (helpers/processes.ts).
 */
export async function startServe(
  zones: string,
  args: readonly string[] = [],
  ipv6 = false,
  env: Record<string, string> = {},
): Promise<ServeNode> {
  const proc = gslb(
    [
      'serve',
      '--zones',
      zones,
      '--listen',
      '127.0.0.1:0',
      ...(ipv6 ? ['--listen', '[::1]:0'] : []),
      '--admin',
      '127.0.0.1:0',
      '--no-watch',
      '--log-level',
      'info',
      ...args,
    ],
    env,
  );
  const serving = await proc.waitFor(/gslb serving .* on (.+) \(udp\+tcp(?:, (\d+) workers)?\)/, 20_000);
  const v4 = /127\.0\.0\.1:(\d+)/.exec(serving[1]!);
  const v6 = /\[::1\]:(\d+)/.exec(serving[1]!);
  const admin = await proc.waitFor(/admin on (http:\/\/\S+\/)/, 5000);
  const proxy = args.includes('--proxy-listen')
    ? await proc.waitFor(/proxy protocol v2 on 127\.0\.0\.1:(\d+) \(udp\+tcp\)/, 5000)
    : null;
  return {
    proc,
    port: Number(v4![1]),
    port6: v6 ? Number(v6[1]) : null,
    admin: admin[1]!,
    workers: serving[2] === undefined ? 1 : Number(serving[2]),
    proxyPort: proxy ? Number(proxy[1]) : null,
  };
}

/**
 * The node's /metrics samples: `name{labels}` -> value, the labels sorted by name (the order a
 * registry prints them in is its own), as series() spells them.
 */
export async function metrics(node: ServeNode): Promise<Map<string, number>> {
  const res = await fetch(`${node.admin}metrics`);
  if (!res.ok) throw new Error(`GET ${node.admin}metrics: ${res.status}`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!] as const);
    out.set(series(m[1]!, Object.fromEntries(labels)), Number(m[3]));
  }
  return out;
}

/** A series' key in metrics()'s map: `name{a="x",b="y"}`, labels sorted by name. */
export function series(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${labels[k]}"`).join(',')}}`;
}

/** One sample's value, 0 when the series is not there (yet). */
export function sample(samples: Map<string, number>, series: string): number {
  return samples.get(series) ?? 0;
}

/**
 * Waits until every series has grown by the wanted amount over `before` (workers report their counters
 * to the primary once a second), and reads them again a report later, so a worker's late report that
 * overshoots is seen: returns the deltas last read, for the test to compare.
 */
export async function metricDeltas(
  node: ServeNode,
  before: Map<string, number>,
  want: Readonly<Record<string, number>>,
  timeoutMs = 5000,
): Promise<Record<string, number>> {
  let got: Record<string, number> = {};
  const read = async () => {
    const now = await metrics(node);
    got = Object.fromEntries(Object.keys(want).map((s) => [s, sample(now, s) - sample(before, s)]));
    return Object.keys(want).every((s) => got[s] === want[s]);
  };
  const reached = await until('metrics to reach the counted values', read, timeoutMs, 200).then(
    () => true,
    () => false,
  );
  if (reached) {
    await new Promise((r) => setTimeout(r, 1100));
    await read();
  }
  return got;
}

/** The node's JSON log lines (all its processes share stderr) whose msg is `msg`. */
export function logLines(node: ServeNode, msg: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of node.proc.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o['msg'] === msg) out.push(o);
    } catch {
      // a line cut by the read in progress: read again later
    }
  }
  return out;
}
