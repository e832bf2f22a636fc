// The node's /metrics, read for the soak: event-loop delay (prom-client resets its histogram at each
// scrape, so each read is the p99 since the last one), reloads, Redis, RRL.

/** Prometheus text to `name{labels}` -> value (comments skipped; labels kept as written). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** Series of one metric: label text ('' when none) -> value. */
export function series(m: Map<string, number>, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of m) {
    if (k === name) out.set('', v);
    else if (k.startsWith(`${name}{`)) out.set(k.slice(name.length + 1, -1), v);
  }
  return out;
}

/** Sum over a metric's series whose labels include every `label="value"` given. */
export function sumOf(m: Map<string, number>, name: string, ...labels: string[]): number {
  let s = 0;
  for (const [l, v] of series(m, name)) if (labels.every((x) => l.split(',').includes(x))) s += v;
  return s;
}

export async function scrape(adminUrl: string): Promise<Map<string, number>> {
  const res = await fetch(new URL('/metrics', adminUrl), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

export const PRIMARY_LAG_P99 = 'nodejs_eventloop_lag_p99_seconds';
export const WORKER_LAG_P99 = 'gslb_worker_event_loop_delay_p99_seconds';

/** gslb_decisions_total summed by reason (primary, failover, fallback, ...): did health reach answers. */
export function decisionsByReason(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [labels, v] of series(m, 'gslb_decisions_total')) {
    const reason = /reason="([^"]*)"/.exec(labels)?.[1] ?? '';
    out[reason] = (out[reason] ?? 0) + v;
  }
  return out;
}
