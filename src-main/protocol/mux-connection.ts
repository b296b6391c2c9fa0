// One tcp_mux connection, for both ends (docs/protocol.md "Multiplexed data streams"): frame
// dispatch to its streams (mux-stream.ts), stream ids (odd from the client, even from the
// relay) and limits, PING/PONG, and a bound on what the peer is owed (mux-output-budget.ts).
// Knows nothing of tunnels, tokens or relay checks: callers decide what an OPEN means and
// what a stream carries. Nothing a peer sends throws out of a socket handler: it closes this
// connection, naming the reason.

import type net from 'node:net';
import { systemClock, type Clock } from '../shared/clock';
import { describeError, guard } from './guard';
import {
  encodeDataHeader,
  encodeFrame,
  FrameDecoder,
  FrameType,
  readWindowCredit,
  type Frame,
} from './mux-frames';
import {
  MUX_CONTROL_OUTPUT_HARD_FACTOR,
  MUX_CONTROL_OUTPUT_LIMIT,
  MUX_OUTPUT_STALL_MS,
  OutputBudget,
} from './mux-output-budget';
import { MuxStream } from './mux-stream';

export { MuxStream, type MuxDirection, type StreamEnd } from './mux-stream';

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
const MAX_STREAM_ID = 0xffff_ffff;

export interface MuxConnectionOptions {
  /** The data connection, past its mux_open / mux_response lines. */
  readonly socket: net.Socket;
  readonly role: 'client' | 'relay';
  /** Bytes that arrived after the handshake line. */
  readonly initial?: Buffer;
  readonly window?: number;
  readonly maxStreams?: number;
  /**
   * The peer opened a stream; answer with accept()+attach() or refuse(). The relay always
   * takes OPENs; a client only on a serving connection of a published server (without this,
   * the relay's OPEN is a protocol error).
   */
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
  /** Ours: odd for the client, even for the relay (docs/protocol.md). */
  private nextId: number;
  private lastPeerId = 0;
  /** The TLS socket holds MUX_SEND_BUFFER or more: stream sockets wait for 'drain'. */
  blocked = false;
  private closed = false;
  private closeError: string | null = null;
  private readonly budget: OutputBudget;
  /** Non-DATA frames written while one chunk is dispatched; they leave as one write. */
  private batch: Buffer[] = [];
  private batching = false;

  constructor(private readonly options: MuxConnectionOptions) {
    this.socket = options.socket;
    this.window = options.window ?? DEFAULT_MUX_WINDOW;
    this.maxStreams = options.maxStreams ?? DEFAULT_MUX_MAX_STREAMS;
    this.nextId = options.role === 'client' ? 1 : 2;
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
    // Closing runs the callers' stream and connection callbacks: a throw there is ours, and the
    // connection is gone already, so it goes no further than this handler.
    socket.on(
      'close',
      guard(
        () => this.onSocketClosed(),
        () => undefined,
      ),
    );
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

  /** Room for one more stream on this connection (both directions count). */
  get hasCapacity(): boolean {
    return !this.closed && this.streams.size < this.maxStreams && this.nextId <= MAX_STREAM_ID;
  }

  /** Bytes the socket holds unsent. */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Sends OPEN (the client on any connection, the relay on a serving connection); the caller
   * attaches the local socket at once (pipelining), or waits for onOpenResult.
   */
  openStream(payload: Buffer): MuxStream {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new MuxStream(this, id, true);
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
    if (this.batching) {
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
    if (batch.length === 0) return;
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
    this.batching = true;
    try {
      for (const frame of frames) {
        if (this.closed) return;
        this.dispatch(frame);
      }
    } finally {
      this.batching = false;
      this.flushBatch();
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
      case FrameType.OPEN_ERR:
        // Only the side that received an OPEN answers it.
        if (!stream.outbound)
          return this.protocolError(`OPEN answer for stream ${stream.id}, which the peer opened`);
        stream.handleOpenResult(frame.type === FrameType.OPEN_OK ? null : frame.payload);
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
    if (onOpen === undefined) return this.protocolError('OPEN sent to a client that serves none');
    // The client's ids are odd, the relay's even.
    const parity = this.options.role === 'relay' ? 1 : 0;
    if (id % 2 !== parity || id <= this.lastPeerId)
      return this.protocolError(
        `stream id ${id} is not ${parity === 1 ? 'odd' : 'even'} and increasing`,
      );
    this.lastPeerId = id;
    if (this.streams.size >= this.maxStreams) {
      const message = `a mux connection carries at most ${this.maxStreams} streams`;
      const refusal = {
        type: 'error',
        code: 'connection_limit_reached',
        message,
        error: message,
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
    for (const stream of [...this.streams.values()]) {
      // One stream's callback failing must not keep the others, or onClosed, from running.
      try {
        stream.abort('mux_connection_lost');
      } catch (error) {
        this.closeError ??= describeError(error);
      }
    }
    this.streams.clear();
    this.options.onClosed(this.closeError);
  }
}
