// A process and its descendants, read from /proc (Linux): who they are and their resident memory.
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid, or null when the process is gone or a zombie. */
function parentOf(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? null : Number(ppid);
  } catch {
    return null;
  }
}

/** pid and its running descendants, pid first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  if (parentOf(pid) === null) return [];
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** VmRSS of a process in bytes, or 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface TreeRss {
  readonly at: number;
  /** Sum over the tree. */
  readonly total: number;
  /** Per process, the root first. */
  readonly byPid: ReadonlyArray<readonly [pid: number, rss: number]>;
}

export function treeRss(pid: number, at: number): TreeRss {
  const byPid = processTree(pid).map((p) => [p, rssBytes(p)] as const);
  return { at, total: byPid.reduce((s, [, r]) => s + r, 0), byPid };
}
