// The README's five-minute tour, run as a new user runs it: the demo (`scripts/demo.mjs`, default
// workers, started with `--nsid node-a` as the tour suggests) on moved ports, every `dig` and `curl`
// line of the tour in order through bash, and each line's comment checked where it names addresses
// (`# eu-west: 198.51.100.x, scope /17`).
//
// When a line is checked: it is run until its expectation first holds, for up to max(3, 2N) s where N
// is the tour's `sleep N;` before it (a person's upper bound; the test is as fast as the server). Then
// it must hold on each of the next STABLE_RUNS runs, with no more retries: a line whose answer is
// random (the 3:1 weighted api line, while eu-west should be down) cannot pass by luck, and a state
// that flaps is caught.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEMO_PORT, startDemo, type Demo } from './helpers/demo.js';
import { descendants, stillRunning } from './helpers/process-tree.js';
import { until } from './helpers/until.js';

/** Runs after a line's expectation first holds that must all hold too. */
const STABLE_RUNS = 5;

interface TourLine {
  readonly command: string;
  readonly comment: string;
  /** The tour's `sleep N;` before the command, in seconds. */
  readonly sleepS: number;
}

function tourLines(): TourLine[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## A five-minute tour');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))![1]!;
  const out: TourLine[] = [];
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (!/^(sleep \d+; )?(dig|curl|for) /.test(line)) continue;
    const hash = line.search(/\s#\s/);
    const text = hash < 0 ? line : line.slice(0, hash).trim();
    const sleepMatch = /^sleep (\d+); (.*)$/.exec(text);
    out.push({
      command: sleepMatch ? sleepMatch[2]! : text,
      comment: hash < 0 ? '' : line.slice(hash).replace(/^\s#\s/, ''),
      sleepS: sleepMatch ? Number(sleepMatch[1]) : 0,
    });
  }
  return out;
}

/** The addresses a line's comment promises, as patterns: `192.0.2.x` is any host of 192.0.2.0/24. */
function promisedAddresses(comment: string): RegExp[] {
  return (comment.match(/\b\d+\.\d+\.\d+\.(?:\d+|x)\b/g) ?? []).map(
    (a) => new RegExp(`^${a.replace(/\./g, '\\.').replace(/x$/, '\\d+')}$`),
  );
}

/** IPv4 addresses answered: `+short` lines, or the A records of the ANSWER SECTION. */
function answeredAddresses(output: string): string[] {
  const answer = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(output);
  const lines = answer ? answer[1]!.split('\n').map((l) => l.split(/\s+/).at(-1)!) : output.split('\n');
  return lines.map((l) => l.trim()).filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
}

describe('README tour against the demo', function () {
  this.timeout(120_000);
  let demo: Demo | null = null;

  before(async function () {
    if (spawnSync('dig', ['-v'], { stdio: 'ignore' }).status !== 0) {
      if (process.env['CI'] === 'true') throw new Error('dig is needed (CI=true): apt-get install dnsutils');
      console.warn('    skipped: dig is not installed (apt-get install dnsutils)');
      this.skip();
    }
    demo = await startDemo([process.execPath, 'scripts/demo.mjs', '--nsid', 'node-a']);
  });
  after(async () => {
    if (!demo) return;
    const tree = [demo.process.pid, ...descendants(demo.process.pid)];
    demo.process.proc.kill('SIGTERM');
    // Given up to 3 s to stop on its own, as before; whatever is left then is killed.
    for (const pid of await stillRunning(tree, 3000))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
  });

  const local = (command: string) =>
    command
      .replaceAll('@127.0.0.1 -p 5353', `@127.0.0.1 -p ${demo!.base + DEMO_PORT.dns}`)
      .replaceAll('@::1 -p 5353', `@::1 -p ${demo!.base + DEMO_PORT.dns}`)
      .replaceAll('127.0.0.1:18080', `127.0.0.1:${demo!.base + DEMO_PORT.control}`);

  it('has dig and curl lines, some with promised addresses', () => {
    const lines = tourLines();
    expect(lines.filter((l) => l.command.startsWith('dig')).length).to.be.at.least(10);
    expect(lines.filter((l) => promisedAddresses(l.comment).length > 0).length).to.be.at.least(6);
  });

  it('every line answers as its comment says, in order', async () => {
    for (const line of tourLines()) {
      const command = local(line.command);
      const promised = promisedAddresses(line.comment);
      const scope = /scope \/(\d+)/.exec(line.comment)?.[1];
      const problems = (output: string, status: number | null): string[] => {
        const p: string[] = [];
        if (status !== 0) p.push(`exit status ${status}`);
        if (/timed out|no servers could be reached|couldn't get address/.test(output)) p.push('no answer');
        if (line.command.startsWith('dig')) {
          const got = answeredAddresses(output);
          if (promised.length > 0 && (got.length === 0 || !got.every((a) => promised.some((r) => r.test(a)))))
            p.push(`answered [${got.join(' ')}], promised ${line.comment}`);
          if (scope !== undefined && !new RegExp(`CLIENT-SUBNET: \\S+/${scope}\\b`).test(output))
            p.push(`no ECS scope /${scope}`);
          if (command.includes('+norec') && (!/flags: qr aa;/.test(output) || /recursion requested/.test(output)))
            p.push('not a plain authoritative reply (flags qr aa, no recursion warning)');
          if (command.includes('+nsid') && !/NSID: .*\("node-a"\)/.test(output)) p.push('no NSID node-a');
        }
        return p;
      };
      const run = () => {
        const r = spawnSync('bash', ['-c', command], { encoding: 'utf8', timeout: 20_000 });
        const output = r.stdout + r.stderr;
        return { found: problems(output, r.status), output };
      };
      const failure = (why: string, r: { found: string[]; output: string }) =>
        new Error(`${line.command}\n  ${why}\n  ${r.found.join('\n  ')}\n${r.output}`);
      // Until it first holds (the tour's sleeps are upper bounds for a person: up to twice as long)...
      let last: ReturnType<typeof run> = { found: [], output: '' };
      await until(
        line.command,
        () => (last = run()).found.length === 0,
        Math.max(3, 2 * line.sleepS) * 1000,
        250,
      ).catch(() => {
        throw failure('never held', last);
      });
      // ...then on every one of the next runs.
      for (let i = 1; i <= STABLE_RUNS; i++) {
        const r = run();
        if (r.found.length > 0) throw failure(`held, then not on run ${i} of ${STABLE_RUNS} after`, r);
      }
    }
  });
});
