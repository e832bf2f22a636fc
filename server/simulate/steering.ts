// The steering a simulated scenario is answered with: the node's own controller core (steer) run on
// the scenario's health from nothing, a step at a time, until it rests. With live load figures that
// is the share each datacenter above its shed watermark comes to give away while the figures hold (a
// running node gets there one `every` at a time), and the margin rule's choices; without figures
// (everything assumed up) nothing sheds and load-aware names keep their plain order.
import type { HealthView } from '../../health/view.js';
import { nameToText } from '../../zones/name.js';
import type { Catalog } from '../catalog.js';
import { INITIAL_STEERING, steer, steeringConfig, type SteeringState } from '../gslb/steering.js';

/** A datacenter of a shed-load name giving away part of its clients. */
export interface ShedShare {
  /** The name, fully qualified. */
  readonly name: string;
  readonly datacenter: string;
  /** The share given away, 0..1. */
  readonly share: number;
  /** The utilisation it sheds at (connections / capacity of its usable endpoints). */
  readonly utilisation: number | null;
}

export interface SettledSteering {
  readonly state: SteeringState;
  /** Every share given away, name by name. */
  readonly shed: readonly ShedShare[];
}

/** More steps than any shed config takes to reach its max (step >= 1%: at most 100 steps). */
const MAX_STEPS = 1000;

/** The node's steering for this health, stepped from nothing until no step is due (the clock: `now` on). */
export function settledSteering(catalog: Catalog, health: HealthView, now: number): SettledSteering {
  const config = steeringConfig(catalog);
  const utilisation = new Map<string, number | null>();
  let state = INITIAL_STEERING;
  let at = now;
  for (let i = 0; i < MAX_STEPS; i++) {
    const r = steer(config, health, state, at);
    for (const c of r.shedChanges) utilisation.set(`${c.name.owner.key}|${c.datacenter}`, c.utilisation);
    state = r.state;
    if (state.nextStep === Infinity) break;
    at = Math.max(at, state.nextStep);
  }
  const shed: ShedShare[] = [];
  for (const s of config.names)
    for (const [datacenter, x] of state.shedShares(s.key))
      shed.push({
        name: nameToText(s.name.owner.wire),
        datacenter,
        share: x.share,
        utilisation: utilisation.get(`${s.key}|${datacenter}`) ?? null,
      });
  return { state, shed };
}
