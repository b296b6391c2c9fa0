// What a partial line costs the line decoder: about its own length, however small the chunks it
// arrives in (docs/protocol.md#limits), and nothing once the line is complete. Heap figures are
// taken after a forced collection, so only what the decoder still holds is counted.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../src-main/protocol/codec';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function heldBytes(): number {
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const LINE_BYTES = 100_000;

function partialLine(): Buffer {
  const line = Buffer.alloc(LINE_BYTES, 0x61);
  line.write('{"type":"hello","pad":"');
  return line;
}

describe('LineDecoder memory', () => {
  it('holds a partial line fed one byte at a time in about its own length', () => {
    const line = partialLine();
    const decoder = new LineDecoder();
    const before = heldBytes();
    for (let i = 0; i < line.length; i++) decoder.push(line.subarray(i, i + 1));
    const growth = heldBytes() - before;
    expect(decoder.bufferedBytes).toBe(LINE_BYTES);
    expect(decoder.retainedBytes).toBeLessThanOrEqual(2 * LINE_BYTES);
    // One Buffer per chunk held ~150 bytes per byte (15 MB here); a doubling buffer stays near
    // 2x the line, plus the collector's noise.
    expect(growth).toBeLessThan(4 * LINE_BYTES + 512 * 1024);
    // The line completes: its buffer goes, and the decoder holds nothing.
    expect(decoder.push(Buffer.from('"}\n'))).toEqual([expect.objectContaining({ type: 'hello' })]);
    expect(decoder.retainedBytes).toBe(0);
  });

  it('keeps a lower line limit until it is raised, for the lines that follow', () => {
    const decoder = new LineDecoder(64);
    expect(() => decoder.push(Buffer.alloc(100, 0x61))).toThrow(/64-byte limit/);
    const raised = new LineDecoder(64);
    raised.push(Buffer.from('{"type":"a"}\n'));
    raised.setLineLimit(1024);
    expect(raised.lineLimit).toBe(1024);
    const long = `{"type":"b","p":"${'x'.repeat(500)}"}\n`;
    expect(raised.push(Buffer.from(long))).toEqual([expect.objectContaining({ type: 'b' })]);
  });
});
