// The relay's command line and JSON config file, turned into RelayOptions with plain-words
// errors (the CLI exits 2 on them). Pure apart from reading the files it is pointed at;
// starts nothing. Flags win over the config file; the secret may come from the environment.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { JwtOptions } from './auth';
import { parseCidr } from './cidr';
import { DataPlaneConfigError, parseDataPlaneConfig } from './data-plane-config';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_TUNNELS,
  PolicyError,
  TenantTable,
  type TenantConfig,
} from './policy';
import type { RelayOptions } from './relay-server';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const RELAY_USAGE = `Usage: cloudbridge-relay --listen HOST:PORT [options]

  --listen HOST:PORT        address to listen on (port 0 picks a free one)
  --cert FILE --key FILE    TLS certificate and key (PEM); without them a self-signed
                            development certificate is kept in --data-dir
  --data-dir DIR            where the development certificate lives
  --jwt-secret S            HS256 secret (or env CLOUDBRIDGE_JWT_SECRET)
  --jwks FILE|URL           JWKS with public keys for RS/ES/EdDSA tokens
  --allow CIDR              target network tunnels may reach (repeatable; without one,
                            every target is refused; loopback needs naming, e.g. 127.0.0.1/32)
  --config FILE             JSON config (flags win): listen, cert, key, dataDir, tenants,
                            allow, jwt {jwks, algorithms, issuer, audience,
                            clockToleranceSec}, metrics, insecure, graceMs,
                            idleTimeoutMs, dialTimeoutMs, logLevel, limits
                            {authAttemptsPerMinute, tunnelCreationsPerHour,
                            minHeartbeatIntervalMs}, streams {idleTimeoutMs,
                            halfClosedTimeoutMs, maxPerClient,
                            maxBufferedBytesPerClient, maxBufferedBytesPerTenant},
                            dns {mode, servers, hostsFile, timeoutMs, perClient,
                            total, cacheEntries, maxTtlMs, negativeTtlMs}
  --metrics HOST:PORT       serve Prometheus metrics on http://HOST:PORT/metrics
  --insecure                plaintext TCP, development only
  --grace-ms N              keep a dropped session's tunnels this long (default 60000)
  --heartbeat-min-ms N      minimum spacing of heartbeats (default 28000)
  --auth-per-minute N       auth attempts per source address a minute (default 5)
  --log-level LEVEL         debug | info | warn | error (default info)
  --help                    this text
`;

