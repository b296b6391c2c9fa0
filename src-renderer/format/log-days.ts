// How the Logs view dates its records: a record's local day (for the separators), the day's
// heading ("Today", "Yesterday", else the full date) and the full time shown on hover. Pure;
// callers pass `now` and the locale.
import type { FormatLocale } from './format';

/** The local calendar day of an ISO time as YYYY-MM-DD, or '' when it is not a time. */
export function localDay(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export interface DayGroup<T> {
  readonly day: string;
  readonly items: readonly T[];
}

/** Consecutive items of the same local day, in the order given. */
export function groupByDay<T>(items: readonly T[], timeOf: (item: T) => string): DayGroup<T>[] {
  const groups: { day: string; items: T[] }[] = [];
  for (const item of items) {
    const day = localDay(timeOf(item));
    const last = groups.at(-1);
    if (last && last.day === day) last.items.push(item);
    else groups.push({ day, items: [item] });
  }
  return groups;
}

/** A day heading: `today`/`yesterday` words from the caller, else the date in full. */
export function dayHeading(
  day: string,
  nowMs: number,
  locale: FormatLocale,
  words: { readonly today: string; readonly yesterday: string },
): string {
  if (day === localDay(new Date(nowMs).toISOString())) return words.today;
  const yesterday = new Date(nowMs);
  yesterday.setDate(yesterday.getDate() - 1);
  if (day === localDay(yesterday.toISOString())) return words.yesterday;
  const [y, m, d] = day.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined || Number.isNaN(y)) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full' }).format(new Date(y, m - 1, d));
}

/** "Monday, 1 December 2026 at 17:27:42.293": a record's time in full, for its tooltip. */
export function fullLogTime(iso: string, locale: FormatLocale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = new Intl.DateTimeFormat(locale, {
    dateStyle: 'full',
    timeStyle: 'medium',
    hour12: false,
  }).format(date);
  return `${text}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** HH:MM:SS for a log line (the milliseconds are in the tooltip). */
export function shortLogTime(iso: string, locale: FormatLocale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date);
}
