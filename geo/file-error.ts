// Why a file could not be opened or read, in words an operator acts on (the errno code kept for
// searching): one wording for the GeoIP databases, the files policy files name and the flags' files.

/**
 * The reason for a failed open, stat or read, to follow the file's name: `not found (ENOENT)`,
 * `not readable: permission denied (EACCES) for uid 65534`, `is a folder, not a file (EISDIR)`; any
 * other error `cannot be read: ` and its message.
 */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'not found (ENOENT)';
    case 'EACCES':
    case 'EPERM': {
      const uid = process.getuid?.();
      return `not readable: permission denied (${code})${uid === undefined ? '' : ` for uid ${uid}`}`;
    }
    case 'EISDIR':
      return 'is a folder, not a file (EISDIR)';
    case 'ENOTDIR':
      return 'not found: a part of the path is not a folder (ENOTDIR)';
    default:
      return `cannot be read: ${err instanceof Error ? err.message : String(err)}`;
  }
}
