// Client prefixes as text for episode reports ('192.0.2.0/24', '2001:db8::/56', RFC 5952 form). Made
// only when an episode starts, never per response.

/** An IPv4 prefix from its masked address (unsigned 32-bit) and length. */
export function prefix4Text(masked: number, len: number): string {
  return `${masked >>> 24}.${(masked >>> 16) & 0xff}.${(masked >>> 8) & 0xff}.${masked & 0xff}/${len}`;
}

/** An IPv6 prefix from its masked address as four 32-bit words and its length. */
export function prefix6Text(w0: number, w1: number, w2: number, w3: number, len: number): string {
  const groups: number[] = [];
  for (const w of [w0, w1, w2, w3]) groups.push((w >>> 16) & 0xffff, w & 0xffff);
  // RFC 5952 4.2: '::' replaces the longest run of two or more zero groups, the first of equals.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  const text = bestAt < 0 ? hex(groups) : `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
  return `${text}/${len}`;
}
