// One data stream (docs/protocol.md#data-streams-feature-tcp_stream), on its own data connection or
// as a tcp_mux stream: checks the stream_open fields (constant-time token compare), the client's
// and the tenant's stream limits and the allow-list, resolves the target once (bounded per client,
// lookup.ts), dials that exact address with a timeout, or opens a stream towards a published server
// (server-streams.ts), and keeps the stream's slot (stream-table.ts), metrics and log records.
// handleDataConnection() is the classic one-connection form (the bytes a client pipelined after
// stream_open go first). Streams live on when the control session that registered the tunnel drops,
// and end when its registration expires.

import type { Socket } from 'node:net';
import type { JsonObject } from '../protocol/codec';
import { MessageError, parseClientMessage } from '../protocol/messages';
import { resetSocket } from '../protocol/socket-reset';
import { closeWithError, sendLine, type RelayContext, type WireError } from './context';
import { linkSockets, type Link, type LinkHooks } from './pipe';
import {
  carryClassicToServer,
  openServerStream,
  type ServerCarry,
  type ServerOpening,
} from './server-streams';
import { SendWatch } from './stream-budget';
import type { CarriedStream, StreamSlot } from './stream-table';
import { clientKeyOf, dialTarget, resolveTarget } from './target';

/** The outcome of the per-stream checks and the dial, shared by both stream forms. */
export type Admission =
  | ({
      readonly ok: true;
      readonly tunnelId: string;
      /** `address:port` actually dialled, or `server NAME:PORT`. */
      readonly targetLabel: string;
      /** The stream's slot; the hooks of streamOpened() release it. */
      readonly slot: StreamSlot;
      /** Frees the slot (same as slot.release()). */
      readonly release: () => void;
    } & (
      | { readonly kind: 'dial'; readonly target: Socket }
      | {
          readonly kind: 'server';
          /** The relay's OPEN towards the published server, waiting for its answer. */
          readonly opening: Extract<ServerOpening, { ok: true }>;
        }
    ))
  | {
      readonly ok: false;
      readonly tunnelId: string | null;
      /** null: the client went away first, there is no one to tell. */
      readonly error: WireError | null;
      readonly result: string;
    };

/**
 * The checks of docs/protocol.md#data-streams-feature-tcp_stream and the dial, in that order. Holds
 * a stream slot from the limit check on; on failure the slot is already released. `signal` aborts a
 * dial in progress.
 */
