// The codes of `gslb import`: a source it cannot read or parse, parts it cannot translate, and an
// output it will not write. Printed as `file:line: message [CODE]`; docs/errors.md says what to do.
import { errorCodes } from '../error-codes.js';

export const IMPORT_ERRORS = errorCodes({
  E_IMPORT_SOURCE_UNREADABLE: {
    summary: 'A file or folder of the configuration to import cannot be read (missing, or not readable).',
    fix: 'Check the path given to gslb import (a gdnsd config folder with config and zones/, or a zone file).',
  },
  E_IMPORT_SOURCE_SYNTAX: {
    summary:
      'The configuration to import cannot be parsed (vscf syntax of a gdnsd config, a master file line, a LUA record); nothing is written.',
    fix: 'Fix the line named (the server it came from would refuse it too), or check it is the right file.',
  },
  E_IMPORT_UNTRANSLATABLE: {
    summary:
      'A part of the configuration has no equivalent in gslb; the line says what and why. Without --partial nothing is written.',
    fix: 'Rewrite that part by hand after a --partial import (docs/migration.md says what each usually becomes), or drop it.',
  },
  E_IMPORT_NOTHING: {
    summary: 'The configuration holds no zone to import.',
    fix: 'Check the path: gdnsd keeps its zones in DIR/zones/; a PowerDNS zone file needs an SOA or $ORIGIN.',
  },
  E_IMPORT_OUT_EXISTS: {
    summary: 'The zone folder the import would write (OUT/APEX) already exists; nothing is written.',
    fix: 'Import into a new folder, or move the existing zone folder away first.',
  },
  E_IMPORT_RESULT_INVALID: {
    summary:
      'The translated zone does not pass gslb check (a bug in the importer, or a source the server it came from would refuse); nothing is written.',
    fix: 'Read the errors printed with it; please report the source lines that caused it.',
  },
});

export type ImportErrorCode = keyof typeof IMPORT_ERRORS;

/** A failure that stops the whole import: where (null: no particular place) and why. */
export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    readonly file: string | null,
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
  /** `file:line: message [CODE]`. */
  format(): string {
    const at = this.file === null ? '' : this.line > 0 ? `${this.file}:${this.line}: ` : `${this.file}: `;
    return `${at}${this.message} [${this.code}]`;
  }
}
