// Property tests of the tcp_mux frame codec (docs/protocol.md "Multiplexed data streams"):
// any chunking decodes the same frames, arbitrary bytes fail only with documented reasons
// and never make the decoder hold more than one frame, and the encoder refuses what the
// decoder would refuse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '../harness/chunks';
import {
  encodeDataHeader,
  encodeFrame,
  encodeWindow,
  FrameDecoder,
  FrameType,
  MAX_FRAME_PAYLOAD,
  MAX_WINDOW_CREDIT,
  MUX_HEADER_BYTES,
  MuxFrameError,
  readWindowCredit,
  type Frame,
} from '../../src-main/protocol/mux-frames';

const REASONS = ['unknown_type', 'frame_too_large', 'bad_stream_id', 'bad_payload'];

const streamId = fc.integer({ min: 1, max: 0xffff_ffff });
/** Any valid frame, as [type, stream id, payload]. */
const validFrame: fc.Arbitrary<{ type: FrameType; id: number; payload: Buffer }> = fc.oneof(
  fc.record({
    type: fc.constant(FrameType.OPEN),
    id: streamId,
    payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    type: fc.constant(FrameType.OPEN_OK),
    id: streamId,
    payload: fc.constant(Buffer.alloc(0)),
  }),
  fc.record({
    type: fc.constant(FrameType.OPEN_ERR),
    id: streamId,
    payload: fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    type: fc.constant(FrameType.DATA),
    id: streamId,
    payload: fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    type: fc.constant(FrameType.FIN),
    id: streamId,
    payload: fc.constant(Buffer.alloc(0)),
  }),
  fc.record({
    type: fc.constant(FrameType.RST),
    id: streamId,
    payload: fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    type: fc.constant(FrameType.WINDOW),
    id: streamId,
    payload: fc.integer({ min: 1, max: MAX_WINDOW_CREDIT }).map((n) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    }),
  }),
  fc.record({
    type: fc.constantFrom(FrameType.PING, FrameType.PONG),
    id: fc.constant(0),
    payload: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  }),
);

/**
 * Frames as [type, stream, hex payload], with consecutive DATA of one stream joined: the
 * decoder may hand a DATA frame out in pieces, and only the bytes of each stream matter.
 */
function plain(frames: readonly Frame[]): Array<[number, number, string]> {
  const out: Array<[number, number, string]> = [];
  for (const f of frames) {
    const last = out.at(-1);
    if (f.type === FrameType.DATA && last?.[0] === FrameType.DATA && last[1] === f.streamId)
      last[2] += f.payload.toString('hex');
    else out.push([f.type, f.streamId, f.payload.toString('hex')]);
  }
  return out;
}

