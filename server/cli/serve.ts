// `gslb serve`: load zones, start UDP+TCP listeners, reload on SIGHUP, drain on SIGTERM. A start that
// cannot succeed (port taken, zones or GeoIP unusable, a worker failing) ends at once with one line.
import { hostname } from 'node:os';
import { pino } from 'pino';
import type { GeoData } from '../../geo/geoip.js';
import { EmbeddedHealthSource } from '../../health/embedded-source.js';
import type { StalePolicy } from '../../health/redis-source.js';
import type { HealthSource } from '../../health/source.js';
import { formatListenAddress, parseListenAddress, type ListenAddress } from '../listen-address.js';
import { probeListeners, startListeners } from '../listeners.js';
import type { Logger } from '../log.js';
import { collectGarbage, startHeapLeash } from '../heap.js';
import { buildConfig, DnsNode, PACKAGE_VERSION, type ReloadResult } from '../node.js';
import { DnstapRecorder, type DnstapOnly } from '../dnstap/recorder.js';
import { DnstapWriter, describe as describeDnstap, parseDnstapTarget, type DnstapTarget } from '../dnstap/writer.js';
import { DNSTAP_DROPPED_SLOT, DNSTAP_SENT_SLOT } from '../guard-stats.js';
import { watchConfig } from '../watch.js';
import { availableParallelism } from 'node:os';
import { isWorker, startPrimary, workerFeed, type PrimaryHandle } from '../cluster.js';
import { asWorker, runWorker } from './serve-worker.js';
import type { AdminServer } from '../admin/http.js';
import { durationFlag, intFlag, parse, UsageError } from './args.js';
import { SERVE } from './commands.js';
import { geoFailure, geoFiles, geoOpener } from './geo-files.js';
import { asStartupError, checkZonesFolder, probeAdmin } from './startup.js';
import { StartupError } from './startup-error.js';
import { onStopRequest } from './stop-requests.js';
import { redisFlags } from './redis-flags.js';
import { quorumFlags } from './quorum-flags.js';
import { guardFlags } from './guard-flags.js';
import { ServerCookies } from '../cookies/server-cookie.js';
import { ResponseLimiter, type RrlHooks } from '../rrl/limiter.js';
import { EpisodeLog } from '../rrl-log.js';
import { localGate } from '../tcp-gate.js';
import { proxyDropSlot, tcpRefusalSlot } from '../guard-stats.js';
import type { GuardOptions } from '../pipeline.js';
import type { ListenerOptions } from '../listeners.js';
import { workerConnectionGate, workerEpisodeHooks } from '../cluster.js';

