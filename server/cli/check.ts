// `gslb check --zones DIR`: validate every zone without serving; all errors as file:line: message.
// It opens no GeoIP database, so regions that match ASNs get a note that serve needs an ASN database.
import { regionsWithAsns } from '../gslb/regions.js';
import { parse } from './args.js';
import { CHECK } from './commands.js';
import { loadValidZones } from './offline.js';

export function runCheck(argv: string[]): number {
  const { values } = parse(argv, CHECK);
  const zones = loadValidZones(values.zones);
  if (zones === null) return 1;
  let names = 0;
  for (const z of zones) names += z.nodes.size;
  for (const r of regionsWithAsns(zones))
    process.stderr.write(
      `note: ${r.file}:${r.match!.asnsLine}: region '${r.name}' matches asns: serve, explain and simulate need an ASN database given with --geoip\n`,
    );
  process.stdout.write(`ok: ${zones.length} zone(s), ${names} name(s)\n`);
  return 0;
}
