// The first answer on a data, mux or serving connection to a relay, with the one leading
// `hello` a greeting relay may have sent skipped (docs/protocol.md#opener). Reads lines only
// until the answer; never owns the socket or interprets the answer.

import type { JsonObject, LineDecoder } from '../protocol/codec';

/** An unprompted relay greeting: a `hello` line (any case), not an answer to anything we sent. */
export function isRelayGreeting(line: JsonObject): boolean {
  const type = line['type'];
  return typeof type === 'string' && type.toLowerCase() === 'hello';
}

/** Feeds a LineDecoder until the answer line; a leading greeting is skipped once. */
export class AnswerReader {
  private skipped = false;

  constructor(private readonly decoder: LineDecoder) {}

  /** True once a greeting was skipped on this connection. */
  get greeted(): boolean {
    return this.skipped;
  }

  /**
   * The answer once its line is complete, else undefined; bytes after it stay in the decoder
   * (`takeRest()`). Throws what the decoder throws (CodecError).
   */
  push(chunk: Uint8Array): JsonObject | undefined {
    let data = chunk;
    for (;;) {
      const first = this.decoder.push(data, 1)[0];
      if (first === undefined) return undefined;
      if (this.skipped || !isRelayGreeting(first)) return first;
      this.skipped = true;
      data = this.decoder.takeRest();
    }
  }
}
