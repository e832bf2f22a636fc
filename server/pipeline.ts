// The query pipeline: decode, classify, match zone, answer, encode. Transports call handleQuery only.
// Everything a query writes lives in the pipeline's QueryContext, reset at the top of each query.
import type { HealthView } from '../health/view.js';
import { CLASS, EDE, QTYPE, RCODE } from '../zones/dns.js';
import type { Sections } from '../zones/records.js';
import { lookup, type LookupResult } from '../zones/zone.js';
import { closestExisting, findZone, type Catalog, type CompiledZone, type ExactEntry } from './catalog.js';
import type { LbAnswerer, LbReply } from './gslb/answerer.js';
import { classify } from './gslb/classify.js';
import type { ClientAddress } from './gslb/client.js';
import { dependsOnClient, scopeOf } from './gslb/pick.js';
import { NO_STEERING, type SteeringView } from './gslb/steering-types.js';
import { answerSections } from './gslb/wire.js';
import { signAnswer } from '../zones/dnssec/signed-answer.js';
import { OTHER_TYPES, signedReply } from './signed-replies.js';
import { chaosAnswer, type ChaosConfig } from './chaos.js';
import { encodeSections, errorReply, finishReply, negativeReply, replyLimit, slippedReply } from './encode.js';
import type { CidrSet } from './cidr-set.js';
import type { ServerCookies } from './cookies/server-cookie.js';
import { COOKIE_INVALID, COOKIE_NEW, COOKIE_STALE, COOKIE_VALID, cookieSlot, rrlSlot } from './guard-stats.js';
import { RRL_CLASS, RRL_SEND, RRL_SLIP, type ResponseLimiter } from './rrl/limiter.js';
import type { Logger } from './log.js';
import { QueryContext } from './query-context.js';
import type { ParsedQuery } from './query.js';
import { PipelineStats } from './stats.js';
import { formatIp } from '../zones/address.js';
import { nameToText, parentKey, type DnsName } from '../zones/name.js';
import type { LbName } from '../zones/policy-types.js';
import { newTrace, traceChain, traceDecision, type QueryTrace } from './trace.js';
import type { Peer, QueryHandler, Transport } from './transport-types.js';
import type { DnstapRecorder } from './dnstap/recorder.js';

export interface PipelineOptions {
  /** NSID payload (RFC 5001); null disables NSID. */
  readonly nsid: Buffer | null;
  readonly chaos: ChaosConfig;
  readonly log: Logger;
  /** The current health snapshot; read once per load-balanced query, never awaited. */
  readonly health: () => HealthView;
  /**
   * What load-aware decisions remember (margin choices, shed shares), decided once per node and
   * shipped to workers with the health; read on a decision, never computed in a query.
   */
  readonly steering?: () => SteeringView;
  /**
   * The clock (ms), read only when a load-balanced answer is decided or may have expired, and for
   * DO=1 queries of signed zones (signature times, refresh).
   */
  readonly now?: () => number;
  /** Randomness for weighted choices (injected in tests). */
  readonly rng?: () => number;
  /** Log one query in this many (0: no query log). */
  readonly queryLogSample?: number;
  /** What protects the server on the open internet; absent: no rate limiting, no cookies. */
  readonly guard?: GuardOptions;
  /** Streams queries and replies to a dnstap collector (--dnstap); absent or null: off. */
  readonly dnstap?: DnstapRecorder | null;
}

/** Response rate limiting and DNS cookies (issue #17). */
export interface GuardOptions {
  /** Limits UDP responses per client prefix and response class; null: off. */
  readonly rrl: ResponseLimiter | null;
  /** Count and log what would be limited, but send everything. */
  readonly rrlLogOnly: boolean;
  /** Sources never limited. */
  readonly rrlExempt: CidrSet | null;
  /** Makes and checks server cookies; null: cookies are not answered (--no-cookies). */
  readonly cookies: ServerCookies | null;
}