export async function admitStream(
  ctx: RelayContext,
  first: JsonObject,
  signal: AbortSignal,
  remoteAddress: string,
): Promise<Admission> {
  let open;
  try {
    open = parseClientMessage(first);
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    const field = error.field ?? 'stream_open';
    return {
      ok: false,
      tunnelId: null,
      error: {
        code: 'unknown_message_type',
        message: error.message,
        details: { reason: 'invalid_field', field },
      },
      result: 'invalid',
    };
  }
  if (open.type !== 'stream_open')
    return { ok: false, tunnelId: null, error: null, result: 'invalid' };
  const tunnelId = open.tunnel_id;
  const refused = (error: WireError | null, result: string): Admission => ({
    ok: false,
    tunnelId,
    error,
    result,
  });
  // Ids are per client: the token picks the holder. An unknown tunnel, a wrong token and a
  // registration whose token has expired get the same answer (registry.ts forStream).
  const registration = ctx.registry.forStream(open.tunnel_id, open.stream_token);
  if (registration === undefined) {
    return refused(
      {
        code: 'invalid_token',
        message: 'unknown tunnel or wrong stream token',
        details: { reason: 'bad_stream_token' },
      },
      'bad_token',
    );
  }
  const tenant = ctx.tenants.get(registration.tenantId);
  if (tenant === undefined)
    return refused({ code: 'tenant_not_found', message: 'tenant not found' }, 'refused');
  const clientKey = clientKeyOf(registration.tenantId, registration.subject);
  const reservation = ctx.streams.reserve({
    tenantId: tenant.id,
    maxPerTenant: tenant.maxConnections,
    clientKey,
    maxPerClient: tenant.maxConnectionsPerClient,
    registration,
  });
  if (!reservation.ok) {
    const { scope, limit } = reservation;
    ctx.hit(scope === 'client' ? 'streams_per_client' : 'streams_per_tenant');
    return refused(
      {
        code: 'connection_limit_reached',
        message:
          scope === 'client'
            ? `one client of tenant "${tenant.id}" may hold ${limit} streams`
            : `tenant "${tenant.id}" may hold ${limit} connections`,
        details: { limit, scope },
      },
      'limit',
    );
  }
  // The slot is held from here, so concurrent opens cannot overshoot a limit while dialling.
  const slot = reservation.slot;
  const release = (): void => slot.release();
  if (registration.server !== null) {
    const opening = openServerStream(ctx, registration, remoteAddress);
    if (!opening.ok) {
      release();
      return refused(opening.error, opening.result);
    }
    return {
      ok: true,
      kind: 'server',
      tunnelId,
      opening,
      targetLabel: opening.label,
      slot,
      release,
    };
  }

  const host = registration.remoteHost;
  const port = registration.remotePort;
  const decision = await resolveTarget(ctx.lookup, host, tenant.allow, { identity: clientKey });
  if (signal.aborted || ctx.isClosing()) {
    release();
    return refused(null, 'aborted');
  }
  if (!decision.ok) {
    release();
    if (decision.reason === 'not_allowed') {
      return refused(
        {
          code: 'ip_not_allowed',
          message: `target ${host} resolves outside the tenant's allowed networks`,
        },
        'not_allowed',
      );
    }
    return refused(
      {
        code: 'data_transfer_failed',
        message: `cannot resolve ${host}`,
        details: { reason: 'lookup_failed' },
      },
      'dial_failed',
    );
  }
  const address = decision.addresses[0];
  if (address === undefined) {
    release();
    return refused(null, 'dial_failed');
  }
  const target = await dialTarget(ctx, address.address, port, signal);
  if (!target.ok) {
    release();
    if (signal.aborted) return refused(null, 'aborted');
    return refused(
      {
        code: 'data_transfer_failed',
        message: `cannot reach the target: ${target.reason}`,
        details: { reason: target.reason },
      },
      'dial_failed',
    );
  }
  return {
    ok: true,
    kind: 'dial',
    tunnelId,
    target: target.socket,
    targetLabel: `${address.address}:${port}`,
    slot,
    release,
  };
}

/**
 * Counts and logs a refused stream (the caller tells the client in its own form). The log is
 * the rate-limited refusal log: a client can cause refusals at will.
 */
export function logRefusal(
  ctx: RelayContext,
  remoteAddress: string,
  tunnelId: string | null,
  error: WireError,
  result: string,
): void {
  ctx.metrics.streamsTotal.inc({ result });
  ctx.refusals.log(
    remoteAddress,
    'warn',
    'stream_refused',
    { remote: remoteAddress, code: error.code, message: error.message },
    tunnelId,
  );
}

/**
 * Metrics and log records of an admitted stream, from stream_opened to stream_closed, and the
 * slot's activity: `carried` lets the reapers see a half-close and end the stream.
 */
export function streamOpened(
  ctx: RelayContext,
  remoteAddress: string,
  admission: Extract<Admission, { ok: true }>,
  carried: CarriedStream,
): LinkHooks {
  const slot = admission.slot;
  slot.attach(carried);
  ctx.metrics.streamsTotal.inc({ result: 'ok' });
  ctx.metrics.streamsActive.inc();
  const openedAt = ctx.clock.now();
  let bytesToTarget = 0;
  let bytesToClient = 0;
  ctx.log.log(
    'info',
    'stream_opened',
    { remote: remoteAddress, target: admission.targetLabel },
    admission.tunnelId,
  );
  let closed = false;
  return {
    holdBack: () => ctx.budget.shouldHold(slot),
    onBytes(direction, bytes) {
      slot.bytes += bytes;
      if (direction === 'to_target') bytesToTarget += bytes;
      else bytesToClient += bytes;
      ctx.metrics.countBytes(direction, bytes);
    },
    onClosed({ reset, error }) {
      if (closed) return;
      closed = true;
      ctx.metrics.streamsActive.dec();
      admission.release();
      ctx.log.log(
        'info',
        'stream_closed',
        {
          bytes_to_target: bytesToTarget,
          bytes_to_client: bytesToClient,
          duration_ms: ctx.clock.now() - openedAt,
          reset,
          error,
        },
        admission.tunnelId,
      );
    },
  };
}

