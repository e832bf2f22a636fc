// Why `gslb serve` cannot start, as one line that says what to do: a taken or forbidden port, an
// address the machine lacks, a zones folder that is not there, a worker's own reason (a GeoIP file:
// geo-files.ts). Each becomes a StartupError (startup-error.ts), which main.ts prints and exits 1 on.
import { statSync } from 'node:fs';
import net from 'node:net';
import { WorkerStartError } from '../cluster.js';
import type { ListenAddress } from '../listen-address.js';
import { errnoCode, ListenError, PRIVILEGED_PORTS } from '../listen-error.js';
import { fileErrorReason } from '../../geo/file-error.js';
import type { StartErrorCode } from './start-errors.js';
import { StartupError, type StartupErrorCode } from './startup-error.js';

/** The StartupError an expected failure stands for; anything else (a bug) comes back unchanged. */
export function asStartupError(err: unknown): unknown {
  if (err instanceof ListenError) return new StartupError(listenFailureCode(err), listenFailureText(err));
  if (err instanceof WorkerStartError)
    return new StartupError(
      (err.code as StartupErrorCode | undefined) ?? 'E_START_WORKER_FAILED',
      err.message,
      err.details,
    );
  return err;
}

/** The code of a listen failure, by the system's errno. */
export function listenFailureCode(err: ListenError): StartErrorCode {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'E_START_ADDRESS_IN_USE';
    case 'EACCES':
      return 'E_START_PERMISSION_DENIED';
    case 'EADDRNOTAVAIL':
      return 'E_START_ADDRESS_NOT_AVAILABLE';
    case 'EAFNOSUPPORT':
      return 'E_START_FAMILY_UNAVAILABLE';
    default:
      return 'E_START_LISTEN_FAILED';
  }
}

/** A listen failure with what to do about it. */
export function listenFailureText(err: ListenError): string {
  const flag = `${err.kind === 'admin' ? '--admin' : '--listen'} ADDR:PORT`;
  const { host, port } = err.target;
  switch (err.code) {
    case 'EADDRINUSE': {
      const who = err.kind === 'admin' ? 'another gslb' : 'another gslb or DNS server';
      const ss = `ss -${err.kind === 'udp' ? 'u' : 't'}lpn 'sport = :${port}'`;
      return `${err.message}: ${who}? (${ss} shows which); pick another port with ${flag}`;
    }
    case 'EACCES':
      return port < PRIVILEGED_PORTS
        ? `${err.message}; run as root, or let node bind them (setcap cap_net_bind_service=+ep ` +
            `$(readlink -f $(which node))), or under systemd AmbientCapabilities=CAP_NET_BIND_SERVICE ` +
            `(docs/deployment.md)`
        : `${err.message}: a security policy (SELinux, AppArmor) may forbid it; pick another port with ${flag}`;
    case 'EADDRNOTAVAIL':
      return `${err.message}; listen on one it has (ip -brief address lists them), or 0.0.0.0 or [::] for all, with ${flag}`;
    case 'EAFNOSUPPORT':
      return `${err.message}; leave ${host} out of ${err.kind === 'admin' ? '--admin' : '--listen'}`;
    default:
      return err.message;
  }
}

/**
 * --zones must be a folder: said in one line before GeoIP takes its second to open, with the codes
 * `gslb check` (zones/load.ts) gives the same faults.
 */
export function checkZonesFolder(dir: string): void {
  const takes = '--zones DIR takes the folder that holds one folder per zone';
  let folder: boolean;
  try {
    folder = statSync(dir).isDirectory();
  } catch (err) {
    const hint = errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR' ? `; ${takes}` : '';
    throw new StartupError('E_ZONES_UNREADABLE', `zones folder ${dir}: ${fileErrorReason(err)}${hint}`);
  }
  if (!folder) throw new StartupError('E_ZONES_NOT_A_FOLDER', `--zones ${dir} is a file, not a folder; ${takes}`);
}

/** Binds the admin address and lets go: a taken admin port is found before the slow part of a start. */
export function probeAdmin(target: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err) => reject(new ListenError('admin', { host: target.host, port: target.port }, err)));
    server.listen(target.port, target.host, () => server.close(() => resolve()));
  });
}
