// Canonical JSON: object keys sorted at every level, so two objects with the same fields give the same
// text whatever order they were built in. Probe target keys fingerprint a check's or a load source's
// settings through it (health/view.ts), so every field counts, including ones added later.

/**
 * The canonical JSON text of a value of plain data (null, booleans, finite numbers, strings, arrays,
 * plain objects). Top-level keys in `skip` are left out; a property that is undefined is absent, as in
 * JSON. Anything else (a Map, a Buffer, a function) throws: its settings would not reach the text.
 */
export function canonicalJson(value: unknown, skip: ReadonlySet<string> = NO_SKIP): string {
  return write(value, skip, '');
}

const NO_SKIP: ReadonlySet<string> = new Set();

function write(value: unknown, skip: ReadonlySet<string>, at: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${at || 'value'} is ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => write(v, NO_SKIP, `${at}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && isPlain(value)) {
    const fields: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || skip.has(key)) continue;
      fields.push(`${JSON.stringify(key)}:${write(v, NO_SKIP, at ? `${at}.${key}` : key)}`);
    }
    return `{${fields.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: ${at || 'value'} is not plain data (${typeof value})`);
}

function isPlain(o: object): boolean {
  const proto: unknown = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}
