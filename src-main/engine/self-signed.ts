// The self-signed certificate a publishing computer's inner TLS server shows (inner-tls.ts):
// over the computer's own key, with a name and dates the consumer does not check (it pins the
// key). Loaded only when a certificate is made: the X.509 library is large and needs the
// reflect-metadata polyfill.

import 'reflect-metadata';
import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CURVES } from './inner-tls';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY_MS = 86_400_000;

/** A self-signed certificate over `key` (its name and dates are not checked by the consumer). */
export async function selfSignedCertificate(key: KeyObject, now: number): Promise<string> {
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'P-256';
  const algorithm = { name: 'ECDSA', namedCurve: curve };
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    algorithm,
    false,
    ['sign'],
  );
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    createPublicKey(key).export({ type: 'spki', format: 'der' }),
    algorithm,
    true,
    ['verify'],
  );
  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(serial).toString('hex'),
    name: 'CN=cloudbridge-published-server',
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    keys: { privateKey, publicKey },
    signingAlgorithm: { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' },
  });
  return cert.toString('pem');
}
