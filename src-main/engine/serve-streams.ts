// The publishing computer's side of relay-initiated streams (docs/protocol.md "Serving
// connection and relay-initiated streams"): an OPEN names a port and who connects; only a
// published port is dialled, on this computer's own target for it, within the dial timeout;
// then OPEN_OK and bytes, through the inner TLS 1.3 server for a keyed server ("End to end").
// Owns the target sockets and who is connected (identity, since when, bytes); never opens a
// relay connection (publisher.ts owns those).

import net from 'node:net';
import type { MuxStream } from '../protocol/mux-connection';
import { readServerOpen, type ServerOpen } from '../protocol/server-messages';
import { CONNECT_TIMEOUT_MS, type ServedConnection } from '../shared/model';
import { TunnelCounters } from './counters';
import type { EngineContext } from './engine-context';
import { acceptInner, type ServerIdentity } from './inner-tls';
import { MuxDuplex } from './mux-duplex';
import { forwardStream, type ForwardHandle } from './stream-forwarder';
import type { PublishedPort } from './types';

/** Consumers' streams one published computer carries at once (the relay's own cap is 256). */
export const MAX_SERVED_STREAMS = 256;

export interface ServeConfig {
  readonly ports: readonly PublishedPort[];
  /** null: keyless, bytes go to the target as they come. */
  readonly identity: ServerIdentity | null;
  readonly maxStreams: number;
}

interface Served {
  readonly open: ServerOpen;
  readonly id: number;
  readonly since: number;
  readonly counters: TunnelCounters;
  forward: ForwardHandle | null;
  target: net.Socket | null;
}

