// Selective decoding of MaxMind DB records: the parts a spec names come out exactly as a full decode
// gives them, the rest is skipped (and skipping lands on the right next field).
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMmdb, type Spec } from '../geo/mmdb-format.js';
import { writeMmdb } from '../geo/mmdb-writer.js';
import { buildCityFixture } from './helpers/geo-fixtures.js';

function project(v: unknown, spec: Spec): unknown {
  if (spec === true) return v;
  if (Array.isArray(v)) return v.map((x) => project(x, spec));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec))
    if (k in (v as object)) out[k] = project((v as Record<string, unknown>)[k], s);
  return out;
}

function leaves(tree: ReturnType<typeof openMmdb>): number[] {
  const out = new Set<number>();
  const n = tree.metadata.nodeCount;
  const walk = (node: number, d: number): void => {
    if (node > n) out.add(node);
    if (node >= n || d > 128) return;
    walk(tree.left(node), d + 1);
    walk(tree.right(node), d + 1);
  };
  walk(0, 0);
  return [...out];
}

describe('mmdb selective decoding', () => {
  const spec: Spec = {
    country: { iso_code: true },
    subdivisions: { iso_code: true },
    location: { latitude: true },
    city: { names: { en: true } },
    missing: true,
  };

  it('matches a full decode projected on the spec, for every record of the City fixture', () => {
    const tree = openMmdb(readFileSync(buildCityFixture(mkdtempSync(join(tmpdir(), 'gslb-sel-')))), 'city');
    const recs = leaves(tree);
    expect(recs.length).to.be.above(10);
    for (const r of recs) expect(tree.decodeSelected(r, spec), String(r)).to.deep.equal(project(tree.decode(r), spec));
  });

  it('skips every value type correctly', () => {
    const data = {
      a: 'x'.repeat(300),
      b: { type: 'double', value: 1.5 },
      c: [1, 2, { d: true }],
      e: { f: { type: 'uint64', value: 2n ** 40n }, g: false },
      h: { type: 'float', value: 2.5 },
      keep: 'yes',
      i: { type: 'int32', value: -7 },
    } as never;
    const buf = writeMmdb([{ network: '10.0.0.0/8', data }], { databaseType: 'Test', ipVersion: 4 });
    const tree = openMmdb(buf, 't');
    const [rec] = leaves(tree);
    expect(tree.decodeSelected(rec!, { keep: true, i: true })).to.deep.equal({ keep: 'yes', i: -7 });
  });
});
