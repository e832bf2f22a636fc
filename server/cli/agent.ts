// `gslb agent --redis URL --datacenter NAME [--id ID]`: a probe agent; needs no zone files. The URL
// may also come from --redis-url-file or GSLB_REDIS_URL, with TLS files beside it (redis-flags.ts).
import { hostname } from 'node:os';
import { pino } from 'pino';
import { Agent } from '../../health/agent.js';
import { parse, UsageError } from './args.js';
import { AGENT } from './commands.js';
import { redisFlags } from './redis-flags.js';
import { onStopRequest } from './stop-requests.js';

export async function runAgent(argv: string[]): Promise<number> {
  const { values, origins, warnings } = parse(argv, AGENT);
  const redis = redisFlags(values, origins)!; // a URL is required
  const dc = values.datacenter;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(dc))
    throw new UsageError('E_CLI_BAD_VALUE', '--datacenter must be 1-64 letters, digits, _ . -');
  const id = values.id ?? `${dc}-${hostname()}`;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id))
    throw new UsageError('E_CLI_BAD_VALUE', '--id must be letters, digits, _ . : -');
  const level = values['log-level'];
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError('E_CLI_BAD_VALUE', `--log-level must be debug, info, warn or error`);
  const log = pino({ level, base: { pid: process.pid, agent: id } }, pino.destination(2));
  for (const warning of [...warnings, ...redis.warnings]) log.warn(warning);
  const agent = new Agent({
    url: redis.url,
    ...(redis.tls ? { tls: redis.tls } : {}),
    urlFrom: redis.urlFrom,
    prefix: redis.prefix,
    datacenter: dc,
    id,
    log,
  });
  agent.start();
  process.stdout.write(`gslb agent ${id} probing for datacenter ${dc}\n`);
  // The first SIGTERM or SIGINT stops the agent; a repeat (Ctrl-C reaches a parent too, which may
  // pass it on) is ignored rather than killing the agent before it has said goodbye to Redis.
  await new Promise<void>((resolve) =>
    onStopRequest((reason) => {
      log.info({ reason }, 'agent stopping');
      void agent.stop().then(resolve);
    }),
  );
  return 0;
}
