// The relay's front door (docs/protocol.md#limits): accepts TCP, runs the TLS handshake under a
// hard deadline and a cap per source and in total, reads the first line under an absolute
// deadline, a small line limit and the unauthenticated caps (greeting one that stays silent,
// docs/protocol.md#opener), then hands the connection to a control session, a mux connection
// or a data stream. Every connection holds exactly one slot (handshake, unauthenticated,
// established) until it closes. Reads nothing past the first line.

import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { CodecError, LineDecoder, type JsonObject } from '../protocol/codec';
import { SlotPool, sourceKeyOf, type Slot, type SlotResult } from './connection-limits';
import {
  closeWithError,
  framingError,
  sendLine,
  type RelayContext,
  type WireError,
} from './context';
import { IdleWatch, startDeadline } from './deadline';
import { TokenBucket } from './rate-limit';
import { LIMIT_LABELS, type FrontDoorLimitName } from './relay-limits';

/** What a control session is given: its source and the step from unauthenticated to established. */
export interface SessionAdmission {
  /** The source key (IPv4 address or IPv6 /64) the connection counts against. */
  readonly source: string;
  /** Authenticated: moves the connection to the established caps; an error when they are full. */
  promote(): WireError | null;
  /** The connection's read budget, partly spent on its first line. */
  readonly readBudget: TokenBucket;
}

export interface FrontDoorHandlers {
  control(
    socket: Socket,
    first: JsonObject,
    rest: Buffer,
    remote: string,
    admission: SessionAdmission,
  ): void;
  /** null when tcp_mux is off: `mux_open` then goes to a control session as an unknown type. */
  readonly mux: ((socket: Socket, first: JsonObject, rest: Buffer, remote: string) => void) | null;
  data(socket: Socket, first: JsonObject, rest: Buffer, remote: string): void;
}

export interface FrontDoor {
  readonly server: Server;
  /** Connections per phase, for stats and tests. */
  counts(): { handshake: number; unauthenticated: number; established: number };
}

type Phase = 'handshake' | 'unauthenticated' | 'established';

const LIMIT_SCOPE: Record<Phase, { perKey: FrontDoorLimitName; total: FrontDoorLimitName }> = {
  handshake: { perKey: 'maxHandshakesPerSource', total: 'maxHandshakes' },
  unauthenticated: { perKey: 'maxUnauthenticatedPerSource', total: 'maxUnauthenticated' },
  established: { perKey: 'maxConnectionsPerSource', total: 'maxConnections' },
};

/**
 * Past its read budget a connection is closed rather than paused: a paused socket keeps what
 * it has read, and in 1-byte TLS records that is hundreds of bytes of memory per byte.
 */
export const READ_BUDGET_ERROR: WireError = {
  code: 'rate_limit_exceeded',
  message: 'too many reads or messages on one connection',
  details: { reason: 'read_budget', retry_after: 1 },
};

const CONNECTION_LIMIT_ERROR: WireError = {
  code: 'connection_limit_reached',
  message: 'too many connections',
  details: { reason: 'connection_limit' },
};

