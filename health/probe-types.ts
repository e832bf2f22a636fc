// What agents probe: one spec per distinct target, derived from a check (or a load source) and its
// endpoints. Active checks and load reads share the scheduler, the hysteresis and the quorum.
import { isCname, type Check, type Endpoint, type LoadSource } from '../zones/policy-types.js';
import { LOAD_TYPES, type LoadReadSpec, type LoadReading } from './load/types.js';
import { loadKey, loadUrlOf, targetKey } from './view.js';

/** Everything one active check needs, resolved from the check and the endpoint. */
export interface CheckSpec {
  readonly type: 'tcp' | 'http' | 'https' | 'dns' | 'tls';
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** HTTP status codes, or DNS rcode numbers, that count as healthy. */
  readonly expect: readonly number[];
  readonly hostHeader: string | null;
  readonly sni: string | null;
  readonly tlsVerify: boolean;
  /** https, tls: PEM CA certificates trusted instead of the system's; null: the system's. */
  readonly ca: string | null;
  /** tls: a certificate ending within this many days gives a warning; 0: never. */
  readonly expiryWarnDays: number;
  readonly body: string | null;
  readonly followRedirects: boolean;
  readonly query: string | null;
  readonly qtype: string;
  readonly timeoutMs: number;
}

/** A load read: where the figures are, and how successive readings are folded into figures. */
export interface LoadSpec extends LoadReadSpec {
  /** Connections one endpoint can take, overriding the source's figure. */
  readonly capacity: number | null;
  readonly smoothingMs: number;
  readonly maxAgeMs: number;
  readonly passive: { readonly maxErrorRate: number; readonly minRequests: number } | null;
}

export type ProbeSpec = CheckSpec | LoadSpec;

export function isLoadSpec(spec: ProbeSpec): spec is LoadSpec {
  return (LOAD_TYPES as readonly string[]).includes(spec.type);
}

/** What a spec probes, for logs and tests: HOST:PORT of a check, the URL of a load read. */
export function describeSpec(spec: ProbeSpec): string {
  return isLoadSpec(spec) ? spec.url : `${spec.host}:${spec.port}`;
}

export type LoadTarget = ProbeTarget & { readonly spec: LoadSpec };

export function isLoadTarget(t: ProbeTarget): t is LoadTarget {
  return isLoadSpec(t.spec);
}

/** A passing probe's warning; the prober logs it once a day per target and subject. */
export interface ProbeWarning {
  /** What to log (the probe's reason says the same). */
  readonly text: string;
  /**
   * What it is about (a certificate, by its end date): a new subject on the same target (a replaced
   * certificate that ends soon too) is logged at once.
   */
  readonly subject: string;
}

export interface ProbeResult {
  /** Check: healthy. Load read: the figures were read. */
  readonly ok: boolean;
  readonly rttMs: number;
  readonly reason: string;
  /** When the probe started (ms since the epoch). */
  readonly at: number;
  /** Something the operator should hear about although the probe passed (a certificate about to expire). */
  readonly warning?: ProbeWarning;
  /** Load reads: the raw figures. */
  readonly reading?: LoadReading;
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

/** One target per distinct key: endpoints that share a key (a probe address, a stats URL) share its state. */
function distinctTargets(
  endpoints: readonly Endpoint[],
  keyOf: (ep: Endpoint) => string,
  specOf: (ep: Endpoint) => ProbeSpec,
  schedule: Pick<ProbeTarget, 'intervalMs' | 'jitterMs' | 'rise' | 'fall'>,
): ProbeTarget[] {
  const out = new Map<string, ProbeTarget>();
  for (const ep of endpoints) {
    const key = keyOf(ep);
    if (!out.has(key)) out.set(key, Object.freeze({ key, spec: Object.freeze(specOf(ep)), ...schedule }));
  }
  return [...out.values()];
}

/** The distinct probe targets of endpoints under a check (endpoints sharing a probe address share a target). */
export function probeTargetsFor(check: Check, endpoints: readonly Endpoint[]): ProbeTarget[] {
  return distinctTargets(
    endpoints,
    (ep) => targetKey(check, ep),
    (ep): CheckSpec => ({
      type: check.type,
      host: ep.probe?.host ?? ep.address,
      port: ep.probe?.port ?? check.port,
      path: check.path,
      expect: check.expect,
      // A CNAME endpoint is its host name's virtual host: Host and SNI name it unless the check says otherwise.
      hostHeader: check.host ?? (isCname(ep) && (check.type === 'http' || check.type === 'https') ? ep.address : null),
      sni: check.sni ?? (isCname(ep) && check.type === 'tls' ? ep.address : null),
      tlsVerify: check.tlsVerify,
      ca: check.tlsCa,
      expiryWarnDays: check.expiryWarnDays,
      body: check.body,
      followRedirects: check.followRedirects,
      query: check.query,
      qtype: check.qtype,
      timeoutMs: check.timeoutMs,
    }),
    { intervalMs: check.intervalMs, jitterMs: check.jitterMs, rise: check.rise, fall: check.fall },
  );
}

/** The distinct load-read targets of endpoints under a load source (endpoints sharing a URL share one). */
export function loadTargetsFor(source: LoadSource, endpoints: readonly Endpoint[]): ProbeTarget[] {
  const passive = source.passive;
  return distinctTargets(
    endpoints,
    (ep) => loadKey(source, ep),
    (ep): LoadSpec => ({
      type: source.type,
      url: loadUrlOf(source, ep),
      headers: source.headers,
      proxy: source.proxy,
      server: source.server,
      selectors: source.selectors,
      timeoutMs: source.timeoutMs,
      tlsVerify: source.tlsVerify,
      capacity: source.capacity,
      smoothingMs: source.smoothingMs,
      maxAgeMs: source.maxAgeMs,
      passive: passive && { maxErrorRate: passive.maxErrorRate, minRequests: passive.minRequests },
    }),
    // Without passive health a load read gives no verdicts: rise and fall never come into play.
    { intervalMs: source.intervalMs, jitterMs: source.jitterMs, rise: passive?.rise ?? 1, fall: passive?.fall ?? 1 },
  );
}

/** Two specs probe the same thing the same way (a target whose spec is unchanged keeps its state). */
export function sameSpec(a: ProbeSpec, b: ProbeSpec): boolean {
  if (isLoadSpec(a) || isLoadSpec(b)) return JSON.stringify(a) === JSON.stringify(b);
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
    a.ca === b.ca &&
    a.expiryWarnDays === b.expiryWarnDays &&
    a.body === b.body &&
    a.followRedirects === b.followRedirects &&
    a.query === b.query &&
    a.qtype === b.qtype &&
    a.timeoutMs === b.timeoutMs
  );
}
