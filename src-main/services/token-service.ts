// The relay token in the app: decodes claims WITHOUT verifying (no relay secret here,
// docs/protocol.md#relays-in-the-wild-tolerances), refuses malformed or expired tokens, stores
// it only in the SecretStore, and hands out AccountInfo; the token itself goes only to the
// engine through getToken().

import { decodeJwt } from 'jose';
import type { AccountInfo } from '../shared/ipc-contract';
import type { ErrorInfo } from '../shared/model';
import { ServiceError, errorInfo, messageOf } from './errors';
import type { SecretStore } from './secret-store';

export const EXPIRES_SOON_MS = 24 * 60 * 60 * 1000;

export interface TokenClaimsView {
  readonly subject: string | null;
  readonly tenant: string | null;
  /** ms since epoch, null when the token has no `exp`. */
  readonly expiresAtMs: number | null;
  readonly audience: readonly string[];
}

/**
 * Numeric claims arrive as numbers or numeric strings in the wild
 * (docs/protocol.md#relays-in-the-wild-tolerances).
 */
function numericClaim(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

function stringClaim(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** Strips what people paste around a token: whitespace, quotes, a `Bearer ` prefix. */
export function normaliseToken(raw: string): string {
  return raw
    .trim()
    .replace(/^bearer\s+/i, '')
    .replace(/^["']|["']$/g, '')
    .trim();
}

/** Decodes claims for display and expiry. Throws ServiceError `token_malformed`. */
export function decodeTokenClaims(token: string): TokenClaimsView {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch (error) {
    throw new ServiceError(
      'token_malformed',
      'This does not look like a CloudBridge token (a JWT).',
      messageOf(error),
    );
  }
  if (claims.exp !== undefined && numericClaim(claims.exp) === null) {
    throw new ServiceError(
      'token_malformed',
      'The token has an unreadable expiry time.',
      'exp is not numeric',
    );
  }
  const aud = claims.aud;
  const audience =
    typeof aud === 'string'
      ? [aud]
      : Array.isArray(aud)
        ? aud.filter((a): a is string => typeof a === 'string')
        : [];
  const exp = numericClaim(claims.exp);
  return {
    subject: stringClaim(claims.sub),
    tenant: stringClaim(claims.tenant_id) ?? stringClaim(claims.tenant) ?? stringClaim(claims.tid),
    expiresAtMs: exp === null ? null : exp * 1000,
    audience,
  };
}

export function accountFromClaims(claims: TokenClaimsView, nowMs: number): AccountInfo {
  return {
    signedIn: true,
    subject: claims.subject,
    tenant: claims.tenant,
    expiresAt: claims.expiresAtMs === null ? null : new Date(claims.expiresAtMs).toISOString(),
    expiresSoon: claims.expiresAtMs !== null && claims.expiresAtMs - nowMs <= EXPIRES_SOON_MS,
    keychainError: null,
  };
}

export const SIGNED_OUT: AccountInfo = {
  signedIn: false,
  subject: null,
  tenant: null,
  expiresAt: null,
  expiresSoon: false,
  keychainError: null,
};

export interface TokenServiceOptions {
  readonly secretStore: SecretStore;
  readonly clock: { now(): number };
}

export interface TokenService {
  /** The keychain account (relay profile id) tokens are stored under; null = no profile. */
  setAccount(account: string | null): Promise<AccountInfo>;
  /** Validates, stores and returns the account view. Throws ServiceError. */
  save(rawToken: string): Promise<AccountInfo>;
  signOut(): Promise<AccountInfo>;
  /** Re-reads the keychain (start-up, profile switch). Never throws. */
  refresh(): Promise<AccountInfo>;
  account(): AccountInfo;
  /**
   * For the engine only. Throws ServiceError `token_missing`, `token_malformed`,
   * `token_expired`, or `keychain_unavailable` (locked, slow or missing keychain: retryable).
   */
  getToken(): Promise<string>;
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  const { secretStore, clock } = options;
  let accountId: string | null = null;
  let current: AccountInfo = SIGNED_OUT;

  function keychainProblem(error: unknown): ErrorInfo {
    const e =
      error instanceof ServiceError
        ? error
        : new ServiceError('keychain_unavailable', messageOf(error));
    return errorInfo('keychain_unavailable', e.message, clock.now(), e.detail);
  }

  function requireAccount(): string {
    if (accountId === null)
      throw new ServiceError('token_missing', 'Choose a relay before adding a token.');
    return accountId;
  }

  const service: TokenService = {
    async setAccount(account) {
      accountId = account;
      return service.refresh();
    },
    async save(rawToken) {
      const account = requireAccount();
      const token = normaliseToken(rawToken);
      const claims = decodeTokenClaims(token);
      if (claims.expiresAtMs !== null && claims.expiresAtMs <= clock.now()) {
        throw new ServiceError(
          'token_expired',
          'This token has already expired. Ask for a new one.',
          `expired at ${new Date(claims.expiresAtMs).toISOString()}`,
        );
      }
      await secretStore.set(account, token);
      current = accountFromClaims(claims, clock.now());
      return current;
    },
    async signOut() {
      const account = requireAccount();
      await secretStore.delete(account);
      current = SIGNED_OUT;
      return current;
    },
    async refresh() {
      if (accountId === null) {
        current = SIGNED_OUT;
        return current;
      }
      try {
        const token = await secretStore.get(accountId);
        if (token === null) {
          current = SIGNED_OUT;
        } else {
          try {
            current = accountFromClaims(decodeTokenClaims(token), clock.now());
          } catch {
            // A stored token we cannot read is as good as none; the user pastes a new one.
            current = SIGNED_OUT;
          }
        }
      } catch (error) {
        current = { ...SIGNED_OUT, keychainError: keychainProblem(error) };
      }
      return current;
    },
    account() {
      if (!current.signedIn || current.expiresAt === null) return current;
      const expiresSoon = Date.parse(current.expiresAt) - clock.now() <= EXPIRES_SOON_MS;
      return expiresSoon === current.expiresSoon
        ? current
        : (current = { ...current, expiresSoon });
    },
    async getToken() {
      const account = requireAccount();
      let token: string | null;
      try {
        token = await secretStore.get(account);
      } catch (error) {
        // Locked, prompting or slow: the keychain may answer later, so this stays its own
        // code (retried by the engine), never "no token" (which asks the user to paste one).
        const cause =
          error instanceof ServiceError ? (error.detail ?? error.message) : messageOf(error);
        throw new ServiceError(
          'keychain_unavailable',
          'The system keychain did not hand over the token; it may be locked. The app tries again.',
          cause,
        );
      }
      if (token === null)
        throw new ServiceError(
          'token_missing',
          'No token is stored for this relay. Paste one first.',
        );
      const claims = decodeTokenClaims(token);
      if (claims.expiresAtMs !== null && claims.expiresAtMs <= clock.now()) {
        throw new ServiceError('token_expired', 'The token has expired. Paste a new one.');
      }
      return token;
    },
  };
  return service;
}
