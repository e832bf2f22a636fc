// Readable Prometheus labels for probe and load targets, whose internal keys (health/view.ts) carry a
// fingerprint of the check's or the source's settings: a check target is labelled check and target
// (HOST:PORT), a load read source and url. They are made from the configuration, next to the keys
// (health/probe-types.ts), once per catalog: every scrape and /api/health poll reads the same map.
// When two targets would get the same labels (a check or source of one name defined differently in
// two zones), the zone that defines each tells them apart.
import { loadTargetsFor, probeTargetsFor, type CheckSpec, type LoadSpec } from '../health/probe-types.js';
import { isCname, type Endpoint } from '../zones/policy-types.js';
import type { Catalog } from './catalog.js';

/** Labels by target key: { check, target } or { source, url }, plus zone where needed. */
type TargetLabels = ReadonlyMap<string, Readonly<Record<string, string>>>;

const byCatalog = new WeakMap<Catalog, TargetLabels>();
const monitorsByCatalog = new WeakMap<Catalog, ReadonlySet<string>>();

/**
 * The check targets only monitor checks probe (no name steers by them): shown, never moving an answer,
 * so a datacenter's up/down (the status page, gslb_datacenter_up) leaves them out. Made on first use.
 */
export function monitorOnlyTargets(catalog: Catalog): ReadonlySet<string> {
  let keys = monitorsByCatalog.get(catalog);
  if (!keys) monitorsByCatalog.set(catalog, (keys = monitorOnlyOf(catalog)));
  return keys;
}

function monitorOnlyOf(catalog: Catalog): Set<string> {
  const steering = new Set<string>();
  const monitored = new Set<string>();
  for (const z of catalog.zones.values()) {
    const { names, checks } = z.zone.policy;
    for (const name of names.values())
      for (const [list, into] of [
        [name.checks, steering],
        [name.monitor, monitored],
      ] as const)
        for (const checkName of list) {
          const check = checks.get(checkName);
          if (check)
            for (const pool of name.pools) for (const t of probeTargetsFor(check, pool.endpoints)) into.add(t.key);
        }
  }
  return new Set([...monitored].filter((k) => !steering.has(k)));
}

/** The host name a cname endpoint's target key carries (targetKey adds it when probe: moves the probe). */
function cnameOfKey(key: string, endpoints: readonly Endpoint[]): string | null {
  for (const ep of endpoints) if (isCname(ep) && ep.probe !== null && key.endsWith(`|${ep.address}`)) return ep.address;
  return null;
}

/** The labels of every probe and load target of the catalog's configuration, made on first use. */
export function targetLabels(catalog: Catalog): TargetLabels {
  let labels = byCatalog.get(catalog);
  if (!labels) byCatalog.set(catalog, (labels = labelsOf(catalog)));
  return labels;
}

function labelsOf(catalog: Catalog): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  /** The zone that defines each key: the first by apex (a key is the same settings wherever it occurs). */
  const zoneOf = new Map<string, string>();
  const add = (key: string, zone: string, labels: Record<string, string>) => {
    if (out.has(key)) return;
    out.set(key, labels);
    zoneOf.set(key, zone);
  };
  const zones = [...catalog.zones.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const z of zones) {
    const { names, checks, loads } = z.zone.policy;
    for (const name of names.values()) {
      const load = name.load === null ? undefined : loads.get(name.load);
      for (const pool of name.pools) {
        // Steering and monitor checks alike: a monitor's targets show in the metrics too.
        for (const list of [name.checks, name.monitor])
          for (const checkName of list) {
            const check = checks.get(checkName);
            if (check)
              for (const t of probeTargetsFor(check, pool.endpoints)) {
                const { host, port } = t.spec as CheckSpec;
                const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
                // A cname endpoint probed elsewhere (probe:) is that address for its host name: its key says which.
                const vhost = name.cname ? cnameOfKey(t.key, pool.endpoints) : null;
                add(t.key, z.name, { check: check.name, target: vhost === null ? target : `${vhost}@${target}` });
              }
          }
        if (load)
          for (const t of loadTargetsFor(load, pool.endpoints))
            add(t.key, z.name, { source: load.name, url: (t.spec as LoadSpec).url });
      }
    }
  }
  // Keys that share their labels differ in the settings of a check or source of the same name, and a
  // zone has one definition of each name: their zones differ.
  const byLabels = new Map<string, string[]>();
  for (const [key, labels] of out) {
    const id = JSON.stringify(labels);
    const same = byLabels.get(id);
    if (same) same.push(key);
    else byLabels.set(id, [key]);
  }
  for (const same of byLabels.values())
    if (same.length > 1) for (const key of same) out.get(key)!.zone = zoneOf.get(key)!;
  return out;
}
