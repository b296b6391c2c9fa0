// The plain socket a tcp_mux stream carries (docs/protocol.md "Multiplexed data streams"): its
// bytes go out as DATA within the stream's credit (the socket pauses while there is none), the
// peer's DATA is written to it and credited back only once it took them without
// back-pressure, FIN maps to a half-close and a reset to a TCP reset. Owns the socket's
// listeners and state; the stream (mux-stream.ts) owns credit and frames.

import type net from 'node:net';
import { guard } from './guard';
import type { MuxStream, StreamCarrier } from './mux-stream';
import { resetSocket } from './socket-reset';

export class SocketCarrier implements StreamCarrier {
  private waitingDrain = false;
  /** The socket is corked while the pieces of one DATA frame arrive. */
  private corked = false;
  /** A write() of the current frame returned false. */
  private refused = false;
  /** The part of a socket chunk that did not fit the credit; the socket is paused meanwhile. */
  private pendingOut: Buffer | null = null;
  /** The socket's read side ended with a FIN (its 'end'); pendingOut, if any, goes before it. */
  private sawEnd = false;
  /** The socket closed cleanly while bytes still waited for credit: FIN, then done. */
  private closedAwaitingFin = false;
  private firstError: string | null = null;

  constructor(
    private readonly stream: MuxStream,
    private readonly socket: net.Socket,
  ) {
    // A throw here is ours, not the peer's; it still ends only this stream.
    const onThrow = (reason: string): void => stream.fail(reason);
    socket.on(
      'data',
      guard((chunk: Buffer) => {
        stream.onBytes?.('to_peer', chunk.length);
        this.send(chunk);
      }, onThrow),
    );
    socket.on(
      'end',
      guard(() => {
        this.sawEnd = true;
        if (this.pendingOut === null) this.sendFin();
      }, onThrow),
    );
    socket.on('finish', () => {
      // Both ways done; but bytes still waiting for credit (and our FIN after them) keep it open.
      if (socket.readableEnded && stream.finSent) socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.firstError ??= error.code ?? error.message;
    });
    socket.on(
      'close',
      guard(() => this.onSocketClosed(), onThrow),
    );
  }

  /** Starts reading the socket, after `initial` (bytes already read from it) has gone out. */
  start(initial?: Buffer): void {
    if (this.stream.isEnded) return;
    if (initial !== undefined && initial.length > 0) {
      this.stream.onBytes?.('to_peer', initial.length);
      this.send(initial);
      if (this.pendingOut !== null) return;
    }
    this.socket.resume();
  }

  data(payload: Buffer, more: boolean): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    this.stream.onBytes?.('from_peer', payload.length);
    // A frame that arrives in pieces (TLS hands over 16 KiB at a time) goes out in one
    // writev, not in one syscall per piece.
    if (more && !this.corked) {
      socket.cork();
      this.corked = true;
    }
    if (!socket.write(payload)) this.refused = true;
    this.stream.took(payload.length);
    if (more) return;
    if (this.corked) {
      this.corked = false;
      socket.uncork();
    }
    // Credit only for bytes the socket has taken without back-pressure (docs/protocol.md):
    // a write() that returned false with bytes still queued arms 'drain'.
    const backPressure = this.refused && socket.writableLength > 0;
    this.refused = false;
    if (backPressure) {
      if (!this.waitingDrain) {
        this.waitingDrain = true;
        socket.once('drain', () => {
          this.waitingDrain = false;
          this.stream.grantDue(false);
        });
      }
    } else if (!this.waitingDrain) {
      this.stream.grantDue(false);
    }
  }

  fin(): void {
    this.socket.end();
  }

  window(): void {
    const pending = this.pendingOut;
    if (pending === null) return;
    this.pendingOut = null;
    this.send(pending);
    if (this.pendingOut !== null) return;
    if (this.sawEnd) this.sendFin();
    else if (!this.stream.connectionBlocked) this.socket.resume();
  }

  reset(): void {
    this.pendingOut = null;
    resetSocket(this.socket);
  }

  drained(): void {
    // A stream paused for credit stays paused until its WINDOW comes.
    if (this.pendingOut === null && !this.stream.finSent) this.socket.resume();
  }

  resumeCredit(): void {
    // Still backed up: 'drain' grants.
    if (!this.waitingDrain) this.stream.grantDue(false);
  }

  private send(chunk: Buffer): void {
    const sent = this.stream.sendData(chunk);
    if (sent < chunk.length) {
      this.pendingOut = sent === 0 ? chunk : chunk.subarray(sent);
      this.socket.pause();
    } else if (this.stream.connectionBlocked) {
      this.socket.pause();
    }
  }

  private sendFin(): void {
    if (!this.stream.sendFin()) return;
    if (this.closedAwaitingFin) {
      this.stream.finishWith({ reset: false, error: null, payload: null });
      return;
    }
    if (this.socket.writableFinished) this.socket.destroy();
  }

  private onSocketClosed(): void {
    const stream = this.stream;
    if (stream.isEnded) return;
    const clean = this.sawEnd && stream.finReceived && this.firstError === null;
    if (clean && !stream.finSent) {
      // Node closes a socket once both ways are done, possibly while the last bytes it read
      // still wait for credit: they, and the FIN after them, still go out (window()).
      this.closedAwaitingFin = true;
      return;
    }
    // A socket that closed without both FINs (destroyed, reset, failed) resets the peer's side.
    if (!clean) stream.writeRst();
    stream.finishWith({ reset: !clean, error: this.firstError, payload: null });
  }
}
