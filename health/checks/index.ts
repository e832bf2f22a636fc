// Entry point of the active checks: runs one probe of any type and never rejects.
import { isLoadSpec, type ProbeResult, type ProbeSpec } from '../probe-types.js';
import { readLoad } from '../load/read.js';
import { errorReason } from './common.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { tcpProbe } from './tcp.js';
import { tlsProbe } from './tls.js';

/** How this prober presents itself. */
export interface ProbeOptions {
  /** http/https checks' User-Agent: an agent names its datacenter, so a backend's logs say who probed. */
  readonly userAgent?: string;
}

export type RunProbe = (spec: ProbeSpec, signal?: AbortSignal, opts?: ProbeOptions) => Promise<ProbeResult>;

/** One probe; every failure (refused, timeout, bad status, TLS, abort, even a bug) is an ok:false result. */
export const runProbe: RunProbe = async (spec, signal, opts) => {
  const at = Date.now();
  try {
    if (isLoadSpec(spec)) {
      const r = await readLoad(spec, signal);
      return r.ok
        ? { ok: true, rttMs: r.rttMs, reason: 'figures read', at, reading: r.reading }
        : { ok: false, rttMs: r.rttMs, reason: r.reason, at };
    }
    switch (spec.type) {
      case 'tcp':
        return await tcpProbe(spec, signal);
      case 'http':
      case 'https':
        return await httpProbe(spec, signal, opts?.userAgent);
      case 'dns':
        return await dnsProbe(spec, signal);
      case 'tls':
        return await tlsProbe(spec, signal);
      default:
        return { ok: false, rttMs: 0, reason: `unknown check type ${String((spec as { type: unknown }).type)}`, at };
    }
  } catch (err) {
    return { ok: false, rttMs: 0, reason: errorReason(err), at };
  }
};
