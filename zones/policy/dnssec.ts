// The dnssec section: a signed zone's signature settings (validity, refresh, inception offset, DNSKEY
// TTL), each optional, checked against bounds that keep signatures servable, in seconds.
import { DEFAULT_DNSSEC, type DnssecSettings } from '../dnssec/types.js';
import type { Collector } from './collector.js';
import type { Owned, Raw } from './merge.js';
import { durationMs } from './values.js';

const HOUR = 3600;
const DAY = 86400;

/** Each setting's bounds in seconds (docs/policy.md lists them). */
export const DNSSEC_BOUNDS = {
  validity: { min: HOUR, max: 365 * DAY, text: 'from 1h to 365d' },
  refresh: { min: 60, max: 365 * DAY, text: 'at least 1m, and below validity' },
  inception_offset: { min: 0, max: DAY, text: 'from 0 to 24h' },
  dnskey_ttl: { min: 1, max: DAY, text: 'from 1s to 24h' },
} as const;

type Setting = keyof typeof DNSSEC_BOUNDS;

/**
 * The settings with their defaults filled in (refresh: a quarter of validity), or null when no policy
 * file has a dnssec section. A value out of bounds is an error at its key, and its default is used.
 */
export function buildDnssec(entries: ReadonlyMap<string, Owned<Raw>>, errs: Collector): DnssecSettings | null {
  if (entries.size === 0) return null;
  /** The setting in whole seconds, its default when absent or wrong (after an error at its key). */
  const seconds = (key: Setting, fallback: number, max: number = DNSSEC_BOUNDS[key].max): number | null => {
    const entry = entries.get(key);
    if (!entry) return null;
    const path = ['dnssec', key];
    const ms = durationMs(entry.value, fallback * 1000);
    if (ms % 1000 !== 0) {
      errs.at(entry.file, path, 'E_POLICY_BAD_FORMAT', 'must be whole seconds (such as 90s, 10m, 2h)');
      return fallback;
    }
    const s = ms / 1000;
    if (s < DNSSEC_BOUNDS[key].min || s > max) {
      errs.at(entry.file, path, 'E_POLICY_OUT_OF_RANGE', `must be ${DNSSEC_BOUNDS[key].text}`);
      return fallback;
    }
    return s;
  };
  const given = seconds('validity', DEFAULT_DNSSEC.validity);
  const validity = given ?? DEFAULT_DNSSEC.validity;
  const refresh = seconds('refresh', Math.floor(validity / 4), validity - 1) ?? Math.floor(validity / 4);
  return Object.freeze({
    validity,
    refresh,
    inceptionOffset: seconds('inception_offset', DEFAULT_DNSSEC.inceptionOffset) ?? DEFAULT_DNSSEC.inceptionOffset,
    dnskeyTtl: seconds('dnskey_ttl', DEFAULT_DNSSEC.dnskeyTtl) ?? DEFAULT_DNSSEC.dnskeyTtl,
  });
}
