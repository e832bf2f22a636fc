// Address bytes from a PROXY header as the text Node prints for a socket's peer (libuv's inet_ntop),
// so a proxied client reads the same in the pipeline, the logs and the rate limiter as a direct one.

export function ipv4Text(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/**
 * RFC 5952 text: lower-case hex, the first longest run of two or more zero groups as '::', and
 * the last 32 bits dotted where libuv writes them so (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d).
 */
export function ipv6Text(b: Uint8Array, off: number): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (word(b, off, i) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && word(b, off, j) === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLen) {
      if (i === bestStart) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && bestStart === 0 && (bestLen === 6 || (bestLen === 5 && word(b, off, 5) === 0xffff))) {
      return text + ipv4Text(b, off + 12);
    }
    text += word(b, off, i).toString(16);
  }
  if (bestStart >= 0 && bestStart + bestLen === 8) text += ':';
  return text;
}

function word(b: Uint8Array, off: number, i: number): number {
  return (b[off + i * 2]! << 8) | b[off + i * 2 + 1]!;
}
