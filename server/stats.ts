// Hot-path counters: one typed-array slot per (zone, qtype, rcode, transport) and a latency
// histogram, incremented with no allocation; metrics read them at scrape time.
import type { Catalog, CompiledZone } from './catalog.js';
import { GUARD_SLOTS } from './guard-stats.js';

/** Query types counted by name; everything else is "other". */
export const QTYPE_LABELS = [
  'A',
  'NS',
  'CNAME',
  'SOA',
  'PTR',
  'MX',
  'TXT',
  'AAAA',
  'SRV',
  'DS',
  'CAA',
  'ANY',
  'other',
] as const;
const QTYPE_CODES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 257, 255];
export const RCODE_LABELS = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'BADVERS',
  'other',
] as const;
export const TRANSPORT_LABELS = ['udp', 'tcp'] as const;
/** Upper bounds of the answer-latency buckets, in seconds (the time inside handleQuery, sampled 1 in 8). */
export const LATENCY_BUCKETS = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025];

const qtypeSlot = new Uint8Array(65536).fill(QTYPE_LABELS.length - 1);
QTYPE_CODES.forEach((code, i) => (qtypeSlot[code] = i));
const NQ = QTYPE_LABELS.length;
const NR = RCODE_LABELS.length;
const NT = TRANSPORT_LABELS.length;
const PER_ZONE = NQ * NR * NT;
/** Zones beyond this many share the last slot ("other"), so a huge catalog cannot blow up the metrics. */
export const MAX_ZONE_SLOTS = 1024;

export function rcodeSlot(rcode: number): number {
  return rcode <= 5 ? rcode : rcode === 16 ? 6 : 7;
}

export class PipelineStats {
  dropped = 0;
  /** Exceptions caught by the top-level catch (answered SERVFAIL). */
  errors = 0;
  /** Zone names by slot; slot 0 is "no zone" (refused, malformed). */
  readonly zoneNames: string[] = ['(none)'];
  private readonly slotByName = new Map<string, number>();
  private readonly slotByZone = new WeakMap<CompiledZone, number>();
  counts = new Float64Array(PER_ZONE * 16);
  readonly latency = new Float64Array(LATENCY_BUCKETS.length + 1);
  latencySum = 0;
  /**
   * DNSSEC signing counts by zone that the served catalog's signers do not hold: those of catalogs
   * that reloads replaced (so the counters never go back), and in a primary its workers' sums.
   */
  readonly signing = new Map<string, SigningCount>();
  /** Rate limiting, cookies, PROXY drops, refused TCP connections (guard-stats.ts says which slot is which). */
  readonly guards = new Float64Array(GUARD_SLOTS);
  /** With --workers, in the primary: each worker's last event-loop delay p99, in seconds, by worker id. */
  readonly loopDelay = new Map<string, number>();
  /** With --workers, in the primary: the health state epoch each worker last reported, by worker id. */
  readonly workerStateEpoch = new Map<string, number>();

  /** The slot of a zone, stable across reloads (by name). */
  zoneSlot(zone: CompiledZone): number {
    const known = this.slotByZone.get(zone);
    if (known !== undefined) return known;
    const s = this.zoneSlotByName(zone.name);
    this.slotByZone.set(zone, s);
    return s;
  }

  zoneSlotByName(name: string): number {
    let s = this.slotByName.get(name);
    if (s === undefined) {
      s = Math.min(this.zoneNames.length, MAX_ZONE_SLOTS - 1);
      if (s === this.zoneNames.length) this.zoneNames.push(s === MAX_ZONE_SLOTS - 1 ? '(other)' : name);
      this.slotByName.set(name, s);
      if ((s + 1) * PER_ZONE > this.counts.length) {
        const bigger = new Float64Array(this.counts.length * 2);
        bigger.set(this.counts);
        this.counts = bigger;
      }
    }
    return s;
  }

  /** Counts a query; seconds < 0 means "not timed" (latency is sampled, one query in 8). */
  record(zone: number, qtype: number, rcode: number, tcp: boolean, seconds: number): void {
    this.counts[zone * PER_ZONE + qtypeSlot[qtype]! * NR * NT + rcodeSlot(rcode) * NT + (tcp ? 1 : 0)]!++;
    if (seconds < 0) return;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]!) b++;
    this.latency[b]!++;
    this.latencySum += seconds;
  }

  /** Visits every non-zero counter with its labels. */
  forEachCount(fn: (zone: string, qtype: string, rcode: string, transport: string, value: number) => void): void {
    for (let z = 0; z < this.zoneNames.length; z++)
      for (let q = 0; q < NQ; q++)
        for (let r = 0; r < NR; r++)
          for (let t = 0; t < NT; t++) {
            const v = this.counts[z * PER_ZONE + q * NR * NT + r * NT + t]!;
            if (v > 0) fn(this.zoneNames[z]!, QTYPE_LABELS[q]!, RCODE_LABELS[r]!, TRANSPORT_LABELS[t]!, v);
          }
  }
}

