// `gslb help`, `--help`, `--version` and usage errors, through the real bin/gslb: every flag the
// parser accepts is in the help (both come from server/cli/commands.ts), and a mistyped flag or
// command gets one line naming the closest one.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgsOptions } from '../server/cli/args.js';
import { COMMANDS } from '../server/cli/commands.js';

const gslb = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/gslb', ...args], { encoding: 'utf8', timeout: 15_000 });

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The flags a help text lists: the `--name` that starts each flag line. */
const listedFlags = (help: string): string[] => [...help.matchAll(/^ {2}--([a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);

describe('gslb help and version', () => {
  for (const command of COMMANDS) {
    describe(command.name, () => {
      const accepted = Object.keys(parseArgsOptions(command.flags));

      it('--help exits 0 and lists every flag the parser accepts, and only those', () => {
        const r = gslb(command.name, '--help');
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.equal('');
        expect(r.stdout).to.match(new RegExp(`^usage: gslb ${command.name} `));
        for (const name of accepted) expect(r.stdout).to.match(new RegExp(`^ {2}--${escape(name)}( |$)`, 'm'));
        expect(listedFlags(r.stdout)).to.have.members(accepted);
        for (const line of r.stdout.split('\n')) expect(line.length, line).to.be.at.most(100);
      });

      it('-h and gslb help COMMAND print the same help', () => {
        const long = gslb(command.name, '--help').stdout;
        expect(gslb(command.name, '-h').stdout).to.equal(long);
        expect(gslb('help', command.name).stdout).to.equal(long);
      });
    });
  }

  it('gslb help serve lists --workers, --no-watch and --query-log-sample', () => {
    const r = gslb('help', 'serve');
    expect(r.status).to.equal(0);
    for (const flag of ['--workers N', '--no-watch', '--query-log-sample N']) expect(r.stdout).to.include(flag);
  });

  it('--help wins over missing or wrong flags', () => {
    for (const args of [
      ['serve', '--help'],
      ['serve', '--lisen', 'x', '--help'],
      ['explain', '-h', '--zones'],
    ]) {
      const r = gslb(...args);
      expect(r.status, args.join(' ')).to.equal(0);
      expect(r.stdout).to.match(/^usage: gslb /);
    }
  });

  it('the command list: gslb --help, -h and help on stdout (0); bare gslb on stderr (2)', () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = gslb(flag);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^usage: gslb COMMAND/);
      for (const c of COMMANDS) expect(r.stdout).to.match(new RegExp(`^ {2}${c.name} +${escape(c.summary)}$`, 'm'));
    }
    const bare = gslb();
    expect(bare.status).to.equal(2);
    expect(bare.stdout).to.equal('');
    expect(bare.stderr).to.equal(gslb('help').stdout);
  });

  it('--version, -V and version print the package version and the Node.js version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      const r = gslb(flag);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(`gslb ${version} (Node.js ${process.version})\n`);
    }
  });
});

