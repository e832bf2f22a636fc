// Who may open one more TCP connection (--tcp-max-per-client): asked at accept, told at close.

/** Why a connection was refused at accept. */
export type TcpRefusal = 'per-client' | 'global';

/** A gate's answer: true, or why not (false is 'per-client'). */
export type Admission = boolean | TcpRefusal;

export interface ConnectionGate {
  /**
   * On accept, before any byte is read: may this address hold one more connection? May answer later
   * (a worker asks its primary, which also holds --tcp-max-connections for the node: 'global').
   */
  admit(address: string): Admission | Promise<Admission>;
  /** A connection admitted earlier has closed. Called exactly once per admitted connection. */
  release(address: string): void;
}

/** The key a client is counted under: an IPv4-mapped IPv6 address is its IPv4. */
export function gateKey(address: string): string {
  return address.startsWith('::ffff:') && address.indexOf('.', 7) > 0 ? address.slice(7) : address;
}

/**
 * The one-process gate: at most `max` connections at once per address. `tracked` is the number of
 * addresses holding a connection now; an address leaves the table with its last connection, so
 * the table never outgrows the connections open (themselves capped by --tcp-max-connections).
 */
export function localGate(max: number): ConnectionGate & { readonly tracked: number } {
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`per-client connection limit must be a whole number >= 1, not ${max}`);
  const open = new Map<string, number>();
  return {
    admit(address: string): boolean {
      const key = gateKey(address);
      const n = open.get(key) ?? 0;
      if (n >= max) return false;
      open.set(key, n + 1);
      return true;
    },
    release(address: string): void {
      const key = gateKey(address);
      const n = open.get(key);
      // Never below zero, even if a caller breaks the once-per-admit rule.
      if (n === undefined) return;
      if (n <= 1) open.delete(key);
      else open.set(key, n - 1);
    },
    get tracked(): number {
      return open.size;
    },
  };
}
