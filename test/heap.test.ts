// The server's memory settings: bin/gslb starts node with the flags server/heap.ts names, workers get
// them when their parent lacks them, and a forced collection gives a build's garbage back.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { collectGarbage, NODE_FLAGS, workerExecArgv } from '../server/heap.js';

describe('heap settings', () => {
  it("bin/gslb's first line starts node with NODE_FLAGS", () => {
    const first = readFileSync('bin/gslb', 'utf8').split('\n')[0];
    expect(first).to.equal(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('the flags reach V8 when bin/gslb is run as a program (young generation of 1 MiB semi-spaces)', () => {
    // The program runs (env -S splits the flags); then the same flags, given to node, size the heap.
    const out = execFileSync('bin/gslb', ['check', '--zones', 'examples'], { encoding: 'utf8' });
    expect(out).to.match(/^ok: /);
    const line = readFileSync('bin/gslb', 'utf8').split('\n')[0]!;
    const flags = line.replace('#!/usr/bin/env -S node ', '').split(' ');
    const semi = execFileSync(
      process.execPath,
      [
        ...flags,
        '-e',
        "console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)",
      ],
      { encoding: 'utf8' },
    );
    expect(Number(semi)).to.be.at.most(4 * 1024 * 1024);
  });

  it('workers get the flags their parent lacks and keep the ones it set', () => {
    expect(workerExecArgv([])).to.deep.equal([...NODE_FLAGS]);
    expect(workerExecArgv(['--max-semi-space-size=8', '--inspect'])).to.deep.equal([
      '--max-semi-space-size=8',
      '--inspect',
      ...NODE_FLAGS.filter((f) => !f.startsWith('--max-semi-space-size')),
    ]);
    expect(workerExecArgv([...NODE_FLAGS])).to.deep.equal([...NODE_FLAGS]);
  });

  it('collectGarbage frees what is no longer referenced', () => {
    const holder: { garbage: object[] | null } = { garbage: Array.from({ length: 200_000 }, (_, i) => ({ i })) };
    const before = process.memoryUsage().heapUsed;
    holder.garbage = null;
    collectGarbage();
    expect(process.memoryUsage().heapUsed).to.be.below(before - 5 * 1024 * 1024);
  });
});
