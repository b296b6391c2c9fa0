// One control session (docs/protocol.md#control-session): hello, auth, tunnel_info, heartbeat,
// errors, on one long-lived connection. Handles messages strictly in order, never throws on client
// input, and hands its registrations to the grace period when the connection ends. Every phase has
// a deadline (docs/protocol.md#limits): auth within authTimeoutMs of the first line, a message at
// least every sessionIdleTimeoutMs after, and nothing past the token's `exp` plus skew. The auth
// decision is session-auth.ts, registration tunnel-registration.ts, published servers
// server-registration.ts, data streams data-stream.ts.
//
// Framing errors: docs/protocol.md#framing says the relay answers `error` and closes but defines no
// wire code for them. This relay answers code `unknown_message_type` with `details.reason`
// = invalid_json | line_too_long | invalid_utf8 | not_an_object | missing_type (or
// invalid_field for a known message whose fields have the wrong type), then closes.

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CodecError, LineDecoder, type JsonObject } from '../protocol/codec';
import type { Slot } from './connection-limits';
import {
  closeWithError,
  drained,
  errorMessage,
  framingError,
  sendLine,
  type RelayContext,
  type WireError,
} from './context';
import { startDeadline, type Deadline } from './deadline';
import { READ_BUDGET_ERROR, type SessionAdmission } from './front-door';
import type { RefusalScope } from './refusal-log';
import { LIMIT_LABELS } from './relay-limits';
import type { MinIntervalGate } from './rate-limit';
import {
  answerHeartbeat,
  authenticate,
  startSessionDeadlines,
  TOKEN_EXPIRED_ERROR,
  type SessionDeadlines,
} from './session-auth';
import { listServers, registerServer, unregisterServer } from './server-registration';
import {
  registerTunnel,
  type RegisteringSession,
  type SessionIdentity,
} from './tunnel-registration';

/** Above this many queued messages the session stops reading until it catches up. */
const MAX_QUEUED_MESSAGES = 32;

