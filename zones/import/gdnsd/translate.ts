// `gslb import gdnsd DIR OUT`: a gdnsd 3.x config folder (DIR/config, DIR/zones/, DIR/geoip/) as zone
// folders. Each zone file keeps its static records; each DYNA/DYNC becomes a load-balanced name whose
// datacenters, pools, policy and regions come from the plugin resource it names (plugins.ts,
// geoip-map.ts) and whose check comes from the service types (service-types.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ImportError } from '../import-errors.js';
import { splitMasterFile } from '../master-split.js';
import { policyYaml, yamlMap } from '../policy-yaml.js';
import { readSource } from '../read-source.js';
import { ImportLog, type ImportedZone, type ImportResult } from '../result.js';
import { translateMap, type TranslatedMap } from './geoip-map.js';
import { resolveResource, type NameSpec, type PluginContext, type Pool } from './plugins.js';
import { translateServiceTypes, type ServiceType, type ServiceTypeNote } from './service-types.js';
import { entry, readVscf, type VHash, type VPlace } from './vscf.js';

export interface GdnsdOptions {
  readonly origin: string | null;
}

/** gdnsd's option defaults that shape answers (gdnsd.config(5)). */
const DEFAULT_TTL = 86400;
const OUR_MAX_TTL = 86400;

/** Options that change answers and have no equivalent; the others (listen, threads...) are left to the operator. */
const ANSWER_OPTIONS: Readonly<Record<string, string>> = {
  edns_client_subnet:
    'edns_client_subnet => false (ignore ECS) has no equivalent: gslb always locates a client by its ECS when one is sent',
  max_ttl: 'max_ttl clamps every TTL in gdnsd; gslb serves TTLs as written: lower them in the zone if needed',
  min_ttl: 'min_ttl raises every TTL in gdnsd; gslb serves TTLs as written: raise them in the zone if needed',
};

function place(v: VPlace): VPlace {
  return { file: v.file, line: v.line };
}

/** gdnsd's `@Z` and `@F` name shorthands (gdnsd.zonefile(5)), outside comments and quotes. */
function specialNames(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    const code = l.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/;.*$/, '');
    if (/(^|[\s.])@[ZF](?=$|[\s.])/.test(code)) out.push(i + 1);
  });
  return out;
}

/** `300/30` TTLs of DYNA/DYNC (gdnsd.zonefile(5)): MAX for the splitter, MIN kept by line. */
function takeTtlRanges(text: string): { text: string; mins: Map<number, number> } {
  const mins = new Map<number, number>();
  const lines = text.split('\n').map((l, i) =>
    l.replace(/(^|\s)([0-9]+)\/([0-9]+)(?=\s+(?:IN\s+)?DYN[AC]\s)/i, (_m, sp: string, max: string, min: string) => {
      mins.set(i + 1, Number(min));
      return `${sp}${max}`;
    }),
  );
  return { text: lines.join('\n'), mins };
}

function endpointYaml(p: Pool): unknown[] {
  return p.endpoints.map((e) => {
    if (e.cname !== undefined) return e.weight === 1 ? { cname: e.cname } : { cname: e.cname, weight: e.weight };
    return e.weight === 1 ? e.address : { address: e.address, weight: e.weight };
  });
}

/** min_up per pool from multifo's up_thresh (ceil(thresh x count), as ours): only where it needs more than 1. */
function minUp(spec: NameSpec): Record<string, string> | null {
  const out = yamlMap<string>();
  for (const p of spec.pools) {
    if (p.upThresh === null) continue;
    const fams = [4, 6].map(
      (f) => p.endpoints.filter((e) => e.address && (e.address.includes(':') ? 6 : 4) === f).length,
    );
    if (fams.every((n) => Math.ceil(p.upThresh! * n) <= 1)) continue;
    out[p.dc] = `${Math.round(p.upThresh * 10000) / 100}%`;
  }
  return Object.keys(out).length > 0 ? out : null;
}

interface ZoneWork {
  readonly apex: string;
  readonly file: string;
}

function zoneFiles(dir: string, origin: string | null, log: ImportLog): ZoneWork[] {
  const zdir = join(dir, 'zones');
  if (!existsSync(zdir) || !statSync(zdir).isDirectory())
    throw new ImportError(
      'E_IMPORT_SOURCE_UNREADABLE',
      zdir,
      0,
      'no zones/ folder (gdnsd reads its zone files from DIR/zones/)',
    );
  const out: ZoneWork[] = [];
  for (const f of readdirSync(zdir).sort()) {
    if (f.startsWith('.')) continue; // gdnsd ignores them (gdnsd(8) "ZONE FILES")
    const file = join(zdir, f);
    if (!statSync(file).isFile()) {
      log.note({ file, line: 0 }, 'not a regular file: gdnsd ignores it, and so does the import');
      continue;
    }
    const apex = f.replace(/@/g, '/').replace(/\.$/, '').toLowerCase();
    if (apex.includes('/')) {
      log.untranslatable(
        { file, line: 0 },
        `zone '${apex}' (an RFC 2317 classless delegation name) cannot be a gslb zone folder name`,
      );
      continue;
    }
    if (origin !== null && apex !== origin.replace(/\.$/, '').toLowerCase()) continue;
    out.push({ apex, file });
  }
  if (origin !== null && out.length === 0)
    throw new ImportError('E_IMPORT_SOURCE_UNREADABLE', zdir, 0, `no zone file for --origin ${origin}`);
  return out;
}

