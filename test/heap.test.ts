// The server's memory settings: bin/gslb starts node with the flags server/heap.ts names, workers get
// them when their parent lacks them, and a forced collection gives a build's garbage back.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { collectGarbage, NODE_FLAGS, SEMI_SPACE_MIB, workerExecArgv } from '../server/heap.js';

describe('heap settings', () => {
  it("bin/gslb's first line starts node with NODE_FLAGS", () => {
    const first = readFileSync('bin/gslb', 'utf8').split('\n')[0];
    expect(first).to.equal(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('the flags reach V8 when bin/gslb is run as a program: the young generation stays small', () => {
    // The program runs (env -S splits the flags); then the same flags, given to node, bound the young
    // generation under an allocation load that grows it to 32 MiB without them.
    const out = execFileSync('bin/gslb', ['check', '--zones', 'examples'], { encoding: 'utf8' });
    expect(out).to.match(/^ok: /);
    const flags = readFileSync('bin/gslb', 'utf8').split('\n')[0]!.replace('#!/usr/bin/env -S node ', '').split(' ');
    const youngAfterLoad = (nodeFlags: string[]) =>
      Number(
        execFileSync(
          process.execPath,
          [
            ...nodeFlags,
            '-e',
            `let keep = [];
             for (let i = 0; i < 1e7; i++) { keep.push({ i }); if (keep.length > 20000) keep = []; }
             console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`,
          ],
          { encoding: 'utf8' },
        ),
      );
    const MiB = 1024 * 1024;
    expect(youngAfterLoad([])).to.be.above(2 * SEMI_SPACE_MIB * MiB);
    expect(youngAfterLoad(flags)).to.be.at.most(2 * SEMI_SPACE_MIB * MiB);
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
