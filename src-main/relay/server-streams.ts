// Streams to a published server (docs/protocol.md "Reaching a published server"): the checks
// made per stream (the registration the tunnel was bound to, the identity, the port, a serving
// connection, the server's stream and OPEN caps), the relay's OPEN on the serving connection,
// and carrying the consumer's stream on it: a mux stream spliced frame to frame
// (mux-splice.ts), a classic data connection as the stream's socket. Owns no policy beyond
// these checks; slots, counters and log records are data-stream.ts's.

import type { Socket } from 'node:net';
import type { MuxStream } from '../protocol/mux-connection';
import { spliceStreams } from '../protocol/mux-splice';
import { encodeServerOpen } from '../protocol/server-messages';
import {
  closeWithError,
  errorMessage,
  sendLine,
  type RelayContext,
  type WireError,
} from './context';
import { startDeadline } from './deadline';
import type { PublishedServer, ServingLink } from './published-servers';
import type { Registration } from './registry';
import { LIMIT_LABELS } from './relay-limits';
import type { CarriedStream } from './stream-table';

export type ServerOpening =
  | {
      readonly ok: true;
      readonly server: PublishedServer;
      /** Our OPEN towards the publisher, waiting for its answer. */
      readonly stream: MuxStream;
      readonly label: string;
      /** The answer came (or never will): the OPEN no longer counts as in flight. */
      answered(): void;
      /** The stream is over: it no longer counts against the server. */
      release(): void;
    }
  | { readonly ok: false; readonly error: WireError; readonly result: string };

function refusal(code: string, reason: string, message: string, result: string): ServerOpening {
  return { ok: false, error: { code, message, details: { reason } }, result };
}

/** The per-stream checks, then the relay's OPEN towards the publisher (docs/protocol.md). */
export function openServerStream(
  ctx: RelayContext,
  registration: Registration,
  remote: string,
): ServerOpening {
  const binding = registration.server;
  const server = binding === null ? undefined : ctx.servers.byTunnelId(binding.tunnelId);
  const name = binding?.name ?? '';
  if (server === undefined || server.name !== name || server.tenantId !== registration.tenantId)
    return refusal(
      'data_transfer_failed',
      'server_changed',
      `published server "${name}" is no longer the one this tunnel was registered for: register the tunnel again`,
      'server_changed',
    );
  if (!ctx.servers.mayReach(server, registration.subject))
    return refusal(
      'ip_not_allowed',
      'server_not_allowed',
      `published server "${name}" does not admit this identity`,
      'not_allowed',
    );
  if (!server.ports.includes(registration.remotePort))
    return refusal(
      'ip_not_allowed',
      'port_not_published',
      `published server "${name}" does not publish port ${registration.remotePort}`,
      'not_allowed',
    );
  const link: ServingLink | undefined = ctx.servers.newestLink(server);
  if (link === undefined || !ctx.servers.isOnline(server))
    return refusal(
      'data_transfer_failed',
      'server_offline',
      `published server "${name}" is not connected to the relay`,
      'server_offline',
    );
  const limits = ctx.limits;
  const cap =
    server.streams >= limits.maxStreamsPerServer
      ? { reason: LIMIT_LABELS.maxStreamsPerServer, limit: limits.maxStreamsPerServer }
      : server.opening >= limits.maxServerOpensInFlight
        ? { reason: LIMIT_LABELS.maxServerOpensInFlight, limit: limits.maxServerOpensInFlight }
        : null;
  const stream =
    cap === null
      ? link.open(
          encodeServerOpen({
            tunnel_id: server.tunnelId,
            port: registration.remotePort,
            sub: registration.subject,
            tenant_id: registration.tenantId,
            remote,
          }),
        )
      : null;
  if (stream === null) {
    const hit = cap ?? {
      reason: LIMIT_LABELS.maxStreamsPerServer,
      limit: limits.maxStreamsPerServer,
    };
    ctx.hit(hit.reason);
    return {
      ok: false,
      error: {
        code: 'connection_limit_reached',
        message: `published server "${name}" takes no more streams now`,
        details: { reason: hit.reason, limit: hit.limit, scope: 'server' },
      },
      result: 'limit',
    };
  }
  server.streams += 1;
  server.opening += 1;
  let answered = false;
  let released = false;
  return {
    ok: true,
    server,
    stream,
    label: `server ${name}:${registration.remotePort}`,
    answered: () => {
      if (answered) return;
      answered = true;
      server.opening -= 1;
    },
    release: () => {
      if (released) return;
      released = true;
      server.streams -= 1;
      link.released();
    },
  };
}

/** The consumer's error for the publisher's OPEN_ERR: the relay's own JSON, its reason kept. */
export function publisherRefusal(server: PublishedServer, payload: Buffer | null): WireError {
  let reason = 'refused_by_server';
  try {
    const value: unknown = payload === null ? null : JSON.parse(payload.toString('utf8'));
    const details = (value as { details?: { reason?: unknown } } | null)?.details;
    if (typeof details?.reason === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(details.reason))
      reason = details.reason;
  } catch {
    // Not JSON: the generic reason.
  }
  return {
    code: 'data_transfer_failed',
    message: `published server "${server.name}" could not open the stream (${reason})`,
    details: { reason },
  };
}

const OFFLINE: (server: PublishedServer) => WireError = (server) => ({
  code: 'data_transfer_failed',
  message: `published server "${server.name}" went away before it answered`,
  details: { reason: 'server_offline' },
});

const TIMEOUT: (server: PublishedServer, ms: number) => WireError = (server, ms) => ({
  code: 'data_transfer_failed',
  message: `published server "${server.name}" did not answer within ${ms} ms`,
  details: { reason: 'server_timeout' },
});

