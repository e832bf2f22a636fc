// Region maps (the zone's, or a name's own): what each region matches, claimed by one region only,
// and the datacenters its clients go to.
import { parseCidr } from '../address.js';
import type { Cidr, Datacenter, Region, RegionMap } from '../policy-types.js';
import type { Collector } from './collector.js';
import { lineOf } from './file.js';
import { located } from './located.js';
import type { Owned, Raw } from './merge.js';
import type { Path } from './sections.js';

/** A region's match as the schema let it through (each list optional). */
interface RawMatch {
  readonly cidrs?: string[];
  readonly subdivisions?: string[];
  readonly countries?: string[];
  readonly continents?: string[];
  readonly asns?: number[];
}

export function buildRegions(
  raw: ReadonlyMap<string, Owned<Raw>>,
  base: Path,
  datacenters: ReadonlyMap<string, Datacenter>,
  errs: Collector,
  isCountry: (code: string) => boolean,
): RegionMap {
  const out = new Map<string, Region>();
  const claimed = new Map<string, string>();
  for (const [name, { value, file: f }] of raw) {
    const path = [...base, name];
    const match = value['match'] as RawMatch | undefined;
    if (!match && name !== 'default')
      errs.at(f, path, 'E_POLICY_REGION_NEEDS_MATCH', "needs 'match' (only the 'default' region may omit it)");
    if (match && name === 'default')
      errs.at(
        f,
        [...path, 'match'],
        'E_POLICY_DEFAULT_REGION_MATCH',
        "the 'default' region catches every client no other region matches; it takes no 'match'",
      );
    const dcs = value['datacenters'] as string[];
    const seenDc = new Set<string>();
    dcs.forEach((dc, i) => {
      if (!datacenters.has(dc)) errs.unknown(f, [...path, 'datacenters', i], 'datacenters', dc, datacenters.keys());
      if (seenDc.has(dc))
        errs.at(f, [...path, 'datacenters', i], 'E_POLICY_DATACENTER_LISTED_TWICE', `datacenter '${dc}' listed twice`);
      seenDc.add(dc);
    });
    const claim = (kind: string, key: string, p: Path) => {
      const prev = claimed.get(kind + ':' + key);
      if (prev !== undefined)
        errs.at(f, p, 'E_POLICY_MATCH_CLAIMED_TWICE', `${kind} ${key} is already matched by region '${prev}'`);
      else claimed.set(kind + ':' + key, name);
    };
    const cidrs: Cidr[] = [];
    (match?.cidrs ?? []).forEach((c, i) => {
      const r = parseCidr(c);
      if (!r.ok) errs.at(f, [...path, 'match', 'cidrs', i], 'E_POLICY_BAD_CIDR', r.error);
      else {
        cidrs.push(r.cidr);
        claim('cidr', r.cidr.text, [...path, 'match', 'cidrs', i]);
      }
    });
    const countries = (match?.countries ?? []).map((c, i) => {
      const up = c.toUpperCase();
      if (!isCountry(up))
        errs.at(f, [...path, 'match', 'countries', i], 'E_POLICY_UNKNOWN_COUNTRY', `unknown country code '${c}'`);
      claim('country', up, [...path, 'match', 'countries', i]);
      return up;
    });
    const subdivisions = (match?.subdivisions ?? []).map((c, i) => {
      const up = c.toUpperCase();
      if (!isCountry(up.slice(0, 2)))
        errs.at(
          f,
          [...path, 'match', 'subdivisions', i],
          'E_POLICY_UNKNOWN_COUNTRY',
          `unknown country in subdivision '${c}'`,
        );
      claim('subdivision', up, [...path, 'match', 'subdivisions', i]);
      return up;
    });
    const continents = (match?.continents ?? []).map((c, i) => {
      claim('continent', c, [...path, 'match', 'continents', i]);
      return c;
    });
    const asns = (match?.asns ?? []).map((a, i) => {
      claim('asn', String(a), [...path, 'match', 'asns', i]);
      return a;
    });
    // Found now, while the file's text is held: serve checks for an ASN database after loading.
    const asnsLine = asns.length > 0 ? lineOf(f, [...path, 'match', 'asns']) : 0;
    out.set(
      name,
      located(
        {
          name,
          match: match ? Object.freeze({ cidrs, subdivisions, countries, continents, asns, asnsLine }) : null,
          datacenters: Object.freeze([...dcs]),
          file: f.file,
        },
        f,
        path,
      ),
    );
  }
  return out;
}
