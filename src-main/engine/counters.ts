// Per-tunnel traffic counters. The data path only adds to plain numbers (no allocation, no
// events per chunk); rates are computed from the injected clock when a snapshot is taken.

export class TunnelCounters {
  bytesIn = 0;
  bytesOut = 0;
  openConnections = 0;
  totalConnections = 0;
  failedConnections = 0;
  rateInBps = 0;
  rateOutBps = 0;
  private sampleAt: number | null = null;
  private sampleIn = 0;
  private sampleOut = 0;

  /** A stream starts carrying a local connection. */
  streamOpened(): void {
    this.openConnections += 1;
    this.totalConnections += 1;
  }

  /** A stream from streamOpened() is over; `failed` counts it as a failure. */
  streamClosed(failed: boolean): void {
    this.openConnections -= 1;
    if (failed) this.failedConnections += 1;
  }

  /** A local connection that failed before any stream carried it. */
  streamFailedToStart(): void {
    this.totalConnections += 1;
    this.failedConnections += 1;
  }

  /**
   * Recomputes rates over the time since the last sample, once at least `minWindowMs` has
   * passed (shorter windows would make the rate jumpy). Returns true if a rate changed.
   */
  sampleRates(nowMs: number, minWindowMs = 1000): boolean {
    if (this.sampleAt === null) {
      this.sampleAt = nowMs;
      this.sampleIn = this.bytesIn;
      this.sampleOut = this.bytesOut;
      return false;
    }
    const elapsed = nowMs - this.sampleAt;
    if (elapsed < minWindowMs) return false;
    const rateIn = Math.round(((this.bytesIn - this.sampleIn) * 1000) / elapsed);
    const rateOut = Math.round(((this.bytesOut - this.sampleOut) * 1000) / elapsed);
    const changed = rateIn !== this.rateInBps || rateOut !== this.rateOutBps;
    this.rateInBps = rateIn;
    this.rateOutBps = rateOut;
    this.sampleAt = nowMs;
    this.sampleIn = this.bytesIn;
    this.sampleOut = this.bytesOut;
    return changed;
  }
}
