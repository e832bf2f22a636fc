// The server's memory settings: bin/gslb starts node with the flags server/heap.ts names, workers get
// them when their parent lacks them, a forced collection gives a build's garbage back, and the leash
// collects a small heap whose old generation creeps.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  collectGarbage,
  HeapLeash,
  NODE_FLAGS,
  oldGenerationBytes,
  SEMI_SPACE_MIB,
  workerExecArgv,
} from '../server/heap.js';

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

  describe('the heap leash', () => {
    const MiB = 1024 * 1024;
    /** A leash over a scripted old generation: collect() drops it to `live`. */
    const scripted = (start: number) => {
      const heap = { old: start, live: start, collections: 0, pauses: 0 };
      const leash = new HeapLeash({
        leashBytes: 2 * MiB,
        maxHeapBytes: 64 * MiB,
        readOld: () => heap.old,
        collect: () => {
          heap.collections++;
          heap.old = heap.live;
        },
        onCollect: () => heap.pauses++,
      });
      /** The old generation grows (or shrinks) to `old`; the leash looks; collections so far. */
      const at = (old: number): number => {
        heap.old = old;
        leash.check();
        return heap.collections;
      };
      return { heap, at };
    };

    it('collects once the old generation has grown by the leash since its low point, not before', () => {
      const { heap, at } = scripted(10 * MiB);
      expect(at(11.9 * MiB)).to.equal(0);
      expect(at(12 * MiB)).to.equal(1);
      expect(heap.pauses).to.equal(1);
      // The mark is where the collection left the heap: the next leash counts from there.
      heap.live = 10.5 * MiB;
      expect(at(12.4 * MiB)).to.equal(2);
      expect(at(12.4 * MiB)).to.equal(2);
    });

    it("follows V8's own collections down, and leaves big heaps to V8", () => {
      const { at } = scripted(20 * MiB);
      expect(at(9 * MiB)).to.equal(0); // V8 collected by itself: the new low point
      expect(at(11 * MiB)).to.equal(1);

      expect(scripted(300 * MiB).at(340 * MiB)).to.equal(0);
    });

    it('with the real heap: frees promoted garbage and reports the pause', () => {
      collectGarbage();
      const reports: { freedBytes: number; pauseMs: number }[] = [];
      const leash = new HeapLeash({ leashBytes: MiB, maxHeapBytes: 1024 * MiB, onCollect: (r) => reports.push(r) });
      // Old-generation garbage: kept through two scavenges, then dropped.
      let keep: object[] | null = Array.from({ length: 100_000 }, (_, i) => ({ i, s: `x${i}` }));
      // Young garbage enough for several scavenges (64 MB at most 16 MiB apart): `keep` is promoted.
      let churn: object[] = [];
      for (let i = 0; i < 2e6; i++) {
        churn.push({ i });
        if (churn.length > 1000) churn = [];
      }
      expect(oldGenerationBytes()).to.be.above(0);
      keep.length = 0;
      keep = null;
      leash.check();
      expect(reports).to.have.length(1);
      expect(reports[0]!.freedBytes).to.be.above(2 * MiB);
      expect(reports[0]!.pauseMs).to.be.above(0);
    });
  });
});
