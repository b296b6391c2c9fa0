// The one list of error codes that need the user: no retry, reconnect or wake-up can fix
// them, so the engine stops retrying, the app does not retry on wake and the CLI exits.
// The engine, the services, the CLI and protocol/errors.ts all read it. Runs anywhere.

import type { ErrorCode } from './model';

/** The relay refused who we are (docs/protocol.md#errors): a new token or tenant is needed. */
export const RELAY_REFUSAL_CODES = [
  'invalid_token',
  'tenant_not_found',
] as const satisfies readonly ErrorCode[];

/** The client's own token: none stored, unreadable, expired, or saved for another relay. */
export const TOKEN_PROBLEM_CODES = [
  'token_missing',
  'token_malformed',
  'token_expired',
  'token_relay_changed',
] as const satisfies readonly ErrorCode[];

/** A relay TLS identity the client refuses: name, CA, expiry, pin, or no TLS 1.3. */
export const TLS_REFUSAL_CODES = [
  'tls_error',
  'tls_pin_mismatch',
  'tls_version',
] as const satisfies readonly ErrorCode[];

/**
 * Every code that needs the user. `keychain_unavailable` is deliberately absent: a locked or
 * slow keychain answers later, so the engine retries it with backoff and a wake-up retries.
 */
export const NEEDS_USER_CODES: readonly ErrorCode[] = [
  ...RELAY_REFUSAL_CODES,
  ...TOKEN_PROBLEM_CODES,
  ...TLS_REFUSAL_CODES,
];

const NEEDS_USER: ReadonlySet<string> = new Set(NEEDS_USER_CODES);
const CREDENTIAL_REFUSAL: ReadonlySet<string> = new Set([
  ...RELAY_REFUSAL_CODES,
  ...TOKEN_PROBLEM_CODES,
]);

/** True when retrying cannot help and the user must act. */
export function needsUser(code: string): boolean {
  return NEEDS_USER.has(code);
}

/** True when what is needed is a new token or tenant (a subset of needsUser). */
export function isCredentialRefusal(code: string): boolean {
  return CREDENTIAL_REFUSAL.has(code);
}
