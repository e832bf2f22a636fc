// Typed, frozen policy configuration: datacenters, checks, region maps and load-balanced names.
import type { DnssecSettings } from './dnssec/types.js';
import type { DnsName } from './name.js';
import type { LoadSelectors, LoadType } from './load-types.js';

export const POLICIES = [
  'geo',
  'nearest',
  'failover',
  'weighted',
  'hashed',
  'least-loaded',
  'least-bandwidth',
  'lowest-latency',
  'least-response-time',
] as const;
export type PolicyName = (typeof POLICIES)[number];

export const FALLBACKS = ['all', 'first', 'nodata', 'servfail'] as const;
/** The fallback modes, and 'cname': `fallback: { cname: HOST }` (the target is LbName.fallbackCname). */
export type Fallback = (typeof FALLBACKS)[number] | 'cname';

export interface Location {
  readonly lat: number;
  readonly lon: number;
}

export interface Datacenter {
  readonly name: string;
  readonly location: Location | null;
  /** nearest: percent by which distances to this datacenter shrink (Route 53 geoproximity bias). */
  readonly bias: number;
  /** What the datacenter can serve, in the units of `gslb simulate`'s client weights; null: not stated. */
  readonly capacity: number | null;
}

export type CheckType = 'tcp' | 'http' | 'https' | 'dns' | 'tls';

/**
 * Who probes a check's targets (with agents): every agent ('all'), the agents in the datacenters the
 * target serves ('local'), or the agents of the datacenters listed. Only these agents are sent the
 * target, and only their votes count.
 */
export type ProbeFrom = 'all' | 'local' | readonly string[];

export interface Check {
  readonly name: string;
  readonly type: CheckType;
  readonly port: number;
  readonly path: string;
  readonly expect: readonly number[];
  readonly host: string | null;
  readonly sni: string | null;
  readonly tlsVerify: boolean;
  /** https, tls: the CA certificates (PEM text, read from tls_ca when loading) trusted instead of the system's. */
  readonly tlsCa: string | null;
  /** SHA-256 (base64) of tlsCa, made once at load: target keys carry it instead of hashing the PEM each time. */
  readonly tlsCaDigest: string | null;
  /** tls: a certificate that ends within this many days gives a warning (the check stays up); 0: none. */
  readonly expiryWarnDays: number;
  readonly body: string | null;
  readonly followRedirects: boolean;
  readonly query: string | null;
  readonly qtype: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly jitterMs: number;
  readonly rise: number;
  readonly fall: number;
  /** Who probes it (agents only: the embedded prober of `gslb serve` probes everything itself). */
  readonly from: ProbeFrom;
}

/** Passive health: an endpoint whose error rate stays above the threshold goes down (rise/fall like a check). */
export interface PassiveHealth {
  /** Errors / requests between two reads above this (0..1) count as a failed read. */
  readonly maxErrorRate: number;
  /** Fewer requests than this between two reads give no verdict (too few to judge). */
  readonly minRequests: number;
  readonly rise: number;
  readonly fall: number;
}

/** Where agents read an endpoint's load figures: its load balancer's stats. */
export interface LoadSource {
  readonly name: string;
  readonly type: LoadType;
  /** URL template ({address} is the endpoint's address, IPv6 in brackets); null: endpoints give load_url. */
  readonly url: string | null;
  readonly headers: Readonly<Record<string, string>>;
  /** haproxy: the proxy (pxname) and row (svname) to read. */
  readonly proxy: string | null;
  readonly server: string;
  readonly selectors: LoadSelectors;
  readonly tlsVerify: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly jitterMs: number;
  /** Figures older than this are ignored (the policy falls back to the plain order). */
  readonly maxAgeMs: number;
  /** Time constant of the exponential smoothing of connections and bandwidth; 0: raw figures. */
  readonly smoothingMs: number;
  /** Connections one endpoint can take; overrides the source's own figure (HAProxy slim). */
  readonly capacity: number | null;
  readonly passive: PassiveHealth | null;
}

/** Which healthy datacenters a load-aware policy compares for a client. */
export type Tier =
  | { readonly kind: 'all' }
  /** The first n healthy datacenters of the client's order. */
  | { readonly kind: 'first'; readonly n: number }
  /** Healthy datacenters within km of the client's first healthy datacenter. */
  | { readonly kind: 'km'; readonly km: number };

/** Shed load: above `high` utilisation a datacenter gives a growing share of its clients to the next. */
export interface ShedConfig {
  readonly high: number;
  readonly low: number;
  /** Share added (above high) or taken back (below low) per step. */
  readonly step: number;
  readonly everyMs: number;
  /** Largest share ever given away. */
  readonly max: number;
}

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address bytes (4 or 16), host bits zero. */
  readonly bytes: Buffer;
  readonly prefix: number;
  readonly text: string;
}

export interface RegionMatch {
  readonly cidrs: readonly Cidr[];
  /** Upper-case ISO 3166-2 codes, e.g. US-WA. */
  readonly subdivisions: readonly string[];
  readonly countries: readonly string[];
  readonly continents: readonly string[];
  /** Autonomous system numbers (1..2^32-1), from an ASN database given with --geoip. */
  readonly asns: readonly number[];
  /** The line of `asns` in the region's file, kept for the error when no ASN database is loaded; 0 without. */
  readonly asnsLine: number;
}

