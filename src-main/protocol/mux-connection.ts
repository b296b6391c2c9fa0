// Streams over one tcp_mux connection, for both ends (docs/protocol.md "Multiplexed data
// streams"): frame dispatch, per-stream credit, FIN as FIN and RST as reset, one plain socket
// attached per stream, a bound on what the peer is owed. Knows nothing of tunnels, tokens or
// relay checks: callers decide what an OPEN means and which socket a stream carries. Nothing a
// peer sends throws out of a socket handler: it closes this connection, naming the reason.

import type net from 'node:net';
import { systemClock, type Clock } from '../shared/clock';
import { guard } from './guard';
import {
  encodeDataHeader,
  encodeFrame,
  encodeWindow,
  FrameDecoder,
  FrameType,
  MAX_FRAME_PAYLOAD,
  MAX_WINDOW_CREDIT,
  readWindowCredit,
  type Frame,
} from './mux-frames';
import {
  MUX_CONTROL_OUTPUT_HARD_FACTOR,
  MUX_CONTROL_OUTPUT_LIMIT,
  MUX_OUTPUT_STALL_MS,
  OutputBudget,
} from './mux-output-budget';
import { resetSocket } from './socket-reset';

/**
 * Per-stream, per-direction credit before a WINDOW is needed (docs/protocol.md). A window is
 * in flight per round trip through two busy event loops (a few ms); 1 MiB keeps one stream
 * from stalling on credit at loopback rates, where 512 KiB measurably did.
 */
export const DEFAULT_MUX_WINDOW = 1024 * 1024;
export const DEFAULT_MUX_MAX_STREAMS = 256;
/**
 * Bytes the TLS socket may hold unsent before stream sockets pause. Its own high-water mark
 * (16 KiB) is below one 64 KiB frame, so pausing on write() === false would stop and restart
 * every stream socket after every chunk.
 */
export const MUX_SEND_BUFFER = 512 * 1024;
const MAX_CLIENT_STREAM_ID = 0xffff_ffff;

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

export interface MuxConnectionOptions {
  /** The data connection, past its mux_open / mux_response lines. */
  readonly socket: net.Socket;
  readonly role: 'client' | 'relay';
  /** Bytes that arrived after the handshake line. */
  readonly initial?: Buffer;
  readonly window?: number;
  readonly maxStreams?: number;
  /** Relay: the peer opened a stream; answer with accept()+attach() or refuse(). */
  readonly onOpen?: (stream: MuxStream, payload: Buffer) => void;
  /** Once, when the connection is gone; `error` names a protocol violation or socket error. */
  readonly onClosed: (error: string | null) => void;
  readonly onPong?: () => void;
  /** Unsent non-DATA bytes above which reading from the peer pauses (docs/protocol.md#limits). */
  readonly controlOutputLimit?: number;
  /** Paused for the peer this long without it reading: the connection is closed (0: never). */
  readonly outputStallMs?: number;
  /** Reading paused because the peer leaves its answers unread (a metric, a log record). */
  readonly onOutputPaused?: () => void;
  readonly clock?: Clock;
}

export class MuxConnection {
  readonly window: number;
  readonly maxStreams: number;
  private readonly socket: net.Socket;
  private readonly streams = new Map<number, MuxStream>();
  private readonly decoder = new FrameDecoder();
  private nextId = 1;
  private lastPeerId = 0;
  /** The TLS socket holds MUX_SEND_BUFFER or more: stream sockets wait for 'drain'. */
  blocked = false;
  private closed = false;
  private closeError: string | null = null;
  private readonly budget: OutputBudget;
  /** Non-DATA frames written while one chunk is dispatched; they leave as one write. */
  private batch: Buffer[] | null = null;

