// The figures folded from a load source's readings (kept in a target's state) and the subset that is
// published. Its own module so the hysteresis (which keeps them) and the fold (which makes them) do not
// import each other.

export interface LoadFigures {
  /** Active connections, smoothed. */
  readonly connections: number | null;
  readonly capacity: number | null;
  /** Bytes per second, smoothed. */
  readonly bandwidthBps: number | null;
  /** Failed / all requests between the last two reads. */
  readonly errorRate: number | null;
  /** When the figures were last read (ms since the epoch). */
  readonly at: number;
  /** That read's raw counters, for the next rate. */
  readonly counters: {
    readonly bytes: number | null;
    readonly errors: number | null;
    readonly requests: number | null;
  };
}

/** The figures as published: nulls once the last good read is older than the source's max age. */
export interface PublishedFigures {
  readonly connections: number | null;
  readonly capacity: number | null;
  readonly bandwidthBps: number | null;
  readonly errorRate: number | null;
}

export const NO_FIGURES: PublishedFigures = Object.freeze({
  connections: null,
  capacity: null,
  bandwidthBps: null,
  errorRate: null,
});
