// Operator overrides (drain / undrain of an endpoint or a whole datacenter), with optional expiry.
import type { DrainDoc } from './redis-protocol.js';

/** Longest timed drain (`gslb drain --for`, the admin API's "for"): beyond it, drain until undrained. */
export const MAX_DRAIN_MS = 30 * 86_400_000;

export type DrainField = `dc:${string}` | `ep:${string}`;

/** What a drain takes out: a whole datacenter, or one endpoint address. */
export type DrainTarget = { datacenter: string } | { endpoint: string };

/**
 * How a drain's field names its target: `dc:NAME`, `ep:ADDRESS`. The Redis hash of drains is keyed
 * by it and the admin API and `gslb drain --list` show it; the status page gets these prefixes from here.
 */
export const DRAIN_PREFIX = Object.freeze({ datacenter: 'dc:', endpoint: 'ep:' } as const);

export const datacenterDrainField = (datacenter: string): DrainField => `${DRAIN_PREFIX.datacenter}${datacenter}`;
export const endpointDrainField = (address: string): DrainField => `${DRAIN_PREFIX.endpoint}${address}`;

/** `drain(datacenter)` / `drain(datacenter, address)`, as the in-process sources take them, as a target. */
export const drainTargetOf = (datacenter: string, address?: string): DrainTarget =>
  address === undefined ? { datacenter } : { endpoint: address };

/** The field of `drain(datacenter)` / `drain(datacenter, address)`. */
export const drainFieldOf = (datacenter: string, address?: string): DrainField =>
  address === undefined ? datacenterDrainField(datacenter) : endpointDrainField(address);

export const drainField = (target: DrainTarget): DrainField =>
  'datacenter' in target ? datacenterDrainField(target.datacenter) : endpointDrainField(target.endpoint);

/** The target a field names, or null when it is neither form (a stray field in Redis). */
export function drainTarget(field: string): DrainTarget | null {
  if (field.startsWith(DRAIN_PREFIX.datacenter)) return { datacenter: field.slice(DRAIN_PREFIX.datacenter.length) };
  if (field.startsWith(DRAIN_PREFIX.endpoint)) return { endpoint: field.slice(DRAIN_PREFIX.endpoint.length) };
  return null;
}

/** Whether a field is a drain's (`dc:` or `ep:`). */
export const isDrainField = (field: string): field is DrainField => drainTarget(field) !== null;

/** The drains in force at `now`, as a lookup. */
export class DrainSet {
  constructor(private readonly entries: ReadonlyMap<string, DrainDoc>) {}

  isDrained(datacenter: string, address: string, now: number): boolean {
    return this.active(datacenterDrainField(datacenter), now) || this.active(endpointDrainField(address), now);
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
