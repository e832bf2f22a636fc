// CHAOS-class identity queries: id.server and hostname.bind name the node; version.bind and
// version.server answer only when the operator configured a version string.
import { keyOfWire, type DnsName } from '../zones/name.js';
import { CLASS, QTYPE, RCODE } from '../zones/dns.js';
import type { Sections } from '../zones/records.js';

function key(text: string): string {
  const labels = text.split('.');
  return keyOfWire(
    Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]),
  );
}

const IDENTITY = new Set([key('id.server'), key('hostname.bind')]);
const VERSION = new Set([key('version.server'), key('version.bind')]);

function txtRdata(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (bytes.length === 0) break;
  }
  return parts;
}

export interface ChaosConfig {
  readonly identity: string;
  /** null: version queries are refused. */
  readonly version: string | null;
}

/** The CHAOS answer for qkey/qtype, or null when the query must be refused. */
export function chaosAnswer(qkey: string, qtype: number, cfg: ChaosConfig): Sections | null {
  if (qtype !== QTYPE.TXT && qtype !== QTYPE.ANY) return null;
  let text: string | null = null;
  if (IDENTITY.has(qkey)) text = cfg.identity;
  else if (VERSION.has(qkey)) text = cfg.version;
  if (text === null) return null;
  const owner: DnsName | null = null;
  return {
    rcode: RCODE.NOERROR,
    aa: false, // not authoritative data, as Knot and NSD answer it
    answer: [{ owner, type: QTYPE.TXT, klass: CLASS.CH, ttl: 0, rdata: txtRdata(text) }],
    authority: [],
    additional: [],
    requiredAdditional: 0,
  };
}
