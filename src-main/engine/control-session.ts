// One control connection to a relay (docs/protocol.md#control-session): opener negotiation,
// hello, auth, tunnel registration and heartbeats, tolerant of every dialect in
// docs/protocol.md#relays-in-the-wild-tolerances. Owns the socket it is given; knows nothing of
// retries, listeners or data streams (session-supervisor.ts, tunnel-set.ts, data-path.ts).

import os from 'node:os';
import type net from 'node:net';
import { CodecError, LineDecoder, encodeMessage, type JsonObject } from '../protocol/codec';
import { actionFor } from '../protocol/errors';
import { guard } from '../protocol/guard';
import {
  CLIENT_FEATURES,
  PROTOCOL_VERSION,
  parseRelayMessage,
  type ClientMessage,
  type HeartbeatMessage,
  type RelayError,
  type RelayMessage,
  type TunnelInfoMessage,
} from '../protocol/messages';
import type { ServerTunnelInfoMessage } from '../protocol/server-messages';
import {
  readAuthAnswer,
  readRegistrationAnswer,
  relayErrorToEngine,
  relayRefusal,
  type HandshakeResult,
  type RegistrationResult,
} from './control-answers';
import { EngineError } from './errors';
import { Heartbeat } from './heartbeat';
import type { LogFn } from './log';
import type { OpenerMode } from './types';
import type { Clock } from '../shared/clock';

/** How long `auto` waits for an unprompted server hello (docs/protocol.md#opener). */
export const HELLO_WAIT_MS = 300;
/** Answer timeout for hello, auth and tunnel_info. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface ControlSessionOptions {
  readonly socket: net.Socket;
  readonly clock: Clock;
  readonly log: LogFn;
  readonly opener: OpenerMode;
  readonly clientVersion: string;
  readonly helloWaitMs?: number;
  readonly requestTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /** Called once, when an established session (after startHeartbeat) ends for any reason. */
  readonly onClosed?: (err: EngineError) => void;
}

type Waiter = {
  resolve: (m: RelayMessage | null) => void;
  reject: (e: EngineError) => void;
  timer: unknown;
  /** Also takes messages of types the session does not know (servers_response, ...). */
  other: boolean;
};

export class ControlSession {
  private readonly decoder = new LineDecoder();
  private readonly inbox: RelayMessage[] = [];
  private waiter: Waiter | null = null;
  private closedWith: EngineError | null = null;
  private established = false;
  private chain: Promise<unknown> = Promise.resolve();
  private heartbeat: Heartbeat | null = null;
  private lastRelayError: RelayError | null = null;
  /** The line each message was read from, for answers the normalised form does not carry. */
  private readonly raw = new WeakMap<RelayMessage, JsonObject>();
  /** True once the relay sent `hello` on its own or as its answer: maybe a speak-first relay. */
  sawServerHello = false;

  constructor(private readonly options: ControlSessionOptions) {
    const { socket } = options;
    // Nothing the relay sends may throw out of a socket handler (docs/protocol.md "Framing"):
    // it closes this session, naming the reason, and the engine reconnects.
    const onThrow = (reason: string): void => {
      options.log('error', 'control_internal_error', null, { reason });
      this.fail(new EngineError('protocol_error', 'control session failed', reason));
    };
    socket.on(
      'data',
      guard((chunk: Buffer) => this.onData(chunk), onThrow),
    );
    socket.on(
      'error',
      guard(
        (err: Error) =>
          this.fail(new EngineError('connection_lost', 'control connection failed', err.message)),
        onThrow,
      ),
    );
    socket.on(
      'end',
      guard(
        () => this.fail(new EngineError('connection_lost', 'relay closed the control connection')),
        onThrow,
      ),
    );
    socket.on(
      'close',
      guard(
        () => this.fail(new EngineError('connection_lost', 'control connection closed')),
        onThrow,
      ),
    );
  }

  get isClosed(): boolean {
    return this.closedWith !== null;
  }

