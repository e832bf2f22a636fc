// Decision table tests ask decide() as the answerer would: the client's class and its trie depth from
// the name's classifier, whether the name's classes give different candidate orders (their splits
// included), a health state and shed shares; and the ECS scope invariant. Shared by decide.test and
// steering-depth.test.
import { expect } from 'chai';
import { StaticHealth } from '../../health/static-health.js';
import type { HealthView } from '../../health/view.js';
import type { LbName, PolicyConfig } from '../../zones/policy-types.js';
import { seeded } from '../../zones/prng.js';
import { classifyWithDepth, type Classifier, type ClassifierCache } from '../../server/gslb/classify.js';
import type { Decision, DecideInput } from '../../server/gslb/decide.js';
import { candidateOrder, orderKey } from '../../server/gslb/select.js';

/** A named health state of a table, with the shed shares the steering would hand out. */
export interface HealthState {
  readonly what: string;
  readonly health: HealthView;
  readonly shedShares?: ReadonlyMap<string, { share: number }>;
}

/** A health state set up on static health whose verdicts changed long before `now`. */
export function healthState(
  what: string,
  now: number,
  setup: (h: StaticHealth) => void,
  shedShares?: Map<string, { share: number }>,
): HealthState {
  const h = new StaticHealth(() => now - 3_600_000);
  setup(h);
  return { what, health: h.view(), ...(shedShares ? { shedShares } : {}) };
}

/** Whether a name's client classes give different candidate orders (what the answerer works out). */
export function classesDiffer(name: LbName, c: Classifier | null): boolean {
  if (c === null) return false;
  return new Set(c.classes.map((k) => orderKey(candidateOrder(name, k)))).size > 1;
}

/** What decide() is asked for a client (address bytes) of `name` in state `s`. */
export function decideInput(
  fixture: { readonly policy: PolicyConfig; readonly classifiers: ClassifierCache; readonly now: number },
  name: LbName,
  s: HealthState,
  family: 4 | 6,
  bytes: Uint8Array,
  seed = 1,
): DecideInput {
  const { policy, classifiers, now } = fixture;
  const classifier = classifiers.forName(name, policy.regions, policy.datacenters);
  const hit = classifyWithDepth(classifier, bytes.length === 16 ? 6 : 4, bytes);
  return {
    name,
    family,
    cls: classifier?.classes[hit.id] ?? null,
    subnet: bytes,
    health: s.health,
    checks: policy.checks,
    rng: seeded(seed),
    now,
    loads: policy.loads,
    datacenters: policy.datacenters,
    ...(s.shedShares ? { shedShares: s.shedShares } : {}),
    depth: hit.depth,
    classesDiffer: classesDiffer(name, classifier),
  };
}

/** What a client is served: another client inside the scope must get exactly this. */
const served = (d: Decision) => ({
  chosen: d.chosen,
  outcome: d.outcome,
  endpoints: d.endpoints.map((e) => e.address),
  ttl: d.ttl,
});

/** A random address inside prefix/scope of `bytes` (same family). */
function inside(bytes: Uint8Array, scope: number, rng: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = scope; bit < out.length * 8; bit++) if (rng() < 0.5) out[bit >> 3]! ^= 0x80 >> (bit & 7);
  return out;
}

/**
 * The scope is never wider than true: six random clients inside d.scope of `bytes` (decided by
 * `decideAt`) are served exactly what d serves.
 */
export function expectScopeHolds(
  d: Decision,
  bytes: Uint8Array,
  decideAt: (other: Uint8Array) => Decision,
  rng: () => number,
  where: string,
): void {
  expect(d.scope, where).to.be.within(0, bytes.length * 8);
  for (let i = 0; i < 6; i++) {
    const other = inside(bytes, d.scope, rng);
    const why = `${where}; other client ${Buffer.from(other).toString('hex')} inside /${d.scope}`;
    expect(served(decideAt(other)), why).to.deep.equal(served(d));
  }
}