export async function translateGdnsd(dir: string, o: GdnsdOptions): Promise<ImportResult> {
  const log = new ImportLog();
  if (!existsSync(dir))
    throw new ImportError('E_IMPORT_SOURCE_UNREADABLE', dir, 0, "no such folder (gdnsd's config folder: gdnsd -c DIR)");
  if (!statSync(dir).isDirectory())
    throw new ImportError('E_IMPORT_SOURCE_UNREADABLE', dir, 0, "is a file; give gdnsd's config folder (gdnsd -c DIR)");
  const configFile = join(dir, 'config');
  // gdnsd runs with defaults without a config file; so does the import.
  const config: VHash = existsSync(configFile)
    ? (() => {
        const v = readVscf(configFile);
        if (v.kind !== 'hash')
          throw new ImportError('E_IMPORT_SOURCE_SYNTAX', configFile, 1, 'the config must be a hash');
        return v;
      })()
    : { kind: 'hash', entries: [], file: configFile, line: 0 };
  for (const e of config.entries)
    if (!['options', 'service_types', 'plugins'].includes(e.key) || e.value.kind !== 'hash')
      throw new ImportError(
        'E_IMPORT_SOURCE_SYNTAX',
        e.at.file,
        e.at.line,
        `'${e.key}': the config holds only options, service_types and plugins, each a hash`,
      );
  const options = entry(config, 'options')?.value as VHash | undefined;
  let defaultTtl = DEFAULT_TTL;
  let ttlAt: VPlace | null = null;
  for (const e of options?.entries ?? []) {
    if (e.key === 'zones_default_ttl' && e.value.kind === 'scalar') {
      defaultTtl = Number(e.value.value);
      ttlAt = place(e.at);
    } else if (
      Object.hasOwn(ANSWER_OPTIONS, e.key) &&
      !(e.key === 'edns_client_subnet' && e.value.kind === 'scalar' && e.value.value.toLowerCase() === 'true')
    )
      log.untranslatable(place(e.at), ANSWER_OPTIONS[e.key]!);
  }
  const stNotes: ServiceTypeNote[] = [];
  const serviceTypes: Map<string, ServiceType> = translateServiceTypes(
    (entry(config, 'service_types')?.value as VHash | undefined) ?? null,
    stNotes,
  );
  const plugins = new Map<string, { hash: VHash; at: VPlace }>();
  for (const e of (entry(config, 'plugins')?.value as VHash | undefined)?.entries ?? [])
    if (e.value.kind === 'hash') plugins.set(e.key, { hash: e.value, at: place(e.at) });
  // geoip maps, translated once each.
  const maps = new Map<string, TranslatedMap | null>();
  const geoip = plugins.get('geoip');
  const mapsE = geoip ? entry(geoip.hash, 'maps') : undefined;
  if (mapsE?.value.kind === 'hash')
    for (const m of mapsE.value.entries) {
      if (m.value.kind !== 'hash') {
        log.untranslatable(place(m.at), `geoip map '${m.key}' must be a hash`);
        maps.set(m.key, null);
      } else maps.set(m.key, translateMap(m.key, m.value, join(dir, 'geoip'), log));
    }
  const mapInfo = {
    datacenters: new Map([...maps].map(([k, v]) => [k, v ? v.datacenters : null] as const)),
    policy: new Map([...maps].filter(([, v]) => v).map(([k, v]) => [k, v!.policy] as const)),
  };
  const zones: ImportedZone[] = [];
  const reported = new Set<string>();
  for (const z of zoneFiles(dir, o.origin, log)) {
    const checksUsed = new Set<string>();
    const ctx: PluginContext = { plugins, serviceTypes, checksUsed, reported, log };
    const ranged = takeTtlRanges(readSource(z.file));
    const split = splitMasterFile(ranged.text, {
      file: z.file,
      origin: z.apex,
      dynamicTypes: new Set(['DYNA', 'DYNC']),
      dropDirectives: new Set(['$INCLUDE', '$ADDR_LIMIT_V4', '$ADDR_LIMIT_V6']),
    });
    for (const line of specialNames(ranged.text))
      log.untranslatable(
        { file: z.file, line },
        `gdnsd's @Z/@F name shorthand: write the name out (relative to the zone, or absolute)`,
      );
    for (const d of split.dropped)
      if (d.name.startsWith('$ADDR_LIMIT'))
        log.note(
          { file: z.file, line: d.line },
          `${d.name} (gdnsd 2; gdnsd 3 refuses it) left out: a load-balanced name's max_answers limits its answers`,
        );
      else
        log.untranslatable(
          { file: z.file, line: d.line },
          `${d.name}: gslb zone folders are one master file (records.zone): paste the included records in`,
        );
    if (!/^\s*\$TTL\s/im.test(ranged.text))
      log.note(
        { file: z.file, line: 0 },
        `no $TTL: gdnsd gives records without a TTL ${defaultTtl}s (zones_default_ttl${ttlAt ? '' : ' default'}), gslb the last TTL written before them (RFC 1035), else the SOA minimum: add $TTL ${defaultTtl} at the top`,
      );
    const names = yamlMap<unknown>();
    const dcsUsed = new Map<string, VPlace>();
    const namesByMap = new Map<string, string[]>();
    for (const d of split.dynamic) {
      const at = { file: z.file, line: d.line };
      const rel = d.owner === z.apex ? '@' : d.owner.slice(0, -(z.apex.length + 1));
      const ref = d.args[0]?.text;
      if (!ref || d.args.length !== 1) {
        log.untranslatable(at, `${d.type} needs one plugin!resource`);
        continue;
      }
      const spec = resolveResource(ctx, ref, at, d.type === 'DYNC', mapInfo);
      if (!spec) continue;
      // gdnsd: its own TTL, else $TTL, else zones_default_ttl (never the last TTL written).
      const ttl = d.ttl ?? d.ttlDirective ?? defaultTtl;
      names[rel] = nameYaml(spec, ttl, ranged.mins.get(d.line) ?? null, at, log);
      for (const p of spec.pools) if (!dcsUsed.has(p.dc)) dcsUsed.set(p.dc, p.at);
      if (spec.map) namesByMap.set(spec.map, [...(namesByMap.get(spec.map) ?? []), rel]);
    }
    for (const n of stNotes) if (checksUsed.has(n.name)) log.note(place(n.at), n.message);
    // The zone's regions: the map most of its names follow; the others carry their own.
    const byUse = [...namesByMap].sort((a, b) => b[1].length - a[1].length);
    let zoneRegions: Record<string, unknown> | null = null;
    for (const [i, [mapName, users]] of byUse.entries()) {
      const regions = maps.get(mapName)!.regions;
      if (i === 0) zoneRegions = regions;
      else for (const u of users) (names[u] as Record<string, unknown>)['regions'] = regions;
    }
    const datacenters = yamlMap<unknown>();
    for (const dc of dcsUsed.keys()) {
      const loc = [...maps.values()].map((m) => m?.locations.get(dc)).find((l) => l);
      datacenters[dc] = loc ? { location: loc } : {};
    }
    const checks = yamlMap<unknown>();
    for (const c of checksUsed) {
      const st = serviceTypes.get(c);
      if (st?.kind === 'check') checks[c] = st.check;
    }
    const policy: Record<string, unknown> = {};
    if (Object.keys(checks).length) policy['checks'] = checks;
    if (Object.keys(datacenters).length) policy['datacenters'] = datacenters;
    if (zoneRegions) policy['regions'] = zoneRegions;
    if (Object.keys(names).length) policy['names'] = names;
    const files = new Map<string, string>([['records.zone', split.text]]);
    if (Object.keys(names).length)
      files.set(
        'policy.yaml',
        policyYaml(
          [
            `Translated by gslb import gdnsd from ${dir} (zone file ${z.file}).`,
            "Datacenter names are gdnsd's (metafo/geoip), the resource's (multifo, weighted), its groups', or primary/secondary (simplefo).",
          ],
          policy,
        ),
      );
    zones.push({ apex: z.apex, files });
  }
  return log.result(zones);
}

