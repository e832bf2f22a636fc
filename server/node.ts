// A running DNS node: the current catalog (swapped whole on reload), the health source, the
// pipeline and its counters. The CLI, the admin API and the metrics all work through this object.
import { readFileSync } from 'node:fs';
import { GeoFileError } from '../geo/geo-errors.js';
import type { GeoData } from '../geo/geoip.js';
import { planFor } from './probe-plan.js';
import { fingerprint } from '../zones/hash.js';
import type { HealthSource } from '../health/source.js';
import { loadZones, type PolicyCache } from '../zones/load.js';
import { formatZoneError } from '../zones/records.js';
import { compileCatalog, type Catalog } from './catalog.js';
import { DecisionTally } from './decisions.js';
import { asnRegionErrors } from './gslb/regions.js';
import { explainQuery, type ExplainRequest, type Explanation } from './explain/explain.js';
import type { Logger } from './log.js';
import { collectGarbage, withBoundedHeapGrowth } from './heap.js';
import { SteeringController, steeringConfig } from './gslb/steering.js';
import type { SteeringView } from './gslb/steering-types.js';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline.js';
import { nextKeyEvent, type KeyEvent } from './key-events.js';
import { retireSigning } from './stats.js';

export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The longest a Node timer can wait (2^31-1 ms); a key event further off re-arms on waking. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** After a failed reload, a key event already due is tried again this much later. */
const KEY_EVENT_RETRY_MS = 60_000;

export interface ReloadResult {
  readonly ok: boolean;
  readonly at: number;
  readonly errors: readonly string[];
  readonly configVersion: string;
  readonly durationMs: number;
}

export interface Built {
  readonly catalog: Catalog;
  readonly plan: ReturnType<typeof planFor>;
  /** For the next build: policies whose files have not changed are reused. */
  readonly policies: PolicyCache;
}

/**
 * Loads and compiles a zones directory off to the side; nothing is swapped here. `previous` (the
 * served build) lends the policies of zones whose policy files are unchanged.
 */
export function buildConfig(
  dir: string,
  geo: GeoData,
  log: Logger,
  previous: Built | null = null,
): { built: Built | null; errors: string[] } {
  return withBoundedHeapGrowth(() => {
    const loaded = loadZones(dir, previous?.policies);
    if (loaded.errors.length > 0) return { built: null, errors: loaded.errors.map(formatZoneError) };
    const geoErrors = asnRegionErrors(loaded.zones, geo);
    if (geoErrors.length > 0) return { built: null, errors: geoErrors.map(formatZoneError) };
    const catalog = compileCatalog(loaded.zones, geo, log);
    const plan = planFor(loaded.zones.map((z) => z.policy));
    return { built: { catalog, plan, policies: loaded.policies }, errors: [] };
  });
}

/** The served configuration's version: the probe plan's fingerprint and one of every zone's SOA and size. */
function versionOf(b: Built): string {
  const zones = [...b.catalog.zones.values()].map((z) => {
    const soa = z.zone.soa.records[0]?.rdata.map((p) => (Buffer.isBuffer(p) ? p.toString('hex') : p.key)) ?? [];
    return `${z.name}:${z.nodes.size}:${soa.join(',')}`;
  });
  return `${b.plan.version}-${fingerprint(zones.join(';'))}`;
}

export interface DnsNodeOptions {
  readonly zonesDir: string;
  readonly nodeId: string;
  /**
   * What operators call this node (the status page): serve passes the --nsid text, else --identity,
   * else the node id (also the default).
   */
  readonly displayName?: string;
  readonly geo: GeoData;
  readonly health: HealthSource;
  readonly log: Logger;
  readonly pipeline: Omit<PipelineOptions, 'health' | 'log' | 'steering'>;
  /**
   * A worker's steering: the view its primary ships with the health snapshot. Without it the node
   * steers itself (the process that combines health: the primary with --workers, else the only one).
   */
  readonly steering?: () => SteeringView;
  /** Re-opens the GeoIP databases (reload); null keeps the ones given. */
  readonly reopenGeo?: (() => GeoData) | null;
}

export class DnsNode {
  readonly startedAt = Date.now();
  readonly pipeline: Pipeline;
  private built: Built;
  /** Fingerprint of the plan and of what is served, recomputed only when the configuration changes. */
  private version: string;
  private geoData: GeoData;
  reloadsOk = 0;
  reloadsFailed = 0;
  lastReload: ReloadResult | null = null;
  private readonly replacedListeners: ((old: Catalog) => void)[] = [];
  /** Decision counts by name across reloads (metrics, /api/decisions; a worker's go to its primary). */
  readonly decisions: DecisionTally;
  /** What load-aware decisions remember, decided here once per node; null in a worker (it follows its primary). */
  readonly steering: SteeringController | null;
  private readonly steeringView: () => SteeringView;
  /** The reload at the next DNSSEC key event (Publish, Activate, Inactive, Delete) of a served zone. */
  private keyTimer: NodeJS.Timeout | null = null;
  /**
   * How a key event reloads: this node alone, or (a primary) the same round SIGHUP starts, so its
   * workers follow; null in a worker, which its primary reloads.
   */
  private keyReload: ((reason: string) => void) | null = (reason) => this.reload(reason);

