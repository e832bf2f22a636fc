// Load-source readers: each format's parser on realistic pages, and readLoad against real loopback servers.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fetchText } from '../health/load/fetch.js';
import { parseHaproxyCsv } from '../health/load/haproxy.js';
import { parseJsonReading } from '../health/load/json.js';
import { parseStubStatus } from '../health/load/nginx.js';
import { parseExposition, parsePrometheusReading, parseSelector } from '../health/load/prometheus.js';
import { readLoad } from '../health/load/read.js';
import { NO_READING, type LoadReading, type LoadReadSpec, type LoadSelectors } from '../health/load/types.js';
import { freePort } from '../scripts/e2e-cluster.js';
import { selfSignedCertificate } from './helpers/tls.js';

const fixture = (name: string): string => readFileSync(`test/fixtures/load/${name}`, 'utf8');
const HAPROXY = fixture('haproxy-2.6.csv');
const ENVOY = fixture('envoy.prom');
const STUB_STATUS = fixture('nginx-stub-status.txt');
const STATUS_JSON = fixture('status.json');
const MiB = 1024 * 1024;

const NO_SELECTORS: LoadSelectors = {
  connections: null,
  capacity: null,
  bytes: [],
  bandwidth: null,
  errors: null,
  requests: null,
};

function reading(over: Partial<LoadReading>): LoadReading {
  return { ...NO_READING, ...over };
}

describe('load readers: HAProxy stats CSV', () => {
  const cases: Array<[string, string, LoadReading | string]> = [
    [
      'www',
      'FRONTEND',
      reading({
        connections: 42,
        capacity: 10000,
        bytesTotal: 912345678 + 8234567890,
        errorsTotal: 1711,
        requestsTotal: 1701234 + 98765 + 41230 + 1711 + 470,
      }),
    ],
    [
      'www',
      'web1',
      reading({
        connections: 20,
        capacity: 500,
        bytesTotal: 456000000 + 4117000000,
        errorsTotal: 611,
        requestsTotal: 850600 + 49300 + 20600 + 611 + 235,
      }),
    ],
    // No maxconn: slim is empty. The row also holds a quoted field with a comma in it.
    [
      'www',
      'web2',
      reading({
        connections: 0,
        capacity: null,
        bytesTotal: 455000000 + 4116000000,
        errorsTotal: 1100,
        requestsTotal: 850634 + 49465 + 20630 + 1100 + 235,
      }),
    ],
    [
      'www',
      'BACKEND',
      reading({
        connections: 41,
        capacity: 1000,
        bytesTotal: 912345678 + 8234567890,
        errorsTotal: 1711,
        requestsTotal: 1701234 + 98765 + 41230 + 1711 + 470,
      }),
    ],
    // TCP mode: no HTTP response counters.
    ['db', 'db1', reading({ connections: 7, capacity: 100, bytesTotal: 7340032 + 98566144 })],
    ['db', 'FRONTEND', reading({ connections: 7, capacity: 2000, bytesTotal: 7340032 + 98566144 })],
    ['nope', 'BACKEND', 'HAProxy has no proxy "nope" (has stats, www, db)'],
    ['www', 'web9', 'HAProxy proxy "www" has no "web9" row (has FRONTEND, web1, web2, BACKEND)'],
  ];
  for (const [proxy, server, want] of cases) {
    it(`${proxy}/${server}`, () => {
      expect(parseHaproxyCsv(HAPROXY, proxy, server)).to.deep.equal(want);
    });
  }

  it('finds columns by name, whatever their order; absent columns give null', () => {
    const csv = '# svname,pxname,bout,bin,scur,slim\nweb1,www,20,10,3,\n';
    expect(parseHaproxyCsv(csv, 'www', 'web1')).to.deep.equal(reading({ connections: 3, bytesTotal: 30 }));
  });

  it('lists the first few proxies only', () => {
    const rows = [1, 2, 3, 4, 5, 6, 7].map((n) => `p${n},BACKEND,1`).join('\n');
    expect(parseHaproxyCsv(`# pxname,svname,scur\n${rows}\n`, 'www', 'BACKEND')).to.equal(
      'HAProxy has no proxy "www" (has p1, p2, p3, p4, p5, ...)',
    );
  });

  it('garbage and broken rows are reasons', () => {
    expect(parseHaproxyCsv('<html>stats</html>', 'www', 'BACKEND')).to.equal(
      'not HAProxy stats CSV (no "# pxname,svname,..." header)',
    );
    expect(parseHaproxyCsv('# pxname,svname,smax\nwww,BACKEND,1\n', 'www', 'BACKEND')).to.equal(
      'HAProxy stats CSV has no "scur" column',
    );
    expect(parseHaproxyCsv('# pxname,svname,scur\nwww,BACKEND,many\n', 'www', 'BACKEND')).to.equal(
      'HAProxy "www/BACKEND" scur is not a number',
    );
  });

  it('reads CRLF line ends', () => {
    const r = parseHaproxyCsv(HAPROXY.replaceAll('\n', '\r\n'), 'www', 'web1');
    expect(r).to.have.property('requestsTotal', 921346);
  });
});

