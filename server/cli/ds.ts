// `gslb ds --zones DIR APEX`: the DS records (SHA-256) of the keys that sign the zone's DNSKEY RRset
// (its active SEP keys), as `dnssec-dsfromkey -2` prints them: what the parent zone must hold.
import { keyStateAt, loadKeys } from '../../zones/dnssec/keys.js';
import { dsText } from '../../zones/dnssec/ds.js';
import { formatZoneError } from '../../zones/records.js';
import { parse, UsageError } from './args.js';
import { DS } from './commands.js';
import { zoneArgument } from './zone-arg.js';

export function runDs(argv: string[]): number {
  const { values, positionals } = parse(argv, DS);
  const zone = zoneArgument(values.zones, positionals[0]!);
  if (zone === null) return 1;
  const now = Date.now();
  const { keys, errors } = loadKeys(values.zones, zone.folder, zone.apex, now);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(formatZoneError(e) + '\n');
    process.stderr.write(`${errors.length} error(s); the keys are not valid\n`);
    return 1;
  }
  if (keys.length === 0)
    throw new UsageError(
      'E_CLI_ZONE_NOT_SIGNED',
      `the zone '${positionals[0]}' has no keys/ folder: it is not signed (gslb keygen makes a key)`,
    );
  // The DNSKEY RRset is signed by these: the active SEP keys (every active key when none is SEP).
  for (const k of keyStateAt(keys, now).ksks) process.stdout.write(dsText(zone.apex, k.dnskey) + '\n');
  return 0;
}
