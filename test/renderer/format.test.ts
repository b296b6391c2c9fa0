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
  it('uses whole bytes below 1 KiB and binary units above', () => {
    expect(formatBytes(0)).toBe(`0${nb}B`);
    expect(formatBytes(1023)).toBe(`1,023${nb}B`);
    expect(formatBytes(1024)).toBe(`1${nb}KiB`);
    expect(formatBytes(1536)).toBe(`1.5${nb}KiB`);
    expect(formatBytes(15 * 1024 * 1024 + 512 * 1024)).toBe(`16${nb}MiB`);
    expect(formatBytes(3 * 1024 ** 4)).toBe(`3${nb}TiB`);
    expect(formatBytes(5 * 1024 ** 5)).toBe(`5,120${nb}TiB`);
  });

  it('reads negative, NaN and infinite counts as zero', () => {
    expect(formatBytes(-5)).toBe(`0${nb}B`);
    expect(formatBytes(Number.NaN)).toBe(`0${nb}B`);
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe(`0${nb}B`);
  });

  it('speaks Russian units and decimal comma', () => {
    expect(formatBytes(1536, 'ru')).toBe(`1,5${nb}КиБ`);
    expect(formatRate(2048, 'ru')).toBe(`2${nb}КиБ/с`);
    expect(formatRate(2048)).toBe(`2${nb}KiB/s`);
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