export class ServedStreams {
  private readonly live = new Map<MuxStream, Served>();
  private config: ServeConfig | null = null;
  private nextId = 1;
  /** Bytes and streams of streams that have ended. */
  private endedIn = 0;
  private endedOut = 0;
  private total = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly tunnelId: () => string | null,
    private readonly dialTimeoutMs = CONNECT_TIMEOUT_MS,
  ) {}

  setConfig(config: ServeConfig | null): void {
    this.config = config;
  }

  get count(): number {
    return this.live.size;
  }

  /** Who is connected now, oldest first. */
  connections(): ServedConnection[] {
    return [...this.live.values()].map((s) => ({
      id: s.id,
      sub: s.open.sub,
      tenantId: s.open.tenant_id,
      remote: s.open.remote,
      port: s.open.port,
      since: new Date(s.since).toISOString(),
      // counters count local -> remote as "out": here local is the consumer's side.
      bytesIn: s.counters.bytesOut,
      bytesOut: s.counters.bytesIn,
    }));
  }

  totals(): { bytesIn: number; bytesOut: number; totalConnections: number } {
    let bytesIn = this.endedIn;
    let bytesOut = this.endedOut;
    for (const s of this.live.values()) {
      bytesIn += s.counters.bytesOut;
      bytesOut += s.counters.bytesIn;
    }
    return { bytesIn, bytesOut, totalConnections: this.total };
  }

  /** The relay opened `stream` on a serving connection; answered OPEN_OK or OPEN_ERR here. */
  handle(stream: MuxStream, payload: Buffer): void {
    const config = this.config;
    const open = readServerOpen(payload);
    if (config === null || open === null) {
      this.refuse(stream, open, 'not_serving', 'this computer is not serving a published server');
      return;
    }
    const target = config.ports.find((p) => p.port === open.port);
    if (target === undefined) {
      this.refuse(stream, open, 'port_not_published', `port ${open.port} is not published here`);
      return;
    }
    if (this.live.size >= config.maxStreams) {
      this.refuse(
        stream,
        open,
        'served_streams',
        `this computer carries at most ${config.maxStreams} streams`,
        'connection_limit_reached',
      );
      return;
    }
    const served: Served = {
      open,
      id: this.nextId++,
      since: this.ctx.clock.now(),
      counters: new TunnelCounters(),
      forward: null,
      target: null,
    };
    this.live.set(stream, served);
    this.total += 1;
    stream.onEnd = () => this.ended(stream, served);
    this.dial(
      stream,
      served,
      target.targetHost ?? '127.0.0.1',
      target.targetPort ?? target.port,
      config.identity,
    );
  }

  /** Ends every stream (stop sharing, close). */
  closeAll(): void {
    for (const [stream, served] of [...this.live]) {
      served.forward?.destroy();
      served.target?.destroy();
      stream.reset();
    }
  }

  private dial(
    stream: MuxStream,
    served: Served,
    host: string,
    port: number,
    identity: ServerIdentity | null,
  ): void {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    served.target = socket;
    const { clock } = this.ctx;
    const timer = clock.setTimeout(
      () => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
      this.dialTimeoutMs,
    );
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clock.clearTimeout(timer);
      if (!socket.connecting && !(error.code === 'ETIMEDOUT')) return;
      this.refuse(
        stream,
        served.open,
        error.code ?? 'connect_error',
        `cannot reach ${host}:${port}`,
      );
    });
    socket.once('connect', () => {
      clock.clearTimeout(timer);
      socket.removeAllListeners('error');
      if (stream.isEnded) {
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      this.ctx.log('info', 'server_stream_opened', this.tunnelId(), {
        sub: served.open.sub,
        tenant_id: served.open.tenant_id,
        remote: served.open.remote,
        port: served.open.port,
        end_to_end: identity !== null,
      });
      this.ctx.stateChanged();
      if (identity === null) this.carryPlain(stream, served, socket);
      else this.carryInner(stream, served, socket, identity);
    });
  }

  /** Keyless: the consumer's bytes to the target as they come (docs/protocol.md "End to end"). */
  private carryPlain(stream: MuxStream, served: Served, socket: net.Socket): void {
    const counters = served.counters;
    counters.streamOpened();
    stream.onBytes = (direction, bytes) => {
      // to_peer: the target's bytes towards the consumer.
      if (direction === 'to_peer') counters.bytesIn += bytes;
      else counters.bytesOut += bytes;
      this.ctx.countersChanged();
    };
    stream.attach(socket);
    stream.accept();
  }

  /** Keyed: OPEN_OK, then the inner TLS 1.3 server on the stream, then bytes. */
  private carryInner(
    stream: MuxStream,
    served: Served,
    socket: net.Socket,
    identity: ServerIdentity,
  ): void {
    stream.accept();
    const duplex = new MuxDuplex(stream);
    duplex.on('error', () => undefined);
    // Until the forwarder owns it, the target's end ends the stream.
    socket.on('error', () => undefined);
    const early = (): void => {
      duplex.destroy();
    };
    socket.once('close', early);
    acceptInner(duplex, identity, this.ctx.clock).then(
      (inner) => {
        socket.off('close', early);
        if (stream.isEnded || socket.destroyed) {
          inner.destroy();
          socket.destroy();
          return;
        }
        served.forward = forwardStream({
          local: inner,
          remote: socket,
          counters: served.counters,
          openLine: null,
          onProgress: this.ctx.countersChanged,
          onDone: () => {
            served.forward = null;
          },
        });
      },
      (error: unknown) => {
        this.ctx.log('warn', 'server_stream_refused', this.tunnelId(), {
          port: served.open.port,
          sub: served.open.sub,
          reason: 'inner_handshake_failed',
          detail: error instanceof Error ? error.message : String(error),
        });
        socket.destroy();
      },
    );
  }

  private refuse(
    stream: MuxStream,
    open: ServerOpen | null,
    reason: string,
    message: string,
    code = 'data_transfer_failed',
  ): void {
    // cloudbridge_errors_total{code}: what the served streams' bound and checks refused.
    this.ctx.countError(code === 'connection_limit_reached' ? code : 'data_transfer_failed');
    this.ctx.log('warn', 'server_stream_refused', this.tunnelId(), {
      port: open?.port ?? null,
      sub: open?.sub ?? null,
      reason,
    });
    stream.refuse({ type: 'error', code, message, error: message, details: { reason } });
  }

  private ended(stream: MuxStream, served: Served): void {
    if (this.live.get(stream) !== served) return;
    this.live.delete(stream);
    this.endedIn += served.counters.bytesOut;
    this.endedOut += served.counters.bytesIn;
    // A stream reset before its target connected leaves the dial to close here.
    if (served.forward === null) served.target?.destroy();
    this.ctx.stateChanged();
  }
}
