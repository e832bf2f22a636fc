// The decision path for one query, computed by the same loader, pipeline and decide()
// as `gslb serve`: client address used, location and its database, region and why, candidates with
// health, the policy step that chose, and the final records with TTL and ECS scope.
import type dnsPacket from 'dns-packet';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { databaseOf, locate, type GeoData } from '../../geo/geoip.js';
import { formatIp, maskBytes, parseIp, unmapIpv4 } from '../../zones/address.js';
import { FLAGS2, rcodeName } from '../../zones/dns.js';
import { nameToText, parseName } from '../../zones/name.js';
import { findZone, type Catalog } from '../catalog.js';
import { classifyAddress } from '../gslb/classify.js';
import type { Decision } from '../gslb/decide.js';
import type { DatacenterLoad } from '../gslb/select.js';
import { matchCidr, matchLocation } from '../gslb/regions.js';
import { silentLogger } from '../log.js';
import { createPipeline } from '../pipeline.js';
import type { HealthView } from '../../health/view.js';
import { NO_STEERING, type SteeringView } from '../gslb/steering-types.js';

// dns-packet is loaded on first use, not by every server that imports this module (~1.6 MiB resident).
const require = createRequire(import.meta.url);
const packets = (): typeof dnsPacket => require('dns-packet') as typeof dnsPacket;

/** A request explain cannot take (bad client address or name): the CLI shows it as a usage error, the admin API as 400. */
export class ExplainRequestError extends Error {}

export interface ExplainRequest {
  readonly name: string;
  readonly type: string;
  /** IP or IP/PREFIX: with a prefix it is sent as EDNS Client Subnet, without it is the resolver's address. */
  readonly client: string;
}

export interface Explanation {
  query: { name: string; type: string };
  client: { address: string; source: 'ecs' | 'resolver'; prefix: number | null; used: string };
  location: null | {
    country: string | null;
    continent: string | null;
    subdivisions: readonly string[];
    city: string | null;
    lat: number | null;
    lon: number | null;
    coordinates: string;
    database: string | null;
    network: string | null;
  };
  loadBalanced: boolean;
  region: { name: string | null; why: string } | null;
  policy: string | null;
  candidates: Array<{
    datacenter: string;
    endpoints: Array<{ address: string; up: boolean; drained: boolean; reason: string }>;
    usable: number;
    figure: number | null;
    /** The usable endpoints' load figures (connections, capacity, utilisation, bandwidth, RTT). */
    load: DatacenterLoad;
  }>;
  /** Shed load in effect for the chosen datacenter, if any. */
  shed: { from: string; to: string; share: number } | null;
  chosen: string | null;
  outcome: string | null;
  steps: readonly string[];
  rcode: string;
  answer: string[];
  authority: string[];
  ttl: number | null;
  scope: number | null;
}

function rrLine(a: dnsPacket.Answer): string {
  const data = (a as { data?: unknown }).data;
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `${a.name}. ${(a as { ttl?: number }).ttl ?? 0} IN ${a.type} ${text}`;
}

