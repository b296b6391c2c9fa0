// Local connections and the relay connections that carry them (docs/protocol.md "Data
// streams", "Multiplexed data streams"): direct dial, the warm pool, the mux client, the
// stream forwarders, every live socket, and the relay connection opener with its TLS session.
// Knows a tunnel only as the TunnelRoute it is handed; never registers or listens.

import net from 'node:net';
import { CONNECT_TIMEOUT_MS, type TunnelConfig } from '../shared/model';
import { encodeMessage } from '../protocol/codec';
import { TCP_MUX_FEATURE, TCP_STREAM_FEATURE } from '../protocol/messages';
import type { MuxStream } from '../protocol/mux-connection';
import { resetSocket } from '../protocol/socket-reset';
import { DataPool } from './data-pool';
import type { EngineContext } from './engine-context';
import { EngineError, toEngineError } from './errors';
import { openKeyedStream } from './keyed-streams';
import { forwardMuxStream, MuxClient } from './mux-client';
import { forwardStream, type ForwardHandle } from './stream-forwarder';
import { openTransport, osTrust, trustLabel } from './tls-options';
import type { TunnelRoute } from './tunnel-set';
import type { RelayEndpoint } from './types';

export const DEFAULT_POOL_SIZE = 2;

export interface DataPathOptions {
  readonly context: EngineContext;
  /** The relay to dial; the session supervisor owns it. */
  readonly relay: () => RelayEndpoint;
  /** Ready data connections kept when the relay has no tcp_mux (docs/protocol.md warm pool). */
  readonly poolSize?: number;
  /** Carry streams over tcp_mux when the relay announces it; default true. */
  readonly mux?: boolean;
}

export class DataPath {
  private readonly ctx: EngineContext;
  private readonly streams = new Set<ForwardHandle>();
  private readonly liveSockets = new Set<net.Socket>();
  /** Every stream's onProgress: one closure for all of them. */
  private readonly progress: () => void;
  private pool: DataPool | null = null;
  /** tcp_mux data connections, used instead of the pool when the relay announces the feature. */
  private mux: MuxClient | null = null;
  private tlsSession: Buffer | undefined;
  private closed = false;
  private osTrustChecked = false;

  constructor(private readonly options: DataPathOptions) {
    this.ctx = options.context;
    this.progress = options.context.countersChanged;
  }

  /** One transport to the relay, resuming the last TLS session (control and data alike). */
  openRelayConnection(): Promise<net.Socket> {
    const endpoint = this.options.relay();
    if (!this.osTrustChecked && trustLabel(endpoint) === 'os_store') this.checkOsTrust();
    return openTransport({
      endpoint,
      clock: this.ctx.clock,
      ...(this.tlsSession !== undefined ? { session: this.tlsSession } : {}),
      onSession: (session) => {
        this.tlsSession = session;
      },
      onSocket: (socket) => this.track(socket),
    });
  }

  /**
   * The session is Active: tcp_mux when the relay announces it, else the warm pool; nothing
   * without tcp_stream (direct mode dials targets, not the relay).
   */
  start(features: readonly string[]): void {
    if (!features.includes(TCP_STREAM_FEATURE)) return;
    if (!features.includes(TCP_MUX_FEATURE) || this.options.mux === false) {
      // Streams already on mux connections finish there (docs/protocol.md); new ones use the pool.
      this.mux?.stop();
      this.mux = null;
      this.startPool();
      return;
    }
    this.pool?.stop();
    this.mux ??= new MuxClient({
      connect: () => this.openRelayConnection(),
      clock: this.ctx.clock,
      log: this.ctx.log,
    });
    this.mux.start();
  }

  /** No session: the pool and the mux client wait; established streams go on. */
  pause(): void {
    this.pool?.stop();
    this.mux?.stop();
  }

  /** Ends every established stream (disconnect, fatal error, giving up, relay switch, close). */
  endStreams(): void {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
  }

  /** Another relay: its TLS session, pool and mux connections are of no use any more. */
  forgetRelay(): void {
    this.tlsSession = undefined;
    this.pool?.stop();
    this.pool = null;
    this.mux?.destroy();
    this.mux = null;
  }

  close(): void {
    this.closed = true;
    this.pause();
    this.endStreams();
    for (const socket of this.liveSockets) socket.destroy();
    this.liveSockets.clear();
  }