/** NSID given as text, or as hex with a 0x prefix. */
function nsidBytes(value: string | undefined): Buffer | null {
  if (value === undefined) return null;
  if (/^0x([0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value.slice(2), 'hex');
  const b = Buffer.from(value, 'utf8');
  if (b.length === 0 || b.length > 512) throw new UsageError('E_CLI_BAD_VALUE', '--nsid must be 1 to 512 octets');
  return b;
}

export function runServe(argv: string[]): Promise<number> {
  const run = () =>
    serve(argv).catch((err: unknown) => {
      throw asStartupError(err);
    });
  // A worker's failure is the primary's to print (once, not once per worker).
  return isWorker() ? asWorker(run) : run();
}

async function serve(argv: string[]): Promise<number> {
  const { values, origins, warnings } = parse(argv, SERVE);
  const redis = redisFlags(values, origins);
  // The admin API (and prom-client) and the Redis source (and ioredis) load only when asked for.
  const adminModule = values.admin !== undefined ? await import('../admin/http.js') : null;
  const admin = adminModule ? (await import('./admin-flags.js')).adminFlags(values.admin, values['admin-token']) : null;
  const RedisHealthSource = redis ? (await import('../../health/redis-source.js')).RedisHealthSource : null;
  const quorum = quorumFlags(values);
  const graceMs = durationFlag('grace', values.grace);
  const stalePolicy = values['stale-policy'] as StalePolicy;
  if (stalePolicy !== 'open' && stalePolicy !== 'keep')
    throw new UsageError('E_CLI_BAD_VALUE', `--stale-policy must be 'open' or 'keep'`);
  const listen = values.listen.map((s) => {
    try {
      return parseListenAddress(s);
    } catch (err) {
      throw new UsageError('E_CLI_BAD_ADDRESS', (err as Error).message);
    }
  });
  const idleTimeoutMs = intFlag('tcp-idle-timeout', values['tcp-idle-timeout'], 100, 3_600_000);
  const maxConnections = intFlag('tcp-max-connections', values['tcp-max-connections'], 1, 1_000_000);
  const nsid = nsidBytes(values.nsid);
  const guardSettings = guardFlags(values);
  const level = values['log-level'];
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError('E_CLI_BAD_VALUE', `--log-level must be debug, info, warn or error`);
  const log: Logger = pino({ level, base: { pid: process.pid } }, pino.destination(2));
  // Workers parse the same flags again: the primary alone warns.
  if (!isWorker()) for (const warning of [...warnings, ...(redis?.warnings ?? [])]) log.warn(warning);

  const zonesDir = values.zones;
  const queryLogSample = intFlag('query-log-sample', values['query-log-sample'], 0, 1_000_000_000);
  const identity = values.identity ?? (nsid ? nsid.toString('utf8') : hostname());
  const dnstapFlags = dnstapSettings(values);
  const nodeId = values['node-id'] ?? `${hostname()}-${process.pid}`;
  const workers = values.workers === undefined ? availableParallelism() : intFlag('workers', values.workers, 1, 256);
  const clustered = workers > 1;
  const inWorker = clustered && isWorker();

  // What the start has opened so far, closed (last first) when it fails or is stopped before serving.
  const opened: Array<() => Promise<unknown>> = [];
  const closeOpened = () => closeWithin(opened.splice(0).reverse(), 1500, log);
  const abandon = async (err: unknown): Promise<never> => {
    await closeOpened();
    throw err;
  };
  // Stop requests and SIGHUP are taken from the start: their default action would kill the process
  // mid-start. Until serving, a stop closes what is open and exits; a reload has nothing to reload yet.
  let whenStopped = (reason: string): void => {
    log.info({ reason }, 'stopped while starting');
    void closeOpened().then(() => process.exit(0));
  };
  let onHangup = (): void => log.info('SIGHUP while starting: the files are being read now');
  if (!inWorker) {
    onStopRequest((reason) => whenStopped(reason));
    process.on('SIGHUP', () => onHangup());
  }
  // The ports first (quick, and the likeliest failure): before GeoIP, zones and the health warm-up.
  const listenAt = inWorker ? [] : await probeListeners(listen);
  const proxyAt = inWorker ? [] : await probeListeners(guardSettings.proxyListen);
  if (admin && !inWorker) await probeAdmin(admin);

  checkZonesFolder(zonesDir);
  const reopenGeo = geoOpener(values.geoip);
  let geo: GeoData;
  try {
    geo = reopenGeo();
  } catch (err) {
    throw geoFailure(err, values.geoip);
  }
  const first = buildConfig(zonesDir, geo, log);
  if (!first.built)
    throw new StartupError(
      'E_START_INVALID_CONFIG',
      `refusing to start: ${first.errors.length} error(s) in ${zonesDir}`,
      first.errors,
    );
  // Rate limiting: each worker enforces its share of the node's rate (the kernel spreads one client's
  // datagrams over the workers); episodes are logged once per node (by the primary with workers).
  const episodes = guardSettings.rrl && !inWorker ? new EpisodeLog(log) : null;
  const episodeHooks: RrlHooks | undefined = inWorker
    ? workerEpisodeHooks()
    : episodes
      ? { onStart: (e) => episodes.started(e), onStop: (e, why) => episodes.stopped(e, why) }
      : undefined;
  const limiter =
    guardSettings.rrl && (inWorker || !clustered)
      ? new ResponseLimiter({ ...guardSettings.rrl, rate: guardSettings.rrl.rate / workers }, episodeHooks)
      : null;
  const guard: GuardOptions = {
    rrl: limiter,
    rrlLogOnly: guardSettings.rrlLogOnly,
    rrlExempt: guardSettings.rrlExempt,
    cookies: guardSettings.cookieSecrets ? new ServerCookies(guardSettings.cookieSecrets) : null,
  };
  // A worker follows its primary's health and steering (one message carries both); the others own theirs.
  const feed = inWorker ? workerFeed() : null;
  const health: HealthSource = feed
    ? feed.health
    : redis && RedisHealthSource
      ? new RedisHealthSource({
          url: redis.url,
          ...(redis.tls ? { tls: redis.tls } : {}),
          urlFrom: redis.urlFrom,
          prefix: redis.prefix,
          nodeId,
          quorum,
          graceMs,
          stalePolicy,
          log,
        })
      : new EmbeddedHealthSource({ log });
  opened.push(() => health.stop());
  const geoPaths = values.geoip;
  // dnstap: each process that answers queries opens its own connection (with --workers, every
  // worker; the primary answers none). The counters reach the node's once it exists.
  let dnstapCount = (_sent: number, _dropped: number): void => {};
  const dnstapWriter =
    dnstapFlags && (inWorker || !clustered)
      ? new DnstapWriter({ target: dnstapFlags.target, log, count: (sent, dropped) => dnstapCount(sent, dropped) })
      : null;
  const dnstap =
    dnstapWriter && dnstapFlags
      ? new DnstapRecorder({
          identity: nsid ? nsid.toString('utf8') : hostname(),
          version: `gslb ${PACKAGE_VERSION}`,
          sample: dnstapFlags.sample,
          only: dnstapFlags.only,
          push: (frame) => dnstapWriter.push(frame),
        })
      : null;
  const node = new DnsNode(
    {
      zonesDir,
      nodeId,
      displayName: values.nsid ?? values.identity ?? nodeId,
      geo,
      health,
      log,
      pipeline: { nsid, chaos: { identity, version: values['version-string'] ?? null }, queryLogSample, guard, dnstap },
      reopenGeo,
      ...(feed ? { steering: feed.steering } : {}),
    },
    first.built,
  );
  opened.push(async () => node.close());
  if (dnstapWriter) {
    const guards = node.pipeline.stats.guards;
    dnstapCount = (sent, dropped) => {
      guards[DNSTAP_SENT_SLOT]! += sent;
      guards[DNSTAP_DROPPED_SLOT]! += dropped;
    };
    dnstapWriter.start();
    opened.push(() => dnstapWriter.close());
  }
  collectGarbage(); // what the build left behind (for a big zone, more than the configuration itself)
  // Small heaps stay flat under load (server/heap.ts); the timer does not keep the process alive.
  const leash = startHeapLeash(({ freedBytes, pauseMs }) =>
    log.debug(
      { freedKiB: Math.round(freedBytes / 1024), pauseMs: Math.round(pauseMs * 10) / 10 },
      'heap leash: full collection',
    ),
  );
  // Warm start: learn the current health before answering (no all-up or all-down cold start).
  await health.start(inWorker ? 10_000 : 3000);
  // Choices made before health was known served nobody: decide afresh (workers follow the primary's).
  node.steering?.restart();
  const pipeline = node.pipeline;
  const catalog = node.catalog;
  if (limiter || episodes) {
    // Episodes end without traffic too (a flood that stopped): looked for once a second.
    const sweep = setInterval(() => {
      limiter?.sweep(Date.now());
      episodes?.flush();
    }, 1000);
    sweep.unref();
  }
  const guards = pipeline.stats.guards;
  const listenerOptions = (gate: ListenerOptions['gate']): ListenerOptions => ({
    log,
    idleTimeoutMs,
    maxConnections,
    gate,
    onRefused: (why) => guards[tcpRefusalSlot(why)]!++,
  });
  const proxyOptions = (base: ListenerOptions): ListenerOptions | null =>
    guardSettings.proxyFrom
      ? {
          ...base,
          gate: undefined,
          proxy: {
            from: guardSettings.proxyFrom,
            onDrop: (reason, transport) => guards[proxyDropSlot(reason, transport)]!++,
          },
        }
      : null;
  if (inWorker) {
    const base = listenerOptions(workerConnectionGate());
    return runWorker(
      node,
      JSON.parse(process.env['GSLB_LISTEN'] ?? '[]') as ListenAddress[],
      base,
      JSON.parse(process.env['GSLB_PROXY_LISTEN'] ?? '[]') as ListenAddress[],
      proxyOptions(base),
    );
  }
  let listeners: { endpoints: ListenAddress[]; shutdown(ms: number): Promise<void> };
  let proxyEndpoints: ListenAddress[] = [];
  let primary: PrimaryHandle | null = null;
  if (clustered) {
    // Port 0 was chosen by the probe, once, so every worker serves the same port.
    process.env['GSLB_LISTEN'] = JSON.stringify(listenAt);
    process.env['GSLB_PROXY_LISTEN'] = JSON.stringify(proxyAt);
    const p = startPrimary(node, health, workers, log, {
      episodes,
      tcpMaxPerClient: guardSettings.tcpMaxPerClient,
      tcpMaxConnections: maxConnections,
    });
    primary = p;
    opened.push(() => p.stop(1000));
    // A worker that cannot start says why at once (ready rejects); the timer only catches a hang.
    let t: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      t = setTimeout(
        () =>
          reject(new StartupError('E_START_WORKERS_TIMEOUT', 'the workers did not all start listening within 30 s')),
        30_000,
      );
    });
    await Promise.race([p.ready, hang])
      .finally(() => clearTimeout(t))
      .catch(abandon);
    listeners = { endpoints: listenAt, shutdown: () => p.stop() };
    proxyEndpoints = proxyAt;
  } else {
    const base = listenerOptions(localGate(guardSettings.tcpMaxPerClient));
    const own = await startListeners(listen, pipeline.handleQuery, base).catch(abandon);
    opened.push(() => own.close());
    const viaProxy = proxyOptions(base);
    const proxied = viaProxy
      ? await startListeners(guardSettings.proxyListen, pipeline.handleQuery, viaProxy).catch(abandon)
      : null;
    if (proxied) opened.push(() => proxied.close());
    proxyEndpoints = proxied?.endpoints ?? [];
    listeners = {
      endpoints: own.endpoints,
      shutdown: (ms) => Promise.all([own.shutdown(ms), proxied?.shutdown(ms)]).then(() => undefined),
    };
  }
  // Reload builds the new configuration off to the side and swaps it in one step; errors keep the old
  // one. With workers, they reload one at a time and the primary (it serves no DNS) last.
  // async: a build that throws becomes a rejected promise, logged below, not an uncaught exception.
  const reload = async (reason: string): Promise<ReloadResult> =>
    primary ? primary.reload(reason) : node.reload(reason);
  const reloadInBackground = (reason: string) =>
    void reload(reason).catch((err: Error) => log.error({ reason, err: err.stack ?? err.message }, 'reload crashed'));
  onHangup = () => reloadInBackground('SIGHUP');
  const watcher = values['no-watch']
    ? null
    : watchConfig(zonesDir, geoFiles(geoPaths), (what) => reloadInBackground(`file changed: ${what}`), log);
  if (watcher) opened.push(async () => watcher.close());
  const where = listeners.endpoints.map(formatListenAddress).join(', ');
  log.info({ zones: catalog.zones.size, listen: where, workers }, 'serving');
  process.stdout.write(
    `gslb serving ${catalog.zones.size} zone(s) on ${where} (udp+tcp${clustered ? `, ${workers} workers` : ''})\n`,
  );
  if (dnstapFlags)
    process.stdout.write(
      `dnstap to ${describeDnstap(dnstapFlags.target)} (one query in ${dnstapFlags.sample}, ${dnstapFlags.only})\n`,
    );
  if (proxyEndpoints.length > 0)
    process.stdout.write(`proxy protocol v2 on ${proxyEndpoints.map(formatListenAddress).join(', ')} (udp+tcp)\n`);
  // The admin HTTP server (status page, metrics, API) starts once DNS is being served.
  let adminServer: AdminServer | null = null;
  if (admin) {
    // The probe found the port free; taken since, it fails here the same way.
    adminServer = await adminModule!.startAdmin(node, { ...admin, log, reload }).catch(abandon);
    process.stdout.write(`admin on http://${formatListenAddress(adminServer.address())}/\n`);
  }

  const reason = await new Promise<string>((resolve) => (whenStopped = resolve));
  log.info({ reason }, 'shutting down');
  leash.stop();
  watcher?.close();
  await listeners.shutdown(5000);
  await dnstapWriter?.close();
  await adminServer?.close();
  node.close();
  await health.stop();
  return 0;
}

