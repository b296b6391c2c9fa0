// The control session's life on the state machine (docs/protocol.md#state-machine): attempts
// and retries with backoff, the auth limiter, opener memory, the persisted state, and what the
// relay told us (client id, features, reconnect token). Reaches tunnels and data connections
// only through SupervisorHooks; never listens on a port or carries a stream.

import type net from 'node:net';
import type { ConnectionState, ErrorInfo } from '../shared/model';
import { AuthLimiter } from './auth-limiter';
import { ControlSession } from './control-session';
import type { EngineContext } from './engine-context';
import { EngineError, errorInfo, toEngineError } from './errors';
import { afterFailure } from './retry-decision';
import { OpenerMemory, RelayMemory } from './session-memory';
import { relayKey, type SessionView } from './snapshot-builder';
import { transition, type SessionEvent } from './state-machine';
import { trustLabel } from './tls-options';
import type { JsonObject } from '../protocol/codec';
import type { ClientMessage, RelayMessage } from '../protocol/messages';
import type { RegistrationLink } from './tunnel-set';
import type { EngineOptions, RelayEndpoint } from './types';

/** What the supervisor needs of the rest of the engine (wired by engine.ts). */
export interface SupervisorHooks {
  /** A transport to the relay (the data path's opener, with its TLS session). */
  openConnection(): Promise<net.Socket>;
  /** Registers the tunnels over a new session; resolves once the queue has been answered. */
  registerTunnels(link: RegistrationLink): Promise<void>;
  /** The session is Active: start data connections for the relay's features. */
  sessionActive(features: readonly string[]): void;
  /** The session ended; listeners and established streams go on (docs/protocol.md). */
  sessionEnded(): void;
  /** Everything stops: listeners, streams, data connections. */
  stopAll(): void;
  registeredTunnelIds(): string[];
  totals(): { bytesIn: number; bytesOut: number };
}

export type SupervisorOptions = Pick<
  EngineOptions,
  'getToken' | 'persistence' | 'clientVersion' | 'heartbeatIntervalMs' | 'heartbeatTimeoutMs'
> & {
  readonly relay: RelayEndpoint;
  readonly context: EngineContext;
  readonly random: () => number;
  readonly hooks: SupervisorHooks;
};

