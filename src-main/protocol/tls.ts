// TLS facts both ends agree on (docs/protocol.md "Transport"): the TLS 1.3 suite order and
// the SPKI pin. The client's dialling lives in engine/tls-options.ts, the relay's listener
// in relay/relay-server.ts.

import { X509Certificate, createHash, timingSafeEqual } from 'node:crypto';

/**
 * TLS 1.3 suites in order of preference, for both ends. AES-128-GCM first: with AES-NI it
 * encrypts about 1.45x faster than AES-256-GCM (`openssl speed -evp`), which shows in CPU per
 * GiB tunnelled; all three are TLS 1.3's standard AEAD suites.
 */
export const TLS13_CIPHER_SUITES =
  'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** Base64 SHA-256 of the DER SubjectPublicKeyInfo of a PEM or DER certificate. */
export function spkiSha256(cert: string | Buffer): string {
  // cert.pubkey is not the SPKI for EC keys (docs/protocol.md "Transport"): derive it.
  const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Constant-time comparison of two base64 pins (compared as decoded bytes). */
export function pinMatches(expected: string, actual: string): boolean {
  const a = Buffer.from(expected.trim(), 'base64');
  const b = Buffer.from(actual, 'base64');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
