// Authenticated denial of existence with the NSEC chain (RFC 4035 3.1.3): which NSEC records prove
// an NXDOMAIN, a NODATA (at a name, at an empty non-terminal, at a wildcard), a wildcard expansion,
// or that a delegation has no DS.
import { closestEncloser, type Zone } from '../zone.js';
import type { AnswerRecord } from '../records.js';
import type { NsecChain } from './nsec.js';

const WILDCARD_LABEL = '\x01*';

/** The NSEC at a chain name, or the one covering a name that is not in the chain. */
function atOrCovering(chain: NsecChain, key: string): number {
  const i = chain.indexOf(key);
  return i >= 0 ? i : chain.coveringIndex(key);
}

/**
 * NXDOMAIN for `key` (a name of the zone, not below a cut): the NSEC covering it and the one covering
 * the wildcard at its closest encloser (one record when the same NSEC covers both).
 */
export function nxdomainProof(zone: Zone, chain: NsecChain, key: string): AnswerRecord[] {
  const covering = chain.coveringIndex(key);
  const wildcard = atOrCovering(chain, WILDCARD_LABEL + closestEncloser(zone, key).name.key);
  return wildcard === covering ? [chain.record(covering)] : [chain.record(covering), chain.record(wildcard)];
}

/**
 * NODATA for (`key`, `qtype`): at a chain name its NSEC (with qtype left out of the bitmap when the
 * name lists it but answered without it); at an empty non-terminal the NSEC covering it; at a name
 * answered from a wildcard the NSEC covering the name and the wildcard's own NSEC.
 */
export function nodataProof(zone: Zone, chain: NsecChain, key: string, qtype: number): AnswerRecord[] {
  const at = chain.indexOf(key);
  if (at >= 0) return [chain.recordWithout(at, qtype)];
  const covering = chain.coveringIndex(key);
  if (zone.nodes.has(key)) return [chain.record(covering)];
  const wild = chain.indexOf(WILDCARD_LABEL + closestEncloser(zone, key).name.key);
  // No wildcard there: the lookup would have said NXDOMAIN; prove what is true of the name.
  if (wild < 0) return nxdomainProof(zone, chain, key);
  return wild === covering
    ? [chain.recordWithout(wild, qtype)]
    : [chain.record(covering), chain.recordWithout(wild, qtype)];
}

/** A wildcard expansion for `key` (RFC 4035 3.1.3.3): the NSEC covering it, so no closer name exists. */
export function wildcardAnswerProof(chain: NsecChain, key: string): AnswerRecord {
  return chain.record(chain.coveringIndex(key));
}

/** No DS at the delegation point `cutKey` (RFC 4035 3.1.4): the cut's NSEC (its bitmap has NS, no DS). */
export function noDsProof(chain: NsecChain, cutKey: string): AnswerRecord | null {
  const i = chain.indexOf(cutKey);
  return i >= 0 ? chain.record(i) : null;
}
