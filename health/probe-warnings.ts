// Warnings of passing probes (a certificate about to expire) logged once a day per target and
// certificate: a probe every few seconds must not repeat the same line thousands of times a day, and a
// replaced certificate that ends soon too is news.
import type { Logger } from './log.js';
import type { ProbeResult } from './probe-types.js';

const DAY_MS = 86_400_000;

export class ProbeWarnings {
  /** When each target's warning about each subject was last logged (only those within a day are kept). */
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs the result's warning, unless this target's about the same subject was logged less than a day ago. */
  note(key: string, result: ProbeResult): void {
    const warning = result.warning;
    if (warning === undefined) return;
    const now = this.now();
    const id = `${key}\0${warning.subject}`;
    const last = this.lastLogged.get(id);
    if (last !== undefined && now - last < DAY_MS) return;
    for (const [k, at] of this.lastLogged) if (now - at >= DAY_MS) this.lastLogged.delete(k);
    this.lastLogged.set(id, now);
    this.log.warn(
      { target: key, warning: warning.text },
      'probe warning (logged once a day per target and certificate)',
    );
  }
}
