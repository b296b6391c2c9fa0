// Sliding-window rate limits of the relay (seed v1 §5.2, PROTOCOL.md §4): auth attempts per
// source address, tunnel creations per tenant. Time comes from an injected clock; the
// limiter keeps only timestamps inside the window, so memory stays bounded by the limit.

export interface NowSource {
  now(): number;
}

export type LimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly options: {
      readonly limit: number;
      readonly windowMs: number;
      readonly clock: NowSource;
    },
  ) {}

  /** Records one event for `key` if the window has room; otherwise says how long to wait. */
  take(key: string): LimitDecision {
    const decision = this.check(key);
    if (decision.allowed) {
      const list = this.hits.get(key) ?? [];
      list.push(this.options.clock.now());
      this.hits.set(key, list);
    }
    return decision;
  }

  /** Like take() without recording. */
  check(key: string): LimitDecision {
    const now = this.options.clock.now();
    const list = this.prune(key, now);
    if (list.length < this.options.limit) return { allowed: true };
    const oldest = list[0] ?? now;
    return { allowed: false, retryAfterMs: Math.max(1, oldest + this.options.windowMs - now) };
  }

  private prune(key: string, now: number): number[] {
    const list = this.hits.get(key);
    if (list === undefined) return [];
    const cutoff = now - this.options.windowMs;
    while (list.length > 0 && (list[0] ?? 0) <= cutoff) list.shift();
    if (list.length === 0) this.hits.delete(key);
    return list;
  }

  /** Drops every key with no event inside the window (called now and then by the relay). */
  sweep(): void {
    const now = this.options.clock.now();
    for (const key of [...this.hits.keys()]) this.prune(key, now);
  }
}

/**
 * Minimum spacing between heartbeats of one session (seed v1 §5.2: 30 s). The first one is
 * always accepted; a refused one does not move the window.
 */
export class MinIntervalGate {
  private last: number | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: NowSource,
  ) {}

  take(): LimitDecision {
    const now = this.clock.now();
    if (this.last !== null && now - this.last < this.intervalMs) {
      return { allowed: false, retryAfterMs: this.last + this.intervalMs - now };
    }
    this.last = now;
    return { allowed: true };
  }
}

/** Seconds for `details.retry_after`, never 0 (a client would spin). */
export function retryAfterSeconds(decision: { retryAfterMs: number }): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}
