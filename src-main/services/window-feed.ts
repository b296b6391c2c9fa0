// What the window is sent: state changes at once, counters on one trailing throttle (at most
// one stats push per SNAPSHOT_MIN_INTERVAL_MS), log records in batches. Nothing goes to a
// hidden window; on show it gets the full snapshot and then the newest records logged while
// it was hidden (bounded) with how many older ones were left out. Owns visibility only.

import type { AppSnapshot, LogBatch } from '../shared/ipc-contract';
import { SNAPSHOT_MIN_INTERVAL_MS, type LogRecord } from '../shared/model';
import type { Clock } from '../shared/clock';
import type { AppState } from './app-state';
import type { Push } from './controller-types';

/** Records kept for a hidden window; older ones are only counted (they are in the log file). */
export const DEFAULT_CATCH_UP_RECORDS = 500;
/** Log records are pushed at most this often while the window is visible. */
export const LOG_BATCH_MS = 200;

export interface WindowFeedOptions {
  readonly clock: Clock;
  readonly state: Pick<AppState, 'snapshot' | 'stampStats'>;
  /** How many records logged while hidden are pushed on show (default 500). */
  readonly catchUpRecords?: number;
}

export interface WindowFeed {
  onPush(listener: (push: Push) => void): () => void;
  /** Hidden: nothing is pushed. Shown: the full snapshot, then the catch-up of logs. */
  setVisible(visible: boolean): void;
  stateChanged(snapshot: AppSnapshot): void;
  countersChanged(): void;
  logged(record: LogRecord): void;
  close(): void;
}

export function createWindowFeed(options: WindowFeedOptions): WindowFeed {
  const { clock, state } = options;
  const catchUpLimit = Math.max(0, Math.floor(options.catchUpRecords ?? DEFAULT_CATCH_UP_RECORDS));
  const listeners = new Set<(push: Push) => void>();
  let visible = false;
  let closed = false;
  let statsTimer: unknown = null;
  let lastStatsAt = 0;
  let logTimer: unknown = null;
  let batch: LogRecord[] = [];
  /** Newest records logged while hidden, oldest first; `omitted` counts what fell off. */
  let hidden: LogRecord[] = [];
  let omitted = 0;

  function emit(push: Push): void {
    if (!visible || closed) return;
    for (const l of [...listeners]) l(push);
  }

  function keepWhileHidden(records: readonly LogRecord[]): void {
    hidden.push(...records);
    if (hidden.length > catchUpLimit) {
      omitted += hidden.length - catchUpLimit;
      hidden = hidden.slice(hidden.length - catchUpLimit);
    }
  }

  function cancel(timer: unknown): null {
    if (timer !== null) clock.clearTimeout(timer);
    return null;
  }

  function pushLogs(payload: LogBatch): void {
    if (payload.records.length > 0 || payload.omitted > 0)
      emit({ event: 'cloudbridge:logs.appended', payload });
  }

  return {
    onPush(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setVisible(isVisible) {
      if (isVisible === visible || closed) return;
      visible = isVisible;
      if (!visible) {
        // What was waiting for the next batch was never seen: it is caught up on show.
        statsTimer = cancel(statsTimer);
        logTimer = cancel(logTimer);
        keepWhileHidden(batch);
        batch = [];
        return;
      }
      emit({ event: 'cloudbridge:app.changed', payload: state.snapshot() });
      const caughtUp: LogBatch = { records: hidden, omitted, catchUp: true };
      hidden = [];
      omitted = 0;
      pushLogs(caughtUp);
    },
    stateChanged(snapshot) {
      emit({ event: 'cloudbridge:app.changed', payload: snapshot });
    },
    countersChanged() {
      if (statsTimer !== null || !visible || closed) return;
      const wait = Math.max(0, lastStatsAt + SNAPSHOT_MIN_INTERVAL_MS - clock.now());
      statsTimer = clock.setTimeout(() => {
        statsTimer = null;
        lastStatsAt = clock.now();
        emit({ event: 'cloudbridge:stats.changed', payload: state.stampStats() });
      }, wait);
    },
    logged(record) {
      if (closed) return;
      if (!visible) {
        keepWhileHidden([record]);
        return;
      }
      batch.push(record);
      logTimer ??= clock.setTimeout(() => {
        logTimer = null;
        const records = batch;
        batch = [];
        pushLogs({ records, omitted: 0, catchUp: false });
      }, LOG_BATCH_MS);
    },
    close() {
      closed = true;
      statsTimer = cancel(statsTimer);
      logTimer = cancel(logTimer);
      listeners.clear();
      batch = [];
      hidden = [];
    },
  };
}
