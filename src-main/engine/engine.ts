// Composition of the client engine (createEngine, types.ts): session lifecycle and retries on
// the state machine, tunnels and their listeners, the data pool and stream forwarders,
// snapshots, logs and metrics. Plain Node: never imports electron.

import net from 'node:net';
import type {
  ConnectionState,
  DataMode,
  EngineSnapshot,
  ErrorInfo,
  LogRecord,
  TunnelConfig,
  TunnelSnapshot,
  TunnelStatus,
} from '../shared/model';
import { CONNECT_TIMEOUT_MS, RECONNECT_POLICY } from '../shared/model';
import { NEEDS_USER_CODES } from '../shared/error-codes';
import { AuthLimiter } from './auth-limiter';
import { isExhausted, reconnectDelayMs } from './backoff';
import { ControlSession } from './control-session';
import { TunnelCounters } from './counters';
import { DataPool } from './data-pool';
import { EngineError, errorInfo, toEngineError } from './errors';
import { createLogger, type EngineLogger } from './log';
import { EngineMetrics } from './metrics';
import { encodeMessage } from '../protocol/codec';
import { actionFor, isRelayErrorCode } from '../protocol/errors';
import { TCP_MUX_FEATURE, TCP_STREAM_FEATURE } from '../protocol/messages';
import { forwardMuxStream, MuxClient } from './mux-client';
import type { MuxStream } from '../protocol/mux-connection';
import { SnapshotThrottle } from './snapshot-throttle';
import { transition, type SessionEvent } from './state-machine';
import { forwardStream, type ForwardHandle } from './stream-forwarder';
import { openTransport } from './tls-options';
import { resetSocket } from '../protocol/socket-reset';
import { closeListener, listenTunnel } from './tunnel-listener';
import type {
  Engine,
  EngineEvents,
  EngineOptions,
  PersistedSessionState,
  RelayEndpoint,
} from './types';
import { systemClock, type Clock } from '../shared/clock';

export const DEFAULT_POOL_SIZE = 2;
const DEFAULT_LOCAL_HOST = '127.0.0.1';
/** How often rates are refreshed while traffic flows or a rate is still above zero. */
const RATE_REFRESH_MS = 1_000;
/** How long `auto` waits for the hello of a relay remembered to speak first. */
const REMEMBERED_SERVER_HELLO_WAIT_MS = 5_000;
/**
 * Failures no retry can fix: the token, and the relay's TLS identity (a name, CA, expiry or
 * pin the client refuses, or no TLS 1.3). The user must act; retrying would only hide the
 * cause behind reconnect_exhausted minutes later. The one list is shared/error-codes.ts.
 */
const FATAL_CLIENT_CODES: ReadonlySet<string> = new Set(NEEDS_USER_CODES);

interface TunnelRuntime {
  config: TunnelConfig;
  status: TunnelStatus;
  error: ErrorInfo | null;
  dataMode: DataMode | null;
  streamToken: string | null;
  /** The relay accepted this id earlier in this process: tunnel_exists then means "still yours". */
  registeredOnce: boolean;
  server: net.Server | null;
  listening: Promise<void> | null;
  /** Bumped on every config change, so a stale registration result is dropped. */
  generation: number;
  readonly counters: TunnelCounters;
}

function relayKey(relay: RelayEndpoint): string {
  return `${relay.host}:${relay.port}`;
}

function sameEndpoint(a: TunnelConfig, b: TunnelConfig): boolean {
  return (
    a.localHost === b.localHost &&
    a.localPort === b.localPort &&
    a.remoteHost === b.remoteHost &&
    a.remotePort === b.remotePort
  );
}

export function createEngine(options: EngineOptions): Engine {
  return new TunnelEngine(options);
}

