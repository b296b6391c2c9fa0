// Snapshot delivery policy (types.ts EngineEvents): a state change is
// pushed at once; counter-only changes are coalesced into at most one push per interval
// (trailing edge). Owns timing only; building the snapshot is the caller's job.

import { SNAPSHOT_MIN_INTERVAL_MS } from '../shared/model';
import type { Clock } from '../shared/clock';

export class SnapshotThrottle {
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private timer: unknown = null;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly emit: () => void,
    private readonly minIntervalMs = SNAPSHOT_MIN_INTERVAL_MS,
  ) {}

  /** A state change: deliver now (and drop any pending counter push, this one covers it). */
  stateChanged(): void {
    if (this.closed) return;
    this.cancel();
    this.fire();
  }

  /** Counters moved: deliver within minIntervalMs, never more often. Cheap to call often. */
  countersChanged(): void {
    if (this.closed || this.timer !== null) return;
    const wait = Math.max(0, this.lastEmitAt + this.minIntervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.fire();
    }, wait);
  }

  close(): void {
    this.closed = true;
    this.cancel();
  }

  private fire(): void {
    this.lastEmitAt = this.clock.now();
    this.emit();
  }

  private cancel(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
