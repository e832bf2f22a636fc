// A health source fed directly (tests, explain with --down, simulations): set states, get views.
import { UNKNOWN_UP, type HealthView, type TargetHealth } from './view.js';

export class StaticHealth {
  private readonly targets = new Map<string, TargetHealth>();
  private readonly drained = new Set<string>();
  private epoch = 1;
  private stateEpoch = 1;
  private current: HealthView | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  set(key: string, state: Partial<TargetHealth> & { up: boolean }): void {
    const known = this.targets.get(key);
    const prev = known ?? UNKNOWN_UP;
    const since = prev.up !== state.up ? this.now() : prev.since;
    const next = Object.freeze({ ...prev, reason: state.up ? 'up' : 'down', ...state, since: state.since ?? since });
    this.targets.set(key, next);
    this.changed(known === undefined || prev.up !== next.up || prev.since !== next.since);
  }

  /** Drains a datacenter (address omitted) or one endpoint. */
  drain(datacenter: string, address?: string): void {
    this.drained.add(address === undefined ? `dc:${datacenter}` : `ep:${address}`);
    this.changed(true);
  }

  undrain(datacenter: string, address?: string): void {
    this.drained.delete(address === undefined ? `dc:${datacenter}` : `ep:${address}`);
    this.changed(true);
  }

  /** verdict: an up/down verdict or a drain changed, not only figures. */
  private changed(verdict: boolean): void {
    this.epoch++;
    if (verdict) this.stateEpoch = this.epoch;
    this.current = null;
  }

  view(): HealthView {
    if (this.current) return this.current;
    const targets = new Map(this.targets);
    const drained = new Set(this.drained);
    const epoch = this.epoch;
    this.current = Object.freeze({
      epoch,
      stateEpoch: this.stateEpoch,
      target: (key: string) => targets.get(key) ?? UNKNOWN_UP,
      isDrained: (dc: string, address: string) => drained.has(`dc:${dc}`) || drained.has(`ep:${address}`),
    });
    return this.current;
  }
}
