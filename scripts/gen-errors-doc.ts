// Prints docs/errors.md from the error-code tables, one section per table, each code with what it
// means and what to do. test/errors-doc.test.ts fails when the file and the tables differ; then run
//   npm run build && node dist/scripts/gen-errors-doc.js > docs/errors.md
// (the words live in the tables; the headings and the introductions here).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { GEO_ERRORS } from '../geo/geo-errors.js';
import { REDIS_ERRORS } from '../health/redis-errors.js';
import { CLI_ERRORS } from '../server/cli/cli-errors.js';
import { START_ERRORS } from '../server/cli/start-errors.js';
import { DNSSEC_ERRORS } from '../zones/dnssec/dnssec-errors.js';
import type { ErrorCodeTable } from '../zones/error-codes.js';
import { IMPORT_ERRORS } from '../zones/import/import-errors.js';
import { ZONES_ERRORS } from '../zones/load-errors.js';
import { POLICY_ERRORS } from '../zones/policy/errors.js';
import { ZONE_ERRORS } from '../zones/zone-errors.js';

export interface ErrorSection {
  readonly title: string;
  /** Every code of the table starts with it. */
  readonly prefix: string;
  /** Where the table is, for the reader who wants to add a code. */
  readonly source: string;
  /** Where these errors show and what they stop; one paragraph. */
  readonly intro: string;
  readonly table: ErrorCodeTable;
}

export const ERROR_SECTIONS: readonly ErrorSection[] = [
  {
    title: 'Zone files',
    prefix: 'E_ZONE_',
    source: 'zones/zone-errors.ts',
    intro:
      'A master file (`*.zone`) that cannot be parsed, or a zone whose records break a rule of DNS. ' +
      '`gslb check` and `gslb serve` print each as `file:line: message [CODE]` (`file: message [CODE]` when ' +
      'it is about the whole file or zone); serve refuses to start, and a reload keeps the last good ' +
      'configuration (the admin API reports its lines).',
    table: ZONE_ERRORS,
  },
  {
    title: 'The zones folder',
    prefix: 'E_ZONES_',
    source: 'zones/load-errors.ts',
    intro:
      'The folder `--zones` names and the zone folders in it: one folder per zone, named after its apex, ' +
      'holding its master files and policy files. Printed as `path: message [CODE]`.',
    table: ZONES_ERRORS,
  },
  {
    title: 'Policy files',
    prefix: 'E_POLICY_',
    source: 'zones/policy/errors.ts',
    intro:
      'The policy files (`*.yaml`, `*.yml`) of a zone folder: datacenters, checks, load sources, regions ' +
      'and load-balanced names. Printed as `file:line: path: message [CODE]`, where the path is where in ' +
      "the file (`name 'www': pool 'eu-west': entry 2`); root causes first, so a reference into a section " +
      'that has errors is one line, not one per reference. See [policy.md](policy.md).',
    table: POLICY_ERRORS,
  },
  {
    title: 'DNSSEC keys',
    prefix: 'E_DNSSEC_',
    source: 'zones/dnssec/dnssec-errors.ts',
    intro:
      "A signed zone's `keys/` folder and its key files (BIND's format, `K<apex>.+<alg>+<tag>.key` and " +
      "`.private`), and the records a signed zone's master files may not hold. Printed as " +
      '`file:line: message [CODE]` like the zone errors: the zone is not built, so serve refuses to start ' +
      'and a reload keeps the last good configuration. See [zones.md](zones.md).',
    table: DNSSEC_ERRORS,
  },
  {
    title: 'GeoIP databases',
    prefix: 'E_GEO_',
    source: 'geo/geo-errors.ts',
    intro:
      'A database `--geoip` names (or the bundled one) that cannot be used. At start, serve, explain and ' +
      'simulate print `gslb COMMAND: FILE: message; --geoip FILE takes ... [CODE]` and exit 1; on a reload ' +
      'the error is reported and the databases open before stay in use. Regions that match `asns` with no ' +
      'ASN database among them are an error of the configuration instead: `FILE:LINE: message [CODE]` ' +
      "before serve's refusal, in a failed reload, or from explain and simulate. See [geoip.md](geoip.md).",
    table: GEO_ERRORS,
  },
  {
    title: 'Command line',
    prefix: 'E_CLI_',
    source: 'server/cli/cli-errors.ts',
    intro:
      'The command line itself is wrong. Every command prints `gslb COMMAND: message [CODE]`, then a line ' +
      'pointing at `gslb COMMAND --help`, and exits with code 2 without serving or changing anything ' +
      "(`gslb simulate`'s clients file too: each bad line as `file:line: message [CODE]`).",
    table: CLI_ERRORS,
  },
  {
    title: 'Start-up',
    prefix: 'E_START_',
    source: 'server/cli/start-errors.ts',
    intro:
      'The flags are right but the command cannot start: a port, a file a flag names, the zones. It prints ' +
      'one line, `gslb COMMAND: message [CODE]` (after the zone errors it rests on, for ' +
      '`E_START_INVALID_CONFIG`), and exits with code 1 within about two seconds, leaving no process ' +
      'behind. [operations.md](operations.md#start) shows the lines.',
    table: START_ERRORS,
  },
  {
    title: 'Redis',
    prefix: 'E_REDIS_',
    source: 'health/redis-errors.ts',
    intro:
      '`gslb drain` and `undrain` print `gslb drain: redis: message [CODE]` and exit 1, as does ' +
      '`gslb simulate --redis` (`gslb simulate: redis: ...`; a Redis that takes the connection but does not ' +
      'answer within 5 s is `E_REDIS_UNREACHABLE`: `no answer from Redis within 5000 ms`). `gslb serve` and ' +
      '`gslb agent` keep retrying: their warn log line `cannot reach redis; retrying` carries the code in ' +
      'its `code` field, once per kind of failure. See [redis.md](redis.md).',
    table: REDIS_ERRORS,
  },
  {
    title: 'Migration (gslb import)',
    prefix: 'E_IMPORT_',
    source: 'zones/import/import-errors.ts',
    intro:
      '`gslb import gdnsd DIR OUT` and `gslb import pdns-lua ZONEFILE OUT` print each part of the source ' +
      'they cannot translate as `file:line: message [E_IMPORT_UNTRANSLATABLE]` and then write nothing and ' +
      'exit 1, unless `--partial` is given (then the rest is written and the exit code is 0). A source that ' +
      'cannot be read or parsed, or an output folder that exists, stops the import with one such line and ' +
      'exit code 1. See [migration.md](migration.md).',
    table: IMPORT_ERRORS,
  },
];

