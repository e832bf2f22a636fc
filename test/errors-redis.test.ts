// Every E_REDIS_* code (health/redis-errors.ts): the connection failures by kind, as describeRedisError
// reads them (the same errors redis-url.test.ts words), and gslb drain's line through a real Redis
// that refuses the command.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { spawnSync } from 'node:child_process';
import { parseRedisUrl } from '../health/redis-connect.js';
import { describeRedisError, logConnectionErrors, REDIS_ERRORS } from '../health/redis-errors.js';
import { EventEmitter } from 'node:events';
import type { Logger } from '../health/log.js';
import { keys } from '../health/redis-protocol.js';
import { cleanup, redisOrSkip, testPrefix } from './helpers/redis.js';

const err = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});
const tls = parseRedisUrl('rediss://redis.test:6380');
const plain = parseRedisUrl('redis://redis.test:6379');

describe('Redis error codes', () => {
  const cases: ReadonlyArray<[string, Error, ReturnType<typeof parseRedisUrl>]> = [
    ['E_REDIS_UNREACHABLE', err('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), plain],
    ['E_REDIS_UNREACHABLE', err('getaddrinfo ENOTFOUND redis.test', 'ENOTFOUND'), tls],
    ['E_REDIS_TLS_UNTRUSTED', err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), tls],
    [
      'E_REDIS_TLS_NAME_MISMATCH',
      err("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      tls,
    ],
    ['E_REDIS_TLS_EXPIRED', err('certificate has expired', 'CERT_HAS_EXPIRED'), tls],
    ['E_REDIS_TLS_NOT_YET_VALID', err('certificate is not yet valid', 'CERT_NOT_YET_VALID'), tls],
    ['E_REDIS_NOT_TLS', err('0A00010B:SSL routines:ssl3_get_record:wrong version number:'), tls],
    ['E_REDIS_TLS_TIMEOUT', err('connect ETIMEDOUT', 'ETIMEDOUT'), tls],
    ['E_REDIS_TLS_CLIENT_REFUSED', err('write ECONNRESET', 'ECONNRESET'), tls],
  ];
  for (const [code, e, target] of cases)
    it(`${code}: ${e.message}`, () => {
      expect(describeRedisError(e, target).code).to.equal(code);
    });

  it('every code has a case here, or (E_REDIS_COMMAND_FAILED) one through a real Redis below', () => {
    const covered = new Set([...cases.map(([code]) => code), 'E_REDIS_COMMAND_FAILED']);
    expect(Object.keys(REDIS_ERRORS).filter((c) => !covered.has(c))).to.deep.equal([]);
  });

  it("the nodes' and agents' warn line carries the code, once per kind", () => {
    const lines: Array<[string, object]> = [];
    const log: Logger = {
      debug: (obj) => void lines.push(['debug', obj as object]),
      info: () => {},
      warn: (obj) => void lines.push(['warn', obj as object]),
      error: () => {},
    };
    const redis = new EventEmitter();
    logConnectionErrors(redis as unknown as Redis, tls, log);
    redis.emit('error', err('certificate has expired', 'CERT_HAS_EXPIRED'));
    redis.emit('error', err('certificate has expired', 'CERT_HAS_EXPIRED'));
    redis.emit('error', err('connect ECONNREFUSED 10.0.0.1:6380', 'ECONNREFUSED'));
    expect(lines.map(([level, obj]) => [level, (obj as { code: string }).code])).to.deep.equal([
      ['warn', 'E_REDIS_TLS_EXPIRED'],
      ['debug', 'E_REDIS_TLS_EXPIRED'],
      ['warn', 'E_REDIS_UNREACHABLE'],
    ]);
  });

  it('gslb drain: Redis refuses the command (the drains key holds a string): E_REDIS_COMMAND_FAILED, exit 1', async function () {
    const url = await redisOrSkip(this);
    const prefix = testPrefix();
    const r = new Redis(url);
    try {
      await r.set(keys(prefix).drains, 'not a hash');
      const d = spawnSync(
        process.execPath,
        ['bin/gslb', 'drain', '--redis', url, '--redis-prefix', prefix, '--datacenter', 'dc1'],
        { encoding: 'utf8', timeout: 15_000 },
      );
      expect(d.status, d.stderr).to.equal(1);
      expect(d.stderr).to.match(/^gslb drain: redis: WRONGTYPE .* \[E_REDIS_COMMAND_FAILED\]\n$/);
    } finally {
      r.disconnect();
      await cleanup(url, prefix);
    }
  });
});
