// One stream of a tcp_mux connection (docs/protocol.md "Multiplexed data streams"): the plain
// socket it carries, per-stream credit both ways (granted only for bytes the socket took
// without back-pressure), FIN as FIN, RST as reset. Writes frames only through its connection
// (mux-connection.ts), which owns the wire.

import type net from 'node:net';
import { guard } from './guard';
import type { MuxConnection } from './mux-connection';
import {
  encodeFrame,
  encodeWindow,
  FrameType,
  MAX_FRAME_PAYLOAD,
  MAX_WINDOW_CREDIT,
} from './mux-frames';
import { resetSocket } from './socket-reset';

/** socket -> peer is `to_peer`; peer -> socket is `from_peer`. */
export type MuxDirection = 'to_peer' | 'from_peer';

export interface StreamEnd {
  /** The stream ended in a reset (either side, or its mux connection died). */
  readonly reset: boolean;
  /** Why, when known: a socket error code, `peer_reset`, `mux_connection_lost`, a relay error code. */
  readonly error: string | null;
  /** The peer's RST or OPEN_ERR payload (an `error` JSON), if it carried one. */
  readonly payload: Buffer | null;
}

export class MuxStream {
  /** Counts payload bytes as they pass (cheap; no allocation). */
  onBytes: ((direction: MuxDirection, bytes: number) => void) | null = null;
  /** Client: OPEN_OK (null) or OPEN_ERR (its payload). */
  onOpenResult: ((refusal: Buffer | null) => void) | null = null;
  /** Once, when the stream is over. */
  onEnd: ((end: StreamEnd) => void) | null = null;
  /** Relay: asked before each WINDOW grant; true holds the credit back until resumeCredit(). */
  holdCredit: (() => boolean) | null = null;

  private socket: net.Socket | null = null;
  private sendCredit: number;
  private recvCredit: number;
  /** Bytes written to the socket whose credit has not been granted back yet. */
  private ungranted = 0;
  private waitingDrain = false;
  /** The socket is corked while the pieces of one DATA frame arrive. */
  private corked = false;
  /** A write() of the current frame returned false. */
  private refused = false;
  /** DATA that arrived before a socket was attached (relay: while dialling); at most a window. */
  private pendingIn: Buffer[] = [];
  /** The part of a socket chunk that did not fit the credit; the socket is paused meanwhile. */
  private pendingOut: Buffer | null = null;
  /** The socket's read side ended with a FIN (its 'end'); pendingOut, if any, goes before it. */
  private sawEnd = false;
  /** The socket closed cleanly while bytes still waited for credit: FIN, then done. */
  private closedAwaitingFin = false;
  private finSent = false;
  private finReceived = false;
  private ended = false;
  private firstError: string | null = null;

