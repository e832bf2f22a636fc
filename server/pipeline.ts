// The query pipeline: decode, classify, match zone, answer, encode. Transports call handleQuery only.
import type { HealthView } from '../health/view.js';
import { lookupV4, lookupV6, lastDepth } from '../geo/trie.js';
import { QTYPE, type Sections } from '../zones/records.js';
import { lookup, type LookupResult } from '../zones/zone.js';
import { findZone, type Catalog } from './catalog.js';
import type { LbAnswerer } from './gslb/answerer.js';
import { decisionRecords } from './gslb/answerer.js';
import { resolveClient, type ClientAddress } from './gslb/client.js';
import { HASH_PREFIX, decide } from './gslb/decide.js';
import { chaosAnswer, type ChaosConfig } from './chaos.js';
import { encodeSections, errorReply, finishReply, replyLimit, type OptFields } from './encode.js';
import type { Logger } from './log.js';
import { RCODE, decodeQuery, type ParsedQuery } from './query.js';
import type { Peer, QueryHandler, Transport } from './transport-types.js';

const CLASS_IN = 1;
const CLASS_CH = 3;
const CLASS_ANY = 255;

export interface PipelineOptions {
  /** NSID payload (RFC 5001); null disables NSID. */
  readonly nsid: Buffer | null;
  readonly chaos: ChaosConfig;
  readonly log: Logger;
  /** The current health snapshot; read once per load-balanced query, never awaited. */
  readonly health: () => HealthView;
  /** Randomness for weighted choices (injected in tests). */
  readonly rng?: () => number;
}

/** Counters for every pipeline exit; each query is counted exactly once. */
export class PipelineStats {
  dropped = 0;
  readonly rcodes = new Map<number, number>();
  errors = 0;
  count(rcode: number): void {
    this.rcodes.set(rcode, (this.rcodes.get(rcode) ?? 0) + 1);
  }
}

export interface Pipeline {
  readonly handleQuery: QueryHandler;
  readonly stats: PipelineStats;
}

