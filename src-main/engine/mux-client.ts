// The client's tcp_mux data connections to one relay (docs/protocol.md "Multiplexed data
// streams"): one kept ready, opened in the background and replaced when it dies, a second only
// when the first is full; PING every 30 s, a connection silent for 10 s after one is dropped.
// Also forwards one local socket over one mux stream. Owns the mux connections, not the streams'
// sockets (they end with their streams).

import type net from 'node:net';
import type { LogFn } from './log';
import { baseDelayMs } from './backoff';
import type { TunnelCounters } from './counters';
import { EngineError } from './errors';
import { encodeMessage, LineDecoder, type JsonObject } from '../protocol/codec';
import { describeError, guard } from '../protocol/guard';
import { parseRelayMessage, type RelayMessage } from '../protocol/messages';
import {
  DEFAULT_MUX_MAX_STREAMS,
  DEFAULT_MUX_WINDOW,
  MuxConnection,
  type MuxStream,
} from '../protocol/mux-connection';
import { isPeerGone, MAX_RESPONSE_LINE_BYTES, streamRefusal } from './stream-forwarder';
import { AnswerReader } from './relay-answer';
import type { ForwardHandle } from './stream-forwarder';
import type { Clock } from '../shared/clock';

export const MUX_PING_INTERVAL_MS = 30_000;
export const MUX_PING_TIMEOUT_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Largest per-stream window the client accepts in mux_response: the relay may send this much on
 * each stream before the client grants more, and the client holds what its local program has
 * not read yet, so a relay's window is a bound on the client's memory (docs/protocol.md#limits).
 */
export const MAX_ACCEPTED_MUX_WINDOW = 16 * 1024 * 1024;
/** New mux connections one stream may wait for before it gives up (each is a full handshake). */
const MAX_OPEN_ATTEMPTS = 4;

export interface MuxClientOptions {
  /** A ready transport to the relay (TLS handshaken and verified). */
  readonly connect: () => Promise<net.Socket>;
  readonly clock: Clock;
  readonly log: LogFn;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
}

interface Entry {
  readonly conn: MuxConnection;
  pingTimer: unknown;
  pongTimer: unknown;
}

export class MuxClient {
  private readonly entries: Entry[] = [];
  private opening: Promise<Entry> | null = null;
  private running = false;
  private failures = 0;
  private retryTimer: unknown = null;

  constructor(private readonly options: MuxClientOptions) {}

  get connectionCount(): number {
    return this.entries.length;
  }

  /** Keeps one mux connection ready from now on. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    this.ensureReady();
  }

  /**
   * Stops re-establishing; idle connections close now, busy ones once their last stream ends
   * (established streams outlive the control connection, docs/protocol.md "Data streams").
   */
  stop(): void {
    this.running = false;
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // Not running any more, so this closes the idle connections.
    this.streamEnded();
  }

  /** Closes every mux connection; their streams are reset. */
  destroy(): void {
    this.stop();
    for (const entry of [...this.entries]) entry.conn.destroy();
  }

  /** A new stream with its OPEN sent, on a connection with room (opened now if need be). */
  async openStream(payload: Buffer): Promise<MuxStream> {
    // Callers waiting for the same new connection may fill it: look again after each wait.
    for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt++) {
      const entry = this.entries.find((e) => e.conn.hasCapacity);
      if (entry !== undefined) {
        const stream = entry.conn.openStream(payload);
        this.ensureReady();
        return stream;
      }
      await this.establish();
    }
    throw new EngineError(
      'stream_failed',
      'no mux connection to the relay has room for another stream',
    );
  }

  /** Called by a stream's owner when it ends: a stopped client lets an idle connection go. */
  streamEnded(): void {
    if (this.running) return;
    for (const entry of [...this.entries]) if (entry.conn.streamCount === 0) entry.conn.destroy();
  }

  private ensureReady(): void {
    if (!this.running || this.retryTimer !== null || this.opening !== null) return;
    if (this.entries.some((e) => e.conn.hasCapacity)) return;
    this.establish().then(
      () => {
        this.failures = 0;
      },
      (err: unknown) => {
        if (!this.running) return;
        this.failures += 1;
        const delay = baseDelayMs(this.failures);
        // A relay that answers mux_open with nonsense is worth a warning; a failed dial is not.
        const broken = err instanceof EngineError && err.code === 'protocol_error';
        this.options.log(
          broken ? 'warn' : 'debug',
          broken ? 'mux_protocol_error' : 'mux_connect_failed',
          null,
          {
            reason: err instanceof Error ? err.message : String(err),
            ...(broken && err.detail !== undefined ? { detail: err.detail } : {}),
            retry_ms: delay,
          },
        );
        this.retryTimer = this.options.clock.setTimeout(() => {
          this.retryTimer = null;
          this.ensureReady();
        }, delay);
      },
    );
  }

  /** One mux connection: transport, mux_open, mux_response. Concurrent callers share it. */
  private establish(): Promise<Entry> {
    this.opening ??= this.handshake().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async handshake(): Promise<Entry> {
    const socket = await this.options.connect();
    const { clock } = this.options;
    const answer = await new Promise<{ rest: Buffer; window: number; maxStreams: number }>(
      (resolve, reject) => {
        const decoder = new LineDecoder(MAX_RESPONSE_LINE_BYTES);
        // The relay greets a connection that stays silent (docs/protocol.md#opener).
        const answers = new AnswerReader(decoder);
        const done = (
          err: EngineError | null,
          ok?: { rest: Buffer; window: number; maxStreams: number },
        ): void => {
          clock.clearTimeout(timer);
          socket.off('data', onData);
          socket.off('close', onClose);
          socket.off('error', onError);
          if (err !== null) {
            socket.destroy();
            reject(err);
          } else {
            socket.pause();
            resolve(
              ok ?? {
                rest: Buffer.alloc(0),
                window: DEFAULT_MUX_WINDOW,
                maxStreams: DEFAULT_MUX_MAX_STREAMS,
              },
            );
          }
        };
        const onAnswer = (first: JsonObject): void => {
          const message = parseRelayMessage(first);
          if (message.type === 'invalid') {
            done(protocolError('relay sent an invalid mux_response', message.reason));
            return;
          }
          if (first['type'] !== 'mux_response' || first['status'] !== 'ok') {
            const detail =
              message.type === 'error'
                ? `relay error ${String(message.rawCode)}`
                : `answer type ${message.type === 'other' ? message.rawType : message.type}`;
            done(new EngineError('stream_failed', 'relay refused the mux connection', detail));
            return;
          }
          // Both directions use the window the relay announces (docs/protocol.md), and never
          // more streams than it accepts on one connection.
          const window = positiveInt(first['window']);
          const maxStreams = positiveInt(first['max_streams']);
          if (window === null || maxStreams === null) {
            done(protocolError('relay sent a mux_response without window or max_streams'));
            return;
          }
          if (window > MAX_ACCEPTED_MUX_WINDOW) {
            done(
              protocolError(
                'relay announced a larger mux window than the client accepts',
                `window ${window} > ${MAX_ACCEPTED_MUX_WINDOW}`,
              ),
            );
            return;
          }
          done(null, { rest: decoder.takeRest(), window, maxStreams });
        };
        // Whatever the relay answers, nothing throws out of this handler: the attempt fails.
        const onData = guard(
          (chunk: Buffer): void => {
            let first;
            try {
              first = answers.push(chunk);
            } catch (err) {
              done(protocolError('relay sent a malformed mux_response', describeError(err)));
              return;
            }
            if (first !== undefined) onAnswer(first);
          },
          (reason) => done(protocolError('mux handshake failed on what the relay sent', reason)),
        );
        const onClose = (): void =>
          done(
            new EngineError('stream_failed', 'relay closed the mux connection before mux_response'),
          );
        const onError = (err: Error): void =>
          done(new EngineError('stream_failed', 'mux connection failed', err.message));
        const timer = clock.setTimeout(
          () => done(new EngineError('stream_failed', 'relay did not answer mux_open')),
          HANDSHAKE_TIMEOUT_MS,
        );
        socket.on('data', onData);
        socket.once('close', onClose);
        socket.once('error', onError);
        socket.write(encodeMessage({ type: 'mux_open' }));
      },
    );
    let entry: Entry | null = null;
    const conn = new MuxConnection({
      socket,
      role: 'client',
      initial: answer.rest,
      window: answer.window,
      maxStreams: answer.maxStreams,
      onPong: () => {
        if (entry === null || entry.pongTimer === null) return;
        clock.clearTimeout(entry.pongTimer);
        entry.pongTimer = null;
      },
      onClosed: (error) => {
        if (entry !== null) this.onClosed(entry, error);
      },
    });
    entry = { conn, pingTimer: null, pongTimer: null };
    this.entries.push(entry);
    this.schedulePing(entry);
    this.options.log('debug', 'mux_connected', null, { connections: this.entries.length });
    return entry;
  }

  private schedulePing(entry: Entry): void {
    const { clock } = this.options;
    entry.pingTimer = clock.setTimeout(() => {
      entry.pingTimer = null;
      if (entry.conn.isClosed) return;
      entry.conn.ping(Buffer.alloc(8));
      entry.pongTimer ??= clock.setTimeout(() => {
        entry.pongTimer = null;
        entry.conn.destroy('ping_timeout');
      }, this.options.pingTimeoutMs ?? MUX_PING_TIMEOUT_MS);
      this.schedulePing(entry);
    }, this.options.pingIntervalMs ?? MUX_PING_INTERVAL_MS);
  }

  private onClosed(entry: Entry, error: string | null): void {
    const { clock } = this.options;
    if (entry.pingTimer !== null) clock.clearTimeout(entry.pingTimer);
    if (entry.pongTimer !== null) clock.clearTimeout(entry.pongTimer);
    const index = this.entries.indexOf(entry);
    if (index !== -1) this.entries.splice(index, 1);
    this.options.log(error !== null ? 'warn' : 'debug', 'mux_closed', null, { error });
    this.ensureReady();
  }
}

export interface MuxForwardOptions {
  readonly local: net.Socket;
  readonly stream: MuxStream;
  readonly counters: TunnelCounters;
  readonly onProgress: () => void;
  /** Called once when the stream is over; error set when it failed. */
  readonly onDone: (error: EngineError | null) => void;
}

/** One local socket over one mux stream: the mux counterpart of forwardStream(). */
export function forwardMuxStream(options: MuxForwardOptions): ForwardHandle {
  const { local, stream, counters, onProgress } = options;
  counters.streamOpened();
  onProgress();
  local.setNoDelay(true);
  let failure: EngineError | null = null;
  stream.onBytes = (direction, bytes) => {
    if (direction === 'to_peer') counters.bytesOut += bytes;
    else counters.bytesIn += bytes;
    onProgress();
  };
  stream.onOpenResult = (refusal) => {
    if (refusal === null) return;
    failure = refusalError(refusal);
  };
  stream.onEnd = (end) => {
    if (failure === null && end.reset) {
      if (end.error === 'mux_connection_lost')
        failure = new EngineError('stream_failed', 'mux connection to the relay was lost');
      else if (end.error === 'peer_reset')
        failure = new EngineError(
          'stream_failed',
          'relay reset the stream',
          end.payload !== null ? refusalError(end.payload).message : undefined,
        );
      else if (end.error !== null && !isPeerGone(end.error) && end.error !== 'local_reset')
        failure = new EngineError('stream_failed', 'local connection failed', end.error);
    }
    counters.streamClosed(failure !== null);
    onProgress();
    if (!local.destroyed) local.destroy();
    options.onDone(failure);
  };
  stream.attach(local);
  return {
    destroy(): void {
      stream.reset();
      local.destroy();
    },
  };
}

/** A window or stream count from mux_response: a positive integer up to 2^31-1, else null. */
function positiveInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 0x7fff_ffff
    ? value
    : null;
}

function protocolError(message: string, detail?: string): EngineError {
  return new EngineError('protocol_error', message, detail);
}

function refusalError(payload: Buffer): EngineError {
  let message: RelayMessage | null = null;
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      message = parseRelayMessage(value as JsonObject);
  } catch {
    // Not JSON: the generic refusal.
  }
  return streamRefusal(message);
}
