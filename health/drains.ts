// Operator overrides (drain / undrain of an endpoint or a whole datacenter), with optional expiry.
import type { DrainDoc } from './redis-protocol.js';

/** Longest timed drain (`gslb drain --for`, the admin API's "for"): beyond it, drain until undrained. */
export const MAX_DRAIN_MS = 30 * 86_400_000;

export type DrainField = `dc:${string}` | `ep:${string}`;

export const drainField = (target: { datacenter: string } | { endpoint: string }): DrainField =>
  'datacenter' in target ? `dc:${target.datacenter}` : `ep:${target.endpoint}`;

/** The drains in force at `now`, as a lookup. */
export class DrainSet {
  constructor(private readonly entries: ReadonlyMap<string, DrainDoc>) {}

  isDrained(datacenter: string, address: string, now: number): boolean {
    return this.active(`dc:${datacenter}`, now) || this.active(`ep:${address}`, now);
  }

  private active(field: string, now: number): boolean {
    const d = this.entries.get(field);
    return d !== undefined && (d.until === null || d.until > now);
  }

  /** The earliest future expiry, to know when the view must change by itself. */
  nextExpiry(now: number): number | null {
    let next: number | null = null;
    for (const d of this.entries.values())
      if (d.until !== null && d.until > now && (next === null || d.until < next)) next = d.until;
    return next;
  }

  list(now: number): Array<{ field: string } & DrainDoc> {
    return [...this.entries]
      .filter(([, d]) => d.until === null || d.until > now)
      .map(([field, d]) => ({ field, ...d }));
  }

  get size(): number {
    return this.entries.size;
  }
}
