// The sparkline's numbers: a tunnel's rate samples (store/traffic-history.ts) as one value per
// second of the last minute, and those values as SVG polyline points. A rate holds until the
// next sample replaces it (main pushes a zero once traffic stops). Pure.
import { HISTORY_WINDOW_MS, type RateSample } from '../store/traffic-history';

export const SPARKLINE_BUCKETS = 60;

/**
 * In + out rate (bytes per second) at the end of each of `buckets` equal steps ending at
 * `now`, oldest first. Before the first sample, and for a tunnel without samples, 0.
 */
export function rateSeries(
  samples: readonly RateSample[],
  now: number,
  buckets = SPARKLINE_BUCKETS,
  windowMs = HISTORY_WINDOW_MS,
): number[] {
  const values: number[] = [];
  const step = windowMs / buckets;
  let index = 0;
  let current = 0;
  for (let i = 1; i <= buckets; i += 1) {
    const at = now - windowMs + i * step;
    while (index < samples.length && (samples[index]?.at ?? Infinity) <= at) {
      const sample = samples[index];
      current = sample ? sample.inBps + sample.outBps : 0;
      index += 1;
    }
    values.push(current);
  }
  return values;
}

/**
 * Polyline points for `values` in a `width` x `height` box, the highest value touching the
 * top; all zero is a flat line along the bottom. Coordinates rounded to 0.1.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values);
  const round = (n: number) => Math.round(n * 10) / 10;
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const y = max > 0 ? height - (v / max) * height : height;
      return `${round(i * dx)},${round(y)}`;
    })
    .join(' ');
}
