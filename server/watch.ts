// Reload on change: watches the zones directory (recursively) and the GeoIP files, and calls back
// once things have been quiet for a moment, so an editor's save or a git checkout is one reload.
// In the zones directory, master files, policy files, certificates (a check's tls_ca) and DNSSEC key
// files (keys/K*.key and .private) count.
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from './log.js';

/**
 * Files whose change reloads: master files, policy files, GeoIP databases, PEM certificates (tls_ca),
 * DNSSEC key pairs (BIND's `.key` and `.private`: a key added, retimed with dnssec-settime or removed).
 */
const CONFIG_FILE = /\.(zone|ya?ml|mmdb|pem|crt|key|private)$/;

export interface Watcher {
  close(): void;
}

export function watchConfig(
  zonesDir: string,
  files: readonly string[],
  onChange: (what: string) => void,
  log: Logger,
  debounceMs = 500,
): Watcher {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  let first = '';
  const changed = (what: string) => {
    // Editors write temporary files next to the real ones; only config files matter.
    if (!CONFIG_FILE.test(what)) return;
    if (timer === null) first = what;
    else clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange(first);
    }, debounceMs);
    timer.unref();
  };
  // One watcher per directory (not recursive: Node's recursive watcher on Linux follows files by
  // inode and goes deaf once an editor or `mv` replaces a file). New folders are picked up on rescan.
  const watchedDirs = new Set<string>();
  const scan = (dir: string) => {
    if (watchedDirs.has(dir)) return;
    try {
      const w = watch(dir, (_event, name) => {
        const n = name ? String(name) : '';
        if (n && !n.includes('.')) scan(join(dir, n)); // maybe a new folder
        changed(n ? join(dir, n) : dir);
      });
      w.on('error', (err) => log.warn({ err: err.message, dir }, 'file watch error'));
      watchers.push(w);
      watchedDirs.add(dir);
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory() && !e.name.startsWith('.')) scan(join(dir, e.name));
    } catch (err) {
      if (dir === zonesDir)
        log.warn({ err: (err as Error).message, dir }, 'cannot watch the zones directory; reload with SIGHUP');
    }
  };
  scan(zonesDir);
  // A database is usually replaced by a rename, so watch its folder and filter by name.
  for (const f of files) {
    try {
      const name = basename(f);
      const w = watch(dirname(f), (_event, n) => (n !== null && String(n) === name ? changed(f) : undefined));
      w.on('error', (err) => log.warn({ err: err.message, file: f }, 'file watch error'));
      watchers.push(w);
    } catch (err) {
      log.warn({ err: (err as Error).message, file: f }, 'cannot watch a GeoIP database; reload with SIGHUP');
    }
  }
  return {
    close: () => {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
