// The decision path for one query, from the same loader and pipeline as `gslb serve`: the query is
// asked with a trace switched on (query-bytes.ts), and everything shown comes from what the query path
// did and sent: the client it used, the class and why the client is in it (as the classifier's compile
// recorded it), the CNAME chain it followed, the Decision its reply was made from (no second draw),
// and the records, TTL and ECS scope read back from the reply's bytes (reply-text.ts). Asked with DO=1
// (`dnssec`), the reply's RRSIGs say whether the answer is signed and by which keys; without it, a
// signed zone's signing keys are named from its key state.
import { basename } from 'node:path';
import { databaseOf, locate, locateAsn, type GeoData } from '../../geo/geoip.js';
import { formatIp, maskBytes, parseIp, unmapIpv4 } from '../../zones/address.js';
import { rcodeName } from '../../zones/dns.js';
import { nameToText, parseName } from '../../zones/name.js';
import type { Catalog } from '../catalog.js';
import type { DatacenterLoad } from '../gslb/select.js';
import { silentLogger } from '../log.js';
import { createPipeline } from '../pipeline.js';
import type { HealthView } from '../../health/view.js';
import { NO_STEERING, type SteeringView } from '../gslb/steering-types.js';
import type { TracedDecision } from '../trace.js';
import { askTraced, parseQueryType } from './query-bytes.js';
import { readReply } from './reply-text.js';
import { typeName } from '../../zones/rdata.js';
import { ALGORITHM } from '../../zones/dnssec/types.js';

/** A request explain cannot take (bad client address, name or type): the CLI shows it as a usage error, the admin API as 400. */
export class ExplainRequestError extends Error {}

export interface ExplainRequest {
  readonly name: string;
  /** A type mnemonic (A, AAAA, MX, ANY, ...) or TYPEnnn; see parseQueryType. */
  readonly type: string;
  /** IP or IP/PREFIX: with a prefix it is sent as EDNS Client Subnet, without it is the resolver's address. */
  readonly client: string;
  /** Ask with DNSSEC OK (DO=1): the signed answer, and which keys signed it. */
  readonly dnssec?: boolean;
}

/** A DNSSEC key by its tag and algorithm. */
export interface KeyRef {
  readonly tag: number;
  /** The algorithm's mnemonic (ECDSAP256SHA256, ED25519), else its number. */
  readonly algorithm: string;
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
  /** The client's autonomous system, when an ASN database is loaded (regions may match it: `asns`). */
  asn: null | { number: number | null; database: string | null; network: string | null };
  /** Whether a load-balanced name decided this answer (asked directly, or at the end of a CNAME chain). */
  loadBalanced: boolean;
  region: { name: string | null; why: string } | null;
  policy: string | null;
  candidates: Array<{
    datacenter: string;
    endpoints: Array<{
      address: string;
      up: boolean;
      drained: boolean;
      reason: string;
      /** The name's monitor checks on this endpoint: information, they never move the answer. */
      monitors: Array<{ check: string; up: boolean; reason: string }>;
    }>;
    usable: number;
    /** min_up: the usable endpoints it needs to serve the name (1 unless the name says more). */
    minUp: number;
    figure: number | null;
    /** The usable endpoints' load figures (connections, capacity, utilisation, bandwidth, RTT). */
    load: DatacenterLoad;
  }>;
  /** Shed load in effect for the chosen datacenter, if any. */
  shed: { from: string; to: string; share: number } | null;
  /** A region tier's split decided the datacenter: the tier's healthy members and weights; null otherwise. */
  split: Array<{ datacenter: string; weight: number }> | null;
  /** spread: the datacenters the answer draws from, the chosen one first, and each one's places per answer. */
  spread: Array<{ datacenter: string; answers: number }> | null;
  chosen: string | null;
  outcome: string | null;
  steps: readonly string[];
  rcode: string;
  /** The reply's answer records as sent: `owner. TTL CLASS TYPE RDATA`. */
  answer: string[];
  authority: string[];
  ttl: number | null;
  scope: number | null;
  /** The CNAME records the query path followed to the load-balanced name that decided: "owner. -> target.". */
  cnames: string[];
  /** DNSSEC: null when the query was not asked with DO=1 and the zone is not signed. */
  dnssec: null | {
    /** The zone's keys that sign now: KSK signs DNSKEY/CDS/CDNSKEY, ZSK the rest, CSK both. */
    keys: Array<KeyRef & { role: 'KSK' | 'ZSK' | 'CSK' }>;
    /** Asked with DO=1: whether the reply carries signatures (null: not asked). */
    signed: boolean | null;
    /** The reply's RRSIGs (answer and authority): the type each covers and its key. */
    signatures: Array<KeyRef & { covers: string }>;
  };
}

