// The `gslb` entry point: dispatches subcommands, answers help and version, and turns usage errors
// into two lines on stderr and exit code 2, a failed start into one and exit code 1; each error line
// ends with its code ([E_CLI_...], [E_START_...]: docs/errors.md). Commands load on demand, so help
// and version are quick.
import { readFileSync } from 'node:fs';
import { UsageError, type CommandSpec } from './args.js';
import { AGENT, CHECK, COMMANDS, DRAIN, DS, EXPLAIN, IMPORT, KEYGEN, SERVE, SIMULATE, UNDRAIN } from './commands.js';
import { commandHelp, commandList } from './help.js';
import { EXIT_CANNOT_START, StartupError } from './startup-error.js';
import { closestMatch } from '../../zones/suggest.js';

type Run = (argv: string[]) => number | Promise<number>;

const RUNNERS: ReadonlyMap<CommandSpec, () => Promise<Run>> = new Map<CommandSpec, () => Promise<Run>>([
  [SERVE, async () => (await import('./serve.js')).runServe],
  [AGENT, async () => (await import('./agent.js')).runAgent],
  [CHECK, async () => (await import('./check.js')).runCheck],
  [EXPLAIN, async () => (await import('./explain.js')).runExplain],
  [SIMULATE, async () => (await import('./simulate.js')).runSimulate],
  [DRAIN, async () => (argv: string[]) => import('./drain.js').then((m) => m.runDrain(argv, false))],
  [UNDRAIN, async () => (argv: string[]) => import('./drain.js').then((m) => m.runDrain(argv, true))],
  [KEYGEN, async () => (await import('./keygen.js')).runKeygen],
  [DS, async () => (await import('./ds.js')).runDs],
  [IMPORT, async () => (await import('./import.js')).runImport],
]);

/** A usage error, and the command whose help would have helped (null: the command list). */
class CommandUsageError extends UsageError {
  constructor(
    code: UsageError['code'],
    message: string,
    readonly command: CommandSpec | null,
  ) {
    super(code, message);
  }
}

/** A start-up failure, and the command it stopped. */
class CommandStartupError extends Error {
  constructor(
    override readonly cause: StartupError,
    readonly command: CommandSpec,
  ) {
    super(cause.message);
  }
}

function versionText(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `gslb ${pkg.version} (Node.js ${process.version})\n`;
}

function findCommand(name: string): CommandSpec {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const near = closestMatch(
    name,
    COMMANDS.map((c) => c.name),
  );
  const hint = near === null ? '' : ` (did you mean '${near}'?)`;
  throw new CommandUsageError('E_CLI_UNKNOWN_COMMAND', `unknown command '${name}'${hint}`, null);
}

/** `--help` or `-h` among a command's arguments (before a `--`), whatever else is there. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
      process.stderr.write(commandList(COMMANDS));
      return 2;
    case 'help':
    case '--help':
    case '-h':
      if (rest.length > 1)
        throw new CommandUsageError('E_CLI_UNEXPECTED_ARGUMENT', `help takes one COMMAND, got ${rest.join(' ')}`, null);
      process.stdout.write(rest[0] === undefined ? commandList(COMMANDS) : commandHelp(findCommand(rest[0])));
      return 0;
    case 'version':
    case '--version':
    case '-V':
      process.stdout.write(versionText());
      return 0;
  }
  const command = findCommand(name);
  if (asksForHelp(rest)) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const run = await RUNNERS.get(command)!();
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError && !(err instanceof CommandUsageError))
      throw new CommandUsageError(err.code, err.message, command);
    if (err instanceof StartupError) throw new CommandStartupError(err, command);
    throw err;
  }
}

// A failure exits at once: whatever is still open (a worker, a socket, a timer) must not keep a
// process alive that serves nothing (systemd's Restart= acts only on an exit).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CommandUsageError) {
      const where = err.command ? `gslb ${err.command.name}` : 'gslb';
      const more = err.command
        ? `run 'gslb ${err.command.name} --help' for the flags`
        : "run 'gslb help' for the commands";
      process.stderr.write(`${where}: ${err.message} [${err.code}]\n${more}\n`);
      process.exit(2);
    } else if (err instanceof CommandStartupError) {
      for (const line of err.cause.details) process.stderr.write(line + '\n');
      process.stderr.write(`gslb ${err.command.name}: ${err.cause.message} [${err.cause.code}]\n`);
      process.exit(EXIT_CANNOT_START);
    } else {
      process.stderr.write(`gslb: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    }
  },
);
