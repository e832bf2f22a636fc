// Fuzzes the real server (`gslb serve`, a child process on 127.0.0.1) with seeded structure-aware and
// blind mutants over UDP, TCP and the PROXY listener; exits non-zero on a crash, a bad reply, lost
// replies, an error logged or RSS growth (scripts/fuzz-run.ts has the run, docs/fuzzing.md the why).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz-run.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/scripts -> project root

const USAGE = `usage: npm run fuzz -- [--count N] [--seed S] [--zones DIR] [--workers N] [--no-proxy]
  --count N    packets in all, over UDP, TCP and the PROXY listener (default 100000; the issue's run: 1000000)
  --seed S     the generator's seed: the same seed sends the same packets (default 1)
  --zones DIR  serve this zones folder instead of the signed fuzz zone (the example zone plus big names)
  --workers N  gslb serve --workers (default: the server's own default, the number of cores)
  --no-proxy   leave the PROXY listener out
`;

function nonNegative(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      zones: { type: 'string' },
      workers: { type: 'string' },
      'no-proxy': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = await runFuzz({
    count: nonNegative('count', values.count),
    seed: nonNegative('seed', values.seed),
    root: ROOT,
    ...(values.zones ? { zones: resolve(values.zones) } : {}),
    ...(values.workers ? { workers: nonNegative('workers', values.workers) } : {}),
    noProxy: values['no-proxy'],
    log: (line) => process.stdout.write(`${line}\n`),
  });
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