export interface RelayCliConfig {
  readonly options: Omit<RelayOptions, 'log' | 'clock'>;
  readonly help: boolean;
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`. */
export function parseHostPort(text: string, what: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(
      `${what} must look like HOST:PORT (for example 127.0.0.1:8443), got "${text}"`,
    );
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function checkCidrs(list: unknown, where: string): string[] {
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
    throw new ConfigError(`${where} must be a list of CIDR strings`);
  for (const item of list) {
    try {
      parseCidr(item);
    } catch (error) {
      throw new ConfigError(`${where}: ${(error as Error).message}`);
    }
  }
  return list;
}

function optionalNumber(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ConfigError(`${where} must be a non-negative number`);
  return value;
}

function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new ConfigError(`${flag} must be a whole number of milliseconds, got "${value}"`);
  return Number(value);
}

function parseTenants(value: unknown): TenantConfig[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ConfigError('"tenants" must be a list');
  // Only the checks that name a list position live here; TenantTable checks the values.
  const tenants = value.map((raw: unknown, index): TenantConfig => {
    if (raw === null || typeof raw !== 'object')
      throw new ConfigError(`tenants[${index}] must be an object`);
    const tenant = raw as Record<string, unknown>;
    const id = tenant['id'];
    if (typeof id !== 'string' || id.length === 0)
      throw new ConfigError(`tenants[${index}].id must be a non-empty string`);
    return {
      id,
      maxTunnels: (tenant['maxTunnels'] ?? DEFAULT_MAX_TUNNELS) as number,
      maxConnections: (tenant['maxConnections'] ?? DEFAULT_MAX_CONNECTIONS) as number,
      ...(tenant['maxConnectionsPerClient'] !== undefined
        ? { maxConnectionsPerClient: tenant['maxConnectionsPerClient'] as number }
        : {}),
      allow: (tenant['allow'] ?? []) as string[],
    };
  });
  try {
    new TenantTable({ tenants });
  } catch (error) {
    if (error instanceof PolicyError) throw new ConfigError(error.message);
    throw error;
  }
  return tenants;
}

/** Turns argv (without node and script) and the environment into relay options. */
export function parseRelayArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RelayCliConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        'data-dir': { type: 'string' },
        'jwt-secret': { type: 'string' },
        jwks: { type: 'string' },
        allow: { type: 'string', multiple: true },
        config: { type: 'string' },
        metrics: { type: 'string' },
        insecure: { type: 'boolean' },
        'grace-ms': { type: 'string' },
        'heartbeat-min-ms': { type: 'string' },
        'auth-per-minute': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const flags = parsed.values;
  if (flags.help === true) return { options: { jwt: {} }, help: true };
  const file = flags.config !== undefined ? readJson(flags.config) : {};

  const listenText =
    flags.listen ?? (typeof file['listen'] === 'string' ? file['listen'] : undefined);
  if (listenText === undefined) throw new ConfigError('--listen HOST:PORT is required');
  const listen = parseHostPort(listenText, '--listen');

  if ((flags.cert === undefined) !== (flags.key === undefined))
    throw new ConfigError('--cert and --key go together');
  const certPath = flags.cert ?? (typeof file['cert'] === 'string' ? file['cert'] : undefined);
  const keyPath = flags.key ?? (typeof file['key'] === 'string' ? file['key'] : undefined);
  if ((certPath === undefined) !== (keyPath === undefined))
    throw new ConfigError('"cert" and "key" go together');
  const tls =
    certPath !== undefined && keyPath !== undefined
      ? { cert: readFile(certPath, 'certificate'), key: readFile(keyPath, 'key') }
      : undefined;

  const fileJwt = (file['jwt'] ?? {}) as Record<string, unknown>;
  if (typeof fileJwt !== 'object' || Array.isArray(fileJwt))
    throw new ConfigError('"jwt" must be an object');
  const secret = flags['jwt-secret'] ?? env['CLOUDBRIDGE_JWT_SECRET'];
  const jwks = flags.jwks ?? (typeof fileJwt['jwks'] === 'string' ? fileJwt['jwks'] : undefined);
  if ((secret === undefined || secret === '') && jwks === undefined) {
    throw new ConfigError(
      'a JWT key is required: --jwt-secret S (or CLOUDBRIDGE_JWT_SECRET), or --jwks FILE|URL',
    );
  }
  if (secret !== undefined && secret.length > 0 && secret.length < 16)
    throw new ConfigError('the JWT secret must be at least 16 characters');
  const algorithms = fileJwt['algorithms'];
  if (
    algorithms !== undefined &&
    (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string'))
  ) {
    throw new ConfigError('"jwt.algorithms" must be a list of strings');
  }
  const audience = fileJwt['audience'];
  if (
    audience !== undefined &&
    typeof audience !== 'string' &&
    !(Array.isArray(audience) && audience.every((a) => typeof a === 'string'))
  ) {
    throw new ConfigError('"jwt.audience" must be a string or a list of strings');
  }
  const jwt: JwtOptions = {
    ...(secret !== undefined && secret.length > 0 ? { hs256Secret: secret } : {}),
    ...(jwks !== undefined
      ? /^https?:\/\//.test(jwks)
        ? { jwksUrl: jwks }
        : { jwksFile: jwks }
      : {}),
    ...(algorithms !== undefined ? { algorithms: algorithms } : {}),
    ...(typeof fileJwt['issuer'] === 'string' ? { issuer: fileJwt['issuer'] } : {}),
    ...(audience !== undefined ? { audience: audience } : {}),
    ...(optionalNumber(fileJwt['clockToleranceSec'], '"jwt.clockToleranceSec"') !== undefined
      ? { clockToleranceSec: fileJwt['clockToleranceSec'] as number }
      : {}),
  };

  const tenants = parseTenants(file['tenants']);
  const allow =
    flags.allow !== undefined
      ? checkCidrs(flags.allow, '--allow')
      : file['allow'] !== undefined
        ? checkCidrs(file['allow'], '"allow"')
        : undefined;
  const metricsText =
    flags.metrics ?? (typeof file['metrics'] === 'string' ? file['metrics'] : undefined);
  const metrics = metricsText !== undefined ? parseHostPort(metricsText, '--metrics') : undefined;
  const logLevel =
    flags['log-level'] ?? (typeof file['logLevel'] === 'string' ? file['logLevel'] : undefined);
  if (logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new ConfigError(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  const graceMs =
    intFlag(flags['grace-ms'], '--grace-ms') ?? optionalNumber(file['graceMs'], '"graceMs"');
  const fileLimits = (file['limits'] ?? {}) as Record<string, unknown>;
  if (typeof fileLimits !== 'object' || Array.isArray(fileLimits))
    throw new ConfigError('"limits" must be an object');
  const minHeartbeat =
    intFlag(flags['heartbeat-min-ms'], '--heartbeat-min-ms') ??
    optionalNumber(fileLimits['minHeartbeatIntervalMs'], '"limits.minHeartbeatIntervalMs"');
  const authPerMinute =
    intFlag(flags['auth-per-minute'], '--auth-per-minute') ??
    optionalNumber(fileLimits['authAttemptsPerMinute'], '"limits.authAttemptsPerMinute"');
  const tunnelsPerHour = optionalNumber(
    fileLimits['tunnelCreationsPerHour'],
    '"limits.tunnelCreationsPerHour"',
  );
  const limits = {
    ...(minHeartbeat !== undefined ? { minHeartbeatIntervalMs: minHeartbeat } : {}),
    ...(authPerMinute !== undefined ? { authAttemptsPerMinute: authPerMinute } : {}),
    ...(tunnelsPerHour !== undefined ? { tunnelCreationsPerHour: tunnelsPerHour } : {}),
  };
  const idleTimeoutMs = optionalNumber(file['idleTimeoutMs'], '"idleTimeoutMs"');
  const dialTimeoutMs = optionalNumber(file['dialTimeoutMs'], '"dialTimeoutMs"');
  const dataDir =
    flags['data-dir'] ?? (typeof file['dataDir'] === 'string' ? file['dataDir'] : undefined);
  let dataPlane;
  try {
    dataPlane = parseDataPlaneConfig(file);
  } catch (error) {
    if (error instanceof DataPlaneConfigError) throw new ConfigError(error.message);
    throw error;
  }

  return {
    help: false,
    options: {
      host: listen.host,
      port: listen.port,
      jwt,
      ...(tls ? { tls } : {}),
      ...(dataDir !== undefined ? { dataDir } : {}),
      ...(tenants ? { tenants } : {}),
      ...(allow ? { allow } : {}),
      ...(metrics ? { metrics } : {}),
      ...(flags.insecure === true || file['insecure'] === true ? { insecure: true } : {}),
      ...(graceMs !== undefined ? { graceMs } : {}),
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
      ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
      ...(dialTimeoutMs !== undefined ? { dialTimeoutMs } : {}),
      ...dataPlane,
      ...(logLevel !== undefined
        ? { logLevel: logLevel as 'debug' | 'info' | 'warn' | 'error' }
        : {}),
    },
  };
}
