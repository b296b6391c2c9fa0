// What the window remembers of each tunnel's traffic between main's pushes: the rates of the
// last minute (for the sparkline) and when its byte counters last moved ("last activity").
// Pure folds over main's counters and timestamps (never the window's clock); the store calls
// them on every snapshot and stats push. Kept for the window's life, not persisted.

/** How far back the sparkline looks. */
export const HISTORY_WINDOW_MS = 60_000;

export interface RateSample {
  /** Main's time of the counters (ms since the epoch). */
  readonly at: number;
  readonly inBps: number;
  readonly outBps: number;
}

export interface TunnelHistory {
  /** Oldest first; the newest sample before the window is kept so the line starts right. */
  readonly samples: readonly RateSample[];
  /** bytesIn + bytesOut when last seen. */
  readonly bytes: number;
  /** When the counters were last seen to grow; null until they have been. */
  readonly lastActivityAt: number | null;
}

export type TrafficHistory = Readonly<Record<string, TunnelHistory>>;

export const NO_HISTORY: TrafficHistory = {};

export interface CounterSample {
  readonly id: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly rateInBps: number;
  readonly rateOutBps: number;
}

function trim(samples: readonly RateSample[], now: number): readonly RateSample[] {
  const from = now - HISTORY_WINDOW_MS;
  let first = 0;
  // Keep one sample older than the window: it is the rate in force where the window starts.
  while (first + 1 < samples.length && (samples[first + 1]?.at ?? now) <= from) first += 1;
  return first === 0 ? samples : samples.slice(first);
}

/**
 * Folds one push's counters in. `tunnels` not named keep their history; `keep` (a snapshot's
 * full list of ids) drops the history of tunnels that are gone. A sample from before the
 * newest one held (a late push) is ignored.
 */
export function recordTraffic(
  history: TrafficHistory,
  tunnels: readonly CounterSample[],
  at: number,
  keep?: readonly string[],
): TrafficHistory {
  if (!Number.isFinite(at)) return history;
  const next: Record<string, TunnelHistory> = {};
  const ids = keep === undefined ? Object.keys(history) : keep;
  for (const id of ids) {
    const held = history[id];
    if (held !== undefined) next[id] = held;
  }
  for (const t of tunnels) {
    if (keep !== undefined && !keep.includes(t.id)) continue;
    const held = history[t.id];
    const last = held?.samples.at(-1);
    if (last !== undefined && at < last.at) continue;
    const bytes = t.bytesIn + t.bytesOut;
    // A smaller count is a new engine starting from zero: only growth is activity, and a
    // rate above zero at first sight (bytes moved within the last rate window).
    const grew = held === undefined ? t.rateInBps > 0 || t.rateOutBps > 0 : bytes > held.bytes;
    const sample: RateSample = { at, inBps: t.rateInBps, outBps: t.rateOutBps };
    const samples =
      last !== undefined && last.at === at
        ? [...(held?.samples.slice(0, -1) ?? []), sample]
        : [...(held?.samples ?? []), sample];
    next[t.id] = {
      samples: trim(samples, at),
      bytes,
      lastActivityAt: grew ? at : (held?.lastActivityAt ?? null),
    };
  }
  return next;
}
