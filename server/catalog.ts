// The serving catalog: every zone's exact names precompiled to wire-format replies per query type,
// so the hot path only copies bytes and patches the ID, flags and question case.
import { nameToText, parentKey } from '../zones/name.js';
import { QTYPE } from '../zones/records.js';
import { lookup, type LookupKind, type Zone, type ZoneNode } from '../zones/zone.js';
import type { GeoData } from '../geo/geoip.js';
import { createSignedZone, type SignedZone } from '../zones/dnssec/signed-answer.js';
import { encodeSections, negativeTemplate, type EncodedReply, type NegativeTemplate } from './encode.js';
import { ClassifierCache } from './gslb/classify.js';
import { LbAnswerer } from './gslb/answerer.js';
import { silentLogger, type Logger } from './log.js';
import { syntheticQuestion } from './query.js';
import { SignedReplies } from './signed-replies.js';

export interface CompiledAnswer {
  readonly reply: EncodedReply;
  readonly kind: LookupKind;
  /** A CNAME chain that ends at a load-balanced name: answered per query, not from this reply. */
  readonly dynamic: boolean;
  /** NODATA from the zone's negative template (names with no records of their own): nothing stored per name. */
  readonly nodata?: boolean;
}

const NO_TYPES: ReadonlyMap<number, CompiledAnswer> = new Map();
const TEMPLATE_NODATA: CompiledAnswer = Object.freeze({
  reply: { wire: Buffer.alloc(12), additionalStart: 12, additionalOffsets: [], requiredAdditional: 0 },
  kind: 'nodata',
  dynamic: false,
  nodata: true,
});

export interface CompiledNode {
  /** Replies for the types that behave differently at this name. */
  readonly byType: ReadonlyMap<number, CompiledAnswer>;
  /** The reply for every other type. */
  readonly other: CompiledAnswer;
  /** Set for load-balanced names: answers A, AAAA and ANY. */
  readonly lb: LbAnswerer | null;
}

export interface CompiledZone {
  /** The apex in presentation form, for metrics and logs. */
  readonly name: string;
  /** The SOA for NXDOMAIN answers, pre-encoded. */
  readonly negative: NegativeTemplate;
  readonly zone: Zone;
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Keys of the names that have a wildcard child ("*.name"): an NXDOMAIN needs one lookup of a stored key. */
  readonly wildcardParents: ReadonlySet<string>;
  /** The zone's signer and NSEC chain when it has keys (DO=1 queries get signed answers), else null. */
  readonly signed: SignedZone | null;
  /** The exact names' signed replies, made on their first DO=1 query (null for an unsigned zone). */
  readonly signedReplies: SignedReplies | null;
}

export interface ExactEntry {
  readonly zone: CompiledZone;
  readonly node: CompiledNode;
}

export interface Catalog {
  readonly zones: ReadonlyMap<string, CompiledZone>;
  /** Every existing name of every zone, under the zone that is authoritative for it: one lookup on the hot path. */
  readonly exact: ReadonlyMap<string, ExactEntry>;
  /**
   * The load-balanced names' answerers that have answered: decision counters are read from these,
   * not from every name of a 100,000-name zone.
   */
  readonly answered: ReadonlySet<LbAnswerer>;
  readonly geo: GeoData;
}

/** A query type no record uses, to compute the shared "any other type" reply. */
function unusedType(types: ReadonlySet<number>): number {
  for (let t = 65280; t < 65535; t++) if (!types.has(t)) return t; // private-use range, RFC 6895
  return 65535;
}

