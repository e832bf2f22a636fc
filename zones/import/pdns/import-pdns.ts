// `gslb import pdns-lua ZONEFILE OUT`: a PowerDNS zone file whose LUA records do GSLB becomes a zone
// folder: the static records as they are, each owner's LUA A/AAAA (or CNAME) records one
// load-balanced name in policy.yaml. What gslb cannot express is listed with its line.
import { basename } from 'node:path';
import { openGeoData, type GeoData } from '../../../geo/geoip.js';
import { ImportError } from '../import-errors.js';
import { splitMasterFile, type DynamicEntry } from '../master-split.js';
import { policyYaml, yamlMap } from '../policy-yaml.js';
import { readSource } from '../read-source.js';
import { ImportLog, type ImportResult } from '../result.js';
import { mergeRecords, namePolicy, type ZoneParts } from './name-policy.js';
import { Untranslatable } from './plan.js';
import { translateRecord, type TranslatedRecord } from './record.js';

export interface PdnsImportOptions {
  readonly origin: string | null;
  /** A MaxMind database to place pickclosest's addresses (as PowerDNS's geoip backend does). */
  readonly geoip?: string | null;
}

/** PowerDNS's default-ttl, for a record with no TTL and no $TTL before it. */
const PDNS_DEFAULT_TTL = 3600;
const MAX_NAME_TTL = 86400;

