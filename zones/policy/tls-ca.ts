// The files policy files name (a check's tls_ca): read once per load, and returned with the text read,
// so that a change to one rebuilds the policy.
import { posix } from 'node:path';
import { fileErrorReason } from '../../geo/file-error.js';
import { pemCertificates } from '../pem.js';
import type { Collector } from './collector.js';
import type { PolicyFile } from './file.js';

/** Reads a file a policy file names (tls_ca), by its path relative to the zones directory; throws. */
export type ReadPolicyFile = (path: string) => string;

/** A file other than the policy files that a load read, as it was read. */
export interface ExternalFile {
  /** Relative to the zones directory (or absolute, as given). */
  readonly path: string;
  readonly text: string;
}

/** How a load reads the files policy files name, and what it read: a change to one must rebuild the policy. */
export interface Externals {
  readonly read: ReadPolicyFile;
  readonly files: ExternalFile[];
}

/** The PEM text of a check's tls_ca, or null after an error at the key. */
export function readTlsCa(name: string, given: string, f: PolicyFile, errs: Collector, ext: Externals): string | null {
  const at = ['checks', name, 'tls_ca'];
  // Relative to the folder of the policy file that names it, as include paths are in nginx or BIND.
  const path = posix.isAbsolute(given) ? given : posix.join(posix.dirname(f.file), given);
  let text: string;
  try {
    text = ext.read(path);
  } catch (err) {
    errs.at(f, at, 'E_POLICY_FILE_UNREADABLE', `${path} ${fileErrorReason(err)}`);
    return null;
  }
  // Recorded as read: the reuse digest is of these bytes, never of a later read of the file.
  ext.files.push({ path, text });
  try {
    pemCertificates(text);
  } catch (err) {
    errs.at(f, at, 'E_POLICY_BAD_CERTIFICATE', `${path}: ${(err as Error).message}`);
    return null;
  }
  return text;
}
