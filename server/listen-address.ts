// A listen address as text, both ways: `HOST:PORT` or `[IPv6]:PORT` (the DNS listeners, the admin
// server, and the errors that name them).
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

const BRACKETED = /^\[([^\]]*)\]:(\d+)$/;
const PLAIN = /^([^:[\]]*):(\d+)$/;

export function parseListenAddress(s: string): ListenAddress {
  const m = BRACKETED.exec(s) ?? PLAIN.exec(s);
  if (!m) throw new Error(`listen address '${s}' must be HOST:PORT or [IPv6]:PORT`);
  const bracketed = s.startsWith('[');
  const host = m[1]!;
  const digits = m[2]!;
  const port = Number(digits);
  if (digits.length > 5 || port > 65535) throw new Error(`listen address '${s}': port must be 0-65535`);
  const family = isIP(host);
  if (family === 0) throw new Error(`listen address '${s}': host '${host}' must be an IP address literal`);
  if (bracketed !== (family === 6)) {
    throw new Error(`listen address '${s}' must be HOST:PORT or [IPv6]:PORT (brackets go around IPv6 addresses)`);
  }
  return { host, port };
}

export function formatListenAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