/** How a carried stream to a server reports to data-stream.ts. */
export interface ServerCarry {
  /** The publisher answered OPEN_OK: the stream is carried (counters, reapers, log). */
  opened(carried: CarriedStream): {
    onBytes(direction: 'to_target' | 'to_client', bytes: number): void;
    onClosed(end: { reset: boolean; error: string | null }): void;
    holdBack(): boolean;
  };
  /** It was refused (publisher, timeout, a server gone); the consumer is told here. */
  refused(error: WireError, result: string): void;
  /** It ended without ever being carried (refused, or the consumer went first). */
  abandoned(): void;
}

type Opened = Extract<ServerOpening, { ok: true }>;

/** A consumer's mux stream, spliced to the relay's stream towards the publisher. */
export function carryMuxToServer(
  ctx: RelayContext,
  inbound: MuxStream,
  opening: Opened,
  carry: ServerCarry,
): void {
  const { server, stream: outbound } = opening;
  let hooks: ReturnType<ServerCarry['opened']> | null = null;
  let early = { in: 0, out: 0 };
  let told = false;
  const refuse = (error: WireError, result: string): void => {
    opening.answered();
    if (told || inbound.isEnded) return;
    told = true;
    carry.refused(error, result);
    inbound.refuse(errorMessage(error));
  };
  const timer = startDeadline(ctx.clock, ctx.limits.dialTimeoutMs, () => {
    refuse(TIMEOUT(server, ctx.limits.dialTimeoutMs), 'server_timeout');
    outbound.reset();
  });
  spliceStreams(inbound, outbound, {
    onAnswer(refused) {
      timer.cancel();
      if (refused !== null) {
        refuse(publisherRefusal(server, refused), 'refused_by_server');
        return;
      }
      opening.answered();
      inbound.accept();
      hooks = carry.opened({
        isHalfClosed: () => inbound.finSent || inbound.finReceived,
        close: () => inbound.reset(),
        // What waits in a backed-up connection's socket for a peer that does not read: at
        // most the credit in flight on that side (docs/protocol.md#limits).
        heldBytes: () =>
          (outbound.connectionQueuedBytes > 0 ? outbound.windowSize - outbound.sendCreditLeft : 0) +
          (inbound.connectionQueuedBytes > 0 ? inbound.windowSize - inbound.sendCreditLeft : 0),
        resumeHeld: () => {
          inbound.resumeCredit();
          outbound.resumeCredit();
        },
      });
      const held = hooks;
      inbound.holdCredit = () => held.holdBack();
      outbound.holdCredit = () => held.holdBack();
      held.onBytes('to_target', early.in);
      held.onBytes('to_client', early.out);
      early = { in: 0, out: 0 };
    },
    onUnanswered() {
      timer.cancel();
      refuse(OFFLINE(server), 'server_offline');
    },
    onBytes(direction, bytes) {
      const toTarget = direction === 'inbound_to_outbound';
      if (hooks !== null) hooks.onBytes(toTarget ? 'to_target' : 'to_client', bytes);
      else if (toTarget) early.in += bytes;
      else early.out += bytes;
    },
    onEnd(end) {
      timer.cancel();
      opening.answered();
      opening.release();
      if (hooks === null) carry.abandoned();
      else hooks.onClosed(end);
    },
  });
}

/** A classic data connection carried as the relay's stream towards the publisher. */
export function carryClassicToServer(
  ctx: RelayContext,
  client: Socket,
  rest: Buffer,
  opening: Opened,
  carry: ServerCarry,
): void {
  const { server, stream } = opening;
  let hooks: ReturnType<ServerCarry['opened']> | null = null;
  let told = false;
  const refuse = (error: WireError, result: string): void => {
    opening.answered();
    if (told || client.destroyed) return;
    told = true;
    carry.refused(error, result);
    closeWithError(ctx, client, error);
  };
  const timer = startDeadline(ctx.clock, ctx.limits.dialTimeoutMs, () => {
    refuse(TIMEOUT(server, ctx.limits.dialTimeoutMs), 'server_timeout');
    stream.reset();
  });
  // The consumer went before the publisher answered: the OPEN is withdrawn.
  const onClientClose = (): void => stream.reset();
  client.once('close', onClientClose);
  stream.onOpenResult = (refused) => {
    timer.cancel();
    client.off('close', onClientClose);
    if (refused !== null) {
      refuse(publisherRefusal(server, refused), 'refused_by_server');
      return;
    }
    opening.answered();
    if (client.destroyed) {
      stream.reset();
      return;
    }
    hooks = carry.opened({
      isHalfClosed: () => stream.finSent || stream.finReceived,
      close: () => stream.reset(),
      // The consumer's own socket is watched by the caller (ServerCarry).
      heldBytes: () =>
        stream.connectionQueuedBytes > 0 ? stream.windowSize - stream.sendCreditLeft : 0,
      resumeHeld: () => stream.resumeCredit(),
    });
    const held = hooks;
    stream.holdCredit = () => held.holdBack();
    stream.onBytes = (direction, bytes) =>
      held.onBytes(direction === 'to_peer' ? 'to_target' : 'to_client', bytes);
    sendLine(client, { type: 'stream_response', status: 'ok' });
    // The bytes the client pipelined after stream_open go first; attach() starts reading.
    stream.attach(client, rest);
  };
  stream.onEnd = (end) => {
    timer.cancel();
    client.off('close', onClientClose);
    opening.answered();
    opening.release();
    if (hooks === null) {
      refuse(OFFLINE(server), 'server_offline');
      carry.abandoned();
    } else hooks.onClosed(end);
  };
}
