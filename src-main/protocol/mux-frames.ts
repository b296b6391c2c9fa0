// The tcp_mux frame codec (docs/protocol.md "Multiplexed data streams"): a 9-byte header
// [type u8][stream id u32 BE][length u32 BE] plus payload. Pure: no sockets, no timers. The
// decoder passes DATA on as it arrives, holds at most one partial header or small frame, and
// checks every whole frame's payload before handing it out, so a frame it returns is valid.

export const MUX_HEADER_BYTES = 9;
/** Largest payload of any frame; DATA is split to fit. */
export const MAX_FRAME_PAYLOAD = 64 * 1024;
/** Largest PING/PONG payload. */
export const MAX_PING_PAYLOAD = 8;
/**
 * Largest WINDOW credit, and largest send credit a stream may hold (docs/protocol.md): 2^31-1,
 * as in HTTP/2, so credit stays an exact small integer however many WINDOWs arrive.
 */
export const MAX_WINDOW_CREDIT = 0x7fff_ffff;

export const FrameType = {
  OPEN: 1,
  OPEN_OK: 2,
  OPEN_ERR: 3,
  DATA: 4,
  FIN: 5,
  RST: 6,
  WINDOW: 7,
  PING: 8,
  PONG: 9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  readonly type: FrameType;
  readonly streamId: number;
  /** A view into the received bytes (no copy); for DATA, possibly one piece of the frame. */
  readonly payload: Buffer;
  /** DATA only: this piece is not the end of its frame; the rest comes in a later chunk. */
  readonly more?: true;
}

export type MuxFrameErrorReason =
  'unknown_type' | 'frame_too_large' | 'bad_stream_id' | 'bad_payload';

export class MuxFrameError extends Error {
  constructor(
    readonly reason: MuxFrameErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'MuxFrameError';
  }
}

const MAX_STREAM_ID = 0xffff_ffff;

function isConnectionFrame(type: number): boolean {
  return type === FrameType.PING || type === FrameType.PONG;
}

/** Checks a header; throws MuxFrameError for anything docs/protocol.md calls a protocol error. */
function checkHeader(
  type: number,
  streamId: number,
  length: number,
  maxPayload: number,
): asserts type is FrameType {
  if (type < FrameType.OPEN || type > FrameType.PONG)
    throw new MuxFrameError('unknown_type', `unknown frame type ${type}`);
  if (length > maxPayload)
    throw new MuxFrameError('frame_too_large', `frame of ${length} bytes exceeds ${maxPayload}`);
  if (isConnectionFrame(type)) {
    if (streamId !== 0)
      throw new MuxFrameError('bad_stream_id', `frame type ${type} must use stream 0`);
    if (length > MAX_PING_PAYLOAD)
      throw new MuxFrameError('bad_payload', 'ping payload longer than 8 bytes');
    return;
  }
  if (streamId === 0)
    throw new MuxFrameError('bad_stream_id', `frame type ${type} needs a stream id`);
  if (type === FrameType.WINDOW && length !== 4)
    throw new MuxFrameError('bad_payload', 'WINDOW payload must be 4 bytes');
  if (type === FrameType.DATA && length === 0)
    throw new MuxFrameError('bad_payload', 'empty DATA frame');
  if ((type === FrameType.OPEN_OK || type === FrameType.FIN) && length !== 0)
    throw new MuxFrameError('bad_payload', `frame type ${type} carries no payload`);
}

/** The 9-byte header of a DATA frame carrying `length` bytes (the payload is sent as is). */
export function encodeDataHeader(streamId: number, length: number): Buffer {
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > MAX_STREAM_ID)
    throw new RangeError(`bad stream id ${streamId}`);
  checkHeader(FrameType.DATA, streamId, length, MAX_FRAME_PAYLOAD);
  const out = Buffer.allocUnsafe(MUX_HEADER_BYTES);
  out[0] = FrameType.DATA;
  out.writeUInt32BE(streamId, 1);
  out.writeUInt32BE(length, 5);
  return out;
}

/** One frame as a single buffer (one copy of the payload, so it goes out as one TLS write). */
export function encodeFrame(
  type: FrameType,
  streamId: number,
  payload?: Uint8Array,
  start = 0,
  end?: number,
): Buffer {
  const from = payload === undefined ? 0 : start;
  const to = payload === undefined ? 0 : (end ?? payload.length);
  const length = to - from;
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > MAX_STREAM_ID)
    throw new RangeError(`bad stream id ${streamId}`);
  checkHeader(type, streamId, length, MAX_FRAME_PAYLOAD);
  const out = Buffer.allocUnsafe(MUX_HEADER_BYTES + length);
  out[0] = type;
  out.writeUInt32BE(streamId, 1);
  out.writeUInt32BE(length, 5);
  if (payload !== undefined && length > 0) out.set(payload.subarray(from, to), MUX_HEADER_BYTES);
  return out;
}

