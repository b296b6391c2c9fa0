// One serving connection of a published server (docs/protocol.md "Serving connection and
// relay-initiated streams"): a relay data connection whose `mux_open` names the registration
// and its serve token, then a mux connection on which the relay opens the streams; PING every
// 30 s, dropped when a PONG is 10 s late. Owns that connection; what an OPEN means is the
// caller's (serve-streams.ts).

import type net from 'node:net';
import { encodeMessage, LineDecoder, type JsonObject } from '../protocol/codec';
import { describeError, guard } from '../protocol/guard';
import { parseRelayMessage } from '../protocol/messages';
import { MuxConnection, type MuxStream } from '../protocol/mux-connection';
import type { Clock } from '../shared/clock';
import { relayErrorToEngine } from './control-answers';
import { EngineError } from './errors';
import { MAX_ACCEPTED_MUX_WINDOW, MUX_PING_INTERVAL_MS, MUX_PING_TIMEOUT_MS } from './mux-client';
import { AnswerReader } from './relay-answer';
import { MAX_RESPONSE_LINE_BYTES } from './stream-forwarder';

const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ServingOptions {
  /** A ready transport to the relay's serving endpoint (TLS handshaken and pin-checked). */
  readonly connect: () => Promise<net.Socket>;
  readonly clock: Clock;
  readonly tunnelId: string;
  readonly serveToken: string;
  readonly onOpen: (stream: MuxStream, payload: Buffer) => void;
  /** Once, when the connection is gone; `error` names why. */
  readonly onClosed: (error: string | null) => void;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
}

export interface ServingConnection {
  readonly conn: MuxConnection;
  close(): void;
}

/** The relay refused the serve token: the registration it names is gone (re-register). */
export function isStaleRegistration(error: unknown): boolean {
  return error instanceof EngineError && error.detail === 'bad_serve_token';
}

interface Answer {
  readonly rest: Buffer;
  readonly window: number;
  readonly maxStreams: number;
}

function readAnswer(line: JsonObject): Answer | EngineError {
  const message = parseRelayMessage(line);
  if (message.type === 'error') {
    const details = line['details'];
    const reason =
      typeof details === 'object' && details !== null
        ? (details as Record<string, unknown>)['reason']
        : undefined;
    const error = relayErrorToEngine(message);
    return reason === 'bad_serve_token'
      ? new EngineError(error.code, error.message, 'bad_serve_token')
      : error;
  }
  if (line['type'] !== 'mux_response' || line['status'] !== 'ok')
    return new EngineError('protocol_error', 'relay sent no mux_response to the serving mux_open');
  const window = line['window'];
  const maxStreams = line['max_streams'];
  const positive = (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 0x7fff_ffff;
  if (!positive(window) || !positive(maxStreams))
    return new EngineError(
      'protocol_error',
      'relay sent a mux_response without window or max_streams',
    );
  if (window > MAX_ACCEPTED_MUX_WINDOW)
    return new EngineError(
      'protocol_error',
      'relay announced a larger mux window than the client accepts',
      `window ${window} > ${MAX_ACCEPTED_MUX_WINDOW}`,
    );
  return { rest: Buffer.alloc(0), window, maxStreams };
}

function handshake(socket: net.Socket, options: ServingOptions): Promise<Answer> {
  const { clock } = options;
  return new Promise<Answer>((resolve, reject) => {
    const decoder = new LineDecoder(MAX_RESPONSE_LINE_BYTES);
    // A serving connection is a data connection: one leading greeting is skipped.
    const answers = new AnswerReader(decoder);
    const done = (result: Answer | EngineError): void => {
      clock.clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (result instanceof EngineError) {
        socket.destroy();
        reject(result);
        return;
      }
      socket.pause();
      resolve({ ...result, rest: decoder.takeRest() });
    };
    const onData = guard(
      (chunk: Buffer): void => {
        let line;
        try {
          line = answers.push(chunk);
        } catch (error) {
          done(
            new EngineError(
              'protocol_error',
              'relay sent a malformed mux_response',
              describeError(error),
            ),
          );
          return;
        }
        if (line !== undefined) done(readAnswer(line));
      },
      (reason) => done(new EngineError('protocol_error', 'serving handshake failed', reason)),
    );
    const onClose = (): void =>
      done(
        new EngineError(
          'connection_lost',
          'relay closed the serving connection before mux_response',
        ),
      );
    const onError = (error: Error): void =>
      done(new EngineError('connection_lost', 'serving connection failed', error.message));
    const timer = clock.setTimeout(
      () => done(new EngineError('connect_timeout', 'relay did not answer the serving mux_open')),
      HANDSHAKE_TIMEOUT_MS,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write(
      encodeMessage({ type: 'mux_open', serve: options.tunnelId, serve_token: options.serveToken }),
    );
  });
}

/** Opens one serving connection; rejects with an EngineError (isStaleRegistration tells why). */
export async function openServing(options: ServingOptions): Promise<ServingConnection> {
  const socket = await options.connect();
  const answer = await handshake(socket, options);
  const { clock } = options;
  let pingTimer: unknown = null;
  let pongTimer: unknown = null;
  const stopTimers = (): void => {
    if (pingTimer !== null) clock.clearTimeout(pingTimer);
    if (pongTimer !== null) clock.clearTimeout(pongTimer);
    pingTimer = null;
    pongTimer = null;
  };
  const conn = new MuxConnection({
    socket,
    role: 'client',
    initial: answer.rest,
    window: answer.window,
    maxStreams: answer.maxStreams,
    onOpen: options.onOpen,
    onPong: () => {
      if (pongTimer !== null) clock.clearTimeout(pongTimer);
      pongTimer = null;
    },
    onClosed: (error) => {
      stopTimers();
      options.onClosed(error);
    },
  });
  // The relay closes a mux connection it hears nothing from for 90 s (docs/protocol.md).
  const schedulePing = (): void => {
    pingTimer = clock.setTimeout(() => {
      pingTimer = null;
      if (conn.isClosed) return;
      conn.ping(Buffer.alloc(8));
      pongTimer ??= clock.setTimeout(() => {
        pongTimer = null;
        conn.destroy('ping_timeout');
      }, options.pingTimeoutMs ?? MUX_PING_TIMEOUT_MS);
      schedulePing();
    }, options.pingIntervalMs ?? MUX_PING_INTERVAL_MS);
  };
  if (!conn.isClosed) schedulePing();
  return {
    conn,
    close: () => {
      stopTimers();
      conn.destroy();
    },
  };
}
