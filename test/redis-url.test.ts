// Redis URL forms: plain, password and database, TLS, Sentinel; clear errors for the rest.
import { expect } from 'chai';
import { parseRedisUrl, reconnectDelay } from '../health/redis-connect.js';

describe('redis URLs', () => {
  it('plain, with password, user and database', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379').options).to.include({ host: '127.0.0.1', port: 6379, db: 0 });
    const p = parseRedisUrl('redis://user:s%3Acret@redis.internal:6380/2');
    expect(p.options).to.include({ host: 'redis.internal', port: 6380, db: 2, password: 's:cret', username: 'user' });
    expect(p.display).to.equal('redis://redis.internal:6380/2');
    expect(parseRedisUrl('redis://[::1]').options).to.include({ host: '::1', port: 6379 });
  });
  it('TLS with rediss://', () => {
    expect(parseRedisUrl('rediss://:pw@redis.example:6380').options.tls).to.deep.equal({ servername: 'redis.example' });
  });
  it('Sentinel: hosts and master name', () => {
    const o = parseRedisUrl('sentinel://:pw@s1:26379,s2:26380,s3/mymaster').options;
    expect(o.sentinels).to.deep.equal([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
      { host: 's3', port: 26379 },
    ]);
    expect(o.name).to.equal('mymaster');
    expect(o.password).to.equal('pw');
  });
  it('rejects what it cannot use, with the reason', () => {
    expect(() => parseRedisUrl('not a url')).to.throw(/is not a URL/);
    expect(() => parseRedisUrl('http://x')).to.throw(/scheme 'http:'/);
    expect(() => parseRedisUrl('sentinel://s1:26379')).to.throw(/master name/);
    expect(() => parseRedisUrl('redis://h/abc')).to.throw(/database 'abc'/);
  });
  it('reconnect backoff grows to a cap', () => {
    for (let i = 0; i < 20; i++) expect(reconnectDelay(i)).to.be.within(25, 2000);
    expect(Math.max(...Array.from({ length: 200 }, () => reconnectDelay(0)))).to.be.at.most(100);
  });
});