  /** hello (in the opener's order) then auth. Rejects with an EngineError. */
  async handshake(token: string, reconnectToken: string | null): Promise<HandshakeResult> {
    const requestTimeout = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const mode = this.options.opener;
    let opener: 'client' | 'server' = 'client';
    let helloVersion: string | null = null;
    let features: string[] = [];
    if (mode !== 'client') {
      const first = await this.next(
        mode === 'server' ? requestTimeout : (this.options.helloWaitMs ?? HELLO_WAIT_MS),
      );
      if (first?.type === 'hello_response') {
        opener = 'server';
        this.sawServerHello = true;
        helloVersion = first.version;
        features = [...first.features];
      } else if (first?.type === 'error') {
        throw relayErrorToEngine(first);
      } else if (first === null && mode === 'server') {
        throw new EngineError(
          'protocol_error',
          'relay did not send its hello (opener pinned to server)',
        );
      }
    }
    if (opener === 'client') {
      this.send({ type: 'hello', version: PROTOCOL_VERSION, features: [...CLIENT_FEATURES] });
      const reply = await this.next(requestTimeout);
      if (reply?.type === 'hello_response') {
        if (reply.asHello) this.sawServerHello = true;
        helloVersion = reply.version;
        features = [...reply.features];
      } else if (reply?.type === 'error') {
        // A v1 relay may answer hello with an error and still accept auth
        // (docs/protocol.md#opener); only errors that mean "stop" or "wait" end the attempt here.
        const action = actionFor(reply.code);
        if (action === 'fatal' || action === 'retry_after') throw relayErrorToEngine(reply);
        this.options.log('info', 'hello_refused', null, {
          code: reply.rawCode,
          message: reply.message,
        });
      } else if (reply === null) {
        this.options.log('warn', 'hello_unanswered', null, { timeout_ms: requestTimeout });
      }
    }
    const auth: ClientMessage = {
      type: 'auth',
      token,
      version: PROTOCOL_VERSION,
      client_info: { os: os.platform(), version: this.options.clientVersion },
      ...(reconnectToken !== null ? { reconnect_token: reconnectToken } : {}),
    };
    this.send(auth);
    for (;;) {
      const answer = await this.next(requestTimeout);
      if (answer === null)
        throw new EngineError(
          'protocol_error',
          `relay did not answer auth within ${requestTimeout} ms`,
        );
      const result = readAuthAnswer(answer, { opener, version: helloVersion, features });
      if (result === 'late_hello') continue;
      if (result !== 'ignored') return result;
      this.options.log('debug', 'relay_message_ignored', null, {
        type: answer.type,
        phase: 'auth',
      });
    }
  }

  /** Registers one tunnel (serialised with other requests). Never rejects for relay errors. */
  registerTunnel(info: TunnelInfoMessage | ServerTunnelInfoMessage): Promise<RegistrationResult> {
    return this.serial(async () => {
      const requestTimeout = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      this.send(info);
      for (;;) {
        const answer = await this.next(requestTimeout);
        if (answer === null) {
          return {
            ok: false,
            action: 'retry',
            error: new EngineError(
              'protocol_error',
              `relay did not answer tunnel_info within ${requestTimeout} ms`,
            ),
          };
        }
        const result = readRegistrationAnswer(answer, info.tunnel_id);
        // A published server's answer carries its key, a refusal its reason (docs/protocol.md
        // "Reaching a published server").
        if (result !== null && 'server' in info) {
          const raw = this.raw.get(answer) ?? {};
          if (result.ok) return { ...result, raw };
          return { ...result, error: relayRefusal(raw, answer) ?? result.error };
        }
        if (result !== null) return result;
        this.options.log('debug', 'relay_message_ignored', info.tunnel_id, {
          type: answer.type,
          phase: 'register',
        });
      }
    });
  }

  /**
   * One request whose answer `read` recognises from the line as sent (serialised with the
   * others); null when none came within the request timeout. Rejects only once closed.
   */
  request<T>(
    message: ClientMessage,
    read: (line: JsonObject, message: RelayMessage) => T | null,
  ): Promise<T | null> {
    return this.serial(async () => {
      const requestTimeout = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      this.send(message);
      for (;;) {
        const answer = await this.next(requestTimeout, true);
        if (answer === null) return null;
        const result = read(this.raw.get(answer) ?? {}, answer);
        if (result !== null) return result;
        this.options.log('debug', 'relay_message_ignored', null, {
          type: answer.type === 'other' ? answer.rawType : answer.type,
          phase: message.type,
        });
      }
    });
  }