describe('gslb usage errors', () => {
  // Each: the arguments, and the first line on stderr; the second line points at the help.
  const cases: Array<[string[], string, string]> = [
    [
      ['serve', '--lisen', '127.0.0.1:53'],
      "gslb serve: unknown option '--lisen' (did you mean '--listen'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['serve', '--zones', 'examples', '--port', '53'],
      "gslb serve: unknown option '--port' (did you mean '--listen ADDR:PORT'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['serve', '--bind', '0.0.0.0'],
      "gslb serve: unknown option '--bind' (did you mean '--listen ADDR:PORT'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['check', '--zone', 'examples'],
      "gslb check: unknown option '--zone' (did you mean '--zones DIR'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['check', '--config', 'examples'],
      "gslb check: unknown option '--config' (did you mean '--zones DIR'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['check', '-c', 'examples'],
      "gslb check: unknown option '-c' (did you mean '--zones DIR'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['serve', '--token', 'secret'],
      "gslb serve: unknown option '--token' (did you mean '--admin-token'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['serve', '--verbose'],
      "gslb serve: unknown option '--verbose' (did you mean '--log-level debug'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [['agent', '-v'], "gslb agent: unknown option '-v' (did you mean '--log-level debug'?)", 'E_CLI_UNKNOWN_FLAG'],
    [
      ['serve', '--debug'],
      "gslb serve: unknown option '--debug' (did you mean '--log-level debug'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    // A hint only for a flag the command has.
    [['check', '--verbose'], "gslb check: unknown option '--verbose'", 'E_CLI_UNKNOWN_FLAG'],
    [['check', '--constructor'], "gslb check: unknown option '--constructor'", 'E_CLI_UNKNOWN_FLAG'],
    [
      ['serve', '-zones', 'examples'],
      "gslb serve: unknown option '-zones' (did you mean '--zones'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [
      ['simulate', '--zones', 'examples', '--clinets', 'f'],
      "gslb simulate: unknown option '--clinets' (did you mean '--clients'?)",
      'E_CLI_UNKNOWN_FLAG',
    ],
    [['serve', '--zones'], 'gslb serve: --zones needs a value (--zones DIR)', 'E_CLI_MISSING_VALUE'],
    [
      ['serve', '--zones', '--no-watch'],
      "gslb serve: --zones needs a value (--zones DIR), got '--no-watch'; if that is the value, write --zones=--no-watch",
      'E_CLI_MISSING_VALUE',
    ],
    [
      ['serve', '--zones', 'examples', '--no-watch=yes'],
      "gslb serve: --no-watch takes no value (got '--no-watch=yes')",
      'E_CLI_UNEXPECTED_VALUE',
    ],
    [['check', 'examples'], "gslb check: unexpected argument 'examples'", 'E_CLI_UNEXPECTED_ARGUMENT'],
    [
      ['check', 'zones'],
      "gslb check: unexpected argument 'zones' (did you mean '--zones'?)",
      'E_CLI_UNEXPECTED_ARGUMENT',
    ],
    [['check'], 'gslb check: needs --zones DIR', 'E_CLI_MISSING_FLAG'],
    [['explain', '--zones', 'examples', '--client', '192.0.2.1'], 'gslb explain: needs NAME', 'E_CLI_MISSING_ARGUMENT'],
    [
      ['explain', '--zones', 'examples', '--client', '192.0.2.1', 'www', 'A', 'extra'],
      "gslb explain: unexpected argument 'extra'",
      'E_CLI_UNEXPECTED_ARGUMENT',
    ],
    [
      ['undrain', '--redis', 'redis://127.0.0.1:1', '--datacenter', 'x', '--for', '1m'],
      "gslb undrain: unknown option '--for'",
      'E_CLI_UNKNOWN_FLAG',
    ],
  ];
  // The wording is the feature here (the flag meant, the value wanted); the code ends the line.
  for (const [args, first, code] of cases) {
    it(`gslb ${args.join(' ')}`, () => {
      const r = gslb(...args);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(`${first} [${code}]\nrun 'gslb ${args[0]} --help' for the flags\n`);
    });
  }

  it('an unknown command names the closest one', () => {
    for (const args of [['serv'], ['help', 'serv']]) {
      const r = gslb(...args);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.equal(
        "gslb: unknown command 'serv' (did you mean 'serve'?) [E_CLI_UNKNOWN_COMMAND]\nrun 'gslb help' for the commands\n",
      );
    }
    const far = gslb('frobnicate');
    expect(far.status).to.equal(2);
    expect(far.stderr).to.equal(
      "gslb: unknown command 'frobnicate' [E_CLI_UNKNOWN_COMMAND]\nrun 'gslb help' for the commands\n",
    );
    const two = gslb('help', 'serve', 'check');
    expect(two.status).to.equal(2);
    expect(two.stderr).to.match(/^gslb: help takes one COMMAND, got serve check \[E_CLI_UNEXPECTED_ARGUMENT\]\n/);
  });

  it('a bad value is the same two lines, with no stack trace', () => {
    const r = gslb('serve', '--zones', 'examples', '--quorum', 'most');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.equal(
      "gslb serve: --quorum must be 'majority' or a number of agents [E_CLI_BAD_VALUE]\nrun 'gslb serve --help' for the flags\n",
    );
  });
});
