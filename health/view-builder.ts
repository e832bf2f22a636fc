// Health views from target maps and drains, numbered in one place. A view's epoch moves with every
// change a decision could see; its stateEpoch only with a verdict, the set of targets, the drains or
// what a target without a verdict reads as (failing open), so names whose policy reads no figures keep
// their cached answers while only round-trip times and load figures move. Parts that say the same as
// the last view's give that view back: no new epoch, no garbage.
import { datacenterDrainField, endpointDrainField } from './drains.js';
import { UNKNOWN_UP, sameTargets, sameVerdicts, type HealthView, type TargetHealth } from './view.js';

/** A drain in force: its field (drainField), and until when (ms since the epoch; null: until undrained). */
export interface ActiveDrain {
  readonly field: string;
  readonly until: number | null;
}

export interface ViewParts {
  /** Owned by the view from here on: the caller must not change the map afterwards. */
  readonly targets: ReadonlyMap<string, TargetHealth>;
  readonly drains: readonly ActiveDrain[];
  /** What a target without a verdict reads as: UNKNOWN_UP unless given (a constant, compared by identity). */
  readonly unknown?: TargetHealth;
}

/**
 * A frozen view with these numbers. The clock is read only when a drain with an end matches, so a
 * view without drains costs a query nothing but map lookups.
 */
export function makeView(
  epoch: number,
  stateEpoch: number,
  parts: ViewParts,
  now: () => number = Date.now,
): HealthView {
  const { targets } = parts;
  const unknown = parts.unknown ?? UNKNOWN_UP;
  const drains = new Map(parts.drains.map((d) => [d.field, d.until]));
  const active = (field: string): boolean => {
    const until = drains.get(field);
    return until !== undefined && (until === null || until > now());
  };
  return Object.freeze({
    epoch,
    stateEpoch,
    target: (key: string) => targets.get(key) ?? unknown,
    isDrained:
      drains.size === 0
        ? () => false
        : (datacenter: string, address: string) =>
            active(datacenterDrainField(datacenter)) || active(endpointDrainField(address)),
  });
}

/** Drains as one comparable string: the same drains in any order give the same key. */
function drainsKey(drains: readonly ActiveDrain[]): string {
  return drains
    .map((d) => `${d.field}@${d.until ?? ''}`)
    .sort()
    .join(' ');
}

/** Hands out a source's views: the first (epoch 1, nothing known), then one per change of its parts. */
export class ViewBuilder {
  private epoch = 1;
  private stateEpoch = 1;
  private targets: ReadonlyMap<string, TargetHealth> = new Map();
  private drains = '';
  private unknown: TargetHealth = UNKNOWN_UP;
  private current: HealthView;

  constructor(private readonly now: () => number = Date.now) {
    this.current = makeView(this.epoch, this.stateEpoch, { targets: this.targets, drains: [] }, now);
  }

  /** The last view handed out. */
  get view(): HealthView {
    return this.current;
  }

  /** The view of these parts: the current one when they say the same, else one with the next epoch. */
  update(parts: ViewParts): HealthView {
    const drains = drainsKey(parts.drains);
    const unknown = parts.unknown ?? UNKNOWN_UP;
    const sameState = unknown === this.unknown && drains === this.drains && sameVerdicts(parts.targets, this.targets);
    if (sameState && sameTargets(parts.targets, this.targets)) return this.current;
    const epoch = ++this.epoch;
    if (!sameState) this.stateEpoch = epoch;
    this.targets = parts.targets;
    this.drains = drains;
    this.unknown = unknown;
    this.current = makeView(epoch, this.stateEpoch, parts, this.now);
    return this.current;
  }
}
