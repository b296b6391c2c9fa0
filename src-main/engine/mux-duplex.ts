// One tcp_mux stream as a Node Duplex (docs/protocol.md "End to end"): the transport an inner
// TLS 1.3 connection runs on. Its writes go out as DATA within the stream's credit (a write
// waits for WINDOW), the peer's DATA is pushed to its reader and credited back only once the
// reader has asked for more, FIN is end() / push(null), and a reset destroys it. Owns no
// socket; the stream (protocol/mux-stream.ts) owns credit and frames.

import { Duplex } from 'node:stream';
import type { MuxStream, StreamCarrier } from '../protocol/mux-stream';

export class MuxDuplex extends Duplex implements StreamCarrier {
  /** A write that did not fit the credit (or the connection's send buffer) yet. */
  private pendingWrite: { chunk: Buffer; done: (error?: Error | null) => void } | null = null;
  /** push() returned false: credit waits until the reader asks for more. */
  private backedUp = false;
  private sawFin = false;
  /** The stream ended on its own (a reset, a lost connection): nothing more is sent on it. */
  private streamGone = false;

  constructor(private readonly stream: MuxStream) {
    super({ allowHalfOpen: true });
    // A reset reaches the reader as the end of the stream (its TLS socket closes), not as an
    // 'error' nobody listens for.
    this.on('error', () => undefined);
    this.once('end', () => this.finishIfDone());
    // DATA and a FIN that came before this carrier are handed over now.
    stream.join(this);
  }

  // -- StreamCarrier: the peer's frames -------------------------------------------------

  data(payload: Buffer): void {
    if (this.destroyed) return;
    this.stream.took(payload.length);
    if (this.push(payload)) this.stream.grantDue(false);
    else this.backedUp = true;
  }

  fin(): void {
    this.sawFin = true;
    this.push(null);
  }

  window(): void {
    this.flushPending();
  }

  reset(): void {
    this.pendingWrite = null;
    this.streamGone = true;
    this.destroy(new Error('mux stream reset'));
  }

  drained(): void {
    this.flushPending();
  }

  resumeCredit(): void {
    if (!this.backedUp) this.stream.grantDue(false);
  }

  // -- Duplex ---------------------------------------------------------------------------

  override _read(): void {
    if (!this.backedUp) return;
    this.backedUp = false;
    this.stream.grantDue(false);
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    if (this.stream.isEnded) {
      done(new Error('mux stream is over'));
      return;
    }
    this.pendingWrite = { chunk, done };
    this.flushPending();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.stream.sendFin();
    this.finishIfDone();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.pendingWrite = null;
    const stream = this.stream;
    if (!this.streamGone && !stream.isEnded) {
      const clean = error === null && stream.finSent && stream.finReceived;
      if (!clean) stream.writeRst();
      stream.finishWith({ reset: !clean, error: error?.message ?? null, payload: null });
    }
    done(error);
  }

  /** Both FINs have gone: the stream ends cleanly once the reader has seen the end. */
  private finishIfDone(): void {
    if (this.sawFin && this.stream.finSent && this.readableEnded) this.destroy();
  }

  private flushPending(): void {
    const pending = this.pendingWrite;
    if (pending === null) return;
    const sent = this.stream.sendData(pending.chunk);
    if (sent < pending.chunk.length) {
      // Out of credit: the rest goes once the peer's WINDOW comes.
      pending.chunk = pending.chunk.subarray(sent);
      return;
    }
    if (this.stream.connectionBlocked) {
      // The connection's socket holds enough: the next write waits for its drain.
      pending.chunk = Buffer.alloc(0);
      return;
    }
    this.pendingWrite = null;
    pending.done();
  }
}
