// Files that flags name for secrets and certificates (--redis-url-file, --admin-token-file,
// --redis-tls-key ...): read once at start, with one line naming the flag and the file when one
// cannot be used, and a warning when a secret is readable by every local user.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { fileErrorReason } from '../../geo/file-error.js';
import { StartupError } from './startup-error.js';

/** The flags are right but a file they name cannot be used: a start-up failure (one line, exit 1). */
export class FlagFileError extends StartupError {}

/** How errors name a file: `--redis-tls-ca /etc/ca.pem`, or `GSLB_REDIS_TLS_CA=/etc/ca.pem` when it came from there. */
export const fileLabel = (origin: string, path: string): string =>
  origin.startsWith('--') ? `${origin} ${path}` : `${origin}=${path}`;

/** The file's bytes and mode; FlagFileError naming it (`where`) when it is missing, unreadable, empty or not a file. */
export function readFlagFile(where: string, path: string): { bytes: Buffer; stat: Stats } {
  let stat: Stats;
  let bytes: Buffer;
  try {
    stat = statSync(path);
    if (stat.isDirectory()) throw Object.assign(new Error('folder'), { code: 'EISDIR' });
    bytes = readFileSync(path);
  } catch (err) {
    throw new FlagFileError('E_START_FLAG_FILE_UNREADABLE', `${where}: ${fileErrorReason(err)}`);
  }
  if (bytes.length === 0) throw new FlagFileError('E_START_FLAG_FILE_EMPTY', `${where}: the file is empty`);
  return { bytes, stat };
}

/**
 * A warning when a file holding a secret is readable by every local user (mode & 0o004). Not refused:
 * Kubernetes mounts secrets 0644 by default, and refusing would stop a node at its next restart.
 */
export function worldReadableWarning(where: string, stat: Stats): string | null {
  if ((stat.mode & 0o004) === 0) return null;
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  return `${where} is readable by every user (mode ${mode}); make it 0600 or 0640 (chmod o-r)`;
}

/**
 * A secret given as a file: its one line, trimmed. A second line is refused rather than guessed at
 * (a URL file with a comment, or two tokens, is a mistake worth stopping for).
 */
export function readSecretFile(flag: string, path: string): { value: string; warning: string | null } {
  const where = fileLabel(`--${flag}`, path);
  const { bytes, stat } = readFlagFile(where, path);
  const value = bytes.toString('utf8').trim();
  if (value === '') throw new FlagFileError('E_START_FLAG_FILE_EMPTY', `${where}: the file holds only white space`);
  if (/[\r\n]/.test(value))
    throw new FlagFileError('E_START_FLAG_FILE_LINES', `${where}: the file must hold one line, it has more`);
  return { value, warning: worldReadableWarning(where, stat) };
}