const ALGORITHM_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ALGORITHM).map(([k, v]) => [v, k]));
const algorithmName = (n: number): string => ALGORITHM_NAMES.get(n) ?? String(n);

/** The signing keys of the zone that answered, null when it is not signed (or none answered). */
function signingKeys(catalog: Catalog, zoneName: string | null): NonNullable<Explanation['dnssec']>['keys'] | null {
  if (zoneName === null) return null;
  const state = [...catalog.zones.values()].find((z) => z.name === zoneName)?.zone.dnssec?.state;
  if (state === undefined) return null;
  const out: NonNullable<Explanation['dnssec']>['keys'] = [];
  for (const k of new Set([...state.ksks, ...state.zsks])) {
    const ksk = state.ksks.includes(k);
    const zsk = state.zsks.includes(k);
    out.push({ tag: k.tag, algorithm: algorithmName(k.algorithm), role: ksk && zsk ? 'CSK' : ksk ? 'KSK' : 'ZSK' });
  }
  return out;
}

/** The client text as parsed and checked: the address, and the ECS prefix when one is given. */
function parseClient(text: string): { family: 4 | 6; bytes: Buffer; prefix: number | null } {
  const [addrText, prefixText] = text.split('/');
  const parsed = parseIp(addrText ?? '');
  if (!parsed) throw new ExplainRequestError(`client '${text}' is not an IP address or IP/PREFIX`);
  const max = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? null : Number(prefixText);
  if (prefix !== null && (!Number.isInteger(prefix) || prefix < 0 || prefix > max))
    throw new ExplainRequestError(`client prefix must be 0-${max}`);
  return { family: parsed.family, bytes: parsed.bytes, prefix };
}

