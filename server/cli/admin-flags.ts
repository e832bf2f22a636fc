// `--admin ADDR:PORT` and its token as serve reads them: usage errors before anything starts.
import { adminRefusal } from '../admin/http.js';
import { parseListenAddress, type ListenAddress } from '../listen-address.js';
import { UsageError } from './args.js';

/** `--admin ADDR:PORT` and the token (flag, file or GSLB_ADMIN_TOKEN), checked as serve starts (UsageError). */
export function adminFlags(
  admin: string | undefined,
  token: string | undefined,
): { host: string; port: number; token: string | null } | null {
  if (admin === undefined) return null;
  let addr: ListenAddress;
  try {
    // A bare port means loopback: the admin API is never exposed by accident.
    addr = parseListenAddress(/^[0-9]+$/.test(admin) ? `127.0.0.1:${admin}` : admin);
  } catch (err) {
    throw new UsageError('E_CLI_BAD_ADDRESS', `--admin: ${(err as Error).message}`);
  }
  const t = token === undefined || token === '' ? null : token;
  // A bearer token is one word: one with a space or a control character could never be sent.
  if (t !== null && !/^[\x21-\x7e]+$/.test(t))
    throw new UsageError(
      'E_CLI_BAD_VALUE',
      'the admin token must be printable ASCII without spaces (openssl rand -hex 32 makes one)',
    );
  const refusal = adminRefusal(addr.host, t);
  if (refusal) throw new UsageError('E_CLI_ADMIN_NEEDS_TOKEN', refusal);
  return { ...addr, token: t };
}
