// The `jwt` part of the relay's configuration: where the HS256 secret comes from (a file or the
// environment; the flag still works but shows in `ps`, so it is warned about), the JWKS source
// (https only unless plain http is allowed explicitly), issuer, audience, skew and the longest
// token lifetime. Pure apart from reading and stat-ing the files it is pointed at.

import { readFileSync, statSync } from 'node:fs';
import type { JwtOptions } from './auth';

export class JwtConfigError extends Error {
  override readonly name = 'JwtConfigError';
}

export interface JwtFlags {
  readonly 'jwt-secret'?: string | undefined;
  readonly 'jwt-secret-file'?: string | undefined;
  readonly jwks?: string | undefined;
  readonly 'jwt-issuer'?: string | undefined;
  readonly 'jwt-audience'?: string[] | undefined;
  readonly 'allow-insecure-jwks'?: boolean | undefined;
  readonly 'max-token-lifetime'?: string | undefined;
}

export interface JwtFiles {
  readText(path: string): string;
  /** The file's permission bits, or null where they mean nothing (Windows). */
  mode(path: string): number | null;
}

const realFiles: JwtFiles = {
  readText: (path) => readFileSync(path, 'utf8'),
  mode: (path) => (process.platform === 'win32' ? null : statSync(path).mode & 0o777),
};

export const SECRET_FLAG_WARNING =
  '--jwt-secret shows the secret to every user of this machine (ps, /proc); use CLOUDBRIDGE_JWT_SECRET or --jwt-secret-file instead';

/** `90`, `90s`, `30m`, `12h`, `30d` -> seconds. */
export function parseSeconds(text: string, what: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match?.[1]) throw new JwtConfigError(`${what}: "${text}" is not a duration (e.g. 12h, 30d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? ''] ?? 1;
  const seconds = Number(match[1]) * unit;
  if (seconds < 1) throw new JwtConfigError(`${what} must be at least 1 s`);
  return seconds;
}

function readSecretFile(path: string, files: JwtFiles, warnings: string[]): string {
  let text: string;
  try {
    text = files.readText(path);
  } catch (error) {
    throw new JwtConfigError(
      `cannot read the JWT secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const mode = files.mode(path);
  if (mode !== null && (mode & 0o077) !== 0)
    warnings.push(
      `the JWT secret file ${path} is readable by others (mode ${mode.toString(8).padStart(3, '0')}); chmod 600 it`,
    );
  // One line; the editor's newline is not part of the secret.
  return text.replace(/\r?\n$/, '');
}

function stringList(value: unknown, where: string): string[] | string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new JwtConfigError(`${where} must be a string or a list of strings`);
}

function optionalNumber(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new JwtConfigError(`${where} must be a non-negative number`);
  return value;
}

/**
 * Flags win over the config file's `jwt` object. The secret: --jwt-secret-file, then
 * --jwt-secret, then CLOUDBRIDGE_JWT_SECRET, then CLOUDBRIDGE_JWT_SECRET_FILE, then
 * `jwt.secretFile`.
 */
export function parseJwtConfig(
  flags: JwtFlags,
  fileJwt: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  files: JwtFiles = realFiles,
): { jwt: JwtOptions; warnings: string[] } {
  const warnings: string[] = [];
  if (flags['jwt-secret'] !== undefined && flags['jwt-secret-file'] !== undefined)
    throw new JwtConfigError('--jwt-secret and --jwt-secret-file exclude each other');
  if (flags['jwt-secret'] !== undefined) warnings.push(SECRET_FLAG_WARNING);
  const secretFile =
    flags['jwt-secret-file'] ??
    (flags['jwt-secret'] === undefined && !env['CLOUDBRIDGE_JWT_SECRET']
      ? (env['CLOUDBRIDGE_JWT_SECRET_FILE'] ??
        (typeof fileJwt['secretFile'] === 'string' ? fileJwt['secretFile'] : undefined))
      : undefined);
  const secret =
    secretFile !== undefined && secretFile !== ''
      ? readSecretFile(secretFile, files, warnings)
      : (flags['jwt-secret'] ?? env['CLOUDBRIDGE_JWT_SECRET']);
  const jwks = flags.jwks ?? (typeof fileJwt['jwks'] === 'string' ? fileJwt['jwks'] : undefined);
  if ((secret === undefined || secret === '') && jwks === undefined) {
    throw new JwtConfigError(
      'a JWT key is required: CLOUDBRIDGE_JWT_SECRET, --jwt-secret-file FILE, or --jwks FILE|URL',
    );
  }
  if (secret !== undefined && secret.length > 0 && secret.length < 16)
    throw new JwtConfigError('the JWT secret must be at least 16 characters');
  const allowHttp =
    flags['allow-insecure-jwks'] === true || fileJwt['allowInsecureJwksUrl'] === true;
  if (jwks !== undefined && /^http:\/\//i.test(jwks) && !allowHttp)
    throw new JwtConfigError(
      `--jwks ${jwks}: keys fetched over plain http can be replaced on the way; use https, or pass --allow-insecure-jwks to accept it anyway`,
    );
  const algorithms = fileJwt['algorithms'];
  if (
    algorithms !== undefined &&
    (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string'))
  ) {
    throw new JwtConfigError('"jwt.algorithms" must be a list of strings');
  }
  const audience =
    flags['jwt-audience'] !== undefined && flags['jwt-audience'].length > 0
      ? flags['jwt-audience']
      : stringList(fileJwt['audience'], '"jwt.audience"');
  const issuer =
    flags['jwt-issuer'] ?? (typeof fileJwt['issuer'] === 'string' ? fileJwt['issuer'] : undefined);
  const tolerance = optionalNumber(fileJwt['clockToleranceSec'], '"jwt.clockToleranceSec"');
  const maxLifetimeSec =
    flags['max-token-lifetime'] !== undefined
      ? parseSeconds(flags['max-token-lifetime'], '--max-token-lifetime')
      : optionalNumber(fileJwt['maxLifetimeSec'], '"jwt.maxLifetimeSec"');
  const requireExpiry = fileJwt['requireExpiry'];
  if (requireExpiry !== undefined && typeof requireExpiry !== 'boolean')
    throw new JwtConfigError('"jwt.requireExpiry" must be true or false');
  const jwt: JwtOptions = {
    ...(secret !== undefined && secret.length > 0 ? { hs256Secret: secret } : {}),
    ...(jwks !== undefined
      ? /^https?:\/\//i.test(jwks)
        ? {
            jwksUrl: jwks,
            ...(allowHttp && /^http:/i.test(jwks) ? { allowInsecureJwksUrl: true } : {}),
          }
        : { jwksFile: jwks }
      : {}),
    ...(algorithms !== undefined ? { algorithms: algorithms } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    ...(audience !== undefined ? { audience } : {}),
    ...(tolerance !== undefined ? { clockToleranceSec: tolerance } : {}),
    ...(maxLifetimeSec !== undefined ? { maxLifetimeSec } : {}),
    ...(requireExpiry !== undefined ? { requireExpiry } : {}),
  };
  return { jwt, warnings };
}
