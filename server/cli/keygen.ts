// `gslb keygen --zones DIR APEX`: a new key pair in the zone's keys/, in BIND's format; prints its
// file name (K<apex>.+<alg>+<tag>) as dnssec-keygen does.
import { relative } from 'node:path';
import { fileErrorReason } from '../../geo/file-error.js';
import { generateKeyFiles } from '../../zones/dnssec/keygen.js';
import { ALGORITHM, type Algorithm } from '../../zones/dnssec/types.js';
import { parse, UsageError } from './args.js';
import { KEYGEN } from './commands.js';
import { zoneArgument } from './zone-arg.js';

const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>([
  ['ECDSAP256SHA256', ALGORITHM.ECDSAP256SHA256],
  ['13', ALGORITHM.ECDSAP256SHA256],
  ['ED25519', ALGORITHM.ED25519],
  ['15', ALGORITHM.ED25519],
]);

export function runKeygen(argv: string[]): number {
  const { values, positionals } = parse(argv, KEYGEN);
  const algorithm = ALGORITHMS.get(values.algorithm.toUpperCase());
  if (algorithm === undefined)
    throw new UsageError(
      'E_CLI_BAD_VALUE',
      `--algorithm '${values.algorithm}': only ECDSAP256SHA256 (13) and ED25519 (15) are supported`,
    );
  if (values.ksk && values.zsk)
    throw new UsageError(
      'E_CLI_CONFLICTING_FLAGS',
      '--ksk and --zsk: a key is one or the other (run keygen twice for a pair)',
    );
  const zone = zoneArgument(values.zones, positionals[0]!);
  if (zone === null) return 1;
  try {
    const key = generateKeyFiles(zone.keysDir, zone.apex, { algorithm, flags: values.zsk ? 256 : 257 });
    process.stdout.write(key.baseName + '\n');
    return 0;
  } catch (err) {
    const where = relative(process.cwd(), zone.keysDir) || zone.keysDir;
    process.stderr.write(`gslb keygen: ${where}: cannot write the key: ${fileErrorReason(err)}\n`);
    return 1;
  }
}
