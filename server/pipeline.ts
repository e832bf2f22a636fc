// The query pipeline: decode, classify, match zone, answer, encode. Transports call handleQuery only.
import { QTYPE } from '../zones/records.js';
import { lookup } from '../zones/zone.js';
import { findZone, type Catalog } from './catalog.js';
import { chaosAnswer, type ChaosConfig } from './chaos.js';
import { encodeSections, errorReply, finishReply, replyLimit, type OptFields } from './encode.js';
import type { Logger } from './log.js';
import { RCODE, decodeQuery, type ParsedQuery } from './query.js';
import type { Peer, QueryHandler, Transport } from './transport-types.js';

const CLASS_IN = 1;
const CLASS_CH = 3;

export interface PipelineOptions {
  /** NSID payload (RFC 5001); null disables NSID. */
  readonly nsid: Buffer | null;
  readonly chaos: ChaosConfig;
  readonly log: Logger;
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
  const opt: OptFields = { nsid: opts.nsid, ecsScope: 0 };

  function answer(msg: Buffer, q: ParsedQuery, tcp: boolean): Buffer {
    const limit = replyLimit(q, tcp);
    if (q.qclass !== CLASS_IN) {
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
    const zone = findZone(getCatalog(), q.qkey);
    if (zone === null || q.qtype === QTYPE.AXFR || q.qtype === QTYPE.IXFR) {
      stats.count(RCODE.REFUSED);
      return errorReply(msg, q, RCODE.REFUSED, true, true, opt);
    }
    const node = zone.nodes.get(q.qkey);
    if (node !== undefined) {
      const compiled = node.byType.get(q.qtype) ?? node.other;
      stats.count(compiled.reply.wire[3]! & 0x0f);
      return finishReply(compiled.reply, msg, q, limit, opt);
    }
    // Names that do not exist as nodes: NXDOMAIN, wildcard synthesis, or a referral below a cut.
    const result = lookup(zone.zone, q.qkey, q.qtype);
    stats.count(result.sections.rcode);
    return finishReply(encodeSections(msg, q, result.sections), msg, q, limit, opt);
  }

  function handleQuery(msg: Buffer, _peer: Peer, transport: Transport): Buffer | null {
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
          return answer(msg, d.query, transport === 'tcp');
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
