// Throwaway certificates for tests (openssl on PATH): self-signed ones for loopback TLS and HTTPS servers
// (valid a given number of days, or already ended), and a small CA that signs server and client
// certificates (Redis over TLS with client certificates).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate and its key, PEM. */
export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

/**
 * A self-signed certificate for CN=localhost naming localhost and 127.0.0.1, valid from now for `days`
 * days; `days: -1` makes one that ended a day before now (openssl 3.0 has no -not_after). A string says
 * why openssl could not make it.
 */
export function selfSignedCertificate(days = 1): TestCertificate | string {
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
