// Strict checks of one reply against the query it answers: the wire parses exactly (names, pointers
// strictly backwards, RDATA of the common types, OPT), the header and question echo the query, and
// it fits the client's size limit. Violations are named, so a run counts them by name.
import dnsPacket from 'dns-packet';
import { EDNS_OPTION, FLAGS1, QTYPE, RCODE } from '../zones/dns.js';
import { clientLimit, HEADER, OPT_TYPE, viewQuery, type QueryView } from './fuzz-wire.js';

/** Our UDP payload size (server/encode.ts OUR_UDP_PAYLOAD): no UDP reply should be larger. */
export const SERVER_UDP_CAP = 1232;

export type Transport = 'udp' | 'tcp';

export interface Violation {
  /** A short stable name ('oversize', 'question-echo', 'malformed', ...). */
  readonly name: string;
  readonly detail: string;
}

/** What a reply said, for counting. */
export interface ReplyFacts {
  readonly rcode: number;
  readonly tc: boolean;
  readonly answers: number;
  /** The reply's server cookie (after the 8-octet client cookie), when it carries a COOKIE option. */
  readonly serverCookie: Buffer | null;
}

export type CheckResult = { ok: true; facts: ReplyFacts } | { ok: false; violation: Violation };

class Malformed extends Error {}

function fail(detail: string): never {
  throw new Malformed(detail);
}

/**
 * Reads a name at start; returns the offset just past it in place. A pointer must point before the
 * start of the stretch of labels it ends and past the header (so the targets strictly decrease and
 * no loop can exist); labels are at most 63 octets and the whole name at most 255.
 */
function readName(msg: Buffer, start: number, limit: number): number {
  let p = start;
  let segment = start;
  let end = -1;
  let length = 1;
  for (;;) {
    if (p >= limit) fail(`name at ${start} runs past its bounds`);
    const len = msg[p]!;
    if (len === 0) return end < 0 ? p + 1 : end;
    if ((len & 0xc0) === 0xc0) {
      if (p + 2 > limit) fail(`pointer at ${p} cut short`);
      const target = ((len & 0x3f) << 8) | msg[p + 1]!;
      if (target >= segment || target < HEADER) fail(`pointer at ${p} to ${target} (not backwards into the body)`);
      if (end < 0) end = p + 2;
      p = segment = target;
      // The name goes on elsewhere in the message, outside the record's bounds.
      limit = msg.length;
      continue;
    }
    if (len > 63) fail(`label type 0x${len.toString(16)} at ${p}`);
    length += len + 1;
    if (length > 255) fail(`name at ${start} longer than 255 octets`);
    p += len + 1;
  }
}

/** Checks the RDATA of types whose layout is fixed or holds names; other types only need to fit. */
function checkRdata(msg: Buffer, type: number, start: number, end: number): void {
  const exact = (n: number, what: string): void => {
    if (n !== end) fail(`${what} RDATA ends at ${n}, RDLENGTH says ${end}`);
  };
  const len = end - start;
  switch (type) {
    case QTYPE.A:
      if (len !== 4) fail(`A RDATA of ${len} octets`);
      return;
    case QTYPE.AAAA:
      if (len !== 16) fail(`AAAA RDATA of ${len} octets`);
      return;
    case QTYPE.NS:
    case QTYPE.CNAME:
    case QTYPE.PTR:
      exact(readName(msg, start, end), 'name');
      return;
    case QTYPE.MX:
      exact(readName(msg, start + 2, end), 'MX');
      return;
    case QTYPE.SRV:
      exact(readName(msg, start + 6, end), 'SRV');
      return;
    case QTYPE.SOA: {
      const rname = readName(msg, readName(msg, start, end), end);
      exact(rname + 20, 'SOA');
      return;
    }
    case QTYPE.TXT:
      for (let p = start; p < end; p += 1 + msg[p]!) if (p + 1 + msg[p]! > end) fail('TXT string overruns');
      return;
    case QTYPE.RRSIG:
      if (len < 18) fail(`RRSIG RDATA of ${len} octets`);
      if (readName(msg, start + 18, end) >= end) fail('RRSIG without a signature');
      return;
    case QTYPE.NSEC:
      if (readName(msg, start, end) > end) fail('NSEC next name overruns');
      return;
  }
}

