// A geoip plugin map (gdnsd-plugin-geoip(8) "CONFIGURATION - MAPS") as our regions. The nested map
// (continent, then country, then subdivision) becomes one region per distinct datacenter order,
// matching the continents, countries (`DE`), subdivisions (`NZ-OTA`) and `nets` CIDRs that map to it;
// a `default` at the top becomes the `default` region, one inside a continent or a country the region
// of that continent or country. Matching agrees: gdnsd takes the deepest map level of the client's own
// location and lets `nets` override it, gslb takes cidrs, then subdivisions, countries, continents.
// City-auto-mode (`auto_dc_coords`) becomes the nearest policy with datacenter locations.
import { parseCidr } from '../../address.js';
import { yamlMap } from '../policy-yaml.js';
import { ImportLog } from '../result.js';
import { entry, listOf, readVscf, type VHash, type VNode, type VPlace } from './vscf.js';
import { join, isAbsolute } from 'node:path';

export interface TranslatedMap {
  readonly policy: 'geo' | 'nearest';
  /** Our regions section (null: none, pool order decides). */
  readonly regions: Record<string, unknown> | null;
  /** The map's datacenters in their default order. */
  readonly datacenters: readonly string[];
  /** auto_dc_coords. */
  readonly locations: ReadonlyMap<string, { lat: number; lon: number }>;
  /** The geoip2_db the map reads (as written), if any. */
  readonly db: string | null;
}

const CONTINENTS = new Set(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);
const KNOWN = new Set(['geoip2_db', 'datacenters', 'map', 'nets', 'auto_dc_coords', 'auto_dc_limit', 'ignore_ecs']);

interface Collect {
  /** Datacenter order (joined) -> match lists and the order. */
  readonly byOrder: Map<
    string,
    { order: string[]; continents: string[]; countries: string[]; subdivisions: string[]; cidrs: string[] }
  >;
  defaultOrder: string[] | null;
  ok: boolean;
}

function place(v: VPlace): VPlace {
  return { file: v.file, line: v.line };
}

/** A datacenter list of the map, or null (logged) when it cannot be translated. */
function dcList(v: VNode, known: ReadonlySet<string>, what: string, log: ImportLog): string[] | null {
  const items = listOf(v);
  const out: string[] = [];
  for (const i of items) {
    if (i.kind !== 'scalar') {
      log.untranslatable(place(i), `${what}: a datacenter list holds names only`);
      return null;
    }
    if (i.value === 'auto') {
      log.untranslatable(
        place(i),
        `${what}: 'auto' mixed into a manual map: gslb's nearest policy orders every client by distance, a geo map orders none; pick one for the name`,
      );
      return null;
    }
    if (!known.has(i.value)) {
      log.untranslatable(place(i), `${what}: '${i.value}' is not one of the map's datacenters`);
      return null;
    }
    out.push(i.value);
  }
  if (out.length === 0) {
    log.untranslatable(
      place(v),
      `${what}: an empty datacenter list (NODATA for those clients) has no equivalent: a gslb region needs a datacenter`,
    );
    return null;
  }
  return out;
}

function add(
  c: Collect,
  order: string[],
  kind: 'continents' | 'countries' | 'subdivisions' | 'cidrs',
  what: string,
): void {
  const key = order.join(' ');
  let r = c.byOrder.get(key);
  if (!r) {
    r = { order, continents: [], countries: [], subdivisions: [], cidrs: [] };
    c.byOrder.set(key, r);
  }
  r[kind].push(what);
}

