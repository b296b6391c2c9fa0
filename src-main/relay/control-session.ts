// One control session (PROTOCOL.md §2): hello, auth, tunnel_info, heartbeat, errors, on one
// long-lived connection. Handles messages strictly in order, never throws on client input,
// and hands its registrations to the grace period when the connection ends. Data streams
// are data-stream.ts.
//
// Framing errors: PROTOCOL.md §1 says the relay answers `error` and closes but defines no
// wire code for them. This relay answers code `unknown_message_type` with `details.reason`
// = invalid_json | line_too_long | invalid_utf8 | not_an_object | missing_type (or
// invalid_field for a known message whose fields have the wrong type), then closes.

import type { Socket } from 'node:net';
import { CodecError, LineDecoder, type JsonObject } from '../protocol/codec';
import { MessageError, parseClientMessage } from '../protocol/messages';
import {
  closeWithError,
  errorMessage,
  sendLine,
  type RelayContext,
  type WireError,
} from './context';
import type { TenantPolicy } from './policy';
import { retryAfterSeconds, type MinIntervalGate } from './rate-limit';
import { clientKeyOf, resolveTarget } from './target';

/** Above this many queued messages the session stops reading until it catches up. */
const MAX_QUEUED_MESSAGES = 32;

const TUNNEL_INFO_FIELD_TYPES: Readonly<Record<string, 'string' | 'number' | 'optional-string'>> = {
  tunnel_id: 'string',
  tenant_id: 'optional-string',
  local_port: 'number',
  remote_host: 'string',
  remote_port: 'number',
};

interface Identity {
  readonly subject: string;
  readonly tenant: TenantPolicy;
}

export function framingError(error: CodecError): WireError {
  return {
    code: 'unknown_message_type',
    message: error.message,
    details: { reason: error.reason },
  };
}

