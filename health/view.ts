// The health snapshot the DNS decision reads: per probe target, up/down plus the figures load-aware
// policies use. Sources (embedded prober, Redis subscriber, tests) publish immutable views; a new
// epoch number means "something changed, recompute cached decisions", a new stateEpoch that an up/down
// verdict or a drain changed (what a decision that reads no figures depends on).
import { isCname, type Check, type Endpoint, type LoadSource } from '../zones/policy-types.js';
import { fingerprint } from '../zones/hash.js';
import { canonicalJson } from './canonical-json.js';

export interface TargetHealth {
  readonly up: boolean;
  /** Smoothed probe round-trip time, when known (the median over the agents that see the target up). */
  readonly rttMs: number | null;
  /**
   * The same, as seen from each datacenter's agents (distributed mode): lowest-latency ranks by the
   * RTT from the client's first datacenter, a stand-in for the client's own. Null when there is one vantage.
   */
  readonly rttByDatacenter: Readonly<Record<string, number>> | null;
  /** Active connections and capacity from the load balancer's stats, when known. */
  readonly connections: number | null;
  readonly capacity: number | null;
  /** Bytes per second through the endpoint, when known. */
  readonly bandwidthBps: number | null;
  /** Share of failed requests between the last two reads of the load source, when known. */
  readonly errorRate: number | null;
  readonly reason: string;
  /** When the state last changed (ms since the epoch), 0 when unknown. */
  readonly since: number;
}

export interface HealthView {
  /** Changes whenever any state or figure changes. */
  readonly epoch: number;
  /**
   * The epoch of the last change to a target's up/down verdict (or its time), the set of targets, a
   * drain or failing open: not to figures (RTT, load) alone, which change with nearly every probe.
   * Answers of names whose policy reads no figures are cached per stateEpoch, so they are not
   * recomputed every second while nothing they depend on changes.
   */
  readonly stateEpoch: number;
  /** Health of a probe target (see targetKey); an unknown target is up. */
  target(key: string): TargetHealth;
  /** Operator overrides: a drained endpoint or datacenter is out of every answer. */
  isDrained(datacenter: string, address: string): boolean;
}

export const UNKNOWN_UP: TargetHealth = Object.freeze({
  up: true,
  rttMs: null,
  rttByDatacenter: null,
  connections: null,
  capacity: null,
  bandwidthBps: null,
  errorRate: null,
  reason: 'not probed',
  since: 0,
});

type Targets = ReadonlyMap<string, TargetHealth>;

/** Whether a and b hold the same targets and `same` holds for each pair. */
function everyTarget(a: Targets, b: Targets, same: (x: TargetHealth, y: TargetHealth) => boolean): boolean {
  if (a.size !== b.size) return false;
  for (const [key, t] of a) {
    const o = b.get(key);
    if (o === undefined || !same(o, t)) return false;
  }
  return true;
}

/** The verdict and when it last changed (the health-aware TTL reads that). */
const sameVerdict = (x: TargetHealth, y: TargetHealth): boolean => x.up === y.up && x.since === y.since;

function sameNumbers(a: Readonly<Record<string, number>> | null, b: Readonly<Record<string, number>> | null): boolean {
  if (a === null || b === null) return a === b;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** What decisions that read no figures depend on: the same targets, each with the same verdict. */
export const sameVerdicts = (a: Targets, b: Targets): boolean => everyTarget(a, b, sameVerdict);

/** Whether two target maps say exactly the same of every target (figures and reason included). */
export const sameTargets = (a: Targets, b: Targets): boolean =>
  everyTarget(
    a,
    b,
    (x, y) =>
      sameVerdict(x, y) &&
      x.reason === y.reason &&
      x.rttMs === y.rttMs &&
      x.connections === y.connections &&
      x.capacity === y.capacity &&
      x.bandwidthBps === y.bandwidthBps &&
      x.errorRate === y.errorRate &&
      sameNumbers(x.rttByDatacenter, y.rttByDatacenter),
  );

export const NO_CHECK: TargetHealth = Object.freeze({ ...UNKNOWN_UP, reason: 'no check configured' });

/**
 * The fingerprint of a check's or a load source's settings: its canonical JSON with every field but the
 * name (already in the key) and the CA's PEM text (tlsCaDigest, made at load, stands for it), so any
 * setting, one added later included, makes a different target (the jitter excepted: it only moves
 * probe times). Memoised per frozen object (the loader freezes them; a reload makes new ones): keys
 * are made on the first query after each health change.
 */
function settingsPrint(settings: Check | LoadSource): string {
  let print = settingsPrints.get(settings);
  if (print === undefined) {
    // `from: all` (the default) is left out, so the field's arrival changed no existing key.
    const all = 'from' in settings && settings.from === 'all';
    print = fingerprint(canonicalJson(settings, all ? NOT_SETTINGS_FROM_ALL : NOT_SETTINGS));
    if (Object.isFrozen(settings)) settingsPrints.set(settings, print);
  }
  return print;
}

// jitterMs only spreads probe times: a changed jitter retimes the target (prober.ts) and keeps its state.
const NOT_SETTINGS: ReadonlySet<string> = new Set(['name', 'tlsCa', 'jitterMs']);
const NOT_SETTINGS_FROM_ALL: ReadonlySet<string> = new Set([...NOT_SETTINGS, 'from']);
const settingsPrints = new WeakMap<Check | LoadSource, string>();

/**
 * The probe target of an endpoint under a check: what is probed and how. Names sharing it share state.
 * The fingerprint of the check's settings is part of the key, so DNS nodes running different config
 * versions during a rollout each get results for their own version of a check instead of fighting.
 */
export function targetKey(check: Check, ep: Endpoint): string {
  const host = ep.probe?.host ?? ep.address;
  const port = ep.probe?.port ?? check.port;
  const key = `${check.name}|${host}|${port}|${settingsPrint(check)}`;
  // A CNAME endpoint probed elsewhere still sends its host name (Host, SNI): that is part of the target.
  return isCname(ep) && ep.probe !== null ? `${key}|${ep.address}` : key;
}

/** Load-read target keys start with this, so they never collide with a check's name. */
export const LOAD_KEY_PREFIX = 'load:';

export function isLoadKey(key: string): boolean {
  return key.startsWith(LOAD_KEY_PREFIX);
}

/** The stats URL of an endpoint under a load source: its own load_url, else the source's template. */
export function loadUrlOf(source: LoadSource, ep: Endpoint): string {
  if (ep.loadUrl !== null) return ep.loadUrl;
  return (source.url ?? '').replaceAll('{address}', ep.family === 6 ? `[${ep.address}]` : ep.address);
}

/** The load-read target of an endpoint under a load source: what is read and how it is folded. */
export function loadKey(source: LoadSource, ep: Endpoint): string {
  return `${LOAD_KEY_PREFIX}${source.name}|${loadUrlOf(source, ep)}|${settingsPrint(source)}`;
}
