// One stream of a tcp_mux connection (docs/protocol.md "Multiplexed data streams"): its id and
// direction, the OPEN answer, per-stream credit both ways, FIN as FIN, RST as reset, and its
// end. Where its bytes go is its carrier: a plain socket (mux-socket-carrier.ts) or a stream
// it is spliced to (mux-splice.ts). Writes frames only through its connection
// (mux-connection.ts), which owns the wire.

import type net from 'node:net';
import type { MuxConnection } from './mux-connection';
import {
  encodeFrame,
  encodeWindow,
  FrameType,
  MAX_FRAME_PAYLOAD,
  MAX_WINDOW_CREDIT,
} from './mux-frames';
import { SocketCarrier } from './mux-socket-carrier';
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

/** What the peer's frames become once the stream has checked and counted them. */
export interface StreamCarrier {
  /** DATA, within credit; `more`: the frame goes on in a later piece. */
  data(payload: Buffer, more: boolean): void;
  fin(): void;
  /** The peer granted `credit`, already added to the stream's send credit. */
  window(credit: number): void;
  /** The stream is reset (either side, a lost connection, a failure). */
  reset(): void;
  /** The connection's socket drained. */
  drained(): void;
  /** resumeCredit(): the relay's buffer budget lets credit go again. */
  resumeCredit(): void;
}

export class MuxStream {
  /** Counts payload bytes as they pass (cheap; no allocation). */
  onBytes: ((direction: MuxDirection, bytes: number) => void) | null = null;
  /** The side that sent the OPEN: OPEN_OK (null) or OPEN_ERR (its payload). */
  onOpenResult: ((refusal: Buffer | null) => void) | null = null;
  /** Once, when the stream is over. */
  onEnd: ((end: StreamEnd) => void) | null = null;
  /** Relay: asked before each WINDOW grant; true holds the credit back until resumeCredit(). */
  holdCredit: (() => boolean) | null = null;

  private carrier: StreamCarrier | null = null;
  /** An outbound stream (this side sent the OPEN) has had its answer; inbound ones always. */
  private answered: boolean;
  private sendCredit: number;
  private recvCredit: number;
  /** Bytes the carrier has taken whose credit has not been granted back yet. */
  private ungranted = 0;
  /** DATA that arrived before a carrier (relay: while dialling); at most a window. */
  private pendingIn: Buffer[] = [];
  private finSentValue = false;
  private finReceivedValue = false;
  private ended = false;

