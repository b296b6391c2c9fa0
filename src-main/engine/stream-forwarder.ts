// One local socket <-> one data connection (docs/protocol.md "Data streams"): the stream_open line,
// then raw bytes both ways with back-pressure, FIN passed on as FIN and reset as reset. Counts
// bytes into plain numbers; no per-chunk allocation, copy or log. Whatever the relay answers, no
// handler throws: a bad answer fails this stream only.

import type net from 'node:net';
import { LineDecoder } from '../protocol/codec';
import { describeError, guard } from '../protocol/guard';
import { parseRelayMessage, type RelayMessage } from '../protocol/messages';
import type { ErrorCode } from '../shared/model';
import { EngineError } from './errors';
import type { TunnelCounters } from './counters';
import { resetSocket } from '../protocol/socket-reset';
import { AnswerReader } from './relay-answer';

/** stream_response and mux_response are one short line; anything longer is a broken relay. */
export const MAX_RESPONSE_LINE_BYTES = 16 * 1024;

/** Relay stream errors as the tunnel shows them (docs/protocol.md#errors, data_transfer_failed). */
export function streamErrorCode(code: string): ErrorCode {
  switch (code) {
    case 'data_transfer_failed':
      return 'target_unreachable';
    case 'ip_not_allowed':
    case 'connection_limit_reached':
    case 'invalid_token':
    case 'tenant_limit_exceeded':
      return code;
    default:
      return 'stream_failed';
  }
}

/**
 * The relay refused a stream: its error as the tunnel shows it, else a generic refusal with
 * `otherDetail`.
 */
export function streamRefusal(message: RelayMessage | null, otherDetail?: string): EngineError {
  if (message?.type === 'error')
    return new EngineError(
      streamErrorCode(message.code),
      message.message !== '' ? message.message : 'relay refused the stream',
      `relay error ${String(message.rawCode)}`,
    );
  return new EngineError('stream_failed', 'relay refused the stream', otherDetail);
}

/** A local socket error that only says the other end went away: not a stream failure. */
export function isPeerGone(code: string | null | undefined): boolean {
  return code === 'ECONNRESET' || code === 'EPIPE';
}

export interface ForwardOptions {
  readonly local: net.Socket;
  readonly remote: net.Socket;
  readonly counters: TunnelCounters;
  /** The stream_open line; null when `remote` is already the target (direct mode). */
  readonly openLine: Buffer | null;
  /** Counters moved (cheap; the caller throttles). */
  readonly onProgress: () => void;
  /** Called once when both sockets are done; error set when the stream failed. */
  readonly onDone: (error: EngineError | null) => void;
}

export interface ForwardHandle {
  /** Ends the stream at once (user disconnect, engine close). */
  destroy(): void;
}

export function forwardStream(options: ForwardOptions): ForwardHandle {
  const { local, remote, counters, onProgress } = options;
  let decoder: LineDecoder | null =
    options.openLine !== null ? new LineDecoder(MAX_RESPONSE_LINE_BYTES) : null;
  // A pooled connection may have sat silent past the relay's greeting (docs/protocol.md#opener).
  const answers = decoder !== null ? new AnswerReader(decoder) : null;
  let done = false;
  let failure: EngineError | null = null;
  let localClosed = false;
  let remoteClosed = false;

  counters.streamOpened();
  onProgress();
  local.setNoDelay(true);
  remote.setNoDelay(true);

  const finish = (): void => {
    if (done || !localClosed || !remoteClosed) return;
    done = true;
    counters.streamClosed(failure !== null);
    onProgress();
    options.onDone(failure);
  };

  const fail = (err: EngineError): void => {
    if (failure === null) failure = err;
    resetSocket(local);
    resetSocket(remote);
  };

  const toLocal = (chunk: Buffer): void => {
    counters.bytesIn += chunk.length;
    onProgress();
    if (!local.write(chunk)) remote.pause();
  };

  // local -> relay starts at once, right behind stream_open (pipelining: the relay buffers
  // until the target is connected, docs/protocol.md "Data streams").
  if (options.openLine !== null) remote.write(options.openLine);
  local.on('data', (chunk: Buffer) => {
    counters.bytesOut += chunk.length;
    onProgress();
    if (!remote.write(chunk)) local.pause();
  });
  remote.on('drain', () => local.resume());
  local.on('drain', () => remote.resume());

  // Anything the relay's bytes make a handler throw fails this stream, naming why.
  const onThrow = (reason: string): void =>
    fail(new EngineError('protocol_error', 'stream failed on what the relay sent', reason));
  remote.on(
    'data',
    guard((chunk: Buffer) => {
      if (decoder === null) {
        toLocal(chunk);
        return;
      }
      let answer;
      try {
        answer = (answers as AnswerReader).push(chunk);
      } catch (err) {
        fail(
          new EngineError(
            'protocol_error',
            'relay sent a malformed stream_response',
            describeError(err),
          ),
        );
        return;
      }
      onAnswer(answer);
    }, onThrow),
  );

  const onAnswer = (first: Record<string, unknown> | undefined): void => {
    if (first === undefined || decoder === null) return;
    const message = parseRelayMessage(first);
    if (message.type === 'invalid') {
      fail(
        new EngineError('protocol_error', 'relay sent an invalid stream_response', message.reason),
      );
      return;
    }
    const ok =
      (message.type === 'stream_response' && message.status === 'ok') ||
      (message.type === 'untyped' && message.status !== 'failed');
    if (!ok) {
      fail(streamRefusal(message, `answer type ${message.type}`));
      return;
    }
    const rest = decoder.takeRest();
    decoder = null;
    if (rest.length > 0) toLocal(rest);
  };

  // FIN -> FIN (half-close; both sockets are allowHalfOpen).
  local.on('end', () => {
    if (!remote.destroyed) remote.end();
  });
  remote.on(
    'end',
    guard(() => {
      if (decoder !== null) {
        fail(
          new EngineError(
            'stream_failed',
            'relay closed the data connection before stream_response',
          ),
        );
        return;
      }
      if (!local.destroyed) local.end();
    }, onThrow),
  );

  // Reset -> reset: an error on one side aborts the other.
  local.on('error', (err: NodeJS.ErrnoException) => {
    if (failure === null && !isPeerGone(err.code)) {
      failure = new EngineError('stream_failed', 'local connection failed', err.message);
    }
    resetSocket(remote);
  });
  remote.on(
    'error',
    guard((err: Error) => {
      if (failure === null)
        failure = new EngineError(
          'stream_failed',
          'data connection to the relay failed',
          err.message,
        );
      resetSocket(local);
    }, onThrow),
  );
  local.on('close', (hadError: boolean) => {
    localClosed = true;
    if (hadError && !remote.destroyed) resetSocket(remote);
    finish();
  });
  remote.on(
    'close',
    guard((hadError: boolean) => {
      remoteClosed = true;
      if (hadError && !local.destroyed) resetSocket(local);
      finish();
    }, onThrow),
  );

  local.resume();
  return {
    destroy(): void {
      local.destroy();
      remote.destroy();
    },
  };
}