export class SessionSupervisor {
  private readonly ctx: EngineContext;
  private readonly hooks: SupervisorHooks;
  private readonly limiter = new AuthLimiter();
  private readonly opener = new OpenerMemory();
  private readonly memory: RelayMemory;
  private relay: RelayEndpoint;
  private state: ConnectionState = 'disconnected';
  private wanted = false;
  /** Bumped by every teardown: async work of an older run drops its result. */
  private run = 0;
  private session: ControlSession | null = null;
  private attempt = 0;
  private nextRetryAt: number | null = null;
  private retryTimer: unknown = null;
  private lastError: ErrorInfo | null = null;
  private connectedSince: number | null = null;
  private relayVersion: string | null = null;
  private relayFeatures: readonly string[] = [];
  private tenantId: string | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.ctx = options.context;
    this.hooks = options.hooks;
    this.relay = options.relay;
    this.memory = new RelayMemory(options.persistence, options.context);
  }

  get endpoint(): RelayEndpoint {
    return this.relay;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Seconds Active so far, 0 when not Active (cloudbridge_connection_time_seconds). */
  activeSeconds(now: number): number {
    return this.state === 'active' && this.connectedSince !== null
      ? Math.max(0, (now - this.connectedSince) / 1000)
      : 0;
  }

  view(): SessionView {
    return {
      state: this.state,
      relay: this.relay,
      clientId: this.memory.clientId,
      tenantId: this.tenantId,
      connectedSince: this.connectedSince,
      attempt: this.attempt,
      nextRetryAt: this.nextRetryAt,
      relayVersion: this.relayVersion,
      relayFeatures: this.relayFeatures,
      lastError: this.lastError,
    };
  }

  /** A request on the live session (listing published servers); rejects without one. */
  request<T>(
    message: ClientMessage,
    read: (line: JsonObject, message: RelayMessage) => T | null,
  ): Promise<T | null> {
    const session = this.session;
    if (
      session === null ||
      session.isClosed ||
      (this.state !== 'active' && this.state !== 'registered')
    )
      return Promise.reject(new EngineError('connection_lost', 'not connected to the relay'));
    return session.request(message, read);
  }

  connect(): void {
    if (this.state !== 'disconnected') return;
    this.wanted = true;
    this.attempt = 0;
    this.lastError = null;
    this.fire({ type: 'connect' });
    this.startAttempt();
  }

  disconnect(): void {
    this.wanted = false;
    this.teardown();
    this.attempt = 0;
    this.fire({ type: 'user_disconnect' });
    this.ctx.stateChanged();
  }

  reconnectNow(): void {
    if (this.state === 'disconnected') this.connect();
    else if (this.state === 'reconnecting' && this.retryTimer !== null) this.startAttempt();
  }

  /** Another relay: what this one told us is forgotten; a wanted session reopens there. */
  setRelay(relay: RelayEndpoint, forget: () => void): void {
    const wasWanted = this.wanted;
    this.teardown();
    this.relay = relay;
    this.relayVersion = null;
    this.relayFeatures = [];
    this.tenantId = null;
    this.opener.forget();
    this.memory.forget();
    forget();
    if (this.state !== 'disconnected') this.fire({ type: 'user_disconnect' });
    this.ctx.stateChanged();
    if (wasWanted) this.connect();
  }

  // ---------------------------------------------------------------------------------------

  private startAttempt(): void {
    this.clearRetryTimer();
    this.nextRetryAt = null;
    this.attemptOnce(this.run).catch((err: unknown) => {
      this.ctx.log('error', 'internal_error', null, {
        reason: err instanceof Error ? err.message : String(err),
      });
    });
  }

  private async attemptOnce(run: number): Promise<void> {
    await this.memory.load(relayKey(this.relay), this.opener);
    if (run !== this.run) return;
    // docs/protocol.md#reconnect: at most 5 auth attempts a minute, whatever the backoff says.
    const wait = this.limiter.delayMs(this.ctx.clock.now());
    if (wait > 0) {
      this.ctx.log('warn', 'auth_rate_limited', null, { wait_ms: wait });
      this.scheduleAttempt(wait);
      return;
    }
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (err) {
      if (run === this.run) this.onAttemptFailed(toEngineError(err, 'token_missing'));
      return;
    }
    if (run !== this.run) return;
    this.ctx.secrets.add(token);
    const where = relayKey(this.relay);
    this.ctx.log('info', 'connecting', null, {
      relay: where,
      attempt: this.attempt,
      trust: trustLabel(this.relay),
    });
    if (this.relay.insecure === true)
      this.ctx.log('warn', 'insecure_connection', null, {
        relay: where,
        reason: 'plaintext TCP: traffic and token are not encrypted',
      });
    let socket: net.Socket;
    try {
      socket = await this.hooks.openConnection();
    } catch (err) {
      if (run === this.run) this.onAttemptFailed(toEngineError(err, 'connection_lost'));
      return;
    }
    if (run !== this.run) {
      socket.destroy();
      return;
    }
    const configured = this.relay.opener ?? 'auto';
    const session = new ControlSession({
      socket,
      clock: this.ctx.clock,
      log: this.ctx.log,
      ...this.opener.sessionOptions(configured),
      clientVersion: this.options.clientVersion ?? '0.0.0',
      ...(this.options.heartbeatIntervalMs !== undefined
        ? { heartbeatIntervalMs: this.options.heartbeatIntervalMs }
        : {}),
      ...(this.options.heartbeatTimeoutMs !== undefined
        ? { heartbeatTimeoutMs: this.options.heartbeatTimeoutMs }
        : {}),
      onClosed: (err) => this.onSessionLost(session, err),
    });
    this.session = session;
    try {
      this.limiter.tryRecord(this.ctx.clock.now());
      const hs = await session.handshake(token, this.memory.reconnectToken);
      if (run !== this.run) {
        session.close();
        return;
      }
      this.relayVersion = hs.relayVersion;
      this.relayFeatures = hs.features;
      this.memory.sawClientId(hs.clientId);
      this.tenantId = hs.tenantId ?? this.tenantId;
      if (configured === 'auto') this.opener.remember(hs.opener);
      if (hs.reconnectToken !== null) this.memory.setReconnectToken(hs.reconnectToken);
      this.ctx.log('info', 'authenticated', null, {
        client_id: hs.clientId,
        tenant_id: hs.tenantId,
        relay_version: hs.relayVersion,
        features: hs.features,
        opener: hs.opener,
      });
      if (this.state === 'authenticating') this.fire({ type: 'auth_ok' });
      await this.hooks.registerTunnels(this.linkFor(run, session));
      if (run !== this.run) return;
      if (session.isClosed)
        throw new EngineError(
          'connection_lost',
          'relay closed the control connection during registration',
        );
      this.attempt = 0;
      this.lastError = null;
      this.connectedSince = this.ctx.clock.now();
      this.fire({ type: this.state === 'registered' ? 'tunnels_registered' : 'reconnected' });
      session.startHeartbeat(() => {
        const totals = this.hooks.totals();
        return {
          bytes_in: totals.bytesIn,
          bytes_out: totals.bytesOut,
          connected_since:
            this.connectedSince !== null ? new Date(this.connectedSince).toISOString() : null,
        };
      });
      this.hooks.sessionActive(this.relayFeatures);
      this.memory.save(relayKey(this.relay), this.opener, this.hooks.registeredTunnelIds());
    } catch (err) {
      session.close();
      if (this.session === session) this.session = null;
      if (run !== this.run) return;
      this.hooks.sessionEnded();
      // A speak-first relay closes on our hello: next time, wait for its hello
      // (docs/protocol.md#opener).
      if (configured === 'auto' && session.sawServerHello) this.opener.remember('server');
      this.onAttemptFailed(toEngineError(err, 'connection_lost'));
    }
  }

  private linkFor(run: number, session: ControlSession): RegistrationLink {
    return {
      tenantId: this.tenantId,
      features: this.relayFeatures,
      register: (info) => session.registerTunnel(info),
      request: (message, read) => session.request(message, read),
      reconnectToken: (token) => this.memory.setReconnectToken(token),
      failed: (err) => {
        // A closed session is handled by onSessionLost.
        if (run !== this.run || session !== this.session || session.isClosed) return;
        session.close();
        this.session = null;
        this.hooks.sessionEnded();
        this.onAttemptFailed(err);
      },
    };
  }

  private onSessionLost(session: ControlSession, err: EngineError): void {
    if (session !== this.session) return;
    this.session = null;
    this.ctx.log('warn', 'connection_lost', null, { code: err.code, reason: err.message });
    // Established streams go on (docs/protocol.md "Data streams"); data connections wait.
    this.hooks.sessionEnded();
    this.onAttemptFailed(err);
  }

  private onAttemptFailed(err: EngineError): void {
    this.ctx.countError(err.code);
    const outcome = afterFailure(err, this.attempt, this.options.random);
    const fatal = outcome.kind === 'fatal';
    this.ctx.log(fatal ? 'error' : 'warn', 'connect_failed', null, {
      code: err.code,
      reason: err.message,
      detail: err.detail,
      fatal,
    });
    const now = this.ctx.clock.now();
    if (outcome.kind === 'fatal') {
      this.stop(errorInfo(err, now), { type: 'fatal_error' });
    } else if (outcome.kind === 'gave_up') {
      this.ctx.countError(outcome.error.code);
      this.stop(errorInfo(outcome.error, now), { type: 'gave_up' });
    } else {
      this.attempt = outcome.attempt;
      this.lastError = errorInfo(err, now);
      this.connectedSince = null;
      // Schedule first so the Reconnecting snapshot already carries nextRetryAt.
      this.scheduleAttempt(outcome.delayMs);
      this.fire({ type: 'connection_lost' });
    }
  }

  /** No more retries: fatal, or given up. */
  private stop(lastError: ErrorInfo, event: SessionEvent): void {
    this.teardown();
    this.wanted = false;
    this.attempt = 0;
    this.lastError = lastError;
    this.fire(event);
    this.ctx.stateChanged();
  }

  private scheduleAttempt(delayMs: number): void {
    this.clearRetryTimer();
    this.nextRetryAt = this.ctx.clock.now() + delayMs;
    this.ctx.log('info', 'reconnect_scheduled', null, { attempt: this.attempt, delay_ms: delayMs });
    this.retryTimer = this.ctx.clock.setTimeout(() => {
      this.retryTimer = null;
      this.startAttempt();
    }, delayMs);
    this.ctx.stateChanged();
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== null) this.ctx.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Stops the session, retries, and (through the hooks) everything else. Leaves `state`. */
  private teardown(): void {
    this.run += 1;
    this.clearRetryTimer();
    this.nextRetryAt = null;
    this.connectedSince = null;
    const session = this.session;
    this.session = null;
    session?.close();
    this.hooks.stopAll();
  }

  private fire(event: SessionEvent): void {
    const next = transition(this.state, event);
    if (next === null) return;
    const previous = this.state;
    this.state = next;
    if (previous !== next)
      this.ctx.log('info', 'state_changed', null, { from: previous, to: next, event: event.type });
    this.ctx.stateChanged();
  }
}
