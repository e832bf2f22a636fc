// Counters of what protects the server on the open internet (issue #17): response rate limiting,
// DNS cookies, the PROXY listener's drops and refused TCP connections; and dnstap's frames, sent or
// dropped (not a guard, but counted per worker and summed the same way). One flat array, so workers ship
// it to the primary with their other counters and the primary sums it like them.
import { RRL_CLASS_NAMES } from './rrl/limiter.js';
import type { ProxyDropReason } from './proxy/proxy-v2.js';
import type { Transport } from './transport-types.js';
import type { TcpRefusal } from './tcp-gate.js';

export const RRL_ACTIONS = ['dropped', 'slipped', 'would-drop', 'would-slip'] as const;
export const COOKIE_RESULTS = ['new', 'valid', 'stale', 'invalid'] as const;
export type CookieResult = (typeof COOKIE_RESULTS)[number];
export const PROXY_DROP_REASONS = [
  'no-header',
  'bad-header',
  'local',
  'unsupported-family',
  'source-not-allowed',
] as const satisfies readonly ProxyDropReason[];
export const TRANSPORTS = ['udp', 'tcp'] as const satisfies readonly Transport[];
export const TCP_REFUSALS = ['per-client', 'global'] as const satisfies readonly TcpRefusal[];

const NC = RRL_CLASS_NAMES.length;
const NA = RRL_ACTIONS.length;
const RRL_AT = 0;
const COOKIE_AT = RRL_AT + NC * NA;
const PROXY_AT = COOKIE_AT + COOKIE_RESULTS.length;
const TCP_AT = PROXY_AT + PROXY_DROP_REASONS.length * TRANSPORTS.length;
export const DNSTAP_RESULTS = ['sent', 'dropped'] as const;
const DNSTAP_AT = TCP_AT + TCP_REFUSALS.length;
export const GUARD_SLOTS = DNSTAP_AT + DNSTAP_RESULTS.length;
/** dnstap frames handed to the collector's socket, and dropped (buffers full, collector slow or gone). */
export const DNSTAP_SENT_SLOT = DNSTAP_AT;
export const DNSTAP_DROPPED_SLOT = DNSTAP_AT + 1;

/** The slot of an RRL action (index in RRL_ACTIONS) for a class index (RRL_CLASS). */
export const rrlSlot = (cls: number, action: number): number => RRL_AT + cls * NA + action;
export const cookieSlot = (result: number): number => COOKIE_AT + result;
export const COOKIE_NEW = 0;
export const COOKIE_VALID = 1;
export const COOKIE_STALE = 2;
export const COOKIE_INVALID = 3;

export function proxyDropSlot(reason: ProxyDropReason, transport: Transport): number {
  return PROXY_AT + PROXY_DROP_REASONS.indexOf(reason) * TRANSPORTS.length + (transport === 'tcp' ? 1 : 0);
}

export const tcpRefusalSlot = (why: TcpRefusal): number => TCP_AT + TCP_REFUSALS.indexOf(why);

/** Which metric a guard counter belongs to (metrics.ts). */
export type GuardFamily = 'rrl' | 'cookies' | 'proxy' | 'tcp' | 'dnstap';

/** Visits every counter with its metric family and labels (zeros included: the series exist from the start). */
export function forEachGuardCount(
  counts: ArrayLike<number>,
  fn: (family: GuardFamily, labels: Record<string, string>, value: number) => void,
): void {
  RRL_CLASS_NAMES.forEach((cls, c) =>
    RRL_ACTIONS.forEach((action, a) => fn('rrl', { class: cls, action }, counts[rrlSlot(c, a)] ?? 0)),
  );
  COOKIE_RESULTS.forEach((result, r) => fn('cookies', { result }, counts[cookieSlot(r)] ?? 0));
  for (const reason of PROXY_DROP_REASONS)
    for (const transport of TRANSPORTS)
      fn('proxy', { reason, transport }, counts[proxyDropSlot(reason, transport)] ?? 0);
  for (const reason of TCP_REFUSALS) fn('tcp', { reason }, counts[tcpRefusalSlot(reason)] ?? 0);
  DNSTAP_RESULTS.forEach((result, i) => fn('dnstap', { result }, counts[DNSTAP_AT + i] ?? 0));
}
