// Runs test/helpers/dnssec-verify.py (dnspython's dns.dnssec under Debian's /usr/bin/python3): an
// implementation independent of the signer validates every RRSIG of a wire reply against the
// DNSKEY RRset, and sorts names in dnspython's canonical order.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { skipOrFail } from './skip.js';

const PYTHON = '/usr/bin/python3';
/** The .py file stays in the source tree (tsc copies no .py into dist/). */
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'helpers', 'dnssec-verify.py');

export interface VerifiedSignature {
  readonly keyTag: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  /** The RRSIG RRset's TTL. */
  readonly ttl: number;
  readonly signer: string;
  /** Seconds since the epoch. */
  readonly inception: number;
  readonly expiration: number;
  /** "ok", or why dnspython refused it ("verify failure", "expired", "unknown key", ...). */
  readonly verdict: string;
}

export interface VerifiedRRset {
  readonly section: 'answer' | 'authority' | 'additional';
  /** Presentation name with the trailing dot, as dnspython prints it. */
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** Each RDATA in presentation form. */
  readonly rdata: readonly string[];
  readonly signatures: readonly VerifiedSignature[];
  /** For NSEC: its next name, its bitmap's types and which of the names asked about it covers or matches. */
  readonly nsec?: {
    readonly next: string;
    readonly types: readonly string[];
    readonly covers: readonly string[];
    readonly matches: readonly string[];
  };
}

export interface Verification {
  readonly rcode: number;
  readonly rrsets: readonly VerifiedRRset[];
  /** RRSIG RRsets whose covered RRset is not in the same section. */
  readonly orphans: ReadonlyArray<{ readonly section: string; readonly name: string; readonly covers: string }>;
}

/** Whether dnspython with its DNSSEC support can be imported by /usr/bin/python3. */
export function hasDnspython(): boolean {
  return spawnSync(PYTHON, ['-c', 'import dns.dnssec, cryptography'], { stdio: 'ignore' }).status === 0;
}

/** Skips the suite with a visible reason when dnspython is missing (fails under CI=true). Call from before(). */
export function dnspythonOrSkip(ctx: Mocha.Context): void {
  if (hasDnspython()) return;
  const reason = `no dnspython with DNSSEC support for ${PYTHON} (Debian: apt-get install python3-dnspython python3-cryptography)`;
  skipOrFail(ctx, reason, 'validator');
}

function run(request: object): unknown {
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`dnssec-verify.py failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

/** One message to check, and the names (presentation form) its NSEC records should be tested against. */
export interface MessageToVerify {
  readonly wire: Buffer;
  readonly names?: readonly string[];
}

/**
 * Validates every RRSIG in each wire DNS message against the DNSKEY RDATAs of `zone` ("example.") at
 * `nowSeconds`, each signature on its own (signature and time window), in one python run.
 */
export function verifyMessages(
  messages: readonly MessageToVerify[],
  zone: string,
  dnskeys: readonly Buffer[],
  nowSeconds: number,
): Verification[] {
  const out = run({
    mode: 'verify',
    messages: messages.map((m) => ({ message: m.wire.toString('base64'), names: m.names ?? [] })),
    zone,
    dnskey: dnskeys.map((k) => k.toString('base64')),
    now: nowSeconds,
  }) as { results: Verification[] };
  return out.results;
}

/** verifyMessages for one message. */
export function verifyMessage(
  wire: Buffer,
  zone: string,
  dnskeys: readonly Buffer[],
  nowSeconds: number,
  names: readonly string[] = [],
): Verification {
  return verifyMessages([{ wire, names }], zone, dnskeys, nowSeconds)[0]!;
}

/** Presentation names sorted by dnspython (dns.name.Name's order: RFC 4034 6.1). */
export function dnspythonOrder(names: readonly string[]): string[] {
  return (run({ mode: 'order', names }) as { sorted: string[] }).sorted;
}
