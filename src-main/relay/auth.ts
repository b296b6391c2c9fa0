// Verifies the client's JWT (docs/protocol.md#authentication) with jose: an explicit algorithm
// allow-list per key kind (so HS/RS confusion and `alg: none` cannot pass), no keys taken from the
// token itself (jwk/jku/x5u/x5c headers are refused), sane `kid`s only, exp/nbf with a small skew,
// iss/aud when configured, `sub` required, a bounded lifetime, no `iat` in the future, and the
// tenant rules. Never logs or returns a token.

import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import type { TenantPolicy, TenantTable } from './policy';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export const DEFAULT_CLOCK_TOLERANCE_SEC = 30;
/**
 * Longest accepted `exp - iat` (or `exp - now` without `iat`): 30 days. Long enough for a
 * token pasted into the desktop app to last weeks (`cloudbridge token` mints up to this), short
 * enough that a leaked token dies within a month and `exp: 1e300` is refused.
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SEC = 30 * 24 * 3600;
/** Claimed client names longer than this are cut for the failure budget's key. */
const MAX_CLAIM_KEY_LENGTH = 128;
/** Header parameters that would let a token bring its own key. */
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const KID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface JwtOptions {
  /** Shared secret for HS* tokens. */
  readonly hs256Secret?: string;
  /** If set, an HS* token's `kid` must be absent or equal to this. */
  readonly hs256Kid?: string;
  /** Path of a JWKS JSON file with public keys for asymmetric tokens. */
  readonly jwksFile?: string;
  /** URL of a JWKS document (fetched and cached by jose). https only, unless allowed below. */
  readonly jwksUrl?: string;
  /** Accept an http:// JWKS URL (keys fetched in plaintext can be swapped on the way). */
  readonly allowInsecureJwksUrl?: boolean;
  /** Accepted `alg` values. Default: HS256 with a secret, RS256/ES256/EdDSA with a JWKS. */
  readonly algorithms?: readonly string[];
  readonly issuer?: string;
  readonly audience?: string | readonly string[];
  /** Allowed clock skew for exp/nbf/iat. Default 30 s. */
  readonly clockToleranceSec?: number;
  /** Refuse tokens without `exp` (default true). */
  readonly requireExpiry?: boolean;
  /** Longest accepted token lifetime in seconds (default 30 days). */
  readonly maxLifetimeSec?: number;
}

export type AuthFailureReason =
  | 'malformed'
  | 'alg_not_allowed'
  | 'embedded_key'
  | 'bad_kid'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'missing_exp'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'lifetime_too_long'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_sub'
  | 'missing_tenant'
  | 'unknown_tenant'
  | 'keys_unavailable';

export type AuthResult =
  | {
      readonly ok: true;
      readonly subject: string;
      readonly tenant: TenantPolicy;
      readonly claimedTenant: string | null;
      readonly expiresAt: number | null;
      /** When access ends: `exp` plus the clock skew, in ms; null for a token without `exp`. */
      readonly accessUntil: number | null;
    }
  | {
      readonly ok: false;
      readonly code: 'invalid_token' | 'tenant_not_found';
      readonly reason: AuthFailureReason;
      readonly message: string;
      /**
       * The client the token claims to be (`tenant_id` + `sub`, unverified), when it decodes
       * that far: failures are budgeted per claimed client too. Never a proof of identity.
       */
      readonly claimed?: { readonly subject: string; readonly tenant: string | null };
    };

export interface TokenVerifier {
  verify(token: string): Promise<AuthResult>;
}

export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

function fail(reason: AuthFailureReason, message: string): AuthResult {
  const code =
    reason === 'missing_tenant' || reason === 'unknown_tenant'
      ? 'tenant_not_found'
      : 'invalid_token';
  return { ok: false, code, reason, message };
}

