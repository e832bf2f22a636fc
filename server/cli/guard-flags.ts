// `gslb serve`'s open-internet flags (issue #17): response rate limiting, DNS cookies, the PROXY v2
// listener and the per-client TCP limit, read into settings with one clear usage error per bad value.
import { randomBytes } from 'node:crypto';
import { CidrSet } from '../cidr-set.js';
import { isWorker } from '../cluster.js';
import { parseCookieSecret } from '../cookies/server-cookie.js';
import { parseListenAddress, type ListenAddress } from '../listen-address.js';
import { rrlSettingsError, type RrlSettings } from '../rrl/limiter.js';
import { intFlag, UsageError } from './args.js';

/** The cookie secret a primary made for its workers when none was given (one secret per node). */
export const GENERATED_COOKIE_SECRET_ENV = 'GSLB_GENERATED_COOKIE_SECRET';

export interface GuardFlags {
  /** The node's rate limit (for the whole node: each of N workers enforces rate / N); null: off. */
  readonly rrl: RrlSettings | null;
  readonly rrlLogOnly: boolean;
  readonly rrlExempt: CidrSet | null;
  /** Cookie secrets, the first making cookies; null: --no-cookies. */
  readonly cookieSecrets: Buffer[] | null;
  /** The secrets came from the command line (else made at start, per node). */
  readonly cookieSecretGiven: boolean;
  readonly proxyListen: ListenAddress[];
  readonly proxyFrom: CidrSet | null;
  readonly tcpMaxPerClient: number;
}

interface GuardValues {
  'rrl-rate': string;
  'rrl-slip': string;
  'rrl-window': string;
  'rrl-ipv4-prefix': string;
  'rrl-ipv6-prefix': string;
  'rrl-exempt'?: string[];
  'rrl-log-only'?: boolean;
  'rrl-table-size': string;
  'cookie-secret'?: string[];
  'no-cookies'?: boolean;
  'proxy-listen'?: string[];
  'proxy-from'?: string[];
  'tcp-max-per-client': string;
}

function cidrs(flag: string, list: readonly string[] | undefined): CidrSet | null {
  if (list === undefined || list.length === 0) return null;
  try {
    return CidrSet.parse(list);
  } catch (err) {
    throw new UsageError('E_CLI_BAD_VALUE', `--${flag}: ${(err as Error).message}`);
  }
}

export function guardFlags(v: GuardValues): GuardFlags {
  const rate = intFlag('rrl-rate', v['rrl-rate'], 0, 1_000_000);
  let rrl: RrlSettings | null = null;
  if (rate > 0) {
    rrl = {
      rate,
      slip: intFlag('rrl-slip', v['rrl-slip'], 0, 10),
      windowSec: intFlag('rrl-window', v['rrl-window'], 1, 3600),
      ipv4Prefix: intFlag('rrl-ipv4-prefix', v['rrl-ipv4-prefix'], 0, 32),
      ipv6Prefix: intFlag('rrl-ipv6-prefix', v['rrl-ipv6-prefix'], 0, 128),
      tableSize: intFlag('rrl-table-size', v['rrl-table-size'], 64, 16_777_216),
      logOnly: false,
    };
    const err = rrlSettingsError(rrl);
    if (err !== null) throw new UsageError('E_CLI_BAD_VALUE', err);
  } else {
    const orphans = ['rrl-exempt', 'rrl-log-only'].filter((f) => v[f as keyof GuardValues] !== undefined);
    if (orphans.length > 0)
      throw new UsageError(
        'E_CLI_FLAG_NEEDS_FLAG',
        `--${orphans[0]} needs --rrl-rate (rate limiting is off without it)`,
      );
  }
  if (v['no-cookies'] && v['cookie-secret'] !== undefined)
    throw new UsageError('E_CLI_CONFLICTING_FLAGS', 'give --cookie-secret or --no-cookies, not both');
  let cookieSecrets: Buffer[] | null = null;
  // From the file or the environment several secrets come in one value, separated by spaces or commas.
  const given = (v['cookie-secret'] ?? []).flatMap((s) => s.split(/[\s,]+/).filter(Boolean));
  if (!v['no-cookies']) {
    try {
      cookieSecrets = given.map((s) => parseCookieSecret(s));
    } catch (err) {
      throw new UsageError('E_CLI_BAD_VALUE', `--cookie-secret: ${(err as Error).message}`);
    }
    if (cookieSecrets.length === 0) {
      // One secret per node: a primary makes it and its workers (forked with its environment) take it.
      const inherited = isWorker() ? process.env[GENERATED_COOKIE_SECRET_ENV] : undefined;
      const secret = inherited !== undefined ? Buffer.from(inherited, 'hex') : randomBytes(16);
      process.env[GENERATED_COOKIE_SECRET_ENV] = secret.toString('hex');
      cookieSecrets = [secret];
    }
  }
  const proxyListen = (v['proxy-listen'] ?? []).map((s) => {
    try {
      return parseListenAddress(s);
    } catch (err) {
      throw new UsageError('E_CLI_BAD_ADDRESS', `--proxy-listen: ${(err as Error).message}`);
    }
  });
  const proxyFrom = cidrs('proxy-from', v['proxy-from']);
  if (proxyListen.length > 0 && proxyFrom === null)
    throw new UsageError(
      'E_CLI_FLAG_NEEDS_FLAG',
      '--proxy-listen needs --proxy-from CIDR: the proxies allowed to send headers',
    );
  if (proxyListen.length === 0 && proxyFrom !== null)
    throw new UsageError('E_CLI_FLAG_NEEDS_FLAG', '--proxy-from needs --proxy-listen ADDR:PORT');
  return {
    rrl,
    rrlLogOnly: v['rrl-log-only'] === true,
    rrlExempt: cidrs('rrl-exempt', v['rrl-exempt']),
    cookieSecrets,
    cookieSecretGiven: given.length > 0,
    proxyListen,
    proxyFrom,
    tcpMaxPerClient: intFlag('tcp-max-per-client', v['tcp-max-per-client'], 1, 1_000_000),
  };
}
