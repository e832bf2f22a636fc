// The APEX argument of gslb keygen and gslb ds: a zone name whose folder is in --zones.
import { join } from 'node:path';
import { fileErrorReason } from '../../geo/file-error.js';
import { findZoneFolder } from '../../zones/dnssec/keys.js';
import { nameToText, parseName, type DnsName } from '../../zones/name.js';
import { UsageError } from './args.js';

export interface ZoneArgument {
  readonly apex: DnsName;
  /** The zone's folder name in the zones directory (as the loader reads it). */
  readonly folder: string;
  /** The zone's keys/ folder. */
  readonly keysDir: string;
}

/**
 * The zone APEX names in zonesDir. A name that is no domain name, or no zone's folder, is a usage
 * error; a zones directory that cannot be read is printed as the loader words it (null: exit 1).
 */
export function zoneArgument(zonesDir: string, text: string): ZoneArgument | null {
  const parsed = parseName(text.endsWith('.') ? text : text + '.', null);
  if (!parsed.ok) throw new UsageError('E_CLI_UNKNOWN_ZONE', `APEX '${text}' is not a domain name: ${parsed.error}`);
  let folder: string | null;
  try {
    folder = findZoneFolder(zonesDir, parsed.name);
  } catch (err) {
    process.stderr.write(`${zonesDir}: zones directory ${fileErrorReason(err)} [E_ZONES_UNREADABLE]\n`);
    return null;
  }
  if (folder === null)
    throw new UsageError(
      'E_CLI_UNKNOWN_ZONE',
      `no folder for the zone '${nameToText(parsed.name.wire)}' in ${zonesDir} (a zone's folder is named after its apex)`,
    );
  return { apex: parsed.name, folder, keysDir: join(zonesDir, folder, 'keys') };
}
