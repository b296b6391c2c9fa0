// The sparkline's numbers: a tunnel's rate samples (store/traffic-history.ts) as one value per
// second of the last minute, and those values as SVG polyline points. A rate holds until the
// next sample replaces it (main pushes a zero once traffic stops); before the first sample
// the rate is unknown and nothing is drawn there. Pure.
import { HISTORY_WINDOW_MS, type RateSample } from '../store/traffic-history';

export const SPARKLINE_BUCKETS = 60;

/**
 * In + out rate (bytes per second) at the end of each of `buckets` equal steps ending at
 * `now`, oldest first; null before the first sample (the window has not watched that long).
 */
export function rateSeries(
  samples: readonly RateSample[],
  now: number,
  buckets = SPARKLINE_BUCKETS,
  windowMs = HISTORY_WINDOW_MS,
): (number | null)[] {
  const values: (number | null)[] = [];
  const step = windowMs / buckets;
  let index = 0;
  let current: number | null = null;
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
 * Polyline points for the known `values` in a `width` x `height` box, each at its place in
 * time: the highest touching the top, zero the bottom, a steady rate above zero halfway (there
 * is nothing to compare it with). A single known value is drawn as the last step's segment.
 * Coordinates rounded to 0.1.
 */
export function sparklinePoints(
  values: readonly (number | null)[],
  width: number,
  height: number,
): string {
  const known = values.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
  if (known.length === 0) return '';
  const max = Math.max(...known.map((k) => k.v));
  const min = Math.min(...known.map((k) => k.v));
  const round = (n: number) => Math.round(n * 10) / 10;
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v: number) =>
    max === 0 ? height : max === min ? height / 2 : height - (v / max) * height;
  const points =
    known.length === 1 && known[0]!.i > 0
      ? [{ v: known[0]!.v, i: known[0]!.i - 1 }, ...known]
      : known;
  return points.map(({ v, i }) => `${round(i * dx)},${round(y(v))}`).join(' ');
}