  constructor(
    private readonly conn: MuxConnection,
    readonly id: number,
    /** True when this side sent the OPEN (the peer answers it). */
    readonly outbound = false,
  ) {
    this.sendCredit = conn.window;
    this.recvCredit = conn.window;
    this.answered = !outbound;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get finSent(): boolean {
    return this.finSentValue;
  }

  get finReceived(): boolean {
    return this.finReceivedValue;
  }

  /** FIN sent and received: both ways are done. */
  get isClosedBothWays(): boolean {
    return this.finSentValue && this.finReceivedValue;
  }

  /** The window of its connection: what each side may send before a WINDOW. */
  get windowSize(): number {
    return this.conn.window;
  }

  /** Credit the peer may still use: bytes it may send before another WINDOW. */
  get receiveCredit(): number {
    return this.recvCredit;
  }

  /** Credit this side may still use towards its peer. */
  get sendCreditLeft(): number {
    return this.sendCredit;
  }

  /** Bytes the connection's socket holds unsent (all its streams together). */
  get connectionQueuedBytes(): number {
    return this.conn.queuedBytes;
  }

  /** The receiving side: the stream is open (its target is connected). */
  accept(): void {
    if (!this.ended) this.conn.write(encodeFrame(FrameType.OPEN_OK, this.id));
  }

  /** The receiving side: refused with an `error` JSON; anything pipelined is dropped. */
  refuse(error: Record<string, unknown>): void {
    if (this.ended) return;
    this.conn.write(encodeFrame(FrameType.OPEN_ERR, this.id, Buffer.from(JSON.stringify(error))));
    this.finish({
      reset: true,
      error: typeof error['code'] === 'string' ? error['code'] : 'refused',
      payload: null,
    });
  }

  /** Resets the stream both ways (user disconnect, engine close), and what carries it. */
  reset(): void {
    if (this.ended) return;
    this.writeRst();
    this.endWithReset('local_reset');
  }

  /**
   * Carries `socket` on this stream from now on: its bytes go out as DATA (after `initial`,
   * bytes already read from it), DATA comes in.
   */
  attach(socket: net.Socket, initial?: Buffer): void {
    if (this.ended || this.carrier !== null) {
      resetSocket(socket);
      return;
    }
    const carrier = new SocketCarrier(this, socket);
    this.join(carrier);
    carrier.start(initial);
  }

  /** @internal Gives the stream its carrier: DATA, then a FIN, that waited for one go first. */
  join(carrier: StreamCarrier): void {
    if (this.ended || this.carrier !== null) return;
    this.carrier = carrier;
    const pending = this.pendingIn;
    this.pendingIn = [];
    for (const payload of pending) carrier.data(payload, false);
    if (this.finReceivedValue) carrier.fin();
  }

  /** @internal The connection's TLS socket drained. */
  resumeIfClear(): void {
    if (!this.ended) this.carrier?.drained();
  }

  /** @internal Sends up to `chunk.length` bytes as DATA within credit; returns how many went. */
  sendData(chunk: Buffer): number {
    let offset = 0;
    const length = chunk.length;
    while (offset < length && this.sendCredit > 0) {
      const n = Math.min(length - offset, this.sendCredit, MAX_FRAME_PAYLOAD);
      this.conn.writeData(this.id, chunk.subarray(offset, offset + n));
      this.sendCredit -= n;
      offset += n;
    }
    return offset;
  }

  /** @internal The connection's socket holds enough: carriers stop reading. */
  get connectionBlocked(): boolean {
    return this.conn.blocked;
  }

  /** @internal Sends our FIN once; false when it was sent already or the stream is over. */
  sendFin(): boolean {
    if (this.finSentValue || this.ended) return false;
    this.finSentValue = true;
    this.conn.write(encodeFrame(FrameType.FIN, this.id));
    return true;
  }

  /** @internal The carrier took `bytes` of the peer's DATA: credit for them may be granted. */
  took(bytes: number): void {
    this.ungranted += bytes;
  }

  /**
   * @internal Grants what was taken: in halves of the window for a socket (one small TLS record
   * per 512 KiB, and the sender always has credit left), whole when `whole`; never while
   * holdCredit holds it back.
   */
  grantDue(whole: boolean): void {
    if (this.ungranted === 0) return;
    if (!whole && this.ungranted < this.conn.window / 2) return;
    if (this.holdCredit?.() === true) return;
    if (this.ended || this.finReceivedValue) return;
    this.conn.write(encodeWindow(this.id, this.ungranted));
    this.recvCredit += this.ungranted;
    this.ungranted = 0;
  }

  /** Grants what holdCredit held back, unless the carrier still waits for its socket. */
  resumeCredit(): void {
    if (this.ended) return;
    if (this.carrier !== null) this.carrier.resumeCredit();
    else this.grantDue(false);
  }

  /** @internal */
  writeRst(): void {
    this.conn.write(encodeFrame(FrameType.RST, this.id));
  }

  /** @internal The stream ends; `error` names why. */
  finishWith(end: StreamEnd): void {
    this.finish(end);
  }

  /** @internal Something threw while carrying this stream: reset it both ways, naming why. */
  fail(reason: string): void {
    if (this.ended) return;
    this.writeRst();
    this.endWithReset(reason);
  }

  /** @internal */
  handleOpenResult(refusal: Buffer | null): void {
    if (this.answered) {
      this.conn.protocolError(`stream ${this.id} answered twice`);
      return;
    }
    this.answered = true;
    this.onOpenResult?.(refusal);
    if (refusal === null || this.ended) return;
    // OPEN_ERR ends the stream on the peer's side: reset ours, send nothing more.
    this.carrier?.reset();
    this.finish({ reset: true, error: 'refused', payload: refusal });
  }

  /** @internal `more`: the frame goes on in a later piece (see FrameDecoder). */
  handleData(payload: Buffer, more = false): void {
    if (this.ended || this.finReceivedValue) return;
    if (!this.answered) {
      this.conn.protocolError(`DATA on stream ${this.id} before its OPEN_OK`);
      return;
    }
    this.recvCredit -= payload.length;
    if (this.recvCredit < 0) {
      this.conn.protocolError(`stream ${this.id} sent beyond its window`);
      return;
    }
    if (this.carrier === null) this.pendingIn.push(payload);
    else this.carrier.data(payload, more);
  }

  /** @internal */
  handleWindow(credit: number): void {
    if (this.ended) return;
    if (this.sendCredit + credit > MAX_WINDOW_CREDIT) {
      this.conn.protocolError(`bad_payload: WINDOW takes stream ${this.id}'s credit above 2^31-1`);
      return;
    }
    this.sendCredit += credit;
    this.carrier?.window(credit);
  }

  /** @internal */
  handleFin(): void {
    if (this.ended || this.finReceivedValue) return;
    if (!this.answered) {
      this.conn.protocolError(`FIN on stream ${this.id} before its OPEN_OK`);
      return;
    }
    this.finReceivedValue = true;
    this.carrier?.fin();
  }

  /** @internal */
  handleRst(payload: Buffer): void {
    if (this.ended) return;
    this.carrier?.reset();
    this.finish({ reset: true, error: 'peer_reset', payload: payload.length > 0 ? payload : null });
  }

  /** @internal The mux connection is gone. */
  abort(reason: string): void {
    if (this.ended) return;
    this.endWithReset(reason);
  }

  private endWithReset(reason: string): void {
    this.carrier?.reset();
    this.finish({ reset: true, error: reason, payload: null });
  }

  private finish(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.pendingIn = [];
    this.conn.forget(this);
    this.onEnd?.(end);
  }
}
