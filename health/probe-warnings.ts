// Warnings of passing probes (a certificate about to expire) logged once per target per day: a probe
// every few seconds must not repeat the same line thousands of times a day.
import type { HealthLogger } from './log.js';
import type { ProbeResult } from './probe-types.js';

const DAY_MS = 86_400_000;

export class ProbeWarnings {
  /** When each target's warning was last logged (only those within everyMs are kept). */
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly log: HealthLogger,
    private readonly now: () => number = Date.now,
    private readonly everyMs = DAY_MS,
  ) {}

  /** Logs the result's warning, unless this target's was logged less than everyMs ago. */
  note(key: string, result: ProbeResult): void {
    if (result.warning === undefined) return;
    const now = this.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < this.everyMs) return;
    for (const [k, at] of this.lastLogged) if (now - at >= this.everyMs) this.lastLogged.delete(k);
    this.lastLogged.set(key, now);
    this.log.warn({ target: key, warning: result.warning }, 'probe warning (logged once a day per target)');
  }
}