/** A tier of a region's order written as a map (`{ eu-west: 90, eu-central: 10 }`): its datacenters split the tier's clients by weight. */
export interface TierSplit {
  readonly datacenters: readonly string[];
  readonly weights: readonly number[];
}

export interface Region {
  readonly name: string;
  /** null for a region without match (only 'default'). */
  readonly match: RegionMatch | null;
  /** The order, map tiers flattened in place (a map's datacenters in the order written). */
  readonly datacenters: readonly string[];
  /** The tiers of `datacenters` written as maps; every other datacenter is a tier of its own. */
  readonly splits: readonly TierSplit[];
  readonly file: string;
  readonly line: number;
}

/** A region map: regions by name; 'default' catches clients no other region matches. */
export type RegionMap = ReadonlyMap<string, Region>;

export interface Endpoint {
  /**
   * The IPv4 or IPv6 address; for a CNAME endpoint its target in lower case without the trailing dot
   * (`lb-1.elb.example.net`): what health keys, drains (`ep:`), explain and the status page name it by.
   */
  readonly address: string;
  /** 4 or 6; 0 for a CNAME endpoint, which answers A and AAAA alike. */
  readonly family: 4 | 6 | 0;
  /** A CNAME endpoint's target (the answer is one CNAME to it); absent or null for an address. */
  readonly cname?: DnsName | null;
  /** Not kept by the loader (100,000 names would hold 400,000 small buffers): see addressBytes(). */
  readonly bytes?: Buffer;
  readonly weight: number;
  /** Where to probe; the address itself on the check's port unless the endpoint says otherwise. */
  readonly probe: { readonly host: string; readonly port: number | null } | null;
  /** This endpoint's stats URL, instead of the load source's template. */
  readonly loadUrl: string | null;
  readonly datacenter: string;
}

/** Whether an endpoint is a CNAME target (answered as one CNAME, probed by its host name). */
export function isCname(e: Endpoint): e is Endpoint & { readonly cname: DnsName } {
  return e.cname !== undefined && e.cname !== null;
}

export interface Pool {
  readonly datacenter: string;
  readonly endpoints: readonly Endpoint[];
}

/** min_up for one datacenter: a count of endpoints of the asked family, or a percentage of them. */
export interface MinUp {
  readonly count: number | null;
  /** 0..100; null for a count. */
  readonly percent: number | null;
}

export interface LbName {
  /** The name as written in the policy file ('www', '@'). */
  readonly label: string;
  readonly owner: DnsName;
  readonly policy: PolicyName;
  readonly ttl: number;
  /** Floor of the shorter, health-aware TTL. */
  readonly minTtl: number;
  readonly maxAnswers: number;
  /** The checks that decide endpoint health: an endpoint is up while every one passes; empty: no check. */
  readonly checks: readonly string[];
  /** Checks probed and shown (status page, health API, metrics) that never move an answer. */
  readonly monitor: readonly string[];
  /** The load source read for each endpoint (load-aware policies, shed load, passive health). */
  readonly load: string | null;
  readonly tier: Tier;
  /** Load-aware policies keep their choice until another datacenter is better by more than this share. */
  readonly margin: number;
  readonly shed: ShedConfig | null;
  readonly fallback: Fallback;
  /** fallback 'cname': the sorry site, as an endpoint of no datacenter (datacenter ''); else null. */
  readonly fallbackCname: Endpoint | null;
  /** Its endpoints are CNAME targets: every query type is answered with one CNAME (docs/policy.md). */
  readonly cname: boolean;
  /** The answer draws endpoints from this many healthy datacenters of the client's order (1..16). */
  readonly spread: number;
  /** min_up by datacenter (every pool's, when written as one value); null: 1 everywhere. */
  readonly minUp: ReadonlyMap<string, MinUp> | null;
  /** Pools in file order: the failover order. */
  readonly pools: readonly Pool[];
  /** The name's own region map, or null to use the zone's. */
  readonly regions: RegionMap | null;
  readonly file: string;
  readonly line: number;
}

export interface PolicyConfig {
  readonly datacenters: ReadonlyMap<string, Datacenter>;
  readonly checks: ReadonlyMap<string, Check>;
  readonly loads: ReadonlyMap<string, LoadSource>;
  readonly regions: RegionMap;
  /** Load-balanced names by their lookup key (see zones/name.ts). */
  readonly names: ReadonlyMap<string, LbName>;
  /** The dnssec section (defaults filled in), or null when no policy file has one (DEFAULT_DNSSEC applies). */
  readonly dnssec: DnssecSettings | null;
}

export const DEFAULT_TTL = 30;
export const DEFAULT_MIN_TTL = 5;
export const DEFAULT_MAX_ANSWERS = 8;
export const DEFAULT_EXPIRY_WARN_DAYS = 14;
/** expiry_warn_days's upper bound (policy.schema.json's maximum; a plan's value is clamped to it). */
export const MAX_EXPIRY_WARN_DAYS = 3650;
export const DEFAULT_MARGIN = 0.1;
export const DEFAULT_SPREAD = 1;
export const MAX_SPREAD = 16;
export const DEFAULT_SHED: ShedConfig = Object.freeze({ high: 0.9, low: 0.75, step: 0.1, everyMs: 5000, max: 1 });
/** Policies that rank datacenters by load figures or round-trip times. */
export const LOAD_POLICIES: ReadonlySet<PolicyName> = new Set([
  'least-loaded',
  'least-bandwidth',
  'lowest-latency',
  'least-response-time',
]);
