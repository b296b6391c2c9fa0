// Per-tunnel traffic totals (today, all time): turns each engine snapshot's counters into
// increments for the settings store, flushes them to disk every 10 s, and says when the
// persisted totals the window shows have moved. Never reads the engine itself.

import type { EngineSnapshot } from '../shared/model';
import type { Clock } from '../shared/clock';
import type { SettingsStore } from './settings-store';

export const TOTALS_FLUSH_MS = 10_000;

export interface TrafficTotalsOptions {
  readonly settingsStore: SettingsStore;
  readonly clock: Clock;
  /** The persisted totals changed since the last flush (stats pushes carry live counters only). */
  readonly onTotalsChanged: () => void;
}

export interface TrafficTotals {
  /** Adds what the counters grew by since the last snapshot of the same engine. */
  account(snapshot: EngineSnapshot): void;
  /** A new engine starts its counters at zero. */
  reset(): void;
  /** Starts the periodic flush. */
  start(): void;
  /** Stops the flush timer and writes what is left. */
  close(): Promise<void>;
}

export function createTrafficTotals(options: TrafficTotalsOptions): TrafficTotals {
  const { settingsStore, clock } = options;
  const last = new Map<string, { bytesIn: number; bytesOut: number }>();
  let changed = false;
  let timer: unknown = null;
  let closed = false;

  function schedule(): void {
    timer = clock.setTimeout(() => {
      timer = null;
      if (changed) {
        changed = false;
        options.onTotalsChanged();
      }
      void settingsStore.flushTotals().finally(() => {
        if (!closed) schedule();
      });
    }, TOTALS_FLUSH_MS);
  }

  return {
    account(snapshot) {
      for (const t of snapshot.tunnels) {
        const prev = last.get(t.id) ?? { bytesIn: 0, bytesOut: 0 };
        // Counters restart with a new engine: a smaller value is all new traffic.
        const dIn = t.bytesIn >= prev.bytesIn ? t.bytesIn - prev.bytesIn : t.bytesIn;
        const dOut = t.bytesOut >= prev.bytesOut ? t.bytesOut - prev.bytesOut : t.bytesOut;
        settingsStore.addTraffic(t.id, dIn, dOut);
        if (dIn > 0 || dOut > 0) changed = true;
        last.set(t.id, { bytesIn: t.bytesIn, bytesOut: t.bytesOut });
      }
    },
    reset() {
      last.clear();
    },
    start() {
      if (timer === null && !closed) schedule();
    },
    async close() {
      closed = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await settingsStore.flushTotals();
    },
  };
}
