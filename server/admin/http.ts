// The admin HTTP server (node:http): status page, Prometheus metrics, health matrix, explain, drains, reload.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { loadKey, targetKey } from '../../health/view.js';
import { MAX_DRAIN_MS, type DrainTarget } from '../../health/drains.js';
import { formatIp, parseIp } from '../../zones/address.js';
import type { Check } from '../../zones/policy-types.js';
import { DurationError, parseDuration } from '../../zones/duration.js';
import { parseCnameTarget } from '../../zones/policy/endpoints.js';
import { ExplainRequestError, formatExplanation } from '../explain/explain.js';
import { ListenError } from '../listen-error.js';
import type { ListenAddress } from '../listen-address.js';
import type { Logger } from '../log.js';
import { splitDecisionKey } from '../decisions.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { PACKAGE_VERSION, type DnsNode, type ReloadResult } from '../node.js';
import { monitorOnlyTargets, targetLabels } from '../target-labels.js';
import { traffic } from '../traffic.js';
import { STATUS_PAGE_CSP, statusPageHtml } from './status-page.js';

export interface AdminOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | null;
  readonly log: Logger;
  /** Require the token on every route even on loopback (beyond loopback it always is). */
  readonly tokenForEverything?: boolean;
  /** What POST /api/reload does: `gslb serve` passes its own reload, which also reaches the workers. */
  readonly reload?: (reason: string) => ReloadResult | Promise<ReloadResult>;
}

export interface AdminServer {
  address(): ListenAddress;
  close(): Promise<void>;
}

/** Request bodies larger than this are refused (413): drain and reload bodies are tiny. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error with its HTTP status, turned into a JSON `{ "error": ... }` reply. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  const h = host.toLowerCase();
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
}

/** Why the admin server may not start with these settings, or null when it may. */
export function adminRefusal(host: string, token: string | null): string | null {
  if (token === null && !isLoopback(host))
    return `--admin on ${host} (not loopback) needs --admin-token, --admin-token-file or GSLB_ADMIN_TOKEN: every route then requires it`;
  return null;
}