  constructor(
    private readonly conn: MuxConnection,
    readonly id: number,
  ) {
    this.sendCredit = conn.window;
    this.recvCredit = conn.window;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Relay: the target is connected. */
  accept(): void {
    if (!this.ended) this.conn.write(encodeFrame(FrameType.OPEN_OK, this.id));
  }

  /** Relay: the stream is refused with an `error` JSON; anything pipelined is dropped. */
  refuse(error: Record<string, unknown>): void {
    if (this.ended) return;
    this.conn.write(encodeFrame(FrameType.OPEN_ERR, this.id, Buffer.from(JSON.stringify(error))));
    this.finish({
      reset: true,
      error: typeof error['code'] === 'string' ? error['code'] : 'refused',
      payload: null,
    });
  }

  /** Resets the stream both ways (user disconnect, engine close). */
  reset(): void {
    if (this.ended) return;
    this.conn.write(encodeFrame(FrameType.RST, this.id));
    if (this.socket !== null) resetSocket(this.socket);
    this.finish({ reset: true, error: 'local_reset', payload: null });
  }

  /** Carries `socket` on this stream from now on: its bytes go out as DATA, DATA comes in. */
  attach(socket: net.Socket): void {
    if (this.ended) {
      resetSocket(socket);
      return;
    }
    this.socket = socket;
    // A throw here is ours, not the peer's; it still ends only this stream.
    const onThrow = (reason: string): void => this.fail(reason);
    socket.on(
      'data',
      guard((chunk: Buffer) => {
        this.onBytes?.('to_peer', chunk.length);
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
      if (socket.readableEnded && this.finSent) socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.firstError ??= error.code ?? error.message;
    });
    socket.on(
      'close',
      guard(() => this.onSocketClosed(), onThrow),
    );
    const pending = this.pendingIn;
    this.pendingIn = [];
    for (const payload of pending) this.writeToSocket(payload);
    if (this.finReceived) socket.end();
    socket.resume();
  }

  /** @internal The connection's TLS socket drained: go on reading unless credit holds us. */
  resumeIfClear(): void {
    if (this.socket !== null && this.pendingOut === null && !this.ended && !this.finSent)
      this.socket.resume();
  }

  private send(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length && this.sendCredit > 0) {
      const n = Math.min(length - offset, this.sendCredit, MAX_FRAME_PAYLOAD);
      this.conn.writeData(this.id, chunk.subarray(offset, offset + n));
      this.sendCredit -= n;
      offset += n;
    }
    if (offset < length) {
      this.pendingOut = offset === 0 ? chunk : chunk.subarray(offset);
      this.socket?.pause();
    } else if (this.conn.blocked) {
      this.socket?.pause();
    }
  }

  private sendFin(): void {
    if (this.finSent || this.ended) return;
    this.finSent = true;
    this.conn.write(encodeFrame(FrameType.FIN, this.id));
    if (this.closedAwaitingFin) {
      this.finish({ reset: false, error: null, payload: null });
      return;
    }
    const socket = this.socket;
    if (socket !== null && socket.writableFinished) socket.destroy();
  }

  /** @internal */
  handleOpenResult(refusal: Buffer | null): void {
    this.onOpenResult?.(refusal);
    if (refusal === null) return;
    // OPEN_ERR ends the stream on the relay's side: reset ours, send nothing more.
    if (this.socket !== null) resetSocket(this.socket);
    this.finish({ reset: true, error: 'refused', payload: refusal });
  }

  /** @internal `more`: the frame goes on in a later piece (see FrameDecoder). */
  handleData(payload: Buffer, more = false): void {
    if (this.ended || this.finReceived) return;
    this.recvCredit -= payload.length;
    if (this.recvCredit < 0) {
      this.conn.protocolError(`stream ${this.id} sent beyond its window`);
      return;
    }
    if (this.socket === null) this.pendingIn.push(payload);
    else this.writeToSocket(payload, more);
  }

  private writeToSocket(payload: Buffer, more = false): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    this.onBytes?.('from_peer', payload.length);
    // A frame that arrives in pieces (TLS hands over 16 KiB at a time) goes out in one
    // writev, not in one syscall per piece.
    if (more && !this.corked) {
      socket.cork();
      this.corked = true;
    }
    if (!socket.write(payload)) this.refused = true;
    this.ungranted += payload.length;
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
          this.grantHalfWindow();
        });
      }
    } else if (!this.waitingDrain) {
      this.grantHalfWindow();
    }
  }

  /**
   * Half a window per WINDOW frame: one small TLS record per 512 KiB. What stays ungranted is
   * under half the window, so the sender always has credit left to send more.
   */
  private grantHalfWindow(): void {
    if (this.ungranted >= this.conn.window / 2 && this.holdCredit?.() !== true) this.grant();
  }

  /** Credit the peer may still use: bytes it may send before another WINDOW. */
  get receiveCredit(): number {
    return this.recvCredit;
  }

  /** Grants what holdCredit held back, unless the socket is still backed up ('drain' will). */
  resumeCredit(): void {
    if (!this.ended && !this.waitingDrain) this.grantHalfWindow();
  }

  private grant(): void {
    if (this.ended || this.ungranted === 0 || this.finReceived) return;
    this.conn.write(encodeWindow(this.id, this.ungranted));
    this.recvCredit += this.ungranted;
    this.ungranted = 0;
  }

  /** @internal */
  handleWindow(credit: number): void {
    if (this.ended) return;
    if (this.sendCredit + credit > MAX_WINDOW_CREDIT) {
      this.conn.protocolError(`bad_payload: WINDOW takes stream ${this.id}'s credit above 2^31-1`);
      return;
    }
    this.sendCredit += credit;
    const pending = this.pendingOut;
    if (pending === null) return;
    this.pendingOut = null;
    this.send(pending);
    if (this.pendingOut !== null) return;
    if (this.sawEnd) this.sendFin();
    else if (!this.conn.blocked) this.socket?.resume();
  }

  /** @internal */
  handleFin(): void {
    if (this.ended || this.finReceived) return;
    this.finReceived = true;
    const socket = this.socket;
    if (socket === null) return;
    socket.end();
  }

  /** @internal */
  handleRst(payload: Buffer): void {
    if (this.ended) return;
    if (this.socket !== null) resetSocket(this.socket);
    this.finish({ reset: true, error: 'peer_reset', payload: payload.length > 0 ? payload : null });
  }

  /** Something threw while carrying this stream: reset it both ways, naming why. */
  private fail(reason: string): void {
    if (this.ended) return;
    this.conn.write(encodeFrame(FrameType.RST, this.id));
    if (this.socket !== null) resetSocket(this.socket);
    this.finish({ reset: true, error: reason, payload: null });
  }

  /** @internal The mux connection is gone. */
  abort(reason: string): void {
    if (this.ended) return;
    if (this.socket !== null) resetSocket(this.socket);
    this.finish({ reset: true, error: reason, payload: null });
  }

  private onSocketClosed(): void {
    if (this.ended) return;
    const clean = this.sawEnd && this.finReceived && this.firstError === null;
    if (clean && !this.finSent) {
      // Node closes a socket once both ways are done, possibly while the last bytes it read
      // still wait for credit: they, and the FIN after them, still go out (handleWindow).
      this.closedAwaitingFin = true;
      return;
    }
    // A socket that closed without both FINs (destroyed, reset, failed) resets the peer's side.
    if (!clean) this.conn.write(encodeFrame(FrameType.RST, this.id));
    this.finish({ reset: !clean, error: this.firstError, payload: null });
  }

  private finish(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.pendingIn = [];
    this.pendingOut = null;
    this.conn.forget(this);
    this.onEnd?.(end);
  }
}
