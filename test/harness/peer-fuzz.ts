// fast-check arbitraries for what a hostile peer sends (docs/protocol.md "Framing",
// "Multiplexed data streams"): lines (valid-ish messages with random fields, random JSON,
// garbage bytes, invalid UTF-8, over-long lines) and mux frames (random types, ids, lengths and
// payloads, bad credits, truncated frames), for either direction. Pure: no sockets.

import fc from 'fast-check';
import { rawFrame } from './hostile-peer';

/** Just over the 1 MiB line limit (docs/protocol.md "Framing"). */
export const LONG_LINE_BYTES = 1024 * 1024 + 16;

const CLIENT_TYPES = [
  'hello',
  'auth',
  'tunnel_info',
  'heartbeat',
  'heartbeat_response',
  'stream_open',
  'mux_open',
];
const RELAY_TYPES = [
  'hello',
  'hello_response',
  'auth_response',
  'tunnel_response',
  'register_response',
  'heartbeat',
  'heartbeat_response',
  'stream_response',
  'mux_response',
  'error',
];
const FIELDS = [
  'type',
  'version',
  'features',
  'token',
  'status',
  'code',
  'message',
  'details',
  'retry_after',
  'client_id',
  'tenant_id',
  'reconnect_token',
  'server_info',
  'tunnel_id',
  'stream_token',
  'local_port',
  'remote_host',
  'remote_port',
  'window',
  'max_streams',
  'max_frame',
  'stats',
  'error',
  'toString',
  '__proto__',
];

/** Field values of every JSON type, with the ones a parser is most likely to trip on. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('ok', 'OK', 'success', 'failed', 'tcp_mux', 'tcp_stream', '127.0.0.1', ''),
  fc.integer(),
  fc.constantFrom(0, -1, 1, 65_536, 0x7fff_ffff, 0xffff_ffff, 2 ** 53, 1e300, 0.5),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** A message of a known or random type with random fields: "valid-ish". */
export function messageLike(types: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.oneof(fc.constantFrom(...types), fc.string({ maxLength: 10 }), fieldValue),
      fc.array(fc.tuple(fc.constantFrom(...FIELDS), fieldValue), { maxLength: 6 }),
    )
    .map(([type, fields]) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of fields) if (key !== '__proto__') out[key] = value;
      out['type'] = type;
      return out;
    });
}

export type LineKind = 'message' | 'json' | 'garbage' | 'utf8' | 'blank' | 'long';

/** One line as a peer may send it, newline included unless it is garbage that has none. */
export function fuzzLine(types: readonly string[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 8, arbitrary: messageLike(types).map((m) => Buffer.from(JSON.stringify(m) + '\n')) },
    {
      weight: 2,
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) + '\n')),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean())
        .map(([bytes, newline]) =>
          Buffer.concat([Buffer.from(bytes), Buffer.from(newline ? '\n' : '')]),
        ),
    },
    { weight: 1, arbitrary: fc.constant(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a])) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(Buffer.from('\n'), Buffer.from('\r\n'), Buffer.from('{}\r\n')),
    },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(LONG_LINE_BYTES, 0x61)) },
  );
}

export const clientLine = fuzzLine(CLIENT_TYPES);
export const relayLine = fuzzLine(RELAY_TYPES);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Mostly the ids of streams that exist (the first client streams), sometimes any id. */
const streamId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1, 3, 5, 7) },
  { weight: 1, arbitrary: fc.constantFrom(0, 2, 0xffff_ffff) },
  { weight: 1, arbitrary: fc.nat() },
);

/** WINDOW credits, the out-of-range ones (0, above 2^31-1) often. */
const credit = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(0, 0x8000_0000, 0xffff_ffff) },
  { weight: 1, arbitrary: fc.constantFrom(1, 0x7fff_ffff) },
  { weight: 1, arbitrary: fc.nat() },
);

/** A frame whose header is valid (its payload may still be wrong: a bad credit, bad JSON). */
const validFrame: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(streamId, credit).map(([id, n]) => rawFrame(7, id, u32(n))) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(streamId, fc.integer({ min: 1, max: 20_000 }))
      .map(([id, size]) => rawFrame(4, id, Buffer.alloc(size, id & 0xff))),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(2, 5), streamId).map(([type, id]) => rawFrame(type, id)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(3, 6), streamId, fc.option(messageLike(['error']), { nil: undefined }))
      .map(([type, id, body]) =>
        rawFrame(
          type,
          id,
          body === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(body)),
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 64 }), messageLike(['stream_open']))
      .map(([n, body]) => rawFrame(1, 2 * n - 1, Buffer.from(JSON.stringify(body)))),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((p) => rawFrame(8, 0, p)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((p) => rawFrame(9, 0, p)) },
);

/** A frame the header checks refuse, a truncated one, or bytes that are no frame at all. */
const invalidFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.nat(), fc.uint8Array({ maxLength: 64 }))
    .map(([type, id, payload]) => rawFrame(type, id, payload)),
  // Truncated: the header announces more than follows; what comes next is read as payload.
  fc
    .tuple(
      fc.integer({ min: 0, max: 12 }),
      streamId,
      fc.integer({ min: 1, max: 70_000 }),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([type, id, length, payload]) => rawFrame(type, id, payload, length + payload.length)),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
);

/**
 * One mux frame as a peer may send it. Mostly valid headers, so a sequence gets deep into a
 * connection's state (live streams, credit) before the first frame the decoder refuses.
 */
export const fuzzFrame: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 10, arbitrary: validFrame },
  { weight: 1, arbitrary: invalidFrame },
);

/** Cut points for splitting a byte sequence into writes (any chunking must be survived). */
export const cuts = fc.array(fc.nat(), { maxLength: 6 });