const HEAD = `# Error codes

Every error gslb reports about its zones, its configuration files or its command line carries a
stable code, printed in brackets at the end of the line:

\`\`\`
gslb.example.com/records.zone:12: bad IPv4 address '192.0.2.300' for A record [E_ZONE_BAD_RDATA]
gslb serve: --zones /etc/gslb/zones is a file, not a folder; --zones DIR takes the folder that holds one folder per zone [E_ZONES_NOT_A_FOLDER]
\`\`\`

The wording may improve from one version to the next; the code does not. Look a code up here (each
has its own heading, so \`errors.md#e_zone_bad_rdata\` links to it), and match codes, not messages, in
scripts and monitoring. The code says what kind of problem it is; the message names the file, line,
flag or value at fault.

This file is generated from the tables in the source (\`npm run build && node
dist/scripts/gen-errors-doc.js > docs/errors.md\`); a test fails when the two differ.
`;

/** docs/errors.md as it should be. */
export function errorsDoc(): string {
  const out = [HEAD];
  out.push('| Codes | What |', '| --- | --- |');
  for (const s of ERROR_SECTIONS) out.push(`| [\`${s.prefix}*\`](#${anchor(s.title)}) | ${s.title} |`);
  for (const s of ERROR_SECTIONS) {
    out.push('', `## ${s.title}`, '', wrap(`${s.intro} (Codes: \`${s.source}\`.)`));
    for (const [code, info] of Object.entries(s.table)) {
      out.push('', `### ${code}`, '', info.summary, '', `What to do: ${info.fix}`);
    }
  }
  return out.join('\n') + '\n';
}

/** A paragraph broken into lines of at most 100 characters, as the other docs are. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}

/** GitHub's anchor for a heading: lower case, spaces to dashes, punctuation dropped. */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href)
  process.stdout.write(errorsDoc());
