// `gslb import FORMAT SOURCE OUT`: translate another server's GSLB configuration into zone folders.
// Every part that cannot be translated is listed as file:line; without --partial nothing is written
// then (a half-migrated config that looks complete is worse than none). What is written has passed
// the same loader as `gslb check` first, in a scratch folder, and never replaces an existing zone.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ImportError, type ImportErrorCode } from '../../zones/import/import-errors.js';
import { formatPlace, type ImportResult } from '../../zones/import/result.js';
import { loadZones } from '../../zones/load.js';
import { nameToText } from '../../zones/name.js';
import { formatZoneError } from '../../zones/records.js';
import { parse, UsageError } from './args.js';
import { IMPORT } from './commands.js';

const UNTRANSLATABLE: ImportErrorCode = 'E_IMPORT_UNTRANSLATABLE';

interface ImportOptions {
  readonly origin: string | null;
  readonly geoip: string | null;
}

/** The formats and their translators, loaded on demand. */
const FORMATS: Readonly<Record<string, (source: string, o: ImportOptions) => Promise<ImportResult>>> = {
  gdnsd: async (source, o) => (await import('../../zones/import/gdnsd/translate.js')).translateGdnsd(source, o),
  'pdns-lua': async (source, o) => (await import('../../zones/import/pdns/import-pdns.js')).importPdnsLua(source, o),
};

export async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, IMPORT);
  const [format, source, out] = positionals as [string, string, string];
  // Own keys only: 'constructor' or 'toString' must not find Object's.
  const translate = Object.hasOwn(FORMATS, format) ? FORMATS[format] : undefined;
  if (!translate)
    throw new UsageError(
      'E_CLI_BAD_VALUE',
      `FORMAT '${format}' is not one gslb imports (${Object.keys(FORMATS).join(', ')})`,
    );
  let result: ImportResult;
  try {
    result = await translate(source, { origin: values.origin ?? null, geoip: values.geoip ?? null });
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    process.stderr.write(err.format() + '\n');
    return 1;
  }
  for (const n of result.notes) process.stderr.write(`note: ${formatPlace(n)}\n`);
  for (const u of result.untranslated) process.stderr.write(`${formatPlace(u)} [${UNTRANSLATABLE}]\n`);
  if (result.untranslated.length > 0 && !values.partial) {
    process.stderr.write(
      `${result.untranslated.length} part(s) cannot be translated; nothing written (--partial writes the rest)\n`,
    );
    return 1;
  }
  if (result.zones.length === 0) {
    process.stderr.write(`${new ImportError('E_IMPORT_NOTHING', source, 0, 'no zone to import').format()}\n`);
    return 1;
  }
  for (const z of result.zones)
    if (existsSync(join(out, z.apex))) {
      const e = new ImportError('E_IMPORT_OUT_EXISTS', join(out, z.apex), 0, 'exists already; nothing written');
      process.stderr.write(e.format() + '\n');
      return 1;
    }
  const scratch = mkdtempSync(join(tmpdir(), 'gslb-import-'));
  try {
    for (const z of result.zones)
      for (const [path, text] of z.files) {
        const file = join(scratch, z.apex, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
    const loaded = loadZones(scratch);
    if (loaded.errors.length > 0) {
      // Show the errors with the OUT paths the operator would have had.
      for (const e of loaded.errors)
        process.stderr.write(formatZoneError({ ...e, file: e.file.replace(scratch, out) }) + '\n');
      const e = new ImportError('E_IMPORT_RESULT_INVALID', null, 0, 'the translation does not pass gslb check');
      process.stderr.write(`${e.format()}; nothing written\n`);
      return 1;
    }
    for (const z of result.zones) {
      cpSync(join(scratch, z.apex), join(out, z.apex), { recursive: true, errorOnExist: true, force: false });
      const apex = `${z.apex}.`.toLowerCase();
      const names = loaded.zones.find((lz) => nameToText(lz.apex.wire).toLowerCase() === apex)?.policy.names.size ?? 0;
      process.stdout.write(`wrote ${join(out, z.apex)} (${names} load-balanced name(s))\n`);
    }
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
