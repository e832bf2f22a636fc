// The admin status page: one self-contained HTML document (inline CSS and JS) that polls the admin API.
import { createHash } from 'node:crypto';
import { DRAIN_PREFIX } from '../../health/drains.js';

const STYLE = `
:root { color-scheme: light; font: 14px/1.4 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; }
body { margin: 0; padding: 16px 24px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 16px; margin: 20px 0 8px; }
.meta { color: #59636e; }
#live[data-state="ok"]::before { content: "\\25CF"; color: #1a7f37; margin-right: 4px; }
#live[data-state="error"] { color: #cf222e; font-weight: 600; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #d1d9e0; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #eef1f4; }
th small, td small { display: block; color: #59636e; font-weight: normal; }
tbody th[scope="rowgroup"] { background: #f6f8fa; font-size: 15px; }
.cell, .verdict { min-width: 6em; font-variant-numeric: tabular-nums; }
.verdict { max-width: 24em; }
.up { background: #dafbe1; color: #116329; }
.down { background: #ffebe9; color: #a40e26; font-weight: 600; }
.none { background: #eaeef2; color: #59636e; }
.tag { display: inline-block; border-radius: 3px; padding: 0 4px; margin-left: 4px; font-size: 12px; }
.tag.warn { background: #fff8c5; color: #7d4e00; }
.tag.bad { background: #ffebe9; color: #a40e26; }
.grid { display: flex; flex-wrap: wrap; gap: 0 32px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0; }
dt { color: #59636e; }
dd { margin: 0; }
.errors { color: #a40e26; white-space: pre-wrap; font-family: ui-monospace, monospace; margin: 4px 0 0; }
td.num { text-align: right; }
.note { color: #59636e; margin: 4px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 12px; width: 560px; box-sizing: border-box; }
.card h3 { font-size: 14px; margin: 0 0 6px; font-family: ui-monospace, monospace; }
.card h3 small { font-family: system-ui, sans-serif; font-weight: normal; color: #59636e; margin-left: 6px; }
.card-body { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; align-items: start; }
.card table { width: 100%; font-size: 13px; }
.card caption, .bars-caption { text-align: left; color: #59636e; font-size: 12px; margin-bottom: 2px; }
.bar-row { display: grid; grid-template-columns: 5.5em 1fr 6.5em; gap: 6px; align-items: center; font-size: 13px; margin: 3px 0; }
.bar { display: block; height: 12px; background: #eaeef2; border-radius: 2px; overflow: hidden; }
.bar-row > span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.fill { display: block; height: 100%; width: 0; }
.bar-row .num { font-variant-numeric: tabular-nums; text-align: right; color: #59636e; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.c0 { background: #0969da; } .c1 { background: #bf8700; } .c2 { background: #1a7f37; } .c3 { background: #8250df; }
.c4 { background: #cf222e; } .c5 { background: #0a7b83; } .c6 { background: #bc4c00; } .c7 { background: #57606a; }
.cnone { background: #d1d9e0; }
td.failover, td.fallback, td.nodata, td.servfail { background: #fff8c5; }
td.fallback, td.nodata, td.servfail { background: #ffebe9; color: #a40e26; }
`;

