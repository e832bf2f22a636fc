// PEM certificate files (a check's tls_ca, Redis's --redis-tls-ca and client certificate): every
// certificate block parsed, so a damaged one further down a bundle is found when the file is read,
// not at the first handshake that needs it.
import { X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in PEM text, in order; throws, saying which, when there is none or one is damaged. */
export function pemCertificates(pem: string | Buffer): X509Certificate[] {
  const blocks = (typeof pem === 'string' ? pem : pem.toString('latin1')).match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate in it (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new Error(`certificate ${i + 1} is not valid PEM: ${(err as Error).message}`);
    }
  });
}
