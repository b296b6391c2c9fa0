// docs/protocol.md#reconnect: never more than 5 auth attempts in any 60 s window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthLimiter } from '../../src-main/engine/auth-limiter';

describe('auth attempt limiter', () => {
  it('allows five attempts, refuses the sixth, and says how long to wait', () => {
    const limiter = new AuthLimiter();
    for (let i = 0; i < 5; i++) expect(limiter.tryRecord(1000 + i * 1000)).toBe(true);
    expect(limiter.tryRecord(6000)).toBe(false);
    expect(limiter.delayMs(6000)).toBe(55_000);
    expect(limiter.tryRecord(61_000)).toBe(true);
  });

  it('never lets more than five attempts into any 60 s window, whatever the timing', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 80 }), (gaps) => {
        const limiter = new AuthLimiter();
        const accepted: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          if (limiter.tryRecord(now)) accepted.push(now);
          else expect(limiter.delayMs(now)).toBeGreaterThan(0);
        }
        for (let i = 5; i < accepted.length; i++)
          expect(accepted[i]! - accepted[i - 5]!).toBeGreaterThanOrEqual(60_000);
      }),
    );
  });
});
