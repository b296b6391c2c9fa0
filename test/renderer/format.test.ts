// Pure formatters: bytes, rates, durations and relative times in English and Russian.
import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatRate,
  formatRelativeTime,
} from '../../src-renderer/format/format';

const nb = '\u00a0';

describe('formatBytes and formatRate', () => {
  it('uses whole bytes below 1 KB and decimal units above, as people read them', () => {
    expect(formatBytes(0)).toBe(`0${nb}B`);
    expect(formatBytes(999)).toBe(`999${nb}B`);
    expect(formatBytes(1000)).toBe(`1${nb}KB`);
    expect(formatBytes(1536)).toBe(`1.5${nb}KB`);
    expect(formatBytes(15_500_000)).toBe(`16${nb}MB`);
    expect(formatBytes(3 * 1000 ** 4)).toBe(`3${nb}TB`);
    expect(formatBytes(5 * 1000 ** 5)).toBe(`5,000${nb}TB`);
  });

  it('reads negative, NaN and infinite counts as zero', () => {
    expect(formatBytes(-5)).toBe(`0${nb}B`);
    expect(formatBytes(Number.NaN)).toBe(`0${nb}B`);
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe(`0${nb}B`);
  });

  it('speaks Russian units (КБ, МБ, not КиБ) and decimal comma', () => {
    expect(formatBytes(1536, 'ru')).toBe(`1,5${nb}КБ`);
    expect(formatBytes(2_500_000, 'ru')).toBe(`2,5${nb}МБ`);
    expect(formatRate(2048, 'ru')).toBe(`2${nb}КБ/с`);
    expect(formatRate(2048)).toBe(`2${nb}KB/s`);
  });
});

describe('formatDuration', () => {
  it('rounds up to whole seconds so a countdown never shows 0 while waiting', () => {
    expect(formatDuration(0)).toBe(`0${nb}s`);
    expect(formatDuration(1)).toBe(`1${nb}s`);
    expect(formatDuration(3_001)).toBe(`4${nb}s`);
    expect(formatDuration(-500)).toBe(`0${nb}s`);
  });

  it('shows at most two units, coarse to fine', () => {
    expect(formatDuration(65_000)).toBe(`1${nb}min 05${nb}s`);
    expect(formatDuration(3 * 3_600_000 + 12 * 60_000 + 9_000)).toBe(`3${nb}h 12${nb}min`);
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe(`2${nb}d 4${nb}h`);
    expect(formatDuration(86_400_000)).toBe(`1${nb}d`);
    expect(formatDuration(30_000, 'ru')).toBe(`30${nb}с`);
  });
});

describe('formatRelativeTime', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('says now, minutes, hours and days either way', () => {
    expect(formatRelativeTime(now + 10_000, now)).toBe('now');
    expect(formatRelativeTime(now - 5 * 60_000, now)).toBe('5 minutes ago');
    expect(formatRelativeTime(now + 3 * 3_600_000, now)).toBe('in 3 hours');
    expect(formatRelativeTime(now - 86_400_000, now)).toBe('yesterday');
    expect(formatRelativeTime(now + 10 * 86_400_000, now)).toBe('in 10 days');
    expect(formatRelativeTime(now + 3 * 3_600_000, now, 'ru')).toBe('через 3 часа');
  });
});
