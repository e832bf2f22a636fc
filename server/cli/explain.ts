// `gslb explain`: loads the zones offline, marks --down targets down, and prints what serve would answer.
import { compileCatalog } from '../catalog.js';
import { explainQuery, ExplainRequestError, formatExplanation } from '../explain/explain.js';
import { parse, UsageError } from './args.js';
import { EXPLAIN } from './commands.js';
import { geoServesZones, healthWithDown, loadValidZones } from './offline.js';
import { openGeo } from './geo-files.js';

export function runExplain(argv: string[]): number {
  const { values, positionals } = parse(argv, EXPLAIN);
  const [name, type = 'A'] = positionals as [string, string?]; // counted by parse()
  const zones = loadValidZones(values.zones);
  if (zones === null) return 1;
  const health = healthWithDown(zones, values.down ?? []);
  const geo = openGeo(values.geoip);
  if (!geoServesZones(zones, geo)) return 1;
  const catalog = compileCatalog(zones, geo);
  let e;
  try {
    e = explainQuery(catalog, geo, health, { name, type, client: values.client, dnssec: values.dnssec === true });
  } catch (err) {
    // The engine names the request's parts; the command line names its flags.
    if (err instanceof ExplainRequestError)
      throw new UsageError('E_CLI_BAD_VALUE', err.message.replace(/^client /, '--client '));
    throw err;
  }
  process.stdout.write(values.json ? JSON.stringify(e, null, 2) + '\n' : formatExplanation(e));
  return 0;
}
