// Nothing a peer sends throws out of a socket handler (docs/protocol.md "Framing",
// "Multiplexed data streams"): parseRelayMessage reads any JSON object, and a mux connection
// (either role) or a control session fed arbitrary bytes closes with a documented reason,
// never with an exception and never with an internal error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '../harness/chunks';
import { FakeSocket, settle } from '../harness/fake-socket';
import { FakeClock } from './engine-fake-clock';
import { ControlSession } from '../../src-main/engine/control-session';
import { EngineError } from '../../src-main/engine/errors';
import { describeError, guard } from '../../src-main/protocol/guard';
import { parseRelayMessage, MessageError } from '../../src-main/protocol/messages';
import { MuxConnection } from '../../src-main/protocol/mux-connection';
import { encodeFrame, FrameType, MuxFrameError } from '../../src-main/protocol/mux-frames';

const KEYS = [
  'type',
  'status',
  'error',
  'code',
  'message',
  'details',
  'reason',
  'retry_after',
  'features',
  'server_info',
  'version',
  'client_id',
  'tenant_id',
  'tunnel_id',
  'stream_token',
  'reconnect_token',
  'toString',
  'valueOf',
  '__proto__',
  'constructor',
];
const TYPES = [
  'hello',
  'HELLO_RESPONSE',
  'auth_response',
  'tunnel_response',
  'register_response',
  'heartbeat',
  'heartbeat_response',
  'stream_response',
  'mux_response',
  'error',
  'Error',
];

const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 }));

/** A JSON object as entries, so keys such as `__proto__` reach the parser as text. */
class WireObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}

  text(): string {
    const value = (v: unknown): string =>
      v instanceof WireObject ? v.text() : JSON.stringify(v ?? null);
    return `{${this.entries.map(([k, v]) => `${JSON.stringify(k)}:${value(v)}`).join(',')}}`;
  }

  /** Parsed as the codec would (an own `__proto__` property, not a prototype). */
  parse(): Record<string, unknown> {
    return JSON.parse(this.text()) as Record<string, unknown>;
  }
}

/** Values as they come off the wire, with objects that use the keys coercion looks up. */
const wireValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(...TYPES),
    fc.integer(),
    fc.constant(null),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(key, tie('value')), { maxLength: 5 })
    .map((entries) => new WireObject(entries)),
})).value;
const wireObject = fc
  .array(fc.tuple(key, wireValue), { maxLength: 8 })
  .map((entries) => new WireObject(entries));

const RELAY_TYPES = [
  'hello_response',
  'auth_response',
  'tunnel_response',
  'heartbeat_response',
  'heartbeat',
  'stream_response',
  'error',
  'other',
  'untyped',
  'invalid',
];

describe('parseRelayMessage', () => {
  it('reads any JSON object without throwing, as one of the documented kinds', () => {
    fc.assert(
      fc.property(wireObject, (object) => {
        const message = parseRelayMessage(object.parse());
        expect(RELAY_TYPES).toContain(message.type);
      }),
      { numRuns: 3000 },
    );
  });

  it('turns a numeric type and an object that cannot become a number into `invalid` or a default', () => {
    expect(parseRelayMessage({ type: 5 })).toMatchObject({ type: 'invalid', field: 'type' });
    const trap = JSON.parse('{"toString":1,"valueOf":1}') as unknown;
    expect(
      parseRelayMessage({ type: 'error', code: 'rate_limit', details: { retry_after: trap } }),
    ).toMatchObject({ type: 'error', retryAfterSec: null });
    expect(parseRelayMessage({ type: 'error', details: { retry_after: '7' } })).toMatchObject({
      retryAfterSec: 7,
    });
  });
});

describe('guard', () => {
  it('turns what a handler throws into a reason and never rethrows', () => {
    const reasons: string[] = [];
    const onThrow = (reason: string): void => {
      reasons.push(reason);
      throw new Error('the close path failed too');
    };
    guard(() => {
      throw new MuxFrameError('bad_payload', 'WINDOW credit of 0');
    }, onThrow)();
    guard(() => {
      throw new MessageError('protocol_error', 'field "type" must be a string', 'type');
    }, onThrow)();
    guard(() => {
      throw new TypeError('x is undefined');
    }, onThrow)();
    guard(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw { toString: 1 };
    }, onThrow)();
    expect(reasons).toEqual([
      'bad_payload: WINDOW credit of 0',
      'protocol_error: field "type" must be a string',
      'internal_error: TypeError: x is undefined',
      'internal_error: unprintable exception',
    ]);
    expect(describeError(new Error('x'.repeat(500))).length).toBeLessThan(210);
  });
});

