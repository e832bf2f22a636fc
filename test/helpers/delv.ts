// BIND's delv (bind9-dnsutils) as a second, independent validator: it asks the server itself for the
// answer, the DNSKEYs and the DS records, and validates from a trust anchor for our zone (not the root).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What delv concluded about one question. */
export interface DelvResult {
  /** `; fully validated`. */
  readonly validated: boolean;
  /** delv's own verdict line(s) (`; fully validated`, `; resolution failed: ...`, `; negative response, fully validated`). */
  readonly verdict: string;
  /** delv's whole output, for a failing assertion. */
  readonly output: string;
}

/** A trust-anchor file for delv: `trust-anchors { apex. static-ds tag alg 2 "hex"; };`, in a temp folder. */
export class DelvAnchor {
  readonly dir: string;
  readonly file: string;

  constructor(
    readonly apex: string,
    dsLines: readonly string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'gslb-delv-'));
    this.file = join(this.dir, 'anchors.conf');
    const entries = dsLines.map((l) => {
      const m = /^(\S+)\s+IN\s+DS\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9A-F]+)$/.exec(l);
      if (!m) throw new Error(`not a DS line: ${l}`);
      return `  ${m[1]} static-ds ${m[2]} ${m[3]} ${m[4]} "${m[5]}";`;
    });
    writeFileSync(this.file, `trust-anchors {\n${entries.join('\n')}\n};\n`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `delv @127.0.0.1 -p PORT -a ANCHORS +root=APEX NAME TYPE`. */
export function delv(port: number, anchor: DelvAnchor, name: string, type: string): Promise<DelvResult> {
  const args = ['@127.0.0.1', '-p', String(port), '-a', anchor.file, `+root=${anchor.apex}`, name, type];
  return new Promise((resolve, reject) => {
    const p = spawn('delv', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.once('error', reject);
    p.once('close', () => {
      clearTimeout(timer);
      const verdict = output
        .split('\n')
        .filter((l) =>
          /^;\s*(fully validated|negative response|resolution failed|validation failed|unsigned answer)/.test(l),
        )
        .join('\n');
      resolve({ validated: /^; (negative response, )?fully validated/m.test(output), verdict, output });
    });
  });
}