// Renders with textContent only: agent ids, reasons and errors come from the network and Redis.
const SCRIPT = `
'use strict';
const token = new URLSearchParams(location.search).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
const OUTCOMES = ['primary', 'failover', 'fallback', 'nodata', 'servfail'];
// Drain fields as health/drains.ts writes them ("dc:NAME", "ep:ADDRESS").
const DRAIN = ${JSON.stringify(DRAIN_PREFIX)};
function drainLabel(field) {
  if (field.startsWith(DRAIN.datacenter)) return 'datacenter ' + field.slice(DRAIN.datacenter.length);
  if (field.startsWith(DRAIN.endpoint)) return 'endpoint ' + field.slice(DRAIN.endpoint.length);
  return field;
}
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
function age(ms) {
  const s = ms / 1000;
  return s < 60 ? s.toFixed(1) + ' s' : s < 3600 ? (s / 60).toFixed(1) + ' min' : (s / 3600).toFixed(1) + ' h';
}
function when(ms) {
  return ms ? new Date(ms).toLocaleString() : 'never';
}
function targetLabel(h, key) {
  const l = h.labels && h.labels[key];
  if (!l) return key;
  return l.check !== undefined ? l.check + ' ' + l.target : 'load ' + l.source + ' ' + l.url;
}
async function get(path) {
  const r = await fetch(path, { headers, cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(path + ': ' + r.status + ' ' + (body.error || r.statusText));
  return body;
}

function renderMatrix(h) {
  const agents = h.agents;
  const drained = new Set(h.drains.map((d) => d.field));
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Datacenter / probe target'));
  for (const a of agents) {
    const th = el('th', { scope: 'col', 'data-agent': a.id, title: a.reason }, a.id, el('small', {}, a.datacenter));
    if (!a.fresh) th.append(el('span', { class: 'tag warn' }, 'stale ' + age(a.ageMs)));
    if (a.discounted) th.append(el('span', { class: 'tag bad', 'data-discounted': 'true' }, 'discounted'));
    head.append(th);
  }
  head.append(el('th', { scope: 'col' }, 'Verdict'));
  const table = el('table', { id: 'matrix-table' },
    el('caption', { class: 'meta' }, h.mode === 'redis' ? 'Latest verdict of each health agent' : 'Probes from this node'),
    el('thead', {}, head));
  const byDc = new Map();
  for (const t of h.targets) for (const dc of t.datacenters) {
    if (!byDc.has(dc)) byDc.set(dc, []);
    byDc.get(dc).push(t);
  }
  if (byDc.size === 0)
    table.append(el('tbody', {}, el('tr', {}, el('td', { colspan: agents.length + 2 }, 'No health checks configured.'))));
  for (const [dc, targets] of [...byDc].sort((a, b) => a[0].localeCompare(b[0]))) {
    // A datacenter is up by its checks; load reads (key load:...) count only where there are no checks,
    // monitor checks (which never move an answer) never.
    const monitors = new Set(h.monitors || []);
    const steering = targets.filter((t) => !monitors.has(t.key));
    const checked = steering.filter((t) => !t.key.startsWith('load:'));
    const up = (checked.length ? checked : steering).some((t) => t.verdict.up);
    const isDrained = drained.has(DRAIN.datacenter + dc);
    const group = el('tbody', { 'data-datacenter': dc });
    const head = el('th', { scope: 'rowgroup', colspan: agents.length + 1 }, dc);
    if (isDrained) head.append(el('span', { class: 'tag warn' }, 'drained'));
    group.append(el('tr', { class: 'dc-row', 'data-datacenter': dc, 'data-verdict': up ? 'up' : 'down' },
      head, el('td', { class: 'verdict ' + (up ? 'up' : 'down') }, up ? 'UP' : 'DOWN')));
    for (const t of targets) {
      const row = el('tr', { 'data-target': t.key, 'data-datacenter': dc, 'data-verdict': t.verdict.up ? 'up' : 'down' });
      const addrs = (h.addresses && h.addresses[t.key]) || [];
      const th = el('th', { scope: 'row' }, targetLabel(h, t.key));
      if (addrs.length) th.append(el('small', {}, addrs.join(', ')));
      if (monitors.has(t.key)) th.append(el('span', { class: 'tag', 'data-monitor': 'true', title: 'a monitor check: shown, never moves an answer' }, 'monitor'));
      for (const a of addrs) if (drained.has(DRAIN.endpoint + a)) th.append(el('span', { class: 'tag warn' }, a + ' drained'));
      row.append(th);
      for (const a of agents) {
        const c = t.cells[a.id];
        if (!c) { row.append(el('td', { class: 'cell none', 'data-agent': a.id, 'data-state': 'none', title: 'no report from ' + a.id }, 'no report')); continue; }
        const stale = !a.fresh;
        const state = stale ? 'stale' : c.up ? 'up' : 'down';
        const tip = (c.up ? 'up' : 'down') + ': ' + c.reason + (c.rttMs !== null ? ' (rtt ' + c.rttMs.toFixed(1) + ' ms)' : '') + (stale ? ' [agent is stale]' : '');
        row.append(el('td', { class: 'cell ' + (stale ? 'none' : c.up ? 'up' : 'down'), 'data-agent': a.id, 'data-state': state, title: tip },
          stale ? 'stale' : c.up ? 'up' : 'down', el('small', {}, age(c.ageMs))));
      }
      const v = t.verdict;
      const figures = v.connections != null
        ? Math.round(v.connections) + (v.capacity != null ? ' / ' + v.capacity : '') + ' conn' + (v.bandwidthBps != null ? ', ' + (v.bandwidthBps / 1e6).toFixed(1) + ' MB/s' : '')
        : null;
      row.append(el('td', { class: 'verdict ' + (v.up ? 'up' : 'down'), 'data-figures': figures || '', title: v.reason + (v.since ? ' since ' + when(v.since) : '') },
        v.up ? 'up' : 'down', v.reason === 'up' ? null : el('small', {}, v.reason), figures ? el('small', {}, figures) : null));
      group.append(row);
    }
    table.append(group);
  }
  $('matrix').replaceChildren(table);
}

function renderDecisions(t) {
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Datacenter'), ...OUTCOMES.map((o) => el('th', { scope: 'col' }, o)), el('th', { scope: 'col' }, 'total'));
  const body = el('tbody');
  for (const row of t.sinceStart) {
    const dc = row.datacenter || '(none)';
    body.append(el('tr', { 'data-datacenter': dc }, el('th', { scope: 'row' }, dc),
      ...OUTCOMES.map((o) => el('td', { class: 'num', 'data-outcome': o }, row.outcomes[o] || 0)), el('td', { class: 'num' }, row.total)));
  }
  if (t.sinceStart.length === 0) body.append(el('tr', {}, el('td', { colspan: OUTCOMES.length + 2 }, 'No load-balanced answers yet.')));
  $('decisions').replaceChildren(el('table', {}, el('caption', { class: 'meta' }, 'Answers since start, summed over names'), el('thead', {}, head), body));
}

function pct(x) {
  return (Math.round(x * 1000) / 10) + '%';
}

// One colour per datacenter, by its place among all the names' datacenters (stable while the configuration is).
function palette(t) {
  const dcs = [...new Set(t.names.flatMap((n) => n.datacenters))].sort();
  return (dc) => (dc && dcs.includes(dc) ? 'c' + (dcs.indexOf(dc) % 8) : 'cnone');
}

function routeCell(answers, colour) {
  const td = el('td', { class: answers.map((a) => a.outcome).join(' ') });
  answers.forEach((a, i) => {
    if (i > 0) td.append(' or ');
    td.append(el('span', { class: 'swatch ' + colour(a.datacenter), 'aria-hidden': 'true' }), a.datacenter || (a.cname ? 'CNAME ' + a.cname : '(none)'));
    if (a.outcome !== 'primary') td.append(el('span', { class: 'tag ' + (a.outcome === 'failover' ? 'warn' : 'bad') }, a.outcome));
    if (a.shed) td.append(el('small', {}, pct(a.shed.share) + ' shed to ' + a.shed.to));
    if (a.split) td.append(el('small', {}, 'split: ' + a.split.map((x) => x.datacenter + ' ' + pct(x.share)).join(', ')));
  });
  return td;
}

function renderName(n, t, colour) {
  const family = n.cname ? 'CNAME' : n.family === 4 ? 'A' : 'AAAA';
  const card = el('article', { class: 'card', 'data-name': n.name, 'data-policy': n.policy },
    el('h3', {}, n.name, el('small', {}, n.policy + ' · ' + family)));
  const left = el('div');
  if (n.split) {
    const body = el('tbody');
    for (const s of n.split)
      body.append(el('tr', { 'data-datacenter': s.datacenter, 'data-configured': s.configured, 'data-now': s.now },
        el('th', { scope: 'row' }, el('span', { class: 'swatch ' + colour(s.datacenter), 'aria-hidden': 'true' }), s.datacenter),
        el('td', { class: 'num' }, pct(s.configured)), el('td', { class: 'num' + (s.now === 0 ? ' down' : '') }, pct(s.now))));
    left.append(el('table', { class: 'split' },
      el('caption', {}, n.policy === 'weighted' ? 'Split per query, by weight' : 'Split of client subnets, by weight'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Datacenter'), el('th', { scope: 'col' }, 'configured'), el('th', { scope: 'col' }, 'now'))),
      body));
  }
  if (n.routes.length) {
    const body = el('tbody');
    for (const r of n.routes)
      body.append(el('tr', { class: 'route', 'data-clients': r.clients, 'data-kind': r.kind,
        'data-datacenter': r.answers.map((a) => a.datacenter || '').join(','), 'data-outcome': r.answers.map((a) => a.outcome).join(',') },
        el('th', { scope: 'row' }, r.clients), routeCell(r.answers, colour)));
    left.append(el('table', { class: 'routes' }, el('caption', {}, n.split ? 'Every datacenter is down' : 'Clients get now'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Clients'), el('th', { scope: 'col' }, 'Datacenter'))), body));
  }
  const m = n.lastMinute;
  const bars = el('div', { class: 'bars', role: 'list' });
  for (const d of m.datacenters) {
    const fill = el('span', { class: 'fill ' + colour(d.datacenter) });
    fill.style.width = (d.share * 100).toFixed(1) + '%'; // CSSOM, which the CSP allows (style attributes it does not)
    const outcomes = OUTCOMES.filter((o) => d.outcomes[o]).map((o) => o + ' ' + d.outcomes[o]).join(', ');
    bars.append(el('div', { class: 'bar-row', role: 'listitem', 'data-datacenter': d.datacenter, 'data-count': d.count, 'data-share': d.share,
      title: d.count + ' answers' + (outcomes ? ': ' + outcomes : '') },
      el('span', {}, d.datacenter || '(none)'), el('span', { class: 'bar' }, fill), el('span', { class: 'num' }, pct(d.share) + ' · ' + d.count)));
  }
  const right = el('div', {}, el('div', { class: 'bars-caption', 'data-total': m.total },
    'Answers, last ' + Math.round(t.windowSeconds) + ' s: ' + m.total), bars);
  card.append(el('div', { class: 'card-body' }, left, right));
  return card;
}

function renderTraffic(t) {
  const colour = palette(t);
  const cards = el('div', { class: 'cards' }, ...t.names.map((n) => renderName(n, t, colour)));
  const note = t.names.length < t.totalNames
    ? el('p', { class: 'note' }, 'The ' + t.names.length + ' busiest of ' + t.totalNames + ' load-balanced names (last minute).')
    : null;
  if (t.totalNames === 0) cards.append(el('p', { class: 'note' }, 'No load-balanced names.'));
  $('traffic').replaceChildren(...(note ? [note] : []), cards);
  renderDecisions(t);
}

function renderStatus(s, h) {
  document.title = 'gslb ' + s.nodeName + ' ' + s.version;
  $('node').textContent = s.nodeName;
  $('node').title = 'node id ' + s.nodeId;
  $('version').textContent = 'gslb ' + s.version;
  $('config').textContent = 'config ' + s.configVersion + ' · ' + s.zones.length + ' zone(s) · up ' + age(s.uptimeSeconds * 1000);
  const r = h.redis;
  const redis = $('redis');
  if (!r) redis.replaceChildren(el('dt', {}, 'mode'), el('dd', { 'data-redis': 'none' }, 'embedded: this node probes by itself (no Redis)'));
  else redis.replaceChildren(
    el('dt', {}, 'connection'), el('dd', { 'data-redis': r.connected ? 'connected' : 'disconnected', class: r.connected ? '' : 'down' },
      r.connected ? 'connected' : 'DISCONNECTED' + (r.disconnectedSince ? ' since ' + when(r.disconnectedSince) : '')),
    el('dt', {}, 'health state'), el('dd', {}, r.stale ? 'stale (past the grace period)' : 'current'),
    el('dt', {}, 'last resync'), el('dd', {}, when(r.lastResync)),
    el('dt', {}, 'resyncs'), el('dd', {}, r.resyncs),
    el('dt', {}, 'bad messages'), el('dd', {}, r.badMessages));
  const l = s.lastReload;
  const reload = $('reload');
  if (!l) reload.replaceChildren(el('p', {}, 'No reload since start (' + s.reloads.ok + ' ok, ' + s.reloads.failed + ' failed).'));
  else reload.replaceChildren(
    el('p', { 'data-reload': l.ok ? 'ok' : 'failed', class: l.ok ? '' : 'down' },
      (l.ok ? 'OK' : 'FAILED: still serving the last good configuration') + ' at ' + when(l.at) + ' (' + s.reloads.ok + ' ok, ' + s.reloads.failed + ' failed)'),
    ...(l.errors.length ? [el('pre', { class: 'errors' }, l.errors.join('\\n'))] : []));
  const drains = $('drains');
  drains.replaceChildren(...(h.drains.length ? h.drains.map((d) => el('li', {}, drainLabel(d.field) +
    (d.until ? ' until ' + when(d.until) : '') + (d.reason ? ' (' + d.reason + ')' : '') + (d.by ? ' by ' + d.by : ''))) : [el('li', {}, 'nothing is drained')]));
}

function render(state) {
  renderTraffic(state.traffic);
  renderMatrix(state.health);
  renderStatus(state.status, state.health);
}

async function poll() {
  try {
    const [health, status, traffic] = await Promise.all([get('api/health'), get('api/status'), get('api/traffic')]);
    render({ health, status, traffic });
    $('live').dataset.state = 'ok';
    $('live').textContent = 'live, updated ' + new Date().toLocaleTimeString();
  } catch (err) {
    $('live').dataset.state = 'error';
    $('live').textContent = 'not updating: ' + err.message;
  }
  setTimeout(poll, 1000);
}

// The state as served is painted at once; polling takes over a second later.
const served = $('state');
let first = null;
try {
  first = served ? JSON.parse(served.textContent) : null;
} catch (err) {
  $('live').textContent = 'the served state did not parse: ' + err.message;
}
if (first) {
  render(first);
  $('live').dataset.state = 'ok';
  $('live').textContent = 'as served at ' + new Date().toLocaleTimeString();
  setTimeout(poll, 1000);
} else poll();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Allows exactly this page's inline style and script, and fetches to its own origin. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * JSON for a `<script type="application/json">` block: `<` (so no `</script>` or `<!--` can end or
 * bend it), `>`, `&` and the JavaScript line separators escaped as \uXXXX, which JSON.parse reads back.
 */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

/**
 * The page with `state` (what it polls: health, status, traffic) inlined, so the first paint has the
 * data; with null (the state could not be made) the page polls at once.
 */
export function statusPageHtml(state: { health: unknown; status: unknown; traffic: unknown } | null): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>gslb status</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1><span id="version">gslb</span> · <span id="node">…</span></h1>
<span class="meta" id="config"></span>
<span class="meta" id="live" role="status" aria-live="polite">loading…</span>
</header>
<main>
<section aria-labelledby="h-traffic">
<h2 id="h-traffic">Traffic: where each name's clients are sent now, and the answers of the last minute</h2>
<div id="traffic"></div>
</section>
<section aria-labelledby="h-health">
<h2 id="h-health">Health: probe targets by datacenter, agents across</h2>
<div id="matrix"></div>
</section>
<div class="grid">
<section aria-labelledby="h-decisions">
<h2 id="h-decisions">Decisions by datacenter</h2>
<div id="decisions"></div>
</section>
<section aria-labelledby="h-redis">
<h2 id="h-redis">Redis</h2>
<dl id="redis"></dl>
</section>
<section aria-labelledby="h-reload">
<h2 id="h-reload">Last reload</h2>
<div id="reload"></div>
<h2 id="h-drains">Drains</h2>
<ul id="drains" aria-labelledby="h-drains"></ul>
</section>
</div>
</main>
<script type="application/json" id="state">${inlineJson(state)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
