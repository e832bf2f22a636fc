// The warning when every candidate of a load-balanced name goes down, once per candidate order and
// family until one is back: plans are made again on every health change (every second for figures),
// and the state has not changed.
import { nameToText } from '../../zones/name.js';
import type { LbName } from '../../zones/policy-types.js';
import type { Logger } from '../log.js';
import type { ClassPlan } from './decision-types.js';

export class AllDownLog {
  /** "family|order" of the orders whose warning has been logged; made on first use. */
  private down: Set<string> | null = null;

  constructor(
    private readonly name: LbName,
    private readonly log: Logger,
  ) {}

  /** Notes a new plan: warns when it falls back (the first time for its order), forgets it when not. */
  note(plan: ClassPlan): void {
    const down = plan.fallback !== null;
    if (!down && this.down === null) return; // the common case: nothing down, nothing logged
    const key = `${plan.family}|${plan.order.join(',')}`;
    if (!down) {
      this.down!.delete(key);
      return;
    }
    if (this.down?.has(key)) return;
    (this.down ??= new Set()).add(key);
    this.log.warn(
      { name: nameToText(this.name.owner.wire), family: plan.family, fallback: plan.fallback, candidates: plan.order },
      'every candidate is down: answering with the fallback',
    );
  }
}
