// --quorum and --max-age: how agents' reports combine into one verdict, for serve and for simulate's
// reading of the same Redis (one parser, so both read the flags alike).
import type { QuorumConfig } from '../../health/quorum.js';
import { durationFlag, UsageError } from './args.js';

export function quorumFlags(values: { quorum: string; 'max-age': string }): QuorumConfig {
  const text = values.quorum;
  if (text !== 'majority' && !/^[1-9][0-9]*$/.test(text))
    throw new UsageError('E_CLI_BAD_VALUE', `--quorum must be 'majority' or a number of agents`);
  return {
    quorum: text === 'majority' ? 'majority' : Number(text),
    maxAgeMs: durationFlag('max-age', values['max-age']),
  };
}
