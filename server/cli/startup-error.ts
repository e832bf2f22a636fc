// A command that cannot start, or cannot do its work, for a reason the operator must fix (configuration
// or environment, not a bug: a port, a file, Redis unreachable for drain): main.ts prints it as one
// line, `gslb COMMAND: message [code]`, with no stack trace, and exits 1.
// Kept apart from startup.ts so that main.ts loads nothing more for it.
import type { GeoErrorCode } from '../../geo/geo-errors.js';
import type { RedisErrorCode } from '../../health/redis-errors.js';
import type { ZonesErrorCode } from '../../zones/load-errors.js';
import type { StartErrorCode } from './start-errors.js';

/** The codes a start-up failure may carry: its own table's, a GeoIP file's, Redis's. */
export type StartupErrorCode = StartErrorCode | GeoErrorCode | RedisErrorCode | ZonesErrorCode;

/** The exit code of a command that could not start; usage errors are 2. */
export const EXIT_CANNOT_START = 1;

export class StartupError extends Error {
  /** Lines the message rests on, printed before it (each zone error as file:line: ... [code]). */
  readonly details: readonly string[];

  constructor(
    /** docs/errors.md says what to do. */
    readonly code: StartupErrorCode,
    message: string,
    details: readonly string[] = [],
  ) {
    super(message);
    this.details = details;
  }
}
