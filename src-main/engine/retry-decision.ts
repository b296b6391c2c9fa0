// What a failed attempt leads to (docs/protocol.md#reconnect): stop for good, give up after
// the last attempt, or retry after the backoff delay. Pure: the supervisor acts on the answer.

import { RECONNECT_POLICY } from '../shared/model';
import { NEEDS_USER_CODES } from '../shared/error-codes';
import { actionFor, isRelayErrorCode } from '../protocol/errors';
import { isExhausted, reconnectDelayMs } from './backoff';
import { EngineError } from './errors';

/**
 * Failures no retry can fix: the token, and the relay's TLS identity (a name, CA, expiry or
 * pin the client refuses, or no TLS 1.3). The user must act; retrying would only hide the
 * cause behind reconnect_exhausted minutes later. The one list is shared/error-codes.ts.
 */
const FATAL_CLIENT_CODES: ReadonlySet<string> = new Set(NEEDS_USER_CODES);

export type AttemptOutcome =
  | { readonly kind: 'fatal' }
  | { readonly kind: 'gave_up'; readonly error: EngineError }
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number };

export function isFatal(code: string): boolean {
  return FATAL_CLIENT_CODES.has(code) || (isRelayErrorCode(code) && actionFor(code) === 'fatal');
}

/** After `err` on attempt number `attempt` (0 for the first connect). */
export function afterFailure(
  err: EngineError,
  attempt: number,
  random: () => number,
): AttemptOutcome {
  if (isFatal(err.code)) return { kind: 'fatal' };
  const next = attempt + 1;
  if (isExhausted(next))
    return {
      kind: 'gave_up',
      error: new EngineError(
        'reconnect_exhausted',
        `gave up after ${RECONNECT_POLICY.maxAttempts} reconnect attempts`,
        `${err.code}: ${err.message}`,
      ),
    };
  return {
    kind: 'retry',
    attempt: next,
    delayMs: reconnectDelayMs(next, random, err.retryAfterSec),
  };
}