  constructor(private readonly options: MuxConnectionOptions) {
    this.socket = options.socket;
    this.window = options.window ?? DEFAULT_MUX_WINDOW;
    this.maxStreams = options.maxStreams ?? DEFAULT_MUX_MAX_STREAMS;
    const socket = this.socket;
    // A limit of 0 would close a connection on its first PONG: it means the default.
    const softLimit =
      options.controlOutputLimit !== undefined && options.controlOutputLimit > 0
        ? options.controlOutputLimit
        : MUX_CONTROL_OUTPUT_LIMIT;
    this.budget = new OutputBudget({
      softLimit,
      hardLimit: softLimit * MUX_CONTROL_OUTPUT_HARD_FACTOR,
      stallMs: options.outputStallMs ?? MUX_OUTPUT_STALL_MS,
      clock: options.clock ?? systemClock,
      pause: () => {
        socket.pause();
        options.onOutputPaused?.();
      },
      resume: () => {
        if (!this.closed) socket.resume();
      },
      overflow: (reason) => this.protocolError(`output_overflow: ${reason}`),
    });
    const onThrow = (reason: string): void => this.protocolError(reason);
    socket.on(
      'data',
      guard((chunk: Buffer) => this.onChunk(chunk), onThrow),
    );
    socket.on(
      'drain',
      guard(() => {
        // Only send() pauses streams for the connection, and only once blocked is set; a stream
        // paused for credit stays paused (resumeIfClear).
        if (!this.blocked) return;
        this.blocked = false;
        for (const stream of this.streams.values()) stream.resumeIfClear();
      }, onThrow),
    );
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.closeError ??= error.code ?? error.message;
    });
    // A FIN on the mux connection ends every stream: there is no half-closed mux connection.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => this.onSocketClosed());
    if (options.initial !== undefined && options.initial.length > 0)
      guard((chunk: Buffer) => this.onChunk(chunk), onThrow)(options.initial);
    if (!this.budget.isPaused) socket.resume();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Client: room for one more stream on this connection. */
  get hasCapacity(): boolean {
    return (
      !this.closed && this.streams.size < this.maxStreams && this.nextId <= MAX_CLIENT_STREAM_ID
    );
  }

  /** Client: sends OPEN; the caller attaches the local socket at once (pipelining). */
  openStream(payload: Buffer): MuxStream {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new MuxStream(this, id);
    this.streams.set(id, stream);
    this.write(encodeFrame(FrameType.OPEN, id, payload));
    return stream;
  }

  ping(payload: Buffer): void {
    this.write(encodeFrame(FrameType.PING, 0, payload));
  }

  /** Closes the connection; every stream on it is reset. */
  destroy(error: string | null = null): void {
    if (error !== null) this.closeError ??= error;
    this.socket.destroy();
  }

  /** @internal A frame other than DATA: counted against the output budget. */
  write(frame: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.batch !== null) {
      this.batch.push(frame);
      return;
    }
    this.writeControl(frame);
  }

  private writeControl(bytes: Buffer): void {
    this.budget.charge(bytes.length);
    if (this.closed || this.socket.destroyed) return;
    // write() returning false arms 'drain', which fires once everything is sent.
    this.socket.write(bytes, this.budget.flushed);
    if (this.socket.writableLength >= MUX_SEND_BUFFER) this.blocked = true;
  }

  /** Sends the frames batched so far, before anything written after them. */
  private flushBatch(): void {
    const batch = this.batch;
    if (batch === null || batch.length === 0) return;
    this.batch = [];
    if (this.closed || this.socket.destroyed) return;
    this.writeControl(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
  }

  /** @internal One DATA frame, copying the payload only when that saves a TLS write. */
  writeData(streamId: number, payload: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    // Frames batched before this one go first: the order on the wire is the order of calls.
    this.flushBatch();
    if (this.socket.writableLength === 0) {
      // The socket is idle and writes at once: header and payload must be one buffer, or
      // they would go out as two TLS records and two syscalls.
      this.write(encodeFrame(FrameType.DATA, streamId, payload));
      return;
    }
    // A write is in progress, so these queue, and queued writes leave together in one writev
    // that Node's TLS layer joins into one buffer anyway: joining here would copy twice.
    this.socket.write(encodeDataHeader(streamId, payload.length));
    this.socket.write(payload);
    if (this.socket.writableLength >= MUX_SEND_BUFFER) this.blocked = true;
  }

  /** @internal */
  forget(stream: MuxStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  /** Throws for a frame the decoder refuses or anything dispatch trips on (see guard()). */
  private onChunk(chunk: Buffer): void {
    if (this.closed) return;
    const frames = this.decoder.push(chunk);
    // Answers to a chunk's frames (PONGs, WINDOWs, OPEN_ERRs) leave as one write, not one each.
    this.batch = [];
    try {
      for (const frame of frames) {
        if (this.closed) return;
        this.dispatch(frame);
      }
    } finally {
      this.flushBatch();
      this.batch = null;
    }
  }

  private dispatch(frame: Frame): void {
    switch (frame.type) {
      case FrameType.PING:
        this.write(encodeFrame(FrameType.PONG, 0, frame.payload));
        return;
      case FrameType.PONG:
        this.options.onPong?.();
        return;
      case FrameType.OPEN:
        this.onPeerOpen(frame);
        return;
      default:
        break;
    }
    const stream = this.streams.get(frame.streamId);
    // Frames for a stream that already ended are ignored (docs/protocol.md): RST races DATA.
    if (stream === undefined) return;
    switch (frame.type) {
      case FrameType.OPEN_OK:
        if (this.options.role !== 'client') return this.protocolError('OPEN_OK sent to the relay');
        stream.handleOpenResult(null);
        return;
      case FrameType.OPEN_ERR:
        if (this.options.role !== 'client') return this.protocolError('OPEN_ERR sent to the relay');
        stream.handleOpenResult(frame.payload);
        return;
      case FrameType.DATA:
        stream.handleData(frame.payload, frame.more === true);
        return;
      case FrameType.FIN:
        stream.handleFin();
        return;
      case FrameType.RST:
        stream.handleRst(frame.payload);
        return;
      case FrameType.WINDOW:
        stream.handleWindow(readWindowCredit(frame));
        return;
    }
  }

  private onPeerOpen(frame: Frame): void {
    const id = frame.streamId;
    const onOpen = this.options.onOpen;
    if (this.options.role !== 'relay' || onOpen === undefined)
      return this.protocolError('OPEN sent to the client');
    if (id % 2 !== 1 || id <= this.lastPeerId)
      return this.protocolError(`stream id ${id} is not odd and increasing`);
    this.lastPeerId = id;
    if (this.streams.size >= this.maxStreams) {
      const refusal = {
        type: 'error',
        code: 'connection_limit_reached',
        message: `a mux connection carries at most ${this.maxStreams} streams`,
        details: { reason: 'mux_streams', limit: this.maxStreams },
      };
      this.write(encodeFrame(FrameType.OPEN_ERR, id, Buffer.from(JSON.stringify(refusal))));
      return;
    }
    const stream = new MuxStream(this, id);
    this.streams.set(id, stream);
    onOpen(stream, frame.payload);
  }

  /** @internal Called by a stream whose peer overran its credit. */
  protocolError(reason: string): void {
    if (this.closed) return;
    this.closeError = `protocol_error: ${reason}`;
    this.socket.destroy();
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.budget.dispose();
    for (const stream of [...this.streams.values()]) stream.abort('mux_connection_lost');
    this.streams.clear();
    this.options.onClosed(this.closeError);
  }
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
    socket.on('close', () => this.onSocketClosed());
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
