// Why a socket could not be bound, in words: the DNS listeners and the admin server throw a
// ListenError, and the CLI adds what to do about it (server/cli/startup.ts).
import { isIP } from 'node:net';
import { formatListenAddress, type ListenAddress } from './listen-address.js';

/** What was bound: a DNS transport, or the admin HTTP server. */
export type ListenKind = 'udp' | 'tcp' | 'admin';

/** Ports below this need root or CAP_NET_BIND_SERVICE on Linux. */
export const PRIVILEGED_PORTS = 1024;

export class ListenError extends Error {
  /** The errno code (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...), when the system gave one. */
  readonly code: string | undefined;

  constructor(
    readonly kind: ListenKind,
    readonly target: ListenAddress,
    cause: unknown,
  ) {
    const code = errnoCode(cause);
    super(`cannot listen on ${kind} ${formatListenAddress(target)}: ${reasonText(code, target, cause)}`, { cause });
    this.code = code;
  }
}

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function reasonText(code: string | undefined, target: ListenAddress, cause: unknown): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'the port is in use (EADDRINUSE)';
    case 'EACCES':
      return target.port < PRIVILEGED_PORTS
        ? `permission denied (EACCES): ports below ${PRIVILEGED_PORTS} need root or CAP_NET_BIND_SERVICE`
        : 'permission denied (EACCES)';
    case 'EADDRNOTAVAIL':
      return `${target.host} is not an address of this machine (EADDRNOTAVAIL)`;
    case 'EAFNOSUPPORT':
      return `IPv${isIP(target.host)} is not available on this machine (EAFNOSUPPORT)`;
    default:
      return String((cause as Error | null)?.message ?? cause);
  }
}
