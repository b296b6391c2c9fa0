// Summaries of a benchmark figure measured once per round: the median, the spread (min, max)
// and the rotation that interleaves paths across rounds. Pure: no I/O, no clock.

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many rounds produced the figure (a failed round produces none). */
  readonly count: number;
}

/** The middle value; the mean of the two middle ones for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median and range of the finite values; null when no round produced one. */
export function summarize(values: readonly (number | null | undefined)[]): Summary | null {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return null;
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    count: finite.length,
  };
}

/** Half of max - min: what `±` next to a median means in the report. */
export function halfRange(summary: Summary): number {
  return (summary.max - summary.min) / 2;
}

/** Whether two figures' ranges touch, so the rounds do not tell which is larger. */
export function rangesOverlap(a: Summary, b: Summary): boolean {
  return a.min <= b.max && b.min <= a.max;
}

/** `items` starting at index `by` (mod length): round r runs the paths in rotate(paths, r). */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const start = ((by % items.length) + items.length) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
