// The relay's command line and JSON config file, turned into RelayOptions with plain-words
// errors (the CLI exits 2 on them). Pure apart from reading the files it is pointed at;
// starts nothing. Flags win over the config file; the secret comes from the environment or a
// file (config-jwt.ts), the bounds from `limits` and --limit (config-limits.ts).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseCidr } from './cidr';
import { JwtConfigError, parseJwtConfig } from './config-jwt';
import { LimitsConfigError, parseLimitsConfig } from './config-limits';
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
       cloudbridge-relay invite --sub NAME [options]   a connection link (invite --help)

  --listen HOST:PORT        address to listen on (port 0 picks a free one)
  --cert FILE --key FILE    TLS certificate and key (PEM); without them a self-signed
                            development certificate is kept in --data-dir
  --data-dir DIR            where the development certificate lives
  --jwt-secret-file FILE    file holding the HS256 secret (or env CLOUDBRIDGE_JWT_SECRET,
                            or CLOUDBRIDGE_JWT_SECRET_FILE); keep it mode 600
  --jwt-secret S            the secret itself: visible in ps, prefer the two above
  --jwks FILE|URL           JWKS with public keys for RS/ES/EdDSA tokens (https URLs only)
  --allow-insecure-jwks     accept an http:// JWKS URL (logged at start)
  --jwt-issuer ISS          require this "iss" claim
  --jwt-audience AUD        require this "aud" claim (repeatable: any of them)
  --max-token-lifetime D    longest exp - iat accepted, e.g. 12h, 30d (default 30d)
  --allow CIDR              target network tunnels may reach (repeatable; without one,
                            every target is refused; loopback needs naming, e.g. 127.0.0.1/32)
  --config FILE             JSON config (flags win): listen, cert, key, dataDir, tenants,
                            allow, jwt {secretFile, jwks, allowInsecureJwksUrl,
                            algorithms, issuer, audience, clockToleranceSec,
                            maxLifetimeSec, requireExpiry}, metrics, publicEndpoint,
                            insecure,
                            graceMs, idleTimeoutMs, dialTimeoutMs, logLevel,
                            limits {minHeartbeatIntervalMs and every name of
                            docs/protocol.md#limits}, streams {idleTimeoutMs,
                            halfClosedTimeoutMs, maxPerClient,
                            maxBufferedBytesPerClient, maxBufferedBytesPerTenant},
                            dns {mode, servers, hostsFile, timeoutMs, perClient,
                            total, cacheEntries, maxTtlMs, negativeTtlMs}
  --metrics HOST:PORT       serve Prometheus metrics on http://HOST:PORT/metrics
  --public-endpoint H:P     where publishing computers open their serving connections
                            (register_response config.endpoint; default: the name the
                            client dialled and the listening port)
  --insecure                plaintext TCP, development only
  --grace-ms N              keep a dropped session's tunnels this long (default 60000)
  --heartbeat-min-ms N      minimum spacing of heartbeats (default 28000)
  --auth-per-minute N       failed auth attempts per source address a minute (default 5)
  --limit NAME=N            any bound of docs/protocol.md#limits (repeatable), e.g.
                            --limit maxConnectionsPerSource=1000
  --log-level LEVEL         debug | info | warn | error (default info)
  --help                    this text
`;

export interface RelayCliConfig {
  readonly options: Omit<RelayOptions, 'log' | 'clock'>;
  readonly help: boolean;
  /** Things that work but should not be done this way; the CLI prints them at start. */
  readonly warnings: readonly string[];
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
        'jwt-secret-file': { type: 'string' },
        jwks: { type: 'string' },
        'allow-insecure-jwks': { type: 'boolean' },
        'jwt-issuer': { type: 'string' },
        'jwt-audience': { type: 'string', multiple: true },
        'max-token-lifetime': { type: 'string' },
        limit: { type: 'string', multiple: true },
        allow: { type: 'string', multiple: true },
        config: { type: 'string' },
        metrics: { type: 'string' },
        'public-endpoint': { type: 'string' },
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
  if (flags.help === true) return { options: { jwt: {} }, help: true, warnings: [] };
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
  let jwtConfig;
  let limits;
  try {
    jwtConfig = parseJwtConfig(flags, fileJwt, env);
    limits = parseLimitsConfig(file['limits'], flags);
  } catch (error) {
    if (error instanceof JwtConfigError || error instanceof LimitsConfigError)
      throw new ConfigError(error.message);
    throw error;
  }
  const { jwt, warnings } = jwtConfig;

  const tenants = parseTenants(file['tenants']);
  const allow =
    flags.allow !== undefined
      ? checkCidrs(flags.allow, '--allow')
      : file['allow'] !== undefined
        ? checkCidrs(file['allow'], '"allow"')
        : undefined;
  const endpointText =
    flags['public-endpoint'] ??
    (typeof file['publicEndpoint'] === 'string' ? file['publicEndpoint'] : undefined);
  // Checked here, given on as written (it goes on the wire as HOST:PORT).
  const endpoint =
    endpointText !== undefined ? parseHostPort(endpointText, '--public-endpoint') : undefined;
  const metricsText =
    flags.metrics ?? (typeof file['metrics'] === 'string' ? file['metrics'] : undefined);
  const metrics = metricsText !== undefined ? parseHostPort(metricsText, '--metrics') : undefined;
  const logLevel =
    flags['log-level'] ?? (typeof file['logLevel'] === 'string' ? file['logLevel'] : undefined);
  if (logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new ConfigError(`--log-level must be debug, info, warn or error, got "${logLevel}"`);
  const graceMs =
    intFlag(flags['grace-ms'], '--grace-ms') ?? optionalNumber(file['graceMs'], '"graceMs"');
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
    warnings,
    options: {
      host: listen.host,
      port: listen.port,
      jwt,
      ...(tls ? { tls } : {}),
      ...(dataDir !== undefined ? { dataDir } : {}),
      ...(tenants ? { tenants } : {}),
      ...(allow ? { allow } : {}),
      ...(metrics ? { metrics } : {}),
      ...(endpoint !== undefined && endpointText !== undefined
        ? { publicEndpoint: endpointText.trim() }
        : {}),
      ...(flags.insecure === true || file['insecure'] === true ? { insecure: true } : {}),
      ...(graceMs !== undefined ? { graceMs } : {}),
      ...(limits !== undefined ? { limits } : {}),
      ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
      ...(dialTimeoutMs !== undefined ? { dialTimeoutMs } : {}),
      ...dataPlane,
      ...(logLevel !== undefined
        ? { logLevel: logLevel as 'debug' | 'info' | 'warn' | 'error' }
        : {}),
    },
  };
}
