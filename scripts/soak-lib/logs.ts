// Every line the soak's processes log, kept in one file, and the warnings and errors among them sorted
// into expected (what the soak provokes, within a window after provoking it) and unexpected. gslb logs
// pino JSON (level 40 warn, 50 error, 60 fatal); any other line from a gslb process (a stack trace, a
// Node warning) counts as an error. redis-server's warnings are its '#' lines.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** What the soak provokes that a process may warn or err about. */
export type Provoked = 'redis-restart' | 'invalid-reload' | 'flood';

/** The prefix the flood comes from, as RRL's log lines name it. */
export const FLOOD_PREFIX = '127.66.66.0/24';

interface Line {
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** The lines each provocation explains; anything else is unexpected, whenever it comes. */
const EXPECTED: Record<Provoked, (l: Line) => boolean> = {
  'redis-restart': (l) =>
    /^(cannot reach redis; retrying|redis connection lost[:;] .*|redis resync failed; retrying on the next connect|redis: .*)$/.test(
      l.msg,
    ),
  'invalid-reload': (l) =>
    /^(reload failed; still serving the last good configuration|reload failed in a worker; .*)$/.test(l.msg),
  // The flood's prefix limited, and only it: a legitimate prefix limited is unexpected.
  flood: (l) => /^rrl: limiting (started|stopped)$/.test(l.msg) && l.fields['prefix'] === FLOOD_PREFIX,
};

export interface LogCount {
  count: number;
  /** The first few lines, as logged. */
  readonly samples: string[];
}

export interface LogSummary {
  readonly lines: number;
  /** By provocation. */
  readonly expected: Record<string, number>;
  /** Unexpected warnings and errors, by source and message. */
  readonly warnings: Record<string, LogCount>;
  readonly errors: Record<string, LogCount>;
}

const SAMPLES = 3;

export class LogBook {
  private readonly out: WriteStream;
  private readonly windows = new Map<Provoked, number>();
  private lines = 0;
  private readonly expected: Record<string, number> = {};
  private readonly warnings: Record<string, LogCount> = {};
  private readonly errors: Record<string, LogCount> = {};

  constructor(readonly file: string) {
    this.out = createWriteStream(file);
  }

  /** Lines of `what` matching the provocation's messages are expected until `untilMs` (epoch ms). */
  expect(what: Provoked, untilMs: number): void {
    this.windows.set(what, Math.max(untilMs, this.windows.get(what) ?? 0));
  }

  /**
   * Reads a process's output line by line: `json` gslb's logs, `redis` redis-server's, `plain` kept
   * in the file only (gslb serve's stdout: what it serves and where).
   */
  follow(source: string, stream: Readable, format: 'json' | 'redis' | 'plain' = 'json'): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const line of parts) if (line.trim()) this.line(source, line, format);
    });
    stream.on('end', () => {
      if (rest.trim()) this.line(source, rest, format);
    });
  }

  /** Something the soak itself saw go wrong with a process (it could not be started, say): an error. */
  error(source: string, msg: string): void {
    this.line(source, JSON.stringify({ level: 50, time: Date.now(), msg }), 'json');
  }

  private line(source: string, line: string, format: 'json' | 'redis' | 'plain'): void {
    this.lines++;
    this.out.write(`${source} ${line}\n`);
    if (format === 'plain') return;
    const { level, msg, fields } = format === 'redis' ? redisLevel(line) : gslbLevel(line);
    if (level < 40) return;
    const now = Date.now();
    for (const [what, explains] of Object.entries(EXPECTED) as [Provoked, (l: Line) => boolean][]) {
      if ((this.windows.get(what) ?? 0) >= now && explains({ msg, fields })) {
        this.expected[what] = (this.expected[what] ?? 0) + 1;
        return;
      }
    }
    const book = level >= 50 ? this.errors : this.warnings;
    const key = `${source}: ${msg}`;
    const c = (book[key] ??= { count: 0, samples: [] });
    c.count++;
    if (c.samples.length < SAMPLES) c.samples.push(line.length > 400 ? `${line.slice(0, 400)}...` : line);
  }

  summary(): LogSummary {
    return { lines: this.lines, expected: { ...this.expected }, warnings: this.warnings, errors: this.errors };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

function gslbLevel(line: string): Line & { level: number } {
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    if (typeof j['level'] === 'number')
      return { level: j['level'], msg: typeof j['msg'] === 'string' ? j['msg'] : '', fields: j };
  } catch {
    // not JSON: below
  }
  return { level: 50, msg: `(not a log line) ${line.slice(0, 120)}`, fields: {} };
}

/** redis-server: "pid:role dd Mon yyyy hh:mm:ss.mmm # message"; '#' is its warning level. */
function redisLevel(line: string): Line & { level: number } {
  const m = /^\d+:[A-Z] .+? ([.\-*#]) (.*)$/.exec(line);
  if (!m) return { level: 30, msg: line, fields: {} };
  return { level: m[1] === '#' ? 40 : 30, msg: `redis: ${m[2]}`, fields: {} };
}
