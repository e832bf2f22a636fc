// HTTP(S) check: GET path; healthy when the status is expected and the body (first 64 KiB) holds the text.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ProbeResult, CheckSpec } from '../probe-types.js';
import { attempt, errorReason, type Defer, type Finish } from './common.js';

const MAX_BODY = 64 * 1024;
const MAX_REDIRECTS = 5;

/** Where one request of the chain goes (redirects may change each part). */
interface Hop {
  readonly tls: boolean;
  /** Address to connect to. */
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Host header; null lets node send host:port. */
  readonly hostHeader: string | null;
  /** TLS server name; '' sends none. */
  readonly servername: string;
}

/** The host name part of a Host header value ('[::1]:8443' -> '::1'). */
function headerName(value: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(value) ?? /^([^:]+)(?::\d+)?$/.exec(value);
  return m?.[1] ?? value;
}

/**
 * The TLS server name sent (https and tls checks): the configured one, else the Host header's or the
 * probed host's name; '' (none) for an IP literal, which RFC 6066 forbids as SNI.
 */
export function serverName(sni: string | null, hostHeader: string | null, host: string): string {
  if (sni !== null) return sni;
  const name = hostHeader !== null ? headerName(hostHeader) : host;
  return net.isIP(name) ? '' : name;
}

function firstHop(spec: CheckSpec): Hop {
  return {
    tls: spec.type === 'https',
    host: spec.host,
    port: spec.port,
    path: spec.path.startsWith('/') ? spec.path : `/${spec.path}`,
    hostHeader: spec.hostHeader,
    servername: serverName(spec.sni, spec.hostHeader, spec.host),
  };
}

/**
 * The hop a Location header leads to. A relative target keeps the connection and only changes the path;
 * an absolute one on the same virtual host still goes to the probed address (not via DNS, which might
 * be us); another host is connected to by name.
 */
function nextHop(hop: Hop, location: string): Hop | string {
  const vhost = hop.hostHeader !== null ? headerName(hop.hostHeader) : hop.host;
  const authority = net.isIPv6(vhost) ? `[${vhost}]` : vhost;
  let url: URL;
  try {
    url = new URL(location, `${hop.tls ? 'https' : 'http'}://${authority}${hop.path}`);
  } catch {
    return `bad redirect location "${location}"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `redirect to unsupported ${url.protocol} URL`;
  const path = `${url.pathname}${url.search}`;
  const absolute = /^[a-z][a-z0-9+.-]*:|^\/\//i.test(location);
  if (!absolute) return { ...hop, path };
  const tls = url.protocol === 'https:';
  const port = url.port !== '' ? Number(url.port) : tls ? 443 : 80;
  const name = url.hostname.replace(/^\[|\]$/g, '');
  if (name.toLowerCase() === vhost.toLowerCase()) {
    return { ...hop, tls, port, path, hostHeader: hop.hostHeader === null ? null : url.host };
  }
  return { tls, host: name, port, path, hostHeader: url.host, servername: net.isIP(name) ? '' : name };
}

/** The User-Agent of a probe that names nothing more (the embedded prober of `gslb serve`). */
export const USER_AGENT = 'gslb-health-check';

export function httpProbe(spec: CheckSpec, signal?: AbortSignal, userAgent = USER_AGENT): Promise<ProbeResult> {
  return attempt(spec, signal, (finish, defer) => request(spec, firstHop(spec), 0, userAgent, finish, defer));
}

function request(spec: CheckSpec, hop: Hop, redirects: number, userAgent: string, finish: Finish, defer: Defer): void {
  const headers: Record<string, string> = { 'user-agent': userAgent, connection: 'close' };
  if (hop.hostHeader !== null) headers['host'] = hop.hostHeader;
  const options = { host: hop.host, port: hop.port, path: hop.path, method: 'GET', headers, agent: false };
  let req: http.ClientRequest;
  try {
    req = hop.tls
      ? https.request({
          ...options,
          servername: hop.servername,
          rejectUnauthorized: spec.tlsVerify,
          ...(spec.ca !== null ? { ca: spec.ca } : {}),
        })
      : http.request(options);
  } catch (err) {
    // Bad options (a redirect's odd host or path) throw before any socket exists.
    return finish(false, errorReason(err));
  }
  defer(() => req.destroy());
  // `on`, not `once`: destroying a request can emit a second error, which must not go unhandled.
  req.on('error', (err) => finish(false, errorReason(err)));
  req.once('response', (res) => {
    defer(() => res.destroy());
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (spec.followRedirects && status >= 300 && status < 400 && location !== undefined) {
      res.destroy();
      if (redirects >= MAX_REDIRECTS) return finish(false, `too many redirects (${MAX_REDIRECTS})`);
      const next = nextHop(hop, location);
      if (typeof next === 'string') return finish(false, next);
      return request(spec, next, redirects + 1, userAgent, finish, defer);
    }
    if (!spec.expect.includes(status)) return finish(false, `HTTP ${status} not in [${spec.expect.join(', ')}]`);
    if (spec.body === null) return finish(true, `HTTP ${status}`);
    readBody(res, spec.body, status, finish);
  });
  req.end();
}

/** Reads until the text shows up, the body ends, or 64 KiB have been seen. */
function readBody(res: http.IncomingMessage, want: string, status: number, finish: Finish): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const found = (): boolean => Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8').includes(want);
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    // Stop as soon as the answer is known: no need to drain a large page.
    if (found()) finish(true, `HTTP ${status}`);
    else if (size >= MAX_BODY) finish(false, `body does not contain "${want}"`);
  });
  res.once('end', () => finish(false, `body does not contain "${want}"`));
  res.on('error', (err) => finish(false, errorReason(err)));
}
