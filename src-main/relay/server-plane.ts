// Builds the relay's published servers (docs/protocol.md "Published servers"): the registry
// with its log records, the `cloudbridge_relay_published_servers` gauge, and the entry for a
// mux_open, which is a serving connection when it names a registration and an ordinary mux
// connection otherwise. relay-server.ts calls this once; the parts live in
// published-servers.ts, server-serving.ts and mux-handler.ts.

import type { Socket } from 'node:net';
import { Gauge } from 'prom-client';
import type { JsonObject } from '../protocol/codec';
import { FieldError, parseServeOpen } from '../protocol/server-messages';
import type { Clock } from '../shared/clock';
import { closeWithError, type RelayContext } from './context';
import type { RelayLogger } from './log';
import type { RelayMetrics } from './metrics';
import { handleMuxConnection, type MuxLimits } from './mux-handler';
import { ServerRegistry } from './published-servers';
import { handleServeConnection } from './server-serving';

export interface ServerPlane {
  readonly servers: ServerRegistry;
  /** A connection whose first line is mux_open. */
  openMux(
    ctx: RelayContext,
    socket: Socket,
    first: JsonObject,
    rest: Buffer,
    remote: string,
    limits: MuxLimits,
  ): void;
}

export function createServerPlane(options: {
  readonly clock: Clock;
  readonly graceMs: number;
  readonly log: RelayLogger;
  readonly metrics: RelayMetrics;
}): ServerPlane {
  const { log, metrics } = options;
  const servers = new ServerRegistry({
    clock: options.clock,
    graceMs: options.graceMs,
    onRemoved: (server, why) =>
      log.log(
        'info',
        why === 'expired' ? 'server_expired' : 'server_unregistered',
        { tenant: server.tenantId, name: server.name },
        server.tunnelId,
      ),
  });
  new Gauge({
    name: 'cloudbridge_relay_published_servers',
    help: 'Published server registrations held, by state: online (a serving connection is up) or offline',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      let online = 0;
      for (const server of servers.all()) if (servers.isOnline(server)) online += 1;
      this.set({ state: 'online' }, online);
      this.set({ state: 'offline' }, servers.size - online);
    },
  });
  return {
    servers,
    openMux(ctx, socket, first, rest, remote, limits) {
      let serve;
      try {
        serve = parseServeOpen(first);
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        closeWithError(ctx, socket, {
          code: 'unknown_message_type',
          message: error.message,
          details: { reason: 'invalid_field', field: error.field },
        });
        return;
      }
      if (serve === null) handleMuxConnection(ctx, socket, rest, remote, limits);
      else handleServeConnection(ctx, socket, serve, rest, remote, limits);
    },
  };
}
