// One data connection (PROTOCOL.md §3): checks the stream_open line (constant-time token
// compare), the tenant's connection limit and allow-list, resolves the target once, dials
// that exact address with a timeout, answers stream_response, then carries raw bytes (the
// bytes a client pipelined after stream_open go first). Streams live on when the control
// session that registered the tunnel drops.

import { connect, type Socket } from 'node:net';
import type { JsonObject } from '../engine/protocol/codec';
import { MessageError, parseClientMessage } from '../engine/protocol/messages';
import { closeWithError, sendLine, type RelayContext, type WireError } from './context';
import { linkSockets } from './pipe';
import { tokensEqual } from './registry';
import { resolveTarget } from './target';

export async function handleDataConnection(
  ctx: RelayContext,
  client: Socket,
  first: JsonObject,
  rest: Buffer,
  remoteAddress: string,
): Promise<void> {
  // Until the target answers, the client's further bytes wait in the socket (paused).
  client.pause();
  let tunnelId: string | null = null;
  const refuse = (error: WireError, result: string): void => {
    ctx.metrics.streamsTotal.inc({ result });
    ctx.log.log(
      'warn',
      'stream_refused',
      { remote: remoteAddress, code: error.code, message: error.message },
      tunnelId,
    );
    closeWithError(ctx, client, error);
  };

  let open;
  try {
    open = parseClientMessage(first);
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    const field = /field "([a-z_]+)"/.exec(error.message)?.[1] ?? 'stream_open';
    refuse(
      {
        code: 'unknown_message_type',
        message: error.message,
        details: { reason: 'invalid_field', field },
      },
      'invalid',
    );
    return;
  }
  if (open.type !== 'stream_open') return;
  tunnelId = open.tunnel_id;
  const registration = ctx.registry.get(open.tunnel_id);
  // Same answer for an unknown tunnel and a wrong token: the relay does not say which ids exist.
  if (registration === undefined || !tokensEqual(registration.streamToken, open.stream_token)) {
    refuse(
      {
        code: 'invalid_token',
        message: 'unknown tunnel or wrong stream token',
        details: { reason: 'bad_stream_token' },
      },
      'bad_token',
    );
    return;
  }
  const tenant = ctx.tenants.get(registration.tenantId);
  if (tenant === undefined) {
    refuse({ code: 'tenant_not_found', message: 'tenant not found' }, 'refused');
    return;
  }
  const openStreams = ctx.streamsByTenant.get(tenant.id) ?? 0;
  if (openStreams >= tenant.maxConnections) {
    refuse(
      {
        code: 'connection_limit_reached',
        message: `tenant "${tenant.id}" may hold ${tenant.maxConnections} connections`,
        details: { limit: tenant.maxConnections },
      },
      'limit',
    );
    return;
  }
  // Hold the slot from here, so concurrent opens cannot overshoot the limit while dialling.
  ctx.streamsByTenant.set(tenant.id, openStreams + 1);
  let released = false;
  const releaseSlot = (): void => {
    if (released) return;
    released = true;
    const count = (ctx.streamsByTenant.get(tenant.id) ?? 1) - 1;
    if (count <= 0) ctx.streamsByTenant.delete(tenant.id);
    else ctx.streamsByTenant.set(tenant.id, count);
  };
  client.once('close', releaseSlot);

  const host = registration.remoteHost;
  const port = registration.remotePort;
  const decision = await resolveTarget(ctx.lookup, host, tenant.allow);
  if (client.destroyed || ctx.isClosing()) return;
  if (!decision.ok) {
    if (decision.reason === 'not_allowed') {
      refuse(
        {
          code: 'ip_not_allowed',
          message: `target ${host} resolves outside the tenant's allowed networks`,
        },
        'not_allowed',
      );
    } else {
      refuse(
        {
          code: 'data_transfer_failed',
          message: `cannot resolve ${host}`,
          details: { reason: 'lookup_failed' },
        },
        'dial_failed',
      );
    }
    return;
  }
  const address = decision.addresses[0];
  if (address === undefined) return;

  const target = await dial(ctx, address.address, port, client);
  if (!target.ok) {
    if (!client.destroyed)
      refuse(
        {
          code: 'data_transfer_failed',
          message: `cannot reach the target: ${target.reason}`,
          details: { reason: target.reason },
        },
        'dial_failed',
      );
    return;
  }
  const socket = target.socket;
  if (client.destroyed) {
    socket.destroy();
    return;
  }
  ctx.metrics.streamsTotal.inc({ result: 'ok' });
  ctx.metrics.streamsActive.inc();
  const openedAt = ctx.clock.now();
  let bytesToTarget = 0;
  let bytesToClient = 0;
  ctx.log.log(
    'info',
    'stream_opened',
    { remote: remoteAddress, target: `${address.address}:${port}` },
    tunnelId,
  );
  sendLine(client, { type: 'stream_response', status: 'ok' });
  if (rest.length > 0) {
    bytesToTarget += rest.length;
    ctx.metrics.countBytes('to_target', rest.length);
    socket.write(rest);
  }
  linkSockets(client, socket, {
    onBytes(direction, bytes) {
      if (direction === 'to_target') bytesToTarget += bytes;
      else bytesToClient += bytes;
      ctx.metrics.countBytes(direction, bytes);
    },
    onClosed({ reset, error }) {
      ctx.metrics.streamsActive.dec();
      releaseSlot();
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
        tunnelId,
      );
    },
  });
  client.resume();
}

type DialResult = { ok: true; socket: Socket } | { ok: false; reason: string };

/** Connects to exactly `address` (no second lookup), with the relay's dial timeout. */
function dial(
  ctx: RelayContext,
  address: string,
  port: number,
  client: Socket,
): Promise<DialResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    ctx.track(socket);
    // Errors after the dial belong to linkSockets; this keeps one from going unhandled in between.
    socket.on('error', () => undefined);
    let settled = false;
    const finish = (result: DialResult): void => {
      if (settled) return;
      settled = true;
      ctx.clock.clearTimeout(timer);
      client.off('close', onClientClose);
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
    const onClientClose = (): void => {
      socket.destroy();
      finish({ ok: false, reason: 'client_closed' });
    };
    const timer = ctx.clock.setTimeout(() => {
      socket.destroy();
      finish({ ok: false, reason: 'connect_timeout' });
    }, ctx.limits.dialTimeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    client.once('close', onClientClose);
  });
}