describe('FrameDecoder', () => {
  it('yields the same frames for any chunking of valid input', () => {
    fc.assert(
      fc.property(
        fc.array(validFrame, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.id, f.payload)));
          const decoder = new FrameDecoder();
          const out: Frame[] = [];
          for (const part of splitAt(wire, cuts)) out.push(...decoder.push(part));
          const expected = frames.map((f) => ({
            type: f.type,
            streamId: f.id,
            payload: f.payload,
          }));
          expect(plain(out)).toEqual(plain(expected));
          expect(decoder.bufferedBytes).toBe(0);
          // A piece marked `more` is followed by the rest of its frame, and only by that.
          out.forEach((frame, i) => {
            if (frame.more === true)
              expect(out[i + 1]).toMatchObject({ type: FrameType.DATA, streamId: frame.streamId });
          });
          expect(out.at(-1)?.more).toBeUndefined();
          // In one chunk, every frame comes out whole.
          expect(plain(new FrameDecoder().push(wire))).toEqual(plain(expected));
          expect(new FrameDecoder().push(wire)).toHaveLength(frames.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails arbitrary bytes only with documented reasons, and holds at most one frame', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => {
          const decoder = new FrameDecoder(1024);
          try {
            for (const part of splitAt(Buffer.from(bytes), cuts)) {
              decoder.push(part);
              expect(decoder.bufferedBytes).toBeLessThan(MUX_HEADER_BYTES + 1024);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(MuxFrameError);
            expect(REASONS).toContain((error as MuxFrameError).reason);
            // A failed decoder stays failed: no frame can be read from a desynchronised stream.
            expect(() => decoder.push(Buffer.alloc(MUX_HEADER_BYTES))).toThrow(MuxFrameError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a header announcing more than the largest frame before its payload arrives', () => {
    const header = Buffer.alloc(MUX_HEADER_BYTES);
    header[0] = FrameType.DATA;
    header.writeUInt32BE(1, 1);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD + 1, 5);
    const decoder = new FrameDecoder();
    expect(() => decoder.push(header)).toThrow(
      expect.objectContaining({ reason: 'frame_too_large' }),
    );
  });

  it('refuses stream frames on id 0, pings on a stream, zero credit and empty DATA', () => {
    const frame = (type: number, id: number, payload: Buffer): Buffer => {
      const out = Buffer.alloc(MUX_HEADER_BYTES + payload.length);
      out[0] = type;
      out.writeUInt32BE(id, 1);
      out.writeUInt32BE(payload.length, 5);
      payload.copy(out, MUX_HEADER_BYTES);
      return out;
    };
    const reasonOf = (bytes: Buffer): string => {
      try {
        const frames = new FrameDecoder().push(bytes);
        for (const f of frames) if (f.type === FrameType.WINDOW) readWindowCredit(f);
        return 'none';
      } catch (error) {
        return (error as MuxFrameError).reason;
      }
    };
    expect(reasonOf(frame(FrameType.DATA, 0, Buffer.from('x')))).toBe('bad_stream_id');
    expect(reasonOf(frame(FrameType.PING, 3, Buffer.alloc(8)))).toBe('bad_stream_id');
    expect(reasonOf(frame(FrameType.PING, 0, Buffer.alloc(9)))).toBe('bad_payload');
    expect(reasonOf(frame(FrameType.WINDOW, 1, Buffer.alloc(4)))).toBe('bad_payload');
    const over = Buffer.alloc(4);
    over.writeUInt32BE(MAX_WINDOW_CREDIT + 1);
    expect(reasonOf(frame(FrameType.WINDOW, 1, over))).toBe('bad_payload');
    over.writeUInt32BE(MAX_WINDOW_CREDIT);
    expect(reasonOf(frame(FrameType.WINDOW, 1, over))).toBe('none');
    expect(reasonOf(frame(FrameType.DATA, 1, Buffer.alloc(0)))).toBe('bad_payload');
    expect(reasonOf(frame(0, 1, Buffer.alloc(0)))).toBe('unknown_type');
    expect(reasonOf(frame(10, 1, Buffer.alloc(0)))).toBe('unknown_type');
    expect(reasonOf(frame(FrameType.DATA, 1, Buffer.from('ok')))).toBe('none');
  });

  it('hands DATA payloads out as views of a chunk that holds the whole frame (no copy)', () => {
    const wire = encodeFrame(FrameType.DATA, 5, Buffer.alloc(1000, 7));
    const [frame] = new FrameDecoder().push(wire);
    expect(frame?.payload.buffer).toBe(wire.buffer);
  });

  it('hands a DATA frame that spans chunks out piece by piece, holding none of it', () => {
    const payload = Buffer.alloc(40_000, 3);
    const wire = Buffer.concat([
      encodeFrame(FrameType.DATA, 5, payload),
      encodeFrame(FrameType.FIN, 5),
    ]);
    // As TLS hands records over: 16 KiB at a time, each in its own buffer.
    const chunks = splitAt(wire, [16_384, 32_768]).map((chunk) => Buffer.from(chunk));
    const decoder = new FrameDecoder();
    const pieces: Frame[] = [];
    for (const chunk of chunks) {
      const frames = decoder.push(chunk);
      expect(decoder.bufferedBytes).toBe(0);
      for (const frame of frames) {
        if (frame.type === FrameType.DATA) expect(frame.payload.buffer).toBe(chunk.buffer);
        pieces.push(frame);
      }
    }
    expect(pieces.map((f) => [f.type, f.streamId, f.payload.length, f.more ?? false])).toEqual([
      [FrameType.DATA, 5, 16_384 - MUX_HEADER_BYTES, true],
      [FrameType.DATA, 5, 16_384, true],
      [FrameType.DATA, 5, 40_000 - 2 * 16_384 + MUX_HEADER_BYTES, false],
      [FrameType.FIN, 5, 0, false],
    ]);
  });
});

describe('encodeFrame', () => {
  it('encodes a slice of a larger buffer and a WINDOW credit', () => {
    const source = Buffer.from('0123456789');
    const frames = new FrameDecoder().push(
      Buffer.concat([encodeFrame(FrameType.DATA, 7, source, 2, 6), encodeWindow(7, 65_536)]),
    );
    expect(frames[0]?.payload.toString()).toBe('2345');
    expect(frames[1] !== undefined ? readWindowCredit(frames[1]) : null).toBe(65_536);
  });

  it('writes a DATA header that, followed by the payload, is the same frame', () => {
    const payload = Buffer.from('payload sent as its own buffer');
    expect(Buffer.concat([encodeDataHeader(9, payload.length), payload])).toEqual(
      encodeFrame(FrameType.DATA, 9, payload),
    );
    expect(() => encodeDataHeader(9, 0)).toThrow(MuxFrameError);
    expect(() => encodeDataHeader(9, MAX_FRAME_PAYLOAD + 1)).toThrow(MuxFrameError);
  });

  it('refuses what the decoder refuses', () => {
    expect(() => encodeFrame(FrameType.DATA, 1, Buffer.alloc(MAX_FRAME_PAYLOAD + 1))).toThrow(
      MuxFrameError,
    );
    expect(() => encodeFrame(FrameType.DATA, 0, Buffer.from('x'))).toThrow(MuxFrameError);
    expect(() => encodeWindow(1, 0)).toThrow(RangeError);
    expect(() => encodeWindow(1, MAX_WINDOW_CREDIT + 1)).toThrow(RangeError);
  });

  it('refuses a zero-credit WINDOW inside the decoder, with no frame of that chunk handed out', () => {
    // The frame that used to kill both ends: the WINDOW check ran outside the decoder.
    const wire = Buffer.concat([
      encodeFrame(FrameType.OPEN, 1, Buffer.from('{}')),
      Buffer.from([FrameType.WINDOW, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0]),
    ]);
    for (const cuts of [[], [5], [wire.length - 2]]) {
      const decoder = new FrameDecoder();
      const frames: Frame[] = [];
      const push = (): void => {
        for (const part of splitAt(wire, cuts)) frames.push(...decoder.push(part));
      };
      expect(push).toThrow(expect.objectContaining({ reason: 'bad_payload' }));
      expect(frames.some((f) => f.type === FrameType.WINDOW)).toBe(false);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });
});
