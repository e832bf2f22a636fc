// The `gslb` entry point: dispatches subcommands and turns usage errors into exit code 2.
import { runCheck } from './check.js';
import { runExplain } from './explain.js';
import { runAgent } from './agent.js';
import { runDrain } from './drain.js';
import { UsageError } from './args.js';
import { runServe } from './serve.js';
import { runSimulate } from './simulate.js';

const USAGE = `usage: gslb <command> [options]

commands:
  serve   --zones DIR [--listen ADDR:PORT]... [--geoip FILE]... [--nsid TEXT] [--identity TEXT]
          [--version-string TEXT] [--tcp-idle-timeout MS] [--tcp-max-connections N] [--log-level LEVEL]
          [--redis URL [--redis-prefix P] [--node-id ID] [--quorum majority|N] [--max-age DUR]
           [--grace DUR] [--stale-policy open|keep]]
          [--admin ADDR:PORT [--admin-token TOKEN]]   (token also from GSLB_ADMIN_TOKEN)
  agent   --redis URL --datacenter NAME [--id ID] [--redis-prefix P] [--log-level LEVEL]
  drain   --redis URL (--endpoint ADDR | --datacenter NAME) [--for DUR] [--reason TEXT] [--redis-prefix P]
  drain   --redis URL --list
  undrain --redis URL (--endpoint ADDR | --datacenter NAME) [--redis-prefix P]
  check   --zones DIR
  explain --zones DIR NAME [TYPE] --client IP[/PREFIX] [--geoip FILE]... [--json] [--down DC]...
  simulate --zones DIR --clients FILE [--down DC]... [--name NAME]... [--geoip FILE]... [--json]
          (exit 3: a datacenter past its capacity)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'check':
      return runCheck(rest);
    case 'explain':
      return runExplain(rest);
    case 'simulate':
      return runSimulate(rest);
    case 'agent':
      return runAgent(rest);
    case 'drain':
      return runDrain(rest, false);
    case 'undrain':
      return runDrain(rest, true);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`gslb: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`gslb: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