/** Reads a claim that some issuers send as a number (docs/protocol.md#relays-in-the-wild-tolerances). */
function claimString(payload: JWTPayload, name: string): string | null {
  const value = payload[name];
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function mapJoseError(error: unknown): AuthResult {
  const code = (error as { code?: unknown }).code;
  const claim = (error as { claim?: unknown }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return fail('expired', 'token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf' || claim === 'iat')
        return fail('not_yet_valid', 'token is not valid yet');
      if (claim === 'iss') return fail('wrong_issuer', 'token issuer is not accepted');
      if (claim === 'aud') return fail('wrong_audience', 'token audience is not accepted');
      if (claim === 'sub') return fail('missing_sub', 'token has no subject');
      if (claim === 'exp') return fail('missing_exp', 'token has no expiry');
      return fail('malformed', `token claim "${String(claim)}" is invalid`);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return fail('bad_signature', 'token signature is not valid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return fail('alg_not_allowed', 'token algorithm is not accepted');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return fail('unknown_kid', 'no key matches the token');
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return fail('keys_unavailable', 'signing keys are unavailable');
    default:
      return fail('malformed', 'token is malformed');
  }
}

/** The unverified `sub` and `tenant_id` of a token that failed, for its failure budget. */
function claimedClient(token: string): { claimed?: { subject: string; tenant: string | null } } {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    return {};
  }
  const subject = claimString(payload, 'sub');
  if (subject === null) return {};
  const tenant = claimString(payload, 'tenant_id');
  return {
    claimed: {
      subject: subject.slice(0, MAX_CLAIM_KEY_LENGTH),
      tenant: tenant === null ? null : tenant.slice(0, MAX_CLAIM_KEY_LENGTH),
    },
  };
}

export function createTokenVerifier(options: {
  readonly jwt: JwtOptions;
  readonly tenants: TenantTable;
  readonly clock: { now(): number };
}): TokenVerifier {
  const { jwt, tenants, clock } = options;
  const secret =
    jwt.hs256Secret !== undefined && jwt.hs256Secret.length > 0
      ? new TextEncoder().encode(jwt.hs256Secret)
      : null;
  let jwks: JWTVerifyGetKey | null = null;
  if (jwt.jwksFile !== undefined) {
    let parsed: JSONWebKeySet;
    try {
      parsed = JSON.parse(readFileSync(jwt.jwksFile, 'utf8')) as JSONWebKeySet;
    } catch (error) {
      throw new AuthConfigError(
        `cannot read JWKS file ${jwt.jwksFile}: ${(error as Error).message}`,
      );
    }
    if (!Array.isArray(parsed.keys))
      throw new AuthConfigError(`JWKS file ${jwt.jwksFile} has no "keys" list`);
    jwks = createLocalJWKSet(parsed);
  } else if (jwt.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwt.jwksUrl);
    } catch {
      throw new AuthConfigError(`JWKS URL ${jwt.jwksUrl} is not a URL`);
    }
    if (
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && jwt.allowInsecureJwksUrl === true)
    )
      throw new AuthConfigError(
        `JWKS URL ${jwt.jwksUrl} must be https (keys fetched in plaintext can be replaced on the way); allow http explicitly to use it`,
      );
    jwks = createRemoteJWKSet(url, {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
    });
  }
  if (secret === null && jwks === null)
    throw new AuthConfigError('no JWT key configured: give a secret, a JWKS file or a JWKS URL');
  if (secret !== null && secret.length < 16)
    throw new AuthConfigError('the JWT secret must be at least 16 bytes');

  // Each key kind accepts only its own algorithm family: the HMAC secret never verifies an
  // RS/ES token and a JWKS public key never serves as an HMAC secret (HS/RS confusion).
  const requested = jwt.algorithms ?? [
    ...(secret ? ['HS256'] : []),
    ...(jwks ? ['RS256', 'ES256', 'EdDSA'] : []),
  ];
  const hmacAllowed = secret
    ? requested.filter((alg) => (HMAC_ALGORITHMS as readonly string[]).includes(alg))
    : [];
  const asymAllowed = jwks
    ? requested.filter((alg) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg))
    : [];
  const allowed = [...hmacAllowed, ...asymAllowed];
  if (allowed.length === 0)
    throw new AuthConfigError(
      `no usable algorithm in [${requested.join(', ')}] for the configured keys`,
    );
  const toleranceSec = jwt.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  const requireExpiry = jwt.requireExpiry ?? true;
  const maxLifetimeSec = jwt.maxLifetimeSec ?? DEFAULT_MAX_TOKEN_LIFETIME_SEC;

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (secret !== null && hmacAllowed.includes(header.alg)) return secret;
    if (jwks !== null) return jwks(header, token);
    throw Object.assign(new Error('algorithm not allowed'), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
        return fail('malformed', 'token is malformed');
      const failed = (result: AuthResult): AuthResult =>
        result.ok ? result : { ...result, ...claimedClient(token) };
      let header: ProtectedHeaderParameters;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return fail('malformed', 'token is malformed');
      }
      const alg = header.alg;
      if (typeof alg !== 'string' || alg.toLowerCase() === 'none' || !allowed.includes(alg)) {
        return failed(fail('alg_not_allowed', 'token algorithm is not accepted'));
      }
      if (KEY_CARRYING_HEADERS.some((name) => header[name] !== undefined)) {
        return failed(fail('embedded_key', 'token may not carry its own key'));
      }
      if (header.kid !== undefined) {
        if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid))
          return failed(fail('bad_kid', 'token key id is not acceptable'));
        if (
          hmacAllowed.includes(alg) &&
          jwt.hs256Kid !== undefined &&
          header.kid !== jwt.hs256Kid
        ) {
          return failed(fail('unknown_kid', 'no key matches the token'));
        }
      }
      let payload: JWTPayload;
      try {
        const result = await jwtVerify(token, getKey, {
          algorithms: allowed,
          clockTolerance: toleranceSec,
          currentDate: new Date(clock.now()),
          ...(jwt.issuer !== undefined ? { issuer: jwt.issuer } : {}),
          ...(jwt.audience !== undefined
            ? { audience: typeof jwt.audience === 'string' ? jwt.audience : [...jwt.audience] }
            : {}),
          requiredClaims: requireExpiry ? ['exp'] : [],
        });
        payload = result.payload;
      } catch (error) {
        return failed(mapJoseError(error));
      }
      const nowSec = clock.now() / 1000;
      const iat = typeof payload.iat === 'number' ? payload.iat : null;
      if (iat !== null && iat > nowSec + toleranceSec)
        return failed(fail('issued_in_future', 'token is issued in the future'));
      if (typeof payload.exp === 'number' && payload.exp - (iat ?? nowSec) > maxLifetimeSec)
        return failed(
          fail('lifetime_too_long', `token lives longer than the ${maxLifetimeSec} s allowed`),
        );
      const subject = claimString(payload, 'sub');
      if (subject === null) return fail('missing_sub', 'token has no subject');
      const claimedTenant = claimString(payload, 'tenant_id');
      if (tenants.multiTenant && claimedTenant === null)
        return failed(fail('missing_tenant', 'token names no tenant'));
      const tenant = tenants.resolve(claimedTenant);
      if (tenant === undefined) return failed(fail('unknown_tenant', 'tenant not found'));
      return {
        ok: true,
        subject,
        tenant,
        claimedTenant,
        expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
        accessUntil: typeof payload.exp === 'number' ? (payload.exp + toleranceSec) * 1000 : null,
      };
    },
  };
}
