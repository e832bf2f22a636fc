// `gslb agent --redis URL --datacenter NAME [--id ID]`: a probe agent; needs no zone files.
import { hostname } from 'node:os';
import { pino } from 'pino';
import { Agent } from '../../health/agent.js';
import { parse, UsageError } from './args.js';
import { AGENT } from './commands.js';
import { redisFlags } from './serve.js';

export async function runAgent(argv: string[]): Promise<number> {
  const { values } = parse(argv, AGENT);
  const redis = redisFlags(values)!; // --redis is required
  const dc = values.datacenter;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(dc)) throw new UsageError('--datacenter must be 1-64 letters, digits, _ . -');
  const id = values.id ?? `${dc}-${hostname()}`;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) throw new UsageError('--id must be letters, digits, _ . : -');
  const level = values['log-level'];
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError(`--log-level must be debug, info, warn or error`);
  const log = pino({ level, base: { pid: process.pid, agent: id } }, pino.destination(2));
  const agent = new Agent({ url: redis.url, prefix: redis.prefix, datacenter: dc, id, log });
  agent.start();
  process.stdout.write(`gslb agent ${id} probing for datacenter ${dc}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'agent stopping');
      void agent.stop().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