/** A signed zone's signing figures. */
export interface SigningCount {
  /** Signatures made. */
  made: number;
  /** RRsets whose signatures came from the signer's cache. */
  cached: number;
  /** The earliest expiration among the cached signatures (ms since the epoch), null with none. */
  expiry: number | null;
}

function addSigning(into: Map<string, SigningCount>, zone: string, c: SigningCount): void {
  const t = into.get(zone);
  if (t === undefined) {
    into.set(zone, { ...c });
    return;
  }
  t.made += c.made;
  t.cached += c.cached;
  if (c.expiry !== null && (t.expiry === null || c.expiry < t.expiry)) t.expiry = c.expiry;
}

/** The signing figures of the catalog's signed zones, as their signers count them now. */
function liveSigning(catalog: Catalog): Map<string, SigningCount> {
  const out = new Map<string, SigningCount>();
  for (const z of catalog.zones.values()) {
    if (z.signed === null) continue;
    const st = z.signed.signer.stats;
    out.set(z.name, { made: st.made, cached: st.cached, expiry: z.signed.signer.earliestExpiry() });
  }
  return out;
}

/** Keeps a replaced catalog's signature counts (not its expiry: those signatures are served no more). */
export function retireSigning(s: PipelineStats, old: Catalog): void {
  for (const [zone, c] of liveSigning(old)) addSigning(s.signing, zone, { ...c, expiry: null });
}

/** Signing figures by zone: the served catalog's signers' plus what the stats kept (reloads, workers). */
export function signingCounts(s: PipelineStats, catalog: Catalog): Map<string, SigningCount> {
  const out = new Map<string, SigningCount>();
  for (const [zone, c] of s.signing) addSigning(out, zone, c);
  for (const [zone, c] of liveSigning(catalog)) addSigning(out, zone, c);
  return out;
}

/** Counters as plain data, sent by workers to the primary (--workers N). */
export interface StatsSnapshot {
  readonly zoneNames: readonly string[];
  readonly counts: readonly number[];
  readonly latency: readonly number[];
  readonly latencySum: number;
  readonly dropped: number;
  readonly errors: number;
  /** DNSSEC signing figures: [zone, made, cached, earliest expiry or null]. */
  readonly signing: ReadonlyArray<readonly [string, number, number, number | null]>;
  readonly guards: readonly number[];
}

/** The counters as data; with the served catalog, its signers' figures are in the signing counts. */
export function statsSnapshot(s: PipelineStats, catalog?: Catalog): StatsSnapshot {
  const signing = catalog === undefined ? s.signing : signingCounts(s, catalog);
  return {
    zoneNames: [...s.zoneNames],
    counts: Array.from(s.counts),
    latency: Array.from(s.latency),
    latencySum: s.latencySum,
    dropped: s.dropped,
    errors: s.errors,
    signing: [...signing].map(([zone, c]) => [zone, c.made, c.cached, c.expiry] as const),
    guards: Array.from(s.guards),
  };
}

/** A snapshot without signature expiries: a worker that has exited serves its signatures no more. */
export function withoutExpiry(s: StatsSnapshot): StatsSnapshot {
  return { ...s, signing: s.signing.map(([zone, made, cached]) => [zone, made, cached, null] as const) };
}

/** Sums workers' snapshots into one PipelineStats (the primary's, which answers no queries itself). */
export function sumStats(into: PipelineStats, parts: readonly StatsSnapshot[]): void {
  into.counts.fill(0);
  into.latency.fill(0);
  into.latencySum = 0;
  into.dropped = 0;
  into.errors = 0;
  into.signing.clear();
  into.guards.fill(0);
  for (const p of parts) {
    for (let i = 0; i < into.guards.length; i++) into.guards[i]! += p.guards[i] ?? 0;
    for (const [zone, made, cached, expiry] of p.signing) addSigning(into.signing, zone, { made, cached, expiry });
    for (let z = 0; z < p.zoneNames.length; z++) {
      const slot = z === 0 ? 0 : into.zoneSlotByName(p.zoneNames[z]!);
      for (let i = 0; i < PER_ZONE; i++) into.counts[slot * PER_ZONE + i]! += p.counts[z * PER_ZONE + i] ?? 0;
    }
    for (let b = 0; b < into.latency.length; b++) into.latency[b]! += p.latency[b] ?? 0;
    into.latencySum += p.latencySum;
    into.dropped += p.dropped;
    into.errors += p.errors;
  }
}
