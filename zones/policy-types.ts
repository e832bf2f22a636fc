// Typed, frozen policy configuration: datacenters, checks, region maps and load-balanced names.
import type { DnsName } from './name.js';

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
export type Fallback = (typeof FALLBACKS)[number];

export interface Location {
  readonly lat: number;
  readonly lon: number;
}

export interface Datacenter {
  readonly name: string;
  readonly location: Location | null;
  /** nearest: percent by which distances to this datacenter shrink (Route 53 geoproximity bias). */
  readonly bias: number;
}

export type CheckType = 'tcp' | 'http' | 'https' | 'dns';

export interface Check {
  readonly name: string;
  readonly type: CheckType;
  readonly port: number;
  readonly path: string;
  readonly expect: readonly number[];
  readonly host: string | null;
  readonly sni: string | null;
  readonly tlsVerify: boolean;
  readonly body: string | null;
  readonly followRedirects: boolean;
  readonly query: string | null;
  readonly qtype: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly jitterMs: number;
  readonly rise: number;
  readonly fall: number;
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
}

export interface Region {
  readonly name: string;
  /** null for a region without match (only 'default'). */
  readonly match: RegionMatch | null;
  readonly datacenters: readonly string[];
  readonly file: string;
  readonly line: number;
}

/** A region map: regions by name; 'default' catches clients no other region matches. */
export type RegionMap = ReadonlyMap<string, Region>;

export interface Endpoint {
  readonly address: string;
  readonly family: 4 | 6;
  /** Not kept by the loader (100,000 names would hold 400,000 small buffers): see addressBytes(). */
  readonly bytes?: Buffer;
  readonly weight: number;
  /** Where to probe; the address itself on the check's port unless the endpoint says otherwise. */
  readonly probe: { readonly host: string; readonly port: number | null } | null;
  readonly datacenter: string;
}

export interface Pool {
  readonly datacenter: string;
  readonly endpoints: readonly Endpoint[];
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
  readonly check: string | null;
  readonly fallback: Fallback;
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
  readonly regions: RegionMap;
  /** Load-balanced names by their lookup key (see zones/name.ts). */
  readonly names: ReadonlyMap<string, LbName>;
}

export const DEFAULT_TTL = 30;
export const DEFAULT_MIN_TTL = 5;
export const DEFAULT_MAX_ANSWERS = 8;