/** Explains one query against a compiled catalog and a health view. */
export function explainQuery(
  catalog: Catalog,
  geo: GeoData,
  health: HealthView,
  req: ExplainRequest,
  rng: () => number = Math.random,
  /** The node's steering state (margin choices, shed shares): what its answers are made with. */
  steering: SteeringView = NO_STEERING,
): Explanation {
  const [addrText, prefixText] = req.client.split('/');
  const parsed = parseIp(addrText ?? '');
  if (!parsed) throw new ExplainRequestError(`--client '${req.client}' is not an IP address or IP/PREFIX`);
  const max = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? null : Number(prefixText);
  if (prefix !== null && (!Number.isInteger(prefix) || prefix < 0 || prefix > max))
    throw new ExplainRequestError(`--client prefix must be 0-${max}`);
  const qname = parseName(req.name.endsWith('.') ? req.name : req.name + '.', null);
  if (!qname.ok) throw new ExplainRequestError(`'${req.name}' is not a domain name: ${qname.error}`);
  const type = req.type.toUpperCase();

  // The answer: exactly what serve sends, from the same pipeline.
  const pipeline = createPipeline(() => catalog, {
    nsid: null,
    chaos: { identity: 'explain', version: null },
    log: silentLogger,
    health: () => health,
    steering: () => steering,
    rng,
  });
  const packet: dnsPacket.Packet = {
    type: 'query',
    id: 1,
    questions: [{ name: req.name, type: type as dnsPacket.RecordType }],
  };
  let peerAddress = addrText!;
  if (prefix !== null) {
    const net = maskBytes(parsed.bytes, prefix);
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        options: [
          {
            code: 8,
            family: parsed.family === 4 ? 1 : 2,
            sourcePrefixLength: prefix,
            scopePrefixLength: 0,
            ip: formatIp(net),
          } as never,
        ],
      } as never,
    ];
    peerAddress = '127.0.0.1';
  }
  const query = packets().encode(packet);
  const peerFamily = parseIp(peerAddress)!.family;
  const { reply, trace } = pipeline.trace(query, { address: peerAddress, port: 53, family: peerFamily }, 'tcp');
  if (!reply) throw new Error('the pipeline dropped the query');
  const decoded = packets().decode(reply);
  const opt = (decoded.additionals ?? []).find((a) => a.type === 'OPT') as
    { options?: Array<{ code: number; scopePrefixLength?: number }> } | undefined;
  const ecs = opt?.options?.find((o) => o.code === 8);
  const answers = decoded.answers ?? [];

  // The reasoning: the same client resolution, location, class and decide() as the hot path.
  const client = unmapIpv4(
    prefix === null ? parsed : { family: parsed.family, bytes: maskBytes(parsed.bytes, prefix) },
  );
  const loc = locate(geo, client.family, client.bytes);
  // Which database answered and over which network: read off the compiled trie, no file is opened.
  const db = databaseOf(geo, loc.locationId);
  const out: Explanation = {
    query: { name: nameToText(qname.name.wire), type },
    client: { address: req.client, source: prefix === null ? 'resolver' : 'ecs', prefix, used: formatIp(client.bytes) },
    location: loc.location
      ? {
          ...loc.location,
          database: db ? basename(db.path) : null,
          network: db ? `${formatIp(maskBytes(client.bytes, loc.prefix))}/${loc.prefix}` : null,
        }
      : null,
    loadBalanced: false,
    region: null,
    policy: null,
    candidates: [],
    shed: null,
    chosen: null,
    outcome: null,
    steps: [],
    rcode: rcodeName(reply[3]! & FLAGS2.RCODE_MASK),
    answer: answers.map(rrLine),
    authority: (decoded.authorities ?? []).map(rrLine),
    ttl: answers.length > 0 ? ((answers[answers.length - 1] as { ttl?: number }).ttl ?? null) : null,
    scope: ecs ? (ecs.scopePrefixLength ?? 0) : null,
  };

  // Follow CNAMEs to the load-balanced name that decided, if any.
  let key = qname.name.key;
  for (let hop = 0; hop < 9; hop++) {
    const zone = findZone(catalog, key);
    const node = zone?.nodes.get(key);
    if (!zone || !node) break;
    if (node.lb) {
      const lb = node.lb;
      const family: 4 | 6 = type === 'AAAA' ? 6 : 4;
      const classId = classifyAddress(lb.classifier, client.family, client.bytes);
      const cls = lb.classOf(classId);
      if (lb.classifier?.kind === 'regions') {
        const cidr = matchCidr(lb.classifier.regions, client.family, client.bytes);
        out.region = cidr
          ? { name: cidr.region.name, why: `cidr ${cidr.cidr}` }
          : (() => {
              const m = matchLocation(lb.classifier!.regions, loc.location);
              return { name: m.region?.name ?? null, why: m.why };
            })();
      } else if (lb.classifier?.kind === 'nearest') {
        out.region = {
          name: null,
          why: cls?.nearest
            ? `nearest by distance from ${loc.location?.lat}, ${loc.location?.lon}`
            : 'location unknown: default order',
        };
      }
      // The decision the reply was made from (no second draw); decided afresh only for a type the
      // name does not decide (explain still shows its A decision).
      const d: Decision =
        trace.lb?.answerer === lb
          ? trace.lb.decision
          : lb.decision(classId, family, client.bytes, health, steering, Date.now(), rng);
      out.loadBalanced = true;
      out.policy = lb.name.policy;
      out.candidates = d.candidates.map((c) => ({
        datacenter: c.datacenter,
        endpoints: c.endpoints.map((e) => ({
          address: e.endpoint.address,
          up: e.health.up,
          drained: e.drained,
          reason: e.drained ? 'drained' : e.health.reason,
        })),
        usable: c.usable,
        figure: c.figure,
        load: c.load,
      }));
      out.shed = d.shed && { from: d.shed.from, to: d.shed.to, share: d.shed.fraction };
      out.chosen = d.chosen;
      out.outcome = d.outcome;
      out.steps = d.steps;
      if (lb.name.policy === 'weighted')
        out.steps = [...d.steps, 'weighted: each query draws again; the answer above is one draw'];
      break;
    }
    const cname = zone.zone.nodes.get(key)?.rrsets.get(5);
    const target = cname?.records[0]?.rdata[0];
    if (!target || Buffer.isBuffer(target)) break;
    key = target.key;
  }
  return out;
}