/** Region (or nearest order) and why, as the classifier put the client in its class. */
function regionOf(t: TracedDecision, location: Explanation['location']): Explanation['region'] {
  const classifier = t.answerer.classifier;
  if (classifier === null || t.reason === null) return null;
  if (classifier.kind === 'nearest') {
    const from = location && location.lat !== null ? ` from ${location.lat}, ${location.lon}` : '';
    return { name: null, why: t.answerer.classOf(t.classId)?.nearest ? `${t.reason.why}${from}` : t.reason.why };
  }
  return { name: t.answerer.classOf(t.classId)?.region?.name ?? null, why: t.reason.why };
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
  const asked = parseClient(req.client);
  const qname = parseName(req.name.endsWith('.') ? req.name : req.name + '.', null);
  if (!qname.ok) throw new ExplainRequestError(`'${req.name}' is not a domain name: ${qname.error}`);
  const type = req.type.toUpperCase();
  const qtype = parseQueryType(type);
  if (!qtype.ok) throw new ExplainRequestError(qtype.error);

  // The answer and the reasoning: one traced query through the same pipeline serve runs.
  const pipeline = createPipeline(() => catalog, {
    nsid: null,
    chaos: { identity: 'explain', version: null },
    log: silentLogger,
    health: () => health,
    steering: () => steering,
    rng,
  });
  const dnssec = req.dnssec === true;
  const { reply, trace } = askTraced(pipeline, qname.name.wire, qtype.value, asked, dnssec);
  const sent = readReply(reply);
  const keys = signingKeys(catalog, trace.zone);

  // The client the decision used (the pipeline's); for a static name, the address the query carries.
  const client =
    trace.client ??
    unmapIpv4({ family: asked.family, bytes: maskBytes(asked.bytes, asked.prefix ?? asked.bytes.length * 8) });
  const loc = locate(geo, client.family, client.bytes);
  // Which database answered and over which network: read off the compiled trie, no file is opened.
  const db = databaseOf(geo, loc.locationId);
  const location: Explanation['location'] = loc.location
    ? {
        ...loc.location,
        database: db ? basename(db.path) : null,
        network: db ? `${formatIp(maskBytes(client.bytes, loc.prefix))}/${loc.prefix}` : null,
      }
    : null;
  const asn = geo.asn === null ? null : locateAsn(geo, client.family, client.bytes);
  const out: Explanation = {
    query: { name: nameToText(qname.name.wire), type },
    client: {
      address: req.client,
      source: asked.prefix === null ? 'resolver' : 'ecs',
      prefix: asked.prefix,
      used: formatIp(client.bytes),
    },
    location,
    asn: asn && {
      number: asn.asn,
      database: asn.database ? basename(asn.database.path) : null,
      network: asn.database ? `${formatIp(maskBytes(client.bytes, asn.prefix))}/${asn.prefix}` : null,
    },
    loadBalanced: false,
    region: null,
    policy: null,
    candidates: [],
    shed: null,
    split: null,
    spread: null,
    chosen: null,
    outcome: null,
    steps: [],
    rcode: rcodeName(sent.rcode),
    answer: [...sent.answer],
    authority: [...sent.authority],
    ttl: sent.ttl,
    scope: sent.ecsScope,
    cnames: [],
    dnssec:
      keys === null && !dnssec
        ? null
        : {
            keys: keys ?? [],
            signed: dnssec ? sent.signatures.length > 0 : null,
            signatures: sent.signatures.map((x) => ({
              tag: x.tag,
              algorithm: algorithmName(x.algorithm),
              covers: typeName(x.covered),
            })),
          },
  };

  // A type the name does not decide (MX on a load-balanced name, a static name): no decision was made.
  const t = trace.lb;
  if (t === null) return out;
  const d = t.decision;
  out.loadBalanced = true;
  out.cnames = [...trace.cnames];
  out.region = regionOf(t, location);
  out.policy = d.policy;
  out.candidates = d.candidates.map((c) => ({
    datacenter: c.datacenter,
    endpoints: c.endpoints.map((e) => ({
      address: e.endpoint.address,
      up: e.health.up,
      drained: e.drained,
      reason: e.drained ? 'drained' : e.health.reason,
      monitors: e.monitors.map((m) => ({ check: m.check, up: m.health.up, reason: m.health.reason })),
    })),
    usable: c.usable,
    minUp: c.minUp,
    figure: c.figure,
    load: c.load,
  }));
  out.shed = d.shed && { from: d.shed.from, to: d.shed.to, share: d.shed.fraction };
  out.split = d.split ? d.split.map((x) => ({ ...x })) : null;
  out.spread = d.groups ? d.groups.map((g) => ({ datacenter: g.datacenter, answers: g.answers })) : null;
  out.chosen = d.chosen;
  out.outcome = d.outcome;
  out.steps =
    d.policy === 'weighted' ? [...d.steps, 'weighted: each query draws again; the answer above is one draw'] : d.steps;
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
  if (e.asn)
    col(
      'asn',
      e.asn.number === null
        ? 'unknown (no ASN database has this address)'
        : `${e.asn.number} (${e.asn.database ?? '?'} network ${e.asn.network ?? '?'})`,
    );
  if (e.loadBalanced) {
    for (const c of e.cnames) col('cname', c);
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
        `  ${i + 1}. ${c.datacenter.padEnd(12)} ${c.usable}/${c.endpoints.length} usable${c.minUp > 1 ? ` (min_up ${c.minUp})` : ''}${c.figure !== null ? `, figure ${c.figure}` : ''}${eps ? ': ' + eps : ''}`,
      );
      const load = loadLine(c.load);
      if (load) lines.push(`     load: ${load}`);
      for (const m of monitorLines(c.endpoints)) lines.push(`     ${m}`);
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
  if (e.dnssec) col('dnssec', dnssecLine(e.dnssec));
  return lines.join('\n') + '\n';
}

/** One line per monitor check: up, or the endpoints it finds down, said not to steer. */
function monitorLines(endpoints: Explanation['candidates'][number]['endpoints']): string[] {
  const down = new Map<string, string[]>();
  for (const e of endpoints)
    for (const m of e.monitors) {
      const list = down.get(m.check) ?? [];
      if (!m.up) list.push(`${e.address} down (${m.reason})`);
      down.set(m.check, list);
    }
  return [...down].map(([check, eps]) => `monitor ${check}: ${eps.length ? eps.join(', ') : 'up'} — does not steer`);
}

/** "signed by key 12345 (ECDSAP256SHA256)", or what the zone is signed with when not asked with DO=1. */
function dnssecLine(d: NonNullable<Explanation['dnssec']>): string {
  const keyText = (k: KeyRef) => `${k.tag} (${k.algorithm})`;
  const zone =
    d.keys.length === 0
      ? 'the zone is not signed'
      : `zone signed with key${d.keys.length > 1 ? 's' : ''} ${d.keys.map((k) => `${keyText(k)} ${k.role}`).join(', ')}`;
  if (d.signed === null) return `${zone}; --dnssec shows the signed answer`;
  if (!d.signed) return `answer not signed (${zone})`;
  const by = new Map<string, KeyRef>();
  for (const x of d.signatures) by.set(`${x.tag}/${x.algorithm}`, x);
  return `answer signed by key${by.size > 1 ? 's' : ''} ${[...by.values()].map(keyText).join(', ')}`;
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