/** An ECS address (ceil(prefix/8) bytes) padded to a full address for display. */
function padAddress(a: Buffer, family: 1 | 2): Buffer {
  const out = Buffer.alloc(family === 1 ? 4 : 16);
  a.copy(out, 0, 0, Math.min(a.length, out.length));
  return out;
}

export { PipelineStats };

export interface Pipeline {
  readonly handleQuery: QueryHandler;
  readonly stats: PipelineStats;
  /** handleQuery with a record of what the query path did (explain): the same path, the same reply. */
  trace(msg: Buffer, peer: Peer, transport: Transport): { reply: Buffer | null; trace: QueryTrace };
}

/**
 * The family an ANY query for a load-balanced name is answered in: IPv4 unless it has only IPv6
 * endpoints; a CNAME name's one decision is made as IPv4 (its endpoints have no family).
 */
export function anyFamily(name: LbName): 4 | 6 {
  return name.cname || name.pools.some((p) => p.endpoints.some((e) => e.family === 4)) ? 4 : 6;
}

/** The family a query for a load-balanced name is decided in: A, AAAA, or ANY's; a CNAME name's one. */
function familyOf(qtype: number, name: LbName): 4 | 6 {
  if (name.cname) return 4;
  return qtype === QTYPE.AAAA ? 6 : qtype === QTYPE.A ? 4 : anyFamily(name);
}

/**
 * Whether a query at a load-balanced name is decided: A, AAAA and ANY; at a CNAME name every type
 * (RFC 1034 3.6.2: a CNAME owner has no other data), NSEC and RRSIG of a signed zone excepted (those
 * are the signer's, answered as at any name of the chain).
 */
function decidedType(name: LbName, qtype: number, signed: boolean): boolean {
  if (qtype === QTYPE.A || qtype === QTYPE.AAAA || qtype === QTYPE.ANY) return true;
  return name.cname && !(signed && (qtype === QTYPE.NSEC || qtype === QTYPE.RRSIG));
}

/** The delegation to a zone apex as its parent zone holds it, when the parent is served too; else null. */
function parentSide(catalog: Catalog, apexKey: string): ExactEntry | null {
  const above = parentKey(apexKey);
  const parent = above === null ? null : findZone(catalog, above);
  const node = parent?.nodes.get(apexKey);
  return parent && node ? { zone: parent, node } : null;
}

