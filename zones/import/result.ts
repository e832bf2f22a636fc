// What an importer (gdnsd, PowerDNS LUA records) returns: the zone folders to write, and every part of
// the source it could not carry over or carried over with a changed meaning, each with its file:line.

/** A place in the source files: the path as the operator gave it, and a 1-based line (0: the file). */
export interface SourcePlace {
  readonly file: string;
  readonly line: number;
}

/** Something in the source the import could not translate, and why (printed as `file:line: message`). */
export interface Untranslated extends SourcePlace {
  readonly message: string;
}

/** One zone folder to write: its apex (no trailing dot) and its files by path inside the folder. */
export interface ImportedZone {
  readonly apex: string;
  /** Path inside the zone folder (records.zone, policy.yaml) -> the file's text. */
  readonly files: ReadonlyMap<string, string>;
}

export interface ImportResult {
  readonly zones: readonly ImportedZone[];
  /** Parts left out: the import exits non-zero over any of these unless --partial. */
  readonly untranslated: readonly Untranslated[];
  /** Parts translated whose behaviour differs in a way an operator should read (never fatal). */
  readonly notes: readonly Untranslated[];
}

/** Collects untranslated parts and notes while a translator walks its source. */
export class ImportLog {
  readonly untranslated: Untranslated[] = [];
  readonly notes: Untranslated[] = [];

  untranslatable(at: SourcePlace, message: string): void {
    this.untranslated.push({ file: at.file, line: at.line, message });
  }

  note(at: SourcePlace, message: string): void {
    this.notes.push({ file: at.file, line: at.line, message });
  }

  result(zones: readonly ImportedZone[]): ImportResult {
    const byPlace = (a: Untranslated, b: Untranslated) =>
      a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1;
    return { zones, untranslated: [...this.untranslated].sort(byPlace), notes: [...this.notes].sort(byPlace) };
  }
}

/** `file:line: message` (`file: message` for a whole file). */
export function formatPlace(u: Untranslated): string {
  return u.line > 0 ? `${u.file}:${u.line}: ${u.message}` : `${u.file}: ${u.message}`;
}
