// The relay error table of docs/protocol.md#errors: every dialect's error form (v2 string, v1
// number, UPPER_CASE string, nested object) normalised to one ErrorCode, and what the client does
// about each. Pure data and functions; no I/O.

import type { ErrorCode } from '../shared/model';
import { RELAY_REFUSAL_CODES } from '../shared/error-codes';

/** What the client does when the relay reports an error (docs/protocol.md#errors, last column). */
export type ClientAction =
  /** Stop retrying; the user must act (new token, fix tenant or allow-list). */
  | 'fatal'
  /** Reconnect with backoff. */
  | 'retry'
  /** Wait `retry_after` seconds when given, else backoff. */
  | 'retry_after'
  /** Only the tunnel concerned fails; the session and other tunnels go on. */
  | 'tunnel'
  /** Only the stream concerned fails; the tunnel stays. */
  | 'stream'
  /** Protocol mismatch: logged, nothing else changes. */
  | 'log';

/** v1 numeric codes (docs/protocol.md#errors). */
const V1_NUMERIC: Readonly<Record<number, ErrorCode>> = {
  1001: 'invalid_token', // AUTH_FAILED
  1002: 'invalid_token', // INVALID_TOKEN
  1003: 'invalid_token', // TOKEN_EXPIRED
  2001: 'tunnel_exists', // TUNNEL_EXISTS
  2002: 'invalid_tunnel_info', // INVALID_CONFIG
  3001: 'rate_limit_exceeded', // RATE_LIMIT
  5000: 'server_unavailable', // SERVER_ERROR
};

/** v1 symbolic names, as UPPER_CASE strings in the wild (docs/protocol.md#relays-in-the-wild-tolerances). */
const V1_NAMES: Readonly<Record<string, ErrorCode>> = {
  auth_failed: 'invalid_token',
  token_expired: 'invalid_token',
  invalid_config: 'invalid_tunnel_info',
  rate_limit: 'rate_limit_exceeded',
  server_error: 'server_unavailable',
};

/** The relay's refusals that need the user: the one list in shared/error-codes.ts. */
const FATAL_RELAY_ACTIONS = Object.fromEntries(
  RELAY_REFUSAL_CODES.map((code) => [code, 'fatal']),
) as Record<(typeof RELAY_REFUSAL_CODES)[number], 'fatal'>;

export const RELAY_ERROR_ACTIONS = {
  ...FATAL_RELAY_ACTIONS,
  ip_not_allowed: 'tunnel',
  tenant_limit_exceeded: 'tunnel',
  tunnel_exists: 'tunnel',
  invalid_tunnel_info: 'tunnel',
  rate_limit_exceeded: 'retry_after',
  server_unavailable: 'retry',
  connection_limit_reached: 'retry',
  buffer_pool_exhausted: 'retry',
  unknown_message_type: 'log',
  data_transfer_failed: 'stream',
} as const satisfies Partial<Record<ErrorCode, ClientAction>>;

export type RelayErrorCode = keyof typeof RELAY_ERROR_ACTIONS;

export function isRelayErrorCode(code: string): code is RelayErrorCode {
  return Object.prototype.hasOwnProperty.call(RELAY_ERROR_ACTIONS, code);
}

/**
 * Maps any wire form of an error code to an ErrorCode. Unknown codes become
 * `server_unavailable` (retry with backoff): a client must not give up on a code it does
 * not know, nor spin on it.
 */
export function normaliseErrorCode(raw: unknown): RelayErrorCode {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw.trim()))) {
    const mapped = V1_NUMERIC[Number(raw)];
    return mapped !== undefined && isRelayErrorCode(mapped) ? mapped : 'server_unavailable';
  }
  if (typeof raw === 'string') {
    const key = raw
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_');
    if (isRelayErrorCode(key)) return key;
    const v1 = V1_NAMES[key];
    if (v1 !== undefined && isRelayErrorCode(v1)) return v1;
  }
  return 'server_unavailable';
}

/** The v2 codes that have a v1 number, for the relay's `v1_code` (docs/protocol.md#errors). */
const V1_NUMBER_OF: Readonly<Record<string, number>> = {
  invalid_token: 1002,
  tunnel_exists: 2001,
  invalid_tunnel_info: 2002,
  rate_limit_exceeded: 3001,
  server_unavailable: 5000,
};

/** The v1 number of a v2 code (1003 for an expired token), or null where v1 has none. */
export function v1CodeFor(code: string, reason?: unknown): number | null {
  if (code === 'invalid_token' && (reason === 'expired' || reason === 'token_expired')) return 1003;
  return Object.prototype.hasOwnProperty.call(V1_NUMBER_OF, code)
    ? (V1_NUMBER_OF[code] ?? null)
    : null;
}

export function actionFor(code: RelayErrorCode): ClientAction {
  return RELAY_ERROR_ACTIONS[code];
}
