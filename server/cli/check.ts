// `gslb check --zones DIR`: validate every zone without serving; all errors as file:line: message.
import { parse } from './args.js';
import { CHECK } from './commands.js';
import { loadValidZones } from './offline.js';

export function runCheck(argv: string[]): number {
  const { values } = parse(argv, CHECK);
  const zones = loadValidZones(values.zones);
  if (zones === null) return 1;
  let names = 0;
  for (const z of zones) names += z.nodes.size;
  process.stdout.write(`ok: ${zones.length} zone(s), ${names} name(s)\n`);
  return 0;
}