  /** A local connection accepted on `route`'s listener (paused until its stream exists). */
  handle(route: TunnelRoute, local: net.Socket): void {
    // Until a forwarder owns it, a local error must not become an unhandled 'error'.
    const early = (): void => undefined;
    local.on('error', early);
    const fail = (err: EngineError): void => {
      route.counters.streamFailedToStart();
      this.logStreamFailure(route, err);
      resetSocket(local);
      this.ctx.countersChanged();
    };
    /** A forwarder may take `local`; else `drop` lets go of the other end and local goes too. */
    const adopt = (drop: () => void): boolean => {
      local.removeListener('error', early);
      if (!local.destroyed && !this.closed) return true;
      drop();
      local.destroy();
      return false;
    };
    const onDone = (err: EngineError | null, handle: ForwardHandle): void => {
      this.streams.delete(handle);
      // Error and count are both set before the log record goes out.
      route.streamEnded(err);
      if (err !== null) this.logStreamFailure(route, err);
    };
    if (route.dataMode === 'direct') {
      this.dialDirect(route.config).then(
        (remote) => this.startForward(route, local, remote, null, adopt, onDone),
        (err: unknown) => fail(toEngineError(err, 'target_unreachable')),
      );
      return;
    }
    const token = route.streamToken;
    if (token === null) {
      fail(new EngineError('stream_failed', 'tunnel has no stream token yet'));
      return;
    }
    const serverKey = route.serverKey;
    if (typeof serverKey === 'string') {
      // A keyed published server: TLS inside the stream, pinned to its key (keyed-streams.ts).
      openKeyedStream({
        route,
        publicKey: serverKey,
        streamToken: token,
        clock: this.ctx.clock,
        mux: this.mux,
        dataConnection: () => (this.pool !== null ? this.pool.take() : this.openRelayConnection()),
      }).then(
        (inner) => this.startForward(route, local, inner, null, adopt, onDone),
        (err: unknown) => fail(toEngineError(err, 'stream_failed')),
      );
      return;
    }
    const mux = this.mux;
    if (mux !== null) {
      // docs/protocol.md "Multiplexed data streams": OPEN carries the stream_open fields.
      const payload = Buffer.from(
        JSON.stringify({ tunnel_id: route.config.id, stream_token: token }),
      );
      mux.openStream(payload).then(
        (stream) => this.startMux(route, local, stream, mux, adopt, onDone),
        (err: unknown) => fail(toEngineError(err, 'stream_failed')),
      );
      return;
    }
    const openLine = encodeMessage({
      type: 'stream_open',
      tunnel_id: route.config.id,
      stream_token: token,
    });
    const remote = this.pool !== null ? this.pool.take() : this.openRelayConnection();
    remote.then(
      (socket) => this.startForward(route, local, socket, openLine, adopt, onDone),
      (err: unknown) => fail(toEngineError(err, 'stream_failed')),
    );
  }

  private startForward(
    route: TunnelRoute,
    local: net.Socket,
    remote: net.Socket,
    openLine: Buffer | null,
    adopt: (drop: () => void) => boolean,
    onDone: (err: EngineError | null, handle: ForwardHandle) => void,
  ): void {
    if (!adopt(() => remote.destroy())) return;
    const handle = forwardStream({
      local,
      remote,
      counters: route.counters,
      openLine,
      onProgress: this.progress,
      onDone: (err) => onDone(err, handle),
    });
    this.streams.add(handle);
  }

  private startMux(
    route: TunnelRoute,
    local: net.Socket,
    stream: MuxStream,
    mux: MuxClient,
    adopt: (drop: () => void) => boolean,
    onDone: (err: EngineError | null, handle: ForwardHandle) => void,
  ): void {
    if (!adopt(() => stream.reset())) return;
    const handle = forwardMuxStream({
      local,
      stream,
      counters: route.counters,
      onProgress: this.progress,
      onDone: (err) => {
        onDone(err, handle);
        mux.streamEnded();
      },
    });
    this.streams.add(handle);
  }

  /** `direct` data mode (docs/protocol.md): the client dials the target itself. */
  private dialDirect(config: TunnelConfig): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({
        host: config.remoteHost,
        port: config.remotePort,
        allowHalfOpen: true,
      });
      this.track(socket);
      const { clock } = this.ctx;
      const timer = clock.setTimeout(
        () => socket.destroy(new Error('connect timeout')),
        CONNECT_TIMEOUT_MS,
      );
      socket.once('connect', () => {
        clock.clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clock.clearTimeout(timer);
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

  /** Says once that the OS store could not be read, so only Node's own roots are trusted. */
  private checkOsTrust(): void {
    this.osTrustChecked = true;
    const { store } = osTrust();
    if (store.systemError !== null)
      this.ctx.log('warn', 'os_trust_store_unreadable', null, {
        reason: store.systemError,
        roots: store.certs.length,
      });
  }

  private track(socket: net.Socket): void {
    this.liveSockets.add(socket);
    socket.once('close', () => this.liveSockets.delete(socket));
  }

  private startPool(): void {
    const size = this.options.poolSize ?? DEFAULT_POOL_SIZE;
    this.pool ??= new DataPool({
      connect: () => this.openRelayConnection(),
      size,
      clock: this.ctx.clock,
      log: this.ctx.log,
    });
    if (size > 0) this.pool.start();
  }

  private logStreamFailure(route: TunnelRoute, err: EngineError): void {
    this.ctx.countError(err.code);
    this.ctx.log('warn', 'stream_failed', route.config.id, {
      code: err.code,
      reason: err.message,
      detail: err.detail,
    });
  }
}
