// The tunnel table and the registration queue (docs/protocol.md#tunnel-registration): changes
// are taken at any time, each tunnel is registered once with its current config, stale answers
// are dropped and a removed tunnel is never registered. Talks to the relay only through the
// RegistrationLink it is given; never opens a relay connection or touches a stream.

import type net from 'node:net';
import type { TunnelConfig } from '../shared/model';
import type { JsonObject } from '../protocol/codec';
import {
  TCP_STREAM_FEATURE,
  type ClientMessage,
  type RelayMessage,
  type TunnelInfoMessage,
} from '../protocol/messages';
import {
  PUBLISHED_SERVERS_FEATURE,
  type ServerTunnelInfoMessage,
} from '../protocol/server-messages';
import type { RegistrationResult } from './control-answers';
import type { EngineContext } from './engine-context';
import { baseDelayMs } from './backoff';
import { EngineError, toEngineError } from './errors';
import type { TunnelState } from './snapshot-builder';
import { TunnelRuntime, type TunnelRoute } from './tunnel-runtime';

export type { TunnelRoute } from './tunnel-runtime';

/** The live control session, as registration uses it. Built by the session supervisor. */
export interface RegistrationLink {
  readonly tenantId: string | null;
  readonly features: readonly string[];
  register(info: TunnelInfoMessage | ServerTunnelInfoMessage): Promise<RegistrationResult>;
  /** Any other request on the session (register, servers, unregister); null: no answer in time. */
  request<T>(
    message: ClientMessage,
    read: (line: JsonObject, message: RelayMessage) => T | null,
  ): Promise<T | null>;
  /** A registration answer carried a new reconnect_token. */
  reconnectToken(token: string): void;
  /** A registration after the first round failed the whole session (a fatal answer). */
  failed(err: EngineError): void;
}

export interface TunnelSetOptions {
  readonly context: EngineContext;
  readonly tunnels: readonly TunnelConfig[];
  /** Data mode when the relay lacks tcp_stream: dial targets directly (docs/protocol.md). */
  readonly allowDirect: boolean;
  /** Where each accepted local connection goes (the data path). */
  readonly onConnection: (route: TunnelRoute, socket: net.Socket) => void;
}

type Round = { resolve: () => void; reject: (err: EngineError) => void };

export class TunnelSet {
  private readonly table = new Map<string, TunnelRuntime>();
  /** Ids waiting for tunnel_info, in order; a Set, so a tunnel changed twice is asked once. */
  private readonly queue = new Set<string>();
  private link: RegistrationLink | null = null;
  /** Bumped whenever the link changes: work begun for an older session drops its result. */
  private epoch = 0;
  /** The epoch whose drain loop is running, or -1. */
  private drainingEpoch = -1;
  /** The first round of a link: the supervisor goes Active when it resolves. */
  private round: Round | null = null;
  private closed = false;
  private readonly ctx: EngineContext;
  /**
   * The key each published server had when first seen on this relay (docs/protocol.md "End
   * to end"); a different one later stops its tunnels until the user turns them on again.
   */
  private readonly serverKeys = new Map<string, string | null>();
  /** Tunnels waiting to ask again for a published server not back yet, with their attempts. */
  private readonly serverWaits = new Map<string, { timer: unknown; attempts: number }>();

  constructor(private readonly options: TunnelSetOptions) {
    this.ctx = options.context;
    for (const config of options.tunnels) this.table.set(config.id, this.runtimeFor(config));
  }

  /** Plain state for snapshots, in configured order. */
  states(): Iterable<TunnelState> {
    return this.table.values();
  }

  configs(): TunnelConfig[] {
    return [...this.table.values()].map((t) => t.config);
  }

  setTunnels(tunnels: readonly TunnelConfig[]): void {
    const wanted = new Set(tunnels.map((t) => t.id));
    // Turning a server's tunnel on (again) accepts the key it has now.
    for (const config of tunnels) {
      const known = this.table.get(config.id)?.config;
      if (config.server !== undefined && config.enabled && known?.enabled !== true)
        this.serverKeys.delete(config.server);
    }
    for (const [id, runtime] of this.table) {
      if (wanted.has(id)) continue;
      runtime.retire();
      this.queue.delete(id);
      this.table.delete(id);
    }
    const ordered = new Map<string, TunnelRuntime>();
    for (const config of tunnels) {
      const known = this.table.get(config.id);
      const runtime = known ?? this.runtimeFor(config);
      ordered.set(config.id, runtime);
      if (known !== undefined && !known.reconfigure(config)) continue;
      if (config.enabled) this.enqueue(config.id);
      else this.queue.delete(config.id);
    }
    this.table.clear();
    for (const [id, runtime] of ordered) this.table.set(id, runtime);
    this.pump();
    this.ctx.stateChanged();
  }

  setEnabled(tunnelId: string, enabled: boolean): void {
    this.setTunnels(this.configs().map((c) => (c.id === tunnelId ? { ...c, enabled } : c)));
  }

