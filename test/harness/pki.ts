// A throwaway PKI per test run: a CA, server certificates for 127.0.0.1/localhost with RSA
// and EC keys, one with the wrong name, one expired, one from a CA nobody trusts, and the
// SPKI SHA-256 pin of any of them. Built on the relay's own certs.ts (no openssl CLI).
//
//   const pki = await createTestPki();
//   startRelay({ tls: pki.serverEc, ... }); connect with { ca: pki.caPem, pinSha256: pki.pin(pki.serverEc.cert) }

import { spkiSha256 } from '../../src-main/protocol/tls';
import { issueCertificate, type Issuer, type KeyAndCert } from '../../src-main/relay/certs';

export interface TestPki {
  /** PEM of the test CA: what a client trusts. */
  readonly caPem: string;
  readonly ca: KeyAndCert;
  /** Valid for 127.0.0.1, ::1 and localhost; EC P-256 key. The default relay certificate. */
  readonly serverEc: KeyAndCert;
  /** Same names, RSA 2048 key. */
  readonly serverRsa: KeyAndCert;
  /** Signed by the CA but named only `wrong.example.invalid` (hostname mismatch). */
  readonly wrongName: KeyAndCert;
  /** Signed by the CA, right names, validity ended yesterday. */
  readonly expired: KeyAndCert;
  /** Right names, signed by another CA (`unknownCaPem`) that clients do not trust. */
  readonly unknownCa: KeyAndCert;
  readonly unknownCaPem: string;
  /** Base64 SHA-256 of the certificate's DER SubjectPublicKeyInfo (docs/protocol.md#transport pin). */
  pin(certPem: string): string;
}

const LOCAL_NAMES = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] } as const;
const DAY_MS = 86_400_000;

function plain(issuer: Issuer): KeyAndCert {
  return { cert: issuer.cert, key: issuer.key };
}

/** Makes a new PKI (about a second: one RSA key). Call once per test file (beforeAll). */
export async function createTestPki(): Promise<TestPki> {
  const ca = await issueCertificate({
    commonName: 'CloudBridge Test CA',
    isCa: true,
    keyKind: 'ec',
  });
  const otherCa = await issueCertificate({
    commonName: 'Untrusted Test CA',
    isCa: true,
    keyKind: 'ec',
  });
  const [serverEc, serverRsa, wrongName, expired, unknownCa] = await Promise.all([
    issueCertificate({ commonName: 'localhost', ...LOCAL_NAMES, issuer: ca, keyKind: 'ec' }),
    issueCertificate({ commonName: 'localhost', ...LOCAL_NAMES, issuer: ca, keyKind: 'rsa' }),
    issueCertificate({
      commonName: 'wrong.example.invalid',
      dnsNames: ['wrong.example.invalid'],
      issuer: ca,
    }),
    issueCertificate({
      commonName: 'localhost',
      ...LOCAL_NAMES,
      issuer: ca,
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    }),
    issueCertificate({ commonName: 'localhost', ...LOCAL_NAMES, issuer: otherCa }),
  ]);
  return {
    caPem: ca.cert,
    ca: plain(ca),
    serverEc: plain(serverEc),
    serverRsa: plain(serverRsa),
    wrongName: plain(wrongName),
    expired: plain(expired),
    unknownCa: plain(unknownCa),
    unknownCaPem: otherCa.cert,
    pin: spkiSha256,
  };
}