function compileNode(
  zone: Zone,
  node: ZoneNode,
  zoneTypes: ReadonlySet<number>,
  otherType: number,
  lb: LbAnswerer | null,
): CompiledNode {
  // Empty non-terminals and load-balanced names without static records: every type but the decided
  // ones is NODATA, answered from the zone's template (100,000 names cost no bytes each here).
  if (node.rrsets.size === 0 && node.cut === null)
    return Object.freeze({ byType: NO_TYPES, other: TEMPLATE_NODATA, lb });
  const { qmsg, q } = syntheticQuestion(node.name);
  const compile = (qtype: number): CompiledAnswer => {
    const r = lookup(zone, node.name.key, qtype);
    return { reply: encodeSections(qmsg, q, r.sections, true), kind: r.kind, dynamic: r.gslb !== undefined };
  };
  const other = compile(otherType);
  const byType = new Map<number, CompiledAnswer>();
  const isPlain = node.cut === null && !node.rrsets.has(QTYPE.CNAME);
  const isReferral = node.cut !== null;
  // A and AAAA too: at a CNAME they may end at a load-balanced name (answered per query) even in a
  // zone with no records of that type, which "every other type" would answer with the CNAME alone.
  for (const t of [...zoneTypes, QTYPE.ANY, QTYPE.CNAME, QTYPE.DS, QTYPE.A, QTYPE.AAAA]) {
    if (byType.has(t)) continue;
    if (isReferral && t !== QTYPE.DS) continue; // every type gets the same referral
    if (lb && (t === QTYPE.A || t === QTYPE.AAAA || t === QTYPE.ANY)) continue; // decided per query
    if (isPlain && t !== QTYPE.ANY && !node.rrsets.has(t)) continue; // NODATA like any other absent type
    byType.set(t, compile(t));
  }
  return Object.freeze({ byType, other, lb });
}

/** Precompiles replies for every name of every zone. */
export function compileCatalog(zones: readonly Zone[], geo: GeoData, log: Logger = silentLogger): Catalog {
  const out = new Map<string, CompiledZone>();
  const classifiers = new ClassifierCache(geo);
  const answered = new Set<LbAnswerer>();
  for (const zone of zones) {
    const types = new Set<number>();
    for (const n of zone.nodes.values()) for (const t of n.rrsets.keys()) types.add(t);
    const otherType = unusedType(types);
    const nodes = new Map<string, CompiledNode>();
    const wildcardParents = new Set<string>();
    const p = zone.policy;
    for (const [key, node] of zone.nodes) {
      if (key.startsWith('\x01*')) wildcardParents.add(parentKey(key)!);
      const lb = node.lb
        ? new LbAnswerer(node.lb, zone, classifiers.forName(node.lb, p.regions, p.datacenters), p, log, answered)
        : null;
      nodes.set(key, compileNode(zone, node, types, otherType, lb));
    }
    // Cheap: the chain and the signer are made here, every signature on first use.
    const signed = createSignedZone(zone);
    out.set(
      zone.apex.key,
      Object.freeze({
        name: nameToText(zone.apex.wire),
        negative: negativeTemplate(zone.apex, zone.negativeSoa),
        zone,
        nodes,
        wildcardParents,
        signed,
        signedReplies: signed === null ? null : new SignedReplies(),
      }),
    );
  }
  const exact = new Map<string, ExactEntry>();
  const partial: Catalog = { zones: out, exact, geo, answered };
  for (const z of out.values())
    for (const [key, node] of z.nodes)
      if (findZone(partial, key) === z) exact.set(key, Object.freeze({ zone: z, node }));
  return Object.freeze(partial);
}

/**
 * The key of the closest existing name strictly above qkey in any served zone, or null when qkey is in
 * no served zone. Its exact entry is the zone authoritative for qkey, and its node there the closest
 * encloser: for a name that does not exist, one walk up the name instead of two.
 */
export function closestExisting(catalog: Catalog, qkey: string): string | null {
  let k = parentKey(qkey);
  while (k !== null && !catalog.exact.has(k)) k = parentKey(k);
  return k;
}

/** The most specific served zone containing qkey, or null. */
export function findZone(catalog: Catalog, qkey: string): CompiledZone | null {
  let k: string | null = qkey;
  while (k !== null) {
    const z = catalog.zones.get(k);
    if (z) return z;
    k = parentKey(k);
  }
  return null;
}
