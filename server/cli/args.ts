// Command-line parsing shared by the subcommands: each command's flag table (server/cli/commands.ts)
// drives node:util parseArgs, the usage errors (with "did you mean") and the help text alike.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DurationError, parseDuration, type DurationBounds } from '../../zones/duration.js';
import { closestMatch } from '../../zones/suggest.js';
import type { CliErrorCode } from './cli-errors.js';
import { readSecretFile } from './flag-files.js';

/** The command line is wrong: main.ts prints `gslb COMMAND: message [code]` and exits 2. */
export class UsageError extends Error {
  constructor(
    /** From CLI_ERRORS (cli-errors.ts); docs/errors.md says what to do. */
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One flag of a command. A flag with a `value` placeholder takes a string; one without is a switch. */
export interface FlagSpec {
  /** The value's placeholder in help and errors (DIR, ADDR:PORT, DUR); absent for a boolean flag. */
  readonly value?: string;
  /** May be given more than once; the values are collected in order. */
  readonly multiple?: boolean;
  /** Must be given (or come from `env`). */
  readonly required?: boolean;
  /** The value when the flag is not given; applied by parse(), so code reads no second default. */
  readonly default?: string | readonly string[];
  /** The default in words when it is computed at run time (the host name, the number of cores). */
  readonly defaultText?: string;
  /** An environment variable the value comes from when the flag is not given (nor its `file`). */
  readonly env?: string;
  /**
   * The flag that names a file holding this flag's value (one line), for secrets: `--redis` has
   * `--redis-url-file`. Giving both is a usage error; the file comes before `env`.
   */
  readonly file?: string;
  /** A heading the flag is listed under in help (serve has many flags). */
  readonly group?: string;
  /** One line for help. */
  readonly help: string;
}

export type Flags = Readonly<Record<string, FlagSpec>>;

export interface Positional {
  readonly name: string;
  readonly optional?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  readonly positionals?: readonly Positional[];
  readonly flags: Flags;
  /** Exit codes beyond 0 (done) and 2 (usage error), e.g. simulate's 3. */
  readonly exitCodes?: readonly string[];
}

type ValueOf<F extends FlagSpec> = F extends { value: string }
  ? F extends { multiple: true }
    ? string[]
    : string
  : boolean;
type Given<F extends FlagSpec> = F extends { default: unknown } ? true : F extends { required: true } ? true : false;

/** The parsed values: flags with a default or that are required are always there, others optional. */
export type FlagValues<T extends Flags> = {
  -readonly [K in keyof T as Given<T[K]> extends true ? K : never]: ValueOf<T[K]>;
} & {
  -readonly [K in keyof T as Given<T[K]> extends true ? never : K]?: ValueOf<T[K]>;
};

/**
 * Flags operators bring from other servers, where edit distance cannot find ours: the flag they
 * mean, and how it is written here. A hint is given only when the command has that flag.
 */
const FAMILIAR: Readonly<Record<string, { flag: string; shown: string }>> = {
  '--port': { flag: 'listen', shown: '--listen ADDR:PORT' },
  '--bind': { flag: 'listen', shown: '--listen ADDR:PORT' },
  '--zone': { flag: 'zones', shown: '--zones DIR' },
  '--config': { flag: 'zones', shown: '--zones DIR' },
  '-c': { flag: 'zones', shown: '--zones DIR' },
  '--token': { flag: 'admin-token', shown: '--admin-token' },
  '--verbose': { flag: 'log-level', shown: '--log-level debug' },
  '-v': { flag: 'log-level', shown: '--log-level debug' },
  '--debug': { flag: 'log-level', shown: '--log-level debug' },
};

/** How a flag is written in help and errors: `--zones DIR`, `--json`. */
export const flagUsage = (name: string, spec: FlagSpec): string =>
  spec.value === undefined ? `--${name}` : `--${name} ${spec.value}`;

/** ` (did you mean '--listen'?)` for an option the command does not have, or ''. */
function suggestion(raw: string, flags: Flags): string {
  const familiar = FAMILIAR[raw];
  if (familiar && flags[familiar.flag]) return ` (did you mean '${familiar.shown}'?)`;
  if (raw.length === 2) return '';
  const near = nearestFlag(raw.replace(/^--?/, ''), flags);
  return near === null ? '' : ` (did you mean '--${near}'?)`;
}

/** The flag `given` names or is a typo of: `-zones` and a bare `zones` mean `--zones`. */
function nearestFlag(given: string, flags: Flags): string | null {
  return Object.hasOwn(flags, given) ? given : closestMatch(given, Object.keys(flags));
}

/** The command's flags as node:util parseArgs options. */
export function parseArgsOptions(flags: Flags): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] =
      spec.value === undefined
        ? { type: 'boolean' }
        : {
            type: 'string',
            multiple: spec.multiple === true,
            ...(spec.default === undefined
              ? {}
              : { default: typeof spec.default === 'string' ? spec.default : [...spec.default] }),
          };
  }
  return options;
}

/**
 * Finds what node:util parseArgs would reject, and says it our way: the unknown option with the
 * closest one, the flag left without its value, the value given to a switch, the stray argument.
 */
