// Redis URL forms: plain, password and database, TLS (with CA and client certificate), Sentinel
// with and without TLS; clear errors for the rest, never with the password in them.
import { expect } from 'chai';
import { parseRedisUrl, reconnectDelay, redactUrl } from '../health/redis-connect.js';
import { describeRedisError } from '../health/redis-errors.js';

const CA = Buffer.from('ca');
const CERT = Buffer.from('cert');
const KEY = Buffer.from('key');

describe('redis URLs', () => {
  it('plain, with password, user and database', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379').options).to.include({ host: '127.0.0.1', port: 6379, db: 0 });
    const p = parseRedisUrl('redis://user:s%3Acret@redis.internal:6380/2');
    expect(p.options).to.include({ host: 'redis.internal', port: 6380, db: 2, password: 's:cret', username: 'user' });
    expect(p.display).to.equal('redis://redis.internal:6380/2');
    expect(parseRedisUrl('redis://[::1]').options).to.include({ host: '::1', port: 6379 });
  });
  it('TLS with rediss://: the CA and client certificate passed on; a server name only for a host name', () => {
    expect(parseRedisUrl('rediss://:pw@redis.example:6380').options.tls).to.deep.equal({ servername: 'redis.example' });
    const t = parseRedisUrl('rediss://127.0.0.1:6380', { ca: CA, cert: CERT, key: KEY });
    // RFC 6066 forbids an IP as SNI (Node warns); the certificate is still checked against the IP.
    expect(t.options.tls).to.deep.equal({ ca: CA, cert: CERT, key: KEY });
    expect(t).to.include({ tls: true, clientCertificate: true });
    expect(parseRedisUrl('rediss://[::1]:6380', { ca: CA }).options.tls).to.deep.equal({ ca: CA });
    expect(parseRedisUrl('redis://127.0.0.1')).to.include({ tls: false, clientCertificate: false });
  });
  it('a plain URL uses no TLS material (the flags refuse TLS files with one: test/redis-tls.test.ts)', () => {
    expect(parseRedisUrl('redis://h:6379', { ca: CA }).options.tls).to.equal(undefined);
    expect(parseRedisUrl('sentinel://s1/m', { cert: CERT, key: KEY }).options).not.to.have.any.keys(
      'tls',
      'sentinelTLS',
    );
  });
  it('Sentinel over TLS with sentinels://: the sentinels and the master alike', () => {
    const t = parseRedisUrl('sentinels://:pw@s1:26379,s2/mymaster', { ca: CA, cert: CERT, key: KEY });
    expect(t.options).to.deep.include({
      name: 'mymaster',
      sentinelTLS: { ca: CA, cert: CERT, key: KEY },
      tls: { ca: CA, cert: CERT, key: KEY },
      enableTLSForSentinelMode: true,
      sentinelPassword: 'pw',
    });
    expect(t.display).to.equal('sentinels://s1:26379,s2/mymaster');
    expect(t).to.include({ tls: true, clientCertificate: true });
    const plain = parseRedisUrl('sentinel://s1/mymaster').options;
    expect(plain).not.to.have.any.keys('tls', 'sentinelTLS', 'enableTLSForSentinelMode');
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
    expect(() => parseRedisUrl('sentinels://s1:26379')).to.throw(/sentinels:\/\/host:port,host:port\/MASTER/);
  });
  it('errors never show the password', () => {
    expect(redactUrl('redis://:s3cret@h:1')).to.equal('redis://:***@h:1');
    expect(redactUrl('rediss://user:s3cret@h')).to.equal('rediss://user:***@h');
    expect(redactUrl('redis://h:1')).to.equal('redis://h:1');
    // The credentials end at the last '@' before the path: a password may hold one.
    expect(redactUrl('redis://:p@ss@h')).to.equal('redis://:***@h');
    expect(redactUrl('redis://u:p@ss@h:1/2')).to.equal('redis://u:***@h:1/2');
    expect(redactUrl('sentinel://:p@ss@s1,s2/m@x')).to.equal('sentinel://:***@s1,s2/m@x');
    for (const bad of ['redis://:s3cret@[h', 'sentinel://:s3cret@h:1/a/b'])
      expect(() => parseRedisUrl(bad))
        .to.throw()
        .with.property('message')
        .that.does.not.include('s3cret');
  });
  it('TLS failures get a hint: which certificate to check', () => {
    const tls = parseRedisUrl('rediss://127.0.0.1:6380', { ca: CA });
    const withCert = parseRedisUrl('rediss://127.0.0.1:6380', { ca: CA, cert: CERT, key: KEY });
    const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    const cases: Array<[Error, typeof tls, RegExp]> = [
      [
        err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
        tls,
        /not signed by a CA in --redis-tls-ca/,
      ],
      [err('write ECONNRESET', 'ECONNRESET'), tls, /give --redis-tls-cert and --redis-tls-key\)$/],
      [err('write ECONNRESET', 'ECONNRESET'), withCert, /does it trust the CA that signed --redis-tls-cert\?\)$/],
      [
        err("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
        tls,
        /does not name the address/,
      ],
      [err('certificate has expired', 'CERT_HAS_EXPIRED'), tls, /has expired\)$/],
      // Through Sentinel the code is lost; the message still says what happened.
      [
        err('All sentinels are unreachable. Last error: self-signed certificate in certificate chain'),
        tls,
        /not signed by a CA/,
      ],
      [
        err('0A00010B:SSL routines:ssl3_get_record:wrong version number:'),
        tls,
        /^wrong version number \(is that port plain Redis/,
      ],
      [
        err('Client network socket disconnected before secure TLS connection was established'),
        tls,
        /is that port plain Redis/,
      ],
      [err('connect ETIMEDOUT', 'ETIMEDOUT'), tls, /no TLS handshake in time: a firewall, or a port without TLS\?/],
    ];
    for (const [e, target, expected] of cases) expect(describeRedisError(e, target).text, e.message).to.match(expected);
    // OpenSSL's long form is cut to its reason; a reset and a 'certificate required' alert are one kind.
    const alert = describeRedisError(
      err(
        '80EC:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../rec_layer_s3.c:1601:SSL alert number 116\n',
      ),
      tls,
    );
    expect(alert.text).to.match(/^tlsv13 alert certificate required \(Redis closed/);
    expect(alert.kind).to.equal(describeRedisError(err('write ECONNRESET', 'ECONNRESET'), tls).kind);
    // Without TLS there is nothing to hint at.
    expect(
      describeRedisError(err('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), parseRedisUrl('redis://h')).text,
    ).to.equal('connect ECONNREFUSED 127.0.0.1:1');
  });
  it('reconnect backoff grows to a cap', () => {
    for (let i = 0; i < 20; i++) expect(reconnectDelay(i)).to.be.within(25, 2000);
    expect(Math.max(...Array.from({ length: 200 }, () => reconnectDelay(0)))).to.be.at.most(100);
  });
});
