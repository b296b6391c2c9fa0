// Client-side auth rate limit (docs/protocol.md#reconnect): never more than 5 auth attempts
// in any 60 s window, so a reconnect loop cannot trip the relay's own limit. Pure: time comes
// in as args.

import { MAX_AUTH_ATTEMPTS_PER_MINUTE } from '../shared/model';

export const AUTH_WINDOW_MS = 60_000;

export class AuthLimiter {
  private readonly attempts: number[] = [];

  constructor(
    private readonly maxAttempts = MAX_AUTH_ATTEMPTS_PER_MINUTE,
    private readonly windowMs = AUTH_WINDOW_MS,
  ) {}

  /** Milliseconds to wait before an attempt is allowed at `nowMs` (0 = allowed now). */
  delayMs(nowMs: number): number {
    this.prune(nowMs);
    if (this.attempts.length < this.maxAttempts) return 0;
    const oldest = this.attempts[0] ?? nowMs;
    return Math.max(1, oldest + this.windowMs - nowMs);
  }

  /** Records an attempt; returns false (and records nothing) when it would break the limit. */
  tryRecord(nowMs: number): boolean {
    if (this.delayMs(nowMs) > 0) return false;
    this.attempts.push(nowMs);
    return true;
  }

  private prune(nowMs: number): void {
    while (this.attempts.length > 0 && (this.attempts[0] ?? 0) <= nowMs - this.windowMs)
      this.attempts.shift();
  }
}
