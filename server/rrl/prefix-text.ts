// Client prefixes as text for episode reports ('192.0.2.0/24', '2001:db8::/56', RFC 5952 form, as
// zones/address.ts formatIp writes every address). Made only when an episode starts, never per response.
import { formatIp } from '../../zones/address.js';

/** An IPv4 prefix from its masked address (unsigned 32-bit) and length. */
export function prefix4Text(masked: number, len: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(masked >>> 0);
  return `${formatIp(b)}/${len}`;
}

/** An IPv6 prefix from its masked address as four 32-bit words and its length. */
export function prefix6Text(w0: number, w1: number, w2: number, w3: number, len: number): string {
  const b = Buffer.alloc(16);
  [w0, w1, w2, w3].forEach((w, i) => b.writeUInt32BE(w >>> 0, 4 * i));
  return `${formatIp(b)}/${len}`;
}
