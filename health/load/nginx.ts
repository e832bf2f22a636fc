// nginx stub_status: "Active connections: N", then "server accepts handled requests" and its three counters.
import type { LoadReading } from './types.js';
import { decimal } from './numbers.js';

const NOT_STUB_STATUS = 'not an nginx stub_status page';

export function parseStubStatus(text: string): LoadReading | string {
  const lines = text.split('\n').map((l) => l.trim());
  const active = lines.find((l) => l.startsWith('Active connections:'));
  const countersAt = lines.indexOf('server accepts handled requests') + 1;
  if (active === undefined || countersAt === 0) return NOT_STUB_STATUS;
  const connections = decimal(active.slice('Active connections:'.length).trim());
  const counters = (lines[countersAt] ?? '').split(' ').filter((f) => f !== '');
  const requests = counters.length === 3 ? decimal(counters[2] ?? '') : null;
  if (connections === null || requests === null) return NOT_STUB_STATUS;
  return {
    connections,
    capacity: null,
    bytesTotal: null,
    bandwidthBps: null,
    errorsTotal: null,
    requestsTotal: requests,
  };
}
