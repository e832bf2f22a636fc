// The policy loader's errors: their stable codes (POLICY_ERRORS; docs/errors.md lists them), and ajv's
// schema errors in the operators' words, with the closest allowed key or value.
import type { ErrorObject } from 'ajv';
import { errorCodes } from '../error-codes.js';
import { didYouMean } from '../suggest.js';
import { allowedKeysAt } from './schema-keys.js';
import { describePath, SECTIONS, type Path } from './sections.js';

/** Every error a policy load can give; test/policy-codes.test.ts has a bad snippet for each. */
export const POLICY_ERRORS = errorCodes({
  E_POLICY_YAML_SYNTAX: {
    summary: 'A policy file is not valid YAML (the line is where the parser stopped).',
    fix: 'Correct the YAML at or just before the line named: indentation, a missing colon, comma or closing bracket.',
  },
  E_POLICY_YAML_DUPLICATE_KEY: {
    summary: 'A key is written twice in the same YAML map.',
    fix: 'Keep one of the two; merge their settings into it.',
  },
  E_POLICY_UNKNOWN_SECTION: {
    summary: 'A top-level key is not one of datacenters, checks, loads, regions, names, dnssec.',
    fix: 'Correct the spelling (the message suggests the closest section) or remove it.',
  },
  E_POLICY_UNKNOWN_KEY: {
    summary: 'A key that the policy schema does not allow at that place.',
    fix: 'Correct the spelling (the message suggests the closest allowed key) or remove it; docs/policy.md lists the keys.',
  },
  E_POLICY_MISSING_KEY: {
    summary: 'A key the policy schema requires is missing (a check without type, a name without pools, ...).',
    fix: 'Add the key the message names.',
  },
  E_POLICY_BAD_TYPE: {
    summary: 'A value of the wrong type: text where a number is needed, a list where a map is, ...',
    fix: 'Write the value in the type the message names (docs/policy.md shows each key with an example).',
  },
  E_POLICY_BAD_VALUE: {
    summary: 'A value that is not one of those allowed (a policy, a check type, a fallback, ...).',
    fix: 'Use one of the values the message lists (it suggests the closest).',
  },
  E_POLICY_BAD_FORM: {
    summary:
      'A value that has none of the forms allowed for the key (such as an endpoint neither an address nor a map).',
    fix: 'Write it in one of the forms docs/policy.md shows for that key.',
  },
  E_POLICY_BAD_FORMAT: {
    summary: 'A text value in the wrong format: a duration, a share, a distance, a country or continent code.',
    fix: 'Write it as the pattern in the message asks: 5s, 85%, 1500km, FR, EU, ...',
  },
  E_POLICY_OUT_OF_RANGE: {
    summary: 'A number outside its bounds (a negative weight, a port above 65535, a TTL of 0, ...).',
    fix: 'Use a number within the bound the message gives.',
  },
  E_POLICY_EMPTY: {
    summary: 'An empty value where one is needed: an empty text, list or map of pools.',
    fix: 'Give at least one item, or remove the key to take its default.',
  },
  E_POLICY_DEFINED_TWICE: {
    summary: 'The same datacenter, check, load source, region or name is defined in two policy files of one zone.',
    fix: 'Keep one definition: the message names both places.',
  },
  E_POLICY_NAME_DEFINED_TWICE: {
    summary: 'Two keys of names spell the same DNS name (in another letter case, or www and www.zone-apex).',
    fix: 'Keep one of them.',
  },
  E_POLICY_UNKNOWN_DATACENTER: {
    summary: 'A pool or region names a datacenter that the datacenters section does not define.',
    fix: 'Correct the name (the message suggests the closest) or define the datacenter.',
  },
  E_POLICY_UNKNOWN_CHECK: {
    summary: "A name's check names a check that the checks section does not define.",
    fix: 'Correct the name (the message suggests the closest) or define the check.',
  },
  E_POLICY_UNKNOWN_LOAD: {
    summary: "A name's load names a load source that the loads section does not define.",
    fix: 'Correct the name (the message suggests the closest) or define the load source.',
  },
  E_POLICY_NOT_CHECKED: {
    summary: 'References into a section that an earlier error left incomplete are not checked one by one.',
    fix: 'Fix the error in the file the message names and check again; the references are then checked.',
  },
  E_POLICY_INTERVAL_TOO_SHORT: {
    summary: "A check's or load source's interval, or shed load's every, is below 100ms.",
    fix: 'Use 100ms or more.',
  },
  E_POLICY_TIMEOUT_TOO_LONG: {
    summary: "A check's or load source's timeout is longer than its interval.",
    fix: 'Shorten the timeout or lengthen the interval: a probe must end before the next starts.',
  },
  E_POLICY_NOT_APPLICABLE: {
    summary:
      'A key that has no effect where it is: an http key on a tcp check, tls_ca with tls_verify: false, shed on a weighted name, ...',
    fix: 'Remove the key, or change the type or policy it belongs with.',
  },
  E_POLICY_NEEDS_KEY: {
    summary:
      "A check or load source lacks a key its type needs: a dns check's query, a haproxy source's proxy, a prometheus or json source's figures.",
    fix: 'Add the key the message names.',
  },
  E_POLICY_FILE_UNREADABLE: {
    summary: "A file a policy file names (a check's tls_ca) cannot be read: not found, or permission denied.",
    fix: 'Check the path (relative to the policy file that names it) and that the user gslb runs as may read it.',
  },
  E_POLICY_BAD_CERTIFICATE: {
    summary: "A check's tls_ca file holds no PEM certificate, or one that cannot be parsed.",
    fix: 'Give a PEM file of CA certificates (-----BEGIN CERTIFICATE-----).',
  },
  E_POLICY_BAD_URL: {
    summary: "A load source's url or an endpoint's load_url is not an http or https URL.",
    fix: 'Write a full URL such as http://{address}:8404/stats;csv.',
  },
  E_POLICY_REGION_NEEDS_MATCH: {
    summary: "A region other than 'default' has no match, so no client would ever be in it.",
    fix: "Add match (cidrs, asns, subdivisions, countries or continents), or name it 'default'.",
  },
  E_POLICY_DEFAULT_REGION_MATCH: {
    summary: "The 'default' region has a match; it catches every client no other region matches.",
    fix: 'Remove its match, or give the region another name.',
  },
  E_POLICY_DATACENTER_LISTED_TWICE: {
    summary: 'A region lists the same datacenter twice.',
    fix: 'Keep it once, where it belongs in the order.',
  },
  E_POLICY_TIER_WEIGHTS_ZERO: {
    summary: "A tier of a region's datacenters written as a map gives every datacenter weight 0.",
    fix: 'Give at least one datacenter of the tier a weight above 0, or list them plainly.',
  },
  E_POLICY_MATCH_CLAIMED_TWICE: {
    summary: 'The same CIDR, ASN, subdivision, country or continent is in the match of two regions.',
    fix: 'Keep it in one region: a client must fall in exactly one.',
  },
  E_POLICY_BAD_CIDR: {
    summary: "A region's CIDR cannot be read, or has host bits set.",
    fix: 'Write a network such as 10.0.0.0/8 or 2001:db8::/32 (the message suggests the network meant).',
  },
  E_POLICY_UNKNOWN_COUNTRY: {
    summary: 'A country code, or the country of a subdivision, is not an ISO 3166-1 alpha-2 code.',
    fix: 'Use two-letter codes such as FR, or US-WA for a subdivision.',
  },
  E_POLICY_BAD_NAME: {
    summary: 'A key of names is not a valid DNS name relative to the zone apex (or ends in a dot).',
    fix: 'Write the name relative to the zone, without a trailing dot: www, api.eu, @ for the apex.',
  },
  E_POLICY_BAD_ADDRESS: {
    summary: 'A pool entry is not an IPv4 or IPv6 address.',
    fix: 'Write the address itself (names are not resolved): 192.0.2.10, 2001:db8::10.',
  },
  E_POLICY_BAD_PROBE: {
    summary: "An endpoint's probe is not HOST:PORT, HOST or [IPv6]:PORT, or its port is out of range.",
    fix: 'Write it as 10.0.0.1:8080, 10.0.0.1 or [2001:db8::1]:8080.',
  },
  E_POLICY_ADDRESS_IN_TWO_POOLS: {
    summary: 'The same address is in two pools (or twice in one pool) of one name.',
    fix: 'Keep the address in the one datacenter it belongs to.',
  },
  E_POLICY_ALL_WEIGHTS_ZERO: {
    summary: 'Every endpoint of a pool has weight 0, so the pool could never be chosen.',
    fix: 'Give at least one endpoint a weight above 0, or remove the pool.',
  },
  E_POLICY_MIXED_ENDPOINTS: {
    summary: "A name's pools mix cname entries with address entries, or one entry has both 'address' and 'cname'.",
    fix: 'Make every entry of the name a cname or every one an address (a CNAME answer has no address records beside it).',
  },
  E_POLICY_BAD_CNAME: {
    summary: "A pool entry's or a fallback's cname is not a host name, or is the load-balanced name itself.",
    fix: 'Write an absolute host name such as lb-1.elb.example.net (a trailing dot is optional; it is never relative to the zone).',
  },
  E_POLICY_MIN_UP_NOT_A_POOL: {
    summary: "A name's min_up map names a datacenter that is not one of the name's pools.",
    fix: 'Correct the name (the message suggests the closest pool) or remove the entry: min_up applies only to pools.',
  },
  E_POLICY_NEEDS_REGIONS: {
    summary: "A geo name has no regions: none in the zone's policy files and none of its own.",
    fix: "Define regions (at least 'default'), or give the name its own regions or another policy.",
  },
  E_POLICY_NEEDS_LOCATION: {
    summary: 'The nearest policy or a distance tier needs the location of a datacenter that has none.',
    fix: 'Give the datacenter a location (lat, lon), or use another policy or tier.',
  },
  E_POLICY_NEEDS_LOAD: {
    summary: "A load-aware policy, shed load or an endpoint's load_url needs the name's load, and it has none.",
    fix: 'Add load: with the load source the figures come from.',
  },
  E_POLICY_NEEDS_CHECK: {
    summary: "lowest-latency and least-response-time need the name's check: round-trip times come from its probes.",
    fix: 'Add check: with the health check to time.',
  },
  E_POLICY_NEEDS_LOAD_URL: {
    summary: "The name's load source has no url, and an endpoint has no load_url to read its figures from.",
    fix: 'Give the load source a url (with {address}), or each endpoint a load_url.',
  },
  E_POLICY_CHECK_LISTED_TWICE: {
    summary: "A check is listed twice in a name's check or monitor, or in both (it either steers or only shows).",
    fix: 'Keep it once: in check to steer by it, in monitor to only watch it.',
  },
  E_POLICY_SHED_BOUNDS: {
    summary: "Shed load's low is not below its high, or its step is not above 0.",
    fix: 'Set low below high (such as high: 85%, low: 70%) and a step above 0.',
  },
});

