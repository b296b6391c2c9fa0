// What every part of the engine shares: the clock, the scrubbing logger, the error tally and
// the two ways to say "a snapshot would now look different". Built once by engine.ts; owns no
// session, tunnel or socket state.

import type { Clock } from '../shared/clock';
import type { LogFn, SecretSet } from './log';

export interface EngineContext {
  readonly clock: Clock;
  readonly log: LogFn;
  /** Values redacted wherever they appear in a log record (tokens, stream tokens). */
  readonly secrets: SecretSet;
  /** Counts one failure by code, for `cloudbridge_errors_total`. */
  countError(code: string): void;
  /** Something a snapshot shows changed: pushed at once. */
  stateChanged(): void;
  /** Only counters moved: pushed within the throttle interval. Called per chunk: keep it direct. */
  readonly countersChanged: () => void;
}

/** Failures seen so far, by code; the one owner of the counts metrics.ts reads. */
export class ErrorTally {
  private readonly counts = new Map<string, number>();

  add(code: string): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  get byCode(): ReadonlyMap<string, number> {
    return this.counts;
  }
}