  /**
   * Registers every enabled tunnel over a new session, and from then on each change as it
   * comes. Resolves once the queue is empty; rejects if the session fails first.
   */
  attach(link: RegistrationLink): Promise<void> {
    this.unlink();
    this.link = link;
    for (const runtime of this.table.values())
      if (runtime.config.enabled) this.queue.add(runtime.config.id);
    const first = new Promise<void>((resolve, reject) => {
      this.round = { resolve, reject };
    });
    this.pump();
    return first;
  }

  /** The session is gone: nothing more is registered until the next attach. Listeners stay. */
  unlink(): void {
    this.epoch += 1;
    this.link = null;
    this.queue.clear();
    for (const wait of this.serverWaits.values()) this.ctx.clock.clearTimeout(wait.timer);
    this.serverWaits.clear();
    const round = this.round;
    this.round = null;
    round?.reject(new EngineError('connection_lost', 'the session ended during registration'));
    for (const runtime of this.table.values())
      if (runtime.status === 'registering') runtime.status = 'pending';
  }

  /** Everything stops: listeners close; a tunnel's own error stays until it is retried. */
  detach(): void {
    this.unlink();
    for (const runtime of this.table.values()) runtime.stop();
  }

  /** Another relay: nothing it was told holds for the next one. */
  forgetRelay(): void {
    this.serverKeys.clear();
    for (const runtime of this.table.values()) runtime.forgetRelay();
  }

  registeredIds(): string[] {
    return [...this.table.values()].filter((t) => t.registeredOnce).map((t) => t.config.id);
  }

  /** Recomputes every tunnel's rates from `now` (once per pushed snapshot, engine.ts). */
  sampleRates(now: number): void {
    for (const t of this.table.values()) t.counters.sampleRates(now);
  }

  totals(): { bytesIn: number; bytesOut: number } {
    let bytesIn = 0;
    let bytesOut = 0;
    for (const t of this.table.values()) {
      bytesIn += t.counters.bytesIn;
      bytesOut += t.counters.bytesOut;
    }
    return { bytesIn, bytesOut };
  }

  listeningCount(): number {
    let n = 0;
    for (const t of this.table.values()) if (t.isListening) n += 1;
    return n;
  }

  close(): void {
    this.detach();
    this.closed = true;
  }

  private runtimeFor(config: TunnelConfig): TunnelRuntime {
    return new TunnelRuntime(config, this.ctx, this.options.onConnection, (runtime) => {
      // Only a tunnel still in the table asks again (docs/protocol.md: `server_changed`).
      if (this.table.get(runtime.config.id) !== runtime || !runtime.config.enabled) return;
      this.ctx.log('info', 'tunnel_server_changed', runtime.config.id, {
        server: runtime.config.server ?? null,
      });
      this.enqueue(runtime.config.id);
      this.pump();
    });
  }

  private enqueue(id: string): void {
    if (this.link !== null) this.queue.add(id);
  }

  private pump(): void {
    const link = this.link;
    if (link === null || this.drainingEpoch === this.epoch) return;
    this.drainingEpoch = this.epoch;
    void this.drain(link, this.epoch);
  }

  /** The next queued tunnel that still exists and is enabled. */
  private dequeue(): TunnelRuntime | null {
    for (const id of this.queue) {
      this.queue.delete(id);
      const runtime = this.table.get(id);
      if (runtime !== undefined && runtime.config.enabled) return runtime;
    }
    return null;
  }

  /** One tunnel at a time (the control session serialises requests anyway). Never rejects. */
  private async drain(link: RegistrationLink, epoch: number): Promise<void> {
    try {
      for (let next = this.dequeue(); next !== null; next = this.dequeue()) {
        await this.register(link, epoch, next);
        if (epoch !== this.epoch) return;
      }
    } catch (err) {
      if (epoch !== this.epoch) return;
      this.drainingEpoch = -1;
      const round = this.round;
      this.round = null;
      const e = toEngineError(err, 'protocol_error');
      if (round !== null) round.reject(e);
      else link.failed(e);
      return;
    }
    // Synchronous with finding the queue empty: a change from now on starts a new drain.
    this.drainingEpoch = -1;
    const round = this.round;
    this.round = null;
    round?.resolve();
  }

