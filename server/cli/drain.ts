// `gslb drain` / `gslb undrain`: take an endpoint or a whole datacenter out of (or back into) every
// answer on every node, through Redis, optionally for a while. `gslb drain --list` shows what is drained.
import { hostname, userInfo } from 'node:os';
import { listDrains, drain, undrain, type DrainTarget } from '../../health/drain-store.js';
import { MAX_DRAIN_MS } from '../../health/drains.js';
import { RedisConnectionError } from '../../health/redis-errors.js';
import { parseIp } from '../../zones/address.js';
import { parseCnameTarget } from '../../zones/policy/endpoints.js';
import { durationFlag, parse, UsageError, type FlagValues } from './args.js';
import { DRAIN, UNDRAIN } from './commands.js';
import { redisFlags } from './redis-flags.js';
import { StartupError } from './startup-error.js';

function target(values: { endpoint?: string; datacenter?: string }): DrainTarget {
  if (values.endpoint && values.datacenter)
    throw new UsageError('E_CLI_CONFLICTING_FLAGS', 'give --endpoint ADDR or --datacenter NAME, not both');
  if (values.endpoint) {
    if (parseIp(values.endpoint)) return { endpoint: values.endpoint };
    // A CNAME endpoint is drained by its host name, spelt as the policy loader keeps it.
    const host = parseCnameTarget(values.endpoint);
    if (typeof host === 'string')
      throw new UsageError(
        'E_CLI_BAD_ADDRESS',
        `--endpoint '${values.endpoint}' is not an IP address or a cname endpoint's host name`,
      );
    return { endpoint: host.text };
  }
  if (values.datacenter) return { datacenter: values.datacenter };
  throw new UsageError('E_CLI_MISSING_FLAG', 'give --endpoint ADDR or --datacenter NAME');
}

export async function runDrain(argv: string[], undo: boolean): Promise<number> {
  // undrain takes a subset of drain's flags (no --for, --reason, --list).
  const parsed = undo ? parse(argv, UNDRAIN) : parse(argv, DRAIN);
  const values: FlagValues<(typeof DRAIN)['flags']> = parsed.values;
  const redis = redisFlags(values, parsed.origins)!; // a URL is required
  const name = undo ? 'undrain' : 'drain';
  for (const warning of [...parsed.warnings, ...redis.warnings])
    process.stderr.write(`gslb ${name}: warning: ${warning}\n`);
  try {
    if (values.list) {
      const list = await listDrains(redis, redis.prefix);
      if (list.length === 0) process.stdout.write('nothing is drained\n');
      for (const d of list)
        process.stdout.write(
          `${d.field}  by ${d.by}  ${d.until === null ? 'until undrained' : `until ${new Date(d.until).toISOString()}`}${d.reason ? `  (${d.reason})` : ''}\n`,
        );
      return 0;
    }
    const t = target(values);
    const what = 'endpoint' in t ? `endpoint ${t.endpoint}` : `datacenter ${t.datacenter}`;
    if (undo) {
      const removed = await undrain(redis, redis.prefix, t);
      process.stdout.write(removed ? `undrained ${what}\n` : `${what} was not drained\n`);
      return 0;
    }
    const forMs =
      values.for === undefined ? null : durationFlag('for', values.for, { positive: true, maxMs: MAX_DRAIN_MS });
    const doc = await drain(redis, redis.prefix, t, {
      forMs,
      by: `${userInfo().username}@${hostname()}`,
      reason: values.reason ?? '',
    });
    process.stdout.write(`drained ${what}${doc.until === null ? '' : ` until ${new Date(doc.until).toISOString()}`}\n`);
    return 0;
  } catch (err) {
    // Usage errors are printed as such; a programming error keeps its stack (it is a bug, not Redis).
    if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) throw err;
    if (err instanceof ReferenceError || err instanceof SyntaxError) throw err;
    // Redis unreachable or refusing: one line, `gslb drain: redis: ... [E_REDIS_...]`, exit 1 (main.ts prints it).
    const code = err instanceof RedisConnectionError ? err.code : 'E_REDIS_COMMAND_FAILED';
    throw new StartupError(code, `redis: ${(err as Error).message}`);
  }
}
