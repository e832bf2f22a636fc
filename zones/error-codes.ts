// Stable error codes: every config, zone and CLI error carries one, from one table per module, so
// operators can look a failure up in docs/errors.md and tests can match the code, not the wording.

/** What a code means and what the operator should do about it (docs/errors.md is checked against it). */
export interface ErrorCodeInfo {
  /** One line: what went wrong. */
  readonly summary: string;
  /** One line: what to do about it. */
  readonly fix: string;
}

/** A module's codes: each key is the code itself, `E_<MODULE>_<WHAT>` in capitals. */
export type ErrorCodeTable<K extends string = string> = Readonly<Record<K, ErrorCodeInfo>>;

const CODE = /^E_[A-Z0-9]+(_[A-Z0-9]+)+$/;

/** Declares a module's table; the keys are checked once at load so a typo never ships. */
export function errorCodes<const T extends Record<string, ErrorCodeInfo>>(table: T): T {
  for (const code of Object.keys(table))
    if (!CODE.test(code)) throw new Error(`error code '${code}' is not of the form E_MODULE_WHAT`);
  return Object.freeze(table);
}
