// Two tcp_mux streams on two connections joined frame to frame (docs/protocol.md "Reaching a
// published server"): one the peer opened towards us (`inbound`), one we opened towards
// another peer (`outbound`). DATA goes on as it arrives, each side's WINDOW is passed to the
// other, so a sender may send exactly what the far end has room for and nothing waits here;
// FIN goes on as FIN and a reset (RST, a lost connection) resets the other stream. Knows
// nothing of what the streams mean; the caller answers the inbound stream's OPEN.

import type { MuxStream, StreamCarrier, StreamEnd } from './mux-stream';

export type SpliceDirection = 'inbound_to_outbound' | 'outbound_to_inbound';

export interface SpliceOptions {
  /** The outbound stream's answer: OPEN_OK (null) or OPEN_ERR (its payload). */
  onAnswer(refusal: Buffer | null): void;
  /** The outbound stream ended before it was answered (its connection went, or a reset). */
  onUnanswered(): void;
  /** Once, when both streams are over. */
  onEnd(end: { readonly reset: boolean; readonly error: string | null }): void;
  onBytes?(direction: SpliceDirection, bytes: number): void;
}

/** Carries one stream's frames to the other stream's peer. */
class FarCarrier implements StreamCarrier {
  constructor(
    private readonly near: MuxStream,
    private readonly far: MuxStream,
    private readonly direction: SpliceDirection,
    private readonly splice: Splice,
  ) {}

  data(payload: Buffer): void {
    if (this.far.isEnded) return;
    this.splice.options.onBytes?.(this.direction, payload.length);
    // The near peer was granted only what the far peer granted us (window()), so it fits.
    if (this.far.sendData(payload) < payload.length) {
      this.near.fail('splice_credit_overrun');
      this.far.fail('splice_credit_overrun');
    }
  }

  fin(): void {
    this.far.sendFin();
    this.splice.finIfDone();
  }

  window(credit: number): void {
    // The far peer may now be sent `credit` more: our peer may send us as much.
    this.far.took(credit);
    this.far.grantDue(true);
  }

  reset(): void {
    this.splice.resetFrom(this.near);
  }

  drained(): void {
    // Nothing reads a socket here: credit alone bounds what the far connection queues.
  }

  resumeCredit(): void {
    this.near.grantDue(true);
  }
}

class Splice {
  private answered = false;
  private ends: StreamEnd[] = [];

  constructor(
    private readonly inbound: MuxStream,
    private readonly outbound: MuxStream,
    readonly options: SpliceOptions,
  ) {}

  start(): void {
    const { inbound, outbound } = this;
    outbound.onOpenResult = (refusal) => {
      this.answered = true;
      this.options.onAnswer(refusal);
    };
    inbound.onEnd = (end) => this.ended(end);
    outbound.onEnd = (end) => this.ended(end);
    outbound.join(new FarCarrier(outbound, inbound, 'outbound_to_inbound', this));
    inbound.join(new FarCarrier(inbound, outbound, 'inbound_to_outbound', this));
  }

  /** Both ways FIN'd: both streams end without a reset. */
  finIfDone(): void {
    const { inbound, outbound } = this;
    if (!inbound.isClosedBothWays || !outbound.isClosedBothWays) return;
    inbound.finishWith({ reset: false, error: null, payload: null });
    outbound.finishWith({ reset: false, error: null, payload: null });
  }

  /** `from` is being reset: the other stream goes too, without calling back into `from`. */
  resetFrom(from: MuxStream): void {
    const other = from === this.inbound ? this.outbound : this.inbound;
    if (other === this.inbound && !this.answered) {
      // The inbound peer has not heard OPEN_OK: it gets a refusal, not a reset.
      this.options.onUnanswered();
      if (other.isEnded) return;
    }
    if (other.isEnded) return;
    other.writeRst();
    other.finishWith({ reset: true, error: 'far_reset', payload: null });
  }

  private ended(end: StreamEnd): void {
    this.ends.push(end);
    if (this.ends.length !== 2) return;
    const reset = this.ends.some((e) => e.reset);
    // The stream that caused the end names it; the other one only followed (far_reset).
    const cause = this.ends.find((e) => e.error !== null && e.error !== 'far_reset');
    const error = (cause ?? this.ends.find((e) => e.error !== null))?.error ?? null;
    this.options.onEnd({ reset, error });
  }
}

/**
 * Joins `inbound` (a stream the peer opened, not yet answered) to `outbound` (one this side
 * opened towards another peer, waiting for its answer). Both connections must use the same
 * window, so the credit passed from one peer to the other is credit the far stream holds.
 * The caller answers `inbound` in onAnswer / onUnanswered (accept() or refuse()).
 */
export function spliceStreams(
  inbound: MuxStream,
  outbound: MuxStream,
  options: SpliceOptions,
): void {
  if (inbound.windowSize > outbound.windowSize)
    throw new Error('a spliced stream may not take more than the far stream can send on');
  new Splice(inbound, outbound, options).start();
}
