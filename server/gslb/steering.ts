// The node's steering controller: what load-aware decisions remember between health changes (the
// margin rule's current choice per name, candidate order and family; the share each datacenter of a
// shed-load name gives away), decided once per node from the combined health and shipped to workers
// with it, so every worker, explain and /metrics agree. A pure core (steer: config, health, previous
// state and `now` in, a new immutable state out) and a small driver that recomputes it by its own
// timer when the health epoch changes or a shed step falls due: never inside a DNS query.
import type { HealthView } from '../../health/view.js';
import { nameToText } from '../../zones/name.js';
import { LOAD_POLICIES, type Check, type Datacenter, type LbName, type LoadSource } from '../../zones/policy-types.js';
import type { Catalog } from '../catalog.js';
import { silentLogger, type Logger } from '../log.js';
import type { ClientClass } from './classify.js';
import type { ClassPlan } from './decision-types.js';
import { serves } from './min-up.js';
import { planFor } from './plan.js';
import { candidateOrder, datacenterLoad, endpointStates } from './select.js';
import { NOT_SHEDDING, nextShedStep, stepShed, type ShedState } from './shed.js';
import type { SteeringView } from './steering-types.js';

/** A load-aware or shed-load name as the controller sees it. */
export interface SteeredName {
  /** The owner's key (what SteeringView is asked with). */
  readonly key: string;
  readonly name: LbName;
  /** Load-aware names: one client class per distinct candidate order (null: the pool order). */
  readonly orders: ReadonlyArray<{ readonly key: string; readonly cls: ClientClass | null }>;
  /** The address families the name has endpoints of. */
  readonly families: ReadonlyArray<4 | 6>;
  readonly checks: ReadonlyMap<string, Check>;
  readonly loads: ReadonlyMap<string, LoadSource>;
  readonly datacenters: ReadonlyMap<string, Datacenter>;
}

export interface SteeringConfig {
  readonly names: readonly SteeredName[];
}

/** Whether a name has anything to remember: a load-aware policy or shed load. */
export function isSteered(name: LbName): boolean {
  return LOAD_POLICIES.has(name.policy) || name.shed !== null;
}

/** The steered names of a catalog (a name served by two nested zones counts once, where it is answered). */
export function steeringConfig(catalog: Catalog): SteeringConfig {
  const names: SteeredName[] = [];
  for (const zone of catalog.zones.values()) {
    const { checks, loads, datacenters } = zone.zone.policy;
    for (const [key, node] of zone.nodes) {
      const lb = node.lb;
      if (lb === null || !isSteered(lb.name) || catalog.exact.get(key)?.node !== node) continue;
      const orders = new Map<string, ClientClass | null>();
      if (LOAD_POLICIES.has(lb.name.policy))
        for (const cls of lb.classifier?.classes ?? [null]) {
          const order = candidateOrder(lb.name, cls).order.join(',');
          if (!orders.has(order)) orders.set(order, cls);
        }
      const families = ([4, 6] as const).filter((f) =>
        lb.name.pools.some((p) => p.endpoints.some((e) => e.family === f)),
      );
      names.push({
        key: lb.name.owner.key,
        name: lb.name,
        orders: [...orders].map(([k, cls]) => ({ key: k, cls })),
        families,
        checks,
        loads,
        datacenters,
      });
    }
  }
  return { names };
}

const NO_SHARES: ReadonlyMap<string, ShedState> = new Map();

/** The key of one remembered choice within a name. */
const choiceKey = (orderKey: string, family: 4 | 6): string => `${family}|${orderKey}`;

/** One node's steering state: immutable; a new one is made when anything changes. */
export class SteeringState implements SteeringView {
  constructor(
    readonly epoch: number,
    /** name key -> choice key (family|order) -> the datacenter chosen. */
    readonly choices: ReadonlyMap<string, ReadonlyMap<string, string>>,
    /** name key -> datacenter -> its share given away (only datacenters that shed). */
    readonly shed: ReadonlyMap<string, ReadonlyMap<string, ShedState>>,
    /** The health epoch this was computed from (-1: shipped, not computed here). */
    readonly healthEpoch: number,
    /** When a shed step falls due next without new figures (ms); Infinity when none is pending. */
    readonly nextStep: number,
    /**
     * name key -> choice key -> the datacenters that were healthy when the choice was made (the node's
     * own memory for the margin rule; workers do not need it, so it is not shipped).
     */
    readonly healthyAtChoice: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(),
  ) {
    Object.freeze(this);
  }

