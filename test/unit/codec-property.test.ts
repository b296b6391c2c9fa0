// Property tests of the line codec (docs/protocol.md#framing): chunking never changes the messages
// (multi-byte UTF-8 split anywhere included), arbitrary bytes fail only with documented
// reasons, memory stays bounded on an endless line, and takeRest hands on exact bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '../harness/chunks';
import {
  CodecError,
  LineDecoder,
  MAX_LINE_BYTES,
  encodeMessage,
  type JsonObject,
} from '../../src-main/protocol/codec';

const REASONS = ['line_too_long', 'invalid_utf8', 'invalid_json', 'not_an_object'];

const unicodeText = fc.string({ unit: 'binary', maxLength: 40 });
const message = fc.dictionary(
  unicodeText,
  fc.oneof(
    unicodeText,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(unicodeText, { maxLength: 3 }),
  ),
  {
    maxKeys: 6,
  },
);

describe('LineDecoder', () => {
  it('yields the same messages for any chunking of valid input, UTF-8 split anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        (messages, cuts, eol) => {
          const wire = Buffer.concat(
            messages.map((m) =>
              Buffer.from(
                encodeMessage(m as JsonObject)
                  .toString('utf8')
                  .replace(/\n$/, eol),
                'utf8',
              ),
            ),
          );
          const decoder = new LineDecoder();
          const out: JsonObject[] = [];
          for (const part of splitAt(wire, cuts)) out.push(...decoder.push(part));
          expect(out).toEqual(messages.map((m) => JSON.parse(JSON.stringify(m)) as JsonObject));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes a message whose multi-byte characters are fed one byte at a time', () => {
    const wire = encodeMessage({ type: 'hello', text: 'Привет, мир — 你好 🌍' });
    const decoder = new LineDecoder();
    const out: JsonObject[] = [];
    for (let i = 0; i < wire.length; i++) out.push(...decoder.push(wire.subarray(i, i + 1)));
    expect(out).toEqual([{ type: 'hello', text: 'Привет, мир — 你好 🌍' }]);
  });

  it('fails on arbitrary bytes only with the documented CodecError reasons', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const decoder = new LineDecoder(256);
        for (const chunk of chunks) {
          try {
            const messages = decoder.push(chunk);
            for (const m of messages)
              expect(typeof m === 'object' && m !== null && !Array.isArray(m)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(CodecError);
            expect(REASONS).toContain((err as CodecError).reason);
            return;
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never holds more than about 1 MiB of a 64 MiB line without a newline, and reports line_too_long', () => {
    const decoder = new LineDecoder();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let fed = 0;
    let caught: unknown = null;
    let maxHeld = 0;
    while (fed < 64 * 1024 * 1024) {
      try {
        decoder.push(chunk);
      } catch (err) {
        caught = err;
        break;
      }
      fed += chunk.length;
      maxHeld = Math.max(maxHeld, decoder.bufferedBytes);
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect((caught as CodecError).reason).toBe('line_too_long');
    expect(maxHeld).toBeLessThanOrEqual(MAX_LINE_BYTES + 1);
    expect(fed).toBeLessThanOrEqual(MAX_LINE_BYTES + chunk.length);
  });

  it('accepts a line of exactly the limit and refuses one byte more', () => {
    const limit = 1000;
    const body = (n: number): Buffer => Buffer.from(JSON.stringify({ p: 'x'.repeat(n - 8) }));
    expect(body(limit).length).toBe(limit);
    expect(
      new LineDecoder(limit).push(Buffer.concat([body(limit), Buffer.from('\n')])),
    ).toHaveLength(1);
    expect(() =>
      new LineDecoder(limit).push(Buffer.concat([body(limit + 1), Buffer.from('\n')])),
    ).toThrow(CodecError);
  });

  it('stops after one message and hands on exactly the raw bytes that follow (takeRest)', () => {
    fc.assert(
      fc.property(
        message,
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (first, raw, cuts) => {
          const wire = Buffer.concat([encodeMessage(first), Buffer.from(raw)]);
          const decoder = new LineDecoder();
          const parts = splitAt(wire, cuts);
          let got: JsonObject | undefined;
          const after: Buffer[] = [];
          for (const part of parts) {
            if (got === undefined) {
              const messages = decoder.push(part, 1);
              if (messages.length > 0) {
                got = messages[0];
                after.push(decoder.takeRest());
              }
            } else {
              after.push(part);
            }
          }
          expect(got).toEqual(JSON.parse(JSON.stringify(first)));
          expect(Buffer.concat(after).equals(Buffer.from(raw))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses to encode a message longer than the line limit', () => {
    expect(() => encodeMessage({ p: 'x'.repeat(MAX_LINE_BYTES) })).toThrow(CodecError);
  });
});
