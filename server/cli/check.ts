// `gslb check --zones DIR`: validate every zone without serving; all errors as file:line: message.
import { loadZones } from '../../zones/load.js';
import { formatZoneError } from '../../zones/records.js';
import { parse, UsageError } from './args.js';

export function runCheck(argv: string[]): number {
  const { values } = parse(argv, { zones: { type: 'string' } });
  if (!values.zones) throw new UsageError('check needs --zones DIR');
  const result = loadZones(values.zones);
  for (const e of result.errors) process.stderr.write(formatZoneError(e) + '\n');
  if (result.errors.length > 0) {
    process.stderr.write(`${result.errors.length} error(s); the configuration is not valid\n`);
    return 1;
  }
  let names = 0;
  for (const z of result.zones) names += z.nodes.size;
  process.stdout.write(`ok: ${result.zones.length} zone(s), ${names} name(s)\n`);
  return 0;
}