  previous(nameKey: string, orderKey: string, family: 4 | 6): string | null {
    return this.choices.get(nameKey)?.get(choiceKey(orderKey, family)) ?? null;
  }

  shedShares(nameKey: string): ReadonlyMap<string, ShedState> {
    return this.shed.get(nameKey) ?? NO_SHARES;
  }

  /** The datacenters healthy when a choice was made (',' joined), or undefined when none is remembered. */
  healthyWhenChosen(nameKey: string, orderKey: string, family: 4 | 6): string | undefined {
    return this.healthyAtChoice.get(nameKey)?.get(choiceKey(orderKey, family));
  }
}

/** The healthy datacenters of a plan, in order, ',' joined. */
function healthySet(plan: ClassPlan): string {
  return plan.candidates
    .filter(serves)
    .map((c) => c.datacenter)
    .join(',');
}

/** Whether a datacenter is healthy now that was not when the remembered choice was made. */
function cameBack(now: string, then: string): boolean {
  const before = new Set(then.split(','));
  return now.split(',').some((dc) => dc !== '' && !before.has(dc));
}

/** Nothing remembered yet. */
export const INITIAL_STEERING = new SteeringState(0, new Map(), new Map(), -1, Infinity);

/** A shed share that changed in a step (the driver logs it: once per node, not once per worker). */
export interface ShedChange {
  readonly name: LbName;
  readonly datacenter: string;
  readonly utilisation: number | null;
  readonly from: number;
  readonly share: number;
}

export interface SteerResult {
  readonly state: SteeringState;
  readonly shedChanges: readonly ShedChange[];
}

function sameMaps<V>(
  a: ReadonlyMap<string, ReadonlyMap<string, V>>,
  b: ReadonlyMap<string, ReadonlyMap<string, V>>,
  same: (x: V, y: V) => boolean,
): boolean {
  if (a.size !== b.size) return false;
  for (const [k, inner] of a) {
    const other = b.get(k);
    if (other === undefined || other.size !== inner.size) return false;
    for (const [k2, v] of inner) {
      const w = other.get(k2);
      if (w === undefined || !same(v, w)) return false;
    }
  }
  return true;
}

/**
 * The pure core: every steered name's choices (decide() with the previous choice, so the margin rule
 * holds across health changes) and shed shares (one step from the previous ones at `now`). The epoch
 * moves on only when a choice or a share changed. Names not in `config` are forgotten, so a reload
 * keeps the choices and shares of the names that remain.
 */
export function steer(config: SteeringConfig, health: HealthView, prev: SteeringState, now: number): SteerResult {
  const choices = new Map<string, Map<string, string>>();
  const healthy = new Map<string, Map<string, string>>();
  const shed = new Map<string, Map<string, ShedState>>();
  const shedChanges: ShedChange[] = [];
  let nextStep = Infinity;
  for (const s of config.names) {
    const { name } = s;
    if (LOAD_POLICIES.has(name.policy)) {
      const mine = new Map<string, string>();
      const healthyNow = new Map<string, string>();
      for (const { key: orderKey, cls } of s.orders)
        for (const family of s.families) {
          const input = {
            name,
            family,
            cls,
            health,
            checks: s.checks,
            now,
            loads: s.loads,
            datacenters: s.datacenters,
            previous: prev.previous(s.key, orderKey, family),
          };
          // The policy's own choice is option 0 (shed load's moved share is option 1, not a choice).
          let plan = planFor(input);
          // The margin holds a choice against the datacenters that were healthy when it was made: one
          // that comes back (after a failover, say) competes afresh, so equal figures send clients home.
          const then = prev.healthyWhenChosen(s.key, orderKey, family);
          if (input.previous !== null && then !== undefined && cameBack(healthySet(plan), then))
            plan = planFor({ ...input, previous: null });
          const main = plan.options[0]!;
          if (main.datacenter === null || main.outcome === 'fallback') continue;
          mine.set(choiceKey(orderKey, family), main.datacenter);
          healthyNow.set(choiceKey(orderKey, family), healthySet(plan));
        }
      if (mine.size > 0) {
        choices.set(s.key, mine);
        healthy.set(s.key, healthyNow);
      }
    }
    const cfg = name.shed;
    if (cfg === null) continue;
    const before = prev.shedShares(s.key);
    const shares = new Map<string, ShedState>();
    for (const p of name.pools) {
      const usable = endpointStates(name, p.datacenter, 0, health, s.checks, s.loads).filter((e) => e.usable);
      const utilisation = datacenterLoad(usable).utilisation;
      const was = before.get(p.datacenter) ?? NOT_SHEDDING;
      const next = stepShed(was, utilisation, cfg, now);
      if (next.share !== was.share)
        shedChanges.push({ name, datacenter: p.datacenter, utilisation, from: was.share, share: next.share });
      if (next.share > 0) shares.set(p.datacenter, next);
      const due = nextShedStep(next, utilisation, cfg);
      if (due !== null && due < nextStep) nextStep = due;
    }
    if (shares.size > 0) shed.set(s.key, shares);
  }
  const same =
    sameMaps(choices, prev.choices, (a, b) => a === b) &&
    sameMaps(shed, prev.shed, (a, b) => a.share === b.share && a.at === b.at);
  const epoch = same ? prev.epoch : prev.epoch + 1;
  return { state: new SteeringState(epoch, choices, shed, health.epoch, nextStep, healthy), shedChanges };
}

