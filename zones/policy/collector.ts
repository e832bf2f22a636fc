// Every located error of one policy load, with references into sections an earlier error left
// incomplete folded into one line (the root cause is reported, not its follow-ons).
import type { ZoneError } from '../records.js';
import { didYouMean } from '../suggest.js';
import type { PolicyErrorCode } from './errors.js';
import { lineOf, type PolicyFile } from './file.js';
import { describePath, SECTION_NOUN, SECTION_PLURAL, type Path, type Section } from './sections.js';

/** A policy error: always coded. */
export type PolicyError = ZoneError & { readonly code: PolicyErrorCode };

/** The sections other entries refer to by name, and the code of a name they do not define. */
type Referenced = 'datacenters' | 'checks' | 'loads';
const UNKNOWN: Record<Referenced, PolicyErrorCode> = {
  datacenters: 'E_POLICY_UNKNOWN_DATACENTER',
  checks: 'E_POLICY_UNKNOWN_CHECK',
  loads: 'E_POLICY_UNKNOWN_LOAD',
};

/** References into one incomplete section that are not checked one by one: how many, and the first. */
interface Unchecked {
  count: number;
  readonly first: { readonly f: PolicyFile; readonly path: Path };
  readonly files: Set<string>;
}

/** What errors lost of one section: all of it, or only some entries (by key). */
interface Lost {
  /** The first file whose errors lost something of the section. */
  readonly file: string;
  whole: boolean;
  readonly keys: Set<string>;
}

/**
 * Every located error of one load. A section is incomplete when a file that defines (or would define)
 * it failed: YAML syntax or a misspelt section name lose the whole section, a schema error only the
 * entry it is in. A reference to a name the section does not hold is then a likely follow-on of that
 * error when the whole section was lost or the name is one of the lost entries: it is counted, and
 * reported as one line (`finish`) instead of one error per reference. Any other unknown name is an
 * error of its own, with the closest defined name.
 */
export class Collector {
  readonly errors: PolicyError[] = [];
  private readonly lost = new Map<Section, Lost>();
  private readonly unchecked = new Map<Section, Unchecked>();

  /** An error at path in f: `file:line: path: message`. */
  at(f: PolicyFile, path: Path, code: PolicyErrorCode, message: string): void {
    const where = describePath(path);
    this.errors.push({
      file: f.file,
      line: lineOf(f, path),
      message: where ? `${where}: ${message}` : message,
      code,
    });
  }

  /** Records that file's errors lost the entry `key` of a section, or (without a key) all of it. */
  markIncomplete(section: Section, file: string, key?: string): void {
    let lost = this.lost.get(section);
    if (!lost) this.lost.set(section, (lost = { file, whole: false, keys: new Set() }));
    if (key === undefined) lost.whole = true;
    else lost.keys.add(key);
  }

  /** Whether errors lost anything of the section. */
  isIncomplete(section: Section): boolean {
    return this.lost.has(section);
  }

  /**
   * A reference at path to a name its section does not define: one more unchecked reference when
   * errors lost the whole section or the entry of that name, else an error with the closest defined name.
   */
  unknown(f: PolicyFile, path: Path, section: Referenced, name: string, defined: Iterable<string>): void {
    const lost = this.lost.get(section);
    if (lost && (lost.whole || lost.keys.has(name))) this.notChecked(f, path, section);
    else this.at(f, path, UNKNOWN[section], `unknown ${SECTION_NOUN[section]} '${name}'${didYouMean(name, defined)}`);
  }

  /** Counts a reference (or a need, such as a geo name's regions) into an incomplete section. */
  notChecked(f: PolicyFile, path: Path, section: Section): void {
    const u = this.unchecked.get(section);
    if (u) {
      u.count++;
      u.files.add(f.file);
    } else this.unchecked.set(section, { count: 1, first: { f, path }, files: new Set([f.file]) });
  }

  /** One line per incomplete section with unchecked references, at the first of them. */
  finish(): void {
    for (const [section, u] of this.unchecked) {
      const others = u.files.size - 1;
      const where = others > 0 ? ` (here and in ${others} other file${others === 1 ? '' : 's'})` : '';
      const refs = u.count === 1 ? 'reference' : 'references';
      this.errors.push({
        file: u.first.f.file,
        line: lineOf(u.first.f, u.first.path),
        message: `${u.count} ${refs} to ${SECTION_PLURAL[section]} not checked${where}: ${this.lost.get(section)!.file} has errors`,
        code: 'E_POLICY_NOT_CHECKED',
      });
    }
    this.unchecked.clear();
  }
}