export class ControlSession {
  readonly id: number;
  private readonly decoder = new LineDecoder();
  private readonly queue: JsonObject[] = [];
  private readonly heartbeatGate: MinIntervalGate;
  private identity: Identity | null = null;
  private busy = false;
  private ended = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: Socket,
    private readonly remoteAddress: string,
  ) {
    this.id = ctx.nextSessionId();
    this.heartbeatGate = ctx.newHeartbeatGate();
    ctx.metrics.sessionOpened();
    ctx.sessions.add(this);
    ctx.log.log('info', 'session_opened', { session: this.id, remote: remoteAddress });
    socket.on('close', () => this.onClose());
    // The listener allows half-open sockets for data streams; a control session has no use
    // for one, so the client's FIN ends the session.
    socket.on('end', () => socket.end());
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
    if (this.ended) return;
    try {
      this.queue.push(...this.decoder.push(chunk));
    } catch (error) {
      if (error instanceof CodecError) {
        this.fail(framingError(error), 'framing_error');
        return;
      }
      throw error;
    }
    if (this.queue.length > MAX_QUEUED_MESSAGES) this.socket.pause();
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.ended) return;
    this.busy = true;
    void (async () => {
      try {
        while (!this.ended) {
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
        if (!this.ended && this.socket.isPaused() && this.queue.length === 0) this.socket.resume();
      }
    })();
  }

  private send(message: JsonObject): void {
    sendLine(this.socket, message);
  }

  private reply(error: WireError, tunnelId: string | null = null): void {
    this.ctx.metrics.errorsTotal.inc({ code: error.code });
    this.ctx.log.log(
      'warn',
      'request_refused',
      { session: this.id, code: error.code, message: error.message, details: error.details },
      tunnelId,
    );
    this.send(errorMessage(error));
  }

  private fail(error: WireError, event: string): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.ctx.log.log('warn', event, {
      session: this.id,
      remote: this.remoteAddress,
      code: error.code,
      message: error.message,
      details: error.details,
    });
    closeWithError(this.ctx, this.socket, error);
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
        return this.onTunnelInfo(message);
      case 'heartbeat':
        return this.onHeartbeat();
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
    if (this.identity !== null) {
      this.reply({
        code: 'unknown_message_type',
        message: 'this session is already authenticated',
        details: { reason: 'already_authenticated' },
      });
      return;
    }
    const limit = this.ctx.authLimiter.take(this.remoteAddress);
    if (!limit.allowed) {
      this.ctx.metrics.countAuthFailure('rate_limited');
      const retryAfter = retryAfterSeconds(limit);
      this.fail(
        {
          code: 'rate_limit_exceeded',
          message: 'too many authentication attempts',
          details: { retry_after: retryAfter },
        },
        'auth_rate_limited',
      );
      return;
    }
    const result = await this.ctx.verifier.verify(message['token']);
    if (this.ended) return;
    if (!result.ok) {
      this.ctx.metrics.countAuthFailure(result.reason);
      this.fail(
        { code: result.code, message: result.message, details: { reason: result.reason } },
        'auth_failed',
      );
      return;
    }
    this.identity = { subject: result.subject, tenant: result.tenant };
    const reconnectToken = this.ctx.registry.reconnectTokenFor(result.tenant.id, result.subject);
    this.ctx.log.log('info', 'auth_ok', {
      session: this.id,
      client_id: result.subject,
      tenant: result.tenant.id,
    });
    this.send({
      type: 'auth_response',
      status: 'ok',
      client_id: result.subject,
      tenant_id: result.tenant.id,
      reconnect_token: reconnectToken,
      server_info: { version: this.ctx.version, features: [...this.ctx.features] },
    });
  }

  private async onTunnelInfo(message: JsonObject): Promise<void> {
    // Wrong JSON types are a broken client: answer naming the field, then close.
    for (const [field, kind] of Object.entries(TUNNEL_INFO_FIELD_TYPES)) {
      const value = message[field];
      const ok =
        kind === 'optional-string'
          ? value === undefined || typeof value === 'string'
          : typeof value === kind;
      if (!ok) {
        this.fail(
          {
            code: 'invalid_tunnel_info',
            message: `field "${field}" must be a ${kind === 'number' ? 'number' : 'string'}`,
            details: { field, reason: 'invalid_field' },
          },
          'protocol_error',
        );
        return;
      }
    }
    const rawId = String(message['tunnel_id']).slice(0, 128);
    const identity = this.identity;
    if (identity === null) {
      this.reply(
        {
          code: 'invalid_token',
          message: 'authenticate before registering tunnels',
          details: { reason: 'not_authenticated' },
        },
        rawId,
      );
      return;
    }
    let parsed;
    try {
      parsed = parseClientMessage(message);
    } catch (error) {
      if (!(error instanceof MessageError)) throw error;
      // Right types, wrong values (port 0, odd id): only this tunnel fails (PROTOCOL.md §2).
      const field = error.field ?? 'tunnel_info';
      this.reply(
        { code: 'invalid_tunnel_info', message: error.message, details: { field } },
        rawId,
      );
      return;
    }
    if (parsed.type !== 'tunnel_info') return;
    const tunnelId = parsed.tunnel_id;
    const tenant = identity.tenant;
    if (
      this.ctx.tenants.multiTenant &&
      parsed.tenant_id !== undefined &&
      parsed.tenant_id !== tenant.id
    ) {
      this.reply(
        {
          code: 'tenant_not_found',
          message: 'tunnel names a tenant this session does not belong to',
          details: { field: 'tenant_id' },
        },
        tunnelId,
      );
      return;
    }
    const target = await resolveTarget(this.ctx.lookup, parsed.remote_host, tenant.allow, {
      identity: clientKeyOf(tenant.id, identity.subject),
    });
    if (this.ended) return;
    if (!target.ok && target.reason === 'not_allowed') {
      this.reply(
        {
          code: 'ip_not_allowed',
          message: `remote_host ${parsed.remote_host} is outside the tenant's allowed networks`,
          details: { field: 'remote_host' },
        },
        tunnelId,
      );
      return;
    }
    // A name that does not resolve now may resolve later: every stream checks again.
    const wanted = {
      remoteHost: parsed.remote_host,
      remotePort: parsed.remote_port,
      localPort: parsed.local_port,
    };
    const registry = this.ctx.registry;
    const existing = registry.get(tunnelId);
    let kind: 'created' | 'handed_back';
    let registration;
    if (existing !== undefined) {
      if (!registry.isOwner(existing, tenant.id, identity.subject)) {
        this.reply(
          {
            code: 'tunnel_exists',
            message: `tunnel "${tunnelId}" is held by another client`,
            details: { tunnel_id: tunnelId },
          },
          tunnelId,
        );
        return;
      }
      // PROTOCOL.md §4: re-registering after a reconnect is a hand-back, not a creation.
      registration = registry.reclaim(existing, this.id, wanted);
      kind = 'handed_back';
    } else {
      const tenantTunnels = registry.countForTenant(tenant.id);
      if (tenantTunnels >= tenant.maxTunnels) {
        this.reply(
          {
            code: 'tenant_limit_exceeded',
            message: `tenant "${tenant.id}" may hold ${tenant.maxTunnels} tunnels`,
            details: { limit: tenant.maxTunnels },
          },
          tunnelId,
        );
        return;
      }
      const limit = this.ctx.tunnelLimiter.take(tenant.id);
      if (!limit.allowed) {
        this.reply(
          {
            code: 'rate_limit_exceeded',
            message: 'too many tunnel creations',
            details: { retry_after: retryAfterSeconds(limit) },
          },
          tunnelId,
        );
        return;
      }
      registration = registry.create(tunnelId, tenant.id, identity.subject, this.id, wanted);
      kind = 'created';
    }
    this.ctx.metrics.tunnelRegistrationsTotal.inc({ kind });
    this.ctx.metrics.tunnelsActive.set(registry.size);
    this.ctx.log.log(
      'info',
      kind === 'created' ? 'tunnel_created' : 'tunnel_handed_back',
      { session: this.id, tenant: tenant.id, remote_port: parsed.remote_port },
      tunnelId,
    );
    this.send({
      type: 'tunnel_response',
      status: 'ok',
      tunnel_id: tunnelId,
      stream_token: registration.streamToken,
      reconnect_token: registry.reconnectTokenFor(tenant.id, identity.subject),
    });
  }

  private onHeartbeat(): void {
    const gate = this.heartbeatGate.take();
    if (!gate.allowed) {
      this.reply({
        code: 'rate_limit_exceeded',
        message: 'heartbeats too frequent',
        details: { retry_after: retryAfterSeconds(gate) },
      });
      return;
    }
    this.send({
      type: 'heartbeat_response',
      status: 'ok',
      server_time: new Date(this.ctx.clock.now()).toISOString(),
    });
  }

  /**
   * Relay shutdown: tells the client in a code it retries with backoff (PROTOCOL.md §2,
   * server_unavailable), then half-closes. The relay destroys what is still open shortly after.
   */
  shutdown(): void {
    if (this.ended) return;
    this.ended = true;
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
    this.ended = true;
    this.queue.length = 0;
    this.ctx.metrics.sessionClosed();
    const released = this.ctx.registry.releaseSession(this.id);
    this.ctx.log.log('info', 'session_closed', {
      session: this.id,
      tunnels_in_grace: released.length,
      grace_ms: this.ctx.limits.graceMs,
    });
  }
}
