// One data stream (PROTOCOL.md §3), on its own data connection or as a tcp_mux stream: checks
// the stream_open fields (constant-time token compare), the tenant's connection limit and
// allow-list, resolves the target once, dials that exact address with a timeout, and keeps the
// stream's metrics and log records. handleDataConnection() is the classic one-connection form
// (the bytes a client pipelined after stream_open go first). Streams live on when the control
// session that registered the tunnel drops.

import { connect, type Socket } from 'node:net';
import type { JsonObject } from '../protocol/codec';
import { MessageError, parseClientMessage } from '../protocol/messages';
import { closeWithError, sendLine, type RelayContext, type WireError } from './context';
import { linkSockets, type LinkHooks } from './pipe';
import { tokensEqual } from './registry';
import { resolveTarget } from './target';

/** The outcome of the per-stream checks and the dial, shared by both stream forms. */
export type Admission =
  | {
      readonly ok: true;
      readonly tunnelId: string;
      readonly target: Socket;
      /** `address:port` actually dialled. */
      readonly targetLabel: string;
      /** Frees the tenant's connection slot; called by the hooks of streamOpened(). */
      readonly release: () => void;
    }
  | {
      readonly ok: false;
      readonly tunnelId: string | null;
      /** null: the client went away first, there is no one to tell. */
      readonly error: WireError | null;
      readonly result: string;
    };

/**
 * The checks of PROTOCOL.md §3 and the dial, in that order. Holds a tenant slot from the limit
 * check on; on failure the slot is already released. `signal` aborts a dial in progress.
 */
export async function admitStream(
  ctx: RelayContext,
  first: JsonObject,
  signal: AbortSignal,
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
  const registration = ctx.registry.get(open.tunnel_id);
  // Same answer for an unknown tunnel and a wrong token: the relay does not say which ids exist.
  if (registration === undefined || !tokensEqual(registration.streamToken, open.stream_token)) {
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
  const openStreams = ctx.streamsByTenant.get(tenant.id) ?? 0;
  if (openStreams >= tenant.maxConnections) {
    return refused(
      {
        code: 'connection_limit_reached',
        message: `tenant "${tenant.id}" may hold ${tenant.maxConnections} connections`,
        details: { limit: tenant.maxConnections },
      },
      'limit',
    );
  }
  // Hold the slot from here, so concurrent opens cannot overshoot the limit while dialling.
  ctx.streamsByTenant.set(tenant.id, openStreams + 1);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    const count = (ctx.streamsByTenant.get(tenant.id) ?? 1) - 1;
    if (count <= 0) ctx.streamsByTenant.delete(tenant.id);
    else ctx.streamsByTenant.set(tenant.id, count);
  };

  const host = registration.remoteHost;
  const port = registration.remotePort;
  const decision = await resolveTarget(ctx.lookup, host, tenant.allow);
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
  const target = await dial(ctx, address.address, port, signal);
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
    tunnelId,
    target: target.socket,
    targetLabel: `${address.address}:${port}`,
    release,
  };
}

/** Counts and logs a refused stream (the caller tells the client in its own form). */
export function logRefusal(
  ctx: RelayContext,
  remoteAddress: string,
  tunnelId: string | null,
  error: WireError,
  result: string,
): void {
  ctx.metrics.streamsTotal.inc({ result });
  ctx.log.log(
    'warn',
    'stream_refused',
    { remote: remoteAddress, code: error.code, message: error.message },
    tunnelId,
  );
}

/** Metrics and log records of an admitted stream, from stream_opened to stream_closed. */
export function streamOpened(
  ctx: RelayContext,
  remoteAddress: string,
  admission: Extract<Admission, { ok: true }>,
): LinkHooks {
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
    onBytes(direction, bytes) {
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
  const admission = await admitStream(ctx, first, abort.signal);
  client.off('close', onClientClose);
  if (!admission.ok) {
    if (admission.error !== null && !client.destroyed) {
      logRefusal(ctx, remoteAddress, admission.tunnelId, admission.error, admission.result);
      closeWithError(ctx, client, admission.error);
    }
    return;
  }
  const socket = admission.target;
  if (client.destroyed) {
    socket.destroy();
    admission.release();
    return;
  }
  const hooks = streamOpened(ctx, remoteAddress, admission);
  sendLine(client, { type: 'stream_response', status: 'ok' });
  if (rest.length > 0) {
    hooks.onBytes('to_target', rest.length);
    socket.write(rest);
  }
  linkSockets(client, socket, hooks);
  client.resume();
}

type DialResult = { ok: true; socket: Socket } | { ok: false; reason: string };

/** Connects to exactly `address` (no second lookup), with the relay's dial timeout. */
function dial(
  ctx: RelayContext,
  address: string,
  port: number,
  signal: AbortSignal,
): Promise<DialResult> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ ok: false, reason: 'client_closed' });
      return;
    }
    const socket = connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    ctx.track(socket);
    // Errors after the dial belong to the stream; this keeps one from going unhandled in between.
    socket.on('error', () => undefined);
    let settled = false;
    const finish = (result: DialResult): void => {
      if (settled) return;
      settled = true;
      ctx.clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      resolve(result);
    };
    const onConnect = (): void => {
      socket.setNoDelay(true);
      finish({ ok: true, socket });
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      finish({ ok: false, reason: error.code ?? 'connect_error' });
    };
    const onAbort = (): void => {
      socket.destroy();
      finish({ ok: false, reason: 'client_closed' });
    };
    const timer = ctx.clock.setTimeout(() => {
      socket.destroy();
      finish({ ok: false, reason: 'connect_timeout' });
    }, ctx.limits.dialTimeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
