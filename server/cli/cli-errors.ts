// The codes of usage errors (UsageError, exit code 2): the command line itself is wrong. main.ts
// prints `gslb COMMAND: message [E_CLI_...]`; docs/errors.md says what to do about each.
import { errorCodes } from '../../zones/error-codes.js';

export const CLI_ERRORS = errorCodes({
  E_CLI_UNKNOWN_COMMAND: {
    summary: 'The command is not one gslb has.',
    fix: "Run 'gslb help' for the commands; the message names the closest one.",
  },
  E_CLI_UNKNOWN_FLAG: {
    summary: 'The command has no such flag (a typo, a single dash, or a flag from another server).',
    fix: "Run 'gslb COMMAND --help'; the message names the flag meant when it can tell.",
  },
  E_CLI_MISSING_VALUE: {
    summary: 'A flag that takes a value was given none (or what follows it looks like another flag).',
    fix: 'Give the value after the flag; a value starting with a dash is written --flag=-value.',
  },
  E_CLI_UNEXPECTED_VALUE: {
    summary: 'A switch (a flag without a value, such as --json) was given one with =.',
    fix: 'Give the switch alone, or leave it out.',
  },
  E_CLI_UNEXPECTED_ARGUMENT: {
    summary: 'An argument the command does not take (often a flag value without its flag).',
    fix: 'Put the flag before the value (--zones DIR), or remove the argument.',
  },
  E_CLI_MISSING_FLAG: {
    summary: 'A flag the command needs was not given (nor the file or environment variable it may come from).',
    fix: 'Give it; the message lists every way to (such as --redis URL, --redis-url-file FILE or GSLB_REDIS_URL).',
  },
  E_CLI_MISSING_ARGUMENT: {
    summary: 'A positional argument the command needs (such as NAME for explain) is missing.',
    fix: "Give it after the flags; 'gslb COMMAND --help' shows the synopsis.",
  },
  E_CLI_CONFLICTING_FLAGS: {
    summary:
      'Two flags that exclude each other were both given (a value and its file, an endpoint and a datacenter, TLS files with a plain redis:// URL).',
    fix: 'Keep the one meant, as the message says.',
  },
  E_CLI_FLAG_NEEDS_FLAG: {
    summary:
      'A flag was given without the flag it goes with (a client certificate without its key, TLS files without a Redis URL).',
    fix: 'Add the missing flag, or remove the one given.',
  },
  E_CLI_BAD_VALUE: {
    summary:
      "A flag's value is not one it takes (a number out of range, a duration, a level, a name with characters not allowed).",
    fix: 'Correct the value; the message says what the flag takes.',
  },
  E_CLI_BAD_ADDRESS: {
    summary: 'An address flag is not an IP address or HOST:PORT as it needs (--listen, --admin, --endpoint, --client).',
    fix: 'Give an IP literal: 127.0.0.1:5353, [::1]:5353, 192.0.2.1, 192.0.2.0/24; host names are not resolved.',
  },
  E_CLI_BAD_REDIS_URL: {
    summary: 'The Redis URL (--redis, --redis-url-file or GSLB_REDIS_URL) cannot be used.',
    fix: 'Write redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS, or sentinel(s)://HOST:PORT,.../MASTER (docs/redis.md).',
  },
  E_CLI_ADMIN_NEEDS_TOKEN: {
    summary: 'The admin API would listen beyond loopback without a token.',
    fix: 'Give --admin-token-file FILE (or --admin-token, GSLB_ADMIN_TOKEN), or listen on 127.0.0.1 (docs/admin.md).',
  },
  E_CLI_UNKNOWN_DATACENTER: {
    summary: '--down names a datacenter that no zone defines.',
    fix: 'Use a name from the datacenters section of the policy files; the message lists them.',
  },
  E_CLI_UNKNOWN_NAME: {
    summary:
      "A name given to gslb simulate (--name, or a line's name in the clients file) is no load-balanced name in the zones.",
    fix: "Give a name from a policy's names section, relative (www) or absolute (www.gslb.example.com).",
  },
  E_CLI_BAD_CLIENTS_FILE: {
    summary: "A line of gslb simulate's clients file is not subnet,weight[,name], or the file has no clients.",
    fix: 'Correct the line named (a subnet without host bits, a weight >= 0); lines starting with # are comments.',
  },
  E_CLI_NOTHING_TO_SIMULATE: {
    summary: 'The zones have no load-balanced names, so gslb simulate has nothing to split.',
    fix: 'Check --zones: simulate needs zones with a names section in their policy files.',
  },
  E_CLI_FILE_UNREADABLE: {
    summary: 'A file a flag names for its input (gslb simulate --clients) cannot be read.',
    fix: 'Check the path and that the file is readable.',
  },
  E_CLI_UNKNOWN_ZONE: {
    summary: 'gslb keygen or gslb ds names a zone (APEX) that has no folder in --zones, or APEX is not a domain name.',
    fix: 'Give the apex of a zone whose folder is in --zones (the folder is named after it); create the zone folder first.',
  },
  E_CLI_ZONE_NOT_SIGNED: {
    summary: 'gslb ds names a zone whose folder has no keys/: it is not signed, so there is no DS to give.',
    fix: 'Generate a key first (gslb keygen --zones DIR APEX), then ask again.',
  },
  E_CLI_BAD_ARGUMENTS: {
    summary: 'The arguments cannot be parsed (a case the checks above do not name).',
    fix: "Compare them with 'gslb COMMAND --help'.",
  },
});

export type CliErrorCode = keyof typeof CLI_ERRORS;
