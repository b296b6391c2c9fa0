// Newline-delimited JSON framing shared by the client engine and the reference relay
// (docs/protocol.md#framing). Owns byte-level framing only: what a message means is messages.ts.
// Memory is bounded: a line that passes MAX_LINE_BYTES without a newline fails at once.

export const MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export type JsonObject = Record<string, unknown>;

export type CodecErrorReason = 'line_too_long' | 'invalid_utf8' | 'invalid_json' | 'not_an_object';

/** A framing error. The receiver answers `error` (when it is the relay) and closes. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly reason: CodecErrorReason,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Parses one line (without its newline) into a JSON object, or throws CodecError. */
export function parseLine(line: Uint8Array): JsonObject {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    throw new CodecError('invalid_utf8', 'message is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CodecError('invalid_json', 'message is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CodecError('not_an_object', 'message is not a JSON object');
  }
  return value as JsonObject;
}

/** Serialises one message as a line. Throws CodecError if it would exceed the line limit. */
export function encodeMessage(message: JsonObject, maxLineBytes = MAX_LINE_BYTES): Buffer {
  const line = Buffer.from(JSON.stringify(message) + '\n', 'utf8');
  if (line.length - 1 > maxLineBytes) {
    throw new CodecError(
      'line_too_long',
      `message of ${line.length - 1} bytes exceeds the line limit`,
    );
  }
  return line;
}

/** The first holding buffer of a partial line; it doubles as the line grows, up to the limit. */
const INITIAL_HOLD_BYTES = 256;

/**
 * Incremental decoder. Feed it chunks as they arrive; it returns complete messages in order.
 * Empty lines and a trailing `\r` are tolerated. After a CodecError the decoder must not be
 * used again (the connection is closed).
 *
 * A partial line is copied into one contiguous buffer that doubles as it grows, so it costs
 * at most about twice its own length however small the chunks it arrives in (one Buffer per
 * chunk cost ~150 bytes per byte for a line sent as 1-byte TLS records; docs/protocol.md#limits).
 * The buffer is dropped once the line completes, so an idle connection holds nothing.
 *
 * `push(chunk, limit)` stops after `limit` messages and keeps the rest unparsed; `takeRest()`
 * then hands those bytes on, for connections that switch from lines to raw bytes
 * (`stream_open` / `stream_response`, docs/protocol.md#data-streams-feature-tcp_stream).
 */
export class LineDecoder {
  private hold: Buffer | null = null;
  private held = 0;

  constructor(private maxLineBytes = MAX_LINE_BYTES) {}

  /** Bytes held that do not yet form a complete line (always <= maxLineBytes + 1). */
  get bufferedBytes(): number {
    return this.held;
  }

  /** Bytes of memory the held partial line occupies (its buffer's capacity). */
  get retainedBytes(): number {
    return this.hold?.length ?? 0;
  }

  /** The line limit in force. */
  get lineLimit(): number {
    return this.maxLineBytes;
  }

  /**
   * Changes the line limit for what follows (the relay allows longer lines once a session has
   * authenticated). A partial line already past a lower limit fails on the next push.
   */
  setLineLimit(maxLineBytes: number): void {
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Uint8Array, limit = Number.POSITIVE_INFINITY): JsonObject[] {
    const messages: JsonObject[] = [];
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (messages.length < limit) {
      const newline = data.indexOf(NEWLINE);
      if (newline === -1) break;
      const lineBytes = this.held + newline;
      if (lineBytes > this.maxLineBytes + 1) this.failTooLong(lineBytes);
      let line: Buffer;
      if (this.held === 0) {
        line = data.subarray(0, newline);
      } else {
        this.append(data.subarray(0, newline));
        line = (this.hold as Buffer).subarray(0, this.held);
        this.hold = null;
        this.held = 0;
      }
      data = data.subarray(newline + 1);
      if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, -1);
      if (line.length > this.maxLineBytes) this.failTooLong(line.length);
      if (line.length === 0) continue;
      messages.push(parseLine(line));
    }
    if (data.length > 0) {
      // Without a newline the held bytes may not grow past the limit (+1 for a `\r`).
      if (messages.length < limit && this.held + data.length > this.maxLineBytes + 1) {
        this.failTooLong(this.held + data.length);
      }
      // Copied: the caller's chunk may be reused, and a small slice must not pin a large buffer.
      this.append(data);
    }
    return messages;
  }

  /** Returns and forgets every byte held after the last parsed message. */
  takeRest(): Buffer {
    const rest =
      this.hold === null ? Buffer.alloc(0) : Buffer.from(this.hold.subarray(0, this.held));
    this.hold = null;
    this.held = 0;
    return rest;
  }

  private append(bytes: Buffer): void {
    const needed = this.held + bytes.length;
    if (this.hold === null || needed > this.hold.length) {
      let size = Math.max(INITIAL_HOLD_BYTES, this.hold?.length ?? 0);
      while (size < needed) size *= 2;
      // Never more than the largest line that can still complete (+1 for a `\r`); after
      // push(chunk, limit) the rest may be longer, and is held as it is.
      size = Math.max(needed, Math.min(size, this.maxLineBytes + 1));
      const grown = Buffer.allocUnsafeSlow(size);
      if (this.hold !== null) this.hold.copy(grown, 0, 0, this.held);
      this.hold = grown;
    }
    bytes.copy(this.hold, this.held);
    this.held = needed;
  }

  private failTooLong(bytes: number): never {
    this.hold = null;
    this.held = 0;
    throw new CodecError(
      'line_too_long',
      `line of more than ${Math.min(bytes, this.maxLineBytes + 1)} bytes exceeds the ${this.maxLineBytes}-byte limit`,
    );
  }
}
