// What the relay needs before it listens and says once it does: the real clock, its
// certificate (configured, kept in dataDir, or made in memory) and the start-up log records
// (listening, and every setting worth a warning). relay-server.ts calls these once.

import type { AddressInfo } from 'node:net';
import type { Clock } from '../shared/clock';
import type { RelayLogger } from './log';
import { readOpenFileLimit, type FrontDoorLimitName } from './relay-limits';
import type { RelayOptions } from './relay-server';

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export async function certificateFor(
  options: RelayOptions,
): Promise<{ cert: string; key: string; source: string }> {
  if (options.tls) return { ...options.tls, source: 'configured' };
  // Loaded only when needed: the X.509 library is the slowest part of relay start-up.
  const { issueCertificate, loadOrCreateDevCertificate } = await import('./certs');
  if (options.dataDir !== undefined) {
    const dev = await loadOrCreateDevCertificate(options.dataDir);
    return {
      cert: dev.cert,
      key: dev.key,
      source: dev.created ? 'development (created)' : 'development',
    };
  }
  const temp = await issueCertificate({
    commonName: 'CloudBridge development relay',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  return { cert: temp.cert, key: temp.key, source: 'development (in memory)' };
}

export function logStartup(
  log: RelayLogger,
  options: RelayOptions,
  facts: {
    readonly address: AddressInfo;
    readonly insecure: boolean;
    readonly certificateSource: string | null;
    readonly metricsUrl: string | null;
    readonly multiTenant: boolean;
    /** Allow rules of the implicit tenant (single-tenant mode). */
    readonly allowRules: number;
    readonly scaled: Partial<Record<FrontDoorLimitName, number>>;
  },
): void {
  if (facts.insecure)
    log.log('warn', 'insecure_mode', { message: 'PLAINTEXT relay: no TLS. For development only.' });
  if (!facts.multiTenant && facts.allowRules === 0)
    log.log('warn', 'no_targets_allowed', {
      message: 'no --allow rule: every stream is refused (docs/protocol.md#target-addresses)',
    });
  log.log('info', 'relay_listening', {
    host: facts.address.address,
    port: facts.address.port,
    tls: !facts.insecure,
    certificate: facts.certificateSource,
    metrics: facts.metricsUrl,
    tenants: facts.multiTenant ? 'configured' : 'single',
    jwt_issuer_checked: options.jwt.issuer !== undefined,
    jwt_audience_checked: options.jwt.audience !== undefined,
  });
  if (options.jwt.jwksUrl?.startsWith('http:') === true)
    log.log('warn', 'insecure_jwks_url', {
      url: options.jwt.jwksUrl,
      message:
        'JWKS fetched over plaintext http: explicitly allowed, anyone on the path can swap keys',
    });
  if (Object.keys(facts.scaled).length > 0)
    log.log('warn', 'limits_fitted_to_open_file_limit', {
      open_file_limit: options.openFileLimit ?? readOpenFileLimit(),
      ...facts.scaled,
    });
}