function nameYaml(
  spec: NameSpec,
  ttl: number,
  min: number | null,
  at: VPlace,
  log: ImportLog,
): Record<string, unknown> {
  if (ttl > OUR_MAX_TTL) {
    log.note(at, `TTL ${ttl} is above gslb's 86400 for load-balanced names: 86400`);
    ttl = OUR_MAX_TTL;
  }
  const minTtl = Math.min(ttl, min ?? Math.floor(ttl / 2));
  const out: Record<string, unknown> = { policy: spec.policy, ttl, min_ttl: minTtl };
  const cname = spec.pools.some((p) => p.endpoints.some((e) => e.cname));
  if (!cname) {
    // An answer holds one family: the most addresses of one family in a pool (gdnsd answers all of them).
    const family = (p: Pool, v6: boolean) => p.endpoints.filter((e) => e.address!.includes(':') === v6).length;
    const most = Math.max(...spec.pools.map((p) => Math.max(family(p, false), family(p, true))));
    const size = Math.min(spec.maxAnswers ?? most, most);
    out['max_answers'] = Math.min(64, Math.max(1, size));
  }
  const checks = spec.pools[0]?.checks ?? [];
  if (checks.length === 1) out['check'] = checks[0];
  else if (checks.length > 1) out['check'] = [...checks];
  const mu = cname ? null : minUp(spec);
  if (mu) out['min_up'] = mu;
  if (spec.fallbackCname !== undefined) out['fallback'] = { cname: spec.fallbackCname };
  out['pools'] = Object.fromEntries(spec.pools.map((p) => [p.dc, endpointYaml(p)]));
  return out;
}