/** Builds the pipeline over a catalog read through getCatalog on every query (reloads swap it). */
export function createPipeline(getCatalog: () => Catalog, opts: PipelineOptions): Pipeline {
  const stats = new PipelineStats();
  const ctx = new QueryContext(opts.nsid, opts.guard?.cookies !== null);
  const rng = opts.rng ?? Math.random;
  const now = opts.now ?? Date.now;
  const steering = opts.steering ?? (() => NO_STEERING);
  const sampleEvery = opts.queryLogSample ?? 0;
  const limiter = opts.guard?.rrl ?? null;
  const logOnly = opts.guard?.rrlLogOnly ?? false;
  const exempt = opts.guard?.rrlExempt ?? null;
  const cookies = opts.guard?.cookies ?? null;
  const dnstap = opts.dnstap ?? null;
  // The source address as the client resolver parsed it (once per distinct peer text).
  const source = ctx.clients.source;

  /** Out of every zone: REFUSED, with EDE 20 "Not Authoritative" when the query has EDNS (as Knot and NSD do). */
  function refused(msg: Buffer, q: ParsedQuery): Buffer {
    ctx.ede = EDE.NOT_AUTHORITATIVE;
    return errorReply(msg, q, RCODE.REFUSED, true, true, ctx);
  }

  /** The ECS scope of a load-balanced answer for this client: the decision's, in the query's ECS family. */
  function scopeFor(r: LbReply, c: ClientAddress): number {
    if (!c.fromEcs || !dependsOnClient(r.plan)) return 0;
    return scopeOf(r.plan, c.family, ctx.hit.depth) + c.scopeOffset;
  }

  /** The decided reply for this client: the answerer's cached option, counted (a traced query is not traffic). */
  function decided(q: ParsedQuery, peer: Peer, lb: LbAnswerer, qtype: number): LbReply {
    const c = ctx.clients.resolve(q, peer);
    const id = classify(lb.classifier, c, ctx.hit);
    const r = lb.reply(id, familyOf(qtype, lb.name), c.bytes, opts.health(), steering(), now, rng);
    if (ctx.trace === null) lb.count(r);
    else traceDecision(ctx.trace, q, c, lb, r, id, ctx.hit.depth);
    ctx.datacenter = r.option.datacenter;
    ctx.outcome = r.option.outcome;
    ctx.ecsScope = scopeFor(r, c);
    return r;
  }

  function lbAnswer(msg: Buffer, q: ParsedQuery, peer: Peer, lb: LbAnswerer, limit: number): Buffer {
    const r = decided(q, peer, lb, q.qtype);
    return finishReply(lb.pick(r), msg, q, limit, ctx);
  }

  /** A CNAME chain ending at a load-balanced name: the chain, then the same decided option's records. */
  function chainToLb(
    msg: Buffer,
    q: ParsedQuery,
    peer: Peer,
    result: LookupResult,
    catalog: Catalog,
    limit: number,
  ): Buffer {
    return finishReply(encodeSections(msg, q, chainSections(q, peer, result, catalog)), msg, q, limit, ctx);
  }

  function chainSections(q: ParsedQuery, peer: Peer, result: LookupResult, catalog: Catalog): Sections {
    const target = result.gslb!;
    const zone = findZone(catalog, target.name.owner.key);
    const lb = zone?.nodes.get(target.name.owner.key)?.lb;
    if (ctx.trace !== null) traceChain(ctx.trace, result.sections.answer, nameToText(Buffer.from(q.qkey, 'latin1')));
    if (!lb) return result.sections;
    const r = decided(q, peer, lb, target.qtype);
    return answerSections(result.sections, r.option, r.plan.family, lb.name, zone!.zone, lb.name.owner, lb.nextSlot());
  }

  /**
   * A DO=1 query in a signed zone: the signed counterpart of every path below. Exact static names and
   * load-balanced names answer from replies signed once and cached (until their signatures are due
   * for refresh); the rest (NXDOMAIN, wildcards, referrals, CNAME chains) is signed per query, from
   * the signer's cache of signatures by RRset.
   */
  function signedAnswer(
    msg: Buffer,
    q: ParsedQuery,
    peer: Peer,
    zone: CompiledZone,
    exact: ExactEntry | undefined,
    encloserKey: string | null,
    catalog: Catalog,
    limit: number,
  ): Buffer {
    const sz = zone.signed!;
    const t = now();
    if (exact !== undefined) {
      const node = exact.node;
      if (node.lb !== null && decidedType(node.lb.name, q.qtype, true)) {
        const r = decided(q, peer, node.lb, q.qtype);
        return finishReply(node.lb.pickSigned(r, sz, t), msg, q, limit, ctx);
      }
      const own = node.byType.get(q.qtype);
      if (own === undefined || !own.dynamic) {
        // Every type compiled into "other" gets the same answer (NSEC and RRSIG are answered apart).
        const key = own !== undefined || q.qtype === QTYPE.NSEC || q.qtype === QTYPE.RRSIG ? q.qtype : OTHER_TYPES;
        const cache = zone.signedReplies!;
        let r = cache.get(node, key);
        if (r === undefined || t >= r.refreshAt) {
          r = signedReply(sz, zone.zone, zone.zone.nodes.get(q.qkey)!.name, q.qtype, t);
          cache.set(node, key, r);
        }
        return finishReply(r.reply, msg, q, limit, ctx);
      }
    }
    // NXDOMAIN (no cut, no wildcard sibling): the authority section made once per NSEC pair.
    if (
      encloserKey !== null &&
      zone.zone.nodes.get(encloserKey)!.cut === null &&
      !zone.wildcardParents.has(encloserKey)
    ) {
      const nx = zone.signedReplies!.nxdomainFor(sz, zone.zone, q.qkey, encloserKey, t);
      const out = negativeReply(nx.template, RCODE.NXDOMAIN, msg, q, limit, ctx);
      if (out !== null) return out;
    }
    const result = lookup(zone.zone, q.qkey, q.qtype);
    const sections = result.gslb !== undefined ? chainSections(q, peer, result, catalog) : result.sections;
    const qname: DnsName = { wire: msg.subarray(12, 12 + q.qnameLength), key: q.qkey };
    // A chain ending at a decided CNAME ends there (the resolver asks for its target): signed as a
    // CNAME query's answer, it asks no proof about the target, even one in this zone.
    const endsInCname =
      result.gslb !== undefined &&
      sections.answer.length > result.sections.answer.length &&
      sections.answer[sections.answer.length - 1]!.type === QTYPE.CNAME;
    return finishReply(
      encodeSections(msg, q, signAnswer(sz, qname, endsInCname ? QTYPE.CNAME : q.qtype, sections, t).sections),
      msg,
      q,
      limit,
      ctx,
    );
  }

  function answer(msg: Buffer, q: ParsedQuery, peer: Peer, tcp: boolean): Buffer {
    const limit = replyLimit(q, tcp);
    // QCLASS ANY is answered from the IN data, as Knot and NSD do.
    if (q.qclass !== CLASS.IN && q.qclass !== CLASS.ANY) {
      if (q.qclass === CLASS.CH) {
        const s = chaosAnswer(q.qkey, q.qtype, opts.chaos);
        if (s) {
          return finishReply(encodeSections(msg, q, s), msg, q, limit, ctx);
        }
      }
      return errorReply(msg, q, RCODE.REFUSED, true, true, ctx);
    }
    const catalog = getCatalog();
    let exact = catalog.exact.get(q.qkey);
    // A name that does not exist: its closest existing ancestor gives the zone and the encloser.
    const encloserKey = exact === undefined ? closestExisting(catalog, q.qkey) : null;
    let zone = exact !== undefined ? exact.zone : encloserKey !== null ? catalog.exact.get(encloserKey)!.zone : null;
    if (zone === null) return refused(msg, q);
    // DS is the parent's (RFC 4035 3.1.4.1): at the apex of a zone whose parent is served here too, a
    // DS query is answered by the parent (signed by its keys with DO=1), as for any delegation.
    if (q.qtype === QTYPE.DS && exact !== undefined && zone.zone.apex.key === q.qkey) {
      const cut = parentSide(catalog, q.qkey);
      if (cut !== null) {
        exact = cut;
        zone = cut.zone;
      }
    }
    ctx.zoneSlot = stats.zoneSlot(zone);
    ctx.zoneKey = zone.zone.apex.key;
    // A name that does not exist is answered from its encloser (a wildcard or a referral): rate
    // limiting counts those answers together, so random names under one wildcard share one bucket.
    ctx.rrlName = encloserKey ?? q.qkey;
    if (ctx.trace !== null) ctx.trace.zone = zone.name;
    if (q.qtype === QTYPE.AXFR || q.qtype === QTYPE.IXFR) {
      // Zone transfers are not offered: AXFR over UDP is NOTIMP (as Knot and NSD answer), the rest REFUSED.
      const rcode = !tcp && q.qtype === QTYPE.AXFR ? RCODE.NOTIMP : RCODE.REFUSED;
      return errorReply(msg, q, rcode, true, true, ctx);
    }
    // DO=0 pays this one test; DO=1 in an unsigned zone one more.
    if (q.dnssecOk && zone.signed !== null) return signedAnswer(msg, q, peer, zone, exact, encloserKey, catalog, limit);
    if (exact !== undefined) {
      const node = exact.node;
      if (node.lb !== null && decidedType(node.lb.name, q.qtype, false)) return lbAnswer(msg, q, peer, node.lb, limit);
      const compiled = node.byType.get(q.qtype) ?? node.other;
      if (compiled.nodata === true) {
        const out = negativeReply(zone.negative, RCODE.NOERROR, msg, q, limit, ctx);
        if (out !== null) return out;
      } else if (!compiled.dynamic) {
        return finishReply(compiled.reply, msg, q, limit, ctx);
      }
    }
    // Names that do not exist as nodes: NXDOMAIN, wildcard synthesis, or a referral below a cut.
    if (encloserKey !== null) {
      const encloser = zone.zone.nodes.get(encloserKey)!;
      if (encloser.cut === null && !zone.wildcardParents.has(encloserKey)) {
        const out = negativeReply(zone.negative, RCODE.NXDOMAIN, msg, q, limit, ctx);
        if (out !== null) return out;
      }
    }
    const result = lookup(zone.zone, q.qkey, q.qtype);
    if (result.gslb !== undefined) return chainToLb(msg, q, peer, result, catalog, limit);
    return finishReply(encodeSections(msg, q, result.sections), msg, q, limit, ctx);
  }

  function handleQuery(msg: Buffer, peer: Peer, transport: Transport): Buffer | null {
    // Latency is timed on one query in 8: the clock read costs as much as a trie walk.
    const timed = (++ctx.timeCounter & 7) === 0;
    const t0 = timed ? performance.now() : 0;
    ctx.reset();
    const out = handle(msg, peer, transport);
    if (out === null) {
      stats.dropped++;
      return null;
    }
    const q = ctx.decoder.query;
    const rcode = out.length > 3 ? out[3]! & 0x0f : 2;
    const rc = ctx.kind === 'badvers' ? RCODE.BADVERS : rcode;
    stats.record(ctx.zoneSlot, q.qtype, rc, transport === 'tcp', timed ? (performance.now() - t0) / 1000 : -1);
    if (sampleEvery > 0 && ++ctx.sampleCounter >= sampleEvery) {
      ctx.sampleCounter = 0;
      logQuery(q, peer, rc, transport);
    }
    // Counted above as the query it is; gslb_rrl_responses_total says what was held back.
    const reply =
      limiter !== null && transport === 'udp' && !ctx.cookieGenuine && ctx.trace === null
        ? limited(out, msg, q, rcode, peer)
        : out;
    // What the client sent and got (a traced query is not traffic); off, one null check.
    if (dnstap !== null && ctx.trace === null) dnstap.record(msg, reply, peer, transport);
    return reply;
  }

  /**
   * The reply as response rate limiting lets it go: whole, slipped (truncated, so a real client retries
   * over TCP) or null (dropped). Counted per client prefix and response class (see docs/security.md).
   */
  function limited(out: Buffer, msg: Buffer, q: ParsedQuery, rcode: number, peer: Peer): Buffer | null {
    if (!source.update(peer)) return out;
    const v4 = source.family === 4;
    if (exempt !== null && (v4 ? exempt.has4(source.v4) : exempt.has6(source.bytes))) return out;
    let cls: number;
    let key = ctx.rrlName;
    if (ctx.kind !== 'ok' || (rcode !== 0 && rcode !== 3)) cls = RRL_CLASS.error;
    else if (rcode === 3) {
      cls = RRL_CLASS.nxdomain;
      key = ctx.zoneKey;
    } else if (((out[6]! << 8) | out[7]!) > 0) cls = RRL_CLASS.answer;
    else if ((out[2]! & 0x04) !== 0) cls = RRL_CLASS.nodata;
    else {
      cls = RRL_CLASS.referral;
      key = ctx.zoneKey;
    }
    const t = now();
    const verdict = v4
      ? limiter!.check4(source.v4, cls, key, q.qtype, t)
      : limiter!.check6(source.bytes, cls, key, q.qtype, t);
    if (verdict === RRL_SEND) return out;
    const slip = verdict === RRL_SLIP;
    // RRL_ACTIONS: dropped, slipped, would-drop, would-slip.
    stats.guards[rrlSlot(cls, (slip ? 1 : 0) + (logOnly ? 2 : 0))]!++;
    if (logOnly) return out;
    return slip ? slippedReply(out, msg, q, ctx) : null;
  }

  /** The query's COOKIE (RFC 7873): our server cookie checked, the one to send back written into ctx. */
  function answerCookie(msg: Buffer, q: ParsedQuery, peer: Peer): void {
    if (!source.update(peer)) return;
    const nowSec = Math.floor(now() / 1000);
    const c = ctx.cookieBytes;
    const at = q.cookieStart;
    for (let i = 0; i < 8; i++) c[i] = msg[at + i]!;
    let result = COOKIE_NEW;
    if (q.cookieLength > 8) {
      const check = cookies!.check(msg, at, at + 8, q.cookieLength - 8, source.bytes, nowSec);
      result = check === 'valid' ? COOKIE_VALID : check === 'stale' ? COOKIE_STALE : COOKIE_INVALID;
    }
    stats.guards[cookieSlot(result)]!++;
    if (result === COOKIE_VALID) {
      // Ours and fresh: echoed as it came (RFC 9018 section 4.3 lets a server reuse it).
      for (let i = 8; i < 24; i++) c[i] = msg[at + i]!;
    } else cookies!.make(msg, at, source.bytes, nowSec, c, 8);
    ctx.cookieGenuine = result === COOKIE_VALID || result === COOKIE_STALE;
    ctx.cookie = c;
  }

  function logQuery(q: ParsedQuery, peer: Peer, rcode: number, transport: Transport): void {
    const ecs = q.ecs ? `${formatIp(padAddress(q.ecs.address, q.ecs.family))}/${q.ecs.sourcePrefix}` : null;
    opts.log.info(
      {
        query: nameToText(Buffer.from(q.qkey, 'latin1')),
        qtype: q.qtype,
        client: peer.address,
        ecs,
        transport,
        rcode,
        datacenter: ctx.datacenter,
        decision: ctx.outcome,
      },
      'query',
    );
  }

  function handle(msg: Buffer, peer: Peer, transport: Transport): Buffer | null {
    const d = ctx.decoder.decode(msg);
    ctx.kind = d.kind;
    try {
      // Inside the catch: a failure here is a SERVFAIL and a log line like any other, never a throw.
      if (cookies !== null && d.kind !== 'drop' && d.query.cookieStart >= 0) answerCookie(msg, d.query, peer);
      switch (d.kind) {
        case 'drop':
          return null;
        case 'notimp':
          return errorReply(msg, d.query, RCODE.NOTIMP, d.questionOk, true, ctx);
        case 'formerr':
          return errorReply(msg, d.query, RCODE.FORMERR, d.questionOk, d.ednsOk, ctx);
        case 'badvers':
          return errorReply(msg, d.query, RCODE.BADVERS, true, true, ctx);
        case 'ok':
          return answer(msg, d.query, peer, transport === 'tcp');
      }
    } catch (err) {
      // One top-level catch: anything thrown becomes SERVFAIL, a log line and a counter; nothing the
      // failed answer had set (an ECS scope, an EDE) goes into it.
      stats.errors++;
      opts.log.error({ err }, 'query failed');
      if (d.kind === 'drop') return null;
      ctx.clearOpt();
      try {
        return errorReply(msg, d.query, RCODE.SERVFAIL, d.kind === 'ok', false, ctx);
      } catch {
        return null;
      }
    }
  }

  function trace(msg: Buffer, peer: Peer, transport: Transport): { reply: Buffer | null; trace: QueryTrace } {
    const t = newTrace();
    ctx.trace = t;
    try {
      return { reply: handleQuery(msg, peer, transport), trace: t };
    } finally {
      ctx.trace = null;
    }
  }

  return { handleQuery, stats, trace };
}
