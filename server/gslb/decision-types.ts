// The shapes of a GSLB decision: the class part a hot path caches (ClassPlan: candidates, health,
// the options it may serve and how a query picks among them) and the whole decision one client gets
// (Decision: what `gslb explain --json` prints and what the reply says).
import type { HealthView } from '../../health/view.js';
import type {
  Check,
  Datacenter,
  Endpoint,
  Fallback,
  LbName,
  LoadSource,
  PolicyName,
} from '../../zones/policy-types.js';
import type { ClientClass } from './classify.js';
import type { DatacenterLoad, EndpointState } from './select.js';

export type Outcome = 'primary' | 'failover' | 'fallback' | 'nodata' | 'servfail';

export interface CandidateReport {
  readonly datacenter: string;
  readonly endpoints: readonly EndpointState[];
  readonly usable: number;
  /** min_up: the usable endpoints it needs to serve the name (1 unless the name says more). */
  readonly minUp: number;
  /** Load figure that ranked it, for load-aware policies. */
  readonly figure: number | null;
  /** Its usable endpoints' load figures, when the name has a load source or a check. */
  readonly load: DatacenterLoad;
}

/** Shed load in effect: clients of `from` whose subnet hashes below `fraction` get `to` instead. */
export interface Shed {
  /** The datacenter the policy chose (what the margin rule remembers). */
  readonly from: string;
  readonly to: string;
  readonly fraction: number;
  readonly endpoints: readonly Endpoint[];
}

/** spread: one datacenter's part of an answer drawn from several. */
export interface SpreadGroup {
  readonly datacenter: string;
  /** Its usable endpoints, rotated within the group. */
  readonly endpoints: readonly Endpoint[];
  /** How many of them each answer holds. */
  readonly answers: number;
}

/** A tier split in effect: the tier's healthy datacenters and their weights. */
export interface SplitShare {
  readonly datacenter: string;
  readonly weight: number;
}

/** What a class plan and the decision made from it share: the name, the candidates and how all-down ends. */
export interface DecisionBasis {
  readonly name: LbName;
  readonly family: 4 | 6;
  readonly policy: PolicyName;
  readonly order: readonly string[];
  readonly candidates: readonly CandidateReport[];
  readonly fallback: Fallback | null;
  readonly shed: Shed | null;
}

export interface Decision extends DecisionBasis {
  readonly chosen: string | null;
  /** Endpoints to answer with, in pool order (the server rotates them per query). */
  readonly endpoints: readonly Endpoint[];
  /** spread: the datacenters the answer draws from, the chosen one first (absent: `endpoints` of one). */
  readonly groups?: readonly SpreadGroup[];
  /** A tier split decided this client's datacenter: the tier's healthy members and weights. */
  readonly split?: readonly SplitShare[];
  readonly outcome: Outcome;
  readonly steps: readonly string[];
  /** The answer's TTL: the name's, or shorter while health is degraded or just changed. */
  readonly ttl: number;
  /** Until when (ms) a shortened TTL applies because of a recent change; null when it does not expire by time. */
  readonly ttlUntil: number | null;
  /**
   * The ECS scope prefix this decision is valid for, in the client's own family (IPv4 bits for an
   * IPv4 client): every client inside it gets the same decision. 0 when it does not depend on the client.
   */
  readonly scope: number;
}

export interface DecideInput {
  readonly name: LbName;
  readonly family: 4 | 6;
  readonly cls: ClientClass | null;
  /** The client address (4 or 16 bytes): hashed policy and shed load key on its /24 or /56. */
  readonly subnet: Uint8Array;
  readonly health: HealthView;
  readonly checks: ReadonlyMap<string, Check>;
  readonly rng: () => number;
  /** Current time (ms), for the health-aware TTL. */
  readonly now: number;
  /** The name's load source lives here (load figures and passive health). */
  readonly loads?: ReadonlyMap<string, LoadSource>;
  /** Datacenter locations, for a distance tier. */
  readonly datacenters?: ReadonlyMap<string, Datacenter>;
  /** Load-aware policies: the datacenter chosen last time for this client class, kept within the margin. */
  readonly previous?: string | null;
  /** Shed load: the share each datacenter gives away now (the node's steering state). */
  readonly shedShares?: ReadonlyMap<string, { readonly share: number }>;
  /**
   * The client's depth in the class trie: the widest prefix (in its family) over which its class is
   * the same. Default: the whole address (the narrowest scope, always true).
   */
  readonly depth?: number;
  /** Whether the name's client classes give different candidate orders. Default: whether cls is given. */
  readonly classesDiffer?: boolean;
}

/** What the class part reads: the decision's input without the client's own address and randomness. */
export type PlanInput = Omit<DecideInput, 'subnet' | 'rng' | 'depth'>;

/** One answer a plan can serve. */
export interface ServedOption {
  readonly datacenter: string | null;
  readonly endpoints: readonly Endpoint[];
  /** spread: the datacenters the answer draws from, this option's first (absent: `endpoints` of one). */
  readonly groups?: readonly SpreadGroup[];
  readonly outcome: Outcome;
  readonly ttl: number;
  readonly ttlUntil: number | null;
  /** Steps this option adds after the plan's and the pick's (its TTL, shed membership). */
  readonly steps: readonly string[];
}

/**
 * How a query picks its option: 'one' has a single option; 'weighted' draws by weight; 'hashed' is a
 * rendezvous hash of the client's /24 (/56) over the options; 'shed' gives options[1] to the clients
 * whose subnet hashes below the shed fraction, options[0] to the rest.
 */
export type PickKind = 'one' | 'weighted' | 'hashed' | 'shed';

/** Which clients share a plan's answer: the ECS scope rule. */
export interface ScopeRule {
  /** The answer depends on the client's class: scope at least the class's depth. */
  readonly byClass: boolean;
  /** The answer depends on the client's /24 (/56): hashed, shed load. */
  readonly bySubnet: boolean;
}

/** The class part of a decision: everything but the per-query pick, cacheable per (order, family, epochs). */
export interface ClassPlan extends DecisionBasis, ScopeRule {
  /** Steps shared by every option, after the candidates line (which names the client's class). */
  readonly steps: readonly string[];
  readonly pick: PickKind;
  readonly options: readonly ServedOption[];
  /** weighted and hashed: each option's weight (its usable endpoints' weights summed); a tier split: the tier's weights. */
  readonly weights: readonly number[];
  /** The options are a region tier's split (pick 'hashed' with the tier's weights), not a hashed policy's. */
  readonly tierSplit?: boolean;
  /** The earliest time (ms) an option's shortened TTL ends, when the plan must be made again; 0: never. */
  readonly expires: number;
}
