// Reads a file of the configuration being imported; a missing or unreadable one stops the import
// with its path, not a stack trace.
import { readFileSync } from 'node:fs';
import { ImportError } from './import-errors.js';

/** The file's text (a UTF-8 byte-order mark dropped), or an ImportError naming the path. */
export function readSource(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ImportError('E_IMPORT_SOURCE_UNREADABLE', path, 0, `cannot be read: ${why}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
