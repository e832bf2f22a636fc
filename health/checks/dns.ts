// DNS check: one query over UDP; healthy when the reply's rcode is expected (NOERROR by default).
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import type dnsPacket from 'dns-packet';
import { createRequire } from 'node:module';
import type { ProbeResult, CheckSpec } from '../probe-types.js';
import { FLAGS1, FLAGS2, HEADER_LENGTH, rcodeName } from '../../zones/dns.js';
import { attempt, errorReason } from './common.js';

// dns-packet is loaded on first use, not by every server that imports this module (~1.6 MiB resident).
const require = createRequire(import.meta.url);
const packets = (): typeof dnsPacket => require('dns-packet') as typeof dnsPacket;

/** The query packet, or an error text when the question cannot be encoded. */
function buildQuery(spec: CheckSpec, id: number): Buffer | string {
  if (spec.query === null) return 'no query configured';
  // Generic TYPEnnn (RFC 3597) is spelled UNKNOWN_nnn in dns-packet.
  const generic = /^TYPE(\d+)$/i.exec(spec.qtype);
  const type = (generic ? `UNKNOWN_${generic[1]}` : spec.qtype.toUpperCase()) as dnsPacket.RecordType;
  let buf: Buffer;
  try {
    buf = packets().encode({ type: 'query', id, flags: 0, questions: [{ type, name: spec.query, class: 'IN' }] });
  } catch (err) {
    return `bad query: ${err instanceof Error ? err.message : String(err)}`;
  }
  // dns-packet encodes a type it does not know as 0 instead of failing.
  if (buf.readUInt16BE(buf.length - 4) === 0) return `unknown qtype ${spec.qtype}`;
  return buf;
}

export function dnsProbe(spec: CheckSpec, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(spec, signal, (finish, defer) => {
    const id = randomInt(0, 0x10000);
    const query = buildQuery(spec, id);
    if (typeof query === 'string') return finish(false, query);
    const socket = dgram.createSocket(net.isIPv6(spec.host) ? 'udp6' : 'udp4');
    defer(() => socket.close());
    socket.on('error', (err) => finish(false, errorReason(err)));
    socket.on('message', (msg) => {
      // A connected socket only hears from the target; stale or spoofed replies still fail the ID or QR test.
      if (msg.length < HEADER_LENGTH || msg.readUInt16BE(0) !== id || (msg[2]! & FLAGS1.QR) === 0) return;
      const rcode = msg[3]! & FLAGS2.RCODE_MASK;
      if (spec.expect.includes(rcode)) return finish(true, `DNS ${rcodeName(rcode)}`);
      finish(false, `DNS rcode ${rcodeName(rcode)} not in [${spec.expect.map(rcodeName).join(', ')}]`);
    });
    // Connecting makes an ICMP port-unreachable surface as ECONNREFUSED instead of a silent timeout.
    socket.connect(spec.port, spec.host, () => socket.send(query));
  });
}