interface OptFacts {
  rcodeHigh: number;
  cookie: Buffer | null;
  ecs: { family: number; source: number; scope: number; address: Buffer } | null;
}

function readOpt(msg: Buffer, owner: number, rdata: number, end: number): OptFacts {
  if (msg[owner] !== 0 || owner + 1 !== rdata - 10) fail('OPT owner is not the root');
  const facts: OptFacts = { rcodeHigh: msg[rdata - 6]!, cookie: null, ecs: null };
  let o = rdata;
  while (o < end) {
    if (o + 4 > end) fail('truncated EDNS option in reply');
    const code = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    o += 4;
    if (o + len > end) fail('EDNS option overruns the reply OPT');
    if (code === EDNS_OPTION.COOKIE) {
      if (facts.cookie) fail('two COOKIE options in reply');
      facts.cookie = msg.subarray(o, o + len);
    } else if (code === EDNS_OPTION.ECS) {
      if (facts.ecs) fail('two ECS options in reply');
      if (len < 4) fail(`reply ECS option of ${len} octets`);
      facts.ecs = {
        family: msg.readUInt16BE(o),
        source: msg[o + 2]!,
        scope: msg[o + 3]!,
        address: msg.subarray(o + 4, o + len),
      };
    }
    o += len;
  }
  return facts;
}

interface Parsed {
  qd: number;
  questionEnd: number;
  an: number;
  optCount: number;
  opt: OptFacts | null;
}

/** Parses the whole reply strictly; throws Malformed. */
function parse(msg: Buffer): Parsed {
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  if (qd > 1) fail(`QDCOUNT ${qd}`);
  let p = HEADER;
  if (qd === 1) {
    p = readName(msg, p, msg.length);
    if (p + 4 > msg.length) fail('question cut short');
    p += 4;
  }
  const questionEnd = p;
  let optCount = 0;
  let opt: OptFacts | null = null;
  for (let i = 0; i < an + ns + ar; i++) {
    const owner = p;
    p = readName(msg, p, msg.length);
    if (p + 10 > msg.length) fail(`record ${i} cut short`);
    const type = msg.readUInt16BE(p);
    const rdlen = msg.readUInt16BE(p + 8);
    const rdata = p + 10;
    const end = rdata + rdlen;
    if (end > msg.length) fail(`record ${i} RDATA overruns the reply`);
    if (type === OPT_TYPE) {
      if (i < an + ns) fail(`OPT in the ${i < an ? 'answer' : 'authority'} section`);
      optCount++;
      opt = readOpt(msg, owner, rdata, end);
    } else checkRdata(msg, type, rdata, end);
    p = end;
  }
  if (p !== msg.length) fail(`${msg.length - p} octets after the last record`);
  return { qd, questionEnd, an, optCount, opt };
}

function violation(name: string, detail: string): CheckResult {
  return { ok: false, violation: { name, detail } };
}

/** How often replies are also decoded by dns-packet (a second, independent parser); 1 checks all. */
export const DNS_PACKET_EVERY = 8;
let decodeCounter = 0;

/**
 * Checks a reply to `query` received over `transport`. `rcodes`: the rcodes the query must get
 * (from generators that know), or undefined when any will do.
 */