  /** tunnel_info for one tunnel, then its listener. Throws only for session-level failures. */
  private async register(
    link: RegistrationLink,
    epoch: number,
    runtime: TunnelRuntime,
  ): Promise<void> {
    const { generation, config } = runtime;
    if (config.server !== undefined && !link.features.includes(PUBLISHED_SERVERS_FEATURE)) {
      runtime.fail(
        new EngineError(
          'protocol_error',
          `the relay does not publish servers (no published_servers feature): "${config.server}" cannot be reached`,
        ),
      );
      return;
    }
    runtime.status = 'registering';
    this.ctx.stateChanged();
    const tenant = link.tenantId !== null ? { tenant_id: link.tenantId } : {};
    // docs/protocol.md#reaching-a-published-server: `server` is a field of its own.
    const result = await link.register(
      config.server !== undefined
        ? {
            type: 'tunnel_info',
            tunnel_id: config.id,
            ...tenant,
            local_port: config.localPort,
            server: config.server,
            remote_port: config.remotePort,
          }
        : {
            type: 'tunnel_info',
            tunnel_id: config.id,
            ...tenant,
            local_port: config.localPort,
            remote_host: config.remoteHost,
            remote_port: config.remotePort,
          },
    );
    const isCurrent = (): boolean => this.table.get(config.id) === runtime && !this.closed;
    if (epoch !== this.epoch || !isCurrent()) return;
    if (result.ok) {
      // The relay holds the id for us now, even if the config changed since we asked.
      runtime.registeredOnce = true;
      if (result.streamToken !== null) this.ctx.secrets.add(result.streamToken);
      if (result.reconnectToken !== null) link.reconnectToken(result.reconnectToken);
    }
    // Changed while asked: it is queued again and registered with its current config.
    if (generation !== runtime.generation) return;
    if (!result.ok) {
      if (result.error.code === 'tunnel_exists' && runtime.registeredOnce) {
        // docs/protocol.md#reconnect: re-registering a tunnel the relay holds for us is success.
        this.ctx.log('info', 'tunnel_reclaimed', config.id, {});
      } else if (result.action === 'fatal') {
        throw result.error;
      } else if (
        config.server !== undefined &&
        runtime.registeredOnce &&
        result.error.detail === 'unknown_server'
      ) {
        // A server reached before is not back yet (its computer re-registers after a relay
        // restart): ask again later rather than give the tunnel up.
        this.askServerLater(runtime, result.error);
        return;
      } else {
        runtime.fail(result.error);
        return;
      }
    } else {
      if (result.streamToken !== null) runtime.streamToken = result.streamToken;
      if (result.echoedId !== null)
        this.ctx.log('info', 'tunnel_id_echo_differs', config.id, {
          echoed: result.echoedId,
          kept: config.id,
        });
      if (result.v1Register) this.ctx.log('info', 'tunnel_v1_register_response', config.id, {});
    }
    if (result.ok) this.serverWaits.delete(config.id);
    if (config.server !== undefined && result.ok) {
      const keyError = this.checkServerKey(runtime, config.server, result.raw);
      if (keyError !== null) {
        runtime.fail(keyError);
        return;
      }
    }
    const refusal = this.dataModeFor(link, runtime);
    if (refusal !== null) {
      runtime.fail(refusal);
      return;
    }
    this.ctx.log('info', 'tunnel_registered', config.id, {
      data_mode: runtime.dataMode,
      local_port: config.localPort,
    });
    await runtime.listen(isCurrent);
  }

  /** Asks for `runtime`'s server again after a backoff (1 s, doubling, at most 30 s). */
  private askServerLater(runtime: TunnelRuntime, error: EngineError): void {
    const id = runtime.config.id;
    const previous = this.serverWaits.get(id);
    if (previous !== undefined) this.ctx.clock.clearTimeout(previous.timer);
    const attempts = (previous?.attempts ?? 0) + 1;
    const delay = baseDelayMs(attempts);
    runtime.waitForServer(error);
    this.ctx.log('info', 'tunnel_server_awaited', id, {
      server: runtime.config.server ?? null,
      retry_ms: delay,
    });
    const timer = this.ctx.clock.setTimeout(() => {
      const wait = this.serverWaits.get(id);
      if (wait?.timer !== timer) return;
      if (this.table.get(id) !== runtime || !runtime.config.enabled) {
        this.serverWaits.delete(id);
        return;
      }
      this.enqueue(id);
      this.pump();
    }, delay);
    this.serverWaits.set(id, { timer, attempts });
  }

  /**
   * The registered key of a published server, held to the one first seen for that name
   * (docs/protocol.md "End to end"); sets the tunnel's serverKey, or says why not.
   */
  private checkServerKey(
    runtime: TunnelRuntime,
    server: string,
    raw: JsonObject | undefined,
  ): EngineError | null {
    const key = raw?.['public_key'];
    if (key !== null && typeof key !== 'string')
      return new EngineError(
        'protocol_error',
        `the relay did not say which key published server "${server}" registered`,
      );
    const known = this.serverKeys.get(server);
    if (known !== undefined && known !== key) {
      runtime.serverKey = undefined;
      return new EngineError(
        'tls_pin_mismatch',
        `published server "${server}" now has a different key than when it was first reached; turn the tunnel on again to accept the new key`,
        'server_key_changed',
      );
    }
    this.serverKeys.set(server, key);
    runtime.serverKey = key;
    return null;
  }

  /** Sets the data mode the relay allows, or says why the tunnel cannot carry streams. */
  private dataModeFor(link: RegistrationLink, runtime: TunnelRuntime): EngineError | null {
    const hasStream = link.features.includes(TCP_STREAM_FEATURE);
    if (hasStream && runtime.streamToken === null)
      return new EngineError(
        'protocol_error',
        'relay announced tcp_stream but gave this tunnel no stream_token',
      );
    if (!hasStream && !this.options.allowDirect)
      return new EngineError(
        'protocol_error',
        'relay does not carry TCP streams (no tcp_stream feature) and direct mode is off',
        'enable direct mode to dial targets from this computer',
      );
    runtime.dataMode = hasStream ? 'stream' : 'direct';
    return null;
  }
}
