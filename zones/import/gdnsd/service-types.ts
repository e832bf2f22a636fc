// gdnsd's `service_types` (gdnsd.config(5)) as our checks: http_status becomes an http check and
// tcp_connect a tcp check, with gdnsd's defaults made explicit. The thresholds: up_thresh (successes in
// a row from DOWN to UP) is our rise; down_thresh (failures, not necessarily in a row, until ok_thresh
// successes in a row reset the count) is our fall, which counts failures in a row: a backend failing
// every other probe goes down in gdnsd and stays up with us (docs/migration.md).
import { entry, type VHash, type VNode, type VPlace } from './vscf.js';

/** What a service type name stands for: a check of ours, always up, or something untranslatable. */
export type ServiceType =
  | { readonly kind: 'check'; readonly check: Readonly<Record<string, unknown>>; readonly at: VPlace }
  | { readonly kind: 'up' }
  | { readonly kind: 'untranslatable'; readonly why: string; readonly at: VPlace };

export interface ServiceTypeNote {
  /** The service type it is about. */
  readonly name: string;
  readonly at: VPlace;
  readonly message: string;
}

const GENERIC = new Set(['plugin', 'up_thresh', 'ok_thresh', 'down_thresh', 'interval', 'timeout']);
const PLUGIN_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  http_status: new Set(['port', 'url_path', 'vhost', 'ok_codes']),
  tcp_connect: new Set(['port']),
};
const NO_EQUIVALENT: Readonly<Record<string, string>> = {
  extmon:
    'extmon runs a command per address; gslb has no command checks: use an http, https, tcp, tls or dns check, or run agents (docs/agents.md)',
  extfile:
    'extfile reads states from a file another tool writes; gslb takes states from its own checks or agents: use a check, or gslb drain for manual states',
  static:
    'the static monitoring plugin fixes a state for testing; leave the check out (up) or drain the endpoints (down)',
  null: 'the null monitoring plugin is always down; drain the endpoints with gslb drain instead',
};

function scalar(v: VNode | undefined): string | null {
  return v?.kind === 'scalar' ? v.value : null;
}

function int(h: VHash, key: string, dflt: number, min: number, max: number): number | string {
  const e = entry(h, key);
  if (!e) return dflt;
  const s = scalar(e.value);
  if (s === null || !/^[0-9]+$/.test(s) || Number(s) < min || Number(s) > max)
    return `${key} must be a whole number from ${min} to ${max}`;
  return Number(s);
}

/** Translates one service type definition. `notes` gets the behaviour differences worth reading. */
export function translateServiceType(name: string, def: VNode, at: VPlace, notes: ServiceTypeNote[]): ServiceType {
  if (def.kind !== 'hash') return { kind: 'untranslatable', why: `service type '${name}' must be a hash`, at };
  const plugin = scalar(entry(def, 'plugin')?.value);
  if (plugin === null) return { kind: 'untranslatable', why: `service type '${name}' has no plugin`, at };
  // Own keys only: a plugin named 'constructor' must not find Object's.
  if (Object.hasOwn(NO_EQUIVALENT, plugin))
    return { kind: 'untranslatable', why: `service type '${name}': ${NO_EQUIVALENT[plugin]}`, at };
  const own = Object.hasOwn(PLUGIN_KEYS, plugin) ? PLUGIN_KEYS[plugin] : undefined;
  if (!own) return { kind: 'untranslatable', why: `service type '${name}': unknown monitoring plugin '${plugin}'`, at };
  for (const e of def.entries)
    if (!GENERIC.has(e.key) && !own.has(e.key))
      return { kind: 'untranslatable', why: `service type '${name}': unknown ${plugin} option '${e.key}'`, at: e.at };
  const interval = int(def, 'interval', 10, 1, 255);
  if (typeof interval === 'string') return { kind: 'untranslatable', why: `service type '${name}': ${interval}`, at };
  const timeout = int(def, 'timeout', Math.max(1, Math.floor(interval / 2)), 1, 255);
  const rise = int(def, 'up_thresh', 20, 1, 65535);
  const fall = int(def, 'down_thresh', 10, 1, 65535);
  const ok = int(def, 'ok_thresh', 10, 1, 65535);
  const port = int(def, 'port', plugin === 'http_status' ? 80 : -1, 1, 65535);
  for (const v of [timeout, rise, fall, ok, port])
    if (typeof v === 'string') return { kind: 'untranslatable', why: `service type '${name}': ${v}`, at };
  if (port === -1) return { kind: 'untranslatable', why: `service type '${name}': tcp_connect needs a port`, at };
  const check: Record<string, unknown> = { type: plugin === 'http_status' ? 'http' : 'tcp', port };
  if (plugin === 'http_status') {
    check['path'] = scalar(entry(def, 'url_path')?.value) ?? '/';
    const vhost = scalar(entry(def, 'vhost')?.value);
    if (vhost !== null) check['host'] = vhost;
    else
      notes.push({
        name,
        at,
        message: `service type '${name}': gdnsd sends no Host header without vhost; gslb sends the probed address as Host`,
      });
    const codes = entry(def, 'ok_codes');
    if (codes) {
      const list = codes.value.kind === 'array' ? codes.value.items : [codes.value];
      const nums = list.map((n) => scalar(n));
      if (nums.some((n) => n === null || !/^[1-5][0-9][0-9]$/.test(n)))
        return {
          kind: 'untranslatable',
          why: `service type '${name}': ok_codes must be HTTP status codes`,
          at: codes.at,
        };
      check['expect'] = nums.map(Number);
    } else check['expect'] = [200];
  }
  check['interval'] = `${interval}s`;
  check['timeout'] = `${Math.min(timeout as number, interval)}s`;
  check['rise'] = rise;
  check['fall'] = fall;
  if (ok !== 1 && (fall as number) > 1)
    notes.push({
      name,
      at,
      message: `service type '${name}': down_thresh ${fall} counts failures until ${ok} successes in a row reset the count; gslb's fall counts ${fall} failures in a row`,
    });
  return { kind: 'check', check, at };
}

/** Every service type of the config's `service_types` hash, by name, with the built-in up and down. */
export function translateServiceTypes(h: VHash | null, notes: ServiceTypeNote[]): Map<string, ServiceType> {
  const out = new Map<string, ServiceType>();
  out.set('up', { kind: 'up' });
  out.set('default', { kind: 'up' });
  if (h)
    for (const e of h.entries) {
      if (e.key === 'up' || e.key === 'down') continue;
      out.set(e.key, translateServiceType(e.key, e.value, e.at, notes));
    }
  return out;
}
