// Loads a zone folder's YAML policy files: syntax and the JSON Schema (parse.ts, schema.ts), merging
// across files (merge.ts), then each section and its cross-references; every error located as
// file:line: path: message, and references into a section an earlier error left incomplete folded
// (collector.ts). The public entry of zones/policy/.
import type { DnsName } from '../name.js';
import type { Check, Datacenter, LbName, LoadSource, PolicyConfig } from '../policy-types.js';
import { buildCheck } from './checks.js';
import { Collector, type PolicyError } from './collector.js';
import { buildDatacenter } from './datacenters.js';
import { buildDnssec } from './dnssec.js';
import type { PolicyFile } from './file.js';
import { buildLoadSource } from './loads.js';
import { emptySections, mergeFile } from './merge.js';
import { buildName } from './names.js';
import { readPolicyFile } from './parse.js';
import { buildRegions } from './regions.js';
import type { ExternalFile, Externals, ReadPolicyFile } from './tls-ca.js';

export { SECTIONS, sectionsNamedIn } from './sections.js';
export { POLICY_ERRORS, type PolicyErrorCode } from './errors.js';
export type { PolicyError } from './collector.js';
export type { ExternalFile, ReadPolicyFile } from './tls-ca.js';
export { durationMs } from './values.js';

export interface PolicyLoad {
  readonly config: PolicyConfig;
  /** Every error, coded (POLICY_ERRORS in errors.ts). */
  readonly errors: PolicyError[];
  /** Files other than the policy files that the load read (tls_ca), with the text it read. */
  readonly externals: readonly ExternalFile[];
  /**
   * Lets go of the files' text once every error that needs a line has been made (a 100,000-name file is
   * 13 MB): `line` of the config's records is 0 afterwards.
   */
  release(): void;
}

export interface PolicySource {
  /** Name shown in errors (relative to the zones directory). */
  readonly file: string;
  readonly text: string;
}

/**
 * Loads and merges policy files of one zone. isCountry validates ISO 3166-1 codes; readFile reads the
 * files policy files name (tls_ca).
 */
export function loadPolicy(
  sources: readonly PolicySource[],
  apex: DnsName,
  isCountry: (code: string) => boolean,
  readFile: ReadPolicyFile,
): PolicyLoad {
  const errs = new Collector();
  const externals: Externals = { read: readFile, files: [] };
  const merged = emptySections();
  const files: PolicyFile[] = [];
  for (const src of sources) {
    const f = readPolicyFile(src.file, src.text, errs);
    if (!f) continue;
    files.push(f);
    mergeFile(merged, f, errs);
  }
  const datacenters = new Map<string, Datacenter>();
  for (const [name, { value }] of merged.datacenters) datacenters.set(name, buildDatacenter(name, value));
  const checks = new Map<string, Check>();
  for (const [name, { value, file }] of merged.checks)
    checks.set(name, buildCheck(name, value, file, errs, externals, datacenters));
  const loads = new Map<string, LoadSource>();
  for (const [name, { value, file }] of merged.loads) loads.set(name, buildLoadSource(name, value, file, errs));
  const regions = buildRegions(merged.regions, ['regions'], datacenters, errs, isCountry);
  // The parsed trees are let go of as the names are built (not after): with 100,000 names the tree is
  // ~110 MB, and holding it beside the built names set the loader's peak memory.
  for (const f of files) f.value = {};
  const names = new Map<string, LbName>();
  const checkLists = new Map<string, readonly string[]>();
  for (const [label, { value, file }] of merged.names) {
    merged.names.delete(label);
    const n = buildName(label, value, file, apex, { datacenters, checks, loads, regions, checkLists }, errs, isCountry);
    if (!n) continue;
    if (names.has(n.owner.key))
      errs.at(
        file,
        ['names', label],
        'E_POLICY_NAME_DEFINED_TWICE',
        'the same name is defined twice (under different spellings)',
      );
    names.set(n.owner.key, n);
  }
  const dnssec = buildDnssec(merged.dnssec, errs);
  errs.finish();
  const config: PolicyConfig = Object.freeze({ datacenters, checks, loads, regions, names, dnssec });
  return {
    config,
    errors: errs.errors,
    externals: externals.files,
    release: () => files.forEach((f) => f.release()),
  };
}
