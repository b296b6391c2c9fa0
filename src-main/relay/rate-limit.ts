// The relay's rate limits (docs/protocol.md#limits): failed authentications per source and per
// client, tunnel creations per client and per tenant, on rate-limiter-flexible's fixed windows
// (in memory here; the same API runs over Redis for a relay of several processes), the read
// budget of one connection and the heartbeat spacing gate of one session. Decides only; the
// callers answer, close and log.

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface NowSource {
  now(): number;
}

export type LimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/** A refusal naming the bound that refused (a `limit` label of the relay's metrics). */
export type NamedDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly limit: string };

function windowSeconds(windowMs: number): number {
  return Math.max(0.001, windowMs / 1000);
}

/**
 * Up to `points` events per key in a window that starts at the key's first event. Note:
 * rate-limiter-flexible keeps time with Date.now() and its own timers, not the relay's clock;
 * its unit tests run on vitest's fake timers.
 */
export class EventBudget {
  private readonly limiter: RateLimiterMemory;

  constructor(options: { readonly points: number; readonly windowMs: number }) {
    this.limiter = new RateLimiterMemory({
      points: options.points,
      duration: windowSeconds(options.windowMs),
    });
  }

  /** Takes one event for `key` if there is room; otherwise says how long until there is. */
  async take(key: string): Promise<LimitDecision> {
    try {
      await this.limiter.consume(key);
      return { allowed: true };
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return { allowed: false, retryAfterMs: Math.max(1, error.msBeforeNext) };
    }
  }

  /** Counts one event whatever the budget says, and answers whether it was still within it. */
  async count(key: string): Promise<LimitDecision> {
    const res = await this.limiter.penalty(key);
    if (res.consumedPoints <= this.limiter.points) return { allowed: true };
    return { allowed: false, retryAfterMs: Math.max(1, res.msBeforeNext) };
  }

  /** Gives back an event taken by take() that did not happen after all. */
  async giveBack(key: string): Promise<void> {
    await this.limiter.reward(key);
  }
}

/**
 * Failed authentications (docs/protocol.md#limits): counted per source (IPv6 by /64) and per
 * client when the token names one. Only failures count, so a valid token is never refused
 * because of what others sent from the same address; a failure past either budget is
 * answered rate_limit_exceeded instead of its reason.
 */
export class AuthFailureLimits {
  private readonly perSource: EventBudget;
  private readonly perIdentity: EventBudget;

  constructor(options: {
    readonly perSource: number;
    readonly perIdentity: number;
    readonly windowMs: number;
  }) {
    this.perSource = new EventBudget({ points: options.perSource, windowMs: options.windowMs });
    this.perIdentity = new EventBudget({
      points: options.perIdentity,
      windowMs: options.windowMs,
    });
  }

  async failed(source: string, identity: string | null): Promise<NamedDecision> {
    const [bySource, byIdentity] = await Promise.all([
      this.perSource.count(source),
      identity === null
        ? Promise.resolve<LimitDecision>({ allowed: true })
        : this.perIdentity.count(identity),
    ]);
    if (!bySource.allowed) return { ...bySource, limit: 'auth_failures_per_source' };
    if (!byIdentity.allowed) return { ...byIdentity, limit: 'auth_failures_per_identity' };
    return { allowed: true };
  }
}

/**
 * Tunnel creations per client and per tenant (hand-backs are not creations). The client's
 * budget is taken first and given back when the tenant's refuses, so one client's burst uses
 * only its own budget and a refused request uses neither.
 */
export class TunnelCreationLimits {
  private readonly perIdentity: EventBudget;
  private readonly perTenant: EventBudget;

  constructor(options: {
    readonly perIdentity: number;
    readonly perTenant: number;
    readonly windowMs: number;
  }) {
    this.perIdentity = new EventBudget({ points: options.perIdentity, windowMs: options.windowMs });
    this.perTenant = new EventBudget({ points: options.perTenant, windowMs: options.windowMs });
  }

  async take(identity: string, tenant: string): Promise<NamedDecision> {
    const own = await this.perIdentity.take(identity);
    if (!own.allowed) return { ...own, limit: 'tunnel_creations_per_identity' };
    const shared = await this.perTenant.take(tenant);
    if (shared.allowed) return shared;
    await this.perIdentity.giveBack(identity);
    return { ...shared, limit: 'tunnel_creations_per_tenant' };
  }
}

/**
 * What one connection may make the relay read and parse (docs/protocol.md#limits): socket
 * reads and decoded messages both spend it, refilled at a steady rate up to a burst. A peer
 * that floods tiny TLS records or unknown messages runs it into debt, and the caller closes
 * it, so no connection takes more than its share of the CPU. On the injected clock.
 */
export class TokenBucket {
  private balance: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: NowSource,
  ) {
    this.balance = burst;
    this.last = clock.now();
  }

  /** Spends `amount`; returns 0 while the balance stays positive, else ms until it is again. */
  spend(amount: number): number {
    const now = this.clock.now();
    this.balance = Math.min(this.burst, this.balance + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    this.balance -= amount;
    if (this.balance > 0 || this.perSecond <= 0) return 0;
    return Math.ceil(((1 - this.balance) * 1000) / this.perSecond);
  }
}

/**
 * Minimum spacing between heartbeats of one session (docs/protocol.md#heartbeats: 30 s). The first
 * one is always accepted; a refused one does not move the window.
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
