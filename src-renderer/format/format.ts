// Pure formatters for what the UI shows: byte counts, rates, durations and relative times,
// in the UI's locale. No React, no clock of their own: callers pass `now`.
export type FormatLocale = 'en' | 'ru';

/**
 * Decimal units, as people read them (1 KB = 1000 B) and as macOS and most Linux file managers
 * count; the log keeps exact byte counts.
 */
const BYTE_UNITS: Readonly<Record<FormatLocale, readonly string[]>> = {
  en: ['B', 'KB', 'MB', 'GB', 'TB'],
  ru: ['Б', 'КБ', 'МБ', 'ГБ', 'ТБ'],
};
const BYTE_STEP = 1000;
const PER_SECOND: Readonly<Record<FormatLocale, string>> = { en: '/s', ru: '/с' };

function number(value: number, locale: FormatLocale, maximumFractionDigits: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits }).format(value);
}

/** 1536 -> "1.5 KB". Whole bytes below 1 KB; negative or NaN reads as 0. */
export function formatBytes(bytes: number, locale: FormatLocale = 'en'): string {
  const units = BYTE_UNITS[locale];
  let value = Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  let unit = 0;
  while (value >= BYTE_STEP && unit < units.length - 1) {
    value /= BYTE_STEP;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 1 : 0;
  return `${number(value, locale, digits)}\u00a0${units[unit] ?? 'B'}`;
}

/** Bytes per second -> "1.5 KB/s". */
export function formatRate(bytesPerSecond: number, locale: FormatLocale = 'en'): string {
  return `${formatBytes(bytesPerSecond, locale)}${PER_SECOND[locale]}`;
}

/**
 * A span of time, coarse to fine, at most two units: "45 s", "2 min 05 s", "3 h 12 min",
 * "2 d 4 h". Rounds up to whole seconds so a countdown never shows 0 while still waiting.
 */
export function formatDuration(ms: number, locale: FormatLocale = 'en'): string {
  const labels =
    locale === 'ru' ? { d: 'д', h: 'ч', m: 'мин', s: 'с' } : { d: 'd', h: 'h', m: 'min', s: 's' };
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  const nb = '\u00a0';
  if (days > 0)
    return hours > 0
      ? `${days}${nb}${labels.d} ${hours}${nb}${labels.h}`
      : `${days}${nb}${labels.d}`;
  if (hours > 0)
    return `${hours}${nb}${labels.h} ${String(minutes).padStart(2, '0')}${nb}${labels.m}`;
  if (minutes > 0)
    return `${minutes}${nb}${labels.m} ${String(seconds).padStart(2, '0')}${nb}${labels.s}`;
  return `${seconds}${nb}${labels.s}`;
}

/** "in 3 hours" / "5 minutes ago" / "now", relative to `nowMs`, via Intl.RelativeTimeFormat. */
export function formatRelativeTime(
  targetMs: number,
  nowMs: number,
  locale: FormatLocale = 'en',
): string {
  const formatter = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const diffSeconds = Math.round((targetMs - nowMs) / 1000);
  const abs = Math.abs(diffSeconds);
  if (abs < 45) return formatter.format(0, 'second');
  if (abs < 45 * 60) return formatter.format(Math.round(diffSeconds / 60), 'minute');
  if (abs < 22 * 3_600) return formatter.format(Math.round(diffSeconds / 3_600), 'hour');
  if (abs < 45 * 86_400) return formatter.format(Math.round(diffSeconds / 86_400), 'day');
  return formatter.format(Math.round(diffSeconds / (30 * 86_400)), 'month');
}

/** An ISO time as a local date and time, e.g. "22 Nov 2026, 14:05". Invalid input returns it unchanged. */
export function formatDateTime(iso: string, locale: FormatLocale = 'en'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** An ISO time as HH:MM:SS.mmm for log lines. */
export function formatLogTime(iso: string, locale: FormatLocale = 'en'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date);
  return `${time}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