function walkMap(h: VHash, c: Collect, known: ReadonlySet<string>, log: ImportLog): void {
  for (const e of h.entries) {
    if (e.key === 'default') {
      const l = dcList(e.value, known, 'map default', log);
      if (l) c.defaultOrder = l;
      else c.ok = false;
      continue;
    }
    const cont = e.key.toUpperCase();
    if (!CONTINENTS.has(cont)) {
      log.untranslatable(place(e.at), `map key '${e.key}' is not a continent code (${[...CONTINENTS].join(', ')})`);
      c.ok = false;
      continue;
    }
    if (e.value.kind !== 'hash') {
      const l = dcList(e.value, known, `map ${cont}`, log);
      if (l) add(c, l, 'continents', cont);
      else c.ok = false;
      continue;
    }
    for (const ce of e.value.entries) {
      if (ce.key === 'default') {
        const l = dcList(ce.value, known, `map ${cont} default`, log);
        if (l) add(c, l, 'continents', cont);
        else c.ok = false;
        continue;
      }
      const cc = ce.key.toUpperCase();
      if (!/^[A-Z]{2}$/.test(cc)) {
        log.untranslatable(place(ce.at), `map ${cont}: '${ce.key}' is not an ISO 3166-1 country code`);
        c.ok = false;
        continue;
      }
      if (ce.value.kind !== 'hash') {
        const l = dcList(ce.value, known, `map ${cont} ${cc}`, log);
        if (l) add(c, l, 'countries', cc);
        else c.ok = false;
        continue;
      }
      for (const se of ce.value.entries) {
        if (se.key === 'default') {
          const l = dcList(se.value, known, `map ${cont} ${cc} default`, log);
          if (l) add(c, l, 'countries', cc);
          else c.ok = false;
          continue;
        }
        if (!/^[A-Za-z0-9]{1,3}$/.test(se.key)) {
          log.untranslatable(
            place(se.at),
            `map ${cont} ${cc}: '${se.key}' is not an ISO 3166-2 subdivision code (a city or a region's name): gslb regions match continents, countries, subdivision codes and CIDRs, not cities (use the subdivision's code, or cidrs)`,
          );
          c.ok = false;
          continue;
        }
        if (se.value.kind === 'hash') {
          log.untranslatable(
            place(se.at),
            `map ${cont} ${cc} ${se.key}: levels below a subdivision (second-level subdivisions, cities) have no equivalent in gslb regions`,
          );
          c.ok = false;
          continue;
        }
        const l = dcList(se.value, known, `map ${cont} ${cc} ${se.key}`, log);
        if (l) add(c, l, 'subdivisions', `${cc}-${se.key.toUpperCase()}`);
        else c.ok = false;
      }
    }
  }
}

function walkNets(h: VHash, c: Collect, known: ReadonlySet<string>, log: ImportLog): void {
  for (const e of h.entries) {
    // The policy loader's own parser: what passes here passes gslb check.
    const net = parseCidr(e.key);
    if (!net.ok || !e.key.includes('/')) {
      log.untranslatable(place(e.at), `nets: ${net.ok ? `'${e.key}' has no prefix length` : net.error}`);
      c.ok = false;
      continue;
    }
    const l = dcList(e.value, known, `nets ${e.key}`, log);
    if (l) add(c, l, 'cidrs', net.cidr.text);
    else c.ok = false;
  }
}

/** Region names say the order they give: `eu_na_ap`. */
function regionName(order: readonly string[]): string {
  return order.join('_');
}

