// A tunnel's traffic over the last minute as a small line (format/sparkline.ts does the
// numbers). An image with a name for screen readers; the rate beside it says the figure.
// Display only; SVG attributes, no inline styles (the window's CSP allows none).
import type { RateSample } from '../store/traffic-history';
import { rateSeries, sparklinePoints } from '../format/sparkline';

export interface SparklineProps {
  readonly samples: readonly RateSample[];
  readonly now: number;
  readonly label: string;
  readonly width?: number;
  readonly height?: number;
}

/** Room for the stroke at the top and bottom edges. */
const PAD = 1.5;

export function Sparkline({ samples, now, label, width = 48, height = 22 }: SparklineProps) {
  const values = rateSeries(samples, now);
  const points = sparklinePoints(values, width, height - 2 * PAD);
  const isFlat = values.every((v) => v === null || v === 0);
  return (
    <svg
      className={isFlat ? 'sparkline sparkline-flat' : 'sparkline'}
      role="img"
      aria-label={label}
      viewBox={`0 ${-PAD} ${width} ${height}`}
      width={width}
      height={height}
      preserveAspectRatio="none"
      data-testid="sparkline"
    >
      <line
        className="sparkline-base"
        x1="0"
        y1={height - 2 * PAD}
        x2={width}
        y2={height - 2 * PAD}
        strokeWidth="1"
        vectorEffect="non-scaling-stroke"
      />
      <polyline
        points={points}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinejoin="round"
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  );
}