/** Compares digests, so neither the content nor the length of the token leaks through timing. */
function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearer(req: http.IncomingMessage): string | null {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

/** A drain's "for": a duration (zones/duration.ts), longer than 0 and at most MAX_DRAIN_MS. */
function drainFor(v: unknown): number {
  try {
    return parseDuration(v, '"for"', { positive: true, maxMs: MAX_DRAIN_MS });
  } catch (err) {
    throw err instanceof DurationError ? new HttpError(400, err.message) : err;
  }
}

/** Validates a drain/undrain body against the served configuration. */
function drainRequest(
  node: DnsNode,
  body: unknown,
  undo: boolean,
): { target: DrainTarget; forMs: number | null; reason: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'the body must be a JSON object: {"datacenter": "NAME"} or {"endpoint": "ADDRESS"}');
  const b = body as Record<string, unknown>;
  const allowed = undo ? ['datacenter', 'endpoint'] : ['datacenter', 'endpoint', 'for', 'reason'];
  const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new HttpError(400, `unknown field(s): ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  if ((b['datacenter'] === undefined) === (b['endpoint'] === undefined))
    throw new HttpError(400, 'give exactly one of "datacenter" or "endpoint"');
  const served = servedTargets(node);
  let target: DrainTarget;
  if (b['datacenter'] !== undefined) {
    const dc = b['datacenter'];
    if (typeof dc !== 'string' || dc === '' || dc.length > 253) throw new HttpError(400, '"datacenter" must be a name');
    // Undrain accepts any name, so a drain left over from an older configuration can still be removed.
    if (!undo && !served.datacenters.has(dc))
      throw new HttpError(400, `datacenter '${dc}' is not in the configuration`);
    target = { datacenter: dc };
  } else {
    const ep = b['endpoint'];
    const ip = typeof ep === 'string' ? parseIp(ep) : null;
    // A CNAME endpoint is drained by its host name (lower case, without the trailing dot).
    const host = typeof ep === 'string' && !ip ? parseCnameTarget(ep) : null;
    if (typeof ep !== 'string' || (!ip && (host === null || typeof host === 'string')))
      throw new HttpError(400, '"endpoint" must be an IP address, or a cname endpoint\'s host name');
    // Drains match the address as the configuration spells it (2001:DB8::1 and 2001:db8::1 are one endpoint).
    const configured = served.endpoints.get(ip ? formatIp(ip.bytes) : (host as { text: string }).text);
    if (!undo && configured === undefined) throw new HttpError(400, `endpoint ${ep} is not in any pool`);
    target = { endpoint: configured ?? ep };
  }
  const reason = b['reason'] ?? '';
  if (typeof reason !== 'string' || reason.length > 500)
    throw new HttpError(400, '"reason" must be a string of at most 500 characters');
  return { target, forMs: b['for'] === undefined ? null : drainFor(b['for']), reason };
}

/** The health matrix with the pool addresses behind each probe target, and its readable labels (as /metrics has them). */
function healthMatrix(node: DnsNode) {
  const { addresses } = servedTargets(node);
  const monitorOnly = monitorOnlyTargets(node.catalog);
  const m = node.health.matrix();
  const labels = targetLabels(node.catalog);
  return {
    ...m,
    addresses: Object.fromEntries([...addresses].map(([k, v]) => [k, [...v]])),
    /** Targets only monitor checks probe: shown, never moving an answer. */
    monitors: m.targets.filter((t) => monitorOnly.has(t.key)).map((t) => t.key),
    labels: Object.fromEntries(m.targets.flatMap((t) => (labels.has(t.key) ? [[t.key, labels.get(t.key)]] : []))),
  };
}

/** Datacenters, pool addresses and probe and load targets (with the addresses they stand for) of the served config. */
function servedTargets(node: DnsNode) {
  const datacenters = new Set<string>();
  /** Canonical address text -> the address as configured. */
  const endpoints = new Map<string, string>();
  const addresses = new Map<string, Set<string>>();
  const add = (key: string, address: string) => {
    if (!addresses.has(key)) addresses.set(key, new Set());
    addresses.get(key)!.add(address);
  };
  for (const zone of node.catalog.zones.values()) {
    const policy = zone.zone.policy;
    for (const dc of policy.datacenters.keys()) datacenters.add(dc);
    for (const name of policy.names.values()) {
      const checks = checksOf([...name.checks, ...name.monitor], policy.checks);
      const load = name.load === null ? undefined : policy.loads.get(name.load);
      for (const pool of name.pools) {
        datacenters.add(pool.datacenter);
        for (const ep of pool.endpoints) {
          const ip = parseIp(ep.address);
          endpoints.set(ip ? formatIp(ip.bytes) : ep.address, ep.address);
          for (const check of checks) add(targetKey(check, ep), ep.address);
          if (load) add(loadKey(load, ep), ep.address);
        }
      }
    }
  }
  return { datacenters, endpoints, addresses };
}

/** The checks a name lists, as the policy defines them. */
function checksOf(names: readonly string[], checks: ReadonlyMap<string, Check>): Check[] {
  return names.flatMap((n) => checks.get(n) ?? []);
}

function status(node: DnsNode) {
  const m = node.health.matrix();
  const l = node.lastReload;
  return {
    version: PACKAGE_VERSION,
    nodeName: node.displayName,
    nodeId: node.nodeId,
    configVersion: node.configVersion,
    startedAt: new Date(node.startedAt).toISOString(),
    uptimeSeconds: Math.round((Date.now() - node.startedAt) / 100) / 10,
    zones: [...node.catalog.zones.values()].map((z) => ({
      name: z.name,
      names: z.nodes.size,
      loadBalanced: [...z.nodes.values()].filter((n) => n.lb).length,
    })),
    health: { mode: m.mode },
    redis: m.redis,
    reloads: { ok: node.reloadsOk, failed: node.reloadsFailed },
    lastReload: l && {
      ok: l.ok,
      at: l.at,
      errors: l.errors,
      configVersion: l.configVersion,
      durationMs: Math.round(l.durationMs),
    },
    geoip: node.geo.databases.map((d) => ({
      path: d.path,
      type: d.databaseType,
      kind: d.kind,
      built: d.buildEpoch.toISOString(),
    })),
  };
}

function decisions(metrics: Metrics) {
  return {
    names: [...metrics.decisions.read()].map(([name, counts]) => ({
      name,
      decisions: [...counts].map(([key, count]) => ({ ...splitDecisionKey(key), count })),
    })),
  };
}

/** Reads a body up to MAX_BODY_BYTES; past it, 413 at once and the rest is discarded unread. */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      req.removeAllListeners('data');
      req.resume();
      reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge();
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function jsonBody(req: http.IncomingMessage, emptyAllowed: boolean): Promise<unknown> {
  const raw = await readBody(req);
  if (raw.length === 0) {
    if (emptyAllowed) return {};
    throw new HttpError(400, 'a JSON body is required');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const json = (value: unknown, status = 200): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(value, null, 2) + '\n',
});

type Route = {
  method: 'GET' | 'POST';
  handle: (req: http.IncomingMessage, q: URLSearchParams) => Promise<Reply> | Reply;
};

function routes(
  node: DnsNode,
  metrics: Metrics,
  reload: (reason: string) => ReloadResult | Promise<ReloadResult>,
  log: Logger,
): Record<string, Route> {
  let stateFailed = false;
  /** The state the page polls, to inline; null (the page then polls at once) when making it fails. */
  const pageState = () => {
    try {
      const state = { health: healthMatrix(node), status: status(node), traffic: traffic(node) };
      stateFailed = false;
      return state;
    } catch (err) {
      // The API routes log their own failures on every poll; this one once per run of failures.
      if (!stateFailed) log.error({ err: String((err as Error)?.stack ?? err) }, 'status page: no state to inline');
      stateFailed = true;
      return null;
    }
  };
  const drainRoute = (undo: boolean): Route => ({
    method: 'POST',
    handle: async (req) => {
      const d = drainRequest(node, await jsonBody(req, false), undo);
      const by = `admin API (${req.socket.remoteAddress ?? '?'})`;
      await node.health.setDrain(d.target, !undo, { forMs: d.forMs, by, reason: d.reason });
      return json({
        ok: true,
        [undo ? 'undrained' : 'drained']: d.target,
        ...(undo ? {} : { until: d.forMs === null ? null : new Date(Date.now() + d.forMs).toISOString() }),
      });
    },
  });
  return {
    '/': {
      method: 'GET',
      // The first paint has the data: the state the page polls is inlined into it.
      handle: () => ({
        status: 200,
        type: 'text/html; charset=utf-8',
        body: statusPageHtml(pageState()),
        headers: { 'Content-Security-Policy': STATUS_PAGE_CSP, 'Referrer-Policy': 'no-referrer' },
      }),
    },
    '/metrics': {
      method: 'GET',
      handle: async () => ({ status: 200, type: metrics.registry.contentType, body: await metrics.text() }),
    },
    '/api/status': { method: 'GET', handle: () => json(status(node)) },
    '/api/health': { method: 'GET', handle: () => json(healthMatrix(node)) },
    '/api/decisions': { method: 'GET', handle: () => json(decisions(metrics)) },
    '/api/traffic': { method: 'GET', handle: () => json(traffic(node)) },
    '/api/explain': {
      method: 'GET',
      handle: (_req, q) => {
        const name = q.get('name');
        const client = q.get('client');
        const type = (q.get('type') ?? 'A').toUpperCase();
        if (!name) throw new HttpError(400, 'name is required: /api/explain?name=NAME&type=A&client=IP[/PREFIX]');
        if (!client) throw new HttpError(400, 'client is required: an IP address, or IP/PREFIX for EDNS Client Subnet');
        let e;
        try {
          e = node.explain({ name, type, client, dnssec: q.get('dnssec') === '1' });
        } catch (err) {
          if (err instanceof ExplainRequestError) throw new HttpError(400, err.message);
          throw err;
        }
        if (q.get('format') === 'text')
          return { status: 200, type: 'text/plain; charset=utf-8', body: formatExplanation(e) };
        return json(e);
      },
    },
    '/api/drain': drainRoute(false),
    '/api/undrain': drainRoute(true),
    '/api/reload': {
      method: 'POST',
      handle: async (req) => {
        await jsonBody(req, true); // an optional empty object; read so the connection stays usable
        const r = await reload('admin API');
        return r.ok ? json(r) : json({ error: 'reload failed; still serving the last good configuration', ...r }, 422);
      },
    },
  };
}

/** DNS rebinding guard on loopback: a browser tricked into calling us sends the attacker's host name. */
function hostAllowed(req: http.IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined) return true;
  const name = host.replace(/:[0-9]+$/, '').replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || isIP(name) !== 0;
}

export async function startAdmin(node: DnsNode, opts: AdminOptions): Promise<AdminServer> {
  const refusal = adminRefusal(opts.host, opts.token);
  if (refusal) throw new Error(`refusing to start the admin server: ${refusal}`);
  const everything = !isLoopback(opts.host) || opts.tokenForEverything === true;
  if (everything && opts.token === null) throw new Error('refusing to start the admin server: no token configured');
  const log = opts.log;
  const metrics = createMetrics(node);
  const table = routes(node, metrics, opts.reload ?? ((reason) => node.reload(reason)), log);

  const authorized = (req: http.IncomingMessage, q: URLSearchParams, path: string): boolean => {
    if (opts.token === null) return false;
    // The page itself may carry ?token= (a browser cannot send a header when opening a URL).
    const given = bearer(req) ?? (path === '/' ? q.get('token') : null);
    return given !== null && tokenMatches(given, opts.token);
  };

  const unauthorized = (): Reply => ({
    ...json({ error: 'a valid bearer token is required (Authorization: Bearer TOKEN)' }, 401),
    headers: { 'WWW-Authenticate': 'Bearer realm="gslb admin"' },
  });

  const handle = async (req: http.IncomingMessage): Promise<Reply> => {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const q = new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1));
    if (isLoopback(opts.host) && !hostAllowed(req)) throw new HttpError(403, 'unexpected Host header');
    // Beyond loopback every route needs the token, checked before anything else is revealed.
    if (everything && !authorized(req, q, path)) return unauthorized();
    const route = Object.hasOwn(table, path) ? table[path] : undefined;
    if (!route) throw new HttpError(404, `no such route: ${path}`);
    const method = req.method === 'HEAD' && route.method === 'GET' ? 'GET' : req.method;
    if (method !== route.method)
      return { ...json({ error: `${path} takes ${route.method}` }, 405), headers: { Allow: route.method } };
    if (route.method === 'POST') {
      if (opts.token === null) throw new HttpError(403, 'state-changing routes need --admin-token; none is configured');
      if (!authorized(req, q, path)) return unauthorized();
    }
    return route.handle(req, q);
  };

  const server = http.createServer((req, res) => {
    const send = (r: Reply) => {
      if (res.headersSent) return;
      res.writeHead(r.status, {
        'Content-Type': r.type,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...(r.status === 413 ? { Connection: 'close' } : {}),
        ...r.headers,
      });
      res.end(req.method === 'HEAD' ? undefined : r.body);
      req.resume(); // whatever of the body was not read (refused before reading) is discarded
    };
    handle(req).then(send, (err: unknown) => {
      if (err instanceof HttpError) return send(json({ error: err.message }, err.status));
      log.error({ err: String((err as Error)?.stack ?? err), url: req.url }, 'admin request failed');
      send(json({ error: 'internal error' }, 500));
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onListenError = (err: Error) => reject(new ListenError('admin', { host: opts.host, port: opts.port }, err));
    server.once('error', onListenError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onListenError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  log.info({ host: bound.address, port: bound.port, token: opts.token !== null }, 'admin server listening');
  // Only this server reads the last minute of decisions: while it runs it takes the counts every
  // second, so each lands in the 5-second bucket of its second (not in that of the next read).
  const ticker = setInterval(() => node.decisions.tick(), 1000).unref();
  return {
    address: () => ({ host: bound.address, port: bound.port }),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
