// Signed replies (DO=1 queries of signed zones) for the exact names of a zone: one encoded reply per
// (name, query type), made on the name's first DO=1 query for that type (lookup, signAnswer, encode)
// and made again once its signatures are due for refresh. The types a name answers alike (every type
// compiled into its "other" reply) share one entry, so a client cannot grow the cache past the types
// the zone has, plus NSEC and RRSIG.
import { signAnswer, type SignedZone } from '../zones/dnssec/signed-answer.js';
import type { DnsName } from '../zones/name.js';
import { RCODE } from '../zones/dns.js';
import { QTYPE, type AnswerRecord, type Sections } from '../zones/records.js';
import { lookup, type Zone } from '../zones/zone.js';
import { encodeSections, type EncodedReply } from './encode.js';
import { syntheticQuestion } from './query.js';

export interface SignedReply {
  readonly reply: EncodedReply;
  /** Made again from this time on (ms): its earliest signature is due for refresh. */
  readonly refreshAt: number;
}

/** The cache key of the types a name answers alike (those compiled into its "other" reply). */
export const OTHER_TYPES = -1;

/** A zone's signed replies by compiled node (the node object is the key) and type key. */
export class SignedReplies {
  private readonly byNode = new Map<object, Map<number, SignedReply>>();

  get(node: object, typeKey: number): SignedReply | undefined {
    return this.byNode.get(node)?.get(typeKey);
  }

  set(node: object, typeKey: number, r: SignedReply): void {
    let m = this.byNode.get(node);
    if (m === undefined) this.byNode.set(node, (m = new Map()));
    m.set(typeKey, r);
  }
}

/** A signed answer to `qtype` at an existing name, encoded for the name's own question. */
export function signedReply(sz: SignedZone, zone: Zone, name: DnsName, qtype: number, now: number): SignedReply {
  const { sections, refreshAt } = signedSections(sz, zone, name, qtype, now);
  const { qmsg, q } = syntheticQuestion(name);
  return { reply: encodeSections(qmsg, q, sections), refreshAt };
}

/**
 * The signed sections of a query for `qtype` at an existing name. NSEC and RRSIG at an authoritative
 * name of the NSEC chain (every name with data, the apex) are answered from the chain and the
 * signer, as Knot answers them: the name's NSEC RRset with its RRSIG; the RRSIGs over the name's
 * static RRsets and its NSEC (a load-balanced name's addresses depend on the client: not these).
 * Everywhere else both are types like any other (a referral at a cut, NODATA at an empty
 * non-terminal).
 */
function signedSections(
  sz: SignedZone,
  zone: Zone,
  name: DnsName,
  qtype: number,
  now: number,
): { readonly sections: Sections; readonly refreshAt: number } {
  const node = zone.nodes.get(name.key);
  const i = node !== undefined && node.cut === null ? sz.chain.indexOf(name.key) : -1;
  if (i >= 0 && qtype === QTYPE.NSEC) return signAnswer(sz, name, qtype, onlyAnswer([sz.chain.record(i)]), now);
  if (i >= 0 && qtype === QTYPE.RRSIG) {
    const records: AnswerRecord[] = [];
    for (const set of node!.rrsets.values()) records.push(...set.records);
    records.push(sz.chain.record(i));
    const signed = signAnswer(sz, name, qtype, onlyAnswer(records), now);
    return {
      sections: onlyAnswer(signed.sections.answer.filter((r) => r.type === QTYPE.RRSIG)),
      refreshAt: signed.refreshAt,
    };
  }
  return signAnswer(sz, name, qtype, lookup(zone, name.key, qtype).sections, now);
}

/** An authoritative NOERROR answer of these records alone. */
function onlyAnswer(answer: readonly AnswerRecord[]): Sections {
  return { rcode: RCODE.NOERROR, aa: true, answer, authority: [], additional: [], requiredAdditional: 0 };
}
