// Which processes a test's process started, read from /proc (Linux), and whether they are gone: a
// process counts as gone once it has exited, zombie or not (its reaping is its new parent's business).
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { until } from './until.js';

interface ProcStat {
  pid: number;
  ppid: number;
  state: string;
}

function stat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Running (not exited) descendants of pid, children first. */
export function descendants(pid: number): number[] {
  const all = allProcesses().filter((p) => p.state !== 'Z');
  const found: number[] = [];
  let parents = [pid];
  while (parents.length > 0) {
    const next = all.filter((p) => parents.includes(p.ppid)).map((p) => p.pid);
    found.push(...next);
    parents = next;
  }
  return found;
}

export function running(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s.state !== 'Z';
}

/**
 * Records every descendant of pid while it lives, polling every 10 ms: a process that fails at start
 * may fork workers and take them down again within a second. stop() gives the pids seen and when the
 * first was.
 */
export function watchDescendants(pid: number): { stop(): { pids: number[]; firstAt: number | null } } {
  const seen = new Set<number>();
  let firstAt: number | null = null;
  const look = () => {
    for (const p of descendants(pid)) {
      firstAt ??= Date.now();
      seen.add(p);
    }
  };
  look();
  const timer = setInterval(look, 10);
  return {
    stop() {
      clearInterval(timer);
      look();
      return { pids: [...seen], firstAt };
    },
  };
}

/** The pids of these that are still running after waiting up to ms for them to go. */
export async function stillRunning(pids: readonly number[], ms: number): Promise<number[]> {
  await until('processes gone', () => !pids.some(running), ms, 20).catch(() => {});
  return pids.filter(running);
}

/** True when the port can be bound on 127.0.0.1 for TCP (and UDP too when asked). */
export async function portFree(port: number, udp = false): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!tcp || !udp) return tcp;
  return new Promise<boolean>((resolve) => {
    const u = dgram.createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}
