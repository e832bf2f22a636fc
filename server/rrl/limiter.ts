// Response rate limiting, BIND's model (ARM "rate-limit"): a token bucket per (client prefix, response
// class, class key) in a fixed table. A pure core: time comes in as nowMs, no timers, no I/O.
//
// Bucket: a new entry holds `cap` = max(rate, 1) (one second of burst; at least one response, so a
// worker's share below 1/s still answers now and then), earns `rate` a second up to `cap`, and each
// response costs 1. A response is sent when the balance is >= 1 before it; otherwise it is limited and
// the balance still drops, floored at -rate * windowSec: a flood stays limited, and a key that stops
// is limited until its debt is paid back, at most windowSec seconds.
//
// Table: `capacity` entries in sets of 4, allocated once as typed arrays, 29 bytes an entry
// (fingerprint i32 4, class and flags u8 1, balance f64 8, last use f64 8, limited count f64 8): the
// default-sized tables cost a few MB, never more. One hash of the key picks the set, a second
// independent one is the fingerprint. An entry unused for longer than it takes any debt to be repaid
// and the bucket to refill (windowSec + cap / rate seconds: window + 1 s for rates >= 1) is exactly a
// new one, so its slot counts as free. A full set evicts its least recently used entry not limited
// right now, else its least recently used: a spoofer cycling prefixes only recycles slots.
import { randomBytes } from 'node:crypto';
import { nameToText } from '../../zones/name.js';
import { hashKey, laneSeed } from './hash.js';
import { prefix4Text, prefix6Text } from './prefix-text.js';
import {
  RRL_CLASS,
  RRL_CLASS_NAMES,
  RRL_DROP,
  RRL_SEND,
  RRL_SLIP,
  rrlSettingsError,
  type RrlClassName,
  type RrlSettings,
  type RrlVerdict,
} from './settings.js';

// The settings' names are part of the limiter's API: callers import everything from here.
export * from './settings.js';

/**
 * A limited episode of one key: starts at its first limited response, ends when its balance is back at
 * >= 0 with no response limited since (seen by sweep or the next response sent) or when its entry is
 * evicted.
 */
export interface RrlEpisode {
  /** '192.0.2.0/24', '2001:db8::/56' */
  readonly prefix: string;
  readonly class: RrlClassName;
  /** The key as text ('www.example.com.'), null for 'error'. */
  readonly name: string | null;
  /** For answer and nodata; null for the others. */
  readonly qtype: number | null;
  /** Responses limited (dropped + slipped, or would-be in log-only) so far. */
  readonly limited: number;
}

/** Called synchronously from check4/check6/sweep; they must not call back into the limiter. */
export interface RrlHooks {
  onStart?(e: RrlEpisode): void;
  onStop?(e: RrlEpisode, why: 'recovered' | 'evicted'): void;
}

type EpisodeRecord = Omit<RrlEpisode, 'limited'>;

const WAYS = 4;
/** meta byte: the class in the low bits, then whether the entry is used and whether it is in an episode. */
const CLASS_BITS = 0x07;
const USED = 0x80;
const EPISODE = 0x40;
/** Family tags hashed with the class, so a v4 and a v6 prefix with equal words differ. */
const FAMILY4 = 0x400;
const FAMILY6 = 0x600;

/**
 * The mask of a prefix of `len` bits over the 32-bit word that starts at bit `from`, as an int32: words
 * stay small integers end to end, so no call on the query path boxes a number.
 */
function wordMask(len: number, from: number): number {
  const bits = Math.min(32, Math.max(0, len - from));
  return bits === 0 ? 0 : -1 << (32 - bits);
}

export class ResponseLimiter {
  /** Responses per class index: dropped, slipped; in logOnly mode, the same counts go to wouldDrop/wouldSlip instead. */
  readonly dropped: number[] = [0, 0, 0, 0, 0];
  readonly slipped: number[] = [0, 0, 0, 0, 0];
  readonly wouldDrop: number[] = [0, 0, 0, 0, 0];
  readonly wouldSlip: number[] = [0, 0, 0, 0, 0];
  /** Entries the table holds, fixed: tableSize rounded up to a multiple of 4. */
  readonly capacity: number;

  private readonly rate: number;
  private readonly cap: number;
  private readonly floor: number;
  private readonly slip: number;
  private readonly logOnly: boolean;
  /** Unused this long (ms), an entry is as good as new. */
  private readonly horizonMs: number;
  private readonly sets: number;
  private readonly v4len: number;
  private readonly v6len: number;
  private readonly mask4: number;
  private readonly mask6: readonly [number, number, number, number];
  private readonly seedSet: number;
  private readonly seedFp: number;
  private readonly hooks: RrlHooks;

