// Domain names: presentation text <-> uncompressed wire form, plus a lowercase lookup key.
export interface DnsName {
  /** Uncompressed wire form with the case as written. */
  readonly wire: Buffer;
  /** Lowercased wire form as a latin1 string: the key used by every lookup map. */
  readonly key: string;
}

export type NameResult = { ok: true; name: DnsName } | { ok: false; error: string };

export const ROOT: DnsName = Object.freeze({ wire: Buffer.from([0]), key: '\0' });

/** Lowercases ASCII letters of a wire name into a latin1 key string. */
export function keyOfWire(wire: Uint8Array, start = 0, end = wire.length): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = wire[i]!;
    s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
  }
  return s;
}

export function nameFromWire(wire: Buffer): DnsName {
  return { wire, key: keyOfWire(wire) };
}

/** Parses a presentation name (with \. and \DDD escapes); relative names are completed with origin. */
export function parseName(text: string, origin: DnsName | null): NameResult {
  if (text === '@') {
    if (!origin) return { ok: false, error: "'@' used but no $ORIGIN is known" };
    return { ok: true, name: origin };
  }
  if (text === '.') return { ok: true, name: ROOT };
  const labels: number[][] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) {
      const next = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(next)) {
        const v = Number(next);
        if (v > 255) return { ok: false, error: `bad escape \\${next} in name '${text}'` };
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        return { ok: false, error: `dangling backslash in name '${text}'` };
      }
    } else if (ch === 0x2e) {
      if (cur.length === 0) return { ok: false, error: `empty label in name '${text}'` };
      labels.push(cur);
      cur = [];
      if (i === text.length - 1) absolute = true;
    } else {
      if (ch > 0xff) return { ok: false, error: `non-ASCII character in name '${text}'` };
      cur.push(ch);
    }
  }
  if (cur.length > 0) labels.push(cur);
  for (const l of labels) {
    if (l.length > 63) return { ok: false, error: `label longer than 63 octets in name '${text}'` };
  }
  const bytes: number[] = [];
  for (const l of labels) bytes.push(l.length, ...l);
  let wire: Buffer;
  if (absolute) {
    bytes.push(0);
    wire = Buffer.from(bytes);
  } else {
    if (!origin) return { ok: false, error: `relative name '${text}' but no $ORIGIN is known` };
    wire = Buffer.concat([Buffer.from(bytes), origin.wire]);
  }
  if (wire.length > 255) return { ok: false, error: `name '${text}' is longer than 255 octets` };
  return { ok: true, name: nameFromWire(wire) };
}

/** Presentation form with a trailing dot; escapes dots, backslashes and non-printables. */
export function nameToText(wire: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < wire.length) {
    const len = wire[i]!;
    if (len === 0) break;
    for (let j = i + 1; j <= i + len; j++) {
      const c = wire[j]!;
      if (c === 0x2e || c === 0x5c || c === 0x22 || c === 0x3b || c === 0x28 || c === 0x29 || c === 0x40 || c === 0x24)
        out += '\\' + String.fromCharCode(c);
      else if (c <= 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
      else out += String.fromCharCode(c);
    }
    out += '.';
    i += len + 1;
  }
  return out === '' ? '.' : out;
}

/** Number of labels (the root has 0). */
export function labelCount(wire: Uint8Array): number {
  let n = 0;
  let i = 0;
  while (i < wire.length && wire[i] !== 0) {
    n++;
    i += wire[i]! + 1;
  }
  return n;
}

/** Key of the parent name (one label removed); the root's parent is null. */
export function parentKey(key: string): string | null {
  if (key === '\0') return null;
  return key.slice(key.charCodeAt(0) + 1);
}

/** True when `key` equals `ancestor` or is below it. */
export function isAtOrBelow(key: string, ancestor: string): boolean {
  if (key === ancestor) return true;
  if (!key.endsWith(ancestor)) return false;
  // Walk label boundaries so 'xexample.com' is not below 'example.com'.
  let i = 0;
  while (i < key.length - ancestor.length) i += key.charCodeAt(i) + 1;
  return i === key.length - ancestor.length;
}