describe('load readers: nginx stub_status', () => {
  it('reads active connections and the requests counter', () => {
    expect(parseStubStatus(STUB_STATUS)).to.deep.equal(reading({ connections: 291, requestsTotal: 31070465 }));
    expect(parseStubStatus(STUB_STATUS.replaceAll('\n', '\r\n'))).to.have.property('connections', 291);
  });

  it('anything else is a reason', () => {
    for (const body of ['<html>nginx</html>', 'Active connections: 3\n', STUB_STATUS.replace('31070465', 'x')]) {
      expect(parseStubStatus(body), body).to.equal('not an nginx stub_status page');
    }
  });
});

describe('load readers: Prometheus text', () => {
  const labels = (o: Record<string, string>) => new Map(Object.entries(o));
  const sample = (name: string, value: number, l: Record<string, string> = {}) => ({
    name,
    labels: labels(l),
    value,
  });

  const lines: Array<[string, ReturnType<typeof sample>[]]> = [
    ['a 1', [sample('a', 1)]],
    ['a_total{b="x"} 2 1712345678000', [sample('a_total', 2, { b: 'x' })]],
    ['a 2.5 1712345678.125', [sample('a', 2.5)]],
    [String.raw`a{p="C:\\dir \"q\"\nz"} 3`, [sample('a', 3, { p: 'C:\\dir "q"\nz' })]],
    ['a{b="x",} 4', [sample('a', 4, { b: 'x' })]],
    ['  a {b = "x" , c="y"}   5  ', [sample('a', 5, { b: 'x', c: 'y' })]],
    ['ns:a{} 6\r', [sample('ns:a', 6)]],
    ['a{le="+Inf"} 1e3', [sample('a', 1000, { le: '+Inf' })]],
    ['a -0.5', [sample('a', -0.5)]],
    ['a +Inf', [sample('a', Infinity)]],
    ['a -Inf', [sample('a', -Infinity)]],
    ['a 7 # {trace_id="abc"} 0.5', [sample('a', 7)]],
    ['# HELP a Something, with "quotes".\n# TYPE a gauge\n# just a comment\n\na 8', [sample('a', 8)]],
    // Bad lines are skipped, the good ones around them kept.
    [
      [
        'a{b="x} 1',
        'a{b=x} 1',
        'a 12abc',
        String.raw`a{b="\q"} 1`,
        'a 1 2 3',
        'a 1 noon',
        '{} 1',
        'a{b="1",b="2"} 1',
        'a',
        'a-1',
        'a 0x10',
        'a ',
        'a 9',
      ].join('\n'),
      [sample('a', 9)],
    ],
  ];
  for (const [text, want] of lines) {
    it(`parses ${JSON.stringify(text)}`, () => {
      expect(parseExposition(text)).to.deep.equal(want);
    });
  }

  it('NaN is a value', () => {
    expect(Number.isNaN(parseExposition('a NaN')[0]?.value)).to.equal(true);
  });

  it('reads only the names asked for', () => {
    expect(parseExposition('a 1\nb 2\nc 3', new Set(['b']))).to.deep.equal([sample('b', 2)]);
  });

  it('stays linear on pathological lines', () => {
    const nasty = [
      `a ${'1'.repeat(MiB)}x`,
      `a{b="${'\\\\'.repeat(MiB / 2)}`,
      `a{${Array.from({ length: MiB / 16 }, (_, i) => `b${i}="x",`).join('')}`,
      '{'.repeat(MiB),
      'a{b="x"} 1\n'.repeat(50000),
    ];
    for (const text of nasty) {
      const t0 = performance.now();
      parseExposition(text);
      // A quadratic parser would take minutes on a megabyte; the bound is loose for slow machines.
      expect(performance.now() - t0, text.slice(0, 20)).to.be.below(2000);
    }
  });

  const selectors: Array<[string, { name: string; labels: Map<string, string> } | string]> = [
    ['a', { name: 'a', labels: labels({}) }],
    ['a{b="x"}', { name: 'a', labels: labels({ b: 'x' }) }],
    [' a{ b = "x" , c="y", } ', { name: 'a', labels: labels({ b: 'x', c: 'y' }) }],
    [String.raw`a{b="q\"x\\"}`, { name: 'a', labels: labels({ b: 'q"x\\' }) }],
    ['', 'expected a metric name'],
    ['9a', 'expected a metric name'],
    ['a b', 'expected { after the metric name'],
    ['a{b=x}', 'expected a quoted value for b'],
    ['a{b!="x"}', 'expected = after b'],
    ['a{b=~"x"}', 'expected a quoted value for b'],
    ['a{b="x"', 'expected , or }'],
    ['a{b="x', 'unterminated value for b'],
    ['a{b="x"} c', 'unexpected text after }'],
    ['a{b="1",b="2"}', 'label b given twice'],
  ];
  for (const [text, want] of selectors) {
    it(`selector ${JSON.stringify(text)}`, () => {
      expect(parseSelector(text)).to.deep.equal(want);
    });
  }

  const ingress = 'envoy_http_conn_manager_prefix="ingress_http"';
  const envoy: LoadSelectors = {
    connections: `envoy_http_downstream_cx_active{${ingress}}`,
    capacity: null,
    bytes: [
      `envoy_http_downstream_cx_rx_bytes_total{${ingress}}`,
      `envoy_http_downstream_cx_tx_bytes_total{${ingress}}`,
    ],
    bandwidth: null,
    errors: 'envoy_http_downstream_rq_xx{envoy_response_code_class="5"}',
    requests: `envoy_http_downstream_rq_total{${ingress}}`,
  };
  const readings: Array<[string, Partial<LoadSelectors>, LoadReading | string]> = [
    [
      'an Envoy listener (errors summed over both connection managers)',
      {},
      reading({
        connections: 58,
        bytesTotal: 912345678 + 8234567890,
        errorsTotal: 1711 + 2,
        requestsTotal: 1744175,
      }),
    ],
    [
      'every matching series summed',
      { connections: 'envoy_cluster_upstream_cx_active', capacity: 'envoy_cluster_upstream_rq_time_count' },
      reading({
        connections: 42,
        capacity: 1744175,
        bytesTotal: 912345678 + 8234567890,
        errorsTotal: 1713,
        requestsTotal: 1744175,
      }),
    ],
    [
      'label="" matches a series without that label',
      { connections: 'envoy_server_memory_allocated{envoy_cluster_name=""}', bytes: [], errors: null, requests: null },
      reading({ connections: 9912345 }),
    ],
    [
      'bytes is null unless every counter is there',
      { bytes: [`envoy_http_downstream_cx_rx_bytes_total{${ingress}}`, 'envoy_nope_bytes'] },
      reading({ connections: 58, errorsTotal: 1713, requestsTotal: 1744175 }),
    ],
    ['no connections series', { connections: 'envoy_nope' }, 'no series matches envoy_nope'],
    [
      'no series with that label value',
      { connections: 'envoy_http_downstream_cx_active{envoy_http_conn_manager_prefix="egress"}' },
      'no series matches envoy_http_downstream_cx_active{envoy_http_conn_manager_prefix="egress"}',
    ],
    ['a bad selector', { errors: 'a{b=x}' }, 'bad selector "a{b=x}": expected a quoted value for b'],
  ];
  for (const [title, over, want] of readings) {
    it(title, () => {
      expect(parsePrometheusReading(ENVOY, { ...envoy, ...over })).to.deep.equal(want);
    });
  }

  it('a NaN connections sum is a reason; other non-finite figures are null', () => {
    const s = { ...NO_SELECTORS, connections: 'conns', requests: 'reqs' };
    expect(parsePrometheusReading('conns{a="1"} 1\nconns{a="2"} NaN\n', s)).to.equal('conns is NaN');
    expect(parsePrometheusReading('conns 1\nreqs{a="1"} 5\nreqs{a="2"} +Inf\n', s)).to.deep.equal(
      reading({ connections: 1 }),
    );
  });

  it('a page that is not Prometheus text matches nothing', () => {
    expect(parsePrometheusReading('<html>\n<body>metrics</body>', envoy)).to.equal(
      `no series matches ${envoy.connections}`,
    );
  });
});