  private readonly fp: Int32Array;
  private readonly meta: Uint8Array;
  private readonly balance: Float64Array;
  private readonly last: Float64Array;
  /** Responses limited in the entry's current episode (0 outside one): slip counts on it. */
  private readonly count: Float64Array;
  /** Slot index -> what its episode reports; made when an episode starts, so bounded by capacity. */
  private readonly episodes = new Map<number, EpisodeRecord>();
  /** hashKey's output: the set lane, the fingerprint lane (reused, so hashing allocates nothing). */
  private readonly hashes = new Int32Array(2);
  /** The latest nowMs seen, for inUse(). */
  private clock = -Infinity;

  constructor(settings: RrlSettings, hooks: RrlHooks = {}) {
    const error = rrlSettingsError(settings);
    if (error !== null) throw new RangeError(`rate limiting: ${error}`);
    this.rate = settings.rate;
    this.cap = Math.max(settings.rate, 1);
    this.floor = -settings.rate * settings.windowSec;
    this.slip = settings.slip;
    this.logOnly = settings.logOnly;
    this.horizonMs = (settings.windowSec + this.cap / settings.rate) * 1000;
    this.sets = Math.ceil(settings.tableSize / WAYS);
    this.capacity = this.sets * WAYS;
    this.v4len = settings.ipv4Prefix;
    this.v6len = settings.ipv6Prefix;
    this.mask4 = wordMask(settings.ipv4Prefix, 0);
    const v6 = settings.ipv6Prefix;
    this.mask6 = [wordMask(v6, 0), wordMask(v6, 32), wordMask(v6, 64), wordMask(v6, 96)];
    const seed = settings.seed ?? randomBytes(4).readUInt32LE(0);
    this.seedSet = laneSeed(seed, 1);
    this.seedFp = laneSeed(seed, 2);
    this.hooks = hooks;
    this.fp = new Int32Array(this.capacity);
    this.meta = new Uint8Array(this.capacity);
    this.balance = new Float64Array(this.capacity);
    this.last = new Float64Array(this.capacity).fill(-Infinity);
    this.count = new Float64Array(this.capacity);
  }

  /**
   * addr: the IPv4 source as an unsigned 32-bit integer (or the same bits as an int32: `| 0` keeps it
   * a small integer, which V8 passes without boxing). cls: an RRL_CLASS value.
   */
  check4(addr: number, cls: number, key: string, qtype: number, nowMs: number): RrlVerdict {
    return this.check(FAMILY4, addr & this.mask4, 0, 0, 0, cls, key, qtype, nowMs);
  }

