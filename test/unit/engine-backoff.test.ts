// Reconnect schedule (docs/protocol.md#reconnect): 1 s, x2, 30 s cap, 10 attempts, jitter bounds,
// retry_after honoured. Pure functions, injected random.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  baseDelayMs,
  isExhausted,
  reconnectDelayMs,
  DEFAULT_BACKOFF,
} from '../../src-main/engine/backoff';

describe('reconnect backoff', () => {
  it('follows 1, 2, 4, 8, 16, 30, 30 ... seconds without jitter', () => {
    const schedule = Array.from({ length: 10 }, (_, i) => reconnectDelayMs(i + 1, () => 0));
    expect(schedule).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
  });

  it('keeps every jittered delay within [0.8 x base, base] and never above the 30 s cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const base = baseDelayMs(attempt);
          const d = reconnectDelayMs(attempt, () => r);
          expect(d).toBeLessThanOrEqual(base);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - DEFAULT_BACKOFF.jitterRatio)));
          expect(d).toBeLessThanOrEqual(30_000);
        },
      ),
    );
  });

  it('uses the random source: different draws give different delays', () => {
    expect(reconnectDelayMs(3, () => 0)).toBe(4000);
    expect(reconnectDelayMs(3, () => 1)).toBe(3200);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(3600);
  });

  it('waits at least the relay retry_after, even past the cap', () => {
    expect(reconnectDelayMs(1, () => 0, 5)).toBe(5000);
    expect(reconnectDelayMs(6, () => 1, 120)).toBe(120_000);
    expect(reconnectDelayMs(4, () => 0, 2)).toBe(8000);
  });

  it('gives up after the tenth attempt', () => {
    expect(isExhausted(10)).toBe(false);
    expect(isExhausted(11)).toBe(true);
  });
});
