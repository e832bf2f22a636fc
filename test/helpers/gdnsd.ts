// gdnsd 3 (Debian's gdnsd, not our code) as the peer of the import comparison: a config folder the
// test writes, `gdnsd -c DIR checkconf` first, then `gdnsd -c DIR start` in the foreground as the
// current user on a free 127.0.0.1 port; its admin_state file takes datacenters out, as an operator's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipOrFail } from './skip.js';
import { Running } from './processes.js';

/** gdnsd's path: /usr/sbin/gdnsd (Debian), else the PATH's. */
export function gdnsdBinary(): string | null {
  if (existsSync('/usr/sbin/gdnsd')) return '/usr/sbin/gdnsd';
  const r = spawnSync('sh', ['-c', 'command -v gdnsd'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The path of gdnsd, or skips the suite with a visible reason (fails under CI=true). Call from before(). */
export function gdnsdOrSkip(ctx: Mocha.Context): string {
  return gdnsdBinary() ?? skipOrFail(ctx, 'missing gdnsd (apt-get install gdnsd)');
}

/** A running gdnsd; stop() ends it (the folder is the test's). */
export class Gdnsd {
  private constructor(
    readonly proc: Running,
    readonly dir: string,
    /** The DNS port its config listens on (127.0.0.1). */
    readonly port: number,
  ) {}

  /** Checks the config in `dir` (config, zones/; run/ and state/ made here), listening on `port`, and starts gdnsd. */
  static async start(bin: string, dir: string, port: number): Promise<Gdnsd> {
    mkdirSync(join(dir, 'run'), { recursive: true });
    mkdirSync(join(dir, 'state'), { recursive: true });
    const check = spawnSync(bin, ['-c', dir, 'checkconf'], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`gdnsd checkconf failed:\n${check.stderr}`);
    const proc = new Running(spawn(bin, ['-c', dir, 'start'], { stdio: ['ignore', 'pipe', 'pipe'] }), false);
    const g = new Gdnsd(proc, dir, port);
    try {
      await proc.waitFor(/DNS listeners started/, 15_000);
    } catch (err) {
      await g.stop();
      throw err;
    }
    return g;
  }

  /** Replaces the admin_state file (gdnsd(8) "ADMIN STATE FILE"); gdnsd watches it and re-reads it. */
  adminState(text: string): void {
    writeFileSync(join(this.dir, 'state', 'admin_state'), text);
  }

  get log(): string {
    return this.proc.stderr + this.proc.stdout;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