export function encodeWindow(streamId: number, credit: number): Buffer {
  const out = Buffer.allocUnsafe(MUX_HEADER_BYTES + 4);
  if (!Number.isInteger(credit) || credit <= 0 || credit > MAX_WINDOW_CREDIT)
    throw new RangeError(`bad window credit ${credit}`);
  out[0] = FrameType.WINDOW;
  out.writeUInt32BE(streamId, 1);
  out.writeUInt32BE(4, 5);
  out.writeUInt32BE(credit, MUX_HEADER_BYTES);
  return out;
}

/** The credit of a WINDOW frame the decoder produced (it has checked the range already). */
export function readWindowCredit(frame: Frame): number {
  return frame.payload.readUInt32BE(0);
}

/**
 * Checks the payload of a whole non-DATA frame; throws MuxFrameError for what docs/protocol.md
 * calls a protocol error. The header checks cannot see these: they need the payload bytes.
 */
function checkPayload(type: FrameType, payload: Buffer): void {
  if (type !== FrameType.WINDOW) return;
  const credit = payload.readUInt32BE(0);
  if (credit === 0) throw new MuxFrameError('bad_payload', 'WINDOW credit of 0');
  if (credit > MAX_WINDOW_CREDIT)
    throw new MuxFrameError('bad_payload', `WINDOW credit ${credit} is above 2^31-1`);
}

/**
 * Incremental decoder: push() any chunking of the byte stream and get the same frames, except
 * that a DATA frame may come out in pieces (consecutive DATA frames of its stream, together
 * exactly its payload): each piece is a view into the chunk it arrived in, handed out as soon
 * as it arrives, so stream bytes are never copied or held here. Other frames come out whole;
 * a header or a small frame that spans chunks is joined once, when its last byte arrives.
 * After an error the decoder is dead.
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next buffered frame can be parsed. */
  private need = MUX_HEADER_BYTES;
  /** Payload bytes of the DATA frame in progress still to come, and its stream. */
  private dataLeft = 0;
  private dataStream = 0;
  private failed: MuxFrameError | null = null;

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  /** Bytes held for an incomplete header or non-DATA frame (at most header + maxPayload). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The frames `chunk` completes; throws MuxFrameError (and stays failed) on a protocol error. */
  push(chunk: Buffer): Frame[] {
    if (this.failed !== null) throw this.failed;
    try {
      return this.decode(chunk);
    } catch (error) {
      this.failed =
        error instanceof MuxFrameError
          ? error
          : new MuxFrameError(
              'bad_payload',
              error instanceof Error ? error.message : 'undecodable',
            );
      this.parts = [];
      this.buffered = 0;
      throw this.failed;
    }
  }

  private decode(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let buf = chunk;
    let offset = 0;
    if (this.dataLeft > 0) {
      offset = Math.min(this.dataLeft, chunk.length);
      this.dataLeft -= offset;
      if (offset > 0)
        frames.push(dataPiece(this.dataStream, chunk.subarray(0, offset), this.dataLeft > 0));
    } else if (this.buffered > 0) {
      this.parts.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered < this.need) return frames;
      buf = Buffer.concat(this.parts, this.buffered);
      this.parts = [];
      this.buffered = 0;
    }
    this.need = MUX_HEADER_BYTES;
    while (buf.length - offset >= MUX_HEADER_BYTES) {
      const type = buf[offset] ?? 0;
      const streamId = buf.readUInt32BE(offset + 1);
      const length = buf.readUInt32BE(offset + 5);
      checkHeader(type, streamId, length, this.maxPayload);
      const start = offset + MUX_HEADER_BYTES;
      if (type === FrameType.DATA) {
        const end = Math.min(start + length, buf.length);
        const more = end - start < length;
        if (end > start) frames.push(dataPiece(streamId, buf.subarray(start, end), more));
        offset = end;
        if (more) {
          this.dataLeft = length - (end - start);
          this.dataStream = streamId;
        }
        continue;
      }
      const end = start + length;
      if (end > buf.length) {
        this.need = MUX_HEADER_BYTES + length;
        break;
      }
      const payload = buf.subarray(start, end);
      checkPayload(type, payload);
      frames.push({ type, streamId, payload });
      offset = end;
    }
    if (offset < buf.length) {
      const rest = buf.subarray(offset);
      this.parts = [rest];
      this.buffered = rest.length;
    }
    return frames;
  }
}

function dataPiece(streamId: number, payload: Buffer, more: boolean): Frame {
  return more
    ? { type: FrameType.DATA, streamId, payload, more }
    : { type: FrameType.DATA, streamId, payload };
}
