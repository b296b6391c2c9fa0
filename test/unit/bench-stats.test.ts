// The bench's summaries of repeated rounds: medians, spread, overlap, the rotation that
// interleaves paths, percentiles. Fixed inputs.
import { describe, expect, it } from 'vitest';

import { PATHS } from '../../bench/record';
import { halfRange, median, percentile, rangesOverlap, rotate, summarize } from '../../bench/stats';

describe('bench statistics', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even count', () => {
    expect(median([300, 100, 110])).toBe(110);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('leaves a burst in one round out of the median but shows it in the spread', () => {
    const summary = summarize([500, 180, 510]);
    expect(summary).toEqual({ median: 500, min: 180, max: 510, count: 3 });
    expect(halfRange(summary!)).toBe(165);
  });

  it('summarises only the rounds that produced a figure, and nothing when none did', () => {
    expect(summarize([null, 2, undefined, Number.NaN, 4])).toEqual({
      median: 3,
      min: 2,
      max: 4,
      count: 2,
    });
    expect(summarize([null, undefined])).toBeNull();
  });

  it('tells overlapping ranges from separate ones, touching counting as overlap', () => {
    const a = { median: 5, min: 4, max: 6, count: 3 };
    expect(rangesOverlap(a, { median: 7, min: 6, max: 8, count: 3 })).toBe(true);
    expect(rangesOverlap(a, { median: 8, min: 7, max: 9, count: 3 })).toBe(false);
    expect(rangesOverlap({ median: 8, min: 7, max: 9, count: 3 }, a)).toBe(false);
  });

  it('runs the paths in a different order each round, each path once per round', () => {
    const orders = [0, 1, 2].map((round) => rotate(PATHS, round));
    expect(orders).toEqual([
      ['direct', 'tunnel', 'published', 'stunnel', 'ssh -L', 'node pipe'],
      ['tunnel', 'published', 'stunnel', 'ssh -L', 'node pipe', 'direct'],
      ['published', 'stunnel', 'ssh -L', 'node pipe', 'direct', 'tunnel'],
    ]);
    for (const order of orders) expect([...order].sort()).toEqual([...PATHS].sort());
    expect(rotate(PATHS, 6)).toEqual([...PATHS]);
    expect(rotate([], 2)).toEqual([]);
  });

  it('reads percentiles by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([1, 2, 3], 99)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });
});
