// How the benchmark writes a figure: fixed digits, a median with its spread across rounds,
// a ratio, a padded row. Pure string work; which figures to show is report.ts.

import { halfRange, type Summary } from './stats';

export function fmt(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? 'n/a'
    : value.toFixed(digits);
}

/**
 * `median ±half-range`; a figure some rounds lack says how many had it (`(2/3)`), and one
 * round alone has no spread to show.
 */
export function formatSummary(summary: Summary | null, digits: number, rounds: number): string {
  if (summary === null) return 'n/a';
  const value = fmt(summary.median, digits);
  const spread = summary.count > 1 ? ` ±${fmt(halfRange(summary), digits)}` : '';
  const partial = summary.count < rounds ? ` (${summary.count}/${rounds})` : '';
  return `${value}${spread}${partial}`;
}

/** `median (min-max)`, for verdicts, where which rounds overlap matters more than the width. */
export function formatRange(summary: Summary | null, digits: number, rounds: number): string {
  if (summary === null) return 'n/a';
  const value = fmt(summary.median, digits);
  const partial = summary.count < rounds ? `${summary.count}/${rounds}` : '';
  const range = summary.count > 1 ? `${fmt(summary.min, digits)}-${fmt(summary.max, digits)}` : '';
  const inside = [range, partial].filter((part) => part !== '').join(', ');
  return inside === '' ? value : `${value} (${inside})`;
}

export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a === null || a === undefined || b === null || b === undefined || b === 0
    ? 'n/a'
    : `${(a / b).toFixed(2)}x`;
}

/** The first column left-aligned, the rest right-aligned, two spaces apart. */
export function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
}

/** Column widths that fit every row. */
export function widthsOf(rows: readonly (readonly string[])[]): number[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  return Array.from({ length: columns }, (_, i) =>
    Math.max(...rows.map((row) => (row[i] ?? '').length)),
  );
}
