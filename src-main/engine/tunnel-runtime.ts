// One tunnel as the engine runs it: its config, status, error, registration facts and local
// listener (docs/protocol.md "Data streams": 127.0.0.1:local_port unless configured). Owned by
// the tunnel set; the data path sees it only as a TunnelRoute.

import type net from 'node:net';
import type { DataMode, ErrorInfo, TunnelConfig, TunnelStatus } from '../shared/model';
import { TunnelCounters } from './counters';
import type { EngineContext } from './engine-context';
import { errorInfo, toEngineError, type EngineError } from './errors';
import type { TunnelState } from './snapshot-builder';
import { closeListener, listenTunnel } from './tunnel-listener';

const DEFAULT_LOCAL_HOST = '127.0.0.1';

/** What the data path sees of a tunnel when a local connection arrives on it. */
export interface TunnelRoute {
  readonly config: TunnelConfig;
  readonly dataMode: DataMode | null;
  readonly streamToken: string | null;
  readonly counters: TunnelCounters;
  /**
   * A tunnel to a published server: the registered key its streams pin the inner TLS to, null
   * for a keyless server; undefined for other tunnels and before registration.
   */
  readonly serverKey: string | null | undefined;
  /** A stream of this tunnel ended: null when it got through, else why it failed. */
  streamEnded(err: EngineError | null): void;
  /**
   * The relay refused a stream to a published server with `reason` (docs/protocol.md "Reaching
   * a published server"): `server_changed` asks again, `ip_not_allowed` stops the tunnel.
   */
  serverRefused(err: EngineError, reason: string | null): void;
}

export class TunnelRuntime implements TunnelState, TunnelRoute {
  status: TunnelStatus;
  error: ErrorInfo | null = null;
  dataMode: DataMode | null = null;
  streamToken: string | null = null;
  serverKey: string | null | undefined = undefined;
  /** The relay accepted this id earlier in this process: tunnel_exists then means "still yours". */
  registeredOnce = false;
  /** Bumped on every config change and teardown, so a stale result is dropped. */
  generation = 0;
  readonly counters = new TunnelCounters();
  private server: net.Server | null = null;
  private listening: Promise<void> | null = null;
  /** The generation `listening` was started for. */
  private listeningFor = -1;

  constructor(
    public config: TunnelConfig,
    private readonly ctx: EngineContext,
    private readonly onConnection: (route: TunnelRoute, socket: net.Socket) => void,
    /** The published server's registration changed: register this tunnel again. */
    private readonly onServerChanged: (runtime: TunnelRuntime) => void = () => undefined,
  ) {
    this.status = config.enabled ? 'pending' : 'off';
  }

  get isListening(): boolean {
    return this.status === 'listening';
  }

  /** A new config for the same id: true when it must be registered (again) or stopped. */
  reconfigure(config: TunnelConfig): boolean {
    const previous = this.config;
    this.config = config;
    if (previous.enabled === config.enabled && sameEndpoint(previous, config)) return false;
    this.generation += 1;
    this.stopListening();
    this.error = null;
    this.status = config.enabled ? 'pending' : 'off';
    return true;
  }

  /** Removed from the table: whatever is still on its way for it is dropped. */
  retire(): void {
    this.generation += 1;
    this.stopListening();
  }

  /** The engine stops: the listener closes; its own error stays visible until it is retried. */
  stop(): void {
    this.generation += 1;
    this.stopListening();
    if (this.status !== 'error' || !this.config.enabled)
      this.status = this.config.enabled ? 'pending' : 'off';
  }

  /** Another relay: nothing the last one said about this tunnel holds. */
  forgetRelay(): void {
    this.registeredOnce = false;
    this.streamToken = null;
    this.serverKey = undefined;
    this.dataMode = null;
  }

  fail(err: EngineError): void {
    this.ctx.countError(err.code);
    this.status = 'error';
    this.error = errorInfo(err, this.ctx.clock.now());
    this.stopListening();
    this.ctx.log('warn', 'tunnel_error', this.config.id, {
      code: err.code,
      reason: err.message,
      detail: err.detail,
    });
    this.ctx.stateChanged();
  }

  /** The published server is not back yet: no listener, the reason shown, asked again later. */
  waitForServer(err: EngineError): void {
    this.stopListening();
    this.status = 'pending';
    this.error = errorInfo(err, this.ctx.clock.now());
    this.ctx.stateChanged();
  }

  serverRefused(err: EngineError, reason: string | null): void {
    if (reason === 'server_changed') this.onServerChanged(this);
    else if (err.code === 'ip_not_allowed' && this.status === 'listening') this.fail(err);
  }

  streamEnded(err: EngineError | null): void {
    if (err !== null) {
      this.error = errorInfo(err, this.ctx.clock.now());
    } else if (this.status === 'listening' && this.error !== null) {
      // A stream got through again: an earlier stream failure is no longer current.
      this.error = null;
    } else {
      return;
    }
    this.ctx.stateChanged();
  }

  /** Opens the local listener (once); `isCurrent` says whether it is still wanted when ready. */
  listen(isCurrent: () => boolean): Promise<void> {
    if (this.server !== null) {
      this.status = 'listening';
      this.error = null;
      this.ctx.stateChanged();
      return Promise.resolve();
    }
    if (this.listening !== null) {
      if (this.listeningFor === this.generation) return this.listening;
      // A listen for an older config is settling: it closes its server, then this one opens,
      // so a port kept across a change is not refused as in use by ourselves.
      return this.listening.then(() => this.listen(isCurrent));
    }
    const { generation, config } = this;
    this.listeningFor = generation;
    this.listening = listenTunnel({
      host: config.localHost !== '' ? config.localHost : DEFAULT_LOCAL_HOST,
      port: config.localPort,
      onConnection: (socket) => this.onConnection(this, socket),
    }).then(
      (server) => {
        this.listening = null;
        if (generation !== this.generation || !isCurrent()) {
          server.close();
          return;
        }
        this.server = server;
        this.status = 'listening';
        this.error = null;
        this.ctx.log('info', 'tunnel_listening', config.id, {
          address: `${config.localHost}:${config.localPort}`,
        });
        this.ctx.stateChanged();
      },
      (err: unknown) => {
        this.listening = null;
        if (generation !== this.generation) return;
        this.fail(toEngineError(err, 'listen_failed'));
      },
    );
    return this.listening;
  }

  private stopListening(): void {
    const server = this.server;
    this.server = null;
    // server.close() frees the port at once; its callback waits for streams, which we don't.
    if (server !== null) void closeListener(server);
  }
}

function sameEndpoint(a: TunnelConfig, b: TunnelConfig): boolean {
  return (
    a.localHost === b.localHost &&
    a.localPort === b.localPort &&
    a.remoteHost === b.remoteHost &&
    a.remotePort === b.remotePort &&
    a.server === b.server
  );
}