  constructor(
    private readonly opts: DnsNodeOptions,
    first: Built,
  ) {
    this.built = first;
    this.decisions = new DecisionTally(this);
    this.version = versionOf(first);
    this.geoData = opts.geo;
    opts.health.setPlan(first.plan.targets, first.plan.version);
    if (opts.steering) {
      this.steering = null;
      this.steeringView = opts.steering;
    } else {
      const steering = new SteeringController({
        config: steeringConfig(first.catalog),
        health: () => opts.health.view(),
        log: opts.log,
      });
      steering.start();
      this.steering = steering;
      this.steeringView = () => steering.view;
    }
    this.pipeline = createPipeline(() => this.built.catalog, {
      ...opts.pipeline,
      health: () => opts.health.view(),
      steering: this.steeringView,
      log: opts.log,
    });
    this.armKeyEvent();
  }

  /**
   * Who reloads at a key event: a primary passes its reload round (workers first, as SIGHUP), a
   * worker null (its primary's round reloads it). Re-arms the timer for the served build.
   */
  reloadKeysWith(reload: ((reason: string) => void) | null): void {
    this.keyReload = reload;
    this.armKeyEvent();
  }

  /**
   * Arms one timer at the earliest key event of the served zones. Timers hold at most 2^31-1 ms
   * (about 24.8 days): a later event re-arms on waking. An event already past (a reload at it failed,
   * so the last good build still has the old key state) is tried again a minute later.
   */
  private armKeyEvent(): void {
    if (this.keyTimer !== null) clearTimeout(this.keyTimer);
    this.keyTimer = null;
    if (this.keyReload === null) return;
    const event = nextKeyEvent(this.built.catalog.zones.values());
    if (event === null) return;
    const wait = event.at - Date.now();
    const delay = wait <= 0 ? KEY_EVENT_RETRY_MS : Math.min(wait, MAX_TIMER_MS);
    this.keyTimer = setTimeout(() => this.keyEventDue(event), delay);
    this.keyTimer.unref();
  }

  private keyEventDue(event: KeyEvent): void {
    this.keyTimer = null;
    if (event.at > Date.now()) return this.armKeyEvent(); // a capped wait, or a clock that moved back
    const reason = `key event: ${event.text}`;
    this.opts.log.info(
      { zone: event.zone, key: event.tag, event: event.kind, at: new Date(event.at).toISOString() },
      reason,
    );
    try {
      this.keyReload?.(reason);
    } catch (err) {
      this.opts.log.error({ reason, err: (err as Error).stack ?? String(err) }, 'reload crashed');
    }
    // A primary's round reloads this node last and re-arms then; arm now too in case it fails early.
    if (this.keyTimer === null) this.armKeyEvent();
  }

  /** The steering state answers are made with now (the node's own, or in a worker the primary's). */
  get steeringState(): SteeringView {
    return this.steeringView();
  }

  /** Stops the node's own timers (steering); the health source and listeners are the caller's. */
  close(): void {
    this.steering?.stop();
    this.keyReload = null;
    this.armKeyEvent();
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }
  get displayName(): string {
    return this.opts.displayName ?? this.opts.nodeId;
  }
  get health(): HealthSource {
    return this.opts.health;
  }
  get catalog(): Catalog {
    return this.built.catalog;
  }

  /** Calls fn with the catalog a reload replaces, right after the swap (it answers nothing from then on). */
  onCatalogReplaced(fn: (old: Catalog) => void): void {
    this.replacedListeners.push(fn);
  }

  get geo(): GeoData {
    return this.geoData;
  }
  get configVersion(): string {
    return this.version;
  }

  /**
   * Rebuilds everything from disk off to the side and swaps it in one assignment; a configuration
   * that fails validation is not applied and the last good one keeps serving.
   */
  reload(reason: string): ReloadResult {
    const t0 = performance.now();
    let geo = this.geoData;
    const errors: string[] = [];
    if (this.opts.reopenGeo) {
      try {
        geo = this.opts.reopenGeo();
      } catch (err) {
        // Coded like a zone error line: `FILE: message [E_GEO_...]` (docs/errors.md).
        errors.push(err instanceof GeoFileError ? `${err.message} [${err.code}]` : (err as Error).message);
      }
    }
    const next =
      errors.length === 0 ? buildConfig(this.opts.zonesDir, geo, this.opts.log, this.built) : { built: null, errors };
    if (next.built) {
      const old = this.built.catalog;
      retireSigning(this.pipeline.stats, old);
      this.built = next.built;
      this.steering?.reconfigure(steeringConfig(next.built.catalog));
      for (const fn of this.replacedListeners) fn(old);
    }
    collectGarbage(); // the build's garbage and, after a swap, the previous configuration
    const at = Date.now();
    if (next.built) {
      this.version = versionOf(next.built);
      this.geoData = geo;
      this.opts.health.setPlan(next.built.plan.targets, next.built.plan.version);
      this.reloadsOk++;
      this.lastReload = {
        ok: true,
        at,
        errors: [],
        configVersion: this.configVersion,
        durationMs: performance.now() - t0,
      };
      this.opts.log.info(
        {
          reason,
          config: this.configVersion,
          zones: this.built.catalog.zones.size,
          ms: Math.round(this.lastReload.durationMs),
        },
        'reloaded',
      );
    } else {
      this.reloadsFailed++;
      this.lastReload = {
        ok: false,
        at,
        errors: next.errors,
        configVersion: this.configVersion,
        durationMs: performance.now() - t0,
      };
      this.opts.log.error({ reason, errors: next.errors }, 'reload failed; still serving the last good configuration');
    }
    this.armKeyEvent();
    return this.lastReload;
  }

  explain(req: ExplainRequest): Explanation {
    return explainQuery(this.built.catalog, this.geoData, this.opts.health.view(), req, undefined, this.steeringView());
  }
}