/** Builds the pipeline over a catalog read through getCatalog on every query (reloads swap it). */
export function createPipeline(getCatalog: () => Catalog, opts: PipelineOptions): Pipeline {
  const stats = new PipelineStats();
  const opt: OptFields = { nsid: opts.nsid, ecsScope: 0, ede: null };
  /** Out of every zone: REFUSED, with EDE 20 "Not Authoritative" when the query has EDNS (as Knot and NSD do). */
  const refused = (msg: Buffer, q: ParsedQuery): Buffer => {
    stats.count(RCODE.REFUSED);
    opt.ede = 20;
    const out = errorReply(msg, q, RCODE.REFUSED, true, true, opt);
    opt.ede = null;
    return out;
  };
  const rng = opts.rng ?? Math.random;

  /** Classifies the client for a load-balanced name; returns the class id and sets classDepth. */
  let classDepth = 0;
  function classify(lb: LbAnswerer, c: ClientAddress): number {
    const cl = lb.classifier;
    if (cl === null) return 0;
    const id = c.family === 4 ? lookupV4(cl.trie, c.v4) : lookupV6(cl.trie, c.bytes);
    classDepth = lastDepth;
    return id;
  }

  /** ECS scope for an answer about this client: the widest prefix over which it is the same. */
  function scopeFor(lb: LbAnswerer, byClass: boolean, outcome: string, c: ClientAddress): number {
    if (!c.fromEcs) return 0;
    if (byClass) return classDepth + c.scopeOffset;
    if (lb.name.policy === 'hashed' && outcome === 'primary') return HASH_PREFIX[c.family] + c.scopeOffset;
    return 0;
  }

  function lbAnswer(msg: Buffer, q: ParsedQuery, peer: Peer, lb: LbAnswerer, limit: number): Buffer {
    const c = resolveClient(q, peer);
    const id = classify(lb, c);
    const family: 4 | 6 =
      q.qtype === QTYPE.AAAA
        ? 6
        : q.qtype === QTYPE.A
          ? 4
          : lb.name.pools.some((p) => p.endpoints.some((e) => e.family === 4))
            ? 4
            : 6;
    const r = lb.reply(id, family, c.family, c.bytes, opts.health(), rng);
    const reply = lb.pick(r);
    lb.count(r);
    stats.count(reply.wire[3]! & 0x0f);
    opt.ecsScope = scopeFor(lb, r.byClass, r.outcome, c);
    const out = finishReply(reply, msg, q, limit, opt);
    opt.ecsScope = 0;
    return out;
  }

  /** A CNAME chain ending at a load-balanced name: the chain plus the decided records, encoded per query. */
  function chainToLb(
    msg: Buffer,
    q: ParsedQuery,
    peer: Peer,
    result: LookupResult,
    catalog: Catalog,
    limit: number,
  ): Buffer {
    const target = result.gslb!;
    const zone = findZone(catalog, target.name.owner.key);
    const lb = zone?.nodes.get(target.name.owner.key)?.lb;
    let sections: Sections = result.sections;
    if (lb) {
      const c = resolveClient(q, peer);
      const id = classify(lb, c);
      const family: 4 | 6 = target.qtype === QTYPE.AAAA ? 6 : 4;
      const d = decide({
        name: lb.name,
        family,
        cls: lb.classOf(id),
        subnet: c.bytes,
        health: opts.health(),
        checks: zone!.zone.policy.checks,
        rng,
        now: Date.now(),
      });
      if (d.outcome === 'servfail') sections = { ...sections, rcode: RCODE.SERVFAIL };
      else if (d.endpoints.length === 0) sections = { ...sections, authority: [zone!.zone.negativeSoa] };
      else
        sections = {
          ...sections,
          answer: [...sections.answer, ...decisionRecords(d, lb.name, lb.name.owner, Math.floor(rng() * 64))],
        };
      opt.ecsScope = scopeFor(lb, lb.variesByClient && d.outcome !== 'nodata', d.outcome, c);
    }
    stats.count(sections.rcode);
    const out = finishReply(encodeSections(msg, q, sections), msg, q, limit, opt);
    opt.ecsScope = 0;
    return out;
  }

  function answer(msg: Buffer, q: ParsedQuery, peer: Peer, tcp: boolean): Buffer {
    const limit = replyLimit(q, tcp);
    // QCLASS ANY is answered from the IN data, as Knot and NSD do.
    if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) {
      if (q.qclass === CLASS_CH) {
        const s = chaosAnswer(q.qkey, q.qtype, opts.chaos);
        if (s) {
          stats.count(RCODE.NOERROR);
          return finishReply(encodeSections(msg, q, s), msg, q, limit, opt);
        }
      }
      stats.count(RCODE.REFUSED);
      return errorReply(msg, q, RCODE.REFUSED, true, true, opt);
    }
    const catalog = getCatalog();
    const zone = findZone(catalog, q.qkey);
    if (zone === null) return refused(msg, q);
    if (q.qtype === QTYPE.AXFR || q.qtype === QTYPE.IXFR) {
      // Zone transfers are not offered: AXFR over UDP is NOTIMP (as Knot and NSD answer), the rest REFUSED.
      const rcode = !tcp && q.qtype === QTYPE.AXFR ? RCODE.NOTIMP : RCODE.REFUSED;
      stats.count(rcode);
      return errorReply(msg, q, rcode, true, true, opt);
    }
    const node = zone.nodes.get(q.qkey);
    if (node !== undefined) {
      if (node.lb !== null && (q.qtype === QTYPE.A || q.qtype === QTYPE.AAAA || q.qtype === QTYPE.ANY))
        return lbAnswer(msg, q, peer, node.lb, limit);
      const compiled = node.byType.get(q.qtype) ?? node.other;
      if (!compiled.dynamic) {
        stats.count(compiled.reply.wire[3]! & 0x0f);
        return finishReply(compiled.reply, msg, q, limit, opt);
      }
    }
    // Names that do not exist as nodes: NXDOMAIN, wildcard synthesis, or a referral below a cut.
    const result = lookup(zone.zone, q.qkey, q.qtype);
    if (result.gslb !== undefined) return chainToLb(msg, q, peer, result, catalog, limit);
    stats.count(result.sections.rcode);
    return finishReply(encodeSections(msg, q, result.sections), msg, q, limit, opt);
  }

  function handleQuery(msg: Buffer, peer: Peer, transport: Transport): Buffer | null {
    const d = decodeQuery(msg);
    try {
      switch (d.kind) {
        case 'drop':
          stats.dropped++;
          return null;
        case 'notimp':
          stats.count(RCODE.NOTIMP);
          return errorReply(msg, d.query, RCODE.NOTIMP, d.questionOk, true, opt);
        case 'formerr':
          stats.count(RCODE.FORMERR);
          return errorReply(msg, d.query, RCODE.FORMERR, d.questionOk, d.ednsOk, opt);
        case 'badvers':
          stats.count(RCODE.BADVERS);
          return errorReply(msg, d.query, RCODE.BADVERS, true, true, opt);
        case 'ok':
          return answer(msg, d.query, peer, transport === 'tcp');
      }
    } catch (err) {
      // One top-level catch: anything thrown becomes SERVFAIL, a log line and a counter.
      stats.errors++;
      stats.count(RCODE.SERVFAIL);
      opts.log.error({ err }, 'query failed');
      if (d.kind === 'drop') return null;
      try {
        return errorReply(msg, d.query, RCODE.SERVFAIL, d.kind === 'ok', false, opt);
      } catch {
        return null;
      }
    }
  }

  return { handleQuery, stats };
}
