// The soak's query mix: every query the load generator sends is one of these, encoded once (the
// generator copies the bytes and patches the ID). Each kind says what a correct reply looks like, so
// a reply is checked as well as counted.
import dnsPacket from 'dns-packet';
import { APEX } from './zone-files.js';

/** What a correct reply to a kind is: records in the answer, NOERROR with none, or NXDOMAIN. */
export type Expect = 'answer' | 'nodata' | 'nxdomain';

/** The groups the summary reports by. */
export const GROUPS = ['static', 'lb', 'lb-ecs', 'nxdomain', 'nodata'] as const;
export type Group = (typeof GROUPS)[number];

export interface QueryKind {
  readonly label: string;
  readonly group: Group;
  readonly expect: Expect;
  /** Share of the mix, in per mille. */
  readonly weight: number;
  /** The RRL response class it falls in (positive answers per name and type, NXDOMAIN per zone). */
  readonly rrlClass: string;
  readonly bytes: Buffer;
}

interface Spec {
  name: string;
  type: 'A' | 'AAAA' | 'MX' | 'SOA' | 'TXT';
  group: Group;
  expect: Expect;
  weight: number;
  ecs?: string;
  noEdns?: boolean;
}

// ECS subnets in Europe, North America and Oceania (the bundled DB-IP database places them): the geo
// name answers each from a different first datacenter.
const EU = '81.2.69.0';
const NA = '8.8.8.0';
const OC = '1.1.1.0';

const nx = (i: number): Spec => ({ name: `nx${i}`, type: 'A', group: 'nxdomain', expect: 'nxdomain', weight: 12.5 });

const SPECS: readonly Spec[] = [
  { name: 'mail', type: 'A', group: 'static', expect: 'answer', weight: 50 },
  { name: 'mail', type: 'A', group: 'static', expect: 'answer', weight: 30, noEdns: true },
  { name: 'mail', type: 'AAAA', group: 'static', expect: 'answer', weight: 50 },
  { name: '@', type: 'MX', group: 'static', expect: 'answer', weight: 50 },
  { name: '@', type: 'SOA', group: 'static', expect: 'answer', weight: 40 },
  { name: '@', type: 'TXT', group: 'static', expect: 'answer', weight: 30 },
  { name: 'ns1', type: 'A', group: 'static', expect: 'answer', weight: 50 },
  { name: 'alias', type: 'A', group: 'lb', expect: 'answer', weight: 50 }, // a CNAME to www, chased
  { name: 'www', type: 'A', group: 'lb', expect: 'answer', weight: 50 },
  { name: 'www', type: 'A', group: 'lb-ecs', expect: 'answer', weight: 40, ecs: EU },
  { name: 'www', type: 'A', group: 'lb-ecs', expect: 'answer', weight: 30, ecs: NA },
  { name: 'www', type: 'A', group: 'lb-ecs', expect: 'answer', weight: 30, ecs: OC },
  { name: 'www', type: 'AAAA', group: 'lb', expect: 'answer', weight: 40 },
  { name: 'www', type: 'AAAA', group: 'lb-ecs', expect: 'answer', weight: 30, ecs: EU },
  { name: 'www', type: 'AAAA', group: 'lb-ecs', expect: 'answer', weight: 30, ecs: OC },
  { name: 'api', type: 'A', group: 'lb', expect: 'answer', weight: 80 },
  { name: 'fo', type: 'A', group: 'lb', expect: 'answer', weight: 60 },
  { name: 'fo', type: 'A', group: 'lb-ecs', expect: 'answer', weight: 60, ecs: EU },
  ...[0, 1, 2, 3, 4, 5, 6, 7].map(nx),
  { name: 'mail', type: 'TXT', group: 'nodata', expect: 'nodata', weight: 40 },
  { name: 'api', type: 'TXT', group: 'nodata', expect: 'nodata', weight: 30 },
  { name: 'ns1', type: 'AAAA', group: 'nodata', expect: 'nodata', weight: 30 },
];

const fqdn = (name: string) => (name === '@' ? APEX : `${name}.${APEX}`);

function encode(spec: Spec): Buffer {
  const packet: dnsPacket.Packet = { type: 'query', id: 0, questions: [{ name: fqdn(spec.name), type: spec.type }] };
  if (!spec.noEdns)
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: spec.ecs ? [{ code: 8 as const, ip: spec.ecs, sourcePrefixLength: 24, scopePrefixLength: 0 }] : [],
      },
    ];
  return dnsPacket.encode(packet);
}

function kind(spec: Spec): QueryKind {
  const extras = [spec.ecs ? `ECS ${spec.ecs}/24` : '', spec.noEdns ? 'no EDNS' : ''].filter(Boolean).join(', ');
  return {
    label: `${fqdn(spec.name)} ${spec.type}${extras ? ` (${extras})` : ''}`,
    group: spec.group,
    expect: spec.expect,
    weight: spec.weight,
    rrlClass: spec.expect === 'nxdomain' ? `nxdomain ${APEX}` : `${fqdn(spec.name)} ${spec.type}`,
    bytes: encode(spec),
  };
}

/** The legitimate clients' mix. */
export const MIX: readonly QueryKind[] = SPECS.map(kind);

/** What the flood asks: a name the legitimate clients ask too, so the limit must tell them apart by prefix. */
export const FLOOD_KIND: QueryKind = kind({ name: 'mail', type: 'A', group: 'static', expect: 'answer', weight: 0 });

/** The largest share of the mix (0..1) that falls in one RRL response class. */
export function largestClassShare(mix: readonly QueryKind[] = MIX): number {
  const by = new Map<string, number>();
  let total = 0;
  for (const k of mix) {
    by.set(k.rrlClass, (by.get(k.rrlClass) ?? 0) + k.weight);
    total += k.weight;
  }
  return Math.max(...by.values()) / total;
}

/** 1000 kind indices in proportion to their weights: a draw is one table read. */
export function drawTable(mix: readonly QueryKind[] = MIX): Uint8Array {
  const total = mix.reduce((s, k) => s + k.weight, 0);
  const table = new Uint8Array(1000);
  let at = 0;
  let acc = 0;
  mix.forEach((k, i) => {
    acc += k.weight;
    const end = Math.round((acc / total) * 1000);
    table.fill(i, at, end);
    at = end;
  });
  return table;
}
