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
import { authorityTemplate, encodeSections, type EncodedReply, type NegativeTemplate } from './encode.js';
import { syntheticQuestion } from './query.js';

export interface SignedReply {
  readonly reply: EncodedReply;
  /** Made again from this time on (ms): its earliest signature is due for refresh. */
  readonly refreshAt: number;
}

/** The cache key of the types a name answers alike (those compiled into its "other" reply). */
export const OTHER_TYPES = -1;

/** A signed NXDOMAIN's authority section (SOA, NSECs, their RRSIGs) as a template for any query name. */
export interface SignedNegative {
  readonly template: NegativeTemplate;
  /** Made again from this time on (ms). */
  readonly refreshAt: number;
}

/** A zone's signed replies by compiled node (the node object is the key) and type key. */
export class SignedReplies {
  private readonly byNode = new Map<object, Map<number, SignedReply>>();
  /**
   * Signed NXDOMAIN authority sections by their NSEC pair (covering * chain size + wildcard): as
   * many as the chain has names at most, so random names cannot grow it past the zone.
   */
  private readonly nxdomain = new Map<number, SignedNegative>();
  /** The NSEC at or covering "*.<encloser>", by encloser key: at most one entry per name of the zone. */
  private readonly wildcardNsec = new Map<string, number>();

  /**
   * The signed NXDOMAIN for `qname`, a name under the zone with closest encloser `encloserKey` and
   * no wildcard there: made once per NSEC pair, so a flood of random names encodes nothing.
   */
  nxdomainFor(sz: SignedZone, zone: Zone, qkey: string, encloserKey: string, now: number): SignedNegative {
    const chain = sz.chain;
    const covering = chain.coveringIndex(qkey);
    let wildcard = this.wildcardNsec.get(encloserKey);
    if (wildcard === undefined) {
      const wildcardKey = '\x01*' + encloserKey;
      const at = chain.indexOf(wildcardKey);
      wildcard = at >= 0 ? at : chain.coveringIndex(wildcardKey);
      this.wildcardNsec.set(encloserKey, wildcard);
    }
    const key = covering * chain.size + wildcard;
    let r = this.nxdomain.get(key);
    if (r === undefined || now >= r.refreshAt) {
      const negative: Sections = {
        rcode: RCODE.NXDOMAIN,
        aa: true,
        answer: [],
        authority: [zone.negativeSoa],
        additional: [],
        requiredAdditional: 0,
      };
      // The query name only locates the proofs (its key): no record of this section is owned by it.
      const qname: DnsName = { wire: Buffer.from(qkey, 'latin1'), key: qkey };
      const signed = signAnswer(sz, qname, QTYPE.A, negative, now);
      r = { template: authorityTemplate(zone.apex, signed.sections.authority), refreshAt: signed.refreshAt };
      this.nxdomain.set(key, r);
    }
    return r;
  }

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
  return { reply: encodeSections(qmsg, q, sections, true), refreshAt };
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