  /** addr: 16 bytes (read only; not kept). An IPv4-mapped address is the caller's to pass to check4. */
  check6(addr: Uint8Array, cls: number, key: string, qtype: number, nowMs: number): RrlVerdict {
    const m = this.mask6;
    const w0 = ((addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!) & m[0];
    const w1 = ((addr[4]! << 24) | (addr[5]! << 16) | (addr[6]! << 8) | addr[7]!) & m[1];
    const w2 = ((addr[8]! << 24) | (addr[9]! << 16) | (addr[10]! << 8) | addr[11]!) & m[2];
    const w3 = ((addr[12]! << 24) | (addr[13]! << 16) | (addr[14]! << 8) | addr[15]!) & m[3];
    return this.check(FAMILY6, w0, w1, w2, w3, cls, key, qtype, nowMs);
  }

  /** Ends the episodes of entries whose balance has recovered by nowMs (the lead calls it about once a second). */
  sweep(nowMs: number): void {
    if (nowMs > this.clock) this.clock = nowMs;
    for (const slot of this.episodes.keys()) {
      if (this.balanceAt(slot, nowMs) >= 0) this.endEpisode(slot, 'recovered');
    }
  }

  /** Entries in use (for a gauge): used within the horizon of the latest time seen. Scans the table. */
  inUse(): number {
    const since = this.clock - this.horizonMs;
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if ((this.meta[i]! & USED) !== 0 && this.last[i]! >= since) n++;
    return n;
  }

  /** Episodes in progress. */
  get limitedNow(): number {
    return this.episodes.size;
  }

  private check(
    family: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
    cls: number,
    key: string,
    qtype: number,
    nowMs: number,
  ): RrlVerdict {
    if (cls !== (cls & CLASS_BITS) || cls > RRL_CLASS.error)
      throw new RangeError(`rate limiting: no response class ${cls}`);
    // nxdomain and referral count per zone whatever the type; errors per prefix alone.
    const hashedType = cls <= RRL_CLASS.nodata ? qtype : 0;
    const hashedKey = cls === RRL_CLASS.error ? '' : key;
    const h = this.hashes;
    hashKey(h, this.seedSet, this.seedFp, family | cls, w0, w1, w2, w3, hashedType, hashedKey);
    const base = ((h[0]! >>> 0) % this.sets) * WAYS;
    const fp = h[1]!;
    const want = USED | cls;
    let slot = -1;
    for (let i = base; i < base + WAYS; i++) {
      if ((this.meta[i]! & (USED | CLASS_BITS)) === want && this.fp[i] === fp) {
        slot = i;
        break;
      }
    }
    if (nowMs > this.clock) this.clock = nowMs;
    if (slot < 0) slot = this.claim(base, want, fp, nowMs);

    // balanceAt, written out: a double returned from a call that is not inlined would be boxed.
    let bal = this.balance[slot]!;
    const elapsed = nowMs - this.last[slot]!;
    if (elapsed > 0) {
      bal = Math.min(this.cap, bal + (this.rate * elapsed) / 1000);
      this.last[slot] = nowMs;
    }
    if (bal >= 1) {
      this.balance[slot] = bal - 1;
      if ((this.meta[slot]! & EPISODE) !== 0) this.endEpisode(slot, 'recovered');
      return RRL_SEND;
    }
    this.balance[slot] = Math.max(this.floor, bal - 1);
    const inEpisode = (this.meta[slot]! & EPISODE) !== 0;
    const n = inEpisode ? this.count[slot]! + 1 : 1;
    this.count[slot] = n;
    const verdict = this.slip !== 0 && n % this.slip === 0 ? RRL_SLIP : RRL_DROP;
    if (this.logOnly) {
      if (verdict === RRL_SLIP) this.wouldSlip[cls]!++;
      else this.wouldDrop[cls]!++;
    } else if (verdict === RRL_SLIP) this.slipped[cls]!++;
    else this.dropped[cls]!++;
    if (!inEpisode) this.startEpisode(slot, family, w0, w1, w2, w3, cls, key, qtype);
    return this.logOnly ? RRL_SEND : verdict;
  }

  /** The slot's balance at nowMs, earnings included (not stored). */
  private balanceAt(slot: number, nowMs: number): number {
    const bal = this.balance[slot]!;
    const elapsed = nowMs - this.last[slot]!;
    return elapsed > 0 ? Math.min(this.cap, bal + (this.rate * elapsed) / 1000) : bal;
  }

  /** A slot of the set for a new key: a free one, else the LRU not in an episode, else the LRU. */
  private claim(base: number, want: number, fp: number, nowMs: number): number {
    const freeBefore = nowMs - this.horizonMs;
    let slot = -1;
    let calm = -1;
    let calmLast = Infinity;
    let any = base;
    let anyLast = Infinity;
    for (let i = base; i < base + WAYS; i++) {
      const last = this.last[i]!;
      if (last < freeBefore) {
        slot = i;
        break;
      }
      if ((this.meta[i]! & EPISODE) === 0 && last < calmLast) {
        calm = i;
        calmLast = last;
      }
      if (last < anyLast) {
        any = i;
        anyLast = last;
      }
    }
    if (slot < 0) slot = calm >= 0 ? calm : any;
    // An episode in a slot unused past the horizon had recovered; one still fresh is cut short.
    if ((this.meta[slot]! & EPISODE) !== 0)
      this.endEpisode(slot, this.last[slot]! < freeBefore ? 'recovered' : 'evicted');
    this.meta[slot] = want;
    this.fp[slot] = fp;
    this.balance[slot] = this.cap;
    this.last[slot] = nowMs;
    this.count[slot] = 0;
    return slot;
  }

  private startEpisode(
    slot: number,
    family: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
    cls: number,
    key: string,
    qtype: number,
  ): void {
    const record: EpisodeRecord = {
      prefix: family === FAMILY4 ? prefix4Text(w0, this.v4len) : prefix6Text(w0, w1, w2, w3, this.v6len),
      class: RRL_CLASS_NAMES[cls]!,
      name: cls === RRL_CLASS.error ? null : nameToText(Buffer.from(key, 'latin1')),
      qtype: cls <= RRL_CLASS.nodata ? qtype : null,
    };
    this.episodes.set(slot, record);
    this.meta[slot] = this.meta[slot]! | EPISODE;
    this.hooks.onStart?.({ ...record, limited: 1 });
  }

  private endEpisode(slot: number, why: 'recovered' | 'evicted'): void {
    const record = this.episodes.get(slot)!;
    const limited = this.count[slot]!;
    this.episodes.delete(slot);
    this.meta[slot] = this.meta[slot]! & ~EPISODE;
    this.count[slot] = 0;
    this.hooks.onStop?.({ ...record, limited }, why);
  }
}
