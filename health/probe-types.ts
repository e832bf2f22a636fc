// What the active health checks probe: one spec per distinct target, derived from a check and its endpoints.
import type { Check, Endpoint } from '../zones/policy-types.js';
import { targetKey } from './view.js';

/** Everything one probe needs, resolved from the check and the endpoint. */
export interface ProbeSpec {
  readonly type: 'tcp' | 'http' | 'https' | 'dns';
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** HTTP status codes, or DNS rcode numbers, that count as healthy. */
  readonly expect: readonly number[];
  readonly hostHeader: string | null;
  readonly sni: string | null;
  readonly tlsVerify: boolean;
  readonly body: string | null;
  readonly followRedirects: boolean;
  readonly query: string | null;
  readonly qtype: string;
  readonly timeoutMs: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly rttMs: number;
  readonly reason: string;
  /** When the probe started (ms since the epoch). */
  readonly at: number;
}

export interface ProbeTarget {
  /** targetKey(check, endpoint): names sharing a target share its state. */
  readonly key: string;
  readonly spec: ProbeSpec;
  readonly intervalMs: number;
  readonly jitterMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** The distinct probe targets of endpoints under a check (endpoints sharing a probe address share a target). */
export function probeTargetsFor(check: Check, endpoints: readonly Endpoint[]): ProbeTarget[] {
  const out = new Map<string, ProbeTarget>();
  for (const ep of endpoints) {
    const key = targetKey(check, ep);
    if (out.has(key)) continue;
    const spec: ProbeSpec = Object.freeze({
      type: check.type,
      host: ep.probe?.host ?? ep.address,
      port: ep.probe?.port ?? check.port,
      path: check.path,
      expect: check.expect,
      hostHeader: check.host,
      sni: check.sni,
      tlsVerify: check.tlsVerify,
      body: check.body,
      followRedirects: check.followRedirects,
      query: check.query,
      qtype: check.qtype,
      timeoutMs: check.timeoutMs,
    });
    out.set(
      key,
      Object.freeze({
        key,
        spec,
        intervalMs: check.intervalMs,
        jitterMs: check.jitterMs,
        rise: check.rise,
        fall: check.fall,
      }),
    );
  }
  return [...out.values()];
}

/** Two specs probe the same thing the same way (a target whose spec is unchanged keeps its state). */
export function sameSpec(a: ProbeSpec, b: ProbeSpec): boolean {
  return (
    a.type === b.type &&
    a.host === b.host &&
    a.port === b.port &&
    a.path === b.path &&
    a.expect.length === b.expect.length &&
    a.expect.every((v, i) => v === b.expect[i]) &&
    a.hostHeader === b.hostHeader &&
    a.sni === b.sni &&
    a.tlsVerify === b.tlsVerify &&
    a.body === b.body &&
    a.followRedirects === b.followRedirects &&
    a.query === b.query &&
    a.qtype === b.qtype &&
    a.timeoutMs === b.timeoutMs
  );
}