class TunnelEngine implements Engine {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: EngineLogger;
  private readonly throttle: SnapshotThrottle;
  private readonly metricsRegistry: EngineMetrics;
  private readonly limiter = new AuthLimiter();
  private readonly snapshotListeners = new Set<EngineEvents['snapshot']>();
  private readonly logListeners = new Set<EngineEvents['log']>();
  private readonly tunnels = new Map<string, TunnelRuntime>();
  private readonly streams = new Set<ForwardHandle>();
  /** Every stream's onProgress: one closure for all of them. */
  private readonly streamProgress = (): void => this.onCountersChanged();
  private readonly liveSockets = new Set<net.Socket>();
  private readonly errorCounts = new Map<string, number>();

  private relay: RelayEndpoint;
  private state: ConnectionState = 'disconnected';
  private wanted = false;
  private closed = false;
  /** Bumped by every teardown: async work of an older run drops its result. */
  private run = 0;
  private session: ControlSession | null = null;
  private attempt = 0;
  private nextRetryAt: number | null = null;
  private retryTimer: unknown = null;
  private rateTimer: unknown = null;
  private lastError: ErrorInfo | null = null;
  private connectedSince: number | null = null;
  private relayVersion: string | null = null;
  private relayFeatures: readonly string[] = [];
  private clientId: string | null = null;
  private tenantId: string | null = null;
  private reconnectToken: string | null = null;
  private openerMemory: 'client' | 'server' | null = null;
  private persistedLoaded = false;
  private pool: DataPool | null = null;
  /** tcp_mux data connections, used instead of the pool when the relay announces the feature. */
  private mux: MuxClient | null = null;
  private tlsSession: Buffer | undefined;
  private seq = 0;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.relay = options.relay;
    this.logger = createLogger(this.clock, (record) => this.emitLog(record));
    this.throttle = new SnapshotThrottle(this.clock, () => this.emitSnapshot());
    this.metricsRegistry = new EngineMetrics({
      connectionTimeSeconds: () =>
        this.state === 'active' && this.connectedSince !== null
          ? Math.max(0, (this.clock.now() - this.connectedSince) / 1000)
          : 0,
      bytesIn: () => this.sum((c) => c.bytesIn),
      bytesOut: () => this.sum((c) => c.bytesOut),
      activeTunnels: () =>
        [...this.tunnels.values()].filter((t) => t.status === 'listening').length,
      errorCounts: () => this.errorCounts,
    });
    for (const config of options.tunnels) this.tunnels.set(config.id, this.newRuntime(config));
  }

  // ---------------------------------------------------------------------------------------
  // Engine API

  connect(): void {
    if (this.closed || this.state !== 'disconnected') return;
    this.wanted = true;
    this.attempt = 0;
    this.lastError = null;
    this.fire({ type: 'connect' });
    this.startAttempt();
  }

  disconnect(): Promise<void> {
    this.wanted = false;
    this.teardown();
    this.attempt = 0;
    this.fire({ type: 'user_disconnect' });
    this.throttle.stateChanged();
    return Promise.resolve();
  }

  reconnectNow(): void {
    if (this.closed) return;
    if (this.state === 'disconnected') {
      this.connect();
    } else if (this.state === 'reconnecting' && this.retryTimer !== null) {
      this.startAttempt();
    }
  }

  setTunnels(tunnels: readonly TunnelConfig[]): void {
    const wanted = new Map(tunnels.map((t) => [t.id, t]));
    for (const [id, runtime] of this.tunnels) {
      if (!wanted.has(id)) {
        this.stopListening(runtime);
        runtime.generation += 1;
        this.tunnels.delete(id);
      }
    }
    const toRegister: TunnelRuntime[] = [];
    const ordered = new Map<string, TunnelRuntime>();
    for (const config of tunnels) {
      const runtime = this.tunnels.get(config.id);
      if (runtime === undefined) {
        const fresh = this.newRuntime(config);
        ordered.set(config.id, fresh);
        if (config.enabled) toRegister.push(fresh);
        continue;
      }
      const previous = runtime.config;
      runtime.config = config;
      ordered.set(config.id, runtime);
      if (previous.enabled === config.enabled && sameEndpoint(previous, config)) continue;
      runtime.generation += 1;
      this.stopListening(runtime);
      runtime.error = null;
      runtime.status = config.enabled ? 'pending' : 'off';
      if (config.enabled) toRegister.push(runtime);
    }
    this.tunnels.clear();
    for (const [id, runtime] of ordered) this.tunnels.set(id, runtime);
    const session = this.session;
    if (this.state === 'active' && session !== null) {
      for (const runtime of toRegister) this.registerInBackground(session, runtime);
    }
    this.throttle.stateChanged();
  }

  setTunnelEnabled(tunnelId: string, enabled: boolean): void {
    const list = [...this.tunnels.values()].map((t) =>
      t.config.id === tunnelId ? { ...t.config, enabled } : t.config,
    );
    this.setTunnels(list);
  }

  setRelay(relay: RelayEndpoint): void {
    const wasWanted = this.wanted;
    this.teardown();
    this.relay = relay;
    this.relayVersion = null;
    this.relayFeatures = [];
    this.clientId = null;
    this.tenantId = null;
    this.reconnectToken = null;
    this.openerMemory = null;
    this.persistedLoaded = false;
    this.tlsSession = undefined;
    this.pool = null;
    this.mux?.destroy();
    this.mux = null;
    for (const runtime of this.tunnels.values()) {
      runtime.registeredOnce = false;
      runtime.streamToken = null;
      runtime.dataMode = null;
    }
    if (this.state !== 'disconnected') this.fire({ type: 'user_disconnect' });
    this.throttle.stateChanged();
    if (wasWanted) this.connect();
  }

  snapshot(): EngineSnapshot {
    const now = this.clock.now();
    const tunnels: TunnelSnapshot[] = [];
    for (const t of this.tunnels.values()) {
      const c = t.counters;
      c.sampleRates(now);
      tunnels.push({
        ...t.config,
        status: t.status,
        dataMode: t.dataMode,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        rateInBps: c.rateInBps,
        rateOutBps: c.rateOutBps,
        openConnections: c.openConnections,
        totalConnections: c.totalConnections,
        failedConnections: c.failedConnections,
        error: t.error,
      });
    }
    this.seq += 1;
    return {
      state: this.state,
      session: {
        relay: relayKey(this.relay),
        insecure: this.relay.insecure === true,
        clientId: this.clientId,
        tenantId: this.tenantId,
        connectedSince:
          this.connectedSince !== null ? new Date(this.connectedSince).toISOString() : null,
        reconnectAttempt: this.state === 'reconnecting' ? this.attempt : 0,
        maxReconnectAttempts: RECONNECT_POLICY.maxAttempts,
        nextRetryAt: this.nextRetryAt !== null ? new Date(this.nextRetryAt).toISOString() : null,
        relayVersion: this.relayVersion,
        relayFeatures: this.relayFeatures,
      },
      tunnels,
      lastError: this.lastError,
      seq: this.seq,
      at: new Date(now).toISOString(),
    };
  }

  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): () => void {
    const set = (event === 'snapshot' ? this.snapshotListeners : this.logListeners) as Set<
      EngineEvents[E]
    >;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  metrics(): Promise<string> {
    return this.metricsRegistry.text();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.disconnect();
    this.closed = true;
    this.throttle.close();
    if (this.rateTimer !== null) this.clock.clearTimeout(this.rateTimer);
    this.rateTimer = null;
    for (const socket of this.liveSockets) socket.destroy();
    this.liveSockets.clear();
    this.metricsRegistry.close();
    this.snapshotListeners.clear();
    this.logListeners.clear();
  }

  // ---------------------------------------------------------------------------------------
  // Session lifecycle

  private startAttempt(): void {
    this.clearRetryTimer();
    this.nextRetryAt = null;
    const run = this.run;
    this.attemptOnce(run).catch((err: unknown) => {
      this.log('error', 'internal_error', null, {
        reason: err instanceof Error ? err.message : String(err),
      });
    });
  }

  private async attemptOnce(run: number): Promise<void> {
    await this.loadPersisted();
    if (run !== this.run) return;
    // PROTOCOL.md §4: never more than 5 auth attempts a minute, whatever the backoff says.
    const wait = this.limiter.delayMs(this.clock.now());
    if (wait > 0) {
      this.log('warn', 'auth_rate_limited', null, { wait_ms: wait });
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
    this.logger.secrets.add(token);
    this.log('info', 'connecting', null, { relay: relayKey(this.relay), attempt: this.attempt });
    if (this.relay.insecure === true) {
      this.log('warn', 'insecure_connection', null, {
        relay: relayKey(this.relay),
        reason: 'plaintext TCP: traffic and token are not encrypted',
      });
    }
    let socket: net.Socket;
    try {
      socket = await this.openRelayConnection();
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
      clock: this.clock,
      log: this.logger.log,
      // A remembered client opener skips the wait; a remembered server opener waits longer
      // for the relay's hello but still falls back to sending ours, so one wrong guess
      // cannot lock the profile out (PROTOCOL.md §2.1).
      opener: configured === 'auto' && this.openerMemory === 'client' ? 'client' : configured,
      ...(configured === 'auto' && this.openerMemory === 'server'
        ? { helloWaitMs: REMEMBERED_SERVER_HELLO_WAIT_MS }
        : {}),
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
      this.limiter.tryRecord(this.clock.now());
      const hs = await session.handshake(token, this.reconnectToken);
      if (run !== this.run) {
        session.close();
        return;
      }
      this.relayVersion = hs.relayVersion;
      this.relayFeatures = hs.features;
      this.clientId = hs.clientId ?? this.clientId;
      this.tenantId = hs.tenantId ?? this.tenantId;
      if (configured === 'auto') this.openerMemory = hs.opener;
      if (hs.reconnectToken !== null) this.setReconnectToken(hs.reconnectToken);
      this.log('info', 'authenticated', null, {
        client_id: hs.clientId,
        tenant_id: hs.tenantId,
        relay_version: hs.relayVersion,
        features: hs.features,
        opener: hs.opener,
      });
      if (this.state === 'authenticating') this.fire({ type: 'auth_ok' });
      for (const runtime of [...this.tunnels.values()]) {
        if (!runtime.config.enabled) continue;
        await this.registerTunnel(run, session, runtime);
        if (run !== this.run) return;
      }
      if (session.isClosed)
        throw new EngineError(
          'connection_lost',
          'relay closed the control connection during registration',
        );
      this.attempt = 0;
      this.lastError = null;
      this.connectedSince = this.clock.now();
      this.fire({ type: this.state === 'registered' ? 'tunnels_registered' : 'reconnected' });
      session.startHeartbeat(() => ({
        bytes_in: this.sum((c) => c.bytesIn),
        bytes_out: this.sum((c) => c.bytesOut),
        connected_since:
          this.connectedSince !== null ? new Date(this.connectedSince).toISOString() : null,
      }));
      if (this.relayFeatures.includes(TCP_STREAM_FEATURE)) this.startDataPath();
      this.persist();
    } catch (err) {
      session.close();
      if (this.session === session) this.session = null;
      if (run !== this.run) return;
      // A speak-first relay closes on our hello: next time, wait for its hello (PROTOCOL.md §2.1).
      if (configured === 'auto' && session.sawServerHello) this.openerMemory = 'server';
      this.onAttemptFailed(toEngineError(err, 'connection_lost'));
    }
  }

  private onSessionLost(session: ControlSession, err: EngineError): void {
    if (session !== this.session) return;
    this.session = null;
    this.log('warn', 'connection_lost', null, { code: err.code, reason: err.message });
    // Established streams go on (PROTOCOL.md §3); only the pool waits for the next session.
    this.pool?.stop();
    this.mux?.stop();
    this.onAttemptFailed(err);
  }

  private onAttemptFailed(err: EngineError): void {
    this.countError(err.code);
    const fatal =
      FATAL_CLIENT_CODES.has(err.code) ||
      (isRelayErrorCode(err.code) && actionFor(err.code) === 'fatal');
    this.log(fatal ? 'error' : 'warn', 'connect_failed', null, {
      code: err.code,
      reason: err.message,
      detail: err.detail,
      fatal,
    });
    if (fatal) {
      this.teardown();
      this.wanted = false;
      this.attempt = 0;
      this.lastError = errorInfo(err, this.clock.now());
      this.fire({ type: 'fatal_error' });
      this.throttle.stateChanged();
      return;
    }
    this.attempt += 1;
    if (isExhausted(this.attempt)) {
      this.teardown();
      this.wanted = false;
      this.attempt = 0;
      this.lastError = errorInfo(
        new EngineError(
          'reconnect_exhausted',
          `gave up after ${RECONNECT_POLICY.maxAttempts} reconnect attempts`,
          `${err.code}: ${err.message}`,
        ),
        this.clock.now(),
      );
      this.countError('reconnect_exhausted');
      this.fire({ type: 'gave_up' });
      this.throttle.stateChanged();
      return;
    }
    this.lastError = errorInfo(err, this.clock.now());
    this.connectedSince = null;
    // Schedule first so the Reconnecting snapshot already carries nextRetryAt.
    this.scheduleAttempt(reconnectDelayMs(this.attempt, this.random, err.retryAfterSec));
    this.fire({ type: 'connection_lost' });
  }

  private scheduleAttempt(delayMs: number): void {
    this.clearRetryTimer();
    this.nextRetryAt = this.clock.now() + delayMs;
    this.log('info', 'reconnect_scheduled', null, { attempt: this.attempt, delay_ms: delayMs });
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.startAttempt();
    }, delayMs);
    this.throttle.stateChanged();
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Stops the session, retries, pool, listeners and streams. Leaves `state` to the caller. */
  private teardown(): void {
    this.run += 1;
    this.clearRetryTimer();
    this.nextRetryAt = null;
    this.connectedSince = null;
    const session = this.session;
    this.session = null;
    session?.close();
    this.pool?.stop();
    this.mux?.stop();
    for (const runtime of this.tunnels.values()) {
      runtime.generation += 1;
      runtime.listening = null;
      this.stopListening(runtime);
      // A tunnel's own error (port_in_use, refused config) stays visible until it is retried.
      if (runtime.status !== 'error' || !runtime.config.enabled)
        runtime.status = runtime.config.enabled ? 'pending' : 'off';
    }
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
  }

  private fire(event: SessionEvent): void {
    const next = transition(this.state, event);
    if (next === null) return;
    const previous = this.state;
    this.state = next;
    if (previous !== next)
      this.log('info', 'state_changed', null, { from: previous, to: next, event: event.type });
    this.throttle.stateChanged();
  }

  // ---------------------------------------------------------------------------------------
  // Tunnels

  private registerInBackground(session: ControlSession, runtime: TunnelRuntime): void {
    const run = this.run;
    this.registerTunnel(run, session, runtime).catch((err: unknown) => {
      // Fatal relay answers end the session; a closed session is handled by onSessionLost.
      if (run !== this.run || session.isClosed) return;
      const e = toEngineError(err, 'protocol_error');
      session.close();
      if (this.session === session) this.session = null;
      this.onAttemptFailed(e);
    });
  }

  /** tunnel_info for one tunnel, then its listener. Throws only for session-level failures. */
  private async registerTunnel(
    run: number,
    session: ControlSession,
    runtime: TunnelRuntime,
  ): Promise<void> {
    const generation = runtime.generation;
    const { config } = runtime;
    runtime.status = 'registering';
    this.throttle.stateChanged();
    const result = await session.registerTunnel({
      type: 'tunnel_info',
      tunnel_id: config.id,
      ...(this.tenantId !== null ? { tenant_id: this.tenantId } : {}),
      local_port: config.localPort,
      remote_host: config.remoteHost,
      remote_port: config.remotePort,
    });
    if (
      run !== this.run ||
      generation !== runtime.generation ||
      this.tunnels.get(config.id) !== runtime
    )
      return;
    if (!result.ok) {
      if (result.error.code === 'tunnel_exists' && runtime.registeredOnce) {
        // PROTOCOL.md §7: re-registering a tunnel the relay still holds for us is success.
        this.log('info', 'tunnel_reclaimed', config.id, {});
      } else if (result.action === 'fatal') {
        throw result.error;
      } else {
        this.failTunnel(runtime, result.error);
        return;
      }
    } else {
      if (result.streamToken !== null) {
        runtime.streamToken = result.streamToken;
        this.logger.secrets.add(result.streamToken);
      }
      if (result.reconnectToken !== null) this.setReconnectToken(result.reconnectToken);
      if (result.echoedId !== null)
        this.log('info', 'tunnel_id_echo_differs', config.id, {
          echoed: result.echoedId,
          kept: config.id,
        });
      if (result.v1Register) this.log('info', 'tunnel_v1_register_response', config.id, {});
      runtime.registeredOnce = true;
    }
    const hasStream = this.relayFeatures.includes(TCP_STREAM_FEATURE);
    if (hasStream && runtime.streamToken === null) {
      this.failTunnel(
        runtime,
        new EngineError(
          'protocol_error',
          'relay announced tcp_stream but gave this tunnel no stream_token',
        ),
      );
      return;
    }
    if (!hasStream && this.options.allowDirect !== true) {
      this.failTunnel(
        runtime,
        new EngineError(
          'protocol_error',
          'relay does not carry TCP streams (no tcp_stream feature) and direct mode is off',
          'enable direct mode to dial targets from this computer',
        ),
      );
      return;
    }
    runtime.dataMode = hasStream ? 'stream' : 'direct';
    this.log('info', 'tunnel_registered', config.id, {
      data_mode: runtime.dataMode,
      local_port: config.localPort,
    });
    await this.ensureListening(runtime);
  }

  private failTunnel(runtime: TunnelRuntime, err: EngineError): void {
    this.countError(err.code);
    runtime.status = 'error';
    runtime.error = errorInfo(err, this.clock.now());
    this.stopListening(runtime);
    this.log('warn', 'tunnel_error', runtime.config.id, {
      code: err.code,
      reason: err.message,
      detail: err.detail,
    });
    this.throttle.stateChanged();
  }

  private async ensureListening(runtime: TunnelRuntime): Promise<void> {
    if (runtime.server !== null) {
      runtime.status = 'listening';
      runtime.error = null;
      this.throttle.stateChanged();
      return;
    }
    if (runtime.listening !== null) return runtime.listening;
    const generation = runtime.generation;
    const { config } = runtime;
    runtime.listening = listenTunnel({
      host: config.localHost !== '' ? config.localHost : DEFAULT_LOCAL_HOST,
      port: config.localPort,
      onConnection: (socket) => this.onLocalConnection(runtime, socket),
    }).then(
      (server) => {
        runtime.listening = null;
        if (
          generation !== runtime.generation ||
          this.tunnels.get(config.id) !== runtime ||
          this.closed
        ) {
          server.close();
          return;
        }
        runtime.server = server;
        runtime.status = 'listening';
        runtime.error = null;
        this.log('info', 'tunnel_listening', config.id, {
          address: `${config.localHost}:${config.localPort}`,
        });
        this.throttle.stateChanged();
      },
      (err: unknown) => {
        runtime.listening = null;
        if (generation !== runtime.generation) return;
        this.failTunnel(runtime, toEngineError(err, 'listen_failed'));
      },
    );
    return runtime.listening;
  }

  private stopListening(runtime: TunnelRuntime): void {
    const server = runtime.server;
    runtime.server = null;
    // server.close() frees the port at once; its callback waits for streams, which we don't.
    if (server !== null) void closeListener(server);
  }

  private newRuntime(config: TunnelConfig): TunnelRuntime {
    return {
      config,
      status: config.enabled ? 'pending' : 'off',
      error: null,
      dataMode: null,
      streamToken: null,
      registeredOnce: false,
      server: null,
      listening: null,
      generation: 0,
      counters: new TunnelCounters(),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Data path

  private onLocalConnection(runtime: TunnelRuntime, local: net.Socket): void {
    // Until a forwarder owns it, a local error must not become an unhandled 'error'.
    const early = (): void => undefined;
    local.on('error', early);
    const fail = (err: EngineError): void => {
      runtime.counters.streamFailedToStart();
      this.logStreamFailure(runtime, err);
      resetSocket(local);
      this.onCountersChanged();
    };
    /** A forwarder may take `local`; else `drop` lets go of the other end and local goes too. */
    const adopt = (drop: () => void): boolean => {
      local.removeListener('error', early);
      if (!local.destroyed && !this.closed) return true;
      drop();
      local.destroy();
      return false;
    };
    const start = (remote: net.Socket, openLine: Buffer | null): void => {
      if (!adopt(() => remote.destroy())) return;
      const handle = forwardStream({
        local,
        remote,
        counters: runtime.counters,
        openLine,
        onProgress: this.streamProgress,
        onDone: (err) => onDone(err, handle),
      });
      this.streams.add(handle);
    };
    const onDone = (err: EngineError | null, handle: ForwardHandle): void => {
      this.streams.delete(handle);
      if (err === null && runtime.status === 'listening' && runtime.error !== null) {
        // A stream got through again: an earlier stream failure is no longer current.
        runtime.error = null;
        this.throttle.stateChanged();
      }
      if (err !== null) {
        // Error and count are both set before the log record goes out.
        runtime.error = errorInfo(err, this.clock.now());
        this.logStreamFailure(runtime, err);
        this.throttle.stateChanged();
      }
    };
    const startMux = (stream: MuxStream, mux: MuxClient): void => {
      if (!adopt(() => stream.reset())) return;
      const handle = forwardMuxStream({
        local,
        stream,
        counters: runtime.counters,
        onProgress: this.streamProgress,
        onDone: (err) => {
          onDone(err, handle);
          mux.streamEnded();
        },
      });
      this.streams.add(handle);
    };
    if (runtime.dataMode === 'direct') {
      this.dialDirect(runtime.config).then(
        (remote) => start(remote, null),
        (err: unknown) => fail(toEngineError(err, 'target_unreachable')),
      );
      return;
    }
    const token = runtime.streamToken;
    if (token === null) {
      fail(new EngineError('stream_failed', 'tunnel has no stream token yet'));
      return;
    }
    const mux = this.mux;
    if (mux !== null) {
      // docs/protocol.md "Multiplexed data streams": OPEN carries the stream_open fields.
      const payload = Buffer.from(
        JSON.stringify({ tunnel_id: runtime.config.id, stream_token: token }),
      );
      mux.openStream(payload).then(
        (stream) => startMux(stream, mux),
        (err: unknown) => fail(toEngineError(err, 'stream_failed')),
      );
      return;
    }
    const openLine = encodeMessage({
      type: 'stream_open',
      tunnel_id: runtime.config.id,
      stream_token: token,
    });
    const remote = this.pool !== null ? this.pool.take() : this.openRelayConnection();
    remote.then(
      (socket) => start(socket, openLine),
      (err: unknown) => fail(toEngineError(err, 'stream_failed')),
    );
  }

  /** `direct` data mode (PROTOCOL.md §3): the client dials the target itself. */
  private dialDirect(config: TunnelConfig): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({
        host: config.remoteHost,
        port: config.remotePort,
        allowHalfOpen: true,
      });
      this.track(socket);
      const timer = this.clock.setTimeout(
        () => socket.destroy(new Error('connect timeout')),
        CONNECT_TIMEOUT_MS,
      );
      socket.once('connect', () => {
        this.clock.clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        this.clock.clearTimeout(timer);
        reject(
          new EngineError(
            'target_unreachable',
            `cannot reach ${config.remoteHost}:${config.remotePort}`,
            err.message,
          ),
        );
      });
    });
  }

  private openRelayConnection(): Promise<net.Socket> {
    return openTransport({
      endpoint: this.relay,
      clock: this.clock,
      ...(this.tlsSession !== undefined ? { session: this.tlsSession } : {}),
      onSession: (session) => {
        this.tlsSession = session;
      },
      onSocket: (socket) => this.track(socket),
    });
  }

  private track(socket: net.Socket): void {
    this.liveSockets.add(socket);
    socket.once('close', () => this.liveSockets.delete(socket));
  }

  /** tcp_mux when the relay announces it (docs/protocol.md), else the warm pool. */
  private startDataPath(): void {
    if (!this.relayFeatures.includes(TCP_MUX_FEATURE) || this.options.mux === false) {
      // Streams already on mux connections finish there (PROTOCOL.md §3); new ones use the pool.
      this.mux?.stop();
      this.mux = null;
      this.startPool();
      return;
    }
    this.pool?.stop();
    this.mux ??= new MuxClient({
      connect: () => this.openRelayConnection(),
      clock: this.clock,
      log: this.logger.log,
    });
    this.mux.start();
  }

  private startPool(): void {
    const size = this.options.poolSize ?? DEFAULT_POOL_SIZE;
    if (this.pool === null) {
      this.pool = new DataPool({
        connect: () => this.openRelayConnection(),
        size,
        clock: this.clock,
        log: this.logger.log,
      });
    }
    if (size > 0) this.pool.start();
  }

  private onCountersChanged(): void {
    this.throttle.countersChanged();
  }

  private logStreamFailure(runtime: TunnelRuntime, err: EngineError): void {
    this.countError(err.code);
    this.log('warn', 'stream_failed', runtime.config.id, {
      code: err.code,
      reason: err.message,
      detail: err.detail,
    });
  }

  // ---------------------------------------------------------------------------------------
  // Output

  private emitSnapshot(): void {
    if (this.snapshotListeners.size === 0) return;
    const snap = this.snapshot();
    for (const listener of this.snapshotListeners) listener(snap);
    // Keep rates honest after traffic stops: one more look a rate window later.
    const moving = snap.tunnels.some(
      (t) => t.rateInBps > 0 || t.rateOutBps > 0 || t.openConnections > 0,
    );
    if (moving && this.rateTimer === null && !this.closed) {
      this.rateTimer = this.clock.setTimeout(() => {
        this.rateTimer = null;
        this.throttle.countersChanged();
      }, RATE_REFRESH_MS);
    }
  }

  private emitLog(record: LogRecord): void {
    for (const listener of this.logListeners) listener(record);
  }

  private log(
    level: LogRecord['level'],
    event: string,
    tunnelId: string | null,
    details: Record<string, unknown> = {},
  ): void {
    this.logger.log(level, event, tunnelId, details);
  }

  private countError(code: string): void {
    this.errorCounts.set(code, (this.errorCounts.get(code) ?? 0) + 1);
  }

  private sum(pick: (c: TunnelCounters) => number): number {
    let total = 0;
    for (const t of this.tunnels.values()) total += pick(t.counters);
    return total;
  }

  private setReconnectToken(token: string): void {
    this.reconnectToken = token;
    this.logger.secrets.add(token);
  }

  // ---------------------------------------------------------------------------------------
  // Persistence (seed v1 §6.2; never the JWT)

  private async loadPersisted(): Promise<void> {
    if (this.persistedLoaded || this.options.persistence === undefined) return;
    this.persistedLoaded = true;
    try {
      const saved = await this.options.persistence.load();
      if (saved !== null && saved.relay === relayKey(this.relay)) {
        this.clientId = saved.clientId;
        if (saved.reconnectToken !== null) this.setReconnectToken(saved.reconnectToken);
        this.openerMemory = saved.opener;
      }
    } catch (err) {
      this.log('warn', 'persisted_state_unreadable', null, {
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private persist(): void {
    const persistence = this.options.persistence;
    if (persistence === undefined) return;
    const state: PersistedSessionState = {
      relay: relayKey(this.relay),
      clientId: this.clientId,
      reconnectToken: this.reconnectToken,
      opener: this.openerMemory,
      tunnelIds: [...this.tunnels.values()].filter((t) => t.registeredOnce).map((t) => t.config.id),
    };
    persistence.save(state).catch((err: unknown) => {
      this.log('warn', 'persist_failed', null, {
        reason: err instanceof Error ? err.message : String(err),
      });
    });
  }
}
