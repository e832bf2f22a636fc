// A health source fed directly (tests, explain with --down, simulations): set states, get views. Each
// change builds the next view at once, so view() only reads a field, as on the serving sources.
import { drainFieldOf, type DrainField } from './drains.js';
import { UNKNOWN_UP, type HealthView, type TargetHealth } from './view.js';
import { ViewBuilder } from './view-builder.js';

export class StaticHealth {
  private readonly targets = new Map<string, TargetHealth>();
  private readonly drained = new Set<DrainField>();
  private readonly views: ViewBuilder;

  constructor(private readonly now: () => number = Date.now) {
    this.views = new ViewBuilder(now);
  }

  set(key: string, state: Partial<TargetHealth> & { up: boolean }): void {
    const prev = this.targets.get(key) ?? UNKNOWN_UP;
    const since = prev.up !== state.up ? this.now() : prev.since;
    this.targets.set(
      key,
      Object.freeze({ ...prev, reason: state.up ? 'up' : 'down', ...state, since: state.since ?? since }),
    );
    this.changed();
  }

  /** Drains a datacenter (address omitted) or one endpoint. */
  drain(datacenter: string, address?: string): void {
    this.drained.add(drainFieldOf(datacenter, address));
    this.changed();
  }

  undrain(datacenter: string, address?: string): void {
    this.drained.delete(drainFieldOf(datacenter, address));
    this.changed();
  }

  view(): HealthView {
    return this.views.view;
  }

  private changed(): void {
    this.views.update({
      targets: new Map(this.targets),
      drains: [...this.drained].map((field) => ({ field, until: null })),
    });
  }
}
