// Probe target keys (health/view.ts) fingerprint the whole check or load source: every setting, one
// added later included, makes a different target, while the name stays in the key as text and a CA
// counts by its digest, not its PEM text.
import { expect } from 'chai';
import { canonicalJson } from '../health/canonical-json.js';
import { loadKey, targetKey } from '../health/view.js';
import type { Check, Endpoint, LoadSource } from '../zones/policy-types.js';

const check: Check = Object.freeze({
  name: 'web',
  type: 'https',
  port: 443,
  path: '/healthz',
  expect: Object.freeze([200]),
  host: null,
  sni: null,
  tlsVerify: true,
  tlsCa: null,
  tlsCaDigest: null,
  expiryWarnDays: 14,
  body: null,
  followRedirects: false,
  query: null,
  qtype: 'SOA',
  intervalMs: 5000,
  timeoutMs: 2000,
  jitterMs: 500,
  rise: 1,
  fall: 1,
  from: 'all',
});

const source: LoadSource = Object.freeze({
  name: 'lb',
  type: 'haproxy',
  url: 'http://{address}:8404/stats;csv',
  headers: Object.freeze({}),
  proxy: 'www',
  server: 'BACKEND',
  selectors: Object.freeze({
    connections: null,
    capacity: null,
    bytes: Object.freeze([]),
    bandwidth: null,
    errors: null,
    requests: null,
  }),
  tlsVerify: true,
  intervalMs: 1000,
  timeoutMs: 500,
  jitterMs: 100,
  maxAgeMs: 5000,
  smoothingMs: 2000,
  capacity: null,
  passive: null,
});

const ep: Endpoint = Object.freeze({
  address: '192.0.2.1',
  family: 4,
  weight: 1,
  probe: null,
  loadUrl: null,
  datacenter: 'dc1',
});

/** A value of the same JSON type as v but different. */
function other(v: unknown): unknown {
  if (v === null) return 'set';
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'string') return v + 'x';
  if (Array.isArray(v)) return [...v, 1];
  return { ...(v as object), added: 1 };
}

describe('probe target keys', () => {
  it('every check setting but the name, the PEM text and the jitter changes the key', () => {
    const base = targetKey(check, ep);
    expect(base).to.match(/^web\|192\.0\.2\.1\|443\|[0-9a-f]{8}$/);
    for (const field of Object.keys(check) as (keyof Check)[]) {
      if (field === 'name' || field === 'tlsCa' || field === 'port' || field === 'jitterMs') continue;
      const changed = { ...check, [field]: other(check[field]) } as Check;
      expect(targetKey(changed, ep), field).to.not.equal(base);
    }
    // The port is in the key as text, the CA by its digest.
    expect(targetKey({ ...check, port: 8443 }, ep)).to.match(/^web\|192\.0\.2\.1\|8443\|/);
    expect(targetKey({ ...check, tlsCa: 'PEM text' }, ep)).to.equal(base);
    // The jitter only spreads probe times: the prober retimes the target and keeps its state.
    expect(targetKey({ ...check, jitterMs: 900 }, ep)).to.equal(base);
    expect(targetKey({ ...check, name: 'api' }, ep)).to.equal(base.replace(/^web\|/, 'api|'));
  });

  it('from: all (the default) leaves the key as it was before the field; local or a list changes it', () => {
    const { from: _all, ...before } = check;
    expect(targetKey(before as unknown as Check, ep)).to.equal(targetKey(check, ep));
    const local = targetKey({ ...check, from: 'local' }, ep);
    const listed = targetKey({ ...check, from: ['dc1'] }, ep);
    expect(new Set([targetKey(check, ep), local, listed]).size).to.equal(3);
  });

  it('a field the key does not know yet changes it too', () => {
    const withNew = { ...check, newOption: 'on' } as unknown as Check;
    expect(targetKey(withNew, ep)).to.not.equal(targetKey(check, ep));
  });

  it('field order does not matter', () => {
    const reversed = Object.fromEntries(Object.entries(check).reverse()) as unknown as Check;
    expect(targetKey(reversed, ep)).to.equal(targetKey(check, ep));
  });

  it('every load source setting but the name changes the load key', () => {
    const base = loadKey(source, ep);
    expect(base).to.match(/^load:lb\|http:\/\/192\.0\.2\.1:8404\/stats;csv\|[0-9a-f]{8}$/);
    for (const field of Object.keys(source) as (keyof LoadSource)[]) {
      if (field === 'name' || field === 'jitterMs') continue;
      const changed = { ...source, [field]: other(source[field]) } as LoadSource;
      expect(loadKey(changed, ep), field).to.not.equal(base);
    }
    const selectors = { ...source.selectors, connections: 'haproxy_backend_current_sessions' };
    expect(loadKey({ ...source, selectors }, ep)).to.not.equal(base);
    const passive = { maxErrorRate: 0.5, minRequests: 10, rise: 1, fall: 1 };
    expect(loadKey({ ...source, passive }, ep)).to.not.equal(
      loadKey({ ...source, passive: { ...passive, rise: 2 } }, ep),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, skips top-level keys asked and undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: null, e: 'x' }], c: true }, u: undefined })).to.equal(
      '{"a":{"c":true,"d":[2,{"e":"x","f":null}]},"b":1}',
    );
    expect(canonicalJson({ name: 'web', port: 80 }, new Set(['name']))).to.equal('{"port":80}');
    expect(canonicalJson({ x: { name: 'kept' } }, new Set(['name']))).to.equal('{"x":{"name":"kept"}}');
  });

  it('throws on what JSON cannot carry faithfully, naming where', () => {
    expect(() => canonicalJson({ a: new Map() })).to.throw(/a is not plain data/);
    expect(() => canonicalJson({ a: [Buffer.from('x')] })).to.throw(/a\[0\] is not plain data/);
    expect(() => canonicalJson({ n: NaN })).to.throw(/n is NaN/);
  });
});
