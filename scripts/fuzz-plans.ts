// Turns fuzz cases into what the drivers send: datagrams and TCP sessions for the plain listener and
// for the PROXY listener (a header, valid or not, in front), each with what the server must do.
import { expectsReply, FuzzGenerator, tcpMessages, type FuzzCase, type TcpSession } from './fuzz-packets.js';
import type { Datagram, Probe, TcpPlan } from './fuzz-drivers.js';
import { LOOPBACK_SOURCE, modelProxy, ProxyGenerator, type ProxyCase } from './fuzz-proxy.js';

/** The header's fixed part: signature, version and command, family, length. */
const PROXY_FIXED = 16;
const VALID_HEADERS = new Set(['proxy-valid-v4', 'proxy-valid-v6', 'proxy-tlv']);
/** Session kinds whose stream ends in bytes that are no message (they count one packet more). */
const GARBAGE_TAIL = new Set(['bad-length', 'big-length', 'half', 'random']);

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class PlanMaker {
  /** Fuzz cases by kind (the first part of a combined kind such as 'ptr-q-self+bitflip'), over every transport. */
  readonly caseKinds = new Map<string, number>();
  /** PROXY headers by kind. */
  readonly proxyKinds = new Map<string, number>();
  private readonly proxy: ProxyGenerator;

  constructor(readonly gen: FuzzGenerator) {
    this.proxy = new ProxyGenerator(gen);
  }

  private nextCase(): FuzzCase {
    const c = this.gen.case();
    count(this.caseKinds, c.kind.split('+')[0]!);
    return c;
  }

  private probe(c: FuzzCase, dns: Buffer, exact: boolean): Probe {
    const cookie = this.gen.structured.cookie;
    return {
      kind: c.kind,
      dns,
      expect: expectsReply(dns) ? 'reply' : 'silence',
      ...(exact && c.rcodes ? { rcodes: c.rcodes } : {}),
      ...(exact && c.kind === 'cookie-server-real' && cookie ? { realCookie: cookie.server } : {}),
    };
  }

  /** A datagram for the plain listener. */
  udp(): Datagram {
    const c = this.nextCase();
    return { ...this.probe(c, c.bytes, true), bytes: c.bytes, idAt: c.bytes.length >= 2 ? 0 : -1 };
  }

  private header(c: FuzzCase | null, tcp: boolean): ProxyCase {
    const h = this.proxy.header(tcp);
    count(this.proxyKinds, h.kind);
    // A real server cookie is bound to the address it was given to: send it as from that address.
    if (c?.kind === 'cookie-server-real' && VALID_HEADERS.has(h.kind)) {
      return { ...h, header: this.proxy.headerFor(LOOPBACK_SOURCE, tcp) };
    }
    return h;
  }

  /** A datagram for the PROXY listener: a header (valid or a mutant) and a fuzz case behind it. */
  proxyUdp(): Datagram {
    const c = this.nextCase();
    const h = this.header(c, false);
    const bytes = Buffer.concat([h.header, c.bytes]);
    const caseAt = h.header.length;
    const v = h.foreign ? ({ verdict: 'silence' } as const) : modelProxy(bytes, false);
    if (v.verdict === 'silence') {
      // Stamp the case's ID anyway, so a reply that should not exist is matched to it; but not inside
      // the header's fixed part (a truncated header), where the stamp would change the verdict.
      const idAt = c.bytes.length >= 2 && caseAt >= PROXY_FIXED ? caseAt : -1;
      return { kind: `${h.kind} ${c.kind}`, dns: null, expect: 'silence', bytes, idAt, foreign: h.foreign };
    }
    const dns = bytes.subarray(v.at);
    // A header that lies about its length moves where the DNS message starts: the case's rules no longer hold.
    const p = this.probe(c, dns, v.at === caseAt);
    return { ...p, kind: `${h.kind} ${c.kind}`, bytes, idAt: dns.length >= 2 ? v.at : -1 };
  }

  private session(s: TcpSession, header: ProxyCase | null): TcpPlan {
    const prefix = header?.header ?? Buffer.alloc(0);
    const bytes = prefix.length > 0 ? Buffer.concat([prefix, s.stream]) : s.stream;
    const packets = s.cases.size + (GARBAGE_TAIL.has(s.kind) ? 1 : 0);
    const kind = header ? `${header.kind} ${s.kind}` : s.kind;
    const cuts = s.cuts.map((c) => c + prefix.length);
    // Now and then the header itself arrives in two pieces, as a slow or fragmented proxy may send it.
    if (prefix.length > 1 && this.gen.chance(0.3)) cuts.unshift(1 + this.gen.int(prefix.length - 1));
    const base = { kind, session: s.kind, bytes, cuts, abort: s.abort, packets };
    let at = 0;
    if (header) {
      const v = header.foreign ? ({ verdict: 'silence' } as const) : modelProxy(bytes, true);
      if (v.verdict === 'silence') return { ...base, foreign: header.foreign, answered: [], silent: true };
      at = v.at;
    }
    const shift = at - prefix.length;
    const answered = tcpMessages(bytes.subarray(at)).answered.map((m) => {
      const c = s.cases.get(m.at + shift);
      return this.probe(c ?? { kind: s.kind, bytes: m.bytes }, m.bytes, c !== undefined && shift === 0);
    });
    return { ...base, foreign: false, answered, silent: false };
  }

  /** A scripted session for the plain listener. */
  tcp(): TcpPlan {
    const s = this.gen.tcpSession();
    for (const c of s.cases.values()) count(this.caseKinds, c.kind.split('+')[0]!);
    return this.session(s, null);
  }

  /** A scripted session for the PROXY listener: a header at the start of the connection, then the stream. */
  proxyTcp(): TcpPlan {
    const s = this.gen.tcpSession();
    for (const c of s.cases.values()) count(this.caseKinds, c.kind.split('+')[0]!);
    const real = [...s.cases.values()].find((c) => c.kind === 'cookie-server-real') ?? null;
    return this.session(s, this.header(real, true));
  }
}