export function checkReply(
  query: Buffer,
  reply: Buffer,
  transport: Transport,
  rcodes?: readonly number[],
  view: QueryView = viewQuery(query),
): CheckResult {
  if (reply.length < HEADER) return violation('short', `reply of ${reply.length} octets`);
  if ((reply[2]! & FLAGS1.QR) === 0) return violation('qr-clear', 'QR bit clear in reply');
  if (query.length >= 2 && reply.readUInt16BE(0) !== query.readUInt16BE(0)) return violation('id', 'reply ID differs');
  if (((reply[2]! >> 3) & 0x0f) !== ((query[2]! >> 3) & 0x0f)) return violation('opcode', 'opcode not echoed');
  let p: Parsed;
  try {
    p = parse(reply);
  } catch (err) {
    if (err instanceof Malformed) return violation('malformed', err.message);
    throw err;
  }
  if (++decodeCounter % DNS_PACKET_EVERY === 0) {
    try {
      dnsPacket.decode(reply);
    } catch (err) {
      return violation('dns-packet', `dns-packet cannot decode it: ${(err as Error).message}`);
    }
  }
  if (p.qd === 1 && (view.question === null || !reply.subarray(HEADER, p.questionEnd).equals(view.question))) {
    return violation('question-echo', 'question not the query question byte for byte');
  }
  if (p.qd === 0 && view.question !== null && (reply[3]! & 0x0f) !== RCODE.FORMERR) {
    return violation('question-echo', 'a parsable question not echoed');
  }
  if (transport === 'udp') {
    const limit = clientLimit(view);
    if (reply.length > limit)
      return violation('oversize', `UDP reply of ${reply.length} octets, client limit ${limit}`);
    if (reply.length > SERVER_UDP_CAP) return violation('over-cap', `UDP reply of ${reply.length} octets`);
  } else if (reply.length > 0xffff) return violation('oversize', `TCP reply of ${reply.length} octets`);
  if (p.optCount > 1) return violation('opt-count', `${p.optCount} OPT records`);
  if (p.opt !== null && view.edns === null) return violation('opt-unasked', 'OPT in a reply to a query without one');
  const tc = (reply[2]! & FLAGS1.TC) !== 0;
  if (tc && p.an > 0) return violation('tc-with-answers', `TC reply with ${p.an} answer records`);
  const rcode = (reply[3]! & 0x0f) | ((p.opt?.rcodeHigh ?? 0) << 4);
  if (rcodes !== undefined && !rcodes.includes(rcode)) {
    return violation('rcode', `rcode ${rcode}, expected ${rcodes.join(' or ')}`);
  }
  let serverCookie: Buffer | null = null;
  const cookie = p.opt?.cookie ?? null;
  if (cookie !== null) {
    if (cookie.length < 16 || cookie.length > 40) return violation('cookie', `reply COOKIE of ${cookie.length} octets`);
    if (view.clientCookie === null || !cookie.subarray(0, 8).equals(view.clientCookie)) {
      return violation('cookie', 'reply COOKIE does not echo the client cookie');
    }
    serverCookie = cookie.subarray(8);
  }
  const ecs = p.opt?.ecs ?? null;
  if (ecs !== null) {
    const asked = view.ecs;
    if (
      asked === null ||
      asked.family !== ecs.family ||
      asked.source !== ecs.source ||
      !asked.address.equals(ecs.address)
    ) {
      return violation('ecs-echo', 'reply ECS does not echo the query family, source prefix and address');
    }
    if (ecs.scope > (ecs.family === 1 ? 32 : 128)) return violation('ecs-echo', `reply ECS scope ${ecs.scope}`);
  }
  return { ok: true, facts: { rcode, tc, answers: p.an, serverCookie } };
}

/** Violations by name, with the first few samples (hex of query and reply) of each. */
export class Violations {
  readonly counts = new Map<string, number>();
  readonly samples: string[] = [];
  private readonly perName = new Map<string, number>();

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  add(name: string, detail: string, kind: string, transport: string, query?: Buffer, reply?: Buffer): void {
    const key = `${name}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const seen = this.perName.get(key) ?? 0;
    this.perName.set(key, seen + 1);
    if (seen < 3 && this.samples.length < 30) {
      this.samples.push(
        `${name} (${kind}, ${transport}): ${detail}` +
          (query ? `\n      query ${query.toString('hex').slice(0, 400)}` : '') +
          (reply ? `\n      reply ${reply.toString('hex').slice(0, 400)}` : ''),
      );
    }
  }

  summary(): string {
    if (this.counts.size === 0) return 'none';
    return [...this.counts].map(([k, v]) => `${k} ${v}`).join(', ');
  }
}
