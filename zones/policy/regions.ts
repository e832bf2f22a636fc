// Region maps (the zone's, or a name's own): what each region matches, claimed by one region only,
// and the datacenters its clients go to.
import { parseCidr } from '../address.js';
import type { Cidr, Datacenter, Region, RegionMap, TierSplit } from '../policy-types.js';
import type { Collector } from './collector.js';
import { lineOf, type PolicyFile } from './file.js';
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

/** An item of a region's datacenters: a datacenter, or a map of datacenter to weight (a split tier). */
type RawTier = string | Record<string, number>;

const NO_SPLITS: readonly TierSplit[] = Object.freeze([]);

/**
 * A region's order: the items flattened (a map's datacenters in the order written) and the map items
 * as splits. Every datacenter is known and listed once across the items; a map's weights are not all 0.
 */
function buildOrder(
  items: readonly RawTier[],
  path: Path,
  f: PolicyFile,
  datacenters: ReadonlyMap<string, Datacenter>,
  errs: Collector,
): { order: string[]; splits: readonly TierSplit[] } {
  const order: string[] = [];
  const splits: TierSplit[] = [];
  const add = (dc: string, p: Path) => {
    if (!datacenters.has(dc)) errs.unknown(f, p, 'datacenters', dc, datacenters.keys());
    if (order.includes(dc)) errs.at(f, p, 'E_POLICY_DATACENTER_LISTED_TWICE', `datacenter '${dc}' listed twice`);
    order.push(dc);
  };
  items.forEach((item, i) => {
    if (typeof item === 'string') return add(item, [...path, i]);
    const members = Object.keys(item);
    for (const dc of members) add(dc, [...path, i, dc]);
    const weights = members.map((dc) => item[dc]!);
    if (weights.every((w) => w === 0))
      errs.at(
        f,
        [...path, i],
        'E_POLICY_TIER_WEIGHTS_ZERO',
        'every datacenter of this tier has weight 0: its clients would have nowhere to go',
      );
    splits.push(Object.freeze({ datacenters: Object.freeze(members), weights: Object.freeze(weights) }));
  });
  return { order, splits: splits.length > 0 ? Object.freeze(splits) : NO_SPLITS };
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
    const { order: dcs, splits } = buildOrder(
      value['datacenters'] as RawTier[],
      [...path, 'datacenters'],
      f,
      datacenters,
      errs,
    );
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
          splits,
          file: f.file,
        },
        f,
        path,
      ),
    );
  }
  return out;
}
