// Relay rate limits with an injected clock: the sliding window (auth attempts, tunnel
// creations), the heartbeat spacing gate, and retry_after rounding.

import { describe, expect, it } from 'vitest';
import {
  MinIntervalGate,
  retryAfterSeconds,
  SlidingWindowLimiter,
} from '../../src-main/relay/rate-limit';

function clockAt(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('SlidingWindowLimiter', () => {
  it('allows 5 a minute per key, then says how long until the oldest leaves the window', () => {
    const clock = clockAt();
    const limiter = new SlidingWindowLimiter({ limit: 5, windowMs: 60_000, clock });
    for (let i = 0; i < 5; i++) {
      expect(limiter.take('10.0.0.1').allowed).toBe(true);
      clock.advance(1_000);
    }
    const refused = limiter.take('10.0.0.1');
    expect(refused).toEqual({ allowed: false, retryAfterMs: 55_000 });
    // Another key has its own window.
    expect(limiter.take('10.0.0.2').allowed).toBe(true);
    clock.advance(54_999);
    expect(limiter.take('10.0.0.1').allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take('10.0.0.1').allowed).toBe(true);
    expect(limiter.take('10.0.0.1').allowed).toBe(false);
  });

  it('does not count refused attempts', () => {
    const clock = clockAt();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 3_600_000, clock });
    limiter.take('t');
    limiter.take('t');
    for (let i = 0; i < 10; i++) expect(limiter.take('t').allowed).toBe(false);
    clock.advance(3_600_000);
    expect(limiter.take('t').allowed).toBe(true);
    expect(limiter.take('t').allowed).toBe(true);
    expect(limiter.take('t').allowed).toBe(false);
  });

  it('check() looks without recording, and sweep() forgets idle keys', () => {
    const clock = clockAt();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000, clock });
    expect(limiter.check('k').allowed).toBe(true);
    expect(limiter.check('k').allowed).toBe(true);
    limiter.take('k');
    expect(limiter.check('k').allowed).toBe(false);
    clock.advance(1_000);
    limiter.sweep();
    expect(limiter.take('k').allowed).toBe(true);
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
