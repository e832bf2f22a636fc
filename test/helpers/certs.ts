// Certificates for loopback TLS servers in tests, made with openssl: self-signed for CN=localhost with
// the names localhost and 127.0.0.1, valid a given number of days, or already expired.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

/**
 * A self-signed certificate valid from now for `days` days; `days: -1` makes one that ended a day
 * before now (openssl 3.0 has no -not_after). A string says why openssl could not make it.
 */
export function testCertificate(days: number): TestCertificate | string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gslb-cert-'));
  const file = (name: string) => path.join(dir, name);
  try {
    writeFileSync(file('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      file('key.pem'),
      '-out',
      file('req.csr'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file('req.csr'),
      '-signkey',
      file('key.pem'),
      '-days',
      String(days),
      '-extfile',
      file('ext'),
      '-out',
      file('cert.pem'),
    );
    return { key: readFileSync(file('key.pem'), 'utf8'), cert: readFileSync(file('cert.pem'), 'utf8') };
  } catch (err) {
    return `openssl could not make a certificate: ${String(err)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
