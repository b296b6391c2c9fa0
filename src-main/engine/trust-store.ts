// The roots a relay certificate is checked against when the profile names no CA file
// (docs/protocol.md#transport): the OS trust store (Windows store, macOS keychain, OpenSSL's
// locations on Linux) plus what Node trusts by default (its bundled Mozilla roots and
// NODE_EXTRA_CA_CERTS). Reads certificates only; builds no connection.

import tls from 'node:tls';

export type CaSource = 'default' | 'system' | 'bundled' | 'extra';
export type CaReader = (source: CaSource) => string[];

export interface TrustStore {
  /** PEM certificates, each once. */
  readonly certs: readonly string[];
  /** How many the OS store gave (before removing the ones Node already had). */
  readonly systemCount: number;
  /** Why the OS store could not be read; the bundled roots are used alone then. */
  readonly systemError: string | null;
}

/** The OS store and Node's default roots, deduplicated. `read` is injectable for tests. */
export function readTrustStore(read: CaReader = tls.getCACertificates): TrustStore {
  // 'default' is what Node's own clients trust: bundled roots (unless --use-openssl-ca),
  // NODE_EXTRA_CA_CERTS, and the OS store only with --use-system-ca.
  const base = read('default');
  let system: string[] = [];
  let systemError: string | null = null;
  try {
    system = read('system');
  } catch (err) {
    systemError = err instanceof Error ? err.message : String(err);
  }
  const seen = new Set<string>();
  const certs: string[] = [];
  for (const pem of [...base, ...system]) {
    const key = pem.trim();
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    certs.push(pem);
  }
  return { certs, systemCount: system.length, systemError };
}