export class ControlSession implements RegisteringSession {
  readonly id: number;
  private readonly decoder: LineDecoder;
  private readonly queue: JsonObject[] = [];
  private readonly heartbeatGate: MinIntervalGate;
  private readonly refusals: RefusalScope;
  private readonly authDeadline: Deadline;
  private identityValue: SessionIdentity | null = null;
  private identitySlot: Slot | null = null;
  private deadlines: SessionDeadlines | null = null;
  private busy = false;
  private endedValue = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: Socket,
    private readonly remoteAddress: string,
    private readonly admission: SessionAdmission,
  ) {
    this.id = ctx.nextSessionId();
    this.heartbeatGate = ctx.newHeartbeatGate();
    this.decoder = new LineDecoder(ctx.limits.maxLineBytesBeforeAuth);
    this.refusals = ctx.refusals.forConnection(admission.source);
    ctx.metrics.sessionOpened();
    ctx.sessions.add(this);
    // Before auth anyone can open sessions at will: their records share the source's budget.
    ctx.refusals.log(admission.source, 'info', 'session_opened', {
      session: this.id,
      remote: remoteAddress,
    });
    // LoginGraceTime: the first line has come; the token must follow soon, whatever else does.
    this.authDeadline = startDeadline(ctx.clock, ctx.limits.authTimeoutMs, () => {
      ctx.hit(LIMIT_LABELS.authTimeoutMs);
      ctx.penalties.penalise(admission.source, 'deadline');
      this.fail(
        {
          code: 'server_unavailable',
          message: `no successful auth within ${ctx.limits.authTimeoutMs} ms`,
          details: { reason: 'auth_timeout' },
        },
        'auth_timeout',
      );
    });
    socket.on('close', () => this.onClose());
    // The listener allows half-open sockets for data streams; a control session has no use
    // for one, so the client's FIN ends the session.
    socket.on('end', () => socket.end());
  }

  get identity(): SessionIdentity | null {
    return this.identityValue;
  }

  get ended(): boolean {
    return this.endedValue;
  }

  get serverName(): string | null {
    const name = (this.socket as Partial<TLSSocket>).servername;
    return typeof name === 'string' && name.length > 0 ? name : null;
  }

  /** Takes over the connection after its first line (already parsed) and any bytes after it. */
  start(first: JsonObject, rest: Buffer): void {
    this.queue.push(first);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (rest.length > 0) this.onData(rest);
    else this.pump();
    this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.endedValue) return;
    let messages: JsonObject[];
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      if (error instanceof CodecError && error.reason === 'line_too_long') {
        const beforeAuth = this.identityValue === null;
        this.ctx.hit(beforeAuth ? LIMIT_LABELS.maxLineBytesBeforeAuth : LIMIT_LABELS.maxLineBytes);
        if (beforeAuth) this.ctx.penalties.penalise(this.admission.source, 'line_too_long');
      }
      this.fail(
        error instanceof CodecError
          ? framingError(error)
          : { code: 'server_unavailable', message: 'internal relay error' },
        'framing_error',
      );
      return;
    }
    if (messages.length > 0) this.deadlines?.touch();
    // Reads and messages spend the connection's budget: past it, the flood ends here.
    if (this.admission.readBudget.spend(1 + messages.length) > 0) {
      this.ctx.hit(LIMIT_LABELS.controlReadsPerSecond);
      this.ctx.penalties.penalise(this.admission.source, 'read_budget');
      this.fail(READ_BUDGET_ERROR, 'read_budget_exceeded');
      return;
    }
    this.queue.push(...messages);
    if (this.queue.length > MAX_QUEUED_MESSAGES) this.socket.pause();
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.endedValue) return;
    this.busy = true;
    void (async () => {
      try {
        while (!this.endedValue) {
          // A peer that floods requests and reads the answers slowly is slowed down, not cut
          // (the cut, MAX_CONTROL_BACKLOG_BYTES, is for one that never reads).
          if (this.socket.writableNeedDrain) await drained(this.socket);
          const message = this.queue.shift();
          if (message === undefined) break;
          await this.handle(message);
        }
      } catch (error) {
        // A bug here must cost one session, never the relay.
        this.ctx.log.log('error', 'session_internal_error', { session: this.id, error });
        this.fail(
          { code: 'server_unavailable', message: 'internal relay error' },
          'internal_error',
        );
      } finally {
        this.busy = false;
        if (!this.endedValue && this.socket.isPaused() && this.queue.length === 0)
          this.socket.resume();
      }
    })();
  }

  send(message: JsonObject): void {
    sendLine(this.socket, message);
  }

  reply(error: WireError, tunnelId: string | null = null): void {
    this.ctx.metrics.errorsTotal.inc({ code: error.code });
    this.refusals.log(
      'warn',
      'request_refused',
      { session: this.id, code: error.code, message: error.message, details: error.details },
      tunnelId,
    );
    this.send(errorMessage(error));
  }

  fail(error: WireError, event: string): void {
    if (this.endedValue) return;
    this.endedValue = true;
    this.queue.length = 0;
    this.refusals.log('warn', event, {
      session: this.id,
      remote: this.remoteAddress,
      code: error.code,
      message: error.message,
      details: error.details,
    });
    closeWithError(this.ctx, this.socket, error);
  }

  /** The token's `exp` plus skew has passed: access ends here (docs/protocol.md#authentication). */
  accessEnded(): void {
    this.ctx.hit('token_expired');
    this.fail(TOKEN_EXPIRED_ERROR, 'token_expired');
  }

  private async handle(message: JsonObject): Promise<void> {
    const type = message['type'];
    if (type === undefined) {
      this.fail(
        {
          code: 'unknown_message_type',
          message: 'message has no "type" field',
          details: { reason: 'missing_type' },
        },
        'protocol_error',
      );
      return;
    }
    if (typeof type !== 'string') {
      this.fail(
        {
          code: 'unknown_message_type',
          message: 'field "type" must be a string',
          details: { reason: 'invalid_field', field: 'type' },
        },
        'protocol_error',
      );
      return;
    }
    switch (type) {
      case 'hello':
        this.send({
          type: 'hello_response',
          version: this.ctx.version,
          features: [...this.ctx.features],
        });
        return;
      case 'auth':
        return this.onAuth(message);
      case 'tunnel_info':
        return registerTunnel(this.ctx, this, message);
      case 'register':
        return registerServer(this.ctx, this, message);
      case 'unregister':
        return unregisterServer(this.ctx, this, message);
      case 'servers':
        return listServers(this.ctx, this);
      case 'heartbeat':
        return answerHeartbeat(this.ctx, this, this.heartbeatGate);
      case 'heartbeat_response':
        return;
      case 'stream_open':
        this.reply({
          code: 'unknown_message_type',
          message: 'stream_open must be the first line of a data connection',
          details: { reason: 'stream_open_on_control' },
        });
        return;
      default:
        this.reply({
          code: 'unknown_message_type',
          message: `unknown message type "${type.slice(0, 64)}"`,
          details: { reason: 'unknown_type' },
        });
    }
  }

  private async onAuth(message: JsonObject): Promise<void> {
    if (
      typeof message['token'] !== 'string' ||
      (message['reconnect_token'] !== undefined && typeof message['reconnect_token'] !== 'string')
    ) {
      const field = typeof message['token'] !== 'string' ? 'token' : 'reconnect_token';
      this.fail(
        {
          code: 'unknown_message_type',
          message: `field "${field}" must be a string`,
          details: { reason: 'invalid_field', field },
        },
        'protocol_error',
      );
      return;
    }
    if (this.identityValue !== null) {
      this.reply({
        code: 'unknown_message_type',
        message: 'this session is already authenticated',
        details: { reason: 'already_authenticated' },
      });
      return;
    }
    const outcome = await authenticate(
      this.ctx,
      this.admission,
      message['token'],
      () => this.ended,
    );
    if (outcome === null) return;
    if (!outcome.ok) {
      this.fail(outcome.error, outcome.event);
      return;
    }
    const identity = outcome.identity;
    this.identitySlot = outcome.slot;
    this.identityValue = identity;
    this.authDeadline.cancel();
    this.decoder.setLineLimit(this.ctx.limits.maxLineBytes);
    this.deadlines = startSessionDeadlines(this.ctx, identity, {
      idle: (error) => this.fail(error, 'session_idle_timeout'),
      expired: () => this.accessEnded(),
    });
    const reconnectToken = this.ctx.registry.reconnectTokenFor(
      identity.tenant.id,
      identity.subject,
    );
    this.ctx.log.log('info', 'auth_ok', {
      session: this.id,
      client_id: identity.subject,
      tenant: identity.tenant.id,
    });
    this.send({
      type: 'auth_response',
      status: 'ok',
      client_id: identity.subject,
      tenant_id: identity.tenant.id,
      reconnect_token: reconnectToken,
      server_info: { version: this.ctx.version, features: [...this.ctx.features] },
    });
  }

  /**
   * Relay shutdown: tells the client in a code it retries with backoff (docs/protocol.md#errors,
   * server_unavailable), then half-closes. The relay destroys what is still open shortly after.
   */
  shutdown(): void {
    if (this.endedValue) return;
    this.endedValue = true;
    this.queue.length = 0;
    sendLine(
      this.socket,
      errorMessage({
        code: 'server_unavailable',
        message: 'relay is shutting down',
        details: { reason: 'relay_shutdown' },
      }),
    );
    this.socket.end();
  }

  private onClose(): void {
    this.ctx.sessions.delete(this);
    this.endedValue = true;
    this.queue.length = 0;
    this.authDeadline.cancel();
    this.deadlines?.cancel();
    this.identitySlot?.release();
    this.ctx.metrics.sessionClosed();
    const released = this.ctx.registry.releaseSession(this.id);
    const servers = this.ctx.servers.releaseSession(this.id);
    const details = {
      session: this.id,
      tunnels_in_grace: released.length,
      ...(servers.length > 0 ? { servers_in_grace: servers.length } : {}),
      grace_ms: this.ctx.limits.graceMs,
    };
    if (this.identityValue === null)
      this.ctx.refusals.log(this.admission.source, 'info', 'session_closed', details);
    else this.ctx.log.log('info', 'session_closed', details);
    this.refusals.close();
  }
}