export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  const col = (k: string, v: string) => lines.push(`${(k + ':').padEnd(12)}${v}`);
  col('query', `${e.query.name} ${e.query.type}`);
  col(
    'client',
    `${e.client.used} (${e.client.source === 'ecs' ? `EDNS Client Subnet /${e.client.prefix}` : "resolver's source address"})`,
  );
  if (e.location) {
    const l = e.location;
    const where = [l.city, l.subdivisions.join(' '), l.country, l.continent].filter((x) => x).join(', ');
    col('location', `${where || 'no country'}${l.lat !== null ? ` (${l.lat}, ${l.lon}; ${l.coordinates})` : ''}`);
    col('database', `${l.database ?? '?'} network ${l.network ?? '?'}`);
  } else col('location', 'unknown (no database has this address)');
  if (e.loadBalanced) {
    if (e.region) col('region', `${e.region.name ?? '(none)'}: ${e.region.why}`);
    col('policy', e.policy ?? '');
    lines.push('candidates:');
    e.candidates.forEach((c, i) => {
      const eps = c.endpoints
        .map(
          (x) =>
            `${x.address} ${x.up && !x.drained ? 'up' : 'DOWN'}${x.reason && x.reason !== 'up' ? ` (${x.reason})` : ''}`,
        )
        .join(', ');
      lines.push(
        `  ${i + 1}. ${c.datacenter.padEnd(12)} ${c.usable}/${c.endpoints.length} usable${c.figure !== null ? `, figure ${c.figure}` : ''}${eps ? ': ' + eps : ''}`,
      );
      const load = loadLine(c.load);
      if (load) lines.push(`     load: ${load}`);
    });
    lines.push('decision:');
    for (const s of e.steps) lines.push(`  - ${s}`);
    col('outcome', `${e.outcome}${e.chosen ? ` (${e.chosen})` : ''}`);
  } else col('static', 'not load-balanced: answered from the zone data');
  col('rcode', e.rcode);
  lines.push('answer:');
  for (const a of e.answer) lines.push(`  ${a}`);
  if (e.answer.length === 0) for (const a of e.authority) lines.push(`  (authority) ${a}`);
  col('ttl', e.ttl === null ? '-' : String(e.ttl));
  col('ecs scope', e.scope === null ? '- (no ECS in the query)' : `/${e.scope}`);
  return lines.join('\n') + '\n';
}

/** A datacenter's figures for people: "120 connections of 500 (24%), 1.2 MB/s, RTT 3.1 ms". */
function loadLine(l: DatacenterLoad): string {
  const parts: string[] = [];
  if (l.connections !== null)
    parts.push(
      `${round1(l.connections)} connections${l.capacity !== null ? ` of ${l.capacity}` : ''}${l.utilisation !== null ? ` (${round1(l.utilisation * 100)}%)` : ''}`,
    );
  if (l.bandwidthBps !== null) parts.push(`${round1(l.bandwidthBps / 1e6)} MB/s`);
  if (l.rttMs !== null) parts.push(`RTT ${round1(l.rttMs)} ms`);
  return parts.join(', ');
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
