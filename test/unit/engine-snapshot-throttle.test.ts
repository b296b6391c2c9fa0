// Snapshot delivery: state changes at once, counter-only changes at most every 250 ms.
import { describe, expect, it } from 'vitest';
import { SnapshotThrottle } from '../../src-main/engine/snapshot-throttle';
import { FakeClock } from './engine-fake-clock';

describe('snapshot throttle', () => {
  it('delivers at most 4 snapshots a second under a flood of counter updates', () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const throttle = new SnapshotThrottle(clock, () => times.push(clock.now()));
    const start = clock.now();
    for (let ms = 0; ms < 5000; ms++) {
      for (let i = 0; i < 20; i++) throttle.countersChanged();
      clock.advance(1);
    }
    expect(times.length).toBeGreaterThanOrEqual(19);
    expect(times.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
    expect(times[0]! - start).toBeLessThanOrEqual(1);
  });

  it('delivers a state change at once, even right after a counter push', () => {
    const clock = new FakeClock();
    let count = 0;
    const throttle = new SnapshotThrottle(clock, () => count++);
    throttle.countersChanged();
    clock.advance(0);
    expect(count).toBe(1);
    throttle.countersChanged();
    throttle.stateChanged();
    expect(count).toBe(2);
    // The pending counter push was folded into the state push.
    clock.advance(1000);
    expect(count).toBe(2);
  });

  it('delivers the trailing counter change and leaves no timer after close', () => {
    const clock = new FakeClock();
    let count = 0;
    const throttle = new SnapshotThrottle(clock, () => count++);
    throttle.stateChanged();
    throttle.countersChanged();
    clock.advance(249);
    expect(count).toBe(1);
    clock.advance(1);
    expect(count).toBe(2);
    throttle.countersChanged();
    throttle.close();
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(count).toBe(2);
  });
});