const streamId = fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 7, 9), fc.nat());
function raw(type: number, id: number, payload: Uint8Array, length = payload.length): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out[0] = type & 0xff;
  out.writeUInt32BE(id >>> 0, 1);
  out.writeUInt32BE(length >>> 0, 5);
  out.set(payload, 9);
  return out;
}
const u32 = (n: number): Uint8Array => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** Frames as a peer may send them: valid, subtly wrong, and plain garbage. */
const peerFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 12 }), streamId, fc.uint8Array({ maxLength: 40 }))
    .map(([t, id, p]) => raw(t, id, p)),
  fc
    .tuple(
      streamId,
      fc.oneof(fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff), fc.nat()),
    )
    .map(([id, credit]) => raw(FrameType.WINDOW, id, u32(credit))),
  fc
    .tuple(fc.constantFrom(1, 3, 5), fc.uint8Array({ minLength: 1, maxLength: 3000 }))
    .map(([id, p]) => encodeFrame(FrameType.DATA, id, p)),
  fc
    .tuple(
      fc.constantFrom(FrameType.OPEN_OK, FrameType.FIN, FrameType.RST, FrameType.OPEN_ERR),
      fc.constantFrom(1, 3, 5),
    )
    .map(([t, id]) => encodeFrame(t, id)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 41 }),
      fc.constantFrom('{}', '{"tunnel_id":"t","stream_token":"s"}', 'x'),
    )
    .map(([id, p]) => encodeFrame(FrameType.OPEN, id * 2 - 1, Buffer.from(p))),
  fc.uint8Array({ maxLength: 8 }).map((p) => encodeFrame(FrameType.PING, 0, p)),
  fc
    .tuple(fc.integer({ min: 0, max: 12 }), streamId, fc.nat())
    .map(([t, id, len]) => raw(t, id, new Uint8Array(0), len)),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

describe('a mux connection fed arbitrary frames', () => {
  it('closes only with a protocol error, never throws, for either role', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'client' | 'relay'>('client', 'relay'),
        fc.array(peerFrame, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (role, frames, cuts) => {
          const socket = new FakeSocket();
          let closed: string | null | undefined;
          const conn = new MuxConnection({
            socket: socket.asSocket,
            role,
            window: 4096,
            maxStreams: 4,
            onClosed: (error) => (closed = error),
            onOpen: (stream, payload) => {
              if (payload.length % 2 === 1) {
                stream.refuse({ type: 'error', code: 'invalid_token', message: 'no' });
                return;
              }
              stream.attach(new FakeSocket().asSocket);
              stream.accept();
            },
          });
          if (role === 'client')
            for (let i = 0; i < 3; i++)
              conn.openStream(Buffer.from('{}')).attach(new FakeSocket().asSocket);
          for (const part of splitAt(Buffer.concat(frames), cuts)) {
            socket.emit('data', part);
            await settle();
          }
          socket.emit('end');
          await settle();
          expect(
            closed === undefined || closed === null || closed.startsWith('protocol_error: '),
          ).toBe(true);
          // Every way of failing is a documented check, not an exception of ours.
          expect(closed ?? '').not.toContain('internal_error');
          expect(conn.isClosed).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('a mux connection whose own callbacks throw', () => {
  it('still ends every stream and reports the connection closed, and nothing escapes', async () => {
    const socket = new FakeSocket();
    let closed: string | null | undefined;
    const conn = new MuxConnection({
      socket: socket.asSocket,
      role: 'client',
      onClosed: (error) => (closed = error),
    });
    const first = conn.openStream(Buffer.from('{}'));
    const second = conn.openStream(Buffer.from('{}'));
    first.attach(new FakeSocket().asSocket);
    second.attach(new FakeSocket().asSocket);
    first.onEnd = () => {
      throw new Error('a bug in the caller');
    };
    let secondEnded = false;
    second.onEnd = () => (secondEnded = true);
    socket.destroy();
    await settle();
    expect(secondEnded).toBe(true);
    expect(closed).toBe('internal_error: Error: a bug in the caller');
  });
});

describe('a control session fed arbitrary lines', () => {
  const line = fc.oneof(
    wireObject.map((object) => object.text() + '\n'),
    fc.constantFrom(
      '{"type":5}\n',
      '{"type":"hello_response","features":"tcp_mux"}\n',
      '{"type":"auth_response","status":{"ok":true},"client_id":[1]}\n',
      '{"type":"error","code":{"x":1},"details":{"retry_after":{"toString":1}}}\n',
      '[1,2]\n',
      'null\n',
      '\r\n',
    ),
    fc.string({ maxLength: 30 }),
    fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('latin1')),
  );

  it('never throws out of a handler, and fails only with an EngineError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 12 }),
        fc.boolean(),
        async (lines, established) => {
          const socket = new FakeSocket();
          const clock = new FakeClock();
          const failures: EngineError[] = [];
          const session = new ControlSession({
            socket: socket.asSocket,
            clock,
            log: () => undefined,
            opener: 'client',
            clientVersion: 'test',
            onClosed: (error) => failures.push(error),
          });
          const handshake = session.handshake('token', null).then(
            () => null,
            (error: unknown) => error,
          );
          if (established) session.startHeartbeat(() => undefined);
          for (const text of lines) {
            socket.emit('data', Buffer.from(text, 'latin1'));
            await settle();
          }
          clock.advance(60_000);
          session.close();
          const outcome = await handshake;
          expect(outcome === null || outcome instanceof EngineError).toBe(true);
          for (const failure of failures) expect(failure).toBeInstanceOf(EngineError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
