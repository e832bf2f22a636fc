// The admin status page: one self-contained HTML document (inline CSS and JS) that polls the admin API.
import { createHash } from 'node:crypto';

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
`;

// Renders with textContent only: agent ids, reasons and errors come from the network and Redis.
const SCRIPT = `
'use strict';
const token = new URLSearchParams(location.search).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
const OUTCOMES = ['primary', 'failover', 'fallback', 'nodata', 'servfail'];
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
function targetLabel(key) {
  const [check, host, port] = key.split('|');
  return (check || '') + ' ' + (host && host.includes(':') ? '[' + host + ']' : host) + ':' + port;
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
    // A datacenter is up by its checks; load reads (key load:...) count only where there are no checks.
    const checked = targets.filter((t) => !t.key.startsWith('load:'));
    const up = (checked.length ? checked : targets).some((t) => t.verdict.up);
    const isDrained = drained.has('dc:' + dc);
    const group = el('tbody', { 'data-datacenter': dc });
    const head = el('th', { scope: 'rowgroup', colspan: agents.length + 1 }, dc);
    if (isDrained) head.append(el('span', { class: 'tag warn' }, 'drained'));
    group.append(el('tr', { class: 'dc-row', 'data-datacenter': dc, 'data-verdict': up ? 'up' : 'down' },
      head, el('td', { class: 'verdict ' + (up ? 'up' : 'down') }, up ? 'UP' : 'DOWN')));
    for (const t of targets) {
      const row = el('tr', { 'data-target': t.key, 'data-datacenter': dc, 'data-verdict': t.verdict.up ? 'up' : 'down' });
      const addrs = (h.addresses && h.addresses[t.key]) || [];
      const th = el('th', { scope: 'row' }, targetLabel(t.key));
      if (addrs.length) th.append(el('small', {}, addrs.join(', ')));
      for (const a of addrs) if (drained.has('ep:' + a)) th.append(el('span', { class: 'tag warn' }, a + ' drained'));
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

function renderDecisions(d) {
  const sums = new Map();
  for (const n of d.names) for (const c of n.decisions) {
    const dc = c.datacenter || '(none)';
    if (!sums.has(dc)) sums.set(dc, Object.fromEntries(OUTCOMES.map((o) => [o, 0])));
    const row = sums.get(dc);
    row[c.outcome] = (row[c.outcome] || 0) + c.count;
  }
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Datacenter'), ...OUTCOMES.map((o) => el('th', { scope: 'col' }, o)), el('th', { scope: 'col' }, 'total'));
  const body = el('tbody');
  for (const [dc, row] of [...sums].sort((a, b) => a[0].localeCompare(b[0]))) {
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    body.append(el('tr', { 'data-datacenter': dc }, el('th', { scope: 'row' }, dc),
      ...OUTCOMES.map((o) => el('td', { class: 'num', 'data-outcome': o }, row[o])), el('td', { class: 'num' }, total)));
  }
  if (sums.size === 0) body.append(el('tr', {}, el('td', { colspan: OUTCOMES.length + 2 }, 'No load-balanced answers yet.')));
  $('decisions').replaceChildren(el('table', {}, el('caption', { class: 'meta' }, 'Answers since start, summed over names'), el('thead', {}, head), body));
}

function renderStatus(s, h) {
  document.title = 'gslb ' + s.nodeId + ' ' + s.version;
  $('node').textContent = s.nodeId;
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
  drains.replaceChildren(...(h.drains.length ? h.drains.map((d) => el('li', {}, d.field.replace(/^dc:/, 'datacenter ').replace(/^ep:/, 'endpoint ') +
    (d.until ? ' until ' + when(d.until) : '') + (d.reason ? ' (' + d.reason + ')' : '') + (d.by ? ' by ' + d.by : ''))) : [el('li', {}, 'nothing is drained')]));
}

async function poll() {
  try {
    const [h, s, d] = await Promise.all([get('api/health'), get('api/status'), get('api/decisions')]);
    renderMatrix(h);
    renderStatus(s, h);
    renderDecisions(d);
    $('live').dataset.state = 'ok';
    $('live').textContent = 'live, updated ' + new Date().toLocaleTimeString();
  } catch (err) {
    $('live').dataset.state = 'error';
    $('live').textContent = 'not updating: ' + err.message;
  }
  setTimeout(poll, 1000);
}
poll();
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

export const STATUS_PAGE_HTML = `<!doctype html>
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
<script>${SCRIPT}</script>
</body>
</html>
`;