/** Runs the closers one after another, giving up on the rest after ms (a start that failed must exit). */
async function closeWithin(closers: ReadonlyArray<() => Promise<unknown>>, ms: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closeAll = async () => {
    for (const close of closers)
      await close().catch((err: unknown) => log.warn({ err: String(err) }, 'closing after a failed start'));
  };
  await Promise.race([closeAll(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** --dnstap and its companions; null without --dnstap (the others then may not be given). */
function dnstapSettings(values: {
  dnstap?: string;
  'dnstap-sample': string;
  'dnstap-only': string;
}): { target: DnstapTarget; sample: number; only: DnstapOnly } | null {
  const only = values['dnstap-only'];
  if (only !== 'queries' && only !== 'responses' && only !== 'both')
    throw new UsageError('E_CLI_BAD_VALUE', `--dnstap-only must be queries, responses or both`);
  const sample = intFlag('dnstap-sample', values['dnstap-sample'], 1, 1_000_000_000);
  if (values.dnstap === undefined) {
    if (sample !== 1 || only !== 'both')
      throw new UsageError('E_CLI_FLAG_NEEDS_FLAG', '--dnstap-sample and --dnstap-only need --dnstap');
    return null;
  }
  try {
    return { target: parseDnstapTarget(values.dnstap), sample, only };
  } catch (err) {
    throw new UsageError('E_CLI_BAD_VALUE', (err as Error).message);
  }
}
