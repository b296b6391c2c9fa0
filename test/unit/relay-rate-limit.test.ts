// Relay rate limits: failed auths per source and per client, tunnel creations per client and
// per tenant (rate-limiter-flexible, which keeps time with Date.now(): driven here by vitest's
// fake timers), the heartbeat spacing gate on an injected clock, and retry_after rounding.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthFailureLimits,
  EventBudget,
  MinIntervalGate,
  retryAfterSeconds,
  TunnelCreationLimits,
} from '../../src-main/relay/rate-limit';

function clockAt(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('EventBudget', () => {
  it('allows `points` events per key in a window, then says how long until it ends', async () => {
    const budget = new EventBudget({ points: 2, windowMs: 60_000 });
    expect(await budget.take('k')).toEqual({ allowed: true });
    vi.advanceTimersByTime(10_000);
    expect(await budget.take('k')).toEqual({ allowed: true });
    expect(await budget.take('k')).toEqual({ allowed: false, retryAfterMs: 50_000 });
    expect(await budget.take('other')).toEqual({ allowed: true });
    vi.advanceTimersByTime(50_000);
    expect(await budget.take('k')).toEqual({ allowed: true });
  });

  it('gives back an event that did not happen', async () => {
    const budget = new EventBudget({ points: 1, windowMs: 60_000 });
    expect((await budget.take('k')).allowed).toBe(true);
    await budget.giveBack('k');
    expect((await budget.take('k')).allowed).toBe(true);
    expect((await budget.take('k')).allowed).toBe(false);
  });
});

describe('AuthFailureLimits', () => {
  it('answers rate-limited from the sixth failure of a source, and each source counts alone', async () => {
    const limits = new AuthFailureLimits({ perSource: 5, perIdentity: 100, windowMs: 60_000 });
    for (let i = 0; i < 5; i++)
      expect(await limits.failed('192.0.2.1', `client-${i}`)).toEqual({ allowed: true });
    expect(await limits.failed('192.0.2.1', 'client-x')).toMatchObject({
      allowed: false,
      limit: 'auth_failures_per_source',
      retryAfterMs: 60_000,
    });
    expect(await limits.failed('192.0.2.2', 'client-x')).toEqual({ allowed: true });
    vi.advanceTimersByTime(60_000);
    expect(await limits.failed('192.0.2.1', 'client-y')).toEqual({ allowed: true });
  });

  it('budgets failures per claimed client across sources, and not without a claim', async () => {
    const limits = new AuthFailureLimits({ perSource: 100, perIdentity: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++)
      expect(await limits.failed(`198.51.100.${i}`, 'acme\u0000alice')).toEqual({ allowed: true });
    expect(await limits.failed('198.51.100.9', 'acme\u0000alice')).toMatchObject({
      allowed: false,
      limit: 'auth_failures_per_identity',
    });
    expect(await limits.failed('198.51.100.9', 'acme\u0000bob')).toEqual({ allowed: true });
    for (let i = 0; i < 10; i++)
      expect(await limits.failed('198.51.100.10', null)).toEqual({ allowed: true });
  });
});

describe('TunnelCreationLimits', () => {
  it('gives each client its own budget, so one client’s burst leaves the tenant’s others theirs', async () => {
    const limits = new TunnelCreationLimits({
      perIdentity: 10,
      perTenant: 25,
      windowMs: 3_600_000,
    });
    for (let i = 0; i < 10; i++) expect((await limits.take('alice', 'acme')).allowed).toBe(true);
    expect(await limits.take('alice', 'acme')).toMatchObject({
      allowed: false,
      limit: 'tunnel_creations_per_identity',
    });
    for (let i = 0; i < 10; i++) expect((await limits.take('bob', 'acme')).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect((await limits.take('carol', 'acme')).allowed).toBe(true);
    // The tenant's own budget is spent: carol is refused by the tenant's bound, not hers.
    expect(await limits.take('carol', 'acme')).toMatchObject({
      allowed: false,
      limit: 'tunnel_creations_per_tenant',
    });
    expect((await limits.take('dave', 'globex')).allowed).toBe(true);
    vi.advanceTimersByTime(3_600_000);
    for (let i = 0; i < 10; i++) expect((await limits.take('carol', 'acme')).allowed).toBe(true);
  });
});

describe('MinIntervalGate', () => {
  it('accepts the first heartbeat, refuses one too soon without moving the window, then accepts', () => {
    const clock = clockAt();
    const gate = new MinIntervalGate(28_000, clock);
    expect(gate.take().allowed).toBe(true);
    clock.advance(10_000);
    expect(gate.take()).toEqual({ allowed: false, retryAfterMs: 18_000 });
    clock.advance(18_000);
    expect(gate.take().allowed).toBe(true);
    // A client on the seed's 30 s schedule, a little early each time, is never refused.
    for (let i = 0; i < 5; i++) {
      clock.advance(29_000);
      expect(gate.take().allowed).toBe(true);
    }
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up and is never 0', () => {
    expect(retryAfterSeconds({ retryAfterMs: 1 })).toBe(1);
    expect(retryAfterSeconds({ retryAfterMs: 1_000 })).toBe(1);
    expect(retryAfterSeconds({ retryAfterMs: 1_001 })).toBe(2);
    expect(retryAfterSeconds({ retryAfterMs: 0 })).toBe(1);
  });
});