export type PolicyErrorCode = keyof typeof POLICY_ERRORS;

/** The code of one ajv error at path (the root for an unknown section). */
export function schemaCode(e: ErrorObject, path: Path): PolicyErrorCode {
  switch (e.keyword) {
    case 'additionalProperties':
      return path.length === 0 ? 'E_POLICY_UNKNOWN_SECTION' : 'E_POLICY_UNKNOWN_KEY';
    case 'required':
      return 'E_POLICY_MISSING_KEY';
    case 'type':
      return 'E_POLICY_BAD_TYPE';
    case 'anyOf':
      return 'E_POLICY_BAD_FORM';
    case 'pattern':
      return 'E_POLICY_BAD_FORMAT';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return 'E_POLICY_OUT_OF_RANGE';
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return 'E_POLICY_EMPTY';
    default:
      // enum, const, and any keyword the schema may come to use: a value not allowed.
      return 'E_POLICY_BAD_VALUE';
  }
}

function ajvMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    case 'required':
      return `missing key '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'enum':
      return `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
    case 'type':
      return `must be ${(e.params as { type: string }).type}`;
    case 'anyOf':
      return 'has the wrong form';
    case 'pattern':
      return `has the wrong format (${(e.params as { pattern: string }).pattern})`;
    default:
      return e.message ?? e.keyword;
  }
}

/** The value at path in a parsed tree, or undefined. */
function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** The located message of one schema error, with the closest allowed key or value when there is one. */
export function schemaMessage(e: ErrorObject, path: Path, value: unknown): string {
  const where = describePath(path);
  let text = ajvMessage(e);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    if (path.length === 0) {
      const hint = didYouMean(extra, SECTIONS);
      text = `unknown section '${extra}'${hint || ` (expected ${SECTIONS.join(', ')})`}`;
    } else text += didYouMean(extra, allowedKeysAt(path));
  } else if (e.keyword === 'enum') {
    const given = valueAt(value, path);
    if (typeof given === 'string')
      text += didYouMean(given, ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String));
  }
  return where ? `${where}: ${text}` : text;
}
