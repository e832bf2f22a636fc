// Throwaway certificates for tests (openssl on PATH): a self-signed one for loopback HTTPS servers, and a
// small CA that signs server and client certificates (Redis over TLS with client certificates).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** A certificate and its key, as files. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway certificate authority in a folder: its certificate, and certificates it signs. */
export interface CertificateAuthority {
  /** The CA certificate (PEM), to trust. */
  readonly ca: string;
  /**
   * A certificate signed by this CA for `name`, usable as server and as client (Redis uses its
   * server certificate as a client towards the master under Sentinel), naming 127.0.0.1 and localhost.
   */
  issue(name: string): IssuedCertificate;
}

const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Makes a CA (EC P-256, valid one day) in `dir` with openssl; throws when openssl cannot. */
export function makeCertificateAuthority(dir: string, caName = 'gslb-test-ca'): CertificateAuthority {
  const ca = path.join(dir, `${caName}.pem`);
  const caKey = path.join(dir, `${caName}.key`);
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...curve, '-subj', `/CN=${caName}`, '-days', '1', '-keyout', caKey, '-out', ca]);
  return {
    ca,
    issue(name: string): IssuedCertificate {
      const key = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const cert = path.join(dir, `${name}.pem`);
      const ext = path.join(dir, `${name}.ext`);
      writeFileSync(
        ext,
        'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
      );
      run(['req', '-new', ...curve, '-subj', `/CN=${name}`, '-keyout', key, '-out', csr]);
      run([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        '1',
        '-out',
        cert,
        '-extfile',
        ext,
      ]);
      chmodSync(key, 0o600);
      return { cert, key };
    },
  };
}