describe('load readers: JSON', () => {
  const peer = 'upstreams.www.peers';
  const s = (over: Partial<LoadSelectors>): LoadSelectors => ({ ...NO_SELECTORS, ...over });
  const cases: Array<[string, LoadSelectors, LoadReading | string]> = [
    [
      'an upstream peer',
      s({
        connections: `${peer}.0.active`,
        capacity: `${peer}.0.max_conns`,
        bytes: [`${peer}.0.sent`, `${peer}.0.received`],
        errors: `${peer}.0.responses.5xx`,
        requests: `${peer}.0.requests`,
      }),
      reading({
        connections: 12,
        capacity: 500,
        bytesTotal: 456000000 + 4117000000,
        errorsTotal: 611,
        requestsTotal: 921000,
      }),
    ],
    [
      'numeric strings count; null does not',
      s({ connections: `${peer}.1.active`, capacity: `${peer}.1.max_conns` }),
      reading({ connections: 3 }),
    ],
    ['a top-level figure', s({ connections: 'connections.active' }), reading({ connections: 5 })],
    ['a missing index', s({ connections: `${peer}.2.active` }), `no number at ${peer}.2.active`],
    ['a non-numeric value', s({ connections: `${peer}.0.state` }), `no number at ${peer}.0.state`],
    ['an object', s({ connections: `${peer}.0.responses` }), `no number at ${peer}.0.responses`],
    ['a name where an index goes', s({ connections: `${peer}.first.active` }), `no number at ${peer}.first.active`],
    ['never the prototype', s({ connections: 'constructor.length' }), 'no number at constructor.length'],
    ['an empty key', s({ connections: 'connections..active' }), 'bad path "connections..active": empty key'],
    [
      'a missing byte counter',
      s({ connections: 'version', bytes: [`${peer}.0.sent`, `${peer}.0.nope`] }),
      reading({ connections: 8 }),
    ],
  ];
  for (const [title, selectors, want] of cases) {
    it(title, () => {
      expect(parseJsonReading(STATUS_JSON, selectors)).to.deep.equal(want);
    });
  }

  it('a body that is not JSON is a reason', () => {
    expect(parseJsonReading('<html>', s({ connections: 'a' }))).to.equal('body is not valid JSON');
  });
});

