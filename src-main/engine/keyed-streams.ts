// A consumer's stream to a keyed published server (docs/protocol.md "End to end"): the
// stream to the relay (a mux stream, or a data connection with its stream_open), then TLS 1.3
// inside it pinned to the server's registered key. Resolves with the inner TLS socket, which
// the data path forwards like any remote socket. Refusals keep the relay's `details.reason`,
// so the tunnel can act on it (docs/protocol.md "Reaching a published server").

import type net from 'node:net';
import type tls from 'node:tls';
import { encodeMessage, LineDecoder, type JsonObject } from '../protocol/codec';
import { describeError, guard } from '../protocol/guard';
import { parseRelayMessage } from '../protocol/messages';
import type { Clock } from '../shared/clock';
import { EngineError, toEngineError } from './errors';
import { connectPinned } from './inner-tls';
import type { MuxClient } from './mux-client';
import { MuxDuplex } from './mux-duplex';
import { relayRefusal } from './control-answers';
import { AnswerReader } from './relay-answer';
import { MAX_RESPONSE_LINE_BYTES, streamErrorCode } from './stream-forwarder';
import type { TunnelRoute } from './tunnel-runtime';

const ANSWER_TIMEOUT_MS = 10_000;

export interface KeyedStreamOptions {
  readonly route: TunnelRoute;
  readonly publicKey: string;
  readonly streamToken: string;
  readonly clock: Clock;
  /** The mux client, when streams travel as frames; else `dataConnection`. */
  readonly mux: MuxClient | null;
  /** A ready data connection to the relay (from the warm pool). */
  readonly dataConnection: () => Promise<net.Socket>;
}

/** A relay refusal of one stream, with the code the tunnel shows and the relay's reason. */
class StreamRefused extends EngineError {
  constructor(
    base: EngineError,
    readonly reason: string | null,
  ) {
    super(streamErrorCode(base.code), base.message, reason ?? base.detail);
  }
}

function refusalFrom(line: JsonObject): StreamRefused {
  const message = parseRelayMessage(line);
  const error =
    relayRefusal(line, message) ?? new EngineError('stream_failed', 'relay refused the stream');
  return new StreamRefused(error, typeof error.detail === 'string' ? error.detail : null);
}

function refusalFromPayload(payload: Buffer | null): StreamRefused {
  try {
    const value: unknown = payload === null ? null : JSON.parse(payload.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return refusalFrom(value as JsonObject);
  } catch {
    // Not JSON: the generic refusal.
  }
  return new StreamRefused(new EngineError('stream_failed', 'relay refused the stream'), null);
}

/** Opens the stream and the pinned inner TLS; rejects with an EngineError. */
export async function openKeyedStream(options: KeyedStreamOptions): Promise<tls.TLSSocket> {
  const { route, clock } = options;
  const server = route.config.server ?? route.config.id;
  let refused: StreamRefused | null = null;
  let transport;
  try {
    if (options.mux !== null) {
      const mux = options.mux;
      const stream = await mux.openStream(
        Buffer.from(
          JSON.stringify({ tunnel_id: route.config.id, stream_token: options.streamToken }),
        ),
      );
      stream.onOpenResult = (refusal) => {
        if (refusal !== null) refused = refusalFromPayload(refusal);
      };
      stream.onEnd = (end) => {
        if (refused === null && end.payload !== null) refused = refusalFromPayload(end.payload);
        mux.streamEnded();
      };
      // The ClientHello goes right behind OPEN: the relay holds it until the server answers.
      transport = new MuxDuplex(stream);
    } else {
      transport = await openDataStream(await options.dataConnection(), options, clock);
    }
    transport.on('error', () => undefined);
    return await connectPinned(transport, options.publicKey, clock, server);
  } catch (error) {
    const failure = refused ?? toEngineError(error, 'stream_failed');
    // The tunnel shows why its last stream failed, as for a stream refused after it started.
    route.streamEnded(failure);
    if (failure instanceof StreamRefused) route.serverRefused(failure, failure.reason);
    throw failure;
  }
}

/** `stream_open` on a data connection, then its answer (one greeting skipped). */
function openDataStream(
  socket: net.Socket,
  options: KeyedStreamOptions,
  clock: Clock,
): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const lines = new LineDecoder(MAX_RESPONSE_LINE_BYTES);
    const answers = new AnswerReader(lines);
    const done = (error: EngineError | null, rest?: Buffer): void => {
      clock.clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (error !== null) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.pause();
      if (rest !== undefined && rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onData = guard(
      (chunk: Buffer) => {
        let line;
        try {
          line = answers.push(chunk);
        } catch (error) {
          done(
            new EngineError(
              'protocol_error',
              'relay sent a malformed stream_response',
              describeError(error),
            ),
          );
          return;
        }
        if (line === undefined) return;
        const message = parseRelayMessage(line);
        if (message.type === 'stream_response' && message.status === 'ok')
          done(null, lines.takeRest());
        else done(refusalFrom(line));
      },
      (reason) =>
        done(new EngineError('protocol_error', 'stream failed on what the relay sent', reason)),
    );
    const onClose = (): void =>
      done(
        new EngineError('stream_failed', 'relay closed the data connection before stream_response'),
      );
    const onError = (error: Error): void =>
      done(new EngineError('stream_failed', 'data connection to the relay failed', error.message));
    const timer = clock.setTimeout(
      () => done(new EngineError('stream_failed', 'relay did not answer stream_open')),
      ANSWER_TIMEOUT_MS,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write(
      encodeMessage({
        type: 'stream_open',
        tunnel_id: options.route.config.id,
        stream_token: options.streamToken,
      }),
    );
  });
}