/** Translates map `name` (hash `h`); `geoipDir` resolves relative file names (the config's geoip/). */
export function translateMap(name: string, h: VHash, geoipDir: string, log: ImportLog): TranslatedMap | null {
  const what = `geoip map '${name}'`;
  let ok = true;
  for (const e of h.entries)
    if (!KNOWN.has(e.key)) {
      log.untranslatable(
        place(e.at),
        `${what}: option '${e.key}' has no equivalent (not a gdnsd 3 geoip map option gslb translates)`,
      );
      ok = false;
    }
  const dcsE = entry(h, 'datacenters');
  if (!dcsE) {
    log.untranslatable(place(h), `${what} has no datacenters`);
    return null;
  }
  const datacenters = listOf(dcsE.value).map((v) => (v.kind === 'scalar' ? v.value : ''));
  if (datacenters.some((d) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(d))) {
    log.untranslatable(place(dcsE.at), `${what}: datacenter names must be letters, digits, '-', '_' and '.'`);
    return null;
  }
  const known = new Set(datacenters);
  const ignore = entry(h, 'ignore_ecs');
  if (ignore && ignore.value.kind === 'scalar' && ignore.value.value.toLowerCase() === 'true') {
    log.untranslatable(
      place(ignore.at),
      `${what}: ignore_ecs has no equivalent: gslb always locates the client by its EDNS Client Subnet when one is sent`,
    );
    ok = false;
  }
  const dbE = entry(h, 'geoip2_db');
  const db = dbE?.value.kind === 'scalar' ? dbE.value.value : null;
  if (db !== null)
    log.note(
      place(dbE!.at),
      `${what} reads ${isAbsolute(db) ? db : join(geoipDir, db)}: start gslb serve with --geoip on the same database (docs/geoip.md)`,
    );
  const locations = new Map<string, { lat: number; lon: number }>();
  const coordsE = entry(h, 'auto_dc_coords');
  if (coordsE) {
    if (coordsE.value.kind !== 'hash') {
      log.untranslatable(place(coordsE.at), `${what}: auto_dc_coords must be a hash`);
      return null;
    }
    for (const e of coordsE.value.entries) {
      const ll =
        e.value.kind === 'array' ? e.value.items.map((i) => (i.kind === 'scalar' ? Number(i.value) : NaN)) : [];
      const [lat, lon] = ll;
      if (ll.length !== 2 || !(Math.abs(lat!) <= 90) || !(Math.abs(lon!) <= 180) || !known.has(e.key)) {
        log.untranslatable(
          place(e.at),
          `${what}: auto_dc_coords ${e.key}: needs [lat, lon] of one of the map's datacenters`,
        );
        return null;
      }
      locations.set(e.key, { lat: lat!, lon: lon! });
    }
    const left = datacenters.filter((d) => !locations.has(d));
    if (left.length > 0) {
      log.untranslatable(
        place(coordsE.at),
        `${what}: datacenters without auto_dc_coords (${left.join(', ')}) are left out of gdnsd's automatic lists; gslb's nearest policy ranks every datacenter of a name, so give them a location or leave them out`,
      );
      ok = false;
    }
    const limitE = entry(h, 'auto_dc_limit');
    const limit = limitE?.value.kind === 'scalar' ? Number(limitE.value.value) : 3;
    if (limit !== 0 && limit < datacenters.length)
      log.note(
        place(limitE?.at ?? coordsE.at),
        `${what}: auto_dc_limit ${limit}: gdnsd fails over through the ${limit} nearest datacenters only, gslb's nearest policy through all ${datacenters.length} in distance order`,
      );
  }
  const c: Collect = { byOrder: new Map(), defaultOrder: null, ok: true };
  const mapE = entry(h, 'map');
  if (mapE) {
    if (mapE.value.kind !== 'hash') {
      log.untranslatable(place(mapE.at), `${what}: map must be a hash`);
      return null;
    }
    if (coordsE) {
      // Auto mode: a map may only say `auto` (or nothing): anything else mixes manual lists in.
      const manual = mapE.value.entries.filter((e) => !(e.value.kind === 'scalar' && e.value.value === 'auto'));
      for (const e of manual)
        log.untranslatable(
          place(e.at),
          `${what}: a manual list beside auto_dc_coords: gslb's nearest policy orders every client by distance, without per-place exceptions`,
        );
      if (manual.length > 0) ok = false;
    } else walkMap(mapE.value, c, known, log);
  }
  const netsE = entry(h, 'nets');
  if (netsE) {
    let nets: VNode = netsE.value;
    if (nets.kind === 'scalar') {
      const file = isAbsolute(nets.value) ? nets.value : join(geoipDir, nets.value);
      nets = readVscf(file);
    }
    if (nets.kind !== 'hash') {
      log.untranslatable(place(netsE.at), `${what}: nets must be a hash of network => datacenters`);
      ok = false;
    } else if (coordsE && nets.entries.length > 0) {
      log.untranslatable(
        place(netsE.at),
        `${what}: nets beside auto_dc_coords: the nearest policy has no per-network exceptions`,
      );
      ok = false;
    } else walkNets(nets, c, known, log);
  }
  if (!ok || !c.ok) return null;
  const regions = yamlMap<unknown>();
  for (const r of c.byOrder.values()) {
    const match: Record<string, string[]> = {};
    if (r.continents.length) match['continents'] = r.continents;
    if (r.countries.length) match['countries'] = r.countries;
    if (r.subdivisions.length) match['subdivisions'] = r.subdivisions;
    if (r.cidrs.length) match['cidrs'] = r.cidrs;
    regions[regionName(r.order)] = { match, datacenters: r.order };
  }
  regions['default'] = { datacenters: c.defaultOrder ?? datacenters };
  return { policy: coordsE ? 'nearest' : 'geo', regions, datacenters, locations, db };
}
