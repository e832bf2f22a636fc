// readLoad: fetch a load source's page and parse it by the source's type; never rejects.
import { performance } from 'node:perf_hooks';
import { fetchText } from './fetch.js';
import { parseHaproxyCsv } from './haproxy.js';
import { parseJsonReading } from './json.js';
import { parseStubStatus } from './nginx.js';
import { parsePrometheusReading } from './prometheus.js';
import type { LoadReading, LoadReadSpec, ReadLoad } from './types.js';

function parse(spec: LoadReadSpec, text: string): LoadReading | string {
  switch (spec.type) {
    case 'haproxy':
      return spec.proxy === null ? 'no HAProxy proxy to read' : parseHaproxyCsv(text, spec.proxy, spec.server);
    case 'nginx':
      return parseStubStatus(text);
    case 'prometheus':
      return parsePrometheusReading(text, spec.selectors);
    case 'json':
      return parseJsonReading(text, spec.selectors);
    default: {
      const unknown: never = spec.type;
      return `unknown load source type ${String(unknown)}`;
    }
  }
}

export const readLoad: ReadLoad = async (spec, signal) => {
  const t0 = performance.now();
  try {
    const fetched = await fetchText(spec.url, {
      headers: spec.headers,
      timeoutMs: spec.timeoutMs,
      tlsVerify: spec.tlsVerify,
      signal,
    });
    if (!fetched.ok) return fetched;
    const parsed = parse(spec, fetched.text);
    return Object.freeze(
      typeof parsed === 'string'
        ? { ok: false, reason: parsed, rttMs: fetched.rttMs }
        : { ok: true, reading: Object.freeze(parsed), rttMs: fetched.rttMs },
    );
  } catch (err) {
    // A parser bug must not take the agent's read loop down with it.
    const message = err instanceof Error ? err.message : String(err);
    return Object.freeze({ ok: false, reason: `load read error: ${message}`, rttMs: performance.now() - t0 });
  }
};