const AUTH = `Basic ${Buffer.from('monitor:s3cr:t@x').toString('base64')}`;

/** The pages the loopback servers give; `seen` collects each request's headers. */
function routes(seen: http.IncomingHttpHeaders[]): http.RequestListener {
  return (req, res) => {
    seen.push(req.headers);
    switch (req.url) {
      case '/stats;csv':
        return res.writeHead(200, { 'content-type': 'text/csv' }).end(HAPROXY);
      case '/nginx_status':
        return res.end(STUB_STATUS);
      case '/stats/prometheus':
        return res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(ENVOY);
      case '/status.json':
        return res.writeHead(200, { 'content-type': 'application/json' }).end(STATUS_JSON);
      case '/private':
        if (req.headers.authorization === AUTH) return res.end(STUB_STATUS);
        return res.writeHead(401, { 'www-authenticate': 'Basic realm="stats"' }).end();
      case '/garbage':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>It works!</body></html>');
      case '/down':
        return res.writeHead(503).end('maintenance');
      case '/moved':
        return res.writeHead(302, { location: '/nginx_status' }).end();
      case '/exactly-4MiB':
        return res.end(Buffer.alloc(4 * MiB, 'a'));
      case '/big':
        return streamBytes(res, 5 * MiB);
      case '/big-declared':
        return res.writeHead(200, { 'content-length': 5 * MiB }).write('a');
      case '/cut':
        res.writeHead(200, { 'content-length': 100 }).write('Active connections: 1\n');
        return void setTimeout(() => res.destroy(), 20);
      case '/hang':
        return; // never answers
      default:
        return res.writeHead(404).end();
    }
  };
}

