// "Did you mean ...?" for a mistyped name (a flag, a command, a YAML key, a datacenter): the closest
// known name by edit distance, when it is close enough to be the likely intent.

/**
 * Optimal string alignment distance (Levenshtein plus swapping two neighbours, so `datacetners` is
 * one edit from `datacenters`), case-insensitive.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  if (s === t) return 0;
  const rows = s.length + 1;
  const cols = t.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The known name closest to `given`, or null when none is close: at most a third of the longer
 * name's length in edits (at least 1, so short names still get a hint for one typo), or `given` is a
 * prefix of exactly one known name. Ties go to the earlier name in `known`.
 */
export function closestMatch(given: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const prefixed: string[] = [];
  for (const k of known) {
    if (k === given) return null;
    const distance = editDistance(given, k);
    const limit = Math.max(1, Math.floor(Math.max(given.length, k.length) / 3));
    if (distance <= limit && distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
    if (given.length >= 3 && k.toLowerCase().startsWith(given.toLowerCase())) prefixed.push(k);
  }
  if (best === null && prefixed.length === 1) return prefixed[0]!;
  return best;
}

/** ` (did you mean 'x'?)` for the closest known name, or '' when there is none. */
export function didYouMean(given: string, known: Iterable<string>): string {
  const m = closestMatch(given, known);
  return m === null ? '' : ` (did you mean '${m}'?)`;
}
