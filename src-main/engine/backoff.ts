// Reconnect delay schedule (docs/protocol.md#reconnect): 1 s, x2, 30 s cap, 10 attempts,
// jitter from an injected random, and the relay's retry_after honoured. Pure: no timers.

import { RECONNECT_POLICY } from '../shared/model';

export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxAttempts: number;
  readonly backoffFactor: number;
  /** Fraction of the delay that jitter may take off (0.2 = the delay lies in [0.8 d, d]). */
  readonly jitterRatio: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { ...RECONNECT_POLICY, jitterRatio: 0.2 };

/** Delay before the base schedule's attempt `attempt` (1-based), without jitter. */
export function baseDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, attempt - 1);
  // Cap the exponent too, so a huge attempt number cannot overflow to Infinity.
  const raw = policy.initialDelayMs * Math.pow(policy.backoffFactor, Math.min(exponent, 64));
  return Math.min(raw, policy.maxDelayMs);
}

/**
 * Delay before attempt `attempt` (1-based). Jitter only shortens the delay, so the 30 s cap
 * holds; a relay's `retry_after` (seconds) is a floor, never shortened by jitter.
 */
export function reconnectDelayMs(
  attempt: number,
  random: () => number,
  retryAfterSec: number | null = null,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const base = baseDelayMs(attempt, policy);
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.round(base * (1 - policy.jitterRatio * r));
  const floor = retryAfterSec !== null && retryAfterSec > 0 ? Math.ceil(retryAfterSec * 1000) : 0;
  return Math.max(jittered, floor);
}

/** True once `attempt` (1-based) is past the policy's limit: give up, go Disconnected. */
export function isExhausted(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): boolean {
  return attempt > policy.maxAttempts;
}
