// The layer check (`npm run layers`, part of `npm run lint`): dependency-cruiser with the project's
// config fails on a planted break of every rule, and passes on the real tree. See docs/architecture.md.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = process.cwd();
const BIN = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** The arguments of the package.json `layers` script, so this test checks what `npm test` runs. */
function layersArgs(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.layers;
  const [command, ...args] = script.trim().split(/\s+/);
  expect(command).to.equal('depcruise');
  return args.map((a) => (a.startsWith('.dependency-cruiser') ? join(ROOT, a) : a));
}

function cruise(cwd: string): { status: number | null; out: string } {
  // Colour is forced off (CI=true turns it on) and any escape left is stripped: the test reads the text.
  const r = spawnSync(process.execPath, [BIN, ...layersArgs(), '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  // eslint-disable-next-line no-control-regex
  return { status: r.status, out: (r.stdout + r.stderr).replace(/\u001b\[[0-9;]*m/g, '') };
}

/** Every rule broken once, plus edges the rules allow (which must not be reported). */
const PLANTED: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
    include: ['geo', 'zones', 'health', 'server', 'test', 'scripts'],
  }),
  // geo-imports-no-upper-layer
  'geo/low.ts': "import { node } from '../server/node.js';\nexport const low = node;\n",
  'geo/ok.ts': 'export const ok = 1;\n',
  // zones-imports-no-upper-layer, through a type-only import
  'zones/zone.ts': "import type { View } from '../health/view.js';\nexport type Zone = View;\n",
  'zones/ok.ts': "import { ok } from '../geo/ok.js';\nexport const zonesOk = ok;\n",
  // health-imports-no-server
  'health/view.ts': "import { node } from '../server/node.js';\nexport type View = typeof node;\n",
  'health/ok.ts': "import { zonesOk } from '../zones/ok.js';\nexport const healthOk = zonesOk;\n",
  // cli-only-from-cli
  'server/node.ts': "import { main } from './cli/main.js';\nexport const node = main;\n",
  'server/cli/main.ts': "import { healthOk } from '../../health/ok.js';\nexport const main = healthOk;\n",
  // no-circular, with type-only imports on both sides
  'server/a.ts': "import type { B } from './b.js';\nexport interface A {\n  b?: B;\n}\n",
  'server/b.ts': "import type { A } from './a.js';\nexport interface B {\n  a?: A;\n}\n",
  // core-imports-no-tests-or-scripts
  'server/fixture.ts': "import { helper } from '../test/helper.js';\nexport const fixture = helper;\n",
  // not-to-unresolvable
  'server/lost.ts': "import { gone } from './gone.js';\nexport const lost = gone;\n",
  // allowed: tests and scripts may import the CLI and anything else
  'test/helper.ts': "import { main } from '../server/cli/main.js';\nexport const helper = main;\n",
  'scripts/tool.ts': "import { main } from '../server/cli/main.js';\nexport const tool = main;\n",
};

describe('layer check (dependency-cruiser)', function () {
  this.timeout(30_000);

  it('fails on a planted break of every rule, naming the rule and the import', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gslb-layers-'));
    try {
      for (const [file, text] of Object.entries(PLANTED)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      const { status, out } = cruise(dir);
      expect(status, out).to.not.equal(0);
      const found = [...out.matchAll(/^\s*error ([\w-]+): (\S+) → (\S*)/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
      expect(found.sort(), out).to.deep.equal(
        [
          'geo-imports-no-upper-layer geo/low.ts server/node.ts',
          'zones-imports-no-upper-layer zones/zone.ts health/view.ts',
          'health-imports-no-server health/view.ts server/node.ts',
          'cli-only-from-cli server/node.ts server/cli/main.ts',
          'core-imports-no-tests-or-scripts server/fixture.ts test/helper.ts',
          'not-to-unresolvable server/lost.ts ./gone.js',
          // A cycle is reported once, its path on the following lines.
          'no-circular server/a.ts ',
        ].sort(),
      );
      expect(out).to.match(/no-circular: server\/a\.ts → \s+server\/b\.ts →\s+server\/a\.ts/);
      // What the rules allow is not reported: tests and scripts import the CLI, lower layers below them.
      expect(out).to.not.match(/(test\/helper|scripts\/tool|\/ok)\.ts →/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes on the project tree', () => {
    const { status, out } = cruise(ROOT);
    expect(status, out).to.equal(0);
    expect(out).to.match(/no dependency violations found/);
  });
});