/** Whether the state is out of date: the health changed, or a shed step falls due. */
export function steeringDue(state: SteeringState, health: HealthView, now: number): boolean {
  return health.epoch !== state.healthEpoch || now >= state.nextStep;
}

/** The state as plain data, for a worker (it goes in the same message as the health snapshot). */
export interface SteeringSnapshot {
  readonly epoch: number;
  readonly choices: ReadonlyArray<readonly [nameKey: string, choices: ReadonlyArray<readonly [string, string]>]>;
  readonly shed: ReadonlyArray<
    readonly [nameKey: string, shares: ReadonlyArray<readonly [datacenter: string, share: number, at: number]>]
  >;
}

export function steeringSnapshot(s: SteeringState): SteeringSnapshot {
  return {
    epoch: s.epoch,
    choices: [...s.choices].map(([k, m]) => [k, [...m]] as const),
    shed: [...s.shed].map(([k, m]) => [k, [...m].map(([dc, x]) => [dc, x.share, x.at] as const)] as const),
  };
}

/** A worker's view of its primary's state. */
export function steeringFromSnapshot(s: SteeringSnapshot): SteeringState {
  return new SteeringState(
    s.epoch,
    new Map(s.choices.map(([k, m]) => [k, new Map(m)])),
    new Map(s.shed.map(([k, m]) => [k, new Map(m.map(([dc, share, at]) => [dc, { share, at }]))])),
    -1,
    Infinity,
  );
}

export interface SteeringControllerOptions {
  readonly config: SteeringConfig;
  /** The node's combined health (the primary's with --workers). */
  readonly health: () => HealthView;
  readonly log?: Logger;
  readonly now?: () => number;
}

/** The driver: keeps the node's state current, by its own timer (start) or when asked (update). */
export class SteeringController {
  private current: SteeringState = INITIAL_STEERING;
  private config: SteeringConfig;
  private configChanged = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: SteeringControllerOptions) {
    this.config = opts.config;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
    this.update();
  }

  /** The current state (what pipelines, explain and metrics read; never computed here). */
  get view(): SteeringState {
    return this.current;
  }

  /** Recomputes when the configuration or the health changed or a shed step is due; true when the epoch moved. */
  update(): boolean {
    const health = this.opts.health();
    const now = this.now();
    if (!this.configChanged && !steeringDue(this.current, health, now)) return false;
    this.configChanged = false;
    const { state, shedChanges } = steer(this.config, health, this.current, now);
    for (const c of shedChanges)
      this.log.info(
        {
          name: nameToText(c.name.owner.wire),
          datacenter: c.datacenter,
          utilisation: c.utilisation,
          share: c.share,
        },
        c.share > c.from ? 'shedding load' : 'taking load back',
      );
    const moved = state.epoch !== this.current.epoch;
    this.current = state;
    return moved;
  }

  /**
   * Forgets every choice and share and decides again from the current health (the epoch moves on):
   * for the warm start, so choices made before the first health was known, which served nobody, do
   * not hold the margin against the first real figures.
   */
  restart(): void {
    this.current = new SteeringState(this.current.epoch + 1, new Map(), new Map(), -1, Infinity);
    this.configChanged = true;
    this.update();
  }

  /** A reload's configuration: choices and shares of names that still exist are kept. */
  reconfigure(config: SteeringConfig): void {
    this.config = config;
    this.configChanged = true;
    this.update();
  }

  /** Checks every `everyMs` (health changes reach the workers on the same beat); does not keep the process alive. */
  start(everyMs = 20): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.update(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
