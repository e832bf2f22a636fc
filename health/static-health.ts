// A health source fed directly (tests, explain with --down, simulations): set states, get views.
import { UNKNOWN_UP, type HealthView, type TargetHealth } from './view.js';

export class StaticHealth {
  private readonly targets = new Map<string, TargetHealth>();
  private readonly drained = new Set<string>();
  private epoch = 1;
  private current: HealthView | null = null;

  constructor(private readonly now: () => number = Date.now) {}

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
    this.drained.add(address === undefined ? `dc:${datacenter}` : `ep:${address}`);
    this.changed();
  }

  undrain(datacenter: string, address?: string): void {
    this.drained.delete(address === undefined ? `dc:${datacenter}` : `ep:${address}`);
    this.changed();
  }

  private changed(): void {
    this.epoch++;
    this.current = null;
  }

  view(): HealthView {
    if (this.current) return this.current;
    const targets = new Map(this.targets);
    const drained = new Set(this.drained);
    const epoch = this.epoch;
    this.current = Object.freeze({
      epoch,
      target: (key: string) => targets.get(key) ?? UNKNOWN_UP,
      isDrained: (dc: string, address: string) => drained.has(`dc:${dc}`) || drained.has(`ep:${address}`),
    });
    return this.current;
  }
}