function checkTokens(argv: string[], command: CommandSpec): void {
  const { tokens } = parseArgs({ args: argv, options: parseArgsOptions(command.flags), strict: false, tokens: true });
  let positionals = 0;
  const most = command.positionals?.length ?? 0;
  for (const t of tokens) {
    if (t.kind === 'option') {
      // Every flag is long: a short one is unknown, and `-zones` (one dash) is shown whole.
      const short = !t.rawName.startsWith('--');
      const raw = short ? argv[t.index]!.split('=')[0]! : t.rawName;
      const spec = short || !Object.hasOwn(command.flags, t.name) ? undefined : command.flags[t.name];
      if (spec === undefined)
        throw new UsageError('E_CLI_UNKNOWN_FLAG', `unknown option '${raw}'${suggestion(raw, command.flags)}`);
      const needsValue = `${t.rawName} needs a value (${flagUsage(t.name, spec)})`;
      if (spec.value === undefined) {
        if (t.inlineValue)
          throw new UsageError('E_CLI_UNEXPECTED_VALUE', `${t.rawName} takes no value (got '${t.rawName}=${t.value}')`);
      } else if (t.value === undefined) {
        throw new UsageError('E_CLI_MISSING_VALUE', needsValue);
      } else if (!t.inlineValue && t.value.startsWith('-')) {
        const message = `${needsValue}, got '${t.value}'; if that is the value, write ${t.rawName}=${t.value}`;
        throw new UsageError('E_CLI_MISSING_VALUE', message);
      }
    } else if (t.kind === 'positional') {
      positionals++;
      if (positionals > most) {
        const near = most === 0 && !t.value.startsWith('-') ? nearestFlag(t.value, command.flags) : null;
        const hint = near === null ? '' : ` (did you mean '--${near}'?)`;
        throw new UsageError('E_CLI_UNEXPECTED_ARGUMENT', `unexpected argument '${t.value}'${hint}`);
      }
    }
  }
}

/** Where a flag's value came from, for the start-up log: `--redis`, `--redis-url-file PATH`, `GSLB_REDIS_URL`. */
export type Origins = Readonly<Record<string, string>>;

/** `needs --redis URL (or --redis-url-file FILE, or GSLB_REDIS_URL)`. */
function needs(name: string, spec: FlagSpec, flags: Flags): string {
  const file = spec.file === undefined ? undefined : flags[spec.file];
  const alternatives = [
    ...(file === undefined ? [] : [flagUsage(spec.file!, file)]),
    ...(spec.env === undefined ? [] : [spec.env]),
  ];
  return `needs ${flagUsage(name, spec)}${alternatives.length > 0 ? ` (or ${alternatives.join(', or ')})` : ''}`;
}

/**
 * Parses a command's arguments by its table: flags (with defaults, secret files and environment
 * variables applied), positionals, where each value came from, warnings to log (a secret file every
 * user can read), and a UsageError naming the first problem (a FlagFileError for a file that cannot
 * be used).
 */
export function parse<C extends CommandSpec>(
  argv: string[],
  command: C,
): { values: FlagValues<C['flags']>; positionals: string[]; origins: Origins; warnings: string[] } {
  checkTokens(argv, command);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: parseArgsOptions(command.flags),
      allowPositionals: (command.positionals?.length ?? 0) > 0,
      strict: true,
    });
  } catch (err) {
    // checkTokens finds what strict parsing rejects; this is a backstop for anything it does not.
    throw new UsageError('E_CLI_BAD_ARGUMENTS', (err as Error).message.split('\n')[0]!.replace(/\.$/, ''));
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const origins: Record<string, string> = {};
  const warnings: string[] = [];
  for (const [name, spec] of Object.entries(command.flags)) {
    if (values[name] !== undefined && spec.default === undefined) origins[name] = `--${name}`;
    const path = spec.file === undefined ? undefined : values[spec.file];
    if (typeof path === 'string') {
      if (values[name] !== undefined)
        throw new UsageError('E_CLI_CONFLICTING_FLAGS', `give --${name} or --${spec.file}, not both`);
      const secret = readSecretFile(spec.file!, path);
      values[name] = spec.multiple ? [secret.value] : secret.value;
      origins[name] = `--${spec.file} ${path}`;
      if (secret.warning) warnings.push(secret.warning);
    }
    if (values[name] === undefined && spec.env !== undefined) {
      const fromEnv = process.env[spec.env];
      if (fromEnv !== undefined && fromEnv !== '') {
        values[name] = spec.multiple ? [fromEnv] : fromEnv;
        origins[name] = spec.env;
      }
    }
    if (spec.required && (values[name] === undefined || values[name] === ''))
      throw new UsageError('E_CLI_MISSING_FLAG', needs(name, spec, command.flags));
  }
  const needed = (command.positionals ?? []).filter((p) => !p.optional);
  if (parsed.positionals.length < needed.length)
    throw new UsageError('E_CLI_MISSING_ARGUMENT', `needs ${needed[parsed.positionals.length]!.name}`);
  return { values: values as FlagValues<C['flags']>, positionals: parsed.positionals, origins, warnings };
}

/** Parses an integer flag value, with the flag's name in the error. */
export function intFlag(name: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value)) throw new UsageError('E_CLI_BAD_VALUE', `--${name} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max)
    throw new UsageError('E_CLI_BAD_VALUE', `--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses a duration flag value into milliseconds (zones/duration.ts has the grammar), with the flag's name in the error. */
export function durationFlag(name: string, value: string, bounds?: DurationBounds): number {
  try {
    return parseDuration(value, `--${name}`, bounds);
  } catch (err) {
    throw err instanceof DurationError ? new UsageError('E_CLI_BAD_VALUE', err.message) : err;
  }
}
