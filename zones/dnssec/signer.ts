// A zone's signer: RRSIGs made on first use and kept by the RRset's content (owner, type, TTL,
// canonical RDATA), not by who asked, until `refresh` before they expire. A load-balanced answer seen
// again (any client, any round-robin order, a failover back) is served from here without signing.
import type { DnsName } from '../name.js';
import { QTYPE } from '../dns.js';
import type { AnswerRecord } from '../records.js';
import { canonicalRdatas, wireOfKey } from './canonical.js';
import { makeRrsig, serialTime } from './sign.js';
import { keepBytes } from '../kept-bytes.js';
import type { ZoneDnssec, ZoneKey } from './types.js';

/**
 * Default bound on cached RRsets. An entry is about 0.3-0.5 KB (key string, one RRSIG per signing
 * key), so the bound holds the cache near 100 MB at most; past it the oldest entry goes (FIFO by
 * signing time, counted in stats.evicted): it is signed again if it is served again.
 */
export const DEFAULT_MAX_CACHED_RRSETS = 200_000;

/** What sign() returns: one RRSIG RDATA per signing key and when they must be made again (ms). */
export interface Signatures {
  readonly rdatas: readonly Buffer[];
  readonly refreshAt: number;
}

interface Entry extends Signatures {
  /** ms: before it (a clock gone back past the inception) the signatures are not valid yet. */
  readonly inceptionMs: number;
  readonly expirationMs: number;
}

/** The content key of frozen records seen before, by identity (the zone's own RRsets, the NSEC chain's records). */
interface Memo {
  readonly records: readonly AnswerRecord[];
  readonly ownerKey: string;
  readonly type: number;
  readonly ttl: number;
  readonly key: string;
  readonly rdatas: readonly Buffer[];
}

const NONE: Signatures = Object.freeze({ rdatas: Object.freeze([]) as readonly Buffer[], refreshAt: Infinity });

export class ZoneSigner {
  /** made: signatures made (crypto.sign calls); cached: RRsets served from the cache; evicted: entries dropped by the bound. */
  readonly stats = { made: 0, cached: 0, evicted: 0 };
  private readonly cache = new Map<string, Entry>();
  private readonly memo = new WeakMap<AnswerRecord, Memo>();
  private readonly signerWire: Buffer;

  constructor(
    apex: DnsName,
    private readonly dnssec: ZoneDnssec,
    private readonly maxEntries = DEFAULT_MAX_CACHED_RRSETS,
  ) {
    this.signerWire = wireOfKey(apex.key);
  }

  /** The keys that sign `type`: the KSKs for the apex key sets (RFC 7344 for CDS/CDNSKEY), the ZSKs for the rest. */
  keysFor(type: number): readonly ZoneKey[] {
    const s = this.dnssec.state;
    return type === QTYPE.DNSKEY || type === QTYPE.CDS || type === QTYPE.CDNSKEY ? s.ksks : s.zsks;
  }

  /**
   * RRSIG RDATAs for one RRset (owner `owner`, or `signingName` for records synthesized from that
   * wildcard: RFC 4035 5.3.4), cached by content until refresh, and when they must be refreshed.
   */
  sign(
    owner: DnsName,
    type: number,
    ttl: number,
    records: readonly AnswerRecord[],
    now: number,
    signingName?: DnsName,
  ): Signatures {
    const keys = this.keysFor(type);
    if (keys.length === 0 || records.length === 0) return NONE;
    const ownerKey = (signingName ?? owner).key;
    const content = this.contentOf(ownerKey, type, ttl, records);
    const hit = this.cache.get(content.key);
    if (hit !== undefined && now < hit.refreshAt && now >= hit.inceptionMs) {
      this.stats.cached++;
      return hit;
    }
    if (hit !== undefined) this.cache.delete(content.key);
    const entry = this.make(keys, ownerKey, type, ttl, content.rdatas, now);
    this.insert(content.key, entry, now);
    return entry;
  }

  /** The earliest expiration (ms) among the cached signatures still served (refreshAt after `now`), or null. */
  earliestExpiry(now = Date.now()): number | null {
    let min: number | null = null;
    for (const e of this.cache.values())
      if (e.refreshAt > now && (min === null || e.expirationMs < min)) min = e.expirationMs;
    return min;
  }

  /** How many RRsets the cache holds. */
  get size(): number {
    return this.cache.size;
  }

  private make(
    keys: readonly ZoneKey[],
    ownerKey: string,
    type: number,
    ttl: number,
    rdatas: readonly Buffer[],
    now: number,
  ): Entry {
    const settings = this.dnssec.settings;
    const inception = serialTime(now) - settings.inceptionOffset;
    const expiration = inception + settings.validity;
    const fields = { typeCovered: type, originalTtl: ttl, inception, expiration, signerWire: this.signerWire };
    const ownerWire = wireOfKey(ownerKey);
    const out: Buffer[] = [];
    for (const k of keys) {
      out.push(makeRrsig(k, fields, ownerWire, rdatas));
      this.stats.made++;
    }
    // Serial times are taken from the unwrapped seconds here: the window is within 2^32 s of now.
    const expirationMs = (Math.floor(now / 1000) - settings.inceptionOffset + settings.validity) * 1000;
    return {
      rdatas: Object.freeze(out),
      refreshAt: expirationMs - settings.refresh * 1000,
      inceptionMs: (Math.floor(now / 1000) - settings.inceptionOffset) * 1000,
      expirationMs,
    };
  }

  private insert(key: string, entry: Entry, now: number): void {
    // Oldest entries first (Map order is insertion order): drop the stale ones at the head, then the
    // oldest while over the bound.
    for (const [k, e] of this.cache) {
      if (e.refreshAt > now && this.cache.size < this.maxEntries) break;
      this.cache.delete(k);
      if (e.refreshAt > now) this.stats.evicted++;
    }
    this.cache.set(key, entry);
  }

  /** The content key (owner, type, TTL, canonical RDATAs in canonical order) and those RDATAs. */
  private contentOf(
    ownerKey: string,
    type: number,
    ttl: number,
    records: readonly AnswerRecord[],
  ): { key: string; rdatas: readonly Buffer[] } {
    const first = records[0]!;
    const m = this.memo.get(first);
    if (
      m !== undefined &&
      m.ownerKey === ownerKey &&
      m.type === type &&
      m.ttl === ttl &&
      sameRecords(m.records, records)
    )
      return m;
    const rdatas = canonicalRdatas(
      type,
      records.map((r) => r.rdata),
    );
    let key = `${ownerKey}|${type}|${ttl}`;
    for (const r of rdatas) key += `|${r.length}:${r.toString('latin1')}`;
    // Remembered only for records that stay (frozen: the zone's RRsets, the NSEC chain's records):
    // a WeakMap entry per fresh record (a load-balanced answer's, made per decision) costs more in
    // the garbage collector than the key it saves. What is remembered is kept out of Node's pool.
    if (!Object.isFrozen(records) && !Object.isFrozen(first)) return { key, rdatas };
    const memo: Memo = { records: records.slice(), ownerKey, type, ttl, key, rdatas: rdatas.map(keepBytes) };
    this.memo.set(first, memo);
    return memo;
  }
}

function sameRecords(a: readonly AnswerRecord[], b: readonly AnswerRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