/**
 * What a stream to a published server reports here: counters, reapers and log records from
 * the publisher's OPEN_OK on, the refusal otherwise; the slot is released either way. `watch`
 * names the consumer's socket for the buffer budget, when there is one.
 */
export function serverCarry(
  ctx: RelayContext,
  remoteAddress: string,
  admission: Extract<Admission, { ok: true }>,
  watch: (toClient: boolean) => Socket | null,
): ServerCarry {
  return {
    opened(carried) {
      const socket = watch(true);
      const toClient = socket === null ? null : new SendWatch(socket, ctx.budget, ctx.clock);
      const hooks = streamOpened(ctx, remoteAddress, admission, {
        ...carried,
        heldBytes: () => carried.heldBytes() + (toClient?.held() ?? 0),
        measure: (queues) => toClient?.measure(queues),
      });
      return {
        holdBack: () => hooks.holdBack?.('to_target') ?? false,
        onBytes: (direction, bytes) => {
          if (direction === 'to_client') toClient?.wrote();
          hooks.onBytes(direction, bytes);
        },
        onClosed: (end) => hooks.onClosed({ reset: end.reset, error: end.error }),
      };
    },
    refused(error, result) {
      logRefusal(ctx, remoteAddress, admission.tunnelId, error, result);
    },
    abandoned() {
      admission.release();
    },
  };
}

/** The classic form: one TLS data connection carries one stream. */
export async function handleDataConnection(
  ctx: RelayContext,
  client: Socket,
  first: JsonObject,
  rest: Buffer,
  remoteAddress: string,
): Promise<void> {
  // Until the target answers, the client's further bytes wait in the socket (paused).
  client.pause();
  const abort = new AbortController();
  const onClientClose = (): void => abort.abort();
  client.once('close', onClientClose);
  const admission = await admitStream(ctx, first, abort.signal, remoteAddress);
  client.off('close', onClientClose);
  if (!admission.ok) {
    if (admission.error !== null && !client.destroyed) {
      logRefusal(ctx, remoteAddress, admission.tunnelId, admission.error, admission.result);
      closeWithError(ctx, client, admission.error);
    }
    return;
  }
  if (admission.kind === 'server') {
    carryClassicToServer(
      ctx,
      client,
      rest,
      admission.opening,
      serverCarry(ctx, remoteAddress, admission, (toClient) => (toClient ? client : null)),
    );
    return;
  }
  const socket = admission.target;
  if (client.destroyed) {
    socket.destroy();
    admission.release();
    return;
  }
  let link: Link | null = null;
  const toTarget = new SendWatch(socket, ctx.budget, ctx.clock);
  const toClient = new SendWatch(client, ctx.budget, ctx.clock);
  const hooks = streamOpened(ctx, remoteAddress, admission, {
    isHalfClosed: () => socket.writableEnded || socket.readableEnded,
    close: () => {
      resetSocket(client);
      resetSocket(socket);
    },
    heldBytes: () => toTarget.held() + toClient.held(),
    resumeHeld: () => link?.resume(),
    measure: (queues) => {
      toTarget.measure(queues);
      toClient.measure(queues);
    },
  });
  sendLine(client, { type: 'stream_response', status: 'ok' });
  const watched: LinkHooks = {
    ...hooks,
    onBytes(direction, bytes) {
      (direction === 'to_target' ? toTarget : toClient).wrote();
      hooks.onBytes(direction, bytes);
    },
  };
  if (rest.length > 0) {
    watched.onBytes('to_target', rest.length);
    socket.write(rest);
  }
  link = linkSockets(client, socket, watched);
  client.resume();
}