  /** From now on unsolicited messages are handled as such, and heartbeats run. */
  startHeartbeat(stats: () => HeartbeatMessage['stats']): void {
    if (this.closedWith !== null) {
      this.options.onClosed?.(this.closedWith);
      return;
    }
    this.established = true;
    this.heartbeat = new Heartbeat({
      clock: this.options.clock,
      log: this.options.log,
      ...(this.options.heartbeatIntervalMs !== undefined
        ? { intervalMs: this.options.heartbeatIntervalMs }
        : {}),
      ...(this.options.heartbeatTimeoutMs !== undefined
        ? { timeoutMs: this.options.heartbeatTimeoutMs }
        : {}),
      stats,
      send: (message) => this.send(message),
      lost: (err) => this.fail(err),
    });
    for (const message of this.inbox.splice(0)) this.unsolicited(message);
    this.heartbeat.start();
  }

  /** Closes the connection; onClosed is not called for a close we asked for. */
  close(): void {
    if (this.closedWith !== null) return;
    this.closedWith = new EngineError('connection_lost', 'control session closed by the client');
    this.clearTimers();
    this.rejectWaiter(this.closedWith);
    this.options.socket.destroy();
  }

  // -------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private send(message: ClientMessage): void {
    if (this.closedWith !== null) return;
    this.options.socket.write(encodeMessage(message as unknown as JsonObject));
  }

  /** The next message for a request, or null after `timeoutMs`. Rejects once closed. */
  private next(timeoutMs: number, other = false): Promise<RelayMessage | null> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise<RelayMessage | null>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = { resolve, reject, timer, other };
    });
  }

  private onData(chunk: Buffer): void {
    let objects: JsonObject[];
    try {
      objects = this.decoder.push(chunk);
    } catch (err) {
      const reason = err instanceof CodecError ? err.reason : 'invalid';
      this.fail(
        new EngineError('protocol_error', 'relay sent a malformed control message', reason),
      );
      return;
    }
    for (const obj of objects) {
      if (this.closedWith !== null) return;
      const message = parseRelayMessage(obj);
      this.raw.set(message, obj);
      if (message.type === 'invalid') {
        // A field of the wrong type: skipped, as an unknown message is
        // (docs/protocol.md#relays-in-the-wild-tolerances).
        this.options.log('warn', 'relay_message_invalid', null, {
          reason: message.reason,
          field: message.field,
        });
        continue;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: RelayMessage): void {
    switch (message.type) {
      case 'heartbeat':
        // An unprompted server heartbeat gets an answer
        // (docs/protocol.md#relays-in-the-wild-tolerances).
        this.send({ type: 'heartbeat_response' });
        return;
      case 'heartbeat_response':
        this.heartbeat?.answered();
        return;
      case 'other':
        // A request that reads its own answer type (servers_response, ...) takes it.
        if (this.waiter?.other === true) break;
        // Unknown types, and server-pushed tunnel_info, are logged and never acted on (§7).
        this.options.log('info', 'relay_message_ignored', null, { type: message.rawType });
        return;
      default:
        break;
    }
    if (
      message.type === 'untyped' &&
      this.heartbeat?.isAwaitingAnswer === true &&
      this.waiter === null &&
      this.established
    ) {
      this.heartbeat?.answered(); // a bare heartbeat answer
      return;
    }
    if (this.waiter !== null) {
      const { resolve, timer } = this.waiter;
      this.waiter = null;
      this.options.clock.clearTimeout(timer);
      resolve(message);
    } else if (!this.established) {
      this.inbox.push(message);
    } else {
      this.unsolicited(message);
    }
  }

  private unsolicited(message: RelayMessage): void {
    if (message.type === 'error') {
      this.lastRelayError = message;
      this.options.log('warn', 'relay_error', null, {
        code: message.code,
        wire_code: message.rawCode,
        message: message.message,
      });
      if (actionFor(message.code) === 'fatal') this.fail(relayErrorToEngine(message));
      return;
    }
    this.options.log('debug', 'relay_message_ignored', null, { type: message.type });
  }

  private fail(err: EngineError): void {
    if (this.closedWith !== null) return;
    // A relay that said why before closing (rate limit, server error) decides the code.
    const reason =
      err.code === 'connection_lost' && this.lastRelayError !== null
        ? relayErrorToEngine(this.lastRelayError)
        : err;
    this.closedWith = reason;
    this.clearTimers();
    this.rejectWaiter(reason);
    this.options.socket.destroy();
    if (this.established) this.options.onClosed?.(reason);
  }

  private rejectWaiter(err: EngineError): void {
    if (this.waiter === null) return;
    const { reject, timer } = this.waiter;
    this.waiter = null;
    this.options.clock.clearTimeout(timer);
    reject(err);
  }

  private clearTimers(): void {
    this.heartbeat?.stop();
  }
}
