// The relay's public surface for the CLI, the desktop app's built-in local relay and tests:
// start a relay, mint development tokens, read CLI/config input. Everything else in this
// folder is internal to the relay. certs.ts is left out on purpose: the X.509 library it
// loads is slow to start, and the relay imports it only when it must make a certificate.

export {
  startRelay,
  realClock,
  DEFAULT_RELAY_PORT,
  type RelayOptions,
  type RelayServer,
  type RelayStats,
} from './relay-server';
export { mintDevToken, type DevTokenOptions } from './tokens';
export { parseRelayArgs, ConfigError, RELAY_USAGE } from './config';
export type { JwtOptions } from './auth';
export type { TenantConfig } from './policy';
