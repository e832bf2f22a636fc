// One log line when a client prefix starts being rate limited for a response class, one when it
// stops: never one per packet. With --workers each worker limits its own share, so the same episode
// may start in several workers: the node logs it when the first starts and ends it when the last
// stops. A flood from many spoofed prefixes cannot flood the log either: past LINES_PER_SECOND lines
// a second, the rest are counted and summed up in one line.
import { typeName } from '../zones/rdata.js';
import type { Logger } from './log.js';
import type { RrlEpisode } from './rrl/limiter.js';

const LINES_PER_SECOND = 50;

/** Where an episode event came from: a worker's id, or 0 for the process itself. */
export type EpisodeSource = number;

export class EpisodeLog {
  /** Per episode key, the sources in which it is going on and the responses the ended ones limited. */
  private readonly open = new Map<string, { episode: RrlEpisode; sources: Set<EpisodeSource>; limited: number }>();
  private windowStart = 0;
  private lines = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  started(e: RrlEpisode, from: EpisodeSource = 0): void {
    const key = keyOf(e);
    let episode = this.open.get(key);
    if (episode === undefined) this.open.set(key, (episode = { episode: e, sources: new Set(), limited: 0 }));
    const first = episode.sources.size === 0;
    episode.sources.add(from);
    if (first) this.line(e, 'rrl: limiting started');
  }

  stopped(e: RrlEpisode, why: string, from: EpisodeSource = 0): void {
    const key = keyOf(e);
    const episode = this.open.get(key);
    if (episode === undefined || !episode.sources.delete(from)) return;
    episode.limited += e.limited;
    if (episode.sources.size > 0) return;
    this.open.delete(key);
    this.line({ ...e, limited: episode.limited }, 'rrl: limiting stopped', why);
  }

  /** A worker went away: its episodes end with it. */
  sourceGone(from: EpisodeSource): void {
    for (const [key, { episode, sources, limited }] of this.open) {
      if (!sources.delete(from) || sources.size > 0) continue;
      this.open.delete(key);
      this.line({ ...episode, limited }, 'rrl: limiting stopped', 'worker exited');
    }
  }

  /** Episodes going on now (for tests and the gauge). */
  get active(): number {
    return this.open.size;
  }

  /** Ends the current second's window: the lines left out in it are summed up in one (called every second). */
  flush(): void {
    const t = this.now();
    if (t - this.windowStart < 1000) return;
    if (this.suppressed > 0)
      this.log.warn(
        { suppressed: this.suppressed },
        'rrl: more prefixes started or stopped being limited (lines left out)',
      );
    this.windowStart = t;
    this.lines = 0;
    this.suppressed = 0;
  }

  private line(e: RrlEpisode, msg: string, why?: string): void {
    this.flush();
    if (++this.lines > LINES_PER_SECOND) {
      this.suppressed++;
      return;
    }
    this.log.warn(
      {
        prefix: e.prefix,
        class: e.class,
        name: e.name,
        qtype: e.qtype === null ? null : typeName(e.qtype),
        ...(why !== undefined ? { limited: e.limited, why } : {}),
      },
      msg,
    );
  }
}

function keyOf(e: RrlEpisode): string {
  return `${e.prefix}\u0000${e.class}\u0000${e.name ?? ''}\u0000${e.qtype ?? ''}`;
}
