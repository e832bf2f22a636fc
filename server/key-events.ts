// When the served key state of a signed zone next changes: the earliest KeyState.nextChange of the
// served zones, with the key and the BIND timing field that make it (for the log line that says why
// the node reloads). One build serves one key state; node.ts reloads at this time.
import type { ZoneKey } from '../zones/dnssec/types.js';
import type { CompiledZone } from './catalog.js';

export interface KeyEvent {
  /** When (ms since the epoch). */
  readonly at: number;
  /** The zone's apex in presentation form. */
  readonly zone: string;
  /** The key whose timing field falls then (null when no key's field matches nextChange exactly). */
  readonly tag: number | null;
  readonly kind: 'Publish' | 'Activate' | 'Inactive' | 'Delete' | 'change';
  /** "example.com. key 12345 Activate", for the reload's reason. */
  readonly text: string;
}

const FIELDS = [
  ['Publish', 'publish'],
  ['Activate', 'activate'],
  ['Inactive', 'inactive'],
  ['Delete', 'delete'],
] as const satisfies ReadonlyArray<readonly [KeyEvent['kind'], keyof ZoneKey]>;

/** The earliest key event of these zones, or null when none has one ahead (unsigned, or no timing). */
export function nextKeyEvent(zones: Iterable<CompiledZone>): KeyEvent | null {
  let best: CompiledZone | null = null;
  for (const z of zones) {
    const at = z.zone.dnssec?.state.nextChange ?? Infinity;
    if (Number.isFinite(at) && (best === null || at < best.zone.dnssec!.state.nextChange)) best = z;
  }
  if (best === null) return null;
  const d = best.zone.dnssec!;
  const at = d.state.nextChange;
  for (const k of d.keys)
    for (const [kind, field] of FIELDS)
      if (k[field] === at) return { at, zone: best.name, tag: k.tag, kind, text: `${best.name} key ${k.tag} ${kind}` };
  return { at, zone: best.name, tag: null, kind: 'change', text: `${best.name} key state changes` };
}