/** --origin, else the first $ORIGIN before any record, else the file name without .zone. */
export function zoneOrigin(text: string, file: string, given: string | null): string {
  if (given !== null) return given.replace(/\.$/, '').toLowerCase();
  for (const line of text.split('\n')) {
    const t = line.replace(/;.*/, '').trim();
    if (t === '') continue;
    const m = /^\$ORIGIN\s+(\S+)/i.exec(t);
    if (m) return m[1]!.replace(/\.$/, '').toLowerCase();
    if (!t.startsWith('$')) break;
  }
  return basename(file)
    .replace(/\.zone$/i, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** A LUA record's TTL as the bind backend reads it: its own, else $TTL or the last written, else default-ttl. */
const ttlOf = (e: DynamicEntry): number => e.ttl ?? e.defaultTtl ?? PDNS_DEFAULT_TTL;

/** The record's code as PowerDNS runs it: its quoted strings joined by a space. */
function codeOf(e: DynamicEntry): { qtype: string; code: string } | null {
  const [type, ...parts] = e.args;
  if (!type || type.quoted || parts.length === 0) return null;
  return { qtype: type.text.toUpperCase(), code: parts.map((p) => p.text).join(' ') };
}

function relative(owner: string, apex: string): string | null {
  if (owner === apex) return '@';
  return owner.endsWith(`.${apex}`) ? owner.slice(0, -(apex.length + 1)) : null;
}

interface OwnerRecords {
  readonly records: { readonly entry: DynamicEntry; readonly t: TranslatedRecord }[];
}

export async function importPdnsLua(source: string, o: PdnsImportOptions): Promise<ImportResult> {
  const text = readSource(source);
  const apex = zoneOrigin(text, source, o.origin);
  let geo: GeoData | null = null;
  if (o.geoip) {
    try {
      geo = openGeoData([o.geoip]);
    } catch (err) {
      throw new ImportError(
        'E_IMPORT_SOURCE_UNREADABLE',
        o.geoip,
        0,
        (err as Error).message.replace(`${o.geoip}: `, ''),
      );
    }
  }
  const split = splitMasterFile(text, {
    file: source,
    origin: apex,
    dynamicTypes: new Set(['LUA']),
    dropDirectives: new Set(),
  });
  const log = new ImportLog();
  const owners = new Map<string, OwnerRecords>();
  for (const e of split.dynamic) {
    const at = { file: source, line: e.line };
    const c = codeOf(e);
    if (!c) {
      log.untranslatable(at, 'a LUA record needs a type and its code in quotes');
      continue;
    }
    const rel = relative(e.owner, apex);
    if (rel === null) {
      log.untranslatable(at, `${e.owner} is outside the zone ${apex}`);
      continue;
    }
    if (c.qtype !== 'A' && c.qtype !== 'AAAA' && c.qtype !== 'CNAME') {
      log.untranslatable(
        at,
        c.qtype === 'LUA'
          ? 'a LUA LUA record (code shared through include()) has no equivalent: inline it into the records that include it'
          : `LUA ${c.qtype} records have no equivalent: gslb's load-balanced names answer A/AAAA or CNAME`,
      );
      continue;
    }
    let t: TranslatedRecord;
    try {
      t = translateRecord(c.qtype, c.code);
    } catch (err) {
      if (!(err instanceof Untranslatable)) throw err;
      log.untranslatable(at, `LUA ${c.qtype} ${rel}: ${err.message}`);
      continue;
    }
    const list = owners.get(rel) ?? { records: [] };
    const clash = list.records.find((r) => r.t.qtype === c.qtype || r.t.qtype === 'CNAME' || c.qtype === 'CNAME');
    if (clash) {
      log.untranslatable(
        at,
        `LUA ${c.qtype} ${rel}: another LUA ${clash.t.qtype} record of ${rel} is at line ${clash.entry.line}; gslb's name has one policy (merge them into one record)`,
      );
      continue;
    }
    list.records.push({ entry: e, t });
    owners.set(rel, list);
  }
  const parts: ZoneParts = { datacenters: new Map(), members: new Map(), checks: new Map(), checkByKey: new Map() };
  const names = yamlMap<unknown>();
  for (const [rel, { records }] of owners) {
    const sorted = [...records].sort((a, b) => (a.t.qtype === 'AAAA' ? 1 : 0) - (b.t.qtype === 'AAAA' ? 1 : 0));
    const head = sorted[0]!;
    const at = { file: source, line: head.entry.line };
    let ttl = ttlOf(head.entry);
    if (ttl > MAX_NAME_TTL) {
      log.note(at, `${rel}: TTL ${ttl} is above gslb's largest name TTL; ${MAX_NAME_TTL} used`);
      ttl = MAX_NAME_TTL;
    }
    try {
      let t = head.t;
      const second = sorted[1];
      if (second) {
        try {
          t = mergeRecords(head.t, second.t);
        } catch (err) {
          if (!(err instanceof Untranslatable)) throw err;
          log.untranslatable({ file: source, line: second.entry.line }, `LUA ${second.t.qtype} ${rel}: ${err.message}`);
        }
        const ttl2 = ttlOf(second.entry);
        if (ttl2 !== ttlOf(head.entry))
          log.note(
            { file: source, line: second.entry.line },
            `${rel}: TTL ${ttl2} differs from the A record's; the name uses ${ttl}`,
          );
      }
      const notes: string[] = [];
      const entry = namePolicy(t, { ttl, cname: t.qtype === 'CNAME', geo }, parts, notes);
      for (const r of sorted) for (const n of r.t.notes) log.note({ file: source, line: r.entry.line }, `${rel}: ${n}`);
      for (const n of notes) log.note(at, `${rel}: ${n}`);
      names[rel] = entry;
    } catch (err) {
      if (!(err instanceof Untranslatable)) throw err;
      log.untranslatable(at, `LUA ${head.t.qtype} ${rel}: ${err.message}`);
    }
  }
  if (Object.keys(names).length > 0)
    log.note(
      { file: source, line: 0 },
      `datacenters are named after the addresses they hold (PowerDNS has none): ${[...parts.datacenters.keys()].join(', ')}`,
    );
  const policy: Record<string, unknown> = {};
  if (parts.checks.size > 0) policy['checks'] = Object.fromEntries(parts.checks);
  if (parts.datacenters.size > 0) policy['datacenters'] = Object.fromEntries(parts.datacenters);
  if (Object.keys(names).length > 0) policy['names'] = names;
  const files = new Map<string, string>([['records.zone', split.text]]);
  if (Object.keys(policy).length > 0)
    files.set(
      'policy.yaml',
      policyYaml(
        [
          `Translated by gslb import pdns-lua from ${source} (PowerDNS LUA records).`,
          'docs/migration.md says what maps to what.',
        ],
        policy,
      ),
    );
  return log.result([{ apex, files }]);
}
