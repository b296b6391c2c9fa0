// What one mux connection may owe its peer in frames other than DATA (PONG, WINDOW, OPEN_ERR,
// RST, ...: mostly answers to the peer's own frames). Past a soft limit the connection stops
// reading from the peer until the peer has taken them; past a hard limit, or paused longer than
// a stall deadline, it is closed (docs/protocol.md#limits). DATA is bounded by credit instead.
// Counts bytes from socket.write() to its callback; does no I/O itself.

import type { Clock } from '../shared/clock';

/** Unsent non-DATA bytes above which a mux connection stops reading from its peer. */
export const MUX_CONTROL_OUTPUT_LIMIT = 256 * 1024;
/** The hard limit is this many times the soft one: past it the connection is closed at once. */
export const MUX_CONTROL_OUTPUT_HARD_FACTOR = 4;
/** A connection paused for its peer this long without the peer taking its output is closed. */
export const MUX_OUTPUT_STALL_MS = 30_000;

export interface OutputBudgetOptions {
  readonly softLimit: number;
  readonly hardLimit: number;
  /** 0: no deadline (the hard limit still holds). */
  readonly stallMs: number;
  readonly clock: Clock;
  /** Stop reading from the peer. */
  readonly pause: () => void;
  /** Go on reading from the peer. */
  readonly resume: () => void;
  /** The peer does not take what it is owed: close the connection, naming `reason`. */
  readonly overflow: (reason: string) => void;
}

export class OutputBudget {
  private unsent = 0;
  /** Sizes of the writes not yet called back, oldest at `head` (callbacks come in order). */
  private sizes: number[] = [];
  private head = 0;
  private paused = false;
  private stallTimer: unknown = null;
  private done = false;
  /** Times reading was paused because of this budget (for metrics and tests). */
  pauses = 0;

  constructor(private readonly options: OutputBudgetOptions) {}

  get unsentBytes(): number {
    return this.unsent;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Counts `bytes` about to be written; pass `flushed` as that write's callback. */
  charge(bytes: number): void {
    if (this.done) return;
    this.unsent += bytes;
    this.sizes.push(bytes);
    const { softLimit, hardLimit } = this.options;
    if (this.unsent > hardLimit) {
      this.fail(`peer left ${this.unsent} bytes of control frames unread (limit ${hardLimit})`);
      return;
    }
    if (this.paused || this.unsent <= softLimit) return;
    this.paused = true;
    this.pauses += 1;
    this.options.pause();
    if (this.options.stallMs <= 0) return;
    this.stallTimer = this.options.clock.setTimeout(() => {
      this.stallTimer = null;
      this.fail(
        `peer read none of ${this.unsent} bytes of control frames for ${this.options.stallMs} ms`,
      );
    }, this.options.stallMs);
  }

  /** The write callback of a charged write. */
  readonly flushed = (): void => {
    if (this.done || this.head >= this.sizes.length) return;
    this.unsent -= this.sizes[this.head] ?? 0;
    this.head += 1;
    if (this.head === this.sizes.length) {
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    // Half the soft limit before reading again, so a peer at the limit does not flip it per frame.
    if (!this.paused || this.unsent > this.options.softLimit / 2) return;
    this.paused = false;
    this.clearStall();
    this.options.resume();
  };

  /** The connection is gone: no timer may outlive it. */
  dispose(): void {
    this.done = true;
    this.clearStall();
  }

  private fail(reason: string): void {
    this.dispose();
    this.options.overflow(reason);
  }

  private clearStall(): void {
    if (this.stallTimer === null) return;
    this.options.clock.clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }
}
