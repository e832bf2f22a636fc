// One bounded GET of a load source's page: basic auth from the URL, no redirects, 2xx only, at most 4 MiB.
import http from 'node:http';
import https from 'node:https';
import { attempt, errorReason, type Defer, type Finish } from '../checks/common.js';

const MAX_BODY = 4 * 1024 * 1024;

export interface FetchOptions {
  /** Extra request headers; they override the defaults and the URL's basic auth. */
  readonly headers: Readonly<Record<string, string>>;
  /** Bounds the whole request, body included. */
  readonly timeoutMs: number;
  readonly tlsVerify: boolean;
  readonly signal?: AbortSignal;
}

export type FetchResult =
  | { readonly ok: true; readonly text: string; readonly rttMs: number }
  | { readonly ok: false; readonly reason: string; readonly rttMs: number };

/** The URL without its userinfo, and the Authorization header that userinfo gives. Never echoes the URL. */
function target(url: string): { url: URL; authorization: string | null } | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'invalid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `unsupported URL scheme ${parsed.protocol}`;
  if (parsed.username === '' && parsed.password === '') return { url: parsed, authorization: null };
  let userinfo: string;
  try {
    userinfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  } catch {
    return 'invalid user or password encoding in URL';
  }
  parsed.username = '';
  parsed.password = '';
  return { url: parsed, authorization: `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}` };
}

export async function fetchText(url: string, options: FetchOptions): Promise<FetchResult> {
  const to = target(url);
  if (typeof to === 'string') return Object.freeze({ ok: false, reason: to, rttMs: 0 });
  let text = '';
  const result = await attempt(options, options.signal, (finish, defer) => {
    get(to.url, headersFor(to.authorization, options.headers), options.tlsVerify, finish, defer, (body) => {
      text = body;
    });
  });
  return Object.freeze(
    result.ok ? { ok: true, text, rttMs: result.rttMs } : { ok: false, reason: result.reason, rttMs: result.rttMs },
  );
}

/** Header names lower-cased so a configured `Authorization` replaces the URL's rather than doubling it. */
function headersFor(authorization: string | null, extra: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'gslb-agent', connection: 'close' };
  if (authorization !== null) headers['authorization'] = authorization;
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  return headers;
}

function get(
  url: URL,
  headers: Record<string, string>,
  tlsVerify: boolean,
  finish: Finish,
  defer: Defer,
  keep: (text: string) => void,
): void {
  const options = { method: 'GET', headers, agent: false };
  const req =
    url.protocol === 'https:'
      ? https.request(url, { ...options, rejectUnauthorized: tlsVerify })
      : http.request(url, options);
  defer(() => req.destroy());
  // `on`, not `once`: destroying a request can emit a second error, which must not go unhandled.
  req.on('error', (err) => finish(false, errorReason(err)));
  req.once('response', (res) => {
    defer(() => res.destroy());
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) return finish(false, `HTTP ${status}`);
    if (Number(res.headers['content-length'] ?? 0) > MAX_BODY) return finish(false, 'response larger than 4 MiB');
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) return finish(false, 'response larger than 4 MiB');
      chunks.push(chunk);
    });
    res.once('end', () => {
      if (!res.complete) return finish(false, 'response cut short');
      keep(Buffer.concat(chunks).toString('utf8'));
      finish(true, `HTTP ${status}`);
    });
    res.on('error', (err) => finish(false, errorReason(err)));
  });
  req.end();
}
