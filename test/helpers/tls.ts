// A throwaway self-signed certificate for loopback HTTPS servers in tests (needs openssl on PATH).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Key and certificate for CN=localhost, valid one day; a string says why openssl could not make them. */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } | string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gslb-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } catch (err) {
    return `openssl could not make a certificate: ${String(err)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
