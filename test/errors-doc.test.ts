// docs/errors.md and the error-code tables stay in step: the doc lists exactly the codes of every
// table, with the same words, in the sections scripts/gen-errors-doc.ts prints. When a code is added,
// renamed or reworded in a table, regenerate the doc:
//   npm run build && node dist/scripts/gen-errors-doc.js > docs/errors.md
// A new table goes into ERROR_SECTIONS in scripts/gen-errors-doc.ts (the last test finds it otherwise).
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ERROR_SECTIONS, errorsDoc } from '../scripts/gen-errors-doc.js';

const DOC = 'docs/errors.md';
const REGENERATE = `regenerate it: npm run build && node dist/scripts/gen-errors-doc.js > ${DOC}`;
const CODE = /^E_[A-Z0-9]+(_[A-Z0-9]+)+$/;

/** Every code of every table, with its section's title. */
const allCodes = (): Array<{ code: string; summary: string; fix: string; section: string }> =>
  ERROR_SECTIONS.flatMap((s) => Object.entries(s.table).map(([code, info]) => ({ code, ...info, section: s.title })));

/** The codes docs/errors.md lists: each `### CODE` heading, its section and the paragraph under it. */
function documented(text: string): Array<{ code: string; summary: string; section: string }> {
  const out: Array<{ code: string; summary: string; section: string }> = [];
  let section = '';
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.startsWith('## ')) section = line.slice(3);
    else if (line.startsWith('### ')) out.push({ code: line.slice(4), summary: lines[i + 2] ?? '', section });
  });
  return out;
}

/** The source files (not tests, not dist) under the four layers. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}
const SOURCES = ['geo', 'zones', 'health', 'server'].flatMap(sourceFiles);

describe('error codes: the tables', () => {
  it('every code is E_MODULE_WHAT, starts with its section prefix, and is in one table only', () => {
    const seen = new Map<string, string>();
    for (const s of ERROR_SECTIONS) {
      for (const code of Object.keys(s.table)) {
        expect(code, s.title).to.match(CODE);
        expect(code.startsWith(s.prefix), `${code} in ${s.title} (${s.prefix}*)`).to.equal(true);
        expect(seen.get(code), `${code} is in ${seen.get(code)} and ${s.title}`).to.equal(undefined);
        seen.set(code, s.title);
      }
    }
    expect(seen.size).to.be.above(50);
  });

  it('every code has a one-line summary and a one-line fix, as sentences', () => {
    for (const { code, summary, fix } of allCodes()) {
      for (const [what, text] of [
        ['summary', summary],
        ['fix', fix],
      ] as const) {
        expect(text, `${code} ${what}`).to.match(/^\S.*[.)]$/);
        expect(text, `${code} ${what}`).not.to.include('\n');
      }
    }
  });

  it('every code is thrown or returned somewhere in the source (none is dead)', () => {
    const text = SOURCES.map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = allCodes()
      .map((c) => c.code)
      .filter((code) => !text.includes(`'${code}'`));
    expect(unused, 'codes no source file uses (quoted)').to.deep.equal([]);
  });

  it('every table in the source is a section of the doc', async () => {
    // A table is an exported object whose keys are all codes (errorCodes() or, in geo/, a literal).
    const declaring = SOURCES.filter((f) =>
      /errorCodes\(\{|_ERRORS = Object\.freeze\(\{/.test(readFileSync(f, 'utf8')),
    );
    expect(declaring.length).to.be.at.least(ERROR_SECTIONS.length);
    const known = new Set<object>(ERROR_SECTIONS.map((s) => s.table));
    for (const file of declaring) {
      if (file === join('zones', 'error-codes.ts')) continue; // errorCodes() itself
      const compiled = pathToFileURL(join('dist', file.replace(/\.ts$/, '.js'))).href;
      const module = (await import(compiled)) as Record<string, unknown>;
      const tables = Object.entries(module).filter(
        ([, v]) =>
          typeof v === 'object' && v !== null && Object.keys(v).length > 0 && Object.keys(v).every((k) => CODE.test(k)),
      );
      expect(tables.length, `${file} declares a table but exports none`).to.be.above(0);
      for (const [name, table] of tables)
        expect(
          known.has(table as object),
          `${name} (${file}) is not in ERROR_SECTIONS (scripts/gen-errors-doc.ts)`,
        ).to.equal(true);
    }
  });
});

describe('error codes: docs/errors.md', () => {
  const text = readFileSync(DOC, 'utf8');

  it('lists exactly the codes of the tables, in their sections, with the same summary', () => {
    const doc = documented(text);
    const codes = allCodes();
    const inDoc = new Set(doc.map((d) => d.code));
    const inTables = new Set(codes.map((c) => c.code));
    expect(
      codes.filter((c) => !inDoc.has(c.code)).map((c) => c.code),
      `codes missing from ${DOC}; ${REGENERATE}`,
    ).to.deep.equal([]);
    expect(
      doc.filter((d) => !inTables.has(d.code)).map((d) => d.code),
      `codes in ${DOC} that no table has; ${REGENERATE}`,
    ).to.deep.equal([]);
    for (const c of codes) {
      const d = doc.find((x) => x.code === c.code)!;
      expect(d.section, `${c.code}'s section; ${REGENERATE}`).to.equal(c.section);
      expect(d.summary, `${c.code}'s summary; ${REGENERATE}`).to.equal(c.summary);
    }
  });

  it('is what scripts/gen-errors-doc.ts prints (fixes, headings and introductions too)', () => {
    expect(text === errorsDoc(), `${DOC} differs from the tables; ${REGENERATE}`).to.equal(true);
  });

  it('is linked from the README and from the operations guide', () => {
    expect(readFileSync('README.md', 'utf8')).to.include('docs/errors.md');
    expect(readFileSync('docs/operations.md', 'utf8')).to.include('errors.md');
  });
});
