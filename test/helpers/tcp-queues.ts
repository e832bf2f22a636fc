// What the kernel holds for a loopback TCP connection, read from /proc/net/tcp and tcp6 (Linux): a
// test that needs "the server has read what I sent" (a half-sent message it must know about, a byte
// it must see as its own segment) or "the server has closed its end" waits for exactly that instead
// of sleeping a guessed time.
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { until } from './until.js';

/** One socket as the kernel lists it. */
export interface TcpEntry {
  /** The state's hex code: '01' ESTABLISHED, '08' CLOSE_WAIT (the peer closed, this side not yet), ... */
  readonly state: string;
  /** Bytes sent and not yet acknowledged. */
  readonly tx: number;
  /** Bytes received and not yet read by the process. */
  readonly rx: number;
}

/** Both ends of the loopback connection between ports a and b: [a's socket, b's socket], null where none. */
export function tcpEnds(a: number, b: number): [TcpEntry | null, TcpEntry | null] {
  const ends: [TcpEntry | null, TcpEntry | null] = [null, null];
  const port = (address: string) => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
  // A table lists every socket of the machine (a few ms to read with hundreds in TIME_WAIT): read each
  // once, and the IPv6 one only when the IPv4 one lacks an end.
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 on this machine
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...; addresses are HEXADDR:HEXPORT.
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      const local = port(f[1]!);
      const remote = port(f[2]!);
      if (f[3] === '06') continue; // TIME_WAIT: an earlier connection between the same ports
      const [tx, rx] = f[4]!.split(':').map((h) => parseInt(h, 16));
      const entry = { state: f[3]!, tx: tx!, rx: rx! };
      if (local === a && remote === b) ends[0] = entry;
      else if (local === b && remote === a) ends[1] = entry;
    }
    if (ends[0] && ends[1]) break;
  }
  return ends;
}

/**
 * Resolves once the peer of this connected loopback socket has read every byte written to it so far:
 * nothing left in Node's buffer, nothing unacknowledged on our side, nothing unread on the peer's. An
 * in-process Node server's data handler has run by then (Node calls it as the read returns), unless
 * that server had paused the socket (Node keeps reading into its own buffer for a while).
 */
export async function peerHasRead(socket: net.Socket, timeoutMs = 2000): Promise<void> {
  const local = socket.localPort!;
  const remote = socket.remotePort!;
  await nextTurn(); // an in-process peer reads on the event loop's next turn: look after it
  await until(
    `the peer on port ${remote} has read what port ${local} sent`,
    () => {
      if (socket.writableLength > 0) return false;
      const [mine, theirs] = tcpEnds(local, remote);
      return mine !== null && theirs !== null && mine.tx === 0 && theirs.rx === 0;
    },
    timeoutMs,
    1,
  );
}

/**
 * Resolves once the peer has closed its end of the connection between these ports (its socket is gone
 * or past CLOSE_WAIT): after we closed ours, that is when the server has let the connection go.
 */
export async function peerHasClosed(localPort: number, remotePort: number, timeoutMs = 2000): Promise<void> {
  await until(
    `the peer on port ${remotePort} has closed its end of the connection from port ${localPort}`,
    () => {
      const theirs = tcpEnds(localPort, remotePort)[1];
      return theirs === null || (theirs.state !== '01' && theirs.state !== '08');
    },
    timeoutMs,
    1,
  );
}