export function createFrontDoor(
  ctx: RelayContext,
  secureContext: SecureContext | null,
  handlers: FrontDoorHandlers,
): FrontDoor {
  const { limits, clock } = ctx;
  const pool = (phase: Phase): SlotPool => {
    const scope = LIMIT_SCOPE[phase];
    return new SlotPool({ perKey: limits[scope.perKey], total: limits[scope.total] }, (held) =>
      ctx.metrics.connectionsActive.set({ phase }, held),
    );
  };
  const pools: Record<Phase, SlotPool> = {
    handshake: pool('handshake'),
    unauthenticated: pool('unauthenticated'),
    established: pool('established'),
  };
  for (const phase of Object.keys(pools) as Phase[])
    ctx.metrics.connectionsActive.set({ phase }, 0);

  /** Takes a slot of `phase` or counts and logs the refusal. */
  const take = (phase: Phase, source: string): Slot | null => {
    const result: SlotResult = pools[phase].take(source);
    if (result.ok) return result.slot;
    refused(phase, source, result.scope);
    return null;
  };

  const refused = (phase: Phase, source: string, which: 'per_key' | 'total'): void => {
    const scope = LIMIT_SCOPE[phase];
    const limit = LIMIT_LABELS[which === 'per_key' ? scope.perKey : scope.total];
    ctx.hit(limit);
    ctx.refusals.log(source, 'warn', 'connection_refused', { remote: source, phase, limit });
  };

  /** Refuses a TLS-established connection: the error line, a short linger, then it goes. */
  const refuse = (socket: Socket, error: WireError): void => {
    closeWithError(ctx, socket, error);
  };

  const onFirstLine = (
    socket: Socket,
    source: string,
    remote: string,
    held: { slot: Slot },
  ): void => {
    const decoder = new LineDecoder(limits.maxLineBytesBeforeAuth);
    // A first line dribbled in tiny TLS records costs the relay a read each: budgeted.
    const budget = new TokenBucket(limits.controlReadsPerSecond, limits.controlReadBurst, clock);
    const startedAt = clock.now();
    let bytes = 0;
    let greeted = false;
    /** Handed on, refused or timed out: the relay has said why, nothing more to log at close. */
    let settled = false;
    // A client that waits for the relay to speak first gets its hello; one that spoke (any
    // byte) never does (docs/protocol.md#opener).
    const greeting = startDeadline(clock, limits.greetDelayMs, () => {
      if (bytes > 0 || socket.destroyed) return;
      greeted = true;
      ctx.hit(LIMIT_LABELS.greetDelayMs);
      sendLine(socket, { type: 'hello', version: ctx.version, features: [...ctx.features] });
    });
    // Absolute: a byte now and then does not move it (docs/protocol.md#limits).
    const deadline = startDeadline(clock, limits.firstLineTimeoutMs, () => {
      settled = true;
      ctx.hit(LIMIT_LABELS.firstLineTimeoutMs);
      ctx.penalties.penalise(source, 'first_line_timeout');
      ctx.refusals.log(source, 'info', 'first_line_timeout', {
        remote,
        timeout_ms: limits.firstLineTimeoutMs,
      });
      socket.destroy();
    });
    // FIN before the first line: nothing can follow (half-open is only for data streams).
    const onEarlyEnd = (): void => {
      socket.destroy();
    };
    // Incumbent clients that waited in vain left nothing in the log (docs/protocol.md#opener).
    const onEarlyClose = (): void => {
      greeting.cancel();
      deadline.cancel();
      if (settled) return;
      ctx.refusals.log(source, 'info', 'closed_before_first_line', {
        remote,
        duration_ms: clock.now() - startedAt,
        greeted,
        bytes,
      });
    };
    const detach = (): void => {
      settled = true;
      deadline.cancel();
      greeting.cancel();
      socket.off('data', onData);
      socket.off('end', onEarlyEnd);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      greeting.cancel();
      if (budget.spend(1) > 0) {
        detach();
        ctx.hit(LIMIT_LABELS.controlReadsPerSecond);
        ctx.penalties.penalise(source, 'read_budget');
        ctx.refusals.log(source, 'warn', 'read_budget_exceeded', { remote, phase: 'first_line' });
        closeWithError(ctx, socket, READ_BUDGET_ERROR);
        return;
      }
      let first: JsonObject | undefined;
      try {
        first = decoder.push(chunk, 1)[0];
      } catch (error) {
        detach();
        if (!(error instanceof CodecError)) {
          internalError(socket, error);
          return;
        }
        if (error.reason === 'line_too_long') {
          ctx.hit(LIMIT_LABELS.maxLineBytesBeforeAuth);
          ctx.penalties.penalise(source, 'line_too_long');
        }
        ctx.refusals.log(source, 'warn', 'framing_error', {
          remote,
          code: 'unknown_message_type',
          reason: error.reason,
        });
        closeWithError(ctx, socket, framingError(error));
        return;
      }
      if (first === undefined) return;
      detach();
      socket.pause();
      try {
        dispatch(socket, first, decoder.takeRest(), source, remote, held, budget);
      } catch (error) {
        internalError(socket, error);
      }
    };
    socket.on('data', onData);
    socket.once('end', onEarlyEnd);
    socket.once('close', onEarlyClose);
  };

  const dispatch = (
    socket: Socket,
    first: JsonObject,
    rest: Buffer,
    source: string,
    remote: string,
    held: { slot: Slot },
    readBudget: TokenBucket,
  ): void => {
    const type = first['type'];
    if (type === 'mux_open' && handlers.mux !== null) {
      if (!establish(socket, source, held)) return;
      handlers.mux(socket, first, rest, remote);
      watchMuxIdle(socket, source, remote);
    } else if (type === 'stream_open') {
      if (!establish(socket, source, held)) return;
      handlers.data(socket, first, rest, remote);
    } else {
      const admission: SessionAdmission = {
        source,
        readBudget,
        promote: () => (establish(null, source, held) ? null : CONNECTION_LIMIT_ERROR),
      };
      handlers.control(socket, first, rest, remote, admission);
    }
  };

  /** A bug in a handler costs its connection, never the relay. */
  const internalError = (socket: Socket, error: unknown): void => {
    ctx.log.log('error', 'connection_internal_error', { error });
    socket.destroy();
  };

  /** Moves a connection to the established caps; refuses it (when given) if they are full. */
  const establish = (socket: Socket | null, source: string, held: { slot: Slot }): boolean => {
    const slot = take('established', source);
    if (slot === null) {
      if (socket !== null) refuse(socket, CONNECTION_LIMIT_ERROR);
      return false;
    }
    held.slot.release();
    held.slot = slot;
    return true;
  };

  const watchMuxIdle = (socket: Socket, source: string, remote: string): void => {
    const watch = new IdleWatch(clock, limits.muxIdleTimeoutMs, () => {
      ctx.hit(LIMIT_LABELS.muxIdleTimeoutMs);
      ctx.refusals.log(source, 'info', 'mux_idle_timeout', {
        remote,
        timeout_ms: limits.muxIdleTimeoutMs,
      });
      socket.destroy();
    });
    // Any byte from the client counts: its PINGs (every 30 s) keep an idle connection alive.
    socket.on('data', () => watch.touch());
    socket.once('close', () => watch.cancel());
  };

  /** A TLS-established (or plaintext) connection from `source`. */
  const onSecure = (socket: Socket, source: string): void => {
    const slot = take('unauthenticated', source);
    if (slot === null) {
      refuse(socket, CONNECTION_LIMIT_ERROR);
      return;
    }
    const held = { slot };
    socket.once('close', () => held.slot.release());
    const remote = socket.remoteAddress ?? 'unknown';
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      ctx.log.log('debug', 'socket_error', { remote, code: error.code }),
    );
    onFirstLine(socket, source, remote, held);
  };

  const onTcp = (raw: Socket): void => {
    ctx.track(raw);
    // Any error ends the connection: nothing of it is worth keeping.
    raw.on('error', () => raw.destroy());
    const source = sourceKeyOf(raw.remoteAddress);
    if (ctx.isClosing()) {
      raw.destroy();
      return;
    }
    if (secureContext === null) {
      onSecure(raw, source);
      return;
    }
    // A source penalised for abuse is refused before any TLS work (OpenSSH PerSourcePenalties).
    if (ctx.penalties.isPenalised(source)) {
      ctx.hit('source_penalised');
      ctx.refusals.log(source, 'info', 'connection_refused', { remote: source, limit: 'penalty' });
      raw.destroy();
      return;
    }
    // Refused before any TLS work when the source could not go on past the handshake anyway
    // (OpenSSH MaxStartups drops at accept too).
    const full = pools.unauthenticated.check(source);
    if (full !== null) {
      refused('unauthenticated', source, full.scope);
      raw.destroy();
      return;
    }
    const slot = take('handshake', source);
    if (slot === null) {
      raw.destroy();
      return;
    }
    raw.once('close', () => slot.release());
    const tls = new TLSSocket(raw, { isServer: true, secureContext });
    ctx.track(tls);
    let secure = false;
    const drop = (): void => {
      tls.destroy();
      raw.destroy();
    };
    const deadline = startDeadline(clock, limits.handshakeTimeoutMs, () => {
      ctx.hit(LIMIT_LABELS.handshakeTimeoutMs);
      ctx.penalties.penalise(source, 'deadline');
      ctx.refusals.log(source, 'info', 'handshake_timeout', {
        remote: raw.remoteAddress,
        timeout_ms: limits.handshakeTimeoutMs,
      });
      drop();
    });
    tls.once('close', () => deadline.cancel());
    // Peer EOF or an error before the handshake is done: the connection is over (a half-open
    // raw socket would otherwise sit in CLOSE-WAIT until the process ends).
    tls.once('end', () => {
      if (!secure) drop();
    });
    tls.on('error', (error: NodeJS.ErrnoException) => {
      if (secure) return;
      ctx.refusals.log(source, 'warn', 'tls_handshake_failed', {
        remote: raw.remoteAddress,
        code: error.code,
        message: error.message,
      });
      drop();
    });
    tls.once('secure', () => {
      secure = true;
      deadline.cancel();
      slot.release();
      onSecure(tls, source);
    });
  };

  const server = createTcpServer({ allowHalfOpen: true, pauseOnConnect: false }, onTcp);
  return {
    server,
    counts: () => ({
      handshake: pools.handshake.size,
      unauthenticated: pools.unauthenticated.size,
      established: pools.established.size,
    }),
  };
}
