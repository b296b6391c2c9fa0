// The serving connection of a published server (docs/protocol.md "Serving connection and
// relay-initiated streams"): a mux_open naming the registration and its serve token (compared
// in constant time), answered like any mux_open, after which the relay opens streams towards
// the publishing computer on it. The newest serving connection of a server takes its new
// streams; an older one takes none and is closed once its last stream ends. Refuses any OPEN
// from the publisher on it.

import type { Socket } from 'node:net';
import { MAX_FRAME_PAYLOAD } from '../protocol/mux-frames';
import { MuxConnection } from '../protocol/mux-connection';
import { closeWithError, errorMessage, sendLine, type RelayContext } from './context';
import type { MuxLimits } from './mux-handler';
import type { ServingLink } from './published-servers';
import { LIMIT_LABELS } from './relay-limits';

export function handleServeConnection(
  ctx: RelayContext,
  socket: Socket,
  serve: { readonly tunnelId: string; readonly serveToken: string },
  rest: Buffer,
  remoteAddress: string,
  limits: MuxLimits,
): void {
  const server = ctx.servers.forServe(serve.tunnelId, serve.serveToken);
  if (server === undefined) {
    // A peer can try ids and tokens at will: the refusal log's budgets apply.
    ctx.refusals.log(remoteAddress, 'warn', 'serve_refused', { remote: remoteAddress });
    closeWithError(ctx, socket, {
      code: 'invalid_token',
      message: 'unknown server registration or wrong serve token',
      details: { reason: 'bad_serve_token' },
    });
    return;
  }
  const openedAt = ctx.clock.now();
  // Every stream to this server rides this one connection: its stream cap is the server's
  // (docs/protocol.md#limits, limits.maxStreamsPerServer), not a client mux connection's.
  const maxStreams = ctx.limits.maxStreamsPerServer;
  sendLine(socket, {
    type: 'mux_response',
    status: 'ok',
    max_streams: maxStreams,
    window: limits.window,
    max_frame: MAX_FRAME_PAYLOAD,
    tunnel_id: server.tunnelId,
    name: server.name,
  });
  let draining = false;
  let opened = 0;
  const conn: MuxConnection = new MuxConnection({
    socket,
    role: 'relay',
    initial: rest,
    window: limits.window,
    maxStreams,
    controlOutputLimit: ctx.limits.muxControlOutputBytes,
    outputStallMs: ctx.limits.muxOutputStallMs,
    clock: ctx.clock,
    onOutputPaused: () => ctx.hit(LIMIT_LABELS.muxControlOutputBytes),
    onOpen(stream) {
      stream.refuse(
        errorMessage({
          code: 'unknown_message_type',
          message: 'a serving connection carries only the relay’s streams',
          details: { reason: 'serving_connection' },
        }),
      );
    },
    onClosed(error) {
      ctx.servers.detach(server, link);
      const protocolError = error !== null && error.startsWith('protocol_error');
      if (error?.includes('output_overflow') === true) ctx.hit(LIMIT_LABELS.muxOutputStallMs);
      ctx.log.log(
        protocolError ? 'warn' : 'info',
        protocolError ? 'serving_protocol_error' : 'serving_closed',
        {
          remote: remoteAddress,
          name: server.name,
          streams: opened,
          duration_ms: ctx.clock.now() - openedAt,
          online: ctx.servers.isOnline(server),
          error,
        },
        server.tunnelId,
      );
    },
  });
  const link: ServingLink = {
    open(payload) {
      if (draining || !conn.hasCapacity) return null;
      opened += 1;
      return conn.openStream(payload);
    },
    drain() {
      draining = true;
      ctx.log.log(
        'info',
        'serving_connection_replaced',
        { name: server.name, streams: conn.streamCount },
        server.tunnelId,
      );
      if (conn.streamCount === 0) conn.destroy();
    },
    released() {
      if (draining && conn.streamCount === 0) conn.destroy();
    },
    close: () => conn.destroy(),
  };
  if (conn.isClosed) return;
  const first = !server.published;
  ctx.servers.attach(server, link);
  ctx.log.log(
    'info',
    first ? 'server_published' : 'server_serving',
    { remote: remoteAddress, name: server.name, tenant: server.tenantId },
    server.tunnelId,
  );
}
