// The zone the fuzzer serves: the example zone, signed, plus names whose answers outgrow 512 and
// 1232 octets (many addresses, long TXT, a delegation with lots of glue), so size limits and TC
// are exercised on every transport.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FUZZ_APEX = 'gslb.example.com';

function bigRecords(): string {
  const lines = ['', '; Added by scripts/fuzz-zone.ts: answers too big for 512 octets, some for 1232.'];
  for (let i = 1; i <= 60; i++) lines.push(`many IN A 10.0.${i >> 8}.${i & 0xff}`);
  const chunk = 'x'.repeat(250);
  for (let i = 0; i < 6; i++) lines.push(`bigtxt IN TXT "${i}${chunk}"`);
  for (let i = 1; i <= 12; i++) {
    lines.push(`sub IN NS ns${i}.sub`);
    lines.push(`ns${i}.sub IN A 192.0.2.${100 + i}`);
    lines.push(`ns${i}.sub IN AAAA 2001:db8:53::${i.toString(16)}`);
  }
  return lines.join('\n') + '\n';
}

/** A temporary zones folder with the example zone, its big names and a fresh key; rm() removes it. */
export function makeFuzzZones(examples: string, gslbBin: string): { dir: string; rm: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-fuzz-'));
  const zone = join(dir, FUZZ_APEX);
  cpSync(join(examples, FUZZ_APEX), zone, { recursive: true });
  appendFileSync(join(zone, 'records.zone'), bigRecords());
  execFileSync(process.execPath, [gslbBin, 'keygen', '--zones', dir, FUZZ_APEX], { stdio: 'pipe' });
  return { dir, rm: () => rmSync(dir, { recursive: true, force: true }) };
}
