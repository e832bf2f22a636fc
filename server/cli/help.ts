// `gslb help`: the command list and each command's flags, generated from the flag tables.
import { flagUsage, type CommandSpec, type FlagSpec } from './args.js';

const WIDTH = 100;

/** What help says after a flag's description: required, repeatable, default, environment variable. */
function notes(spec: FlagSpec): string[] {
  const out: string[] = [];
  if (spec.required) out.push('required');
  if (spec.multiple) out.push('repeatable');
  const dflt = spec.default === undefined ? spec.defaultText : [spec.default].flat().join(' and ');
  if (dflt !== undefined) out.push(`default: ${dflt}`);
  if (spec.env) out.push(`or from $${spec.env}`);
  return out;
}

/** `gslb explain --zones DIR --client IP[/PREFIX] [options] NAME [TYPE]`: required flags shown. */
export function synopsis(command: CommandSpec): string {
  const parts = [`gslb ${command.name}`];
  for (const [name, spec] of Object.entries(command.flags)) if (spec.required) parts.push(flagUsage(name, spec));
  parts.push('[options]');
  for (const p of command.positionals ?? []) parts.push(p.optional ? `[${p.name}]` : p.name);
  return parts.join(' ');
}

function exitCodes(command: CommandSpec): string[] {
  const codes = [...(command.exitCodes ?? [])];
  if (!codes.some((c) => c.startsWith('0 '))) codes.push('0 done');
  if (!codes.some((c) => c.startsWith('2 '))) codes.push('2 usage error');
  return codes.sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]));
}

/** Everything about one command: synopsis, summary, its flags under their headings, exit codes. */
export function commandHelp(command: CommandSpec): string {
  const entries = Object.entries(command.flags);
  const column = Math.min(30, Math.max(...entries.map(([n, s]) => flagUsage(n, s).length)) + 4);
  const lines = [`usage: ${synopsis(command)}`, '', `${command.name}: ${command.summary}`];
  const groups = [...new Set(entries.map(([, s]) => s.group ?? 'flags'))];
  for (const group of groups) {
    lines.push('', `${group}:`);
    for (const [name, spec] of entries) {
      if ((spec.group ?? 'flags') !== group) continue;
      const usage = `  ${flagUsage(name, spec)}`;
      const indent = ' '.repeat(column);
      // A long flag gets its description on the next line; notes that do not fit go under it.
      if (usage.length >= column) lines.push(usage);
      let line = (usage.length >= column ? indent : usage.padEnd(column)) + spec.help;
      const n = notes(spec);
      const tail = n.length === 0 ? '' : `(${n.join('; ')})`;
      if (tail && line.length + 1 + tail.length <= WIDTH) line += ' ' + tail;
      else if (tail) {
        lines.push(line);
        line = indent + tail;
      }
      lines.push(line);
    }
  }
  lines.push('', 'exit codes:', ...exitCodes(command).map((c) => `  ${c}`));
  return lines.join('\n') + '\n';
}

/** The command list for `gslb help`. */
export function commandList(commands: readonly CommandSpec[]): string {
  const rows: Array<[string, string]> = commands.map((c) => [c.name, c.summary]);
  rows.push(['help [COMMAND]', "the commands, or one command's flags (also: gslb COMMAND --help)"]);
  rows.push(['version', 'the gslb and Node.js versions (also: gslb --version)']);
  const column = Math.max(...rows.map(([n]) => n.length)) + 4;
  return [
    'usage: gslb COMMAND [options]',
    '',
    'commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(column - 2)}${s}`),
    '',
    "run 'gslb COMMAND --help' for a command's flags.",
    'exit codes: 0 done, 1 failed (invalid zones, refused to start, Redis unreachable), 2 usage error,',
    '3 simulate found a datacenter past its capacity',
    '',
  ].join('\n');
}