/** Writes `total` bytes in chunks with no content-length, as a page too large to buffer would come. */
function streamBytes(res: http.ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  res.on('error', () => {}); // the reader hangs up part way
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function loadSpec(over: Partial<LoadReadSpec> & Pick<LoadReadSpec, 'type' | 'url'>): LoadReadSpec {
  return {
    headers: {},
    proxy: null,
    server: 'BACKEND',
    selectors: NO_SELECTORS,
    timeoutMs: 2000,
    tlsVerify: true,
    ...over,
  };
}

describe('load readers: readLoad over HTTP', () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer(routes(seen));
  let base = '';
  before(async () => {
    base = `http://${await listen(server)}`;
  });
  after(() => close(server));
  beforeEach(() => (seen.length = 0));

  const formats: Array<[string, LoadReadSpec, Partial<LoadReading>]> = [];
  before(() => {
    formats.push(
      [
        'haproxy',
        loadSpec({ type: 'haproxy', url: `${base}/stats;csv`, proxy: 'www', server: 'web1' }),
        { connections: 20, capacity: 500 },
      ],
      ['nginx', loadSpec({ type: 'nginx', url: `${base}/nginx_status` }), { connections: 291 }],
      [
        'prometheus',
        loadSpec({
          type: 'prometheus',
          url: `${base}/stats/prometheus`,
          selectors: { ...NO_SELECTORS, connections: 'envoy_cluster_upstream_cx_active{envoy_cluster_name="www"}' },
        }),
        { connections: 37 },
      ],
      [
        'json',
        loadSpec({
          type: 'json',
          url: `${base}/status.json`,
          selectors: { ...NO_SELECTORS, connections: 'upstreams.www.peers.0.active' },
        }),
        { connections: 12 },
      ],
    );
  });

  it('reads each format from its page', async () => {
    for (const [type, spec, want] of formats) {
      const r = await readLoad(spec);
      expect(r.ok, `${type}: ${r.ok ? '' : r.reason}`).to.equal(true);
      if (!r.ok) continue;
      expect(r.reading, type).to.include(want);
      expect(r.rttMs).to.be.a('number').at.least(0);
    }
  });

  it('each format turns an unrelated page into a reason', async () => {
    const url = `${base}/garbage`;
    const reasons = await Promise.all(formats.map(([, spec]) => readLoad({ ...spec, url })));
    expect(reasons.map((r) => (r.ok ? 'ok' : r.reason))).to.deep.equal([
      'not HAProxy stats CSV (no "# pxname,svname,..." header)',
      'not an nginx stub_status page',
      'no series matches envoy_cluster_upstream_cx_active{envoy_cluster_name="www"}',
      'body is not valid JSON',
    ]);
  });

  it('a missing HAProxy row names what exists', async () => {
    const r = await readLoad(loadSpec({ type: 'haproxy', url: `${base}/stats;csv`, proxy: 'api' }));
    expect(r).to.include({ ok: false, reason: 'HAProxy has no proxy "api" (has stats, www, db)' });
  });

  it('an HAProxy source without a proxy is a reason', async () => {
    const r = await readLoad(loadSpec({ type: 'haproxy', url: `${base}/stats;csv` }));
    expect(r).to.include({ ok: false, reason: 'no HAProxy proxy to read' });
  });

  it('user:password in the URL becomes basic auth, and leaves the request line', async () => {
    const r = await readLoad(
      loadSpec({ type: 'nginx', url: base.replace('//', '//monitor:s3cr%3At%40x@') + '/private' }),
    );
    expect(r.ok, r.ok ? '' : r.reason).to.equal(true);
    expect(seen[0]).to.include({ authorization: AUTH, 'user-agent': 'gslb-agent', connection: 'close' });
    const wrong = await readLoad(loadSpec({ type: 'nginx', url: base.replace('//', '//monitor:guess@') + '/private' }));
    expect(wrong).to.include({ ok: false, reason: 'HTTP 401' });
  });

  it('configured headers are sent and replace the URL credentials', async () => {
    const r = await fetchText(base.replace('//', '//monitor:guess@') + '/private', {
      headers: { Authorization: AUTH, 'X-Scope': 'gslb' },
      timeoutMs: 2000,
      tlsVerify: true,
    });
    expect(r.ok, r.ok ? '' : r.reason).to.equal(true);
    expect(seen[0]).to.include({ authorization: AUTH, 'x-scope': 'gslb' });
  });

  const failures: Array<[string, string, string | string[]]> = [
    ['a non-2xx status', '/down', 'HTTP 503'],
    ['a redirect, not followed', '/moved', 'HTTP 302'],
    ['a streamed body over 4 MiB', '/big', 'response larger than 4 MiB'],
    ['a declared body over 4 MiB', '/big-declared', 'response larger than 4 MiB'],
    ['a body cut short', '/cut', ['response cut short', 'connection reset']],
  ];
  for (const [title, path, want] of failures) {
    it(title, async () => {
      const r = await fetchText(`${base}${path}`, { headers: {}, timeoutMs: 2000, tlsVerify: true });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.reason).to.be.oneOf([want].flat());
    });
  }

  it('a body of exactly 4 MiB is fine', async () => {
    const r = await fetchText(`${base}/exactly-4MiB`, { headers: {}, timeoutMs: 5000, tlsVerify: true });
    expect(r.ok && r.text.length).to.equal(4 * MiB);
  });

  it('one timeout bounds a server that never answers', async () => {
    const r = await readLoad(loadSpec({ type: 'nginx', url: `${base}/hang`, timeoutMs: 300 }));
    expect(r).to.include({ ok: false, reason: 'timeout after 300ms' });
    expect(r.rttMs).to.be.within(250, 2000);
  });

  it('an abort ends the read at once', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = await readLoad(loadSpec({ type: 'nginx', url: `${base}/hang` }), controller.signal);
    expect(r).to.include({ ok: false, reason: 'aborted' });
    expect(r.rttMs).to.be.below(1000);
    expect(await readLoad(loadSpec({ type: 'nginx', url: `${base}/hang` }), AbortSignal.abort())).to.include({
      ok: false,
      reason: 'aborted',
    });
  });

  it('a refused connection', async () => {
    const r = await readLoad(loadSpec({ type: 'nginx', url: `http://127.0.0.1:${await freePort()}/` }));
    expect(r).to.include({ ok: false, reason: 'connection refused' });
  });

  it('bad URLs are reasons that never echo the URL', async () => {
    const urls: Array<[string, string]> = [
      ['http://monitor:secret@[bad/', 'invalid URL'],
      ['ftp://monitor:secret@127.0.0.1/stats', 'unsupported URL scheme ftp:'],
      ['http://monitor:%E0%A4%A@127.0.0.1/', 'invalid user or password encoding in URL'],
    ];
    for (const [url, reason] of urls) {
      expect(await readLoad(loadSpec({ type: 'nginx', url }))).to.include({ ok: false, reason });
    }
  });
});

describe('load readers: readLoad over HTTPS', function () {
  let server: https.Server | null = null;
  let base = '';
  before(async function () {
    const tls = selfSignedCertificate();
    if (typeof tls === 'string') {
      console.log(`      (skipping https reads: ${tls})`);
      return this.skip();
    }
    server = https.createServer(tls, routes([]));
    base = `https://${await listen(server)}`;
  });
  after(async () => {
    if (server?.listening) await close(server);
  });

  it('tlsVerify rejects a self-signed certificate; without it the page is read', async () => {
    const spec = loadSpec({ type: 'nginx', url: `${base}/nginx_status` });
    expect(await readLoad(spec)).to.include({ ok: false, reason: 'TLS: self-signed certificate' });
    const r = await readLoad({ ...spec, tlsVerify: false });
    expect(r.ok && r.reading.connections).to.equal(291);
  });
});
